//! Replays recorded histories against this build: histories recorded by earlier builds (in
//! `tests/data/histories/`) must still replay, a fresh one must replay, and a history whose
//! flow no longer matches the commands recorded must be reported as nondeterministic.
//!
//! `SHOPFLOW_RECORD_HISTORIES=1 cargo test -p shopflow-temporal --test replay` (re)records the
//! fixtures; do that only for a deliberate, patched change (see docs/operations.md).

mod support;

use std::path::PathBuf;
use std::pin::pin;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use shopflow_core::FunctionRegistry;
use shopflow_temporal::{Error, FlowCatalog, RunEnding, RunInput, Worker, WorkerConfig, replay};

/// A flow with every kind of command the driver issues: activities, a timer, a cancelled
/// timer, an event, an emit and a child.
const FLOW: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: replayed, version: '1.0.0'}
do:
  - greet:
      call: echo
      with: { hello: '${ .name }' }
      timeout:
        after: PT1H
  - pause:
      wait: PT1S
  - child:
      run:
        workflow: { namespace: test, name: child, version: '1.0.0', input: { x: 3 } }
  - announce:
      emit:
        event:
          with: { source: urn:test, type: test.ready, data: { ready: true } }
  - ready:
      listen:
        to:
          one:
            with: { type: test.ready }
  - paid:
      listen:
        to:
          one:
            with: { type: test.paid }
  - done:
      call: noop
"#;

const CHILD: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: child, version: '1.0.0'}
do:
  - square:
      set: { y: '${ .x * .x }' }
"#;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/histories")
}

/// Runs FLOW to its end and returns its history.
async fn record() -> Vec<u8> {
    let cluster = support::cluster().await;
    let config = WorkerConfig::new(
        &support::unique("replay"),
        FunctionRegistry::with_builtins(),
    );
    let queue = config.task_queue.clone();
    let mut worker = Worker::new(&cluster, config).expect("a worker");
    let shutdown = worker.shutdown_handle();
    let mut running = pin!(worker.run());
    let catalog = FlowCatalog::new(vec!["noop".into(), "echo".into()]);
    let id = support::unique("replayed");
    let input = RunInput {
        run_id: id.clone(),
        flow: catalog.add(FLOW).expect("valid"),
        flows: vec![catalog.add(CHILD).expect("valid")],
        input: json!({"name": "Ada"}),
        carried: None,
        max_task_executions: None,
    };
    let body = async {
        cluster.start(input, &queue).await.expect("the run starts");
        let paid =
            json!({"specversion": "1.0", "id": "p1", "source": "urn:test", "type": "test.paid"});
        cluster.publish(&id, paid).await.expect("delivered");
        let ending = cluster.wait(&id).await.expect("the run ends");
        assert!(matches!(ending, RunEnding::Completed(_)), "{ending:?}");
        cluster.history_json(&id).await.expect("a history")
    };
    let history = tokio::select! {
        h = tokio::time::timeout(Duration::from_secs(90), body) => h.expect("in time"),
        stopped = &mut running => panic!("the worker stopped: {stopped:?}"),
    };
    shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(20), running).await;
    history
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_history_replays() {
    let history = record().await;
    if std::env::var_os("SHOPFLOW_RECORD_HISTORIES").is_some() {
        let dir = fixtures();
        std::fs::create_dir_all(&dir).expect("the fixture folder");
        std::fs::write(dir.join("every-command.json"), &history).expect("written");
    }
    replay::check(&history, FunctionRegistry::with_builtins())
        .await
        .expect("the history replays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_histories_still_replay() {
    let dir = fixtures();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/data/histories exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let history = std::fs::read(&path).expect("readable");
        if let Err(e) = replay::check(&history, FunctionRegistry::with_builtins()).await {
            panic!("{} no longer replays: {e}", path.display());
        }
        checked += 1;
    }
    assert!(checked > 0, "no recorded history in {}", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_changed_under_a_recorded_run_is_nondeterministic() {
    let history = record().await;
    // The flow in the recorded input gains a first call: replaying it would schedule an
    // activity where the history has the other one.
    let changed = FLOW.replace(
        "do:\n  - greet:",
        "do:\n  - extra:\n      call: noop\n  - greet:",
    );
    let tampered = with_flow_source(&history, &changed);
    let result = replay::check(&tampered, FunctionRegistry::with_builtins()).await;
    match result {
        Err(Error::Nondeterminism { reason, .. }) => {
            eprintln!("replay reported: {reason}");
            assert!(reason.to_lowercase().contains("nondetermin"), "{reason}");
        }
        other => panic!("the changed flow replayed: {other:?}"),
    }
}

/// `history` with the flow source in its start event's input replaced by `source`.
fn with_flow_source(history: &[u8], source: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut history: Value = serde_json::from_slice(history).expect("JSON");
    let payload = &mut history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"]
        ["input"]["payloads"][0]["data"];
    let data = b64
        .decode(payload.as_str().expect("base64 payload"))
        .expect("base64");
    let mut input: Value = serde_json::from_slice(&data).expect("the run input");
    input["flow"]["source"] = json!(source);
    *payload = json!(b64.encode(serde_json::to_vec(&input).expect("JSON")));
    serde_json::to_vec(&history).expect("JSON")
}
