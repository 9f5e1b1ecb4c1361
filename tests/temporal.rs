//! The Temporal backend through the `shopflow` binary, against a real dev server that the test
//! starts (`temporal server start-dev` from `.venv-temporal/`, see `scripts/temporal-dev.sh`):
//!
//! - `run --backend temporal` prints and exits exactly like the embedded `run` for the shipped
//!   samples and a selection of the conformance kit's examples;
//! - a worker killed in the middle of a call hands the call to another worker, which runs it
//!   again under the same idempotency key, and the run completes;
//! - an unreachable cluster is a clear error naming its address;
//! - `serve --backend temporal` runs flows, takes events and answers the REST API on the
//!   cluster (`tests/temporal/serve.rs`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_temporal::{Cluster, FlowCatalog, RunEnding, RunInput};

#[path = "temporal/serve.rs"]
mod serve;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// This test binary's dev server.
fn address() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        shopflow_temporal::dev_server::start(root())
            .unwrap_or_else(|e| panic!("no Temporal for the tests: {e}"))
    })
}

fn shopflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(args)
        .output()
        .expect("run shopflow")
}

/// Stdout as JSON with the values that differ between any two runs (event ids and times)
/// blanked.
fn normalized(out: &Output) -> Value {
    let mut value: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    if let Some(fields) = value.as_object_mut()
        && fields.contains_key("specversion")
    {
        for volatile in ["id", "time"] {
            if fields.contains_key(volatile) {
                fields.insert(volatile.into(), json!("…"));
            }
        }
    }
    value
}

/// A flow file, its input, and extra `run` arguments (mocks, sub-flows).
struct Case {
    file: PathBuf,
    input: Value,
    extra: Vec<String>,
}

fn example(name: &str, input: Value, extra: &[&str]) -> Case {
    Case {
        file: root().join(format!("../shared/conformance/examples/{name}.yaml")),
        input,
        extra: extra.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn run_on_temporal_prints_and_exits_like_the_embedded_engine() {
    let mock_pet = r#"http={"id":42,"name":"Rex","status":"available"}"#;
    let cases = [
        Case {
            file: root().join("workflows/samples/order-paid-thanks.yaml"),
            input: json!({"orderId": "A1", "amount": 120}),
            extra: Vec::new(),
        },
        example("set", json!([{"type": "start"}]), &[]),
        example("set-expression", json!([{"a": 1}]), &[]),
        example("switch-then-string", json!({"orderType": "physical"}), &[]),
        example("switch-then-string", json!({"orderType": "other"}), &[]),
        example("raise-inline", json!({}), &[]),
        example("raise-reusable", json!({}), &[]),
        example("emit", json!({}), &[]),
        example("do-single", json!({"petId": 42}), &["--mock", mock_pet]),
        example("do-multiple", json!({"petId": 42}), &["--mock", mock_pet]),
        example("try-catch", json!({"petId": 42}), &["--mock", mock_pet]),
        example(
            "fork",
            json!({"patient": {"fullName": "Ann"}, "room": {"number": 3}}),
            &["--mock", r#"http={"alerted":true}"#],
        ),
        example(
            "conditional-task",
            json!({"customer": {"age": 16}, "bet": {}}),
            &["--mock", r#"http={"placed":true}"#],
        ),
        example(
            "conditional-task",
            json!({"customer": {"age": 30}, "bet": {}}),
            &["--mock", r#"http={"placed":true}"#],
        ),
    ];
    for case in &cases {
        let file = case.file.to_string_lossy().into_owned();
        let input = case.input.to_string();
        let mut args = vec!["run", file.as_str(), "--input", input.as_str()];
        args.extend(case.extra.iter().map(String::as_str));
        let embedded = shopflow(&args);
        args.extend(["--backend", "temporal", "--temporal-address", address()]);
        let temporal = shopflow(&args);
        let what = format!("{} with {input}", case.file.display());
        assert_eq!(
            embedded.status.code(),
            temporal.status.code(),
            "{what}: exit status differs\nembedded stderr: {}\ntemporal stderr: {}",
            String::from_utf8_lossy(&embedded.stderr),
            String::from_utf8_lossy(&temporal.stderr)
        );
        assert_eq!(
            normalized(&embedded),
            normalized(&temporal),
            "{what}: output differs"
        );
    }
}

#[test]
fn an_invalid_flow_exits_2_on_temporal_too() {
    let bad = root().join("tests/data/cli/invalid.yaml");
    let out = shopflow(&[
        "run",
        bad.to_str().unwrap_or_default(),
        "--backend",
        "temporal",
        "--temporal-address",
        "127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unreachable_cluster_is_an_error_naming_its_address() {
    let flow = root().join("workflows/samples/order-paid-thanks.yaml");
    let unused = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = unused.local_addr().expect("an address").to_string();
    drop(unused);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let unreachable_db = dir.path().join("shopflow.db");
    for args in [
        vec![
            "run",
            flow.to_str().unwrap_or_default(),
            "--input",
            r#"{"orderId":"A1","amount":1}"#,
            "--backend",
            "temporal",
            "--temporal-address",
            &address,
        ],
        vec![
            "worker",
            "--backend",
            "temporal",
            "--temporal-address",
            &address,
        ],
        vec![
            "serve",
            "--db",
            unreachable_db.to_str().unwrap_or_default(),
            "--backend",
            "temporal",
            "--temporal-address",
            &address,
        ],
    ] {
        let out = shopflow(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot reach Temporal at {address}")),
            "{args:?}: {stderr}"
        );
    }
}

/// A loopback HTTP endpoint that never answers its first request and answers the others; it
/// reports each request's `Idempotency-Key`.
fn charge_endpoint() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let (seen, keys) = mpsc::channel();
    std::thread::spawn(move || {
        let held: Mutex<Vec<TcpStream>> = Mutex::new(Vec::new());
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let key = read_request(&mut stream);
            let _ = seen.send(key);
            if n == 0 {
                // The first attempt hangs until its worker dies.
                held.lock().map(|mut h| h.push(stream)).ok();
                continue;
            }
            let body = r#"{"charged":true}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, keys)
}

/// Reads one request (head and body); returns its `Idempotency-Key` header.
fn read_request(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let mut key = String::new();
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let head = &text[..head_end];
            let length = header(head, "content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            key = header(head, "idempotency-key").unwrap_or_default();
            if data.len() >= head_end + 4 + length {
                break;
            }
        }
    }
    key
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// `shopflow worker` on `queue` with a 2-second heartbeat timeout, its data under `data`.
fn worker(queue: &str, data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(["worker", "--backend", "temporal", "--temporal-address"])
        .arg(address())
        .args(["--task-queue", queue, "--heartbeat-timeout", "2"])
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a worker process")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_call_hands_the_call_to_another_worker() {
    let (port, keys) = charge_endpoint();
    let flow = format!(
        r#"
document: {{dsl: '1.0.3', namespace: test, name: charge, version: '1.0.0'}}
do:
  - charge:
      call: http
      with:
        method: post
        endpoint: http://127.0.0.1:{port}/charge
        body: {{ order: A1 }}
  - done:
      set: {{ charged: '${{ .charged }}' }}
"#
    );
    let queue = format!("kill-{}", std::process::id());
    let cluster = Cluster::connect(address(), "default")
        .await
        .expect("the dev server");
    let data = std::env::temp_dir().join(format!("shopflow-kill-{}", std::process::id()));
    let mut first = worker(&queue, &data);
    let run_id = format!("charge-{}", std::process::id());
    let input = RunInput {
        run_id: run_id.clone(),
        flow: FlowCatalog::new(Vec::new()).add(&flow).expect("valid"),
        flows: Vec::new(),
        input: json!({}),
        carried: None,
        max_task_executions: None,
    };
    cluster.start(input, &queue).await.expect("the run starts");
    let first_key = tokio::task::spawn_blocking(move || {
        let key = keys
            .recv_timeout(Duration::from_secs(60))
            .expect("the first worker calls the endpoint");
        (key, keys)
    });
    let (first_key, keys) = first_key.await.expect("the endpoint thread");
    // The call is in flight on the first worker: kill it (SIGKILL, no goodbye).
    first.kill().expect("the first worker is killed");
    let _ = first.wait();
    let mut second = worker(&queue, &data);
    let ending = tokio::time::timeout(Duration::from_secs(120), cluster.wait(&run_id))
        .await
        .expect("the run ends within 2 minutes")
        .expect("the run's result");
    let _ = second.kill();
    let _ = second.wait();
    let _ = std::fs::remove_dir_all(&data);
    let RunEnding::Completed(output) = ending else {
        panic!("the run did not complete: {ending:?}");
    };
    assert_eq!(output, json!({"charged": true}));
    let second_key = keys
        .recv_timeout(Duration::from_secs(1))
        .expect("the second worker called the endpoint again");
    assert!(!first_key.is_empty(), "the call carried no Idempotency-Key");
    assert_eq!(first_key, second_key, "the retried call changed its key");
}
