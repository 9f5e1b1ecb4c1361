//! Runs on a real Temporal dev server: the same flows give the same results as on the
//! embedded engine; events, children, timers, continue-as-new, unknown flows and secrets
//! behave as docs/operations.md says.

mod support;

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_core::{ErrorKind, FunctionRegistry, RunOptions, WorkflowError, run_workflow};
use shopflow_embedded::{FlowCatalog as EmbeddedCatalog, MemoryContext};
use shopflow_temporal::{Cluster, FlowSource, RunEnding, RunInput, Worker, WorkerConfig};

/// How long a run may take before the test fails (real time).
const GUARD: Duration = Duration::from_secs(90);

/// A worker config on a queue of its own with the built-in functions.
fn config() -> WorkerConfig {
    WorkerConfig::new(&support::unique("tq"), FunctionRegistry::with_builtins())
}

/// Runs `body` while a worker made from `config` serves its queue.
async fn with_worker<T>(config: WorkerConfig, body: impl AsyncFnOnce(Cluster, String) -> T) -> T {
    let cluster = support::cluster().await;
    let task_queue = config.task_queue.clone();
    let mut worker = Worker::new(&cluster, config).expect("a worker");
    let shutdown = worker.shutdown_handle();
    let mut running = pin!(worker.run());
    let out = tokio::select! {
        out = tokio::time::timeout(GUARD, body(cluster, task_queue)) => out.expect("the test body finishes in time"),
        stopped = &mut running => panic!("the worker stopped: {stopped:?}"),
    };
    shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(20), running).await;
    out
}

/// A run input for `yaml` with its source.
fn run_input(run_id: &str, yaml: &str, input: Value) -> RunInput {
    let catalog = shopflow_temporal::FlowCatalog::new(vec!["noop".into(), "echo".into()]);
    let flow = catalog.add(yaml).expect("a valid flow");
    RunInput {
        run_id: run_id.to_owned(),
        flow,
        flows: Vec::new(),
        input,
        carried: None,
        max_task_executions: None,
    }
}

/// Runs `yaml` on Temporal to its end.
async fn on_temporal(yaml: &str, input: Value) -> RunEnding {
    let yaml = yaml.to_owned();
    with_worker(config(), async move |cluster, queue| {
        let id = support::unique("run");
        cluster
            .start(run_input(&id, &yaml, input), &queue)
            .await
            .expect("the run starts");
        cluster.wait(&id).await.expect("the run ends")
    })
    .await
}

/// Runs `yaml` on the embedded engine's in-memory context.
async fn on_embedded(yaml: &str, input: Value) -> Result<Value, WorkflowError> {
    let wf = shopflow_dsl::load(yaml.as_bytes(), &["noop", "echo"])
        .expect("a valid flow")
        .workflow;
    let ctx = MemoryContext::new(
        "embedded",
        FunctionRegistry::with_builtins(),
        EmbeddedCatalog::default(),
    );
    let options = RunOptions {
        run_id: "embedded".into(),
        input,
        ..RunOptions::default()
    };
    run_workflow(&wf, &ctx, options).await
}

fn same(temporal: &RunEnding, embedded: &Result<Value, WorkflowError>) -> bool {
    match (temporal, embedded) {
        (RunEnding::Completed(a), Ok(b)) => a == b,
        (RunEnding::Faulted(a), Err(b)) => a.to_json() == b.to_json(),
        _ => false,
    }
}

const CHAIN: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: chain, version: '1.0.0'}
do:
  - first:
      call: echo
      with: { n: '${ .n }' }
  - second:
      call: noop
  - third:
      set: { doubled: '${ $input.n * 2 }', items: '${ [range(3)] }' }
  - each:
      for: { in: '${ .items }', each: item }
      do:
        - add:
            set: '${ . + { ("i" + ($item | tostring)): $item } }'
  - pick:
      switch:
        - big: { when: '${ $input.n > 10 }', then: exit }
        - small: { then: continue }
  - tail:
      set: '${ . + { small: true } }'
"#;

const FAULTS: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: faults, version: '1.0.0'}
do:
  - guarded:
      try:
        - fail:
            raise:
              error: { type: https://serverlessworkflow.io/spec/1.0.0/errors/communication, status: 503, title: Down }
      catch:
        errors: { with: { status: 503 } }
        as: err
        do:
          - note:
              set: { caught: '${ $err.title }' }
  - fatal:
      raise:
        error: { type: https://serverlessworkflow.io/spec/1.0.0/errors/validation, status: 400, title: 'Bad order', detail: '${ "order " + ($input.order | tostring) }' }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_end_as_on_the_embedded_engine() {
    for (yaml, input) in [
        (CHAIN, json!({"n": 3})),
        (CHAIN, json!({"n": 30})),
        (FAULTS, json!({"order": 7})),
    ] {
        let temporal = on_temporal(yaml, input.clone()).await;
        let embedded = on_embedded(yaml, input).await;
        assert!(
            same(&temporal, &embedded),
            "Temporal: {temporal:?}\nembedded: {embedded:?}"
        );
    }
}

const LISTEN: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: listen, version: '1.0.0'}
do:
  - paid:
      listen:
        to:
          one:
            with: { type: shopflow.taobao.trade.buyerpay }
  - picked:
      listen:
        to:
          one:
            with: { type: shopflow.warehouse.picked }
  - done:
      set: { events: '${ [$input, .] }' }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_as_the_envelope_signal_before_or_after_the_listen() {
    let ending = with_worker(config(), async |cluster, queue| {
        let id = support::unique("listen");
        cluster
            .start(run_input(&id, LISTEN, json!({})), &queue)
            .await
            .expect("the run starts");
        // The second event arrives before its listen starts: it waits in the inbox.
        let picked = json!({"specversion": "1.0", "id": "e2", "source": "test", "type": "shopflow.warehouse.picked", "data": {"picked": "A1"}});
        let unrelated = json!({"specversion": "1.0", "id": "e0", "source": "test", "type": "shopflow.other"});
        let paid = json!({"specversion": "1.0", "id": "e1", "source": "test", "type": "shopflow.taobao.trade.buyerpay", "data": {"paid": "A1"}});
        cluster.publish(&id, picked).await.expect("delivered");
        cluster.publish(&id, unrelated).await.expect("delivered");
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.publish(&id, paid).await.expect("delivered");
        cluster.wait(&id).await.expect("the run ends")
    })
    .await;
    let RunEnding::Completed(output) = ending else {
        panic!("the run did not complete: {ending:?}");
    };
    // A listen's output is the data of the events it consumed.
    assert_eq!(output["events"][1], json!([{"picked": "A1"}]), "{output}");
}

const TIMEOUT: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: timeout, version: '1.0.0'}
do:
  - quick:
      call: echo
      with: { ok: true }
      timeout:
        after: PT1H
  - slow:
      try:
        - never:
            listen:
              to:
                one:
                  with: { type: shopflow.never }
            timeout:
              after: PT1S
      catch:
        errors: { with: { status: 408 } }
        do:
          - late:
              set: { timedOut: true }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_task_cancels_its_timeout_timer() {
    let (ending, history) = with_worker(config(), async |cluster, queue| {
        let id = support::unique("timeout");
        cluster
            .start(run_input(&id, TIMEOUT, json!({})), &queue)
            .await
            .expect("the run starts");
        let ending = cluster.wait(&id).await.expect("the run ends");
        (ending, cluster.history_json(&id).await.expect("a history"))
    })
    .await;
    assert!(
        matches!(&ending, RunEnding::Completed(v) if v["timedOut"] == json!(true)),
        "{ending:?}"
    );
    let history = String::from_utf8_lossy(&history);
    // The hour-long timer of `quick` was cancelled by a command, not left to fire.
    assert!(
        history.contains("TimerCanceledEventAttributes"),
        "no timer was cancelled: {history}"
    );
}

const CHILD: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: child, version: '1.0.0'}
do:
  - square:
      set: { y: '${ .x * .x }' }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_workflow_task_runs_a_child_workflow_on_the_same_queue() {
    let yaml = r#"
document: {dsl: '1.0.3', namespace: test, name: parent, version: '1.0.0'}
do:
  - child:
      run:
        workflow: { namespace: test, name: child, version: '1.0.0', input: { x: '${ .x }' } }
"#;
    let ending = with_worker(config(), async |cluster, queue| {
        let id = support::unique("parent");
        let catalog = shopflow_temporal::FlowCatalog::new(vec![]);
        let child = catalog.add(CHILD).expect("valid");
        let mut input = run_input(&id, yaml, json!({"x": 7}));
        input.flows = vec![child];
        cluster.start(input, &queue).await.expect("the run starts");
        cluster.wait(&id).await.expect("the run ends")
    })
    .await;
    let embedded = {
        let wf = shopflow_dsl::load(yaml.as_bytes(), &[])
            .expect("valid")
            .workflow;
        let catalog = EmbeddedCatalog::default();
        catalog.add(Arc::new(
            shopflow_dsl::load(CHILD.as_bytes(), &[])
                .expect("valid")
                .workflow,
        ));
        let ctx = MemoryContext::new("embedded", FunctionRegistry::with_builtins(), catalog);
        run_workflow(
            &wf,
            &ctx,
            RunOptions {
                run_id: "embedded".into(),
                input: json!({"x": 7}),
                ..RunOptions::default()
            },
        )
        .await
    };
    assert!(same(&ending, &embedded), "{ending:?} vs {embedded:?}");
}

const LOOP: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: loop, version: '1.0.0'}
do:
  - each:
      for: { in: '${ [range(40)] }', each: i }
      do:
        - step:
            call: echo
            with: { i: '${ $i }' }
        - add:
            set: '${ . + { total: ((.total // 0) + $i) } }'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_continues_as_new_and_keeps_its_results() {
    let mut config = config();
    config.history_limit = 60;
    let (ending, history) = with_worker(config, async |cluster, queue| {
        let id = support::unique("loop");
        cluster
            .start(run_input(&id, LOOP, json!({})), &queue)
            .await
            .expect("the run starts");
        let ending = cluster.wait(&id).await.expect("the run ends");
        (ending, cluster.history_json(&id).await.expect("a history"))
    })
    .await;
    let embedded = on_embedded(LOOP, json!({})).await;
    assert!(same(&ending, &embedded), "{ending:?} vs {embedded:?}");
    // The execution that ended was started by a continue-as-new, and holds only what was left
    // of the 40 activities (~240 history events in one execution).
    let history: Value = serde_json::from_slice(&history).expect("JSON");
    let events = history["events"].as_array().map_or(0, Vec::len);
    let started = &history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"];
    assert_ne!(
        started["continued_execution_run_id"],
        json!(""),
        "{started}"
    );
    assert!(events < 120, "the last execution has {events} events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_version_the_worker_does_not_know_faults_the_run() {
    let ending = with_worker(config(), async |cluster, queue| {
        let id = support::unique("unknown");
        let input = RunInput {
            run_id: id.clone(),
            flow: FlowSource {
                namespace: "test".into(),
                name: "chain".into(),
                version: "9.9.9".into(),
                source: None,
            },
            flows: Vec::new(),
            input: json!({}),
            carried: None,
            max_task_executions: None,
        };
        cluster.start(input, &queue).await.expect("the run starts");
        cluster.wait(&id).await.expect("the run ends")
    })
    .await;
    let RunEnding::Faulted(error) = ending else {
        panic!("expected a fault, got {ending:?}");
    };
    assert!(error.is(ErrorKind::Configuration), "{error:?}");
    assert!(
        error
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("test/chain:9.9.9")),
        "{error:?}"
    );
}

const SECRET: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: secret, version: '1.0.0'}
use:
  secrets: [shop]
do:
  - sign:
      call: echo
      with: { auth: '${ "Bearer " + $secrets.shop.token }' }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_functions_but_not_the_history() {
    let mut config = config();
    config.secrets = Arc::new(|names: &[String]| {
        if names.iter().any(|n| n == "shop") {
            json!({"shop": {"token": "s3cr3t-t0ken"}})
        } else {
            json!({})
        }
    });
    let (ending, history) = with_worker(config, async |cluster, queue| {
        let id = support::unique("secret");
        cluster
            .start(run_input(&id, SECRET, json!({})), &queue)
            .await
            .expect("the run starts");
        let ending = cluster.wait(&id).await.expect("the run ends");
        (ending, cluster.history_json(&id).await.expect("a history"))
    })
    .await;
    // echo returns its arguments, so the output (in the history too) carries the secret: the
    // point is that the *activity input* does not.
    assert!(
        matches!(&ending, RunEnding::Completed(v) if v["auth"] == json!("Bearer s3cr3t-t0ken")),
        "{ending:?}"
    );
    let history: Value = serde_json::from_slice(&history).expect("JSON");
    let scheduled = history["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["attributes"].get("ActivityTaskScheduledEventAttributes"))
        .map(Value::to_string)
        .collect::<String>();
    assert!(!scheduled.is_empty(), "no activity was scheduled");
    assert!(
        !decoded_payloads(&scheduled).contains("s3cr3t"),
        "the secret is in an activity input"
    );
}

/// The JSON payloads (base64 in the history) inside `text`, decoded and joined.
fn decoded_payloads(text: &str) -> String {
    use base64::Engine as _;
    text.split('"')
        .filter_map(|part| base64::engine::general_purpose::STANDARD.decode(part).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

const WAITER: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: waiter, version: '1.0.0'}
do:
  - handoff:
      listen:
        to:
          one:
            with: { type: test.handoff }
"#;

const EMITTER: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: emitter, version: '1.0.0'}
do:
  - announce:
      emit:
        event:
          with: { source: urn:test, type: test.handoff, data: { from: emitter } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emitted_event_reaches_a_run_listening_on_the_same_queue() {
    let ending = with_worker(config(), async |cluster, queue| {
        let waiter = support::unique("waiter");
        cluster
            .start(run_input(&waiter, WAITER, json!({})), &queue)
            .await
            .expect("the waiter starts");
        // The emitter runs only once the waiter is open, or the broadcast would miss it.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while cluster.listening(&waiter).await.unwrap_or(0) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the waiter never listened"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let emitter = support::unique("emitter");
        cluster
            .start(run_input(&emitter, EMITTER, json!({})), &queue)
            .await
            .expect("the emitter starts");
        cluster.wait(&waiter).await.expect("the waiter ends")
    })
    .await;
    assert!(
        matches!(&ending, RunEnding::Completed(v) if *v == json!([{"from": "emitter"}])),
        "{ending:?}"
    );
}
