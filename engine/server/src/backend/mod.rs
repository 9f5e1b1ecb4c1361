//! [`Backend`]: the durable engine under the HTTP handlers — the embedded engine, or a Temporal
//! cluster ([`TemporalRuns`]).
//!
//! Both keep the control plane in the embedded [`Engine`] on the `--db` file: deployed flow
//! versions, the event journal (an accepted event is journaled there before the 2xx, and a
//! repeated id is recognised), `schedule.on` triggers, `cron`/`every` schedules and API
//! tokens. What differs is where runs run, and so how a run is read, listed, cancelled and
//! handed an event; those operations go through this type. Everything else the handlers need
//! is [`Backend::engine`].

mod launcher;
mod temporal;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use serde_json::Value;
use shopflow_core::CloudEvent;
use shopflow_embedded::journal::RunFilter;
use shopflow_embedded::{Engine, EngineError, Published, RunView};

pub use launcher::TemporalLauncher;
pub use temporal::TemporalRuns;

/// Where runs run; cheap to clone.
#[derive(Clone)]
pub enum Backend {
    /// In this process, on the embedded engine.
    Embedded(Engine),
    /// On a Temporal cluster; the engine keeps flows, events, schedules and tokens.
    Temporal(Arc<TemporalRuns>),
}

impl From<Engine> for Backend {
    fn from(engine: Engine) -> Self {
        Backend::Embedded(engine)
    }
}

impl From<Arc<TemporalRuns>> for Backend {
    fn from(runs: Arc<TemporalRuns>) -> Self {
        Backend::Temporal(runs)
    }
}

/// Handlers that need only the control plane (tokens, flows) take `State<Engine>` on either
/// backend.
impl FromRef<Backend> for Engine {
    fn from_ref(backend: &Backend) -> Engine {
        backend.engine().clone()
    }
}

impl Backend {
    /// The embedded engine: the runs on [`Backend::Embedded`], the control plane on both.
    pub fn engine(&self) -> &Engine {
        match self {
            Backend::Embedded(engine) => engine,
            Backend::Temporal(runs) => runs.engine(),
        }
    }

    /// `embedded` or `temporal`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded(_) => "embedded",
            Backend::Temporal(_) => "temporal",
        }
    }

    /// Starts a run of `flow` (`namespace/name[:version]`); returns its id once the backend
    /// holds it durably.
    pub async fn start(&self, flow: &str, input: Value) -> Result<String, EngineError> {
        // On Temporal the engine hands the run to its launcher.
        self.engine().start(flow, input).await
    }

    /// One run.
    pub async fn get(&self, id: &str) -> Result<RunView, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.get(id),
            Backend::Temporal(runs) => runs.get(id).await,
        }
    }

    /// Runs matching `filter`, newest first.
    pub async fn list(&self, filter: &RunFilter) -> Result<Vec<RunView>, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.list(filter),
            Backend::Temporal(runs) => runs.list(filter).await,
        }
    }

    /// Waits until run `id` has ended (on the embedded engine also: is suspended, or no longer
    /// driven) and returns it.
    pub async fn wait(&self, id: &str) -> Result<RunView, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.wait(id).await,
            Backend::Temporal(runs) => runs.wait(id).await,
        }
    }

    /// Cancels a run; an ended run is a conflict.
    pub async fn cancel(&self, id: &str) -> Result<RunView, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.cancel(id).await,
            Backend::Temporal(runs) => runs.cancel(id).await,
        }
    }

    /// Suspends a run (on the embedded engine; Temporal has no suspend: a conflict).
    pub async fn suspend(&self, id: &str) -> Result<RunView, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.suspend(id).await,
            Backend::Temporal(runs) => runs.suspend(id).await,
        }
    }

    /// Resumes a suspended run (on the embedded engine).
    pub async fn resume(&self, id: &str) -> Result<RunView, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.resume(id).await,
            Backend::Temporal(runs) => runs.resume(id).await,
        }
    }

    /// Journals an accepted CloudEvent (durable when this returns; a repeated id is a
    /// duplicate), starts the `schedule.on` runs it triggers and hands it to the runs that may
    /// be listening for it.
    pub async fn publish(&self, event: CloudEvent) -> Result<Published, EngineError> {
        match self {
            Backend::Embedded(engine) => engine.publish(event).await,
            Backend::Temporal(runs) => runs.publish(event).await,
        }
    }

    /// Counts a platform message or webhook with its outcome in `shopflow_intake_total`.
    pub fn count_intake(&self, source: &str, outcome: &str) {
        self.engine().count_intake(source, outcome);
    }

    /// Stops taking work; on the embedded engine lets calls in flight finish for up to
    /// `grace` and parks the runs (Temporal keeps its runs; its workers stop on their own).
    pub async fn shutdown(&self, grace: Duration) {
        self.engine().shutdown(grace).await;
    }
}
