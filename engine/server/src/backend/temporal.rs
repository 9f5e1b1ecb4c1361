//! [`TemporalRuns`]: the REST API's runs on a Temporal cluster.
//!
//! - **Reading a run** is Temporal's description of the workflow whose id is the run id: its
//!   memo names the flow and version, its status gives `completed`, `faulted` (failed,
//!   terminated, timed out) or `cancelled`; an open run is `waiting` when the `shopflow.status`
//!   query (answered by a worker) reports a `listen` or a timer, else `running`. The input comes
//!   from the first event of its history, the output or error from its result.
//! - **Listing runs** asks Temporal's visibility store for the `shopflow` workflows of this
//!   serve's task queue (filtering by flow reads the memo of each), then queries each open one
//!   for `waiting`.
//! - **Events**: the engine journals an accepted event and starts the runs its `schedule.on`
//!   triggers (through [`super::TemporalLauncher`]); then the event is signalled to every open
//!   run on the task queue whose flow listens for its type (runs without a flow in their memo,
//!   such as child runs, get every event). Each run keeps it in its inbox until a `listen` takes
//!   it; a repeat of an event id is ignored there. One visibility listing and one signal per
//!   such run and event: the cost grows with the open runs. A repeated event (a platform's
//!   redelivery) is signalled again, so an event journaled before a lost signal still arrives.
//! - **Emits** of runs on the serve's own worker come back through the same path
//!   ([`EventRouter`]), so they are journaled and start `schedule.on` flows as on the embedded
//!   engine.
//! - **Runs started before the switch** (the same database served on the embedded engine until
//!   then) finish on the engine; a run id Temporal does not know is looked up there, and
//!   listings show both.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{CloudEvent, RunStatus, attribute_matches};
use shopflow_dsl::model::{ListenedTypes, listened_types};
use shopflow_embedded::journal::{RunFilter, RunRecord};
use shopflow_embedded::{Engine, EngineError, Published, RunView};
use shopflow_temporal::{Cluster, EventRouter, RunEnding, RunQuery, RunState, RunSummary};

/// How long a cancel waits for the run to end before answering with what it is then.
const CANCEL_PATIENCE: Duration = Duration::from_secs(10);
/// Open runs queried at once while listing.
const QUERIES_AT_ONCE: usize = 8;

/// Runs on one task queue of a Temporal cluster, with the engine as control plane.
pub struct TemporalRuns {
    engine: Engine,
    cluster: Cluster,
    task_queue: String,
    /// What each flow version (`namespace/name:version`) listens for.
    listens: Mutex<HashMap<String, ListenedTypes>>,
}

impl TemporalRuns {
    /// Runs on `task_queue` of `cluster`; `engine` must have been opened with a
    /// [`super::TemporalLauncher`] onto the same queue.
    pub fn new(engine: Engine, cluster: Cluster, task_queue: &str) -> Self {
        Self {
            engine,
            cluster,
            task_queue: task_queue.to_owned(),
            listens: Mutex::new(HashMap::new()),
        }
    }

    /// The control plane.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The cluster.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The task queue the runs are on.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    fn unavailable(e: &shopflow_temporal::Error) -> EngineError {
        EngineError::Unavailable(e.to_string())
    }

    async fn summary(&self, id: &str) -> Result<RunSummary, EngineError> {
        self.cluster
            .describe(id)
            .await
            .map_err(|e| Self::unavailable(&e))?
            .ok_or_else(|| EngineError::NotFound(format!("no run {id}")))
    }

    /// The run's status, asking an open run whether it waits.
    async fn status(&self, run: &RunSummary) -> RunStatus {
        match run.state {
            RunState::Completed => RunStatus::Completed,
            RunState::Faulted => RunStatus::Faulted,
            RunState::Cancelled => RunStatus::Cancelled,
            RunState::Open if self.cluster.activity(&run.id).await.waiting() => RunStatus::Waiting,
            RunState::Open => RunStatus::Running,
        }
    }

    fn view(run: RunSummary, status: RunStatus) -> RunView {
        RunView {
            record: RunRecord {
                id: run.id,
                flow: run.flow.unwrap_or_default(),
                version: run.version.unwrap_or_default(),
                status,
                input: Value::Null,
                output: None,
                error: None,
                created_ms: run.started_ms,
                updated_ms: run.closed_ms.unwrap_or(run.started_ms),
                parent: run.parent,
            },
            paused: None,
        }
    }

    /// Whether run `id` is one the engine drove itself (started before the switch).
    fn on_engine(&self, id: &str) -> Result<bool, EngineError> {
        Ok(self.engine.store().journal().run(id)?.is_some())
    }

    /// One run with its input and, once it ended, its output or error.
    pub async fn get(&self, id: &str) -> Result<RunView, EngineError> {
        if self.on_engine(id)? {
            return self.engine.get(id);
        }
        let run = self.summary(id).await?;
        let status = self.status(&run).await;
        let mut view = Self::view(run, status);
        view.record.input = self
            .cluster
            .input(id)
            .await
            .map_err(|e| Self::unavailable(&e))?
            .unwrap_or(Value::Null);
        if status.is_final() {
            match self
                .cluster
                .wait(id)
                .await
                .map_err(|e| Self::unavailable(&e))?
            {
                RunEnding::Completed(output) => view.record.output = Some(output),
                RunEnding::Faulted(error) => view.record.error = Some(error.to_json()),
                RunEnding::Cancelled => {}
                RunEnding::Ended(how) => {
                    view.record.error = Some(json!({
                        "type": "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
                        "status": 500,
                        "title": "Ended on Temporal",
                        "detail": format!("Temporal ended the run: {how}"),
                    }));
                }
            }
        }
        Ok(view)
    }

    /// Runs of the task queue matching `filter`, newest first.
    pub async fn list(&self, filter: &RunFilter) -> Result<Vec<RunView>, EngineError> {
        let state = match filter.status {
            None => None,
            Some(RunStatus::Running | RunStatus::Waiting) => Some(RunState::Open),
            Some(RunStatus::Completed) => Some(RunState::Completed),
            Some(RunStatus::Faulted) => Some(RunState::Faulted),
            Some(RunStatus::Cancelled) => Some(RunState::Cancelled),
            // Temporal starts runs at once and cannot suspend them.
            Some(_) => return Ok(Vec::new()),
        };
        let limit = filter.limit.and_then(|l| usize::try_from(l).ok());
        let runs = self
            .cluster
            .list(&RunQuery {
                task_queue: Some(self.task_queue.clone()),
                state,
                // A flow filter reads every run's memo: the limit applies after it.
                limit: if filter.flow.is_some() { None } else { limit },
            })
            .await
            .map_err(|e| Self::unavailable(&e))?;
        let runs: Vec<RunSummary> = runs
            .into_iter()
            .filter(|r| filter.flow.is_none() || r.flow == filter.flow)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        let mut views = futures::stream::iter(runs)
            .map(|run| async move {
                let status = self.status(&run).await;
                Self::view(run, status)
            })
            .buffered(QUERIES_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
        // Runs from before the switch, still in the engine's journal.
        let here = self.engine.list(filter)?;
        if !here.is_empty() {
            views.extend(here);
            views.sort_by(|a, b| {
                (b.record.created_ms, &b.record.id).cmp(&(a.record.created_ms, &a.record.id))
            });
            views.truncate(limit.unwrap_or(usize::MAX));
        }
        Ok(views)
    }

    /// Waits until the run has ended and returns it.
    pub async fn wait(&self, id: &str) -> Result<RunView, EngineError> {
        if self.on_engine(id)? {
            return self.engine.wait(id).await;
        }
        self.summary(id).await?;
        self.cluster
            .wait(id)
            .await
            .map_err(|e| Self::unavailable(&e))?;
        self.get(id).await
    }

    /// Asks Temporal to cancel an open run and waits a little for it to end; an ended run is
    /// a conflict.
    pub async fn cancel(&self, id: &str) -> Result<RunView, EngineError> {
        if self.on_engine(id)? {
            return self.engine.cancel(id).await;
        }
        let run = self.summary(id).await?;
        if run.state != RunState::Open {
            let status = self.status(&run).await;
            return Err(EngineError::Conflict(format!(
                "run {id} has ended ({})",
                status.as_str()
            )));
        }
        self.cluster
            .cancel(id)
            .await
            .map_err(|e| Self::unavailable(&e))?;
        // The run ends once a worker has cancelled what it was doing; without a worker it
        // stays open (cancel requested) and ends when one is back.
        let _ = tokio::time::timeout(CANCEL_PATIENCE, self.cluster.wait(id)).await;
        tracing::info!(run = %id, "run cancelled");
        self.get(id).await
    }

    /// Suspends a run that finishes on the engine; Temporal cannot suspend its runs.
    pub async fn suspend(&self, id: &str) -> Result<RunView, EngineError> {
        if self.on_engine(id)? {
            return self.engine.suspend(id).await;
        }
        Err(self.cannot("suspend", id).await)
    }

    /// Resumes a suspended run of the engine.
    pub async fn resume(&self, id: &str) -> Result<RunView, EngineError> {
        if self.on_engine(id)? {
            return self.engine.resume(id).await;
        }
        Err(self.cannot("resume", id).await)
    }

    /// What a refused `suspend`/`resume` says.
    async fn cannot(&self, action: &str, id: &str) -> EngineError {
        match self.summary(id).await {
            Err(e) => e,
            Ok(_) => EngineError::Conflict(format!(
                "run {id} runs on Temporal, which cannot {action} a run; cancel it instead, or let it wait"
            )),
        }
    }

    /// Journals the event, starts what it triggers and signals the runs that may listen for it.
    pub async fn publish(&self, event: CloudEvent) -> Result<Published, EngineError> {
        let published = self.engine.publish(event.clone()).await?;
        let mut event = event;
        if let Some(fields) = event.as_object_mut() {
            fields.entry("specversion").or_insert_with(|| json!("1.0"));
        }
        self.deliver(None, event)
            .await
            .map_err(EngineError::Unavailable)?;
        Ok(published)
    }

    /// Signals `event` to the open runs (but `skip`) whose flow may listen for it.
    async fn deliver(&self, skip: Option<&str>, event: CloudEvent) -> Result<usize, String> {
        let kind = event.get("type").cloned().unwrap_or(Value::Null);
        self.cluster
            .signal_open_runs(&self.task_queue, skip, event, |run| {
                self.may_listen(run, &kind)
            })
            .await
    }

    /// Whether `run`'s flow has a `listen` for events of type `kind` (yes when unknown).
    fn may_listen(&self, run: &RunSummary, kind: &Value) -> bool {
        let (Some(flow), Some(version)) = (&run.flow, &run.version) else {
            return true;
        };
        let key = format!("{flow}:{version}");
        let mut listens = self.listens.lock().unwrap_or_else(PoisonError::into_inner);
        if !listens.contains_key(&key) {
            match self.engine.workflow(&key) {
                Ok(wf) => {
                    listens.insert(key.clone(), listened_types(&wf));
                }
                // Deployed elsewhere, or removed: better one signal too many.
                Err(_) => return true,
            }
        }
        match listens.get(&key) {
            Some(ListenedTypes::Only(types)) => types.iter().any(|t| attribute_matches(t, kind)),
            _ => true,
        }
    }
}

impl TemporalRuns {
    /// Where a worker inside serve sends its runs' emits: through this intake, so they are
    /// journaled and start `schedule.on` flows as on the embedded engine.
    pub fn emit_router(self: &Arc<Self>) -> Arc<dyn EventRouter> {
        Arc::new(EmitIntake(Arc::clone(self)))
    }
}

/// The [`EventRouter`] of [`TemporalRuns::emit_router`].
struct EmitIntake(Arc<TemporalRuns>);

impl EventRouter for EmitIntake {
    fn route(&self, from: &str, event: CloudEvent) -> BoxFuture<'static, Result<(), String>> {
        let runs = Arc::clone(&self.0);
        let from = from.to_owned();
        Box::pin(async move {
            match runs.engine.publish(event.clone()).await {
                Ok(_) => {}
                // The engine refuses its shape now and forever: retrying cannot help.
                Err(EngineError::BadRequest { message, .. }) => {
                    tracing::error!(run = %from, %message, "an emitted event was refused");
                    return Ok(());
                }
                Err(e) => return Err(e.to_string()),
            }
            runs.deliver(Some(&from), event).await.map(drop)
        })
    }
}
