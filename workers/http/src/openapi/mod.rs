//! The `openapi` function: fetch the document, find the operation by `operationId`, bind the
//! `parameters`, then send the request exactly like `http`.

mod binding;
mod document;
mod operation;

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use shopflow_core::{CallContext, Function, WorkflowError};

use crate::auth::Authentication;
use crate::error::Error;
use crate::openapi::document::DocumentCache;
use crate::request::{parse_output, parse_url};
use crate::sender::Sender;

/// `openapi`: one operation of a Swagger 2.0 / OpenAPI 3.x described API.
pub(crate) struct OpenApiFunction {
    sender: Arc<Sender>,
    documents: Arc<DocumentCache>,
}

impl OpenApiFunction {
    /// The function, sending through `sender`, with an empty document cache.
    pub(crate) fn new(sender: Arc<Sender>) -> Self {
        Self {
            sender,
            documents: Arc::new(DocumentCache::default()),
        }
    }
}

impl Function for OpenApiFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let sender = Arc::clone(&self.sender);
        let documents = Arc::clone(&self.documents);
        Box::pin(async move {
            call(&sender, &documents, &ctx, &args)
                .await
                .map_err(|e| WorkflowError::from(e).at(&ctx.instance))
        })
    }

    fn summary(&self) -> &'static str {
        "Calls an operation of a Swagger 2.0 / OpenAPI 3.x API by operationId (`call: openapi`), like `http`."
    }
}

async fn call(
    sender: &Sender,
    documents: &DocumentCache,
    ctx: &CallContext,
    args: &Value,
) -> Result<Value, Error> {
    let document = args
        .get("document")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidArguments("`openapi` needs the document's URI".into()))?;
    let operation_id = args
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidArguments("`openapi` needs an `operationId`".into()))?;
    let params = match args.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(other) => {
            return Err(Error::InvalidArguments(format!(
                "`parameters` must be a mapping, not {other}"
            )));
        }
    };
    let output = parse_output(args)?;
    let redirect = args
        .get("redirect")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let auth = Authentication::from_args(args.get("authentication"))?;
    let document_auth = Authentication::from_args(args.get("documentAuthentication"))?;
    let url = parse_url(document)?;
    let doc = documents.get(sender, &url, document_auth).await?;
    let op = operation::find(&doc, &url, operation_id)?;
    let request = binding::bind(&op, &params, output, redirect, auth)?;
    sender.call(&ctx.idempotency_key, &request).await
}
