//! Functions callable from flows (`call: NAME`): the trait workers implement and the registry
//! the backends execute calls through.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::error::{ErrorKind, WorkflowError};

/// What a function gets besides its arguments.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The run making the call.
    pub run_id: String,
    /// The step's idempotency key: the same for every attempt of this step, different for every
    /// other step. Side effects must pass it on (the `Idempotency-Key` header, a platform's
    /// de-duplication field).
    pub idempotency_key: String,
    /// JSON pointer of the calling task, for errors.
    pub instance: String,
}

/// A function a flow can call by name.
pub trait Function: Send + Sync {
    /// Runs the function.
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>>;

    /// One line for `shopflow schema` and the docs.
    fn summary(&self) -> &'static str;

    /// Whether a call changes or reveals anything outside the run. A durable backend makes
    /// every earlier result of the run durable before such a call starts; a call without
    /// effects (a pure computation) may run before its predecessors' results are on disk,
    /// because repeating it after a crash is harmless. Defaults to `true`.
    fn has_effects(&self) -> bool {
        true
    }
}

/// The functions available to a run, by name.
/// Cheap to clone: every run's context holds one, so the maps are shared until changed.
#[derive(Clone, Default)]
pub struct FunctionRegistry {
    functions: Arc<BTreeMap<String, Arc<dyn Function>>>,
    mocks: Arc<BTreeMap<String, Value>>,
}

impl FunctionRegistry {
    /// A registry with the functions every shopflow has (`noop`, `echo`).
    pub fn with_builtins() -> Self {
        let mut r = Self::default();
        r.register("noop", Arc::new(Noop));
        r.register("echo", Arc::new(Echo));
        r
    }

    /// Adds (or replaces) a function.
    pub fn register(&mut self, name: &str, function: Arc<dyn Function>) {
        Arc::make_mut(&mut self.functions).insert(name.to_owned(), function);
    }

    /// The function registered as `name` (to wrap it, e.g. to time it in a benchmark).
    pub fn get(&self, name: &str) -> Option<Arc<dyn Function>> {
        self.functions.get(name).cloned()
    }

    /// Makes every call of `name` return `result` without running it (dry runs).
    pub fn mock(&mut self, name: &str, result: Value) {
        Arc::make_mut(&mut self.mocks).insert(name.to_owned(), result);
    }

    /// The names the validator accepts in `call:` (besides `http`, `openapi` and `use.functions`).
    pub fn names(&self) -> Vec<&str> {
        self.functions.keys().map(String::as_str).collect()
    }

    /// Names and summaries, for schemas and docs.
    pub fn summaries(&self) -> Vec<(&str, &'static str)> {
        self.functions
            .iter()
            .map(|(k, f)| (k.as_str(), f.summary()))
            .collect()
    }

    /// Whether calling `name` has effects outside the run (see [`Function::has_effects`]);
    /// mocked and unknown functions have none.
    pub fn has_effects(&self, name: &str) -> bool {
        !self.mocks.contains_key(name) && self.functions.get(name).is_some_and(|f| f.has_effects())
    }

    /// Runs `name`.
    pub fn call(
        &self,
        name: &str,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        if let Some(result) = self.mocks.get(name) {
            let result = result.clone();
            return Box::pin(async move { Ok(result) });
        }
        match self.functions.get(name) {
            Some(f) => f.call(ctx, args),
            None => {
                let err = WorkflowError::new(ErrorKind::Configuration, "Unknown function")
                    .with_detail(format!(
                        "no function `{name}` is registered in this shopflow"
                    ))
                    .retryable(false)
                    .at(&ctx.instance);
                Box::pin(async move { Err(err) })
            }
        }
    }
}

/// `noop`: returns null; for tests and benchmarks of the engine itself.
struct Noop;

impl Function for Noop {
    fn call(
        &self,
        _ctx: CallContext,
        _args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        Box::pin(async { Ok(Value::Null) })
    }

    fn summary(&self) -> &'static str {
        "Does nothing and returns null; for tests and benchmarks."
    }

    fn has_effects(&self) -> bool {
        false
    }
}

/// `echo`: returns its arguments.
struct Echo;

impl Function for Echo {
    fn call(
        &self,
        _ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        Box::pin(async move { Ok(args) })
    }

    fn summary(&self) -> &'static str {
        "Returns its `with` arguments as its output."
    }

    fn has_effects(&self) -> bool {
        false
    }
}
