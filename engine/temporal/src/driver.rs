//! The driver: polls the interpreter inside the Temporal workflow and carries out its
//! requests with Temporal commands.
//!
//! Each pass (one poll of the workflow's main routine) it
//! 1. sets workflow time on the bridge and polls the interpreter with a waker of its own,
//! 2. turns the requests the interpreter queued into commands, in the order they were made —
//!    an activity per call, a timer per sleep, a child workflow per `run.workflow` — each
//!    with its own cancellation token,
//! 3. cancels the commands whose reply the interpreter dropped (a lost race, a timed-out
//!    listen): in this SDK dropping a command's future does not cancel the command, the
//!    token does,
//! 4. polls the commands in flight with Temporal's waker and replies to those that resolved,
//!    and hands inbox events to waiting listens,
//!
//! and goes round again while any reply woke the interpreter. Replies wake only the
//! driver's own waker, never Temporal's, so the SDK's check for wakes from outside the
//! workflow stays on; the interpreter waits on nothing else (no IO, no tokio), so everything
//! that can wake it happens inside a pass.
//!
//! Every decision follows from the history (resolutions arrive in history order, requests are
//! handled in the order the deterministic interpreter made them), so a replay issues the same
//! commands. When the history grows past the limit the driver stops starting new commands,
//! lets the activities and children in flight finish and asks for continue-as-new; the run
//! carries its journal and inbox over, and the next execution's interpreter makes the held
//! requests again (timers restart from their journaled due time).

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::LocalBoxFuture;
use serde_json::Value;
use shopflow_core::{
    CallRequest, CloudEvent, ErrorKind, EventMatcher, FlowRef, StepId, WorkflowError,
};
use temporalio_sdk::{
    ActivityOptions, ChildWorkflowOptions, ParentClosePolicy, TimerOptions,
    WorkflowCancellationToken, WorkflowContext,
};

use crate::activity::{CallInput, EmitActivity, EmitInput, FunctionActivity};
use crate::context::{Bridge, Operation, Request};
use crate::failure;
use crate::input::{FlowSource, RunInput};
use crate::journal;
use crate::patches;
use crate::worker::ActivityPolicy;
use crate::workflow::ShopflowWorkflow;

/// How a drive ended.
pub(crate) enum Finish {
    /// The interpreter finished: the run's output or the error that faulted it.
    Done(Result<Value, WorkflowError>),
    /// The history is long: continue as new with the journal.
    ContinueAsNew,
    /// The workflow was cancelled.
    Cancelled,
}

/// What the driver needs besides the workflow context.
pub(crate) struct Settings<'s> {
    /// Activity timeouts and retries.
    pub policy: &'s ActivityPolicy,
    /// History length (events) past which the run continues as new.
    pub history_limit: u32,
    /// The flows `run.workflow` may start.
    pub flows: &'s [FlowSource],
}

/// Wakes the interpreter: only ever by the driver's own replies, inside a pass.
struct InterpreterWaker(AtomicBool);

impl Wake for InterpreterWaker {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// A command in flight and where its result goes.
struct InFlight<'a> {
    /// Whether it blocks continue-as-new (activities and children do; timers do not: the
    /// next execution starts them again from the journaled due time).
    blocks_continue: bool,
    future: LocalBoxFuture<'a, Value>,
    reply: oneshot::Sender<Value>,
    token: WorkflowCancellationToken,
}

/// A listen waiting for an event.
struct Listening {
    matcher: EventMatcher,
    reply: oneshot::Sender<Value>,
}

/// Runs `interpreter` to its end inside the workflow.
pub(crate) async fn drive<F>(
    ctx: &WorkflowContext<ShopflowWorkflow>,
    bridge: &Arc<Bridge>,
    settings: &Settings<'_>,
    interpreter: F,
) -> Finish
where
    F: Future<Output = Result<Value, WorkflowError>>,
{
    let mut interpreter = pin!(interpreter);
    let woken = Arc::new(InterpreterWaker(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&woken));
    let mut in_flight: Vec<InFlight<'_>> = Vec::new();
    let mut listening: Vec<Listening> = Vec::new();
    // Requests held while draining for continue-as-new: kept (never started) so their reply
    // channels stay open and the interpreter waits instead of seeing them dropped.
    let mut held: Vec<Request> = Vec::new();
    let mut watcher: Option<(u64, LocalBoxFuture<'_, ()>)> = None;
    let mut cancelled = pin!(ctx.cancelled());
    let mut cancel_requested = false;

    std::future::poll_fn(|cx| {
        loop {
            if !cancel_requested && cancelled.as_mut().poll(cx).is_ready() {
                cancel_requested = true;
            }
            // Cancelling the run cancels its timers too, and a cancelled timer resolves like a
            // fired one: a run waiting with a timeout would take its timeout path instead of
            // ending. So a cancelled run ends before anything else is looked at.
            if cancel_requested && ctx.patched(patches::CANCEL_ENDS_THE_RUN_FIRST) {
                return Poll::Ready(Finish::Cancelled);
            }
            bridge.set_now(workflow_time_ms(ctx));
            if let Poll::Ready(result) = interpreter.as_mut().poll(&mut Context::from_waker(&waker))
            {
                return Poll::Ready(Finish::Done(result));
            }
            // Past the history limit new requests are held (the next execution makes them
            // again) until the activities and children in flight are done.
            let draining =
                ctx.history_length() >= settings.history_limit || ctx.continue_as_new_suggested();
            for request in bridge.take_requests() {
                if draining {
                    held.push(request);
                } else {
                    start(
                        ctx,
                        bridge,
                        settings,
                        request,
                        &mut in_flight,
                        &mut listening,
                    );
                }
            }
            for op in &in_flight {
                if op.reply.is_canceled() && !op.token.is_cancelled() {
                    op.token.cancel();
                }
            }
            listening.retain(|l| !l.reply.is_canceled());
            let mut i = 0;
            while let Some(op) = in_flight.get_mut(i) {
                match op.future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        let op = in_flight.remove(i);
                        // A reply nobody waits for any more (cancelled) goes nowhere.
                        let _ = op.reply.send(value);
                    }
                    Poll::Pending => i += 1,
                }
            }
            deliver_events(ctx, &mut listening);
            bridge.set_listening(listening.len());
            // Timers are the commands that do not hold continue-as-new back.
            bridge.set_sleeping(in_flight.iter().filter(|op| !op.blocks_continue).count());
            if listening.is_empty() {
                watcher = None;
            } else {
                let seen = ctx.state(|s| s.inbox().arrivals());
                if watcher.as_ref().is_none_or(|(n, _)| *n != seen) {
                    let wait = ctx
                        .wait_condition(move |s| s.inbox().arrivals() != seen)
                        .map(|_| ());
                    watcher = Some((seen, wait.boxed_local()));
                }
                if let Some((_, wait)) = watcher.as_mut()
                    && wait.as_mut().poll(cx).is_ready()
                {
                    watcher = None;
                    continue;
                }
            }
            if woken.0.swap(false, Ordering::AcqRel) {
                continue;
            }
            if cancel_requested {
                return Poll::Ready(Finish::Cancelled);
            }
            if draining && in_flight.iter().all(|op| !op.blocks_continue) {
                return Poll::Ready(Finish::ContinueAsNew);
            }
            return Poll::Pending;
        }
    })
    .await
}

/// Workflow time in milliseconds since the Unix epoch (0 before the first activation).
fn workflow_time_ms(ctx: &WorkflowContext<ShopflowWorkflow>) -> i64 {
    ctx.workflow_time()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Hands each waiting listen, oldest first, the oldest event it accepts.
fn deliver_events(ctx: &WorkflowContext<ShopflowWorkflow>, listening: &mut Vec<Listening>) {
    let mut i = 0;
    while let Some(listen) = listening.get(i) {
        // Looking first keeps passes without a match from counting as state changes.
        if ctx.state(|s| s.inbox().has_match(&listen.matcher)) {
            let matcher = Arc::clone(&listen.matcher);
            if let Some(event) = ctx.state_mut(|s| s.inbox_mut().take(&matcher)) {
                let listen = listening.remove(i);
                let _ = listen.reply.send(event);
                continue;
            }
        }
        i += 1;
    }
}

/// Turns one request into a command in flight (or a waiting listen).
fn start<'a>(
    ctx: &'a WorkflowContext<ShopflowWorkflow>,
    bridge: &Arc<Bridge>,
    settings: &Settings<'_>,
    request: Request,
    in_flight: &mut Vec<InFlight<'a>>,
    listening: &mut Vec<Listening>,
) {
    let Request { step, op, reply } = request;
    // Children of the workflow's token: cancelling the run cancels its commands.
    let token = ctx.cancellation_token().child_token();
    let (future, blocks_continue) = match op {
        Operation::Listen(matcher) => {
            listening.push(Listening { matcher, reply });
            return;
        }
        Operation::Call(call) => (
            call_activity(ctx, bridge, settings.policy, &step, call, token.clone()),
            true,
        ),
        Operation::Sleep { due_ms } => {
            let left = u64::try_from(due_ms.saturating_sub(bridge.now())).unwrap_or(0);
            if left == 0 {
                let _ = reply.send(Value::Null);
                return;
            }
            let timer = ctx.timer(
                TimerOptions::builder(Duration::from_millis(left))
                    .cancellation_token(token.clone())
                    .summary(step.to_string())
                    .build(),
            );
            (timer.map(|_| Value::Null).boxed_local(), false)
        }
        Operation::Emit(event) => (
            emit(ctx, bridge, settings.policy, event, token.clone()),
            true,
        ),
        Operation::Child { flow, input } => (
            child(
                ctx,
                bridge,
                settings.flows,
                &step,
                flow,
                input,
                token.clone(),
            ),
            true,
        ),
    };
    in_flight.push(InFlight {
        blocks_continue,
        future,
        reply,
        token,
    });
}

/// A call as an activity named after the function; resolves to the outcome envelope.
fn call_activity<'a>(
    ctx: &'a WorkflowContext<ShopflowWorkflow>,
    bridge: &Bridge,
    policy: &ActivityPolicy,
    step: &StepId,
    call: CallRequest,
    token: WorkflowCancellationToken,
) -> LocalBoxFuture<'a, Value> {
    let function = call.function;
    let input = CallInput {
        run_id: bridge.run_id().to_owned(),
        step: step.to_string(),
        args: call.args,
        instance: call.instance,
    };
    let options = ActivityOptions::with_start_to_close_timeout(policy.start_to_close)
        .heartbeat_timeout(policy.heartbeat_timeout)
        .retry_policy(policy.retry_policy())
        .cancellation_token(token)
        .summary(format!("{function} at {step}"))
        .build();
    let activity = ctx.execute_activity(FunctionActivity::named(&function), input, options);
    async move {
        match activity.await {
            Ok(outcome) => outcome,
            Err(e) => journal::outcome(&Err(crate::activity::lost(&function, e.failure()))),
        }
    }
    .boxed_local()
}

/// An emitted event: into the run's own inbox at once (a `listen` of the same run may wait
/// for it), then to the worker's router for other runs.
fn emit<'a>(
    ctx: &'a WorkflowContext<ShopflowWorkflow>,
    bridge: &Bridge,
    policy: &ActivityPolicy,
    event: CloudEvent,
    token: WorkflowCancellationToken,
) -> LocalBoxFuture<'a, Value> {
    ctx.state_mut(|s| s.inbox_mut().deliver(event.clone()));
    if !ctx.patched(patches::EMIT_ROUTES_TO_OTHER_RUNS) {
        return std::future::ready(Value::Null).boxed_local();
    }
    let options = ActivityOptions::with_start_to_close_timeout(policy.start_to_close)
        .retry_policy(policy.retry_policy())
        .cancellation_token(token)
        .build();
    let input = EmitInput {
        run_id: bridge.run_id().to_owned(),
        event,
    };
    let activity = ctx.execute_activity(EmitActivity, input, options);
    async move {
        if let Err(e) = activity.await {
            tracing::warn!(error = %e, "an emitted event did not reach the other runs");
        }
        Value::Null
    }
    .boxed_local()
}

/// A child run as a child workflow on the parent's task queue; resolves to the outcome
/// envelope (`null` output for a child that is not awaited, once it started).
fn child<'a>(
    ctx: &'a WorkflowContext<ShopflowWorkflow>,
    bridge: &Bridge,
    flows: &[FlowSource],
    step: &StepId,
    flow: FlowRef,
    input: Value,
    token: WorkflowCancellationToken,
) -> LocalBoxFuture<'a, Value> {
    let Some(source) = find_flow(flows, &flow) else {
        let error = WorkflowError::new(ErrorKind::Configuration, "Unknown flow")
            .with_detail(format!(
                "no flow {}/{}:{} was given to this run (start it with --flow FILE)",
                flow.namespace, flow.name, flow.version
            ))
            .retryable(false);
        return std::future::ready(journal::outcome(&Err(error))).boxed_local();
    };
    let child_id = format!("{}/{step}", bridge.run_id());
    let run = RunInput {
        run_id: child_id.clone(),
        flow: source,
        flows: flows.to_vec(),
        input,
        carried: None,
        max_task_executions: None,
    };
    let options = ChildWorkflowOptions::builder()
        .workflow_id(child_id)
        .task_queue(ctx.task_queue().to_owned())
        .parent_close_policy(if flow.wait {
            ParentClosePolicy::Terminate
        } else {
            ParentClosePolicy::Abandon
        })
        .cancellation_token(token)
        .build();
    let started = ctx.start_child_workflow(ShopflowWorkflow::run, run, options);
    let wait = flow.wait;
    async move {
        let started = match started.await {
            Ok(started) => started,
            Err(e) => {
                let error = failure::infrastructure("the child run could not start", e.failure());
                return journal::outcome(&Err(error));
            }
        };
        if !wait {
            return journal::outcome(&Ok(Value::Null));
        }
        match started.result().await {
            Ok(output) => journal::outcome(&Ok(output)),
            Err(e) => {
                let error = e.failure().and_then(failure::find).unwrap_or_else(|| {
                    failure::infrastructure("the child run failed", e.failure())
                });
                journal::outcome(&Err(error))
            }
        }
    }
    .boxed_local()
}

/// The flow a `run.workflow` names among those given to the run (`latest`: the highest
/// version given).
fn find_flow(flows: &[FlowSource], flow: &FlowRef) -> Option<FlowSource> {
    let mut named = flows
        .iter()
        .filter(|f| f.namespace == flow.namespace && f.name == flow.name);
    if flow.version == "latest" {
        return named
            .max_by(|a, b| {
                match (
                    semver::Version::parse(&a.version),
                    semver::Version::parse(&b.version),
                ) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    (Err(_), Err(_)) => a.version.cmp(&b.version),
                }
            })
            .cloned();
    }
    named.find(|f| f.version == flow.version).cloned()
}
