//! The interpreter is deterministic: a run replayed from its journal takes the same path and
//! gives the same output without executing any function again, and no two durable operations
//! of a run share a StepId.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_core::{
    CallContext, CallRequest, CloudEvent, Durable, EventMatcher, FlowRef, FunctionRegistry,
    RunOptions, StepId, TaskEvent, WorkflowError, idempotency_key, run_workflow,
};

/// A durable context that journals every result by StepId and replays from the journal.
struct Journal {
    registry: FunctionRegistry,
    entries: Mutex<BTreeMap<StepId, Value>>,
    /// StepIds used by this execution, to catch two operations sharing one.
    used: Mutex<Vec<StepId>>,
    executed: AtomicUsize,
}

impl Journal {
    fn new(registry: FunctionRegistry) -> Self {
        Self {
            registry,
            entries: Mutex::default(),
            used: Mutex::default(),
            executed: AtomicUsize::new(0),
        }
    }

    fn replaying(&self) -> Self {
        let entries = self.entries.lock().map(|e| e.clone()).unwrap_or_default();
        Self {
            registry: self.registry.clone(),
            entries: Mutex::new(entries),
            used: Mutex::default(),
            executed: AtomicUsize::new(0),
        }
    }

    fn use_step(&self, step: &StepId) {
        if let Ok(mut used) = self.used.lock() {
            assert!(
                !used.contains(step),
                "two durable operations share the StepId {step}"
            );
            used.push(step.clone());
        }
    }

    fn get(&self, step: &StepId) -> Option<Value> {
        self.entries.lock().ok().and_then(|e| e.get(step).cloned())
    }

    fn put(&self, step: &StepId, v: Value) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert(step.clone(), v);
        }
    }
}

impl Durable for Journal {
    fn call(
        &self,
        step: &StepId,
        request: CallRequest,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        self.use_step(step);
        let step = step.clone();
        async move {
            if let Some(v) = self.get(&step) {
                return match v.get("ok") {
                    Some(ok) => Ok(ok.clone()),
                    None => Err(serde_json::from_value::<WorkflowError>(v["err"].clone())
                        .map_err(|e| {
                            WorkflowError::new(shopflow_core::ErrorKind::Runtime, e.to_string())
                        })?),
                };
            }
            self.executed.fetch_add(1, Ordering::SeqCst);
            let ctx = CallContext {
                run_id: "r1".into(),
                idempotency_key: idempotency_key("r1", &step),
                instance: request.instance.clone(),
            };
            let result = self
                .registry
                .call(&request.function, ctx, request.args)
                .await;
            match &result {
                Ok(v) => self.put(&step, json!({"ok": v})),
                Err(e) => self.put(&step, json!({"err": e})),
            }
            result
        }
    }

    fn sleep(&self, step: &StepId, _duration: Duration) -> impl Future<Output = ()> + Send {
        self.use_step(step);
        std::future::ready(())
    }

    fn next_event(
        &self,
        step: &StepId,
        _matcher: EventMatcher,
    ) -> impl Future<Output = CloudEvent> + Send {
        self.use_step(step);
        std::future::pending()
    }

    fn emit(
        &self,
        step: &StepId,
        event: CloudEvent,
    ) -> impl Future<Output = Result<CloudEvent, WorkflowError>> + Send {
        self.use_step(step);
        std::future::ready(Ok(event))
    }

    fn now(&self, step: &StepId) -> impl Future<Output = i64> + Send {
        self.use_step(step);
        let v = self.get(step).and_then(|v| v.as_i64()).unwrap_or_else(|| {
            let t = 1_700_000_000_000
                + i64::try_from(self.executed.fetch_add(1, Ordering::SeqCst)).unwrap_or(0);
            self.put(step, json!(t));
            t
        });
        std::future::ready(v)
    }

    fn random(&self, step: &StepId) -> impl Future<Output = u64> + Send {
        self.use_step(step);
        std::future::ready(7)
    }

    fn child(
        &self,
        step: &StepId,
        _flow: FlowRef,
        input: Value,
    ) -> impl Future<Output = Result<Value, WorkflowError>> + Send {
        self.use_step(step);
        std::future::ready(Ok(input))
    }

    fn decide(&self, step: &StepId, proposed: Value) -> impl Future<Output = Value> + Send {
        let v = self.get(step).unwrap_or_else(|| {
            self.put(step, proposed.clone());
            proposed
        });
        std::future::ready(v)
    }

    fn recorded(&self, step: &StepId) -> impl Future<Output = Option<Value>> + Send {
        std::future::ready(self.get(step))
    }

    fn observe(&self, _event: TaskEvent) {}
}

/// Fails the first `failures` calls, then echoes its arguments with a call count.
struct Flaky {
    failures: usize,
    calls: Arc<AtomicUsize>,
}

impl shopflow_core::Function for Flaky {
    fn call(
        &self,
        _ctx: CallContext,
        args: Value,
    ) -> futures::future::BoxFuture<'static, Result<Value, WorkflowError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let fail = n < self.failures;
        Box::pin(async move {
            if fail {
                Err(
                    WorkflowError::new(shopflow_core::ErrorKind::Communication, "flaky")
                        .with_status(503),
                )
            } else {
                Ok(json!({"args": args, "call": n}))
            }
        })
    }

    fn summary(&self) -> &'static str {
        "test"
    }
}

const FLOW: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: replay, version: '1.0.0'}
do:
  - start:
      set:
        items: [a, b, c]
        at: ${ $workflow.startedAt.epoch.milliseconds }
  - each:
      for: {each: item, in: .items}
      do:
        - charge:
            call: echo
            with:
              item: ${ $item }
              index: ${ $index }
        - keep:
            set: { seen: '${ ($input.seen // []) + [.item] }', items: '${ $input.items }' }
  - both:
      fork:
        branches:
          - left:
              call: echo
              with: {side: left}
          - right:
              call: echo
              with: {side: right}
  - flaky:
      try:
        - attempt:
            call: flaky
            with: {n: 1}
      catch:
        errors: {with: {status: 503}}
        retry:
          delay: {seconds: 1}
          backoff: {exponential: {}}
          jitter: {from: {seconds: 0}, to: {seconds: 2}}
          limit: {attempt: {count: 5}}
  - count:
      set:
        n: 0
  - loop:
      set:
        n: ${ .n + 1 }
      then: check
  - check:
      switch:
        - again: {when: '.n < 3', then: loop}
        - done: {then: continue}
  - last:
      call: echo
      with:
        n: ${ .n }
"#;

fn registry(calls: Arc<AtomicUsize>) -> FunctionRegistry {
    let mut r = FunctionRegistry::with_builtins();
    r.register("flaky", Arc::new(Flaky { failures: 2, calls }));
    r
}

#[tokio::test]
async fn replay_from_the_journal_executes_nothing_and_gives_the_same_output() {
    let names = ["noop", "echo", "flaky"];
    let wf = shopflow_dsl::load(FLOW.as_bytes(), &names)
        .expect("valid flow")
        .workflow;
    let calls = Arc::new(AtomicUsize::new(0));
    let first = Journal::new(registry(Arc::clone(&calls)));
    let options = RunOptions {
        run_id: "r1".into(),
        input: json!({}),
        ..RunOptions::default()
    };
    let out = run_workflow(&wf, &first, options.clone())
        .await
        .expect("first run completes");
    assert_eq!(out, json!({"n": 3}));
    // 3 charges + 2 fork branches + 3 flaky attempts + 1 last = 9 function executions.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let executed_first = first.used.lock().map(|u| u.len()).unwrap_or(0);
    assert!(
        executed_first >= 9,
        "expected at least 9 durable operations, got {executed_first}"
    );

    let replay = first.replaying();
    let again = run_workflow(&wf, &replay, options)
        .await
        .expect("replay completes");
    assert_eq!(again, out);
    assert_eq!(
        replay.executed.load(Ordering::SeqCst),
        0,
        "a replay must not execute functions"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "the flaky function ran again on replay"
    );
    let used_first = first.used.lock().map(|u| u.clone()).unwrap_or_default();
    let used_replay = replay.used.lock().map(|u| u.clone()).unwrap_or_default();
    assert_eq!(
        used_first, used_replay,
        "the replay must take the same steps in the same order"
    );
}
