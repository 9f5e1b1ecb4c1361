//! `shopflow run FILE --backend temporal`: one run on a Temporal cluster with a worker inside
//! the `run` process, printing and exiting exactly like the embedded `run`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use shopflow_core::FunctionRegistry;
use shopflow_dsl::Workflow;
use shopflow_temporal::{Cluster, RunEnding, RunInput, Worker};

use crate::commands::EXIT_INVALID_DEFINITION;
use crate::commands::worker::{TemporalArgs, deploy, worker_config};

/// One `shopflow run --backend temporal`.
pub struct TemporalRun<'a> {
    /// The flow file and its validated definition.
    pub file: &'a Path,
    /// Its definition.
    pub workflow: &'a Workflow,
    /// Flows its `run.workflow` tasks may start.
    pub flows: &'a [PathBuf],
    /// The input.
    pub input: Value,
    /// The functions (mocks included) the in-process worker runs.
    pub functions: FunctionRegistry,
    /// The cluster.
    pub temporal: &'a TemporalArgs,
}

/// Runs one flow on Temporal with a worker in this process; prints the output (exit 0) or
/// the error (exit 1) like the embedded `run`.
pub async fn run_on_temporal(run: TemporalRun<'_>) -> ExitCode {
    let address = match run.temporal.address() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_INVALID_DEFINITION);
        }
    };
    let d = &run.workflow.document;
    let run_id = format!("{}-{}-{}", d.namespace, d.name, unique_suffix());
    // A queue of its own unless told: mocks and `--config` apply to this process's worker only.
    let task_queue = run
        .temporal
        .task_queue
        .clone()
        .unwrap_or_else(|| format!("shopflow-run-{run_id}"));
    let config = worker_config(&task_queue, run.functions, run.temporal);
    let main = match deploy(&config, run.file) {
        Ok(source) => source,
        Err(code) => return ExitCode::from(code),
    };
    let mut flows = vec![main.clone()];
    for path in run.flows {
        match deploy(&config, path) {
            Ok(source) => flows.push(source),
            Err(code) => return ExitCode::from(code),
        }
    }
    let cluster = match Cluster::connect(address, &run.temporal.namespace).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut worker = match Worker::new(&cluster, config) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let shutdown = worker.shutdown_handle();
    let input = RunInput {
        run_id: run_id.clone(),
        flow: main,
        flows,
        input: run.input,
        carried: None,
        max_task_executions: None,
    };
    let waited = async {
        cluster.start(input, &task_queue).await?;
        cluster.wait(&run_id).await
    };
    let worker_run = worker.run();
    tokio::pin!(worker_run);
    let ending = tokio::select! {
        ending = waited => ending,
        stopped = &mut worker_run => {
            let reason = match stopped {
                Ok(()) => "the worker stopped".to_owned(),
                Err(e) => e.to_string(),
            };
            eprintln!("error: run {run_id}: {reason}");
            return ExitCode::from(1);
        }
    };
    shutdown();
    if tokio::time::timeout(Duration::from_secs(15), worker_run)
        .await
        .is_err()
    {
        tracing::warn!("the in-process worker did not stop within 15 s");
    }
    print_ending(&run_id, ending)
}

/// Prints a run's ending like the embedded `run` does and gives the exit status.
fn print_ending(run_id: &str, ending: Result<RunEnding, shopflow_temporal::Error>) -> ExitCode {
    let (value, code) = match ending {
        Ok(RunEnding::Completed(output)) => (output, ExitCode::SUCCESS),
        Ok(RunEnding::Faulted(error)) => (error.to_json(), ExitCode::from(1)),
        Ok(RunEnding::Cancelled) => {
            eprintln!("error: run {run_id} was cancelled");
            return ExitCode::from(1);
        }
        Ok(RunEnding::Ended(how)) => {
            eprintln!("error: run {run_id} ended on Temporal: {how}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
    );
    code
}

/// A suffix that makes run ids unique enough: the time in nanoseconds and the process id.
fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}{:x}", std::process::id())
}
