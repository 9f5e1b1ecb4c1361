//! The cluster goes away in the middle of a run and comes back (same port, same database):
//! the worker reconnects by itself and the run completes with nothing lost.

use std::path::Path;
use std::pin::pin;
use std::time::{Duration, Instant};

use serde_json::json;
use shopflow_core::FunctionRegistry;
use shopflow_temporal::dev_server::{DevServer, DevServerOptions, free_port};
use shopflow_temporal::{Cluster, FlowCatalog, RunEnding, RunInput, Worker, WorkerConfig};

const FLOW: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: outage, version: '1.0.0'}
do:
  - before:
      call: echo
      with: { step: 1 }
  - pause:
      wait: PT4S
  - after:
      call: echo
      with: { step: 2 }
"#;

fn workspace() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Waits until the run's history holds a started timer (the run is in its `wait`).
async fn until_waiting(cluster: &Cluster, run_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(history) = cluster.history_json(run_id).await
            && String::from_utf8_lossy(&history).contains("TimerStartedEventAttributes")
        {
            return;
        }
        assert!(Instant::now() < deadline, "the run never reached its wait");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_reconnects_when_the_cluster_comes_back() {
    let dir = tempfile_dir();
    let options = DevServerOptions {
        port: Some(free_port().expect("a port")),
        db_file: Some(dir.join("temporal.db")),
    };
    let server = DevServer::start(&workspace(), &options).expect("a dev server");
    let address = server.address().to_owned();
    let cluster = Cluster::connect(&address, "default")
        .await
        .expect("connected");
    let config = WorkerConfig::new(
        &format!("outage-{}", std::process::id()),
        FunctionRegistry::with_builtins(),
    );
    let queue = config.task_queue.clone();
    let mut worker = Worker::new(&cluster, config).expect("a worker");
    let shutdown = worker.shutdown_handle();
    let mut running = pin!(worker.run());
    let run_id = format!("outage-{}", std::process::id());
    let input = RunInput {
        run_id: run_id.clone(),
        flow: FlowCatalog::new(vec!["echo".into()])
            .add(FLOW)
            .expect("valid"),
        flows: Vec::new(),
        input: json!({}),
        carried: None,
        max_task_executions: None,
    };
    let body = async {
        cluster.start(input, &queue).await.expect("the run starts");
        until_waiting(&cluster, &run_id).await;
        // The outage: the server stops while the run waits, and is back 3 s later.
        drop(server);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let restarted =
            tokio::task::spawn_blocking(move || DevServer::start(&workspace(), &options))
                .await
                .expect("the restart thread")
                .expect("the server starts again");
        let ending = cluster.wait(&run_id).await.expect("the run's result");
        (ending, restarted)
    };
    let (ending, restarted) = tokio::select! {
        out = tokio::time::timeout(Duration::from_secs(150), body) => out.expect("the run ends in time"),
        stopped = &mut running => panic!("the worker stopped during the outage: {stopped:?}"),
    };
    shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(20), running).await;
    drop(restarted);
    let RunEnding::Completed(output) = ending else {
        panic!("the run did not complete: {ending:?}");
    };
    assert_eq!(output, json!({"step": 2}));
}

/// A fresh directory under the system temp dir for the server's database.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shopflow-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}
