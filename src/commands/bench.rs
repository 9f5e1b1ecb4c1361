//! `shopflow bench`: an early benchmark of the durable SQLite context on the chain workload
//! (W1 in DESIGN.md). There is no run scheduler yet: each run is one `SqliteContext` driven
//! by a tokio task, all sharing one `Store`. The last stdout line is one JSON object.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use rusqlite::Connection;
use serde_json::{Value, json};
use shopflow_core::FunctionRegistry;
use shopflow_dsl::Workflow;
use shopflow_embedded::journal::{Options, Synchronous};
use shopflow_embedded::{FlowCatalog, SqliteContext, Store};
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};

use crate::commands::EXIT_INVALID_DEFINITION;

/// What the JSON says about the engine measured, until the run scheduler exists.
const ENGINE: &str = "sqlite-context (no scheduler yet)";

/// Sequential one-row transactions used to measure the disk's commit rate.
const DISK_PROBE_COMMITS: u32 = 300;

/// Linux reports `/proc/self/stat` CPU times in clock ticks; `getconf CLK_TCK` is 100 on every
/// mainstream Linux build, and reading it at run time would need libc (`unsafe` is forbidden).
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// The workload shapes of DESIGN.md's performance targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// W1: runs of K sequential no-op calls.
    Chain,
    /// W2: parallel calls per run (needs the engine).
    Fanout,
    /// W3: runs sleeping on durable timers (needs the engine).
    Timers,
    /// W4: open-loop arrivals at a fixed rate (needs the engine).
    Arrivals,
}

/// `PRAGMA synchronous` for the journal and the disk probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// Every commit fsynced (the product's setting).
    Full,
    /// WAL commits synced at checkpoints only (survives a process crash, not power loss).
    Normal,
}

impl Durability {
    fn journal(self) -> Synchronous {
        match self {
            Durability::Full => Synchronous::Full,
            Durability::Normal => Synchronous::Normal,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// What `shopflow bench` was asked to do.
pub struct BenchArgs {
    /// The workload shape.
    pub workload: Workload,
    /// Runs to start.
    pub runs: usize,
    /// Steps per run.
    pub steps: usize,
    /// Runs in flight at most.
    pub concurrency: usize,
    /// The database file (a fresh temporary one unless given).
    pub db: Option<PathBuf>,
    /// Journal durability.
    pub synchronous: Durability,
    /// Print the JSON summary line.
    pub json: bool,
}

/// What one chain benchmark measured.
struct ChainResult {
    latencies_ms: Vec<f64>,
    failed: usize,
    first_error: Option<String>,
    wall: Duration,
    cpu_seconds: f64,
}

/// Runs the benchmark; exit 0 when every run completed, 1 on a failure, 2 for a workload
/// that is not available yet or unusable arguments.
pub fn run(args: &BenchArgs) -> ExitCode {
    if args.workload != Workload::Chain {
        let name = args
            .workload
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        eprintln!(
            "error: the {name} workload is not available yet: it comes with the run scheduler; only `--workload chain` runs today"
        );
        return ExitCode::from(EXIT_INVALID_DEFINITION);
    }
    if args.runs == 0 || args.steps == 0 || args.concurrency == 0 {
        eprintln!("error: --runs, --steps and --concurrency must be at least 1");
        return ExitCode::from(EXIT_INVALID_DEFINITION);
    }
    match bench_chain(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn bench_chain(args: &BenchArgs) -> Result<ExitCode, String> {
    let registry = FunctionRegistry::with_builtins();
    let workflow = chain_flow(args.steps, &registry)?;
    // The temporary directory lives until the end of this function.
    let temp = tempfile::TempDir::new().map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let db = match &args.db {
        Some(path) => {
            if path.exists() {
                return Err(format!(
                    "{} exists; the benchmark needs a fresh database file",
                    path.display()
                ));
            }
            path.clone()
        }
        None => temp.path().join("bench.db"),
    };
    // The probe file sits next to the journal, so both measure the same filesystem.
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join(format!(".shopflow-bench-probe-{}.db", std::process::id()));
    let disk_commits_per_sec = disk_commit_rate(&probe, args.synchronous)?;
    let options = Options {
        synchronous: args.synchronous.journal(),
        ..Options::default()
    };
    let store = Arc::new(
        Store::open(&db, options).map_err(|e| format!("cannot open {}: {e}", db.display()))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(run_chain(args, &store, workflow, registry));
    let metrics = store.journal().metrics();
    drop(store);

    let mut latencies = result.latencies_ms;
    latencies.sort_by(f64::total_cmp);
    let wall = result.wall.as_secs_f64();
    let completed = latencies.len();
    let steps_per_sec = (completed * args.steps) as f64 / wall;
    let runs_per_sec = completed as f64 / wall;
    let p50 = percentile(&latencies, 50.0);
    let p99 = percentile(&latencies, 99.0);
    let peak_rss_mb = peak_rss_mb().unwrap_or(f64::NAN);

    println!("engine: {ENGINE}");
    println!(
        "database: {} (synchronous={})",
        db.display(),
        args.synchronous.name()
    );
    println!(
        "chain: {} runs x {} noop steps, {} in flight: {completed} completed, {} failed in {wall:.3} s",
        args.runs, args.steps, args.concurrency, result.failed
    );
    if let Some(e) = &result.first_error {
        println!("first failure: {e}");
    }
    println!("throughput: {steps_per_sec:.0} steps/s, {runs_per_sec:.1} runs/s");
    println!("run latency: p50 {p50:.3} ms, p99 {p99:.3} ms");
    println!(
        "per-step wall time: {:.4} ms (wall / (runs x steps))",
        wall * 1000.0 / (args.runs * args.steps) as f64
    );
    println!(
        "journal: {} rows in {} group commits (largest {})",
        metrics.rows, metrics.batches, metrics.max_batch_rows
    );
    println!(
        "disk: {disk_commits_per_sec:.0} single-row commits/s (synchronous={})",
        args.synchronous.name()
    );
    println!(
        "process: peak RSS {peak_rss_mb:.1} MB, CPU {:.2} s during the runs",
        result.cpu_seconds
    );
    if args.json {
        let summary = json!({
            "workload": "chain",
            "runs": args.runs,
            "steps": args.steps,
            "concurrency": args.concurrency,
            "completed": completed,
            "failed": result.failed,
            "wall_seconds": round(wall, 4),
            "steps_per_sec": round(steps_per_sec, 1),
            "runs_per_sec": round(runs_per_sec, 2),
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
            "peak_rss_mb": round(peak_rss_mb, 1),
            "cpu_seconds": round(result.cpu_seconds, 2),
            "disk_commits_per_sec": round(disk_commits_per_sec, 1),
            "synchronous": args.synchronous.name(),
            "engine": ENGINE,
            "journal_batches": metrics.batches,
            "journal_rows": metrics.rows,
            "journal_max_batch_rows": metrics.max_batch_rows,
        });
        println!("{summary}");
    }
    Ok(if result.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl ChainResult {
    /// Counts one finished run: its latency, or its failure.
    fn record(&mut self, joined: Result<Result<f64, String>, JoinError>) {
        match joined.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(ms) => self.latencies_ms.push(ms),
            Err(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

/// Runs `args.runs` runs of `workflow`, at most `args.concurrency` at a time.
async fn run_chain(
    args: &BenchArgs,
    store: &Arc<Store>,
    workflow: Workflow,
    registry: FunctionRegistry,
) -> ChainResult {
    let workflow = Arc::new(workflow);
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let mut tasks = JoinSet::new();
    let cpu_before = cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let mut result = ChainResult {
        latencies_ms: Vec::with_capacity(args.runs),
        failed: 0,
        first_error: None,
        wall: Duration::ZERO,
        cpu_seconds: 0.0,
    };
    for i in 0..args.runs {
        // Reap finished runs as we go: a finished task's memory is held until it is joined.
        while let Some(joined) = tasks.try_join_next() {
            result.record(joined);
        }
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let store = Arc::clone(store);
        let workflow = Arc::clone(&workflow);
        let registry = registry.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let begun = Instant::now();
            let ctx = SqliteContext::open(
                store,
                &format!("bench-{i}"),
                registry,
                FlowCatalog::default(),
            )
            .map_err(|e| e.to_string())?;
            ctx.run(&workflow, json!({}), Value::Null)
                .await
                .map_err(|e| e.to_json().to_string())?;
            Ok::<f64, String>(begun.elapsed().as_secs_f64() * 1000.0)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        result.record(joined);
    }
    result.wall = started.elapsed();
    result.cpu_seconds = cpu_seconds().unwrap_or(0.0) - cpu_before;
    result
}

/// A flow of `steps` sequential `call: noop` tasks.
fn chain_flow(steps: usize, registry: &FunctionRegistry) -> Result<Workflow, String> {
    let mut text = String::from(
        "document: {dsl: '1.0.3', namespace: bench, name: chain, version: '1.0.0'}\ndo:\n",
    );
    for i in 1..=steps {
        text.push_str(&format!("  - s{i}:\n      call: noop\n"));
    }
    let names = registry.names();
    shopflow_dsl::load(text.as_bytes(), &names)
        .map(|loaded| loaded.workflow)
        .map_err(|diags| format!("the generated chain flow is invalid: {diags:?}"))
}

/// Sequential one-row commits per second on `path`, with the journal's SQLite settings (WAL,
/// the given `synchronous`). The file is removed afterwards.
fn disk_commit_rate(path: &Path, durability: Durability) -> Result<f64, String> {
    let fail = |e: rusqlite::Error| format!("disk probe on {}: {e}", path.display());
    let conn = Connection::open(path).map_err(fail)?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map_err(fail)?;
    conn.pragma_update(None, "synchronous", durability.pragma())
        .map_err(fail)?;
    conn.execute(
        "CREATE TABLE probe (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        [],
    )
    .map_err(fail)?;
    let mut insert = conn
        .prepare("INSERT INTO probe (body) VALUES (?1)")
        .map_err(fail)?;
    let started = Instant::now();
    for i in 0..DISK_PROBE_COMMITS {
        // Autocommit: each INSERT is its own transaction.
        insert.execute([format!("{{\"ok\":{i}}}")]).map_err(fail)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(insert);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(f64::from(DISK_PROBE_COMMITS) / elapsed)
}

/// The `p`th percentile (nearest rank) of ascending `sorted`; NaN when it is empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The process's peak resident set (`VmHWM` in `/proc/self/status`), in MiB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// User plus system CPU time of this process so far (`/proc/self/stat` fields 14 and 15).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Field 2 (the command name) may hold spaces; count from the `)` that closes it, after
    // which field 3 comes first.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: f64 = fields.get(15 - 3)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS_PER_SEC)
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_takes_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&sorted, 0.0), 1.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn the_chain_flow_has_the_asked_number_of_noop_calls() {
        let flow = chain_flow(10, &FunctionRegistry::with_builtins());
        assert!(flow.is_ok(), "{:?}", flow.err());
    }
}
