//! The desk's REST API through `Router::oneshot` over a real SQLite engine and a real
//! `desk.db`: lists and filters, resolve handing the freed seat to the next waiting ticket,
//! decisions with their audit rows, and in both cases the CloudEvent journaled by the engine
//! before the 2xx; 400 with a pointer, 404, 409 and the token roles.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use shopflow_classify::{Department, Urgency};
use shopflow_core::FunctionRegistry;
use shopflow_desk::{Desk, DeskSettings, NewTask, TicketRequest};
use shopflow_embedded::journal::TokenRecord;
use shopflow_embedded::{Engine, EngineOptions};
use shopflow_server::auth::{seed_admin, token_hash};
use shopflow_server::{Intake, Services};
use tower::ServiceExt;

mod common;
use common::ADMIN;
const FINANCE: &str = "finance-token";
const VIEWER: &str = "viewer-token";
const NOW: i64 = 1_795_478_400_000;

struct App {
    router: Router,
    engine: Engine,
    desk: Arc<Desk>,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::engine(dir.path()).await;
    // Decisions are recorded under the token's identity: the finance token is finance-chen's.
    for (token, role, name) in [
        (FINANCE, "finance", "finance-chen"),
        (VIEWER, "viewer", "viewer"),
    ] {
        engine
            .store()
            .journal()
            .add_token(&TokenRecord {
                hash: token_hash(token),
                name: name.to_owned(),
                role: role.to_owned(),
                created_ms: 0,
            })
            .await
            .expect("add token");
    }
    let settings: DeskSettings = serde_json::from_value(json!({
        "agent": [{"name": "li", "skills": ["logistics", "zh"], "cap": 1}]
    }))
    .expect("settings");
    let desk =
        Arc::new(Desk::open(dir.path().join("desk.db"), settings, Arc::new(|| NOW)).expect("desk"));
    let intake = Intake {
        config: Arc::new(shopflow_connectors::Config::default()),
        clock: Arc::new(|| NOW),
    };
    let services = Services {
        desk: Some(Arc::clone(&desk)),
        ..Services::default()
    };
    App {
        router: shopflow_server::router_full(engine.clone(), intake, services),
        engine,
        desk,
        _dir: dir,
    }
}

impl App {
    async fn send(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body.to_owned()))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// The ids of the events the engine has journaled (none is consumed in these tests).
    fn journaled(&self) -> Vec<String> {
        self.engine
            .store()
            .journal()
            .unconsumed_events()
            .expect("events")
            .into_iter()
            .map(|(_, e, _)| e["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn event(&self, id: &str) -> Value {
        self.engine
            .store()
            .journal()
            .unconsumed_events()
            .expect("events")
            .into_iter()
            .map(|(_, e, _)| e)
            .find(|e| e["id"] == id)
            .unwrap_or(Value::Null)
    }
}

fn ticket(id: &str) -> TicketRequest {
    TicketRequest {
        ticket_id: id.into(),
        shop: "tmall-flagship".into(),
        buyer_id: Some("tb_1".into()),
        department: Department::Logistics,
        language: "zh".into(),
        urgency: Urgency::Normal,
        vip: false,
        handover: false,
        summary: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_list_show_and_resolve() {
    let a = app().await;
    a.desk.assign(ticket("TK-1"), "k1").await.expect("assign");
    a.desk.assign(ticket("TK-2"), "k2").await.expect("assign");

    let (status, body) = a
        .send("GET", "/api/v1/tickets?status=queued", VIEWER, "")
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["tickets"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["TK-2"]);
    let (_, body) = a.send("GET", "/api/v1/tickets?agent=li", VIEWER, "").await;
    assert_eq!(body["tickets"][0]["id"], "TK-1");
    assert_eq!(body["tickets"][0]["sla_due_at"], "2026-11-24T01:00:00.000Z");
    let (_, body) = a
        .send("GET", "/api/v1/tickets?queue=logistics&limit=1", VIEWER, "")
        .await;
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(1));

    let (status, body) = a
        .send("GET", "/api/v1/tickets?status=done", VIEWER, "")
        .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("queued, assigned")
    );
    let (status, _) = a
        .send("GET", "/api/v1/tickets?colour=red", VIEWER, "")
        .await;
    assert_eq!(status, 400);

    let (status, body) = a.send("GET", "/api/v1/tickets/TK-2", VIEWER, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["audit"][0]["action"], "queued");
    let (status, body) = a.send("GET", "/api/v1/tickets/nope", VIEWER, "").await;
    assert_eq!((status, body["title"].as_str()), (404, Some("Not found")));

    // Bad bodies: 400 pointing at the member; nothing changes.
    for (body, pointer) in [
        ("", ""),
        ("{\"by\": ", ""),
        ("[]", ""),
        ("{}", "/by"),
        ("{\"by\": 7}", "/by"),
        ("{\"by\": \"li\", \"note\": 1}", "/note"),
    ] {
        let (status, answer) = a
            .send("POST", "/api/v1/tickets/TK-1/resolve", ADMIN, body)
            .await;
        assert_eq!(
            (status, answer["pointer"].as_str()),
            (400, Some(pointer)),
            "{body}: {answer}"
        );
    }
    assert!(a.journaled().is_empty());
    // Viewers and finance may not resolve.
    for token in [VIEWER, FINANCE] {
        let (status, _) = a
            .send(
                "POST",
                "/api/v1/tickets/TK-1/resolve",
                token,
                "{\"by\": \"li\"}",
            )
            .await;
        assert_eq!(status, 403);
    }

    let (status, body) = a
        .send(
            "POST",
            "/api/v1/tickets/TK-1/resolve",
            ADMIN,
            "{\"by\": \"li\"}",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["status"], "resolved");
    assert_eq!(body["ticket"]["resolved_by"], "li");
    assert_eq!(
        body["assigned"],
        json!([{"ticket_id": "TK-2", "agent": "li", "queue": "logistics"}])
    );
    // Journaled by the engine before the answer, and gone from the desk's outbox.
    let resolved = a.event("desk:ticket.resolved:TK-1");
    assert_eq!(resolved["type"], "shopflow.ticket.resolved");
    assert_eq!(resolved["subject"], "TK-1");
    assert_eq!(
        resolved["data"],
        json!({"ticket_id": "TK-1", "agent": "li", "by": "li"})
    );
    assert!(
        a.journaled()
            .contains(&"desk:ticket.assigned:TK-2:logistics".to_owned())
    );
    assert!(a.desk.pending_events().expect("outbox").is_empty());

    let (status, body) = a
        .send(
            "POST",
            "/api/v1/tickets/TK-1/resolve",
            ADMIN,
            "{\"by\": \"li\"}",
        )
        .await;
    assert_eq!(
        (status, body["title"].as_str()),
        (409, Some("Conflict")),
        "{body}"
    );
    let (status, _) = a
        .send(
            "POST",
            "/api/v1/tickets/nope/resolve",
            ADMIN,
            "{\"by\": \"li\"}",
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_decisions_publish_once_with_an_audit_row() {
    let a = app().await;
    for (key, subject) in [("o1", "O-1"), ("o2", "O-2")] {
        a.desk
            .open_task(
                NewTask {
                    queue: "finance".into(),
                    kind: "invoice_review".into(),
                    title: format!("发票复核 {subject}"),
                    subject: subject.into(),
                    reasons: json!([{"code": "split_required"}]),
                    data: json!({"total": "1130.00"}),
                    run_id: Some("run-9".into()),
                },
                key,
            )
            .await
            .expect("open");
    }
    let (status, body) = a
        .send("GET", "/api/v1/tasks?queue=finance&status=open", VIEWER, "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["tasks"][0]["id"], "T-000001");
    assert_eq!(body["tasks"][0]["reasons"][0]["code"], "split_required");

    for (body, pointer) in [
        ("{\"decision\": \"maybe\", \"by\": \"chen\"}", "/decision"),
        ("{\"by\": \"chen\"}", "/decision"),
        // Someone else's name: decisions are recorded under the signed-in identity.
        ("{\"decision\": \"approve\", \"by\": \"chen\"}", "/by"),
        (
            "{\"decision\": \"approve\", \"by\": \"chen\", \"changes\": []}",
            "/changes",
        ),
        (
            "{\"decision\": \"approve\", \"by\": \"chen\", \"reason\": 1}",
            "/reason",
        ),
        (
            "{\"decision\": \"approve\", \"by\": \"chen\", \"who\": 1}",
            "/who",
        ),
    ] {
        let (status, answer) = a
            .send("POST", "/api/v1/tasks/T-000001/decision", FINANCE, body)
            .await;
        assert_eq!(
            (status, answer["pointer"].as_str()),
            (400, Some(pointer)),
            "{body}: {answer}"
        );
    }
    let (status, _) = a
        .send(
            "POST",
            "/api/v1/tasks/T-000001/decision",
            VIEWER,
            "{\"decision\": \"approve\", \"by\": \"chen\"}",
        )
        .await;
    assert_eq!(status, 403);

    let decision = json!({
        "decision": "approve",
        "reason": "税额按行重算",
        "changes": {"total": "1129.99"},
        "by": "finance-chen"
    });
    let (status, body) = a
        .send(
            "POST",
            "/api/v1/tasks/T-000001/decision",
            FINANCE,
            &decision.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "decided");
    assert_eq!(body["decision"]["by"], "finance-chen");
    let event = a.event("desk:task.decided:T-000001");
    assert_eq!(event["type"], "shopflow.task.decided");
    assert_eq!(event["subject"], "T-000001");
    assert_eq!(event["source"], "shopflow/desk");
    assert_eq!(
        event["data"],
        json!({
            "task_id": "T-000001",
            "decision": "approve",
            "reason": "税额按行重算",
            "changes": {"total": "1129.99"},
            "by": "finance-chen"
        })
    );

    let again = json!({"decision": "reject"}).to_string();
    let (status, body) = a
        .send("POST", "/api/v1/tasks/T-000001/decision", FINANCE, &again)
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("finance-chen")
    );
    let (status, _) = a
        .send("POST", "/api/v1/tasks/T-999999/decision", FINANCE, &again)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        a.journaled()
            .iter()
            .filter(|id| id.starts_with("desk:task.decided:"))
            .count(),
        1,
        "one decision, one event"
    );

    let (status, body) = a.send("GET", "/api/v1/tasks/T-000001", VIEWER, "").await;
    assert_eq!(status, 200, "{body}");
    let audit = body["audit"].as_array().expect("audit");
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1]["action"], "decided");
    assert_eq!(audit[1]["by"], "finance-chen");
    assert_eq!(audit[1]["before"]["status"], "open");
    assert_eq!(audit[1]["after"]["status"], "decided");
    let (status, _) = a.send("GET", "/api/v1/tasks/T-404", VIEWER, "").await;
    assert_eq!(status, 404);
    let (_, body) = a
        .send("GET", "/api/v1/tasks?status=decided", VIEWER, "")
        .await;
    assert_eq!(body["tasks"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_desk_the_endpoints_are_absent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = FunctionRegistry::with_builtins();
    let engine = Engine::open(
        dir.path().join("api.db"),
        EngineOptions::default(),
        registry,
        Vec::new(),
    )
    .expect("engine");
    seed_admin(&engine, ADMIN, 0).await.expect("seed");
    let router = shopflow_server::router(engine);
    let request = Request::builder()
        .uri("/api/v1/tickets")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .expect("request");
    let response = router.oneshot(request).await.expect("answer");
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_delivers_events_queued_by_functions() {
    let a = app().await;
    a.desk.assign(ticket("TK-1"), "k1").await.expect("assign");
    a.desk.assign(ticket("TK-2"), "k2").await.expect("assign");
    let relay = shopflow_server::desk::spawn_relay(a.engine.clone().into(), Arc::clone(&a.desk));
    // Escalating frees li's seat; TK-2 gets it and its event goes out through the relay.
    a.desk
        .escalate("TK-1", "sla", "e1")
        .await
        .expect("escalate");
    let wanted = "desk:ticket.assigned:TK-2:logistics".to_owned();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !a.journaled().contains(&wanted) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .ok();
    relay.abort();
    // The relay may still be deleting the delivered row; the engine has the event either way.
    assert!(a.journaled().contains(&wanted), "{:?}", a.journaled());
}
