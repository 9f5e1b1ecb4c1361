//! One whole shopflow per test: the platform sandbox, the engine with every function and the
//! HTTP server in this process ([`shopflow::app::stack`]), on a clock the test moves by hand,
//! so a seven-day return window or a reminder two hours before a deadline takes no real time.
//! Platforms push over their real channels (TMC and Pinduoduo WebSockets, Douyin webhooks);
//! the test talks to the sandbox's control API and shopflow's REST API over loopback.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopflow::app::stack::{Stack, StackOptions};
use shopflow_core::RunStatus;
use shopflow_embedded::journal::RunFilter;
use shopflow_embedded::{Clock, ManualClock};

/// The admin token of every world.
pub const TOKEN: &str = "flows-e2e-token";

/// How long a test waits for something that should happen at once (bounded, real time).
const PATIENCE: Duration = Duration::from_secs(30);

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
    /// A world at `now` with the shipped flows `flows` (file names under `workflows/`).
    pub async fn start_at(now: i64, flows: &[&str]) -> World {
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

    fn runs_of(&self, flow: &str) -> Vec<shopflow_embedded::journal::RunRecord> {
        self.stack()
            .engine
            .list(&RunFilter {
                flow: Some(format!("shopflow/{flow}")),
                ..RunFilter::default()
            })
            .expect("runs list")
            .into_iter()
            .map(|v| v.record)
            .collect()
    }

    /// The `n`-th run (from 1, oldest first) of `flow`, once it exists.
    pub async fn nth_run(&self, flow: &str, n: usize) -> String {
        self.eventually(&format!("run {n} of {flow} starts"), || {
            let mut runs = self.runs_of(flow);
            runs.sort_by_key(|r| (r.created_ms, r.id.clone()));
            runs.get(n - 1).map(|r| r.id.clone())
        })
        .await
    }

    pub async fn run_of(&self, flow: &str) -> String {
        self.nth_run(flow, 1).await
    }

    pub fn run(&self, id: &str) -> shopflow_embedded::journal::RunRecord {
        self.stack().engine.get(id).expect("the run").record
    }

    /// Waits until the run is parked (a timer or an event).
    pub async fn parked(&self, id: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let run = self.run(id);
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
    pub fn describe(&self) -> String {
        self.stack()
            .engine
            .list(&RunFilter::default())
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
        let view = tokio::time::timeout(PATIENCE, self.stack().engine.wait(id))
            .await
            .unwrap_or_else(|_| panic!("run {id} ends in time; it is {:?}", self.run(id).status))
            .expect("the run");
        match view.record.status {
            RunStatus::Completed => view.record.output.unwrap_or(Value::Null),
            other => panic!("run {id} ended {other:?}: {:?}", view.record.error),
        }
    }

    /// Polls `probe` (every 20 ms, for at most 30 s) until it gives a value.
    pub async fn eventually<T>(&self, what: &str, probe: impl Fn() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = probe() {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; runs:\n{}",
                self.describe()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Like [`World::eventually`] for a probe that needs the network.
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
                self.describe()
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
