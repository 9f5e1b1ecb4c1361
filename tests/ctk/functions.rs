//! Functions the scenarios call besides the shipped ones: `flaky`, a service that fails a given
//! number of times per idempotency key before it answers, for retry scenarios.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{CallContext, ErrorKind, Function, FunctionRegistry, WorkflowError};

/// `call: flaky` with `{failures: N, status: 503}`: the first N calls with the same idempotency
/// key fail with a communication error of that status; later ones return `{attempts: n}`.
///
/// Counting by idempotency key also checks that every retry of a step reaches the service under
/// the same key.
#[derive(Default)]
struct Flaky {
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Function for Flaky {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let failures = args.get("failures").and_then(Value::as_u64).unwrap_or(0);
        let status = args
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(503);
        let attempt = {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            let n = calls.entry(ctx.idempotency_key).or_default();
            *n += 1;
            *n
        };
        Box::pin(async move {
            if attempt <= failures {
                Err(
                    WorkflowError::new(ErrorKind::Communication, "Service Unavailable")
                        .with_status(status)
                        .with_detail(format!(
                            "call {attempt} of a service that fails {failures} times"
                        )),
                )
            } else {
                Ok(json!({"attempts": attempt}))
            }
        })
    }

    fn summary(&self) -> &'static str {
        "Fails `failures` times per idempotency key, then returns the number of attempts."
    }
}

/// The functions one run can call: the built-ins, `http`/`openapi` and the test functions.
pub fn registry() -> FunctionRegistry {
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_http::register(&mut registry, shopflow_http::HttpConfig::default());
    registry.register("flaky", Arc::new(Flaky::default()));
    registry
}
