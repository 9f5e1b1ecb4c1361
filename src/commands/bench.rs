//! `shopflow bench`: the workloads of DESIGN.md's performance targets, run through the real
//! engine path — deploy, `Engine::start` (the run journaled), the run scheduler, the function
//! registry with `noop`, durable timers — on a fresh SQLite journal with the production
//! durability (`synchronous=FULL`) unless told otherwise. Beside the result it prints this
//! disk's own single-row commit rate, so the two can be compared on any machine. The last
//! stdout line is one JSON object.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use rusqlite::Connection;
use serde_json::json;
use shopflow_core::{FunctionRegistry, RunStatus};
use shopflow_embedded::journal::{Options, Synchronous};
use shopflow_embedded::{Engine, EngineOptions};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};

use crate::commands::EXIT_INVALID_DEFINITION;

/// What the JSON says about the engine measured.
const ENGINE: &str = "embedded (engine scheduler, SQLite journal, group commit)";

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
    /// W2: runs of one `fork` with K parallel no-op calls.
    Fanout,
    /// W3: runs of K sequential 1-second durable timers.
    Timers,
    /// W4: runs of K no-op calls started open-loop at `--rate` runs per second.
    Arrivals,
    /// OCR: `--runs` A4 fapiao pages at 300 dpi read by `ocr.invoice`'s engine, one at a time
    /// on one core (no engine, no journal).
    Ocr,
    /// Ticket dispatch: `--runs` `shopflow.ticket.created` events published open-loop at
    /// `--rate` per second into `workflows/ticket-dispatch.yaml`; latency from the publish to
    /// `ticket.assign`'s committed answer.
    Dispatch,
}

impl Workload {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Chain => "chain",
            Workload::Fanout => "fanout",
            Workload::Timers => "timers",
            Workload::Arrivals => "arrivals",
            Workload::Ocr => "ocr",
            Workload::Dispatch => "dispatch",
        }
    }

    /// The flow a run of this workload runs.
    pub(crate) fn flow(self, steps: usize) -> String {
        let mut text = format!(
            "document: {{dsl: '1.0.3', namespace: bench, name: {}, version: '1.0.0'}}\ndo:\n",
            self.name()
        );
        match self {
            Workload::Chain | Workload::Arrivals => {
                for i in 1..=steps {
                    text.push_str(&format!("  - s{i}:\n      call: noop\n"));
                }
            }
            Workload::Fanout => {
                text.push_str("  - fan:\n      fork:\n        branches:\n");
                for i in 1..=steps {
                    text.push_str(&format!("          - b{i}:\n              call: noop\n"));
                }
            }
            Workload::Timers => {
                for i in 1..=steps {
                    text.push_str(&format!("  - t{i}:\n      wait:\n        seconds: 1\n"));
                }
            }
            Workload::Ocr => {
                for i in 1..=steps {
                    text.push_str(&format!("  - o{i}:\n      call: ocr.invoice\n"));
                }
            }
            // The shipped flow itself (`workflows/ticket-dispatch.yaml`); this is unused.
            Workload::Dispatch => text.push_str("  - d:\n      call: noop\n"),
        }
        text
    }
}

/// `PRAGMA synchronous` for the journal and the disk probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// Every commit fsynced (the product's setting).
    Full,
    /// WAL commits synced at checkpoints only (survives a process crash, not power loss).
    Normal,
}

impl BenchArgs {
    /// The journal's `synchronous` for `--synchronous`.
    pub(crate) fn synchronous_journal(&self) -> Synchronous {
        self.synchronous.journal()
    }

    /// `--synchronous` as the JSON names it.
    pub(crate) fn synchronous_name(&self) -> &'static str {
        self.synchronous.name()
    }
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
    /// Runs in flight at most (closed-loop workloads).
    pub concurrency: usize,
    /// Runs started per second (`arrivals`).
    pub rate: Option<f64>,
    /// The database file (a fresh temporary one unless given).
    pub db: Option<PathBuf>,
    /// Journal durability.
    pub synchronous: Durability,
    /// Print the JSON summary line.
    pub json: bool,
    /// The backend (the embedded engine unless `--backend temporal`).
    pub temporal: crate::commands::worker::TemporalArgs,
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
    if args.workload == Workload::Arrivals && !args.rate.is_some_and(|r| r > 0.0) {
        eprintln!("error: --workload arrivals needs --rate R (runs per second, above 0)");
        return ExitCode::from(EXIT_INVALID_DEFINITION);
    }
    if args.runs == 0 || args.steps == 0 || args.concurrency == 0 {
        eprintln!("error: --runs, --steps and --concurrency must be at least 1");
        return ExitCode::from(EXIT_INVALID_DEFINITION);
    }
    let outcome = if args.workload == Workload::Ocr {
        bench_ocr(args)
    } else if args.workload == Workload::Dispatch {
        crate::commands::bench_dispatch::bench(args)
    } else if args.temporal.backend == crate::commands::worker::Backend::Temporal {
        crate::commands::bench_temporal::bench(args)
    } else {
        bench(args)
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn bench(args: &BenchArgs) -> Result<ExitCode, String> {
    let registry = FunctionRegistry::with_builtins();
    let names: Vec<String> = registry.names().into_iter().map(str::to_owned).collect();
    let flow = args.workload.flow(args.steps);
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
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let (out, finished) = tokio::sync::mpsc::unbounded_channel();
    let options = EngineOptions {
        on_end: Some(end_hook(Arc::clone(&tracker), out.clone())),
        journal: Options {
            synchronous: args.synchronous.journal(),
            ..Options::default()
        },
        schedules: false,
        retention: None,
        sample_timers: args.workload == Workload::Timers,
        ..EngineOptions::default()
    };
    let runtime = match crate::commands::runtime() {
        Ok(rt) => rt,
        Err(code) => return Ok(code),
    };
    let (result, metrics, mut lateness) = runtime.block_on(async {
        let engine = Engine::open(&db, options, registry, names)
            .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
        engine
            .deploy(&flow)
            .await
            .map_err(|e| format!("cannot deploy the {} flow: {e}", args.workload.name()))?;
        let result = drive(args, &engine, &tracker, finished, &out).await;
        let metrics = engine.store().journal().metrics();
        Ok::<_, String>((result, metrics, engine.timer_lateness()))
    })?;
    drop(runtime);
    lateness.sort_by(f64::total_cmp);

    let mut latencies = result.latencies_ms;
    latencies.sort_by(f64::total_cmp);
    let wall = result.wall.as_secs_f64();
    let completed = latencies.len();
    let steps_per_sec = (completed * args.steps) as f64 / wall;
    let runs_per_sec = completed as f64 / wall;
    let p50 = percentile(&latencies, 50.0);
    let p99 = percentile(&latencies, 99.0);
    let peak_rss_mb = peak_rss_mb().unwrap_or(f64::NAN);

    let late_p50 = percentile(&lateness, 50.0) * 1000.0;
    let late_p99 = percentile(&lateness, 99.0) * 1000.0;
    println!("engine: {ENGINE}");
    println!(
        "database: {} (synchronous={})",
        db.display(),
        args.synchronous.name()
    );
    let shape = match args.workload {
        Workload::Arrivals => format!("{} runs/s offered", args.rate.unwrap_or(0.0)),
        _ => format!("{} in flight", args.concurrency),
    };
    println!(
        "{}: {} runs x {} steps, {shape}: {completed} completed, {} failed in {wall:.3} s",
        args.workload.name(),
        args.runs,
        args.steps,
        result.failed
    );
    if !lateness.is_empty() {
        println!(
            "timer lateness: p50 {late_p50:.1} ms, p99 {late_p99:.1} ms over {} timers",
            lateness.len()
        );
    }
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
        let mut summary = json!({
            "workload": args.workload.name(),
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
        if let Some(rate) = args.rate {
            summary["rate"] = json!(rate);
        }
        if !lateness.is_empty() {
            summary["timer_lateness_p50_ms"] = json!(round(late_p50, 2));
            summary["timer_lateness_p99_ms"] = json!(round(late_p99, 2));
        }
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
            // A start that succeeded: its run is counted when it ends.
            Ok(ms) if ms.is_nan() => {}
            Ok(ms) => self.latencies_ms.push(ms),
            Err(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

/// Where the benchmark keeps its runs between start and end: one small entry per run, so
/// the harness adds little to the memory it measures.
#[derive(Default)]
struct Tracker {
    /// Started runs not ended yet: when each started, and its concurrency permit.
    started: HashMap<String, (Instant, Option<OwnedSemaphorePermit>)>,
    /// Runs that ended before their start was registered.
    ended_early: HashMap<String, (Instant, RunStatus)>,
}

type Finished = tokio::sync::mpsc::UnboundedSender<Result<f64, String>>;

impl Tracker {
    fn finish(started: Instant, ended: Instant, id: &str, status: RunStatus, out: &Finished) {
        let result = if status == RunStatus::Completed {
            Ok(ended.duration_since(started).as_secs_f64() * 1000.0)
        } else {
            Err(format!("run {id} ended {}", status.as_str()))
        };
        let _ = out.send(result);
    }
}

/// The engine's end-of-run hook for the benchmark: reports each run's latency on `out`.
fn end_hook(tracker: Arc<Mutex<Tracker>>, out: Finished) -> shopflow_embedded::engine::RunEndHook {
    Arc::new(move |id: &str, status: RunStatus| {
        let now = Instant::now();
        let mut t = tracker.lock().unwrap_or_else(PoisonError::into_inner);
        match t.started.remove(id) {
            Some((begun, permit)) => {
                drop(permit);
                Tracker::finish(begun, now, id, status, &out);
            }
            None => {
                t.ended_early.insert(id.to_owned(), (now, status));
            }
        }
    })
}

/// Runs `args.runs` runs: closed loop (at most `args.concurrency` at a time) or, for
/// `arrivals`, open loop at `args.rate` runs per second whatever the engine's pace. Latency
/// is from the call to `Engine::start` to the engine's end-of-run hook.
async fn drive(
    args: &BenchArgs,
    engine: &Engine,
    tracker: &Arc<Mutex<Tracker>>,
    mut finished: tokio::sync::mpsc::UnboundedReceiver<Result<f64, String>>,
    out: &Finished,
) -> ChainResult {
    let flow = format!("bench/{}", args.workload.name());
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let mut starts = JoinSet::new();
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
        while let Some(joined) = starts.try_join_next() {
            result.record(joined.map(|r: Result<(), String>| r.map(|()| f64::NAN)));
        }
        while let Ok(done) = finished.try_recv() {
            result.record(Ok(done));
        }
        let permit = match args.rate {
            Some(rate) if args.workload == Workload::Arrivals => {
                #[expect(clippy::cast_precision_loss, reason = "run counts are far below 2^52")]
                let at = Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(tokio::time::Instant::from_std(started + at)).await;
                None
            }
            _ => match Arc::clone(&permits).acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => break,
            },
        };
        let engine = engine.clone();
        let flow = flow.clone();
        let tracker = Arc::clone(tracker);
        let out = out.clone();
        starts.spawn(async move {
            let begun = Instant::now();
            let id = engine
                .start(&flow, json!({}))
                .await
                .map_err(|e| e.to_string())?;
            let mut t = tracker.lock().unwrap_or_else(PoisonError::into_inner);
            match t.ended_early.remove(&id) {
                Some((ended, status)) => Tracker::finish(begun, ended, &id, status, &out),
                None => {
                    t.started.insert(id, (begun, permit));
                }
            }
            Ok::<(), String>(())
        });
    }
    while let Some(joined) = starts.join_next().await {
        result.record(joined.map(|r: Result<(), String>| r.map(|()| f64::NAN)));
    }
    while result.latencies_ms.len() + result.failed < args.runs {
        match finished.recv().await {
            Some(done) => result.record(Ok(done)),
            None => break,
        }
    }
    result.wall = started.elapsed();
    result.cpu_seconds = cpu_seconds().unwrap_or(0.0) - cpu_before;
    result
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

/// Reads `--runs` synthetic A4 fapiao pages (300 dpi, known truth) one after another on one
/// thread with Tesseract limited to one core, and reports seconds per page and field accuracy.
fn bench_ocr(args: &BenchArgs) -> Result<ExitCode, String> {
    use shopflow_ocr::{Kind, Options, samples};
    // OpenMP reads the limit when Tesseract first starts; the caller sets it.
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        eprintln!(
            "note: set OMP_THREAD_LIMIT=1 to hold Tesseract to one core (as docs/performance.md does)"
        );
    }
    let sample = samples::benchmark_fapiao_page().map_err(|e| e.to_string())?;
    let options = Options::default();
    let cpu_before = cpu_seconds().unwrap_or(0.0);
    let started = Instant::now();
    let mut latencies_ms = Vec::with_capacity(args.runs);
    let mut exact = 0usize;
    let mut fields = 0usize;
    let mut review = 0usize;
    for _ in 0..args.runs {
        let t = Instant::now();
        let result = shopflow_ocr::recognize_image(&sample.image, Kind::Invoice, &options)
            .map_err(|e| e.to_string())?;
        latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let scores = samples::compare(&sample.truth, &result);
        fields += scores.len();
        exact += scores.iter().filter(|s| s.correct).count();
        review += usize::from(result.needs_review);
    }
    shopflow_ocr::engine::Engines::global().release();
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().unwrap_or(0.0) - cpu_before;
    latencies_ms.sort_by(f64::total_cmp);
    let (p50, p99) = (
        percentile(&latencies_ms, 50.0),
        percentile(&latencies_ms, 99.0),
    );
    let pages_per_sec = args.runs as f64 / wall;
    let accuracy = exact as f64 / fields.max(1) as f64;
    let peak = peak_rss_mb().unwrap_or(f64::NAN);
    println!(
        "ocr: {} A4 pages at 300 dpi ({}x{} px), one at a time",
        args.runs,
        sample.image.width(),
        sample.image.height()
    );
    println!("per page: p50 {p50:.0} ms, p99 {p99:.0} ms; {pages_per_sec:.2} pages/s");
    println!(
        "process: CPU {cpu:.2} s ({:.2} s per page), peak RSS {peak:.1} MB",
        cpu / args.runs as f64
    );
    println!(
        "fields exact: {exact}/{fields} ({:.1} %); pages flagged for review: {review}",
        accuracy * 100.0
    );
    if args.json {
        println!(
            "{}",
            json!({
                "workload": "ocr",
                "runs": args.runs,
                "steps": 1,
                "concurrency": 1,
                "steps_per_sec": round(pages_per_sec, 3),
                "runs_per_sec": round(pages_per_sec, 3),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "peak_rss_mb": round(peak, 1),
                "cpu_seconds": round(cpu, 2),
                "cpu_seconds_per_page": round(cpu / args.runs as f64, 3),
                "fields_exact": exact,
                "fields": fields,
                "pages_needing_review": review,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The `p`th percentile (nearest rank) of ascending `sorted`; NaN when it is empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The process's peak resident set (`VmHWM` in `/proc/self/status`), in MiB.
pub(crate) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// User plus system CPU time of this process so far (`/proc/self/stat` fields 14 and 15).
pub(crate) fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Field 2 (the command name) may hold spaces; count from the `)` that closes it, after
    // which field 3 comes first.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: f64 = fields.get(15 - 3)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS_PER_SEC)
}

pub(crate) fn round(x: f64, places: i32) -> f64 {
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
    fn every_workload_flow_is_valid() {
        let registry = FunctionRegistry::with_builtins();
        let names = registry.names();
        for w in [
            Workload::Chain,
            Workload::Fanout,
            Workload::Timers,
            Workload::Arrivals,
        ] {
            let text = w.flow(5);
            let loaded = shopflow_dsl::load(text.as_bytes(), &names);
            assert!(loaded.is_ok(), "{}: {:?}", w.name(), loaded.err());
        }
    }
}
