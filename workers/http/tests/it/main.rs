//! `http` and `openapi` against a real HTTP server on loopback, through the public API:
//! `register` into a `FunctionRegistry`, then calls with the interpreter's argument shape.

mod auth;
mod http;
mod openapi;
mod server;

use std::time::Duration;

use serde_json::Value;
use shopflow_core::{CallContext, FunctionRegistry, WorkflowError};
use shopflow_http::{HttpConfig, register};

/// A registry with `http` and `openapi` registered with `config`.
fn registry(config: HttpConfig) -> FunctionRegistry {
    let mut registry = FunctionRegistry::default();
    register(&mut registry, config);
    registry
}

/// The default configuration, but never more than a few seconds per call in tests.
fn test_config() -> HttpConfig {
    HttpConfig {
        request_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    }
}

/// A call context with the given idempotency key.
fn ctx(key: &str) -> CallContext {
    CallContext {
        run_id: "run-1".into(),
        idempotency_key: key.into(),
        instance: "/do/0/step".into(),
    }
}

/// Calls `function` and expects success.
async fn ok(registry: &FunctionRegistry, function: &str, ctx: CallContext, args: Value) -> Value {
    registry
        .call(function, ctx, args)
        .await
        .unwrap_or_else(|e| panic!("call failed: {e}"))
}

/// Calls `function` and expects a failure.
async fn fail(
    registry: &FunctionRegistry,
    function: &str,
    ctx: CallContext,
    args: Value,
) -> WorkflowError {
    match registry.call(function, ctx, args).await {
        Ok(v) => panic!("call succeeded with {v}"),
        Err(e) => e,
    }
}
