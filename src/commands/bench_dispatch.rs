//! `shopflow bench --workload dispatch`: the ticket-dispatch target of DESIGN.md — a buyer's
//! ticket event in, the ticket assigned — measured through the whole product path: the event
//! published into the engine (journaled before `publish` returns), `schedule.on` starting a
//! run of the shipped `workflows/ticket-dispatch.yaml`, `ticket.classify` (the shipped model),
//! `customer.vip`, and `ticket.assign` committing the assignment to the desk's SQLite file.
//! Events arrive open-loop at `--rate` per second, whatever the engine's pace. Latency is from
//! the call to `Engine::publish` to `ticket.assign` returning its committed answer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow::app::{WorkerSetup, workers_with_clock};
use shopflow_connectors::Config;
use shopflow_core::{CallContext, Function, WorkflowError};
use shopflow_embedded::journal::Options;
use shopflow_embedded::{Clock, Engine, EngineOptions, SystemClock};

use crate::commands::bench::{BenchArgs, cpu_seconds, peak_rss_mb, percentile};

/// When each ticket's event was published, and when its assignment came back.
#[derive(Default)]
struct Stopwatch {
    published: HashMap<String, Instant>,
    assigned: HashMap<String, (Instant, String)>,
}

type Shared = Arc<Mutex<Stopwatch>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Stopwatch> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `ticket.assign`, timed: the real function, then the time its answer came back.
struct TimedAssign {
    inner: Arc<dyn Function>,
    watch: Shared,
}

impl Function for TimedAssign {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let ticket = args["ticket_id"].as_str().unwrap_or_default().to_owned();
        let call = self.inner.call(ctx, args);
        let watch = Arc::clone(&self.watch);
        Box::pin(async move {
            let out = call.await;
            if let Ok(v) = &out {
                let status = v["status"].as_str().unwrap_or_default().to_owned();
                lock(&watch)
                    .assigned
                    .insert(ticket, (Instant::now(), status));
            }
            out
        })
    }

    fn summary(&self) -> &'static str {
        self.inner.summary()
    }

    fn has_effects(&self) -> bool {
        self.inner.has_effects()
    }
}

/// Runs the benchmark; the JSON line has the latency percentiles and how many tickets were
/// assigned to an agent or queued.
pub fn bench(args: &BenchArgs) -> Result<ExitCode, String> {
    let rate = args.rate.filter(|r| *r > 0.0).unwrap_or(500.0);
    let runtime = crate::commands::runtime().map_err(|_| "cannot start the runtime".to_owned())?;
    runtime.block_on(run(args, rate))
}

async fn run(args: &BenchArgs, rate: f64) -> Result<ExitCode, String> {
    let root = if std::path::Path::new("workflows/ticket-dispatch.yaml").is_file() {
        PathBuf::from(".")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    };
    // The sandbox configuration's desk: seven agents with skills and caps, VIPs, SLAs.
    let config =
        Config::load(&root.join("workflows/sandbox/shopflow.toml")).map_err(|e| e.to_string())?;
    let flow = std::fs::read_to_string(root.join("workflows/ticket-dispatch.yaml"))
        .map_err(|e| format!("cannot read workflows/ticket-dispatch.yaml: {e}"))?;
    let texts = texts(&root)?;
    let temp = tempfile::TempDir::new().map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let workers = workers_with_clock(
        WorkerSetup {
            config,
            ticket_model: None,
            data_dir: temp.path().join("data"),
            public_url: "http://127.0.0.1:8080".into(),
        },
        Arc::clone(&clock),
    )?;
    let watch: Shared = Arc::default();
    let mut registry = workers.registry;
    let inner = registry
        .get("ticket.assign")
        .ok_or("ticket.assign is not registered")?;
    registry.register(
        "ticket.assign",
        Arc::new(TimedAssign {
            inner,
            watch: Arc::clone(&watch),
        }),
    );
    let names = registry.names().into_iter().map(str::to_owned).collect();
    let options = EngineOptions {
        journal: Options {
            synchronous: args.synchronous_journal(),
            ..Options::default()
        },
        clock,
        ..EngineOptions::default()
    };
    let engine = Engine::open(temp.path().join("bench.db"), options, registry, names)
        .map_err(|e| e.to_string())?;
    engine.deploy(&flow).await.map_err(|e| e.to_string())?;
    engine.start_background().map_err(|e| e.to_string())?;
    // One ticket first, not measured: the classifier trains its shipped model on first use.
    publish(&engine, &watch, "warmup", "你好，在吗", "tmall").await?;
    wait_for(&watch, 1, Duration::from_secs(60)).await;
    lock(&watch).assigned.clear();
    lock(&watch).published.clear();

    let cpu_before = cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let shops = ["tmall", "pdd", "douyin", "jd", "us-store"];
    for i in 0..args.runs {
        #[expect(
            clippy::cast_precision_loss,
            reason = "ticket counts are far below 2^52"
        )]
        let at = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let engine = engine.clone();
        let watch = Arc::clone(&watch);
        let text = texts[i % texts.len()].clone();
        let id = format!("B{i:06}");
        tokio::spawn(async move {
            if let Err(e) = publish(&engine, &watch, &id, &text, shops[i % shops.len()]).await {
                tracing::warn!(ticket = %id, "not published: {e}");
            }
        });
    }
    let complete = wait_for(&watch, args.runs, Duration::from_secs(120)).await;
    let wall = started.elapsed();
    let cpu = cpu_seconds().unwrap_or(0.0) - cpu_before;
    let (mut latencies, assigned, queued) = {
        let w = lock(&watch);
        let mut lat = Vec::with_capacity(w.assigned.len());
        let (mut assigned, mut queued) = (0, 0);
        for (id, (at, status)) in &w.assigned {
            if let Some(p) = w.published.get(id) {
                lat.push(at.duration_since(*p).as_secs_f64() * 1000.0);
            }
            match status.as_str() {
                "assigned" => assigned += 1,
                _ => queued += 1,
            }
        }
        (lat, assigned, queued)
    };
    latencies.sort_by(f64::total_cmp);
    let line = json!({
        "workload": "dispatch",
        "runs": args.runs,
        "rate": rate,
        "completed": latencies.len(),
        "failed": args.runs - latencies.len(),
        "assigned_to_agent": assigned,
        "queued": queued,
        "wall_seconds": round(wall.as_secs_f64()),
        "p50_ms": round(percentile(&latencies, 50.0)),
        "p99_ms": round(percentile(&latencies, 99.0)),
        "max_ms": round(latencies.last().copied().unwrap_or(f64::NAN)),
        "peak_rss_mb": peak_rss_mb().map(round),
        "cpu_seconds": round(cpu),
        "synchronous": args.synchronous_name(),
        "engine": "embedded: publish → schedule.on → ticket.classify → customer.vip → ticket.assign (desk SQLite)",
    });
    if !args.json {
        println!(
            "dispatch: {} tickets at {rate}/s: p50 {:.1} ms, p99 {:.1} ms (publish → assigned)",
            latencies.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0)
        );
    }
    println!("{line}");
    engine.shutdown(Duration::from_secs(1)).await;
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn publish(
    engine: &Engine,
    watch: &Shared,
    id: &str,
    text: &str,
    shop: &str,
) -> Result<(), String> {
    let event = json!({
        "specversion": "1.0",
        "id": format!("bench:{id}"),
        "source": "bench/helpdesk",
        "type": "shopflow.ticket.created",
        "subject": id,
        "data": {"ticket_id": id, "shop": shop, "buyer_id": format!("buyer-{id}"), "channel": "chat", "text": text},
    });
    lock(watch).published.insert(id.to_owned(), Instant::now());
    engine
        .publish(event)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Waits (bounded) until `n` tickets were assigned; whether they all were.
async fn wait_for(watch: &Shared, n: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if lock(watch).assigned.len() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// The held-out ticket texts (Chinese and English), never used to train the model.
fn texts(root: &std::path::Path) -> Result<Vec<String>, String> {
    let path = root.join("workflows/data/tickets/test.jsonl");
    let raw = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let texts: Vec<String> = raw
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect();
    if texts.is_empty() {
        return Err(format!("{} has no tickets", path.display()));
    }
    Ok(texts)
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
