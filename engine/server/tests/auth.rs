//! Users, roles, sessions and the audit log through `Router::oneshot` over a real engine and
//! desk: 401 without credentials, 403 naming the permission a role lacks (finance cannot
//! deploy flows, ops cannot decide a finance task), masked personal data for viewers, session
//! cookies with CSRF, logout, expiry, lockout on a driven clock, and the audit endpoint.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use shopflow_desk::{Desk, DeskSettings, NewTask};
use shopflow_embedded::Engine;
use shopflow_embedded::journal::PutMode;
use shopflow_server::auth::users::{UserChange, create_token, put_user};
use shopflow_server::auth::{
    AuthVia, CurrentUser, LoginError, Role, authenticate, login, logout, require_csrf,
    wall_clock_ms,
};
use shopflow_server::{Intake, Services};
use tower::ServiceExt;

mod common;
use common::ADMIN;
const PASSWORD: &str = "correct horse battery";
const HOUR: i64 = 3600 * 1000;
const FLOW: &str = "document: {dsl: '1.0.3', namespace: api, name: hello, version: '1.0.0'}\ndo:\n  - hi:\n      set:\n        greeting: hello\n";

struct App {
    router: Router,
    engine: Engine,
    desk: Arc<Desk>,
    /// API tokens of wang (ops), chen (finance) and zhao (viewer).
    ops: String,
    finance: String,
    viewer: String,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::engine(dir.path()).await;
    let journal = engine.store().journal();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("wang", Role::Ops),
        ("chen", Role::Finance),
        ("zhao", Role::Viewer),
    ] {
        add_user(&engine, name, role).await;
        let token = create_token(journal, name, "tests", "cli", None, 1)
            .await
            .expect("token");
        tokens.push(token);
    }
    let settings: DeskSettings = serde_json::from_value(json!({
        "agent": [{"name": "li", "skills": ["logistics", "zh"], "cap": 1}]
    }))
    .expect("settings");
    let desk = Arc::new(
        Desk::open(dir.path().join("desk.db"), settings, Arc::new(|| 1_000)).expect("desk"),
    );
    for (queue, kind, key) in [
        ("finance", "invoice_review", "f1"),
        ("returns", "return_review", "r1"),
    ] {
        desk.open_task(
            NewTask {
                queue: queue.into(),
                kind: kind.into(),
                title: format!("{kind} O-1"),
                subject: "O-1".into(),
                reasons: json!([{"code": "unclear"}]),
                data: json!({
                    "buyer_tax_id": "91350100M000100Y43",
                    "receiver": {"name": "张三", "phone": "13812345678"},
                    "address": "浙江省杭州市西湖区文三路90号",
                    "total": "1130.00",
                }),
                run_id: None,
            },
            key,
        )
        .await
        .expect("open task");
    }
    let intake = Intake {
        config: Arc::new(shopflow_connectors::Config::default()),
        clock: Arc::new(|| 1_000),
    };
    let services = Services {
        desk: Some(Arc::clone(&desk)),
        ..Services::default()
    };
    let [ops, finance, viewer] = <[String; 3]>::try_from(tokens).expect("three tokens");
    App {
        router: shopflow_server::router_full(engine.clone(), intake, services),
        engine,
        desk,
        ops,
        finance,
        viewer,
        _dir: dir,
    }
}

async fn add_user(engine: &Engine, name: &str, role: Role) {
    put_user(
        engine.store().journal(),
        UserChange {
            name,
            role,
            password: Some(PASSWORD),
            mode: PutMode::Create,
            actor: "cli",
            client: None,
            now_ms: 1,
        },
    )
    .await
    .expect("add user");
}

/// How a test request proves who it is.
enum Cred<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str, Option<&'a str>),
}

impl App {
    async fn send(&self, method: &str, path: &str, cred: Cred<'_>, body: &str) -> (u16, Value) {
        let mut request = Request::builder().method(method).uri(path);
        match cred {
            Cred::None => {}
            Cred::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            Cred::Cookie(cookie, csrf) => {
                request = request.header("cookie", cookie);
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf);
                }
            }
        }
        let request = request.body(Body::from(body.to_owned())).expect("request");
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

    async fn bearer(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
        self.send(method, path, Cred::Bearer(token), body).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_gets_401_403_or_200_on_representative_routes() {
    let a = app().await;
    let (status, body) = a.send("GET", "/api/v1/runs", Cred::None, "").await;
    assert_eq!(
        (status, body["title"].as_str()),
        (401, Some("Unauthorized"))
    );
    assert_eq!(a.bearer("GET", "/api/v1/runs", "sf_wrong", "").await.0, 401);
    for token in [&a.viewer, &a.finance, &a.ops, ADMIN] {
        assert_eq!(a.bearer("GET", "/api/v1/runs", token, "").await.0, 200);
    }

    // Finance cannot deploy flows; the problem names the permission.
    let (status, body) = a.bearer("POST", "/api/v1/flows", &a.finance, FLOW).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["permission"], "deploy-flows");
    assert_eq!(body["role"], "finance");
    let (status, body) = a.bearer("POST", "/api/v1/flows", &a.ops, FLOW).await;
    assert_eq!(status, 201, "{body}");

    // Finance sends events but does not steer runs; viewers do neither.
    let event = json!({"id": "e1", "type": "invoice.decided", "source": "t"}).to_string();
    assert_eq!(
        a.bearer("POST", "/api/v1/events", &a.finance, &event)
            .await
            .0,
        202
    );
    let (status, body) = a.bearer("POST", "/api/v1/events", &a.viewer, &event).await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("send-events"))
    );
    let (status, body) = a
        .bearer("POST", "/api/v1/runs/r1/cancel", &a.finance, "")
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("steer-runs"))
    );
    let schedule = "/api/v1/flows/api/hello/schedule";
    let (status, body) = a
        .bearer("POST", schedule, &a.finance, "{\"enabled\": false}")
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("toggle-schedules"))
    );
    assert_ne!(
        a.bearer("POST", schedule, &a.ops, "{\"enabled\": false}")
            .await
            .0,
        403
    );

    // Users and the audit log are for admins.
    let (status, body) = a.bearer("GET", "/api/v1/audit", &a.ops, "").await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("manage-users"))
    );
    assert_eq!(a.bearer("GET", "/api/v1/audit", ADMIN, "").await.0, 200);
    assert_eq!(
        a.bearer("GET", "/api/v1/users", &a.finance, "").await.0,
        403
    );
    let (status, body) = a.bearer("GET", "/api/v1/users", ADMIN, "").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["chen", "wang", "zhao"]);
    assert!(!body.to_string().contains("argon2"), "no hashes: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_decisions_follow_the_tasks_queue_and_record_the_signed_in_user() {
    let a = app().await;
    let approve = json!({"decision": "approve", "reason": "ok"}).to_string();
    // T-000001 is in `finance`, T-000002 in `returns`.
    let (status, body) = a
        .bearer("POST", "/api/v1/tasks/T-000001/decision", &a.ops, &approve)
        .await;
    assert_eq!(status, 403, "ops cannot decide a finance task: {body}");
    assert_eq!(body["permission"], "decide-task:finance");
    let (status, body) = a
        .bearer(
            "POST",
            "/api/v1/tasks/T-000002/decision",
            &a.finance,
            &approve,
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("decide-task:returns"))
    );
    let (status, body) = a
        .bearer(
            "POST",
            "/api/v1/tasks/T-000001/decision",
            &a.viewer,
            &approve,
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("decide-task"))
    );

    // `by` names someone else: refused; left out: the signed-in user.
    let other = json!({"decision": "approve", "by": "wang"}).to_string();
    let (status, body) = a
        .bearer(
            "POST",
            "/api/v1/tasks/T-000001/decision",
            &a.finance,
            &other,
        )
        .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (400, Some("/by")),
        "{body}"
    );
    let (status, body) = a
        .bearer(
            "POST",
            "/api/v1/tasks/T-000001/decision",
            &a.finance,
            &approve,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"]["by"], "chen");
    let mine = json!({"decision": "reject", "by": "wang", "reason": "生鲜"}).to_string();
    let (status, body) = a
        .bearer("POST", "/api/v1/tasks/T-000002/decision", &a.ops, &mine)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"]["by"], "wang");
    // Admins may record a decision on behalf of someone; without `by` the seeded token
    // decides as `admin`.
    for key in ["r2", "r3"] {
        let task = NewTask {
            queue: "returns".into(),
            kind: "return_review".into(),
            title: "return".into(),
            subject: key.into(),
            reasons: json!([]),
            data: json!({}),
            run_id: None,
        };
        a.desk.open_task(task, key).await.expect("open");
    }
    let (status, body) = a
        .bearer("POST", "/api/v1/tasks/T-000003/decision", ADMIN, &other)
        .await;
    assert_eq!(
        (status, body["decision"]["by"].as_str()),
        (200, Some("wang")),
        "{body}"
    );
    let (status, body) = a
        .bearer("POST", "/api/v1/tasks/T-000004/decision", ADMIN, &approve)
        .await;
    assert_eq!(
        (status, body["decision"]["by"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
    let (status, _) = a
        .bearer("POST", "/api/v1/tasks/T-000009/decision", ADMIN, &approve)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_see_personal_data_masked() {
    let a = app().await;
    let (_, task) = a
        .bearer("GET", "/api/v1/tasks/T-000001", &a.finance, "")
        .await;
    assert_eq!(task["data"]["receiver"]["phone"], "13812345678");
    assert_eq!(task["data"]["buyer_tax_id"], "91350100M000100Y43");

    let (status, task) = a
        .bearer("GET", "/api/v1/tasks/T-000001", &a.viewer, "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(task["data"]["receiver"]["phone"], "138****5678");
    assert_eq!(task["data"]["receiver"]["name"], "张*");
    assert_eq!(task["data"]["address"], "浙江省杭州市****");
    assert_eq!(task["data"]["buyer_tax_id"], "9135************43");
    assert_eq!(task["data"]["total"], "1130.00");
    let (_, list) = a.bearer("GET", "/api/v1/tasks", &a.viewer, "").await;
    assert!(!list.to_string().contains("13812345678"), "{list}");

    a.bearer("POST", "/api/v1/flows", ADMIN, FLOW).await;
    let start = json!({"flow": "api/hello", "input": {"buyer": {
        "phone": "13900001111", "address": "上海市浦东新区张江路88号"}}});
    let (status, run) = a
        .bearer("POST", "/api/v1/runs", &a.ops, &start.to_string())
        .await;
    assert_eq!(status, 201, "{run}");
    let path = format!("/api/v1/runs/{}", run["id"].as_str().expect("id"));
    let (_, seen) = a.bearer("GET", &path, &a.viewer, "").await;
    assert_eq!(seen["input"]["buyer"]["phone"], "139****1111");
    assert_eq!(seen["input"]["buyer"]["address"], "上海市****");
    let (_, seen) = a.bearer("GET", &path, &a.ops, "").await;
    assert_eq!(seen["input"]["buyer"]["phone"], "13900001111");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_need_csrf_for_changes_and_end_at_logout() {
    let a = app().await;
    let now = wall_clock_ms();
    let ok = login(&a.engine, "Chen", PASSWORD, "10.1.2.3", now)
        .await
        .expect("login");
    assert_eq!((ok.user.as_str(), ok.role), ("chen", Role::Finance));
    assert!(ok.set_cookie.contains("HttpOnly; SameSite=Strict"));
    let cookie = ok.cookie_header();

    let (status, _) = a
        .send("GET", "/api/v1/tasks", Cred::Cookie(&cookie, None), "")
        .await;
    assert_eq!(status, 200);
    let event = json!({"id": "e2", "type": "invoice.decided", "source": "t"}).to_string();
    let (status, body) = a
        .send(
            "POST",
            "/api/v1/events",
            Cred::Cookie(&cookie, None),
            &event,
        )
        .await;
    assert_eq!(
        (status, body["title"].as_str()),
        (403, Some("CSRF check failed"))
    );
    let (status, _) = a
        .send(
            "POST",
            "/api/v1/events",
            Cred::Cookie(&cookie, Some("forged")),
            &event,
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = a
        .send(
            "POST",
            "/api/v1/events",
            Cred::Cookie(&cookie, Some(&ok.csrf_token)),
            &event,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    // Still a finance session: no deploying.
    let (status, body) = a
        .send(
            "POST",
            "/api/v1/flows",
            Cred::Cookie(&cookie, Some(&ok.csrf_token)),
            FLOW,
        )
        .await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (403, Some("deploy-flows"))
    );

    let mut headers = axum::http::HeaderMap::new();
    headers.insert(header::COOKIE, cookie.parse().expect("header"));
    let user =
        authenticate(a.engine.store().journal(), &headers, "10.1.2.3", now).expect("signed in");
    assert_eq!(user.via, AuthVia::Session);
    assert_eq!(user.csrf_token, ok.csrf_token);
    let clear = logout(&a.engine, &user).await.expect("logout");
    assert!(clear.contains("Max-Age=0"));
    let (status, _) = a
        .send("GET", "/api/v1/tasks", Cred::Cookie(&cookie, None), "")
        .await;
    assert_eq!(status, 401, "the session ended at logout");

    // The audit log has the login and the logout, with the client.
    let (_, audit) = a.bearer("GET", "/api/v1/audit?user=chen", ADMIN, "").await;
    let kinds: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["logout", "login", "token_created", "user_created"]);
    assert_eq!(audit["entries"][1]["client"], "10.1.2.3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_when_idle_or_old_and_when_the_role_changes() {
    let a = app().await;
    let now = wall_clock_ms();
    let get = |cookie: String| {
        let a = &a;
        async move {
            a.send("GET", "/api/v1/tasks", Cred::Cookie(&cookie, None), "")
                .await
                .0
        }
    };
    let idle = login(&a.engine, "wang", PASSWORD, "t", now - 13 * HOUR)
        .await
        .expect("login");
    assert_eq!(get(idle.cookie_header()).await, 401, "12 idle hours");
    let fresh = login(&a.engine, "wang", PASSWORD, "t", now - HOUR)
        .await
        .expect("login");
    assert_eq!(get(fresh.cookie_header()).await, 200);
    let old = login(&a.engine, "zhao", PASSWORD, "t", now - 8 * 24 * HOUR)
        .await
        .expect("login");
    assert_eq!(get(old.cookie_header()).await, 401, "older than 7 days");

    // A role change ends wang's sessions; his token follows the new role.
    put_user(
        a.engine.store().journal(),
        UserChange {
            name: "wang",
            role: Role::Viewer,
            password: None,
            mode: PutMode::Update,
            actor: "cli",
            client: None,
            now_ms: now,
        },
    )
    .await
    .expect("demote");
    assert_eq!(get(fresh.cookie_header()).await, 401);
    let (status, body) = a.bearer("POST", "/api/v1/flows", &a.ops, FLOW).await;
    assert_eq!((status, body["role"].as_str()), (403, Some("viewer")));
    let (_, audit) = a
        .bearer("GET", "/api/v1/audit?kind=role_changed", ADMIN, "")
        .await;
    assert_eq!(audit["entries"][0]["detail"]["from"], "ops");
    assert_eq!(audit["entries"][0]["detail"]["to"], "viewer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failed_logins_lock_for_15_minutes_known_or_not() {
    let a = app().await;
    let t0 = 1_800_000_000_000;
    for name in ["chen", "nobody"] {
        for i in 0..4 {
            let e = login(&a.engine, name, "wrong password", "10.0.0.7", t0 + i)
                .await
                .expect_err("wrong");
            assert_eq!(e, LoginError::Invalid);
        }
        let e = login(&a.engine, name, "wrong password", "10.0.0.7", t0 + 10)
            .await
            .expect_err("locks");
        let until = t0 + 10 + 15 * 60 * 1000;
        assert_eq!(e, LoginError::LockedOut { until_ms: until }, "{name}");
        assert!(e.to_string().contains("locked until"), "{e}");
        // Even the right password waits for the lock to end.
        let e = login(&a.engine, name, PASSWORD, "10.0.0.7", until - 1)
            .await
            .expect_err("still locked");
        assert_eq!(e, LoginError::LockedOut { until_ms: until });
    }
    let ok = login(
        &a.engine,
        "chen",
        PASSWORD,
        "10.0.0.7",
        t0 + 10 + 15 * 60 * 1000,
    )
    .await
    .expect("the lock is over");
    assert_eq!(ok.user, "chen");

    let (_, audit) = a.bearer("GET", "/api/v1/audit?user=chen", ADMIN, "").await;
    let kinds: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds[..4],
        ["login", "login_locked", "lockout", "login_failed"],
        "{audit}"
    );
    assert_eq!(audit["entries"][2]["client"], "10.0.0.7");
}

async fn whoami(user: CurrentUser) -> String {
    format!("{} {}", user.name, user.role)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_redirect_browsers_to_login_and_forms_need_the_csrf_field() {
    let a = app().await;
    let pages: Router = Router::new()
        .route("/page", get(whoami).post(whoami))
        .layer(axum::middleware::from_fn_with_state(
            a.engine.clone(),
            require_csrf,
        ))
        .with_state(a.engine.clone());
    let send = |request: Request<Body>| {
        let pages = pages.clone();
        async move {
            let response = pages
                .oneshot(request)
                .await
                .expect("answer")
                .into_response();
            let status = response.status();
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (
                status,
                location,
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    };
    let html = Request::get("/page?tab=2")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::empty())
        .expect("request");
    let (status, location, _) = send(html).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login?next=/page%3Ftab%3D2"));
    let json = Request::get("/page").body(Body::empty()).expect("request");
    assert_eq!(send(json).await.0, StatusCode::UNAUTHORIZED);

    let ok = login(&a.engine, "zhao", PASSWORD, "t", wall_clock_ms())
        .await
        .expect("login");
    let form = |csrf: &str| {
        Request::post("/page")
            .header(header::COOKIE, ok.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("note=hi&csrf={csrf}")))
            .expect("request")
    };
    let (status, _, body) = send(form(&ok.csrf_token)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "zhao viewer"));
    assert_eq!(send(form("nope")).await.0, StatusCode::FORBIDDEN);
    let bearer = Request::post("/page")
        .header(header::AUTHORIZATION, format!("Bearer {}", a.viewer))
        .body(Body::from("note=hi"))
        .expect("request");
    assert_eq!(send(bearer).await.0, StatusCode::OK, "tokens need no CSRF");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_stop_working_at_once_and_are_audited() {
    let a = app().await;
    let journal = a.engine.store().journal();
    let erp = create_token(journal, "wang", "ERP", "cli", None, 2)
        .await
        .expect("token");
    // Only admins revoke.
    let (status, _) = a
        .bearer("DELETE", "/api/v1/users/wang/tokens", &a.ops, "")
        .await;
    assert_eq!(status, 403);
    let (status, body) = a
        .bearer("DELETE", "/api/v1/users/wang/tokens?labels=ERP", ADMIN, "")
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = a
        .bearer("DELETE", "/api/v1/users/ghost/tokens", ADMIN, "")
        .await;
    assert_eq!(status, 404, "{body}");

    // One label: that token stops working, wang's other token goes on.
    let (status, body) = a
        .bearer("DELETE", "/api/v1/users/wang/tokens?label=ERP", ADMIN, "")
        .await;
    assert_eq!((status, &body["revoked"]), (200, &json!(1)), "{body}");
    assert_eq!(a.bearer("GET", "/api/v1/runs", &erp, "").await.0, 401);
    assert_eq!(a.bearer("GET", "/api/v1/runs", &a.ops, "").await.0, 200);
    // All of them; a second time there is nothing left.
    let (status, body) = a
        .bearer("DELETE", "/api/v1/users/wang/tokens", ADMIN, "")
        .await;
    assert_eq!((status, &body["revoked"]), (200, &json!(1)), "{body}");
    assert_eq!(a.bearer("GET", "/api/v1/runs", &a.ops, "").await.0, 401);
    let (_, body) = a
        .bearer("DELETE", "/api/v1/users/wang/tokens", ADMIN, "")
        .await;
    assert_eq!(body["revoked"], 0);
    // The seeded admin token is no user's and stays.
    assert_eq!(a.bearer("GET", "/api/v1/runs", ADMIN, "").await.0, 200);

    let (_, audit) = a
        .bearer("GET", "/api/v1/audit?kind=token_revoked", ADMIN, "")
        .await;
    let rows = audit["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2, "{audit}");
    assert_eq!(rows[1]["detail"]["label"], "ERP", "{audit}");
    assert_eq!(rows[0]["detail"]["revoked"], 1, "{audit}");
    assert!(
        rows.iter()
            .all(|r| r["user"] == "wang" && r["actor"] == "admin"),
        "{audit}"
    );
}
