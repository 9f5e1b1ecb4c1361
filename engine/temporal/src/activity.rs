//! Functions as Temporal activities: one activity type per function name, so `call:
//! ocr.invoice` schedules an activity named `ocr.invoice` and workers can be told apart by
//! the functions they run.
//!
//! **Errors and retries.** A function's own error is not an activity failure: the activity
//! completes with the outcome envelope (`{"err": …, "retryable": …}`) and the flow's `retry`
//! and `try/catch` decide what happens, exactly as on the embedded engine. Temporal retries an
//! activity only when the attempt itself was lost — the worker died, the attempt timed out,
//! the function panicked — and every attempt passes the same idempotency key on.
//!
//! **Heartbeats.** While a function runs the activity heartbeats every third of its heartbeat
//! timeout, so a worker that dies mid-call (a browser session, a long OCR) is noticed after
//! the heartbeat timeout and the call moves to another worker, not after the whole
//! start-to-close timeout.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Either};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopflow_core::{
    CallContext, CloudEvent, FunctionRegistry, StepId, WorkflowError, idempotency_key,
};
use temporalio_common::ActivityDefinition;
use temporalio_sdk::activities::{
    ActivityContext, ActivityDefinitions, ActivityError, ActivityImplementer, ExecutableActivity,
};

use crate::journal;
use crate::secrets;

/// The activity that hands an emitted event to the worker's [`EventRouter`].
pub(crate) const EMIT_ACTIVITY: &str = "shopflow.emit";

/// `$secrets` values by name, on the worker that runs activities: `names` → an object with
/// one entry per name it knows.
pub type SecretLookup = Arc<dyn Fn(&[String]) -> Value + Send + Sync>;

/// Delivers events a run emits to the other runs (and anything else that wants them).
pub trait EventRouter: Send + Sync {
    /// Delivers `event`, emitted by run `from`.
    fn route(&self, from: &str, event: CloudEvent) -> BoxFuture<'static, Result<(), String>>;
}

/// What a call activity is given: enough to run the function and to key its effects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CallInput {
    /// The run (the idempotency key's seed).
    pub run_id: String,
    /// The calling step.
    pub step: String,
    /// The function's arguments (secrets as placeholders).
    pub args: Value,
    /// The calling task's JSON pointer, for errors.
    pub instance: String,
}

/// What the emit activity is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EmitInput {
    /// The emitting run.
    pub run_id: String,
    /// The event.
    pub event: CloudEvent,
}

/// A function's activity type, named at run time.
pub(crate) struct FunctionActivity {
    name: String,
}

impl FunctionActivity {
    /// The activity type of function `name`.
    pub(crate) fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

impl ActivityDefinition for FunctionActivity {
    type Input = CallInput;
    type Output = Value;

    fn name(&self) -> &str {
        &self.name
    }
}

/// The emit activity type.
pub(crate) struct EmitActivity;

impl ActivityDefinition for EmitActivity {
    type Input = EmitInput;
    type Output = ();

    fn name(&self) -> &str {
        EMIT_ACTIVITY
    }
}

thread_local! {
    /// The function name being registered. The SDK keys a registration by
    /// `ExecutableActivity::definition().name()`, a constructor without arguments meant for
    /// one type per activity; the name of the registration in progress comes from here so
    /// that one type serves every function of the registry.
    static REGISTERING: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs one function of the registry for its activity type.
pub(crate) struct FunctionHandler {
    name: String,
    registry: FunctionRegistry,
    secrets: SecretLookup,
}

impl ActivityImplementer for FunctionHandler {
    fn register_all(self: Arc<Self>, defs: &mut ActivityDefinitions) {
        REGISTERING.with_borrow_mut(|n| n.clone_from(&self.name));
        defs.register_activity::<FunctionActivity>(self);
        REGISTERING.with_borrow_mut(String::clear);
    }
}

impl ExecutableActivity for FunctionActivity {
    type Implementer = FunctionHandler;
    const REQUIRES_INSTANCE: bool = true;

    fn definition() -> Self {
        REGISTERING.with_borrow(|name| FunctionActivity::named(name))
    }

    fn execute(
        receiver: Option<Arc<FunctionHandler>>,
        ctx: ActivityContext,
        input: CallInput,
    ) -> BoxFuture<'static, Result<Value, ActivityError>> {
        match receiver {
            Some(handler) => handler.run(ctx, input).boxed(),
            None => async { Err(ActivityError::cancelled()) }.boxed(),
        }
    }
}

impl FunctionHandler {
    async fn run(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: CallInput,
    ) -> Result<Value, ActivityError> {
        let mut args = input.args;
        let names = secret_names(&args);
        if !names.is_empty() {
            secrets::reveal(&mut args, &(self.secrets)(&names));
        }
        let call = CallContext {
            run_id: input.run_id.clone(),
            idempotency_key: idempotency_key(&input.run_id, &StepId::from_raw(input.step)),
            instance: input.instance,
        };
        let work = self.registry.call(&self.name, call, args);
        let result = with_heartbeats(&ctx, work).await?;
        Ok(journal::outcome(&result))
    }
}

/// Runs `work`, heartbeating while it runs; a cancelled activity drops it.
async fn with_heartbeats<T>(
    ctx: &ActivityContext,
    work: BoxFuture<'static, T>,
) -> Result<T, ActivityError> {
    let every = ctx
        .info()
        .heartbeat_timeout
        .map_or(Duration::from_secs(10), |t| {
            (t / 3).max(Duration::from_millis(100))
        });
    let mut work = work;
    loop {
        let tick = Box::pin(tokio::time::sleep(every));
        let cancelled = Box::pin(ctx.cancelled());
        match futures::future::select(work, futures::future::select(tick, cancelled)).await {
            Either::Left((done, _)) => return Ok(done),
            Either::Right((Either::Left(((), _)), rest)) => {
                work = rest;
                // A heartbeat that cannot be sent is retried with the next one.
                if let Err(e) = ctx.record_heartbeat(()).await {
                    tracing::debug!(error = %e, "activity heartbeat not sent");
                }
            }
            Either::Right((Either::Right(((), _)), _)) => return Err(ActivityError::cancelled()),
        }
    }
}

/// The top-level secret names the placeholders in `args` refer to.
fn secret_names(args: &Value) -> Vec<String> {
    let text = args.to_string();
    let mut names: Vec<String> = secrets::referenced(&text);
    names.sort();
    names.dedup();
    names
}

/// Hands emitted events to the router.
pub(crate) struct EmitHandler {
    router: Arc<dyn EventRouter>,
}

impl ActivityImplementer for EmitHandler {
    fn register_all(self: Arc<Self>, defs: &mut ActivityDefinitions) {
        defs.register_activity::<EmitActivity>(self);
    }
}

impl ExecutableActivity for EmitActivity {
    type Implementer = EmitHandler;
    const REQUIRES_INSTANCE: bool = true;

    fn definition() -> Self {
        EmitActivity
    }

    fn execute(
        receiver: Option<Arc<EmitHandler>>,
        _ctx: ActivityContext,
        input: EmitInput,
    ) -> BoxFuture<'static, Result<(), ActivityError>> {
        let Some(handler) = receiver else {
            return async { Err(ActivityError::cancelled()) }.boxed();
        };
        let routed = handler.router.route(&input.run_id, input.event);
        async move {
            routed.await.map_err(|reason| {
                // Retried by Temporal: a router that cannot reach the cluster right now.
                ActivityError::from(temporalio_sdk::ApplicationFailure::new(
                    std::io::Error::other(reason),
                ))
            })
        }
        .boxed()
    }
}

/// Every activity a worker runs: one per function of `registry`, and the emit activity.
pub(crate) struct WorkerActivities {
    pub registry: FunctionRegistry,
    pub secrets: SecretLookup,
    pub router: Arc<dyn EventRouter>,
}

impl ActivityImplementer for WorkerActivities {
    fn register_all(self: Arc<Self>, defs: &mut ActivityDefinitions) {
        for name in self.registry.names() {
            Arc::new(FunctionHandler {
                name: name.to_owned(),
                registry: self.registry.clone(),
                secrets: Arc::clone(&self.secrets),
            })
            .register_all(defs);
        }
        Arc::new(EmitHandler {
            router: Arc::clone(&self.router),
        })
        .register_all(defs);
    }
}

/// The error a call gets when Temporal gave up on its activity (every attempt lost).
pub(crate) fn lost(
    function: &str,
    failure: Option<&temporalio_common::protos::temporal::api::failure::v1::Failure>,
) -> WorkflowError {
    crate::failure::infrastructure(
        &format!("the activity of `{function}` did not complete"),
        failure,
    )
}
