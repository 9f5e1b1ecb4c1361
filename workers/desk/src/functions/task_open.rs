//! `task.open`: `with: {queue, kind, title, subject, reasons, data, run_id?}` → `{task_id}`:
//! a task for a person (see docs/functions/task.open.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{CallContext, Function, WorkflowError};

use super::{Args, kind, output, workflow_error};
use crate::{Desk, Error, NewTask};

const NAME: &str = "task.open";

/// The function.
pub struct TaskOpen {
    desk: Arc<Desk>,
}

impl TaskOpen {
    /// Opens tasks at `desk`.
    pub fn new(desk: Arc<Desk>) -> Self {
        Self { desk }
    }
}

/// Reads the arguments of `task.open`; `run_id` defaults to the calling run.
pub fn new_task(args: &Value, run_id: &str) -> Result<NewTask, Error> {
    let args = Args::new(
        NAME,
        args,
        &[
            "queue", "kind", "title", "subject", "reasons", "data", "run_id",
        ],
    )?;
    let reasons = match args.raw("reasons") {
        None | Some(Value::Null) => json!([]),
        Some(v @ Value::Array(_)) => v.clone(),
        Some(other) => {
            return Err(Error::invalid(
                "reasons",
                format!("must be an array, got {}", kind(other)),
            ));
        }
    };
    let data = match args.raw("data") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(other) => {
            return Err(Error::invalid(
                "data",
                format!("must be an object, got {}", kind(other)),
            ));
        }
    };
    Ok(NewTask {
        queue: args.string("queue")?,
        kind: args.string("kind")?,
        title: args.string("title")?,
        subject: args.string("subject")?,
        reasons,
        data,
        run_id: Some(
            args.optional_string("run_id")?
                .unwrap_or_else(|| run_id.to_owned()),
        ),
    })
}

impl Function for TaskOpen {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let desk = Arc::clone(&self.desk);
        Box::pin(async move {
            let fail = |e: &Error| workflow_error(e, NAME, &ctx.instance);
            let task = new_task(&args, &ctx.run_id).map_err(|e| fail(&e))?;
            let out = desk
                .open_task(task, &ctx.idempotency_key)
                .await
                .map_err(|e| fail(&e))?;
            output(&out, NAME, &ctx.instance)
        })
    }

    fn summary(&self) -> &'static str {
        "Opens a task for a person (a review queue) and returns its id."
    }
}
