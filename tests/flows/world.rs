//! One whole shopflow per test: the platform sandbox, the engine with every function and the
//! HTTP server in this process ([`shopflow::app::stack`]), on a clock the test moves by hand,
//! so a seven-day return window or a reminder two hours before a deadline takes no real time.
//! Platforms push over their real channels (TMC and Pinduoduo WebSockets, Douyin webhooks);
//! the test talks to the sandbox's control API and shopflow's REST API over loopback.
//!
//! A world runs its flows on the embedded engine or on Temporal ([`On`]): then on a dev server
//! this test binary starts once (`shopflow_temporal::dev_server`), on a task queue of the
//! world's own, with the worker inside the stack. Temporal keeps its own time, so a Temporal
//! world's clock starts at the real time and only paths without a timer to wait out run there
//! ([`on_both_backends!`]); the others are embedded only.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopflow::app::stack::{Stack, StackOptions};
use shopflow::app::temporal::TemporalTarget;
use shopflow_core::RunStatus;
use shopflow_embedded::journal::{RunFilter, RunRecord};
use shopflow_embedded::{Clock, ManualClock};

/// The admin token of every world.
pub const TOKEN: &str = "flows-e2e-token";

/// How long a test waits for something that should happen at once (bounded, real time).
const PATIENCE: Duration = Duration::from_secs(30);

/// Where a world's runs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The embedded engine, on the world's hand-moved clock.
    Embedded,
    /// A Temporal dev server (real time for the runs' timers).
    Temporal,
}

/// A test body run once per backend: `NAME::embedded` and `NAME::temporal`.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* async fn $name:ident($on:ident: On) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($on: $crate::world::On) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                body($crate::world::On::Embedded).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn temporal() {
                body($crate::world::On::Temporal).await
            }
        }
    };
}

/// This test binary's Temporal dev server, started on first use.
async fn temporal_address() -> String {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(|| {
        ADDRESS
            .get_or_init(|| {
                shopflow_temporal::dev_server::start(Path::new(env!("CARGO_MANIFEST_DIR")))
                    .unwrap_or_else(|e| panic!("no Temporal for the flows: {e}"))
            })
            .clone()
    })
    .await
    .expect("the dev server starts")
}

/// A task queue no other world of this process uses.
fn own_task_queue() -> String {
    static WORLDS: AtomicUsize = AtomicUsize::new(0);
    format!(
        "flows-{}-{}",
        std::process::id(),
        WORLDS.fetch_add(1, Ordering::Relaxed)
    )
}

/// The real time, whole seconds.
fn real_now_ms() -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    ms - ms % 1000
}

/// 2026-11-24 10:00:00 +08:00, a Tuesday morning.
pub const TUESDAY_10AM: i64 = 1_795_485_600_000;

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

pub struct World {
    pub clock: Arc<ManualClock>,
    pub stack: Option<Stack>,
    pub http: reqwest::Client,
    pub api: String,
    pub sandbox: String,
    _dir: tempfile::TempDir,
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

impl World {
    /// A world at `now` with the shipped flows `flows` (file names under `workflows/`), on
    /// the embedded engine.
    pub async fn start_at(now: i64, flows: &[&str]) -> World {
        Self::start_with(On::Embedded, now, flows).await
    }

    /// A world with `flows` whose runs run `on` a backend: the embedded one on Tuesday 10:00,
    /// Temporal at the real time (its timers run on real time; the world's clock must agree).
    pub async fn start_on(on: On, flows: &[&str]) -> World {
        let now = match on {
            On::Embedded => TUESDAY_10AM,
            On::Temporal => real_now_ms(),
        };
        Self::start_with(on, now, flows).await
    }

    async fn start_with(on: On, now: i64, flows: &[&str]) -> World {
        let temporal = match on {
            On::Embedded => None,
            On::Temporal => Some(TemporalTarget {
                address: temporal_address().await,
                namespace: "default".into(),
                task_queue: own_task_queue(),
            }),
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(ManualClock::new(now));
        let stack = Stack::start(StackOptions {
            dir: dir.path().to_owned(),
            sandbox_config: repo("workflows/sandbox/shopflow.toml"),
            clock: clock.clone() as Arc<dyn Clock>,
            sandbox_listener: tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port for the sandbox"),
            listener: tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port for shopflow"),
            admin_token: TOKEN.into(),
            resend: Duration::from_millis(300),
            flows: flows
                .iter()
                .map(|f| repo(&format!("workflows/{f}")))
                .collect(),
            temporal,
        })
        .await
        .expect("the stack starts");
        World {
            clock,
            api: stack.api.clone(),
            sandbox: stack.sandbox.clone(),
            stack: Some(stack),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// A world on Tuesday 10:00 with `flows`.
    pub async fn start(flows: &[&str]) -> World {
        Self::start_at(TUESDAY_10AM, flows).await
    }

    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("the stack is running")
    }

    pub async fn stop(mut self) {
        if let Some(stack) = self.stack.take() {
            stack.stop().await;
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Moves the clock by `ms`, waking every timer due.
    pub fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }

    /// Waits until some timer is set, then moves the clock to it; returns how far it moved.
    pub async fn advance_to_next_timer(&self) -> i64 {
        let due = tokio::time::timeout(PATIENCE, self.clock.sleeping())
            .await
            .expect("a run sets a timer");
        let by = (due - self.now()).max(0);
        self.clock.advance(by);
        by
    }

    // ── the sandbox ─────────────────────────────────────────────────────────────────────────

    pub async fn sandbox_post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.sandbox);
        let answer = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .expect("sandbox answers");
        let status = answer.status();
        let value: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path} {body}: {status} {value}");
        value
    }

    pub async fn sandbox_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.sandbox);
        self.http
            .get(&url)
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("sandbox JSON")
    }

    /// A new order; `status` unpaid or paid.
    pub async fn order(
        &self,
        shop: &str,
        status: &str,
        title: &str,
        sku: &str,
        price_fen: i64,
    ) -> Value {
        self.sandbox_post(
            "/_sandbox/orders",
            json!({"shop": shop, "status": status,
                   "items": [{"title": title, "sku": sku, "price_fen": price_fen, "quantity": 1}]}),
        )
        .await
    }

    pub async fn order_step(&self, shop: &str, order_id: &str, step: &str) {
        self.sandbox_post(
            &format!("/_sandbox/orders/{shop}/{order_id}/{step}"),
            json!({}),
        )
        .await;
    }

    /// A paid, shipped and delivered order.
    pub async fn delivered_order(
        &self,
        shop: &str,
        title: &str,
        sku: &str,
        price_fen: i64,
    ) -> String {
        let order = self.order(shop, "paid", title, sku, price_fen).await;
        let id = order["order_id"].as_str().expect("order id").to_owned();
        self.order_step(shop, &id, "ship").await;
        self.order_step(shop, &id, "deliver").await;
        id
    }

    pub async fn effects(&self, shop: &str) -> Vec<Value> {
        let v = self
            .sandbox_get(&format!("/_sandbox/effects?shop={shop}"))
            .await;
        v.get("effects")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| v.as_array().cloned())
            .unwrap_or_default()
    }

    /// The effects of `method` on `shop`.
    pub async fn effects_of(&self, shop: &str, method: &str) -> Vec<Value> {
        self.effects(shop)
            .await
            .into_iter()
            .filter(|e| e["method"].as_str().is_some_and(|m| m == method))
            .collect()
    }

    pub async fn aliyun_messages(&self) -> Vec<Value> {
        let v = self.sandbox_get("/_sandbox/aliyun/messages").await;
        v.get("messages")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| v.as_array().cloned())
            .unwrap_or_default()
    }

    // ── shopflow's API ──────────────────────────────────────────────────────────────────────

    pub async fn api_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.api);
        let answer = self
            .http
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("shopflow answers");
        let status = answer.status();
        let value: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "GET {path}: {status} {value}");
        value
    }

    pub async fn api_post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.api);
        let answer = self
            .http
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("shopflow answers");
        let status = answer.status();
        let value: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path} {body}: {status} {value}");
        value
    }

    pub async fn publish(&self, event: Value) {
        self.api_post("/api/v1/events", event).await;
    }

    // ── runs ────────────────────────────────────────────────────────────────────────────────

    /// The runs of `flow`, through the backend (on Temporal: its visibility store).
    pub async fn runs_of(&self, flow: &str) -> Vec<RunRecord> {
        self.stack()
            .backend
            .list(&RunFilter {
                flow: Some(format!("shopflow/{flow}")),
                ..RunFilter::default()
            })
            .await
            .expect("runs list")
            .into_iter()
            .map(|v| v.record)
            .collect()
    }

    /// The `n`-th run (from 1, oldest first) of `flow`, once it exists.
    pub async fn nth_run(&self, flow: &str, n: usize) -> String {
        self.eventually_async(&format!("run {n} of {flow} starts"), || async move {
            let mut runs = self.runs_of(flow).await;
            runs.sort_by_key(|r| (r.created_ms, r.id.clone()));
            runs.get(n - 1).map(|r| r.id.clone())
        })
        .await
    }

    pub async fn run_of(&self, flow: &str) -> String {
        self.nth_run(flow, 1).await
    }

    pub async fn run(&self, id: &str) -> RunRecord {
        self.stack().backend.get(id).await.expect("the run").record
    }

    /// Waits until the run is parked (a timer or an event).
    pub async fn parked(&self, id: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let run = self.run(id).await;
            if run.status == RunStatus::Waiting {
                return;
            }
            assert!(
                Instant::now() < deadline && !run.status.is_final(),
                "run {id} should wait but is {:?}: error {:?}, output {:?}",
                run.status,
                run.error,
                run.output
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every run of every flow, for failure messages.
    pub async fn describe(&self) -> String {
        self.stack()
            .backend
            .list(&RunFilter::default())
            .await
            .unwrap_or_default()
            .iter()
            .map(|v| {
                format!(
                    "{} {} {:?} error={} output={}\n",
                    v.record.flow,
                    v.record.id,
                    v.record.status,
                    v.record.error.clone().unwrap_or_default(),
                    v.record.output.clone().unwrap_or_default()
                )
            })
            .collect()
    }

    /// Waits for the run to end and returns its output (panics with the error if it faulted).
    pub async fn output(&self, id: &str) -> Value {
        let view = match tokio::time::timeout(PATIENCE, self.stack().backend.wait(id)).await {
            Ok(view) => view.expect("the run"),
            Err(_) => panic!(
                "run {id} ends in time; it is {:?}",
                self.run(id).await.status
            ),
        };
        match view.record.status {
            RunStatus::Completed => view.record.output.unwrap_or(Value::Null),
            other => panic!("run {id} ended {other:?}: {:?}", view.record.error),
        }
    }

    /// Polls `probe` (every 50 ms, for at most 30 s) until it gives a value.
    pub async fn eventually_async<T, F>(&self, what: &str, probe: impl Fn() -> F) -> T
    where
        F: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; runs:\n{}",
                self.describe().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The open review tasks of `queue`, once there are `n`.
    pub async fn tasks(&self, queue: &str, n: usize) -> Vec<Value> {
        self.eventually_async(&format!("{n} task(s) in {queue}"), || async move {
            let v = self.api_get(&format!("/api/v1/tasks?queue={queue}")).await;
            let tasks = v["tasks"].as_array().cloned().unwrap_or_default();
            (tasks.len() >= n).then_some(tasks)
        })
        .await
    }
}
