//! The `http` function: `call: http` as the interpreter hands it over.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, Function, WorkflowError};

use crate::request::HttpRequest;
use crate::sender::Sender;

/// `http`: one request to an endpoint.
pub(crate) struct HttpFunction {
    sender: Arc<Sender>,
}

impl HttpFunction {
    /// The function, sending through `sender`.
    pub(crate) fn new(sender: Arc<Sender>) -> Self {
        Self { sender }
    }
}

impl Function for HttpFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let sender = Arc::clone(&self.sender);
        Box::pin(async move {
            let result = match HttpRequest::from_args(&args) {
                Ok(request) => sender.call(&ctx.idempotency_key, &request).await,
                Err(e) => Err(e),
            };
            result.map_err(|e| WorkflowError::from(e).at(&ctx.instance))
        })
    }

    fn summary(&self) -> &'static str {
        "Sends an HTTP request (`call: http`); every request but GET/HEAD/OPTIONS carries the step's Idempotency-Key."
    }
}
