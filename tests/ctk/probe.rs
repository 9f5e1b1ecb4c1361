//! A transparent [`Durable`] wrapper around [`MemoryContext`] that lets a scenario see when
//! the run is waiting for an event, so "published after the listen started" is a fact the test
//! waits on rather than a guess made with a sleep.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shopflow_core::{
    CallRequest, CloudEvent, Durable, EventMatcher, FlowRef, StepId, TaskEvent, WorkflowError,
};
use shopflow_embedded::MemoryContext;
use tokio::sync::watch;

/// Delegates every operation to the memory context; counts the `listen`s in progress.
#[derive(Clone)]
pub struct Probe {
    inner: MemoryContext,
    listening: Arc<watch::Sender<usize>>,
}

/// Lowers the count of waiting listeners when a wait ends or is dropped (a timeout, a lost race).
struct Waiting(Arc<watch::Sender<usize>>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Probe {
    /// Wraps `inner`.
    pub fn new(inner: MemoryContext) -> Self {
        Self {
            inner,
            listening: Arc::new(watch::channel(0).0),
        }
    }

    /// How many `listen` waits are in progress, as it changes.
    pub fn listening(&self) -> watch::Receiver<usize> {
        self.listening.subscribe()
    }
}

impl Durable for Probe {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        self.inner.call(step, request)
    }

    fn sleep(&self, step: &StepId, duration: Duration) -> impl Future<Output = ()> + Send {
        self.inner.sleep(step, duration)
    }

    fn next_event(
        &self,
        step: &StepId,
        matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send {
        let wait = self.inner.next_event(step, matcher);
        let listening = Arc::clone(&self.listening);
        async move {
            listening.send_modify(|n| *n += 1);
            let _waiting = Waiting(listening);
            wait.await
        }
    }

    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        self.inner.emit(step, event)
    }

    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send {
        self.inner.now(step)
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        self.inner.random(step)
    }

    fn child(
        &self,
        step: &StepId,
        flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        self.inner.child(step, flow, input)
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        self.inner.decide(step, proposed)
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        self.inner.recorded(step)
    }

    fn observe(&self, event: TaskEvent) {
        self.inner.observe(event);
    }
}
