//! `shopflow serve --backend temporal` as a process, on the database an embedded serve used
//! before: the run that serve left waiting finishes on the embedded engine inside it, new runs
//! — started by REST and by events — run on the cluster and are read and listed through
//! Temporal, a repeated event starts nothing, a waiting run cancelled ends cancelled (not down
//! its timeout path), suspend is refused, and SIGTERM stops it cleanly.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::address;

const TOKEN: &str = "serve-on-temporal";

/// Waits for the payment of one order for a day.
const FLOW: &str = r#"
document: {dsl: '1.0.3', namespace: test, name: paid, version: '1.0.0'}
schedule:
  on:
    one:
      with: { type: test.order.created }
input:
  from: '${ if type == "array" then .[0].data else . end }'
do:
  - awaitPayment:
      try:
        - payment:
            listen:
              to:
                one:
                  with: { type: test.order.paid }
            timeout:
              after: P1D
            output:
              as: '${ {late: false} }'
      catch:
        errors:
          with: { status: 408 }
        do:
          - late:
              set: { late: true }
  - done:
      set:
        paid: true
        late: '${ .late }'
"#;

struct Serve {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Serve {
    /// `shopflow serve` on `dir/shopflow.db`, on Temporal or embedded; healthy on return.
    async fn start(dir: &Path, on_temporal: bool) -> Serve {
        let port = shopflow_temporal::dev_server::free_port().expect("a free port");
        let log_name = if on_temporal {
            "temporal.log"
        } else {
            "embedded.log"
        };
        let log = std::fs::File::create(dir.join(log_name)).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_shopflow"));
        command
            .arg("serve")
            .arg("--db")
            .arg(dir.join("shopflow.db"))
            .args(["--listen", &format!("127.0.0.1:{port}")]);
        if on_temporal {
            command
                .args(["--backend", "temporal", "--temporal-address", address()])
                .args(["--task-queue", &format!("serve-{}", std::process::id())]);
        }
        let child = command
            .env("SHOPFLOW_ADMIN_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("shopflow serve starts");
        let serve = Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        serve
            .until("serve answers /healthz", || async {
                let answer = reqwest::get(format!("{}/healthz", serve.base)).await.ok()?;
                let body: Value = answer.json().await.ok()?;
                (body["status"] == "ok").then_some(body)
            })
            .await;
        serve
    }

    /// SIGTERM, then waits (at most a minute) for a clean exit.
    async fn stop(mut self, dir: &Path) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("serve's status") {
                break status;
            }
            assert!(Instant::now() < deadline, "serve stops within a minute");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let logs = ["embedded.log", "temporal.log"]
            .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_default())
            .join("\n");
        assert!(status.success(), "serve exited {status}: {logs}");
    }

    async fn call(&self, method: &str, path: &str, body: Option<String>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "POST" => self.http.post(&url).body(body.unwrap_or_default()),
            _ => self.http.get(&url),
        };
        let answer = request
            .bearer_auth(TOKEN)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call("GET", path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body.to_string())).await
    }

    /// Polls `probe` every 100 ms for at most 60 s.
    async fn until<T, F: Future<Output = Option<T>>>(
        &self,
        what: &str,
        probe: impl Fn() -> F,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn status_of(&self, id: &str) -> String {
        self.get(&format!("/api/v1/runs/{id}")).await["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn event(id: &str, kind: &str, order: &str) -> Value {
    json!({"specversion": "1.0", "id": id, "source": "tests/temporal", "type": kind,
           "data": {"order": order}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_temporal_runs_the_flows_and_takes_their_events() {
    let dir = tempfile::tempdir().expect("a temporary directory");

    // Before: the embedded engine on the same file, with a run left waiting.
    let embedded = Serve::start(dir.path(), false).await;
    let (status, deployed) = embedded
        .call("POST", "/api/v1/flows", Some(FLOW.into()))
        .await;
    assert_eq!(status, 201, "{deployed}");
    let (status, started) = embedded
        .post(
            "/api/v1/runs",
            json!({"flow": "test/paid", "input": {"order": "old"}}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let old = started["id"].as_str().expect("a run id").to_owned();
    embedded
        .until("the old run waits", || async {
            (embedded.status_of(&old).await == "waiting").then_some(())
        })
        .await;
    embedded.stop(dir.path()).await;

    let serve = Serve::start(dir.path(), true).await;
    let health = serve.get("/healthz").await;
    assert_eq!(health["backend"]["name"], "temporal", "{health}");
    assert_eq!(health["backend"]["address"], address(), "{health}");
    serve
        .until("the old run waits again, on the engine", || async {
            (serve.status_of(&old).await == "waiting").then_some(())
        })
        .await;

    // A run started by hand waits; Temporal cannot suspend it; cancelled, it ends cancelled
    // (its timeout timer, cancelled with it, does not send it down the timeout path).
    let (status, started) = serve
        .post(
            "/api/v1/runs",
            json!({"flow": "test/paid", "input": {"order": "B"}}),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let by_hand = started["id"].as_str().expect("a run id").to_owned();
    serve
        .until("the run waits", || async {
            (serve.status_of(&by_hand).await == "waiting").then_some(())
        })
        .await;
    let (status, refused) = serve
        .post(&format!("/api/v1/runs/{by_hand}/suspend"), json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    let (status, cancelled) = serve
        .post(&format!("/api/v1/runs/{by_hand}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["output"], Value::Null, "{cancelled}");
    let (status, again) = serve
        .post(&format!("/api/v1/runs/{by_hand}/cancel"), json!({}))
        .await;
    assert_eq!(status, 409, "an ended run: {again}");

    // An event starts a run; the same event again starts nothing new.
    let created = event("order-A-created", "test.order.created", "A");
    let (status, first) = serve.post("/api/v1/events", created.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["duplicate"], false);
    let by_event = first["started"][0]
        .as_str()
        .expect("a started run")
        .to_owned();
    let (_, repeat) = serve.post("/api/v1/events", created.clone()).await;
    assert_eq!(repeat["duplicate"], true, "{repeat}");
    assert_eq!(repeat["started"], json!([by_event]), "{repeat}");
    serve
        .until("the triggered run waits", || async {
            let waiting = serve.get("/api/v1/runs?status=waiting").await;
            let mut ids: Vec<&str> = waiting["runs"]
                .as_array()?
                .iter()
                .filter_map(|r| r["id"].as_str())
                .collect();
            ids.sort_unstable();
            let mut expected = [by_event.as_str(), old.as_str()];
            expected.sort_unstable();
            (ids == expected).then_some(())
        })
        .await;

    // The payment reaches both waiting runs: on Temporal and on the engine.
    let (status, paid) = serve
        .post(
            "/api/v1/events",
            event("order-A-paid", "test.order.paid", "A"),
        )
        .await;
    assert_eq!(status, 202, "{paid}");
    for id in [&by_event, &old] {
        let run = serve
            .until("the run completes", || async {
                let run = serve.get(&format!("/api/v1/runs/{id}")).await;
                (run["status"] == "completed").then_some(run)
            })
            .await;
        assert_eq!(run["flow"], "test/paid", "{run}");
        assert_eq!(run["version"], "1.0.0", "{run}");
        assert_eq!(run["output"], json!({"paid": true, "late": false}), "{run}");
    }
    let run = serve.get(&format!("/api/v1/runs/{by_event}")).await;
    assert_eq!(run["input"][0]["id"], "order-A-created", "{run}");

    let completed = serve
        .get("/api/v1/runs?flow=test/paid&status=completed")
        .await;
    assert_eq!(
        completed["runs"].as_array().map(Vec::len),
        Some(2),
        "{completed}"
    );
    let cancelled = serve.get("/api/v1/runs?status=cancelled").await;
    assert_eq!(cancelled["runs"][0]["id"], by_hand.as_str(), "{cancelled}");
    let (_, metrics) = serve.call("GET", "/metrics", None).await;
    assert!(
        metrics
            .as_str()
            .is_some_and(|m| m.contains(r#"shopflow_runs_started_total{flow="test/paid"} 2"#)),
        "{metrics}"
    );

    // SIGTERM: the worker inside stops, serve exits 0.
    serve.stop(dir.path()).await;
}
