//! `ticket.classify`: `with: {text}` → the classification (see docs/functions/ticket.classify.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, ErrorKind, Function, WorkflowError};

use crate::classifier::Classifier;

/// The function, over a trained classifier.
pub struct TicketClassify {
    /// A model from `shopflow train`; `None`: the shipped examples, trained on first use.
    classifier: Option<Arc<Classifier>>,
}

impl TicketClassify {
    /// Classifies with `classifier`, or with the shipped model when `None`.
    pub fn new(classifier: Option<Arc<Classifier>>) -> Self {
        Self { classifier }
    }
}

impl Function for TicketClassify {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let classifier = self.classifier.clone();
        Box::pin(async move {
            let classifier = classifier.unwrap_or_else(Classifier::shipped);
            let text = args.get("text").and_then(Value::as_str).ok_or_else(|| {
                WorkflowError::new(ErrorKind::Validation, "Invalid arguments")
                    .with_detail(format!(
                        "`ticket.classify` takes `with: {{text: …}}` (a string), got {args}"
                    ))
                    .at(&ctx.instance)
            })?;
            serde_json::to_value(classifier.classify(text)).map_err(|e| {
                WorkflowError::new(ErrorKind::Runtime, "Classification failed")
                    .with_detail(e.to_string())
                    .at(&ctx.instance)
            })
        })
    }

    fn summary(&self) -> &'static str {
        "Labels a buyer's message with department, sentiment and urgency (Chinese and English)."
    }

    fn has_effects(&self) -> bool {
        false
    }
}
