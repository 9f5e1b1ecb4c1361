//! The REST API over real HTTP on loopback: tokens and roles, malformed bodies answered with
//! a 400 pointing at the problem, unknown flows 404, invalid flows with their lines, and
//! nothing half-created by a refused request.

use std::time::Duration;

use serde_json::{Value, json};
use shopflow_embedded::journal::TokenRecord;
use shopflow_server::auth::token_hash;

mod common;
use common::ADMIN;
const FINANCE: &str = "finance-token";
const VIEWER: &str = "viewer-token";

struct Server {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::engine(dir.path()).await;
    for (token, role) in [(FINANCE, "finance"), (VIEWER, "viewer")] {
        engine
            .store()
            .journal()
            .add_token(&TokenRecord {
                hash: token_hash(token),
                name: role.to_owned(),
                role: role.to_owned(),
                created_ms: 0,
            })
            .await
            .expect("add token");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, shopflow_server::router(engine)).await;
    });
    Server {
        base,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client"),
        _dir: dir,
    }
}

impl Server {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.body(body.to_owned()).send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

const FLOW: &str = "document: {dsl: '1.0.3', namespace: api, name: hello, version: '1.0.0'}\ndo:\n  - hi:\n      set:\n        greeting: hello\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_roles_guard_the_api() {
    let s = server().await;
    assert_eq!(s.send("GET", "/api/v1/runs", None, "").await.0, 401);
    assert_eq!(
        s.send("GET", "/api/v1/runs", Some("wrong"), "").await.0,
        401
    );
    assert_eq!(s.send("GET", "/api/v1/runs", Some(VIEWER), "").await.0, 200);
    let (status, body) = s.send("POST", "/api/v1/flows", Some(VIEWER), FLOW).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        s.send("POST", "/api/v1/flows", Some(FINANCE), FLOW).await.0,
        403
    );
    let event = json!({"id": "d1", "type": "invoice.decided", "source": "finance"}).to_string();
    let (status, body) = s
        .send("POST", "/api/v1/events", Some(FINANCE), &event)
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        s.send("POST", "/api/v1/events", Some(VIEWER), &event)
            .await
            .0,
        403
    );
    let no_id = json!({"type": "invoice.decided", "source": "finance"}).to_string();
    let (status, body) = s
        .send("POST", "/api/v1/events", Some(FINANCE), &no_id)
        .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("/id")),
        "{body}"
    );
    assert_eq!(s.send("GET", "/healthz", None, "").await.0, 200);
    let (status, _) = s.send("GET", "/metrics", None, "").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_say_what_and_where_and_create_nothing() {
    let s = server().await;
    let admin = Some(ADMIN);
    let (status, body) = s
        .send(
            "POST",
            "/api/v1/flows",
            admin,
            "document: {dsl: '1.0.3'}\ndo: []\n",
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["problems"][0]["line"].is_number(), "{body}");
    assert_eq!(
        s.send("GET", "/api/v1/flows", admin, "").await.1["flows"],
        json!([])
    );

    let (status, body) = s.send("POST", "/api/v1/flows", admin, FLOW).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(s.send("POST", "/api/v1/flows", admin, FLOW).await.0, 200);
    let changed = FLOW.replace("hello\n", "bonjour\n");
    assert_eq!(
        s.send("POST", "/api/v1/flows", admin, &changed).await.0,
        409
    );

    let (status, body) = s.send("POST", "/api/v1/runs", admin, "{\"flow\": ").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("line 1"),
        "{body}"
    );
    let (status, body) = s
        .send("POST", "/api/v1/runs", admin, "{\"input\": {}}")
        .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("/flow")),
        "{body}"
    );
    let (status, body) = s.send("POST", "/api/v1/runs", admin, "{\"flow\": 7}").await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("/flow")),
        "{body}"
    );
    let (status, body) = s
        .send(
            "POST",
            "/api/v1/runs",
            admin,
            "{\"flow\": \"api/hello\", \"inptu\": {}}",
        )
        .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("/inptu")),
        "{body}"
    );
    let (status, _) = s
        .send("POST", "/api/v1/runs", admin, "{\"flow\": \"api/nope\"}")
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        s.send("GET", "/api/v1/runs", admin, "").await.1["runs"],
        json!([])
    );
    assert_eq!(s.send("GET", "/api/v1/runs/none", admin, "").await.0, 404);
    assert_eq!(
        s.send("GET", "/api/v1/runs?status=bogus", admin, "")
            .await
            .0,
        400
    );

    let (status, body) = s
        .send(
            "POST",
            "/api/v1/runs",
            admin,
            "{\"flow\": \"api/hello\", \"input\": {}}",
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let mut run = Value::Null;
    for _ in 0..200 {
        run = s
            .send("GET", &format!("/api/v1/runs/{id}"), admin, "")
            .await
            .1;
        if run["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(run["output"], json!({"greeting": "hello"}), "{run}");
    let listed = s
        .send(
            "GET",
            "/api/v1/runs?flow=api/hello&status=completed",
            admin,
            "",
        )
        .await
        .1;
    assert_eq!(listed["runs"][0]["id"], json!(id));
    assert_eq!(
        s.send("POST", &format!("/api/v1/runs/{id}/cancel"), admin, "")
            .await
            .0,
        409
    );
}
