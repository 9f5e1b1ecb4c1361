//! `invoice.compute` and `invoice.render` as functions flows call (see
//! docs/functions/invoice.compute.md and docs/functions/invoice.render.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{CallContext, ErrorKind, Function, WorkflowError};

use crate::Invoices;

/// `invoice.compute`: pure arithmetic and checks.
pub struct InvoiceCompute {
    invoices: Arc<Invoices>,
}

impl InvoiceCompute {
    /// Computes with `invoices`' settings (the default seller).
    pub fn new(invoices: Arc<Invoices>) -> Self {
        Self { invoices }
    }
}

impl Function for InvoiceCompute {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let invoices = self.invoices.clone();
        Box::pin(async move {
            let out = invoices
                .compute(&args)
                .map_err(|e| e.to_workflow_error("invoice.compute", &ctx.instance))?;
            serde_json::to_value(out).map_err(|e| internal("invoice.compute", &e, &ctx))
        })
    }

    fn summary(&self) -> &'static str {
        "Computes a fapiao's lines, taxes and totals in fen and checks rates, tolerances and tax ids."
    }

    fn has_effects(&self) -> bool {
        false
    }
}

/// `invoice.render`: numbers the invoice and stores its PDF.
pub struct InvoiceRender {
    invoices: Arc<Invoices>,
}

impl InvoiceRender {
    /// Renders with `invoices`.
    pub fn new(invoices: Arc<Invoices>) -> Self {
        Self { invoices }
    }
}

impl Function for InvoiceRender {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let invoices = self.invoices.clone();
        Box::pin(async move {
            let key = ctx.idempotency_key.clone();
            // SQLite, font subsetting and PDF writing block; keep them off the threads that
            // drive runs.
            let rendered = tokio::task::spawn_blocking(move || invoices.render(&args, &key))
                .await
                .map_err(|e| internal("invoice.render", &e, &ctx))?
                .map_err(|e| e.to_workflow_error("invoice.render", &ctx.instance))?;
            serde_json::to_value(rendered).map_err(|e| internal("invoice.render", &e, &ctx))
        })
    }

    fn summary(&self) -> &'static str {
        "Numbers a fapiao from a durable sequence and renders it as a PDF artifact (数电票 layout)."
    }
}

/// A failure of the machinery around the function (a stopped task); the same step may work.
fn internal(function: &str, e: &dyn std::fmt::Display, ctx: &CallContext) -> WorkflowError {
    WorkflowError::new(ErrorKind::Runtime, "Invoice function failed")
        .with_detail(format!("`{function}`: {e}; retrying can help"))
        .retryable(true)
        .at(&ctx.instance)
}
