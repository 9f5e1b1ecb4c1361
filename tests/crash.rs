//! Crash safety of `shopflow serve`, as an operator meets it: the real binary on a real SQLite
//! file, killed with SIGKILL in the middle of work, restarted, and checked against a counter
//! server that records every effect with its `Idempotency-Key`.
//!
//! Every run must complete, and every effect must arrive under exactly one key (a repeated
//! delivery is allowed only with the same key). Also: a second `serve` on the same file is
//! refused naming the holder, and SIGTERM parks runs that resume on the next start.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

const TOKEN: &str = "crash-test-admin-token";
const RUNS: usize = 200;
const STEPS: usize = 3;
/// Everything in this file finishes well within this, or the test fails.
const DEADLINE: Duration = Duration::from_secs(180);

/// Deliveries seen by the counter server: (run, step) → the keys it arrived with.
type Seen = Arc<Mutex<BTreeMap<(u64, u64), Vec<String>>>>;

async fn effect(State(seen): State<Seen>, headers: HeaderMap, body: String) -> String {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let run = v["run"].as_u64().unwrap_or(u64::MAX);
    let step = v["step"].as_u64().unwrap_or(u64::MAX);
    let key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .unwrap_or("<none>")
        .to_owned();
    // A slow effect, so kills land while calls are in flight.
    tokio::time::sleep(Duration::from_millis(15)).await;
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((run, step))
        .or_default()
        .push(key);
    json!({ "ok": true, "run": run, "step": step }).to_string()
}

async fn counter_server() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/effect", post(effect))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the counter server");
    let addr = listener.local_addr().expect("counter address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn flow(counter: SocketAddr) -> String {
    let mut steps = String::new();
    for step in 1..=STEPS {
        steps.push_str(&format!(
            "  - effect{step}:
      call: http
      with:
        method: post
        endpoint:
          uri: http://{counter}/effect
        body:
          run: ${{ $workflow.input.n }}
          step: {step}
"
        ));
    }
    format!(
        "document:
  dsl: '1.0.3'
  namespace: crash
  name: effects
  version: '1.0.0'
do:
{steps}"
    )
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
    l.local_addr().expect("free port address")
}

fn start_serve(db: &Path, addr: SocketAddr, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the serve log");
    Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(["serve", "--db"])
        .arg(db)
        .args(["--listen", &addr.to_string(), "--grace", "5"])
        .env("SHOPFLOW_ADMIN_TOKEN", TOKEN)
        .env("SHOPFLOW_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start shopflow serve")
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(addr: SocketAddr) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
            base: format!("http://{addr}"),
        }
    }

    async fn wait_healthy(&self, started: Instant) {
        loop {
            assert!(started.elapsed() < DEADLINE, "serve did not become healthy");
            if let Ok(r) = self.http.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn post(&self, path: &str, body: String, content_type: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }
}

fn deliveries(seen: &Seen) -> usize {
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(Vec::len)
        .sum()
}

async fn wait_for_deliveries(seen: &Seen, at_least: usize, started: Instant) {
    while deliveries(seen) < at_least {
        assert!(started.elapsed() < DEADLINE, "effects stopped arriving");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn kill(child: &mut Child) {
    child.kill().expect("SIGKILL serve");
    child.wait().expect("reap serve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_twice_mid_flight_loses_no_run_and_repeats_no_effect() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shopflow.db");
    let log = dir.path().join("serve.log");
    let (counter, seen) = counter_server().await;
    let addr = free_port();
    let api = Api::new(addr);

    let mut serve = start_serve(&db, addr, &log);
    api.wait_healthy(started).await;
    let (status, body) = api
        .post("/api/v1/flows", flow(counter), "application/yaml")
        .await;
    assert_eq!(status, 201, "deploy: {body}");

    let mut ids = Vec::with_capacity(RUNS);
    for n in 0..RUNS {
        let (status, body) = api
            .post(
                "/api/v1/runs",
                json!({ "flow": "crash/effects", "input": { "n": n } }).to_string(),
                "application/json",
            )
            .await;
        assert_eq!(status, 201, "start run {n}: {body}");
        ids.push(body["id"].as_str().expect("run id").to_owned());
    }

    // Two kills while effects are in flight, each followed by a restart.
    for fraction in [4, 2] {
        wait_for_deliveries(&seen, RUNS * STEPS / fraction, started).await;
        kill(&mut serve);
        let at_kill = deliveries(&seen);
        assert!(
            at_kill < RUNS * STEPS,
            "the kill came after the work was done ({at_kill} effects); it must land mid-flight"
        );
        serve = start_serve(&db, addr, &log);
        api.wait_healthy(started).await;
    }

    // Every run completes.
    for id in &ids {
        loop {
            assert!(
                started.elapsed() < DEADLINE,
                "run {id} did not complete; serve log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            let run = api.get(&format!("/api/v1/runs/{id}")).await;
            match run.as_ref().and_then(|r| r["status"].as_str()) {
                Some("completed") => break,
                Some("faulted" | "cancelled") => panic!("run {id} ended badly: {run:?}"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
    kill(&mut serve);

    // Every effect arrived, each under exactly one key, and no two effects share a key.
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(seen.len(), RUNS * STEPS, "effects missing");
    let mut keys = BTreeSet::new();
    let mut repeated = 0;
    for ((run, step), deliveries) in &seen {
        let distinct: BTreeSet<&String> = deliveries.iter().collect();
        assert_eq!(
            distinct.len(),
            1,
            "run {run} step {step} arrived under several keys: {deliveries:?}"
        );
        assert_ne!(deliveries[0], "<none>", "run {run} step {step} had no key");
        assert!(
            keys.insert(deliveries[0].clone()),
            "a key was shared by two effects"
        );
        repeated += deliveries.len() - 1;
    }
    eprintln!(
        "{} effects, {repeated} repeated deliveries (same key), {:.1} s",
        seen.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_the_same_file_is_refused_naming_the_holder() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shopflow.db");
    let addr = free_port();
    let mut first = start_serve(&db, addr, &dir.path().join("first.log"));
    Api::new(addr).wait_healthy(started).await;

    let second = Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(["serve", "--db"])
        .arg(&db)
        .args(["--listen", &free_port().to_string()])
        .output()
        .expect("run a second serve");
    kill(&mut first);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("in use by pid {}", first.id())),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_parks_waiting_runs_and_the_next_start_finishes_them() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shopflow.db");
    let log = dir.path().join("serve.log");
    let addr = free_port();
    let api = Api::new(addr);
    let mut serve = start_serve(&db, addr, &log);
    api.wait_healthy(started).await;
    let flow = "document:
  dsl: '1.0.3'
  namespace: crash
  name: nap
  version: '1.0.0'
do:
  - nap:
      wait:
        seconds: 2
  - done:
      set:
        slept: true
";
    let (status, body) = api
        .post("/api/v1/flows", flow.to_owned(), "application/yaml")
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api
        .post(
            "/api/v1/runs",
            json!({ "flow": "crash/nap" }).to_string(),
            "application/json",
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("run id").to_owned();
    loop {
        assert!(started.elapsed() < DEADLINE);
        let run = api.get(&format!("/api/v1/runs/{id}")).await;
        if run.as_ref().and_then(|r| r["status"].as_str()) == Some("waiting") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let term = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(term.success());
    let exit = serve.wait().expect("serve exits");
    assert_eq!(
        exit.code(),
        Some(0),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let mut serve = start_serve(&db, addr, &log);
    api.wait_healthy(started).await;
    loop {
        assert!(
            started.elapsed() < DEADLINE,
            "the parked run did not finish"
        );
        let run = api
            .get(&format!("/api/v1/runs/{id}"))
            .await
            .unwrap_or(Value::Null);
        if run["status"] == "completed" {
            assert_eq!(run["output"], json!({ "slept": true }));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill(&mut serve);
}
