//! The web console through `Router::oneshot` over a real SQLite engine, a real `desk.db` and
//! real users: every page renders for the roles that may see it, the login page starts a
//! session, pages redirect to it without one, a viewer sees personal data masked, roles are
//! refused what they may not do (403), forms without the session's CSRF token are refused,
//! a deploy shows the validator's problems at their lines, and a decision from the invoice
//! review page resumes the waiting run.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};
use shopflow_core::{FunctionRegistry, RunStatus};
use shopflow_desk::{Desk, DeskSettings};
use shopflow_embedded::journal::PutMode;
use shopflow_embedded::{Engine, EngineOptions};
use shopflow_server::Services;
use shopflow_server::auth::Role;
use shopflow_server::auth::users::{UserChange, put_user};
use tower::ServiceExt;

const PASSWORD: &str = "correct-horse-battery-staple";
/// A credit code whose check character is mistyped (DOMAIN.md's example, last digit changed).
const TYPO_ID: &str = "91350100M000100Y44";
const GOOD_ID: &str = "91350100M000100Y43";
const PHONE: &str = "13812345678";

const REVIEW_FLOW: &str = r#"document: {dsl: '1.0.3', namespace: test, name: review, version: '1.0.0'}
do:
  - openTask:
      call: task.open
      with:
        queue: finance
        kind: invoice_review
        title: ${ "发票复核 " + .order_id }
        subject: ${ .order_id }
        reasons: [{code: buyer_tax_id_invalid, message: the tax id fails its check, field: /buyer/tax_id}]
        data:
          shop: tmall
          order_id: ${ .order_id }
          payer: ${ .payer }
          lines: [{name: 空气炸锅, quantity: '1', unit_price: '406.19', amount: '406.19', tax_rate: 13%, tax: '52.81'}]
          amount: '406.19'
          tax: '52.81'
          total: '459.00'
          expected_total: '459.00'
          screenshot: null
          ocr_fields: null
      export:
        as: '${ {task: .} }'
  - decision:
      listen:
        to:
          one:
            with:
              type: shopflow.task.decided
            correlate:
              task:
                from: ${ .data.task_id }
                expect: ${ $context.task.task_id }
  - done:
      set:
        decided: ${ .[0].decision }
        changes: ${ .[0].changes }
        by: ${ .[0].by }
"#;

struct App {
    router: Router,
    engine: Engine,
    desk: Arc<Desk>,
    _dir: tempfile::TempDir,
}

/// A signed-in browser: the session cookie and the CSRF token of its forms.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn app() -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings: DeskSettings = serde_json::from_value(json!({})).expect("settings");
    let desk = Arc::new(
        Desk::open(
            dir.path().join("desk.db"),
            settings,
            Arc::new(|| chrono::Utc::now().timestamp_millis()),
        )
        .expect("desk"),
    );
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_desk::register(&mut registry, Arc::clone(&desk));
    let names = registry.names().into_iter().map(str::to_owned).collect();
    let options = EngineOptions {
        schedules: false,
        ..EngineOptions::default()
    };
    let engine =
        Engine::open(dir.path().join("console.db"), options, registry, names).expect("engine");
    for (name, role) in [
        ("ops.li", Role::Ops),
        ("chen.jing", Role::Finance),
        ("viewer.wu", Role::Viewer),
    ] {
        put_user(
            engine.store().journal(),
            UserChange {
                name,
                role,
                password: Some(PASSWORD),
                mode: PutMode::Create,
                actor: "test",
                client: None,
                now_ms: 0,
            },
        )
        .await
        .expect("a user");
    }
    engine.deploy(REVIEW_FLOW).await.expect("deploy");
    let services = Services {
        desk: Some(Arc::clone(&desk)),
        ..Services::default()
    };
    let intake = shopflow_server::Intake {
        config: Arc::new(shopflow_connectors::Config::default()),
        clock: shopflow_connectors::client::system_clock(),
    };
    App {
        router: shopflow_server::router_full(engine.clone(), intake, services),
        engine,
        desk,
        _dir: dir,
    }
}

struct Answer {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

impl App {
    async fn request(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.expect("answer");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Answer {
            status,
            location,
            cookies,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, who: Option<&Browser>, path: &str) -> Answer {
        let mut r = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(b) = who {
            r = r.header(header::COOKIE, &b.cookie);
        }
        self.request(r.body(Body::empty()).expect("request")).await
    }

    async fn post(&self, who: Option<&Browser>, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut r = Request::post(path)
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(b) = who {
            r = r.header(header::COOKIE, &b.cookie);
        }
        let body = serde_urlencoded::to_string(form).expect("form");
        self.request(r.body(Body::from(body)).expect("request"))
            .await
    }

    /// Logs in through the login page and reads the CSRF token from the next page's forms.
    async fn login(&self, name: &str) -> Browser {
        let a = self
            .post(
                None,
                "/login",
                &[
                    ("name", name),
                    ("password", PASSWORD),
                    ("next", "/console/runs"),
                ],
            )
            .await;
        assert_eq!(a.status, 303, "{}", a.body);
        assert_eq!(a.location, "/console/runs");
        let cookie = a
            .cookies
            .iter()
            .find(|c| c.starts_with("shopflow_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let page = self.get(Some(&b), "/console/runs").await;
        assert_eq!(page.status, 200, "{}", page.body);
        b.csrf = field_value(&page.body, "csrf").expect("a CSRF field");
        b
    }

    async fn start_review(&self) -> (String, String) {
        let run = self
            .engine
            .start(
                "test/review",
                json!({"order_id": "3958201174630021",
                       "payer": {"kind": "company", "name": "上海悦家电子商务有限公司", "tax_id": TYPO_ID},
                       "buyer_phone": PHONE}),
            )
            .await
            .expect("start");
        let task = eventually(|| {
            self.desk
                .tasks(&shopflow_desk::TaskFilter {
                    queue: Some("finance".into()),
                    status: None,
                    limit: 10,
                })
                .ok()?
                .into_iter()
                .find(|t| t.run_id.as_deref() == Some(run.as_str()))
                .map(|t| t.id)
        })
        .await;
        (run, task)
    }
}

/// The `value` of the first `<input name=NAME>` of a page.
fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].to_owned())
}

/// Polls `probe` every 20 ms for at most 10 s.
async fn eventually<T>(probe: impl Fn() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_login_and_the_login_page_starts_a_session() {
    let a = app().await;
    let page = a.get(None, "/console/runs?flow=test%2Freview").await;
    assert_eq!(page.status, 303);
    assert!(
        page.location.starts_with("/login?next=/console/runs"),
        "{}",
        page.location
    );
    let root = a.get(None, "/").await;
    assert_eq!((root.status, root.location.as_str()), (303, "/console"));
    let login = a.get(None, "/login?next=/console/kpi").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("name=\"password\"") && login.body.contains("用户名"));
    let wrong = a
        .post(
            None,
            "/login",
            &[("name", "ops.li"), ("password", "not it at all")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("用户名或密码不正确"), "{}", wrong.body);
    assert!(wrong.cookies.is_empty());
    // A `next` off the site is not followed.
    let evil = a
        .post(
            None,
            "/login",
            &[
                ("name", "ops.li"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!((evil.status, evil.location.as_str()), (303, "/console"));
    let ops = a.login("ops.li").await;
    let home = a.get(Some(&ops), "/console").await;
    assert_eq!(
        (home.status, home.location.as_str()),
        (303, "/console/runs")
    );
    let finance = a.login("chen.jing").await;
    let home = a.get(Some(&finance), "/console").await;
    assert_eq!(
        home.location, "/console/finance",
        "finance starts at its queue"
    );
    // Logging out needs the token too, then ends the session.
    let refused = a.post(Some(&ops), "/logout", &[]).await;
    assert_eq!(refused.status, 403);
    let out = a.post(Some(&ops), "/logout", &[("csrf", &ops.csrf)]).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/login"));
    let after = a.get(Some(&ops), "/console/runs").await;
    assert_eq!(after.status, 303, "the session ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_in_both_languages() {
    let a = app().await;
    let (run, task) = a.start_review().await;
    let ops = a.login("ops.li").await;
    for path in [
        "/console/runs".to_owned(),
        "/console/runs?status=waiting&q=3958201174630021".to_owned(),
        format!("/console/run?id={run}"),
        "/console/flows".to_owned(),
        "/console/flow?flow=test%2Freview".to_owned(),
        "/console/deploy".to_owned(),
        "/console/kpi".to_owned(),
        "/console/finance".to_owned(),
        "/console/returns".to_owned(),
        format!("/console/tasks/{task}"),
        "/console/decisions".to_owned(),
    ] {
        let zh = a.get(Some(&ops), &path).await;
        assert_eq!(zh.status, 200, "{path}: {}", zh.body);
        assert!(zh.body.contains("<html lang=\"zh-CN\">"), "{path}");
        assert!(zh.body.contains("运行"), "{path} is in Chinese");
        let sep = if path.contains('?') { '&' } else { '?' };
        let en = a.get(Some(&ops), &format!("{path}{sep}lang=en")).await;
        assert_eq!(en.status, 200, "{path}");
        assert!(
            en.body.contains("<html lang=\"en\">") && en.body.contains(">Runs<"),
            "{path}"
        );
        assert!(
            en.cookies.iter().any(|c| c.starts_with("lang=en")),
            "{path}"
        );
    }
    let list = a.get(Some(&ops), "/console/runs?q=3958201174630021").await;
    assert!(
        list.body.contains(&run),
        "the search finds the run by its order id"
    );
    let none = a.get(Some(&ops), "/console/runs?q=nothing-like-it").await;
    assert!(!none.body.contains(&run));
    let detail = a.get(Some(&ops), &format!("/console/run?id={run}")).await;
    assert!(
        detail.body.contains("openTask") && detail.body.contains("task.open"),
        "the timeline"
    );
    assert!(
        detail.body.contains("<svg") || detail.body.contains("flowchart"),
        "the graph (or its Mermaid text without Graphviz)"
    );
    if detail.body.contains("<svg") {
        assert!(
            detail.body.contains("#fde68a"),
            "where the run waits is drawn yellow"
        );
    }
    assert!(
        detail.body.contains("badge s-in_progress"),
        "the listen is in progress"
    );
    assert!(
        detail.body.contains("value=\"cancel\""),
        "ops may cancel a waiting run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_see_personal_data_masked_and_cannot_change_anything() {
    let a = app().await;
    let (run, task) = a.start_review().await;
    let finance = a.login("chen.jing").await;
    let viewer = a.login("viewer.wu").await;
    let full = a
        .get(Some(&finance), &format!("/console/run?id={run}"))
        .await;
    assert!(full.body.contains(PHONE) && full.body.contains(TYPO_ID));
    for path in [
        format!("/console/run?id={run}"),
        format!("/console/tasks/{task}"),
        "/console/runs".into(),
    ] {
        let masked = a.get(Some(&viewer), &path).await;
        assert_eq!(masked.status, 200, "{path}");
        assert!(
            !masked.body.contains(PHONE),
            "{path} shows the phone number"
        );
        assert!(!masked.body.contains(TYPO_ID), "{path} shows the tax id");
    }
    let page = a
        .get(Some(&viewer), &format!("/console/run?id={run}"))
        .await;
    assert!(page.body.contains("138****5678"));
    assert!(
        !page.body.contains("value=\"cancel\""),
        "no buttons for viewers"
    );
    // Forbidden actions, with a valid CSRF token: 403.
    let cancel = a
        .post(
            Some(&viewer),
            "/console/run/action",
            &[("csrf", &viewer.csrf), ("id", &run), ("action", "cancel")],
        )
        .await;
    assert_eq!(cancel.status, 403);
    assert_eq!(a.get(Some(&viewer), "/console/deploy").await.status, 403);
    let decide = a
        .post(
            Some(&viewer),
            &format!("/console/tasks/{task}/decision"),
            &[("csrf", &viewer.csrf), ("verdict", "approve")],
        )
        .await;
    assert_eq!(decide.status, 403);
    let schedule = a
        .post(
            Some(&finance),
            "/console/flow/schedule",
            &[
                ("csrf", &finance.csrf),
                ("flow", "test/review"),
                ("enabled", "false"),
            ],
        )
        .await;
    assert_eq!(schedule.status, 403, "finance may not switch schedules");
    assert_eq!(
        a.get(Some(&finance), "/console/deploy").await.status,
        403,
        "finance may not deploy"
    );
    let ops = a.login("ops.li").await;
    let decide = a
        .post(
            Some(&ops),
            &format!("/console/tasks/{task}/decision"),
            &[("csrf", &ops.csrf), ("verdict", "approve")],
        )
        .await;
    assert_eq!(decide.status, 403, "ops may not decide invoices");
    assert_eq!(
        a.engine.get(&run).expect("run").record.status,
        RunStatus::Waiting
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_are_refused() {
    let a = app().await;
    let (run, _) = a.start_review().await;
    let ops = a.login("ops.li").await;
    for form in [
        vec![("id", run.as_str()), ("action", "cancel")],
        vec![
            ("csrf", "forged"),
            ("id", run.as_str()),
            ("action", "cancel"),
        ],
    ] {
        let answer = a.post(Some(&ops), "/console/run/action", &form).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
    }
    assert_eq!(
        a.engine.get(&run).expect("run").record.status,
        RunStatus::Waiting
    );
    let ok = a
        .post(
            Some(&ops),
            "/console/run/action",
            &[("csrf", &ops.csrf), ("id", &run), ("action", "cancel")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        a.engine.get(&run).expect("run").record.status,
        RunStatus::Cancelled
    );
    // Retry: a new run of the same version with the same input, linked by its id.
    let retry = a
        .post(
            Some(&ops),
            "/console/run/action",
            &[("csrf", &ops.csrf), ("id", &run), ("action", "retry")],
        )
        .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    let new_id = format!("{run}-r1");
    assert!(retry.location.ends_with(&new_id), "{}", retry.location);
    let page = a
        .get(Some(&ops), &format!("/console/run?id={new_id}"))
        .await;
    assert!(
        page.body.contains(&format!("/console/run?id={run}\"")),
        "links back"
    );
    assert_eq!(
        a.engine.get(&new_id).expect("retry").record.input,
        a.engine.get(&run).expect("run").record.input
    );
}

fn multipart(csrf: &str, yaml: &str) -> (String, String) {
    let boundary = "XyZconsoleBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"yaml\"\r\n\r\n{yaml}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n\
         --{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_shows_problems_at_their_lines() {
    let a = app().await;
    let ops = a.login("ops.li").await;
    let bad = "document: {dsl: '1.0.3', namespace: test, name: broken, version: '1.0.0'}\ndo:\n  - first:\n      set: {a: 1}\n  - second:\n      cal: nothing\n";
    let send = |csrf: &str, yaml: &str| {
        let (ct, body) = multipart(csrf, yaml);
        Request::post("/console/deploy")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &ops.cookie)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .expect("request")
    };
    let answer = a.request(send(&ops.csrf, bad)).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    // The problem sits under line 6, where `cal:` is.
    let line6 = answer.body.find("id=\"L6\"").expect("line 6");
    let diag = answer.body[line6..]
        .find("class=\"diag\"")
        .expect("a problem under it");
    assert!(diag < 400, "the problem is shown at its line");
    assert!(answer.body.contains("SW0"), "with its code");
    assert!(
        a.engine.workflow("test/broken").is_err(),
        "nothing deployed"
    );
    let good = bad.replace("cal: nothing", "set: {b: 2}");
    let answer = a.request(send(&ops.csrf, &good)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("test/broken"));
    assert!(a.engine.workflow("test/broken").is_ok());
    let forged = a.request(send("forged", &good)).await;
    assert_eq!(forged.status, 403);
    // Two versions: the diff.
    let v2 = good
        .replace("version: '1.0.0'", "version: '1.1.0'")
        .replace("{b: 2}", "{b: 3}");
    assert_eq!(a.request(send(&ops.csrf, &v2)).await.status, 200);
    let diff = a
        .get(
            Some(&ops),
            "/console/flow?flow=test%2Fbroken&from=1.0.0&to=1.1.0",
        )
        .await;
    assert!(
        diff.body.contains("class=\"l del\"") && diff.body.contains("class=\"l add\""),
        "{}",
        diff.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finance_decision_with_corrections_resumes_the_run() {
    let a = app().await;
    let (run, task) = a.start_review().await;
    let finance = a.login("chen.jing").await;
    let queue = a.get(Some(&finance), "/console/finance").await;
    assert!(queue.body.contains(&task), "the task is in the queue");
    let page = a
        .get(Some(&finance), &format!("/console/tasks/{task}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("buyer_tax_id_invalid") && page.body.contains("459.00"));
    assert_eq!(
        field_value(&page.body, "payer_tax_id").as_deref(),
        Some(TYPO_ID)
    );
    // A rejection needs a reason.
    let no_reason = a
        .post(
            Some(&finance),
            &format!("/console/tasks/{task}/decision"),
            &[("csrf", &finance.csrf), ("verdict", "reject")],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    let form = [
        ("csrf", finance.csrf.as_str()),
        ("verdict", "approve"),
        ("reason", "税号按营业执照更正"),
        ("payer_kind", "company"),
        ("payer_name", "上海悦家电子商务有限公司"),
        ("payer_tax_id", GOOD_ID),
        ("order_id", "3958201174630021"),
        ("expected_total", "459.00"),
        ("line0_name", "空气炸锅"),
        ("line0_quantity", "1"),
        ("line0_gross", "459.00"),
        ("line0_rate", "13%"),
        ("line1_rate", "13%"),
    ];
    let decided = a
        .post(
            Some(&finance),
            &format!("/console/tasks/{task}/decision"),
            &form,
        )
        .await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    let view = tokio::time::timeout(Duration::from_secs(10), a.engine.wait(&run))
        .await
        .expect("the run ends")
        .expect("the run");
    assert_eq!(
        view.record.status,
        RunStatus::Completed,
        "{:?}",
        view.record.error
    );
    let out: Value = view.record.output.expect("output");
    assert_eq!(out["decided"], "approve");
    assert_eq!(out["by"], "chen.jing");
    assert_eq!(
        out["changes"],
        json!({"payer": {"tax_id": GOOD_ID}}),
        "only the correction"
    );
    let page = a
        .get(Some(&finance), &format!("/console/tasks/{task}"))
        .await;
    assert!(
        page.body.contains("chen.jing") && page.body.contains(GOOD_ID),
        "the audit log"
    );
    assert!(page.body.contains("badge completed"), "the run's outcome");
    let again = a
        .post(
            Some(&finance),
            &format!("/console/tasks/{task}/decision"),
            &form,
        )
        .await;
    assert_eq!(again.status, 409, "a task is decided once");
    let log = a.get(Some(&finance), "/console/decisions").await;
    assert!(log.body.contains(&task) && log.body.contains("chen.jing"));
}
