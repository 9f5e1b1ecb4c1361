//! `shopflow bench --backend temporal`: the closed-loop workloads (W1 `chain`, W2 `fanout`,
//! W3 `timers`) on a Temporal cluster, through the same path `shopflow run --backend
//! temporal` takes — each run a `shopflow` workflow started by the client, its calls `noop`
//! activities run by a worker in this process on a task queue of its own. A run's latency runs
//! from the start request to the client seeing its result. The last stdout line is the same
//! JSON object as the embedded bench's (without the journal and disk fields, which belong to
//! the embedded engine; the cluster's own memory and CPU are not in `peak_rss_mb` and
//! `cpu_seconds`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopflow_core::FunctionRegistry;
use shopflow_temporal::{Cluster, FlowCatalog, RunEnding, RunInput, Worker};

use crate::commands::bench::{BenchArgs, Workload, cpu_seconds, peak_rss_mb, percentile, round};
use crate::commands::worker::worker_config;

/// Runs the workload on Temporal; `Err` for set-up failures (cluster unreachable, …).
pub fn bench(args: &BenchArgs) -> Result<ExitCode, String> {
    if !matches!(
        args.workload,
        Workload::Chain | Workload::Fanout | Workload::Timers
    ) {
        return Err(format!(
            "--workload {} is not available with --backend temporal (chain, fanout, timers are)",
            args.workload.name()
        ));
    }
    let address = args
        .temporal
        .address
        .clone()
        .ok_or("--backend temporal needs --temporal-address HOST:PORT")?;
    let runtime = crate::commands::runtime().map_err(|_| "cannot start the runtime")?;
    runtime.block_on(measure(args, &address))
}

async fn measure(args: &BenchArgs, address: &str) -> Result<ExitCode, String> {
    let cluster = Cluster::connect(address, &args.temporal.namespace)
        .await
        .map_err(|e| e.to_string())?;
    let stamp = format!(
        "{:x}{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        std::process::id()
    );
    let queue = args
        .temporal
        .task_queue
        .clone()
        .unwrap_or_else(|| format!("shopflow-bench-{stamp}"));
    let config = worker_config(&queue, FunctionRegistry::with_builtins(), &args.temporal);
    let flow = FlowCatalog::new(vec!["noop".into(), "echo".into()])
        .add(&args.workload.flow(args.steps))
        .map_err(|_| "the benchmark flow does not validate")?;
    let mut worker = Worker::new(&cluster, config).map_err(|e| e.to_string())?;
    let shutdown = worker.shutdown_handle();
    let cpu_before = cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let runs = async {
        let mut latencies = Vec::with_capacity(args.runs);
        let mut failed = 0usize;
        let mut first_error: Option<String> = None;
        let mut in_flight = tokio::task::JoinSet::new();
        let mut next = 0usize;
        while next < args.runs || !in_flight.is_empty() {
            while next < args.runs && in_flight.len() < args.concurrency {
                let input = RunInput {
                    run_id: format!("bench-{stamp}-{next}"),
                    flow: flow.clone(),
                    flows: Vec::new(),
                    input: Value::Object(serde_json::Map::new()),
                    carried: None,
                    max_task_executions: None,
                };
                let cluster = cluster.clone();
                let queue = queue.clone();
                in_flight.spawn(async move {
                    let t0 = Instant::now();
                    let run_id = input.run_id.clone();
                    cluster.start(input, &queue).await?;
                    let ending = cluster.wait(&run_id).await?;
                    Ok::<_, shopflow_temporal::Error>((ending, t0.elapsed()))
                });
                next += 1;
            }
            match in_flight.join_next().await {
                Some(Ok(Ok((RunEnding::Completed(_), took)))) => {
                    latencies.push(took.as_secs_f64() * 1000.0);
                }
                Some(Ok(Ok((ending, _)))) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| format!("{ending:?}"));
                }
                Some(Ok(Err(e))) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
                Some(Err(e)) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
                None => {}
            }
        }
        (latencies, failed, first_error)
    };
    let worker_run = worker.run();
    tokio::pin!(worker_run);
    let (mut latencies, failed, first_error) = tokio::select! {
        done = runs => done,
        stopped = &mut worker_run => {
            return Err(format!("the worker stopped: {stopped:?}"));
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().unwrap_or(0.0) - cpu_before;
    shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(15), worker_run).await;

    latencies.sort_by(f64::total_cmp);
    let completed = latencies.len();
    let steps_per_sec = (completed * args.steps) as f64 / wall;
    let runs_per_sec = completed as f64 / wall;
    let p50 = percentile(&latencies, 50.0);
    let p99 = percentile(&latencies, 99.0);
    let rss = peak_rss_mb().unwrap_or(f64::NAN);
    println!("engine: temporal at {address} (worker in this process, task queue {queue})");
    println!(
        "{}: {} runs x {} steps, {} in flight: {completed} completed, {failed} failed in {wall:.3} s",
        args.workload.name(),
        args.runs,
        args.steps,
        args.concurrency
    );
    if let Some(e) = &first_error {
        println!("first failure: {e}");
    }
    println!("throughput: {steps_per_sec:.1} steps/s, {runs_per_sec:.2} runs/s");
    println!("run latency: p50 {p50:.1} ms, p99 {p99:.1} ms");
    println!("this process: peak RSS {rss:.1} MB, CPU {cpu:.2} s during the runs");
    if args.json {
        let summary = json!({
            "workload": args.workload.name(),
            "runs": args.runs,
            "steps": args.steps,
            "concurrency": args.concurrency,
            "completed": completed,
            "failed": failed,
            "wall_seconds": round(wall, 4),
            "steps_per_sec": round(steps_per_sec, 1),
            "runs_per_sec": round(runs_per_sec, 2),
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
            "peak_rss_mb": round(rss, 1),
            "cpu_seconds": round(cpu, 2),
            "engine": format!("temporal at {address}"),
            "backend": "temporal",
        });
        println!("{summary}");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
