//! The embedded engine: deployed flows, the run scheduler, recovery after a restart,
//! schedules and event triggers, cancel/suspend/resume, retention and graceful shutdown,
//! all on one [`Store`].
//!
//! A live run is a tokio task driving the interpreter on a [`SqliteContext`]; it parks
//! (costs memory, no CPU) while it waits for a timer or an event. After a restart every
//! unfinished run is driven again from the start: journaled steps return their stored
//! results, so the run continues where it was. A run stopped by a journal failure (disk
//! full, database busy) is retried with backoff from its journal until the condition clears.

mod error;
mod flows;
mod launcher;
mod metrics;
mod retry;
mod schedule;
mod timeline;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_core::{CloudEvent, FunctionRegistry, RunStatus, idempotency_key};
use shopflow_dsl::Workflow;
use tokio::sync::watch;
use tokio::task::AbortHandle;

pub use error::EngineError;
pub use flows::{FlowInfo, parse_flow_ref};
pub use launcher::{FlowText, Launch, RunLauncher};
pub use metrics::EngineMetrics;
pub use retry::retried_from;
pub use timeline::{EntryStatus, Timeline, TimelineEntry, pointer_of};

use crate::FlowCatalog;
use crate::durable::{Clock, SqliteContext, Store, SystemClock};
use crate::journal::{
    EventInsert, FlowInsert, FlowRecord, NewEvent, Options, RunFilter, RunRecord,
};

pub use crate::durable::SecretSource;

/// How an engine is set up.
#[derive(Clone)]
pub struct EngineOptions {
    /// The journal's durability and batching.
    pub journal: Options,
    /// Ended runs and events older than this are deleted (`None` keeps everything).
    pub retention: Option<Duration>,
    /// Where `$secrets` come from.
    pub secrets: SecretSource,
    /// The clock (the system clock unless a test sets one).
    pub clock: Arc<dyn Clock>,
    /// Whether schedules (`cron`, `every`, `after`) start runs; `on` triggers always work.
    pub schedules: bool,
    /// Keep every timer's lateness for [`Engine::timer_lateness`] (benchmarks).
    pub sample_timers: bool,
    /// Told the id and final status of every run the engine drives to its end (completed or
    /// faulted; cancelled runs are not driven to an end).
    pub on_end: Option<RunEndHook>,
    /// A run about to wait longer than this for a timer, with nothing else in progress, is
    /// taken out of memory and driven again from its journal when the timer is due (`None`:
    /// runs stay parked in memory however long they wait).
    pub evict_after: Option<Duration>,
    /// Hands every run to another backend instead of driving it here (`serve --backend
    /// temporal`); see [`RunLauncher`]. `None`: runs run in this engine.
    pub launcher: Option<Arc<dyn RunLauncher>>,
}

/// See [`EngineOptions::on_end`].
pub type RunEndHook = Arc<dyn Fn(&str, RunStatus) + Send + Sync>;

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            journal: Options::default(),
            retention: Some(Duration::from_secs(30 * 24 * 3600)),
            secrets: Arc::new(|_| json!({})),
            clock: Arc::new(SystemClock::new()),
            schedules: true,
            sample_timers: false,
            on_end: None,
            evict_after: Some(Duration::from_secs(60)),
            launcher: None,
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("journal", &self.journal)
            .field("retention", &self.retention)
            .field("schedules", &self.schedules)
            .field("evict_after", &self.evict_after)
            .finish_non_exhaustive()
    }
}

/// A run as the engine reports it: the journaled record, with the live status.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The journaled run (its status is the live one: `waiting` while it waits).
    pub record: RunRecord,
    /// Why the run is stopped and being retried (a journal failure), if it is.
    pub paused: Option<String>,
}

impl RunView {
    /// The REST shape: `{"id", "flow", "version", "status", "input", "output", "error", …}`.
    pub fn to_json(&self) -> Value {
        let r = &self.record;
        let mut v = json!({
            "id": r.id,
            "flow": r.flow,
            "version": r.version,
            "status": r.status.as_str(),
            "input": r.input,
            "output": r.output,
            "error": r.error,
            "createdAt": millis_to_rfc3339(r.created_ms),
            "updatedAt": millis_to_rfc3339(r.updated_ms),
        });
        if let Some(parent) = &r.parent {
            v["parent"] = json!(parent);
        }
        if let Some(paused) = &self.paused {
            v["paused"] = json!(paused);
        }
        v
    }
}

/// RFC 3339 with milliseconds, UTC.
pub fn millis_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// What a published event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Stored, or a duplicate of an event already stored (same `id`).
    pub inserted: EventInsert,
    /// Runs the event started (`schedule.on`), new or found already started.
    pub started: Vec<String>,
}

/// Runs out of memory until their timers, by due time and by id.
#[derive(Default)]
struct Evicted {
    by_due: std::collections::BTreeSet<(i64, String)>,
    due_of: HashMap<String, i64>,
}

impl Evicted {
    fn insert(&mut self, id: &str, due: i64) {
        if let Some(old) = self.due_of.insert(id.to_owned(), due) {
            self.by_due.remove(&(old, id.to_owned()));
        }
        self.by_due.insert((due, id.to_owned()));
    }

    fn remove(&mut self, id: &str) {
        if let Some(due) = self.due_of.remove(id) {
            self.by_due.remove(&(due, id.to_owned()));
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.due_of.contains_key(id)
    }

    fn len(&self) -> usize {
        self.due_of.len()
    }

    /// The earliest due time.
    fn next_due(&self) -> Option<i64> {
        self.by_due.first().map(|(due, _)| *due)
    }

    /// The runs due at `now`, earliest first (left in the set).
    fn due(&self, now: i64) -> Vec<String> {
        self.by_due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .map(|(_, id)| id.clone())
            .collect()
    }
}

/// A run in memory.
struct Live {
    abort: AbortHandle,
    /// Waits in progress (timers, listens), shared by every context the run is driven on.
    waiting: Arc<AtomicUsize>,
    done: watch::Receiver<bool>,
    paused: Arc<Mutex<Option<String>>>,
}

/// The embedded engine; cheap to clone (all clones are one engine).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    registry: FunctionRegistry,
    builtins: Vec<String>,
    catalog: FlowCatalog,
    live: Mutex<HashMap<String, Live>>,
    options: EngineOptions,
    metrics: Arc<EngineMetrics>,
    accepting: AtomicBool,
    /// Background tasks (schedules, retention), aborted at shutdown.
    background: Mutex<Vec<AbortHandle>>,
    /// An `all` trigger's partial sets of events, by flow.
    triggers: Mutex<schedule::Partial>,
    /// Runs out of memory until their timer.
    evicted: Mutex<Evicted>,
    /// Wakes the waker when a run is evicted (its due time may be the earliest).
    evictions: tokio::sync::Notify,
    /// Whether the waker task runs.
    waker_started: AtomicBool,
    /// The other backend runs are handed to, when they do not run here.
    elsewhere: Option<launcher::Elsewhere>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The event types some deployed flow version can `listen` for.
fn listened_types(catalog: &FlowCatalog) -> shopflow_dsl::model::ListenedTypes {
    let mut all = shopflow_dsl::model::ListenedTypes::Only(Vec::new());
    for wf in catalog.all() {
        all.merge(shopflow_dsl::model::listened_types(&wf));
    }
    all
}

/// First wait before driving a run stopped by a journal failure again; doubles to the cap.
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_CAP: Duration = Duration::from_secs(10);

impl Engine {
    /// Opens the journal at `path` and loads the deployed flows. Nothing runs until
    /// [`start_background`](Self::start_background) (recovery, schedules, retention).
    pub fn open(
        path: impl AsRef<Path>,
        options: EngineOptions,
        registry: FunctionRegistry,
        builtins: Vec<String>,
    ) -> Result<Engine, EngineError> {
        let store = Arc::new(Store::open(path, options.journal.clone())?);
        let catalog = FlowCatalog::default();
        for row in store.journal().flows()? {
            match flows::parse(&row.source, &builtins) {
                Ok(wf) => catalog.add(Arc::new(wf)),
                Err(e) => tracing::error!(
                    flow = %format!("{}/{}", row.namespace, row.name),
                    version = %row.version,
                    "a deployed flow no longer loads in this build ({e}); its runs cannot resume"
                ),
            }
        }
        let elsewhere = match &options.launcher {
            Some(l) => Some(launcher::Elsewhere::new(Arc::clone(l), store.journal())?),
            None => None,
        };
        // Runs that live elsewhere take their events from there: only runs still finishing
        // here need them kept.
        store.narrow_interest(match &elsewhere {
            Some(e) if !e.drains_runs_here() => {
                shopflow_dsl::model::ListenedTypes::Only(Vec::new())
            }
            _ => listened_types(&catalog),
        });
        let metrics = Arc::new(EngineMetrics::new(store.journal(), options.sample_timers));
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                registry,
                builtins,
                catalog,
                live: Mutex::new(HashMap::new()),
                options,
                metrics,
                accepting: AtomicBool::new(true),
                background: Mutex::new(Vec::new()),
                triggers: Mutex::new(schedule::Partial::default()),
                evicted: Mutex::new(Evicted::default()),
                evictions: tokio::sync::Notify::new(),
                waker_started: AtomicBool::new(false),
                elsewhere,
            }),
        })
    }

    /// Resumes every unfinished run and starts the schedule and retention loops. Returns
    /// how many runs were resumed.
    pub fn start_background(&self) -> Result<usize, EngineError> {
        let resumed = self.resume_unfinished()?;
        let mut background = lock(&self.inner.background);
        if self.inner.options.schedules {
            background.push(schedule::spawn_ticker(self.clone()).abort_handle());
        }
        if let Some(keep) = self.inner.options.retention {
            background.push(spawn_retention(self.clone(), keep).abort_handle());
        }
        Ok(resumed)
    }

    /// The store (journal and inbox) under the engine.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    /// Counts a platform message or webhook with its outcome (`accepted`, `duplicate`, or
    /// why it was rejected) in `shopflow_intake_total`.
    pub fn count_intake(&self, source: &str, outcome: &str) {
        self.inner.metrics.count_intake(source, outcome);
    }

    /// The metrics, in the Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let m = &self.inner.metrics;
        let live = lock(&self.inner.live);
        let waiting = live
            .values()
            .filter(|l| l.waiting.load(Ordering::Acquire) > 0)
            .count();
        let paused = live.values().filter(|l| lock(&l.paused).is_some()).count();
        let waiting = waiting + lock(&self.inner.evicted).len();
        m.runs_paused.set(i64::try_from(paused).unwrap_or(i64::MAX));
        m.runs_live
            .set(i64::try_from(live.len()).unwrap_or(i64::MAX));
        m.runs_waiting
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        drop(live);
        m.calls_in_flight
            .set(i64::try_from(self.inner.store.gate().in_flight()).unwrap_or(i64::MAX));
        m.encode()
    }

    /// How late each timer fired, in seconds (empty unless `sample_timers` is on).
    pub fn timer_lateness(&self) -> Vec<f64> {
        self.inner.metrics.lateness_samples()
    }

    /// Whether the engine takes new work (false once shutdown began).
    pub fn is_accepting(&self) -> bool {
        self.inner.accepting.load(Ordering::Acquire)
    }

    /// Validates `source` and stores it as a new version of its flow. Deploying the same
    /// text again is a no-op; other text under a deployed version is a conflict.
    pub async fn deploy(&self, source: &str) -> Result<(FlowInfo, FlowInsert), EngineError> {
        let wf = flows::parse(source, &self.inner.builtins)?;
        let d = &wf.document;
        let row = FlowRecord {
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            version: d.version.clone(),
            source: source.to_owned(),
            deployed_ms: self.now_ms(),
        };
        let inserted = match self.inner.store.journal().record_flow(&row).await {
            Ok(inserted) => inserted,
            Err(e @ crate::journal::Error::FlowConflict { .. }) => {
                return Err(EngineError::Conflict(e.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let flow = format!("{}/{}", d.namespace, d.name);
        let version = d.version.clone();
        let schedule = flows::schedule_kind(&wf);
        if inserted == FlowInsert::Inserted {
            self.inner.catalog.add(Arc::new(wf));
            if self
                .inner
                .elsewhere
                .as_ref()
                .is_none_or(launcher::Elsewhere::drains_runs_here)
            {
                self.inner
                    .store
                    .set_interest(listened_types(&self.inner.catalog))
                    .await?;
            }
            tracing::info!(%flow, %version, "flow deployed");
        }
        let latest = self.inner.catalog.latest().iter().any(|l| {
            format!("{}/{}", l.document.namespace, l.document.name) == flow
                && l.document.version == version
        });
        Ok((
            FlowInfo {
                flow,
                version,
                deployed_ms: row.deployed_ms,
                latest,
                schedule,
            },
            inserted,
        ))
    }

    /// Every deployed flow version.
    pub fn flows(&self) -> Result<Vec<FlowInfo>, EngineError> {
        let rows = self.inner.store.journal().flows()?;
        Ok(flows::list(&self.inner.catalog, &rows))
    }

    /// The YAML of a deployed flow version (`latest` for the newest).
    pub fn flow_source(&self, flow: &str) -> Result<String, EngineError> {
        let wf = self.resolve(flow)?;
        let d = &wf.document;
        self.inner
            .store
            .journal()
            .flows()?
            .into_iter()
            .find(|r| r.namespace == d.namespace && r.name == d.name && r.version == d.version)
            .map(|r| r.source)
            .ok_or_else(|| EngineError::NotFound(format!("flow {flow} is not deployed")))
    }

    /// Starts a run of `flow` (`namespace/name[:version]`); returns its id once the run is
    /// journaled (durable).
    pub async fn start(&self, flow: &str, input: Value) -> Result<String, EngineError> {
        let wf = self.resolve(flow)?;
        let id = new_run_id(self.now_ms(), &self.inner.store);
        if !self.is_accepting() {
            return Err(EngineError::ShuttingDown);
        }
        if self.inner.elsewhere.is_some() {
            self.launch(&id, &wf, input).await?;
            return Ok(id);
        }
        // A fresh id: nothing to look up or load.
        let ctx = self.wire(SqliteContext::new_run(
            Arc::clone(&self.inner.store),
            &id,
            self.inner.registry.clone(),
            self.inner.catalog.clone(),
        ));
        self.begin(ctx, wf, input).await?;
        Ok(id)
    }

    /// Starts a run with a given id, unless a run with that id exists (then nothing
    /// happens): how triggers start runs idempotently.
    pub(crate) async fn start_run(
        &self,
        id: &str,
        wf: Arc<Workflow>,
        input: Value,
    ) -> Result<bool, EngineError> {
        if !self.is_accepting() {
            return Err(EngineError::ShuttingDown);
        }
        if self.inner.elsewhere.is_some() {
            return self.launch(id, &wf, input).await;
        }
        if self.inner.store.journal().run(id)?.is_some() {
            return Ok(false);
        }
        let ctx = self.context(id)?;
        self.begin(ctx, wf, input).await?;
        Ok(true)
    }

    /// Hands run `id` to the other backend; `Ok(false)` when a run with that id exists there.
    async fn launch(&self, id: &str, wf: &Workflow, input: Value) -> Result<bool, EngineError> {
        let Some(elsewhere) = &self.inner.elsewhere else {
            return Ok(false);
        };
        let journal = self.inner.store.journal();
        let started = elsewhere
            .launch(journal, &self.inner.catalog, id, wf, input)
            .await?;
        if started {
            let d = &wf.document;
            self.inner
                .metrics
                .run_started(&format!("{}/{}", d.namespace, d.name));
        }
        Ok(started)
    }

    /// Whether runs are handed to another backend (see [`EngineOptions::launcher`]).
    pub fn runs_elsewhere(&self) -> bool {
        self.inner.elsewhere.is_some()
    }

    /// Journals a new run (durable when this returns) and drives it.
    async fn begin(
        &self,
        ctx: SqliteContext,
        wf: Arc<Workflow>,
        input: Value,
    ) -> Result<(), EngineError> {
        ctx.record(&wf, &input, None).await?;
        let d = &wf.document;
        self.inner
            .metrics
            .run_started(&format!("{}/{}", d.namespace, d.name));
        self.spawn(ctx, wf, input);
        Ok(())
    }

    /// One run.
    pub fn get(&self, id: &str) -> Result<RunView, EngineError> {
        let record = self
            .inner
            .store
            .journal()
            .run(id)?
            .ok_or_else(|| EngineError::NotFound(format!("no run {id}")))?;
        Ok(self.view(record))
    }

    /// Runs matching `filter`, newest first.
    pub fn list(&self, filter: &RunFilter) -> Result<Vec<RunView>, EngineError> {
        let runs = self.inner.store.journal().list_runs(filter)?;
        Ok(runs.into_iter().map(|r| self.view(r)).collect())
    }

    /// Waits until run `id` has ended (or is suspended, or the engine stops driving it) and
    /// returns it.
    pub async fn wait(&self, id: &str) -> Result<RunView, EngineError> {
        loop {
            let done = lock(&self.inner.live).get(id).map(|l| l.done.clone());
            if let Some(mut done) = done {
                // An error means the task is gone (evicted, cancelled, shut down).
                let _ = done.wait_for(|d| *d).await;
            }
            if !self.is_evicted(id) {
                return self.get(id);
            }
            // Out of memory until its timer: look again once it is back.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn is_evicted(&self, id: &str) -> bool {
        lock(&self.inner.evicted).contains(id)
    }

    /// Cancels a run (and the children it awaits); an ended run is a conflict.
    pub async fn cancel(&self, id: &str) -> Result<RunView, EngineError> {
        let now = self.now_ms();
        let before = self.get(id)?;
        match self.inner.store.journal().cancel_run(id, now).await {
            Ok(()) => {}
            Err(e @ crate::journal::Error::RunEnded { .. }) => {
                return Err(EngineError::Conflict(e.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
        self.stop_live(id);
        self.inner
            .metrics
            .run_ended(&before.record.flow, RunStatus::Cancelled.as_str());
        tracing::info!(run = %id, "run cancelled");
        self.get(id)
    }

    /// Suspends a run: it stops where it is (a call in flight runs again with the same
    /// idempotency key on resume) until [`resume`](Self::resume).
    pub async fn suspend(&self, id: &str) -> Result<RunView, EngineError> {
        let record = self.get(id)?.record;
        if record.status == RunStatus::Suspended {
            return Ok(self.view(record));
        }
        self.set_status(id, RunStatus::Suspended).await?;
        self.stop_live(id);
        tracing::info!(run = %id, "run suspended");
        self.get(id)
    }

    /// Resumes a suspended run from its journal.
    pub async fn resume(&self, id: &str) -> Result<RunView, EngineError> {
        let record = self.get(id)?.record;
        if record.status != RunStatus::Suspended {
            return Err(EngineError::Conflict(format!(
                "run {id} is {}, not suspended",
                record.status.as_str()
            )));
        }
        if !self.is_accepting() {
            return Err(EngineError::ShuttingDown);
        }
        let wf = self.flow_of(&record)?;
        self.set_status(id, RunStatus::Running).await?;
        // Rows the suspended run queued are committed before its journal is read again (the
        // status write above was queued after them).
        let ctx = self.context(id)?;
        self.spawn(ctx, wf, record.input);
        tracing::info!(run = %id, "run resumed");
        self.get(id)
    }

    /// Stores an accepted CloudEvent (durable when this returns), delivers it to waiting
    /// runs and starts the runs of flows whose `schedule.on` it completes. Publishing the
    /// same event (same `id`) again stores nothing new and starts nothing new.
    pub async fn publish(&self, event: CloudEvent) -> Result<Published, EngineError> {
        let event = check_cloud_event(event)?;
        let new = NewEvent::from_cloud_event(&event, self.now_ms());
        let inserted = self.inner.store.publish(&new).await?;
        let fresh = matches!(inserted, EventInsert::Inserted { .. });
        let started = schedule::trigger(self, &event, fresh).await?;
        Ok(Published { inserted, started })
    }

    /// Stops taking work, lets calls in flight finish for up to `grace`, then stops every
    /// run where it is (each resumes from its journal on the next start). Journal writes
    /// already queued are committed when the engine is dropped.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.accepting.store(false, Ordering::Release);
        for task in lock(&self.inner.background).drain(..) {
            task.abort();
        }
        let gate = self.inner.store.gate();
        gate.drain();
        let in_flight = gate.in_flight();
        if tokio::time::timeout(grace, gate.idle()).await.is_err() {
            tracing::warn!(
                calls = gate.in_flight(),
                "shutdown deadline reached with calls in flight; they run again, with the same \
                 idempotency keys, on the next start"
            );
        } else {
            tracing::info!(finished = in_flight, "calls in flight finished");
        }
        let live: Vec<Live> = lock(&self.inner.live).drain().map(|(_, l)| l).collect();
        for run in &live {
            run.abort.abort();
        }
        tracing::info!(runs = live.len(), "runs parked until the next start");
    }

    fn now_ms(&self) -> i64 {
        self.inner.options.clock.now_ms()
    }

    fn view(&self, mut record: RunRecord) -> RunView {
        let live = lock(&self.inner.live);
        let mut paused = None;
        if let Some(l) = live.get(&record.id) {
            paused = lock(&l.paused).clone();
            if record.status == RunStatus::Running && l.waiting.load(Ordering::Acquire) > 0 {
                record.status = RunStatus::Waiting;
            }
        } else if record.status == RunStatus::Running {
            drop(live);
            if self.is_evicted(&record.id) {
                record.status = RunStatus::Waiting;
            }
        }
        RunView { record, paused }
    }

    fn resolve(&self, flow: &str) -> Result<Arc<Workflow>, EngineError> {
        let r = parse_flow_ref(flow)?;
        self.inner
            .catalog
            .get(&r)
            .ok_or_else(|| EngineError::NotFound(format!("flow {flow} is not deployed")))
    }

    fn flow_of(&self, record: &RunRecord) -> Result<Arc<Workflow>, EngineError> {
        self.resolve(&format!("{}:{}", record.flow, record.version))
    }

    async fn set_status(&self, id: &str, status: RunStatus) -> Result<(), EngineError> {
        let change = crate::journal::StatusChange {
            status,
            output: None,
            error: None,
            at_ms: self.now_ms(),
        };
        match self.inner.store.journal().set_status(id, &change).await {
            Ok(()) => Ok(()),
            Err(e @ crate::journal::Error::RunEnded { .. }) => {
                Err(EngineError::Conflict(e.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A fresh context for run `id`, loaded from the journal, wired to this engine.
    fn context(&self, id: &str) -> Result<SqliteContext, EngineError> {
        Ok(self.wire(SqliteContext::open(
            Arc::clone(&self.inner.store),
            id,
            self.inner.registry.clone(),
            self.inner.catalog.clone(),
        )?))
    }

    /// Connects a context to this engine: clock, detached children, metrics, secrets.
    fn wire(&self, ctx: SqliteContext) -> SqliteContext {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let spawner: crate::durable::Spawner = Arc::new(move |ctx, wf, input| {
            if let Some(inner) = weak.upgrade() {
                Engine { inner }.spawn(ctx, wf, input);
            }
        });
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let triggers: crate::durable::Triggers = Arc::new(move |event| {
            let weak = weak.clone();
            Box::pin(async move {
                let Some(inner) = weak.upgrade() else {
                    return Ok(());
                };
                match schedule::trigger(&Engine { inner }, &event, true).await {
                    Ok(_) => Ok(()),
                    // The journal failed: the emitting run stops and retries the emit.
                    Err(EngineError::Journal(e)) => Err(e),
                    // Shutting down: the emit is journaled; a replay triggers again.
                    Err(e) => {
                        tracing::warn!(error = %e, "an emitted event started no run");
                        Ok(())
                    }
                }
            })
        });
        ctx.with_clock(Arc::clone(&self.inner.options.clock))
            .with_spawner(spawner)
            .with_triggers(triggers)
            .with_observer(Arc::clone(&self.inner.metrics) as Arc<dyn crate::durable::CallObserver>)
            .with_secrets(Arc::clone(&self.inner.options.secrets))
            .without_task_log()
    }

    /// Drives a run on its own task until it ends, retrying journal failures.
    fn spawn(&self, ctx: SqliteContext, wf: Arc<Workflow>, input: Value) {
        let id = ctx.run_id().to_owned();
        let (done_tx, done) = watch::channel(false);
        let paused = Arc::new(Mutex::new(None));
        let waiting = Arc::new(AtomicUsize::new(0));
        let mut live = lock(&self.inner.live);
        if live.contains_key(&id) {
            return;
        }
        let engine = self.clone();
        let task_paused = Arc::clone(&paused);
        let task_waiting = Arc::clone(&waiting);
        let task_id = id.clone();
        let handle = tokio::spawn(async move {
            let ctx = engine
                .evictable(ctx)
                .with_waiting(Arc::clone(&task_waiting));
            engine
                .drive(ctx, &wf, input, &task_paused, &task_waiting)
                .await;
            lock(&engine.inner.live).remove(&task_id);
            let _ = done_tx.send(true);
        });
        live.insert(
            id,
            Live {
                abort: handle.abort_handle(),
                waiting,
                done,
                paused,
            },
        );
    }

    async fn drive(
        &self,
        mut ctx: SqliteContext,
        wf: &Workflow,
        input: Value,
        paused: &Mutex<Option<String>>,
        waiting: &Arc<AtomicUsize>,
    ) {
        let id = ctx.run_id().to_owned();
        let flow = format!("{}/{}", wf.document.namespace, wf.document.name);
        let secrets = (self.inner.options.secrets)(wf);
        let mut backoff = RETRY_FIRST;
        loop {
            match ctx.drive(wf, input.clone(), secrets.clone()).await {
                Ok(result) => {
                    let status = if result.is_ok() {
                        RunStatus::Completed
                    } else {
                        RunStatus::Faulted
                    };
                    if lock(paused).take().is_some() {
                        tracing::info!(run = %id, "run carries on: the journal accepts writes again");
                    }
                    self.inner.metrics.run_ended(&flow, status.as_str());
                    if let Some(hook) = &self.inner.options.on_end {
                        hook(&id, status);
                    }
                    return;
                }
                Err(e) if e.is_retryable() && self.is_accepting() => {
                    tracing::error!(
                        run = %id,
                        "run paused: {e}; retrying from the journal in {} ms",
                        backoff.as_millis()
                    );
                    *lock(paused) = Some(e.to_string());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RETRY_CAP);
                    // Let the writes still queued by the stopped drive settle, so the
                    // journal read below sees every one that succeeded.
                    if let Err(e) = self.inner.store.journal().flush().await {
                        tracing::warn!(run = %id, "journal still failing: {e}");
                        continue;
                    }
                    match self.context(&id) {
                        Ok(fresh) => ctx = self.evictable(fresh).with_waiting(Arc::clone(waiting)),
                        Err(e) => tracing::error!(run = %id, "cannot reload the run: {e}"),
                    }
                }
                Err(e) => {
                    tracing::error!(
                        run = %id,
                        "run stopped by a journal failure: {e}; it resumes on the next start"
                    );
                    return;
                }
            }
        }
    }

    /// Gives a top-level run's context the engine's evictor (when eviction is on).
    fn evictable(&self, ctx: SqliteContext) -> SqliteContext {
        let Some(after) = self.inner.options.evict_after else {
            return ctx;
        };
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let evictor: crate::durable::Evictor = Arc::new(move |id: &str, due: i64| {
            let Some(inner) = weak.upgrade() else {
                return false;
            };
            let engine = Engine { inner };
            if !engine.is_accepting() {
                return false;
            }
            engine.evict(id, due);
            true
        });
        ctx.with_evictor(evictor, after)
    }

    /// Takes a waiting run out of memory until `due`.
    fn evict(&self, id: &str, due: i64) {
        lock(&self.inner.evicted).insert(id, due);
        if let Some(l) = lock(&self.inner.live).remove(id) {
            // The run's own task: it ends at its next await, which never completes.
            l.abort.abort();
        }
        if !self.inner.waker_started.swap(true, Ordering::AcqRel) {
            let handle = spawn_waker(self.clone());
            lock(&self.inner.background).push(handle.abort_handle());
        }
        self.inner.evictions.notify_one();
    }

    /// Drives the evicted runs whose timers are due at `now` again from their journals.
    fn wake_due(&self, now: i64) {
        let due = lock(&self.inner.evicted).due(now);
        for id in due {
            // Out of the evicted set only once it is live again (or not to be woken), so
            // `wait` always finds it in one of the two.
            self.wake(&id);
            lock(&self.inner.evicted).remove(&id);
        }
    }

    /// Drives one evicted run again from its journal, unless it ended or was suspended.
    fn wake(&self, id: &str) {
        let record = match self.inner.store.journal().run(id) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(run = %id, "cannot wake the run: {e}; it resumes on the next start");
                return;
            }
        };
        if record.status.is_final() || record.status == RunStatus::Suspended {
            return;
        }
        match (self.flow_of(&record), self.context(id)) {
            (Ok(wf), Ok(ctx)) => self.spawn(ctx, wf, record.input),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(run = %id, "cannot wake the run: {e}; it resumes on the next start");
            }
        }
    }

    fn stop_live(&self, id: &str) {
        lock(&self.inner.evicted).remove(id);
        let prefix = format!("{id}/");
        let mut live = lock(&self.inner.live);
        let ids: Vec<String> = live
            .keys()
            .filter(|k| k.as_str() == id || k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in ids {
            if let Some(l) = live.remove(&k) {
                l.abort.abort();
            }
        }
    }

    /// Drives every unfinished top-level run again from its journal (children awaited by a
    /// parent come back through the parent's replay).
    fn resume_unfinished(&self) -> Result<usize, EngineError> {
        let mut resumed = 0;
        for record in self.inner.store.journal().unfinished_runs()? {
            if record.parent.is_some() || record.status == RunStatus::Suspended {
                continue;
            }
            let wf = match self.flow_of(&record) {
                Ok(wf) => wf,
                Err(e) => {
                    tracing::error!(run = %record.id, "cannot resume: {e}");
                    continue;
                }
            };
            let ctx = self.context(&record.id)?;
            self.spawn(ctx, wf, record.input);
            resumed += 1;
        }
        if resumed > 0 {
            tracing::info!(runs = resumed, "resumed unfinished runs from the journal");
        }
        Ok(resumed)
    }
}

/// A new run id: time-ordered and unique (milliseconds, then a hash of time and a counter).
fn new_run_id(now_ms: i64, store: &Store) -> String {
    use std::sync::atomic::AtomicU64;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let salt = format!("{now_ms}:{seq}:{}:{:p}", std::process::id(), store);
    let key = idempotency_key(&salt, &shopflow_core::StepId::from_raw("run"));
    format!("{now_ms:013x}-{}", &key[..16])
}

/// Checks the required CloudEvent attributes and fills `specversion` when missing.
fn check_cloud_event(event: CloudEvent) -> Result<CloudEvent, EngineError> {
    let Value::Object(mut map) = event else {
        return Err(EngineError::bad_request(
            Some(""),
            "an event must be a JSON object of CloudEvent attributes",
        ));
    };
    for name in ["id", "type", "source"] {
        match map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => {
                return Err(EngineError::bad_request(
                    Some(&format!("/{name}")),
                    format!("/{name}: a CloudEvent's `{name}` must be a non-empty string"),
                ));
            }
            None => {
                return Err(EngineError::bad_request(
                    Some(&format!("/{name}")),
                    format!(
                        "/{name}: the CloudEvent has no `{name}`; every event needs id, type \
                         and source"
                    ),
                ));
            }
        }
    }
    map.entry("specversion").or_insert_with(|| json!("1.0"));
    Ok(Value::Object(map))
}

/// Wakes evicted runs when their timers are due.
fn spawn_waker(engine: Engine) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let next = lock(&engine.inner.evicted).next_due();
            let evicted = engine.inner.evictions.notified();
            match next {
                Some(due) => {
                    // The engine's clock, not the runtime's: under an accelerated (demo) or
                    // hand-moved (test) clock the run wakes at its timer's clock time.
                    let clock = Arc::clone(&engine.inner.options.clock);
                    tokio::select! {
                        () = clock.sleep_until(due) => {}
                        () = evicted => continue,
                    }
                    engine.wake_due(engine.now_ms());
                }
                None => evicted.await,
            }
        }
    })
}

/// Deletes ended runs and old events once an hour.
fn spawn_retention(engine: Engine, keep: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
        loop {
            let before = engine.now_ms().saturating_sub(keep_ms);
            match engine.inner.store.journal().purge(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "retention deleted ended runs"),
                Err(e) => tracing::warn!("retention failed: {e}"),
            }
            engine.inner.store.prune_inbox(before);
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    })
}
