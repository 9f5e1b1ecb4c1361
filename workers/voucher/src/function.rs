//! `voucher.issue`: `with:` the return → the PDF artifact and the signed link
//! (see docs/functions/voucher.issue.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, ErrorKind, Function, WorkflowError};

use crate::{VoucherError, Vouchers};

/// The function.
pub struct VoucherIssue {
    vouchers: Arc<Vouchers>,
}

impl VoucherIssue {
    /// Issues with `vouchers`.
    pub fn new(vouchers: Arc<Vouchers>) -> Self {
        Self { vouchers }
    }
}

impl Function for VoucherIssue {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let vouchers = self.vouchers.clone();
        Box::pin(async move {
            let key = ctx.idempotency_key.clone();
            // Font subsetting and PDF writing take milliseconds of CPU; keep them off the
            // threads that drive runs.
            let issued = tokio::task::spawn_blocking(move || vouchers.issue(args, &key))
                .await
                .map_err(|e| {
                    WorkflowError::new(ErrorKind::Runtime, "Voucher not issued")
                        .with_detail(format!("the voucher task stopped: {e}; retrying can help"))
                        .at(&ctx.instance)
                })?
                .map_err(|e| error(&e, &ctx.instance))?;
            serde_json::to_value(issued).map_err(|e| {
                WorkflowError::new(ErrorKind::Runtime, "Voucher not issued")
                    .with_detail(e.to_string())
                    .at(&ctx.instance)
            })
        })
    }

    fn summary(&self) -> &'static str {
        "Renders a return voucher PDF (Chinese and English, QR code) and its signed link."
    }
}

fn error(e: &VoucherError, instance: &str) -> WorkflowError {
    let (kind, retry) = match e {
        VoucherError::Invalid(_) => (ErrorKind::Validation, false),
        VoucherError::Fonts(_) => (ErrorKind::Configuration, false),
        VoucherError::Store(_) => (ErrorKind::Runtime, true),
        VoucherError::Render(_) | VoucherError::Token(_) | VoucherError::Missing => {
            (ErrorKind::Runtime, false)
        }
    };
    let advice = if retry {
        "retrying can help"
    } else {
        "retrying will not help"
    };
    WorkflowError::new(kind, "Voucher not issued")
        .with_detail(format!("{e}; {advice}"))
        .retryable(retry)
        .at(instance)
}
