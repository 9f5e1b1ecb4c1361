//! The engine's Prometheus metrics: runs and steps by flow and status, step latency, queue
//! depth and journal batch sizes. **Why prometheus-client:** the Prometheus project's own
//! Rust client, with typed label sets and OpenMetrics text encoding, and no global registry.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::durable::CallObserver;
use crate::journal::Journal;

/// Labels of run counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RunLabels {
    pub(crate) flow: String,
    pub(crate) status: String,
}

/// Labels of step counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StepLabels {
    pub(crate) flow: String,
    pub(crate) function: String,
    pub(crate) status: String,
}

/// Labels of the step latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FlowLabels {
    pub(crate) flow: String,
}

/// Labels of the intake counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct IntakeLabels {
    pub(crate) source: String,
    pub(crate) outcome: String,
}

/// Every metric the engine keeps, registered in one registry.
pub struct EngineMetrics {
    registry: Registry,
    pub(crate) runs_started: Family<FlowLabels, Counter>,
    pub(crate) runs_ended: Family<RunLabels, Counter>,
    steps: Family<StepLabels, Counter>,
    step_seconds: Family<FlowLabels, Histogram>,
    pub(crate) runs_live: Gauge,
    pub(crate) runs_waiting: Gauge,
    pub(crate) calls_in_flight: Gauge,
    pub(crate) runs_paused: Gauge,
    timer_lateness: Histogram,
    intake: Family<IntakeLabels, Counter>,
    /// Every timer's lateness in seconds, when sampling is on (benchmarks).
    lateness_samples: Option<Mutex<Vec<f64>>>,
}

impl std::fmt::Debug for EngineMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineMetrics").finish_non_exhaustive()
    }
}

impl EngineMetrics {
    /// Registers every metric, including the journal's batch-size histogram.
    pub(crate) fn new(journal: &Journal, sample_timers: bool) -> EngineMetrics {
        let mut registry = Registry::with_prefix("shopflow");
        let runs_started = Family::<FlowLabels, Counter>::default();
        registry.register(
            "runs_started",
            "Runs started, by flow",
            runs_started.clone(),
        );
        let runs_ended = Family::<RunLabels, Counter>::default();
        registry.register(
            "runs_ended",
            "Runs that ended (completed, faulted, cancelled), by flow and status",
            runs_ended.clone(),
        );
        let steps = Family::<StepLabels, Counter>::default();
        registry.register(
            "steps",
            "Calls executed (not replayed), by flow, function and status (ok, error)",
            steps.clone(),
        );
        let step_seconds = Family::<FlowLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.000_05, 2.0, 20))) as fn() -> Histogram,
        );
        registry.register(
            "step_duration_seconds",
            "How long executed calls took, by flow",
            step_seconds.clone(),
        );
        let runs_live = Gauge::default();
        registry.register(
            "runs_live",
            "Runs in memory (running or waiting)",
            runs_live.clone(),
        );
        let runs_waiting = Gauge::default();
        registry.register(
            "runs_waiting",
            "Live runs waiting for a timer or an event",
            runs_waiting.clone(),
        );
        let calls_in_flight = Gauge::default();
        registry.register(
            "calls_in_flight",
            "Calls executing now (the queue of work in progress)",
            calls_in_flight.clone(),
        );
        let runs_paused = Gauge::default();
        registry.register(
            "runs_paused",
            "Runs stopped by a journal failure (disk full, database busy), retrying",
            runs_paused.clone(),
        );
        registry.register(
            "journal_batch_rows",
            "Rows per journal transaction (group commit: one fsync per batch)",
            journal.batch_histogram(),
        );
        let timer_lateness = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "timer_lateness_seconds",
            "How late durable timers fired after their due time",
            timer_lateness.clone(),
        );
        let intake = Family::<IntakeLabels, Counter>::default();
        registry.register(
            "intake",
            "Platform push messages and webhooks, by source (platform) and outcome \
             (accepted, duplicate, or the reason they were rejected)",
            intake.clone(),
        );
        EngineMetrics {
            intake,
            timer_lateness,
            lateness_samples: sample_timers.then(|| Mutex::new(Vec::new())),
            registry,
            runs_started,
            runs_ended,
            steps,
            step_seconds,
            runs_live,
            runs_waiting,
            calls_in_flight,
            runs_paused,
        }
    }

    /// Every timer's lateness in seconds since the engine opened (empty unless sampling).
    pub(crate) fn lateness_samples(&self) -> Vec<f64> {
        self.lateness_samples
            .as_ref()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .unwrap_or_default()
    }

    /// Counts one message from `source` (a platform) with its outcome.
    pub fn count_intake(&self, source: &str, outcome: &str) {
        self.intake
            .get_or_create(&IntakeLabels {
                source: source.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The metrics in the Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn run_started(&self, flow: &str) {
        self.runs_started
            .get_or_create(&FlowLabels {
                flow: flow.to_owned(),
            })
            .inc();
    }

    pub(crate) fn run_ended(&self, flow: &str, status: &str) {
        self.runs_ended
            .get_or_create(&RunLabels {
                flow: flow.to_owned(),
                status: status.to_owned(),
            })
            .inc();
    }
}

impl CallObserver for EngineMetrics {
    fn call_done(&self, flow: &str, function: &str, ok: bool, elapsed: Duration) {
        self.steps
            .get_or_create(&StepLabels {
                flow: flow.to_owned(),
                function: function.to_owned(),
                status: if ok { "ok" } else { "error" }.to_owned(),
            })
            .inc();
        self.step_seconds
            .get_or_create(&FlowLabels {
                flow: flow.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    fn timer_fired(&self, lateness: Duration) {
        self.timer_lateness.observe(lateness.as_secs_f64());
        if let Some(samples) = &self.lateness_samples {
            samples
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(lateness.as_secs_f64());
        }
    }
}
