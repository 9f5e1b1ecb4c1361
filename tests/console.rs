//! The web console in real headless Chromium (fantoccini over chromedriver) against a whole
//! shopflow ([`shopflow::app::stack`], `workflows/invoice-ocr.yaml`, the sandbox platforms):
//! finance logs in, opens the invoice the robot was not sure about (a mistyped tax id),
//! corrects the field and approves, and sees the run complete; a viewer sees the run with the
//! tax id masked and is refused a change (403).
//!
//! `cargo test --test console -- --ignored screenshots` also writes the screenshots of
//! docs/console.md and docs/finance-review.md into `docs/images/`.

#[allow(
    dead_code,
    reason = "the flows tests' world, of which this test uses a part"
)]
#[path = "flows/world.rs"]
mod world;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use shopflow_embedded::journal::PutMode;
use shopflow_server::auth::Role;
use shopflow_server::auth::users::{UserChange, put_user};

use world::World;

const PASSWORD: &str = "console-test-password";
/// DOMAIN.md's worked credit code, and the same with its check character mistyped.
const GOOD_ID: &str = "91350100M000100Y43";
const TYPO_ID: &str = "91350100M000100Y44";
/// How long the browser may take for something that should happen soon.
const PATIENCE: Duration = Duration::from_secs(60);

/// chromedriver on a free local port, killed (with its browsers) when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bin = std::env::var("SHOPFLOW_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .arg("--log-level=SEVERE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {bin} ({e}); scripts/setup.sh installs chromium-driver")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn browser(&self) -> Client {
        let chromium =
            std::env::var("SHOPFLOW_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--window-size=1440,1100",
                         "--lang=zh-CN", "--hide-scrollbars"],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!("an object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        builder
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn add_user(w: &World, name: &str, role: Role) {
    put_user(
        w.stack().engine.store().journal(),
        UserChange {
            name,
            role,
            password: Some(PASSWORD),
            mode: PutMode::Create,
            actor: "test",
            client: None,
            now_ms: w.now(),
        },
    )
    .await
    .expect("a user");
}

/// Logs in through the login page, starting from `path` (the console sends the browser to
/// the login page and back).
async fn login(c: &Client, api: &str, name: &str, path: &str) {
    c.goto(&format!("{api}{path}")).await.expect("open");
    let url = c.current_url().await.expect("url");
    assert!(url.path() == "/login", "sent to the login page, not {url}");
    c.find(Locator::Id("name"))
        .await
        .expect("name")
        .send_keys(name)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    c.find(Locator::Id("login"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    wait_until(c, "logged in", |url, _| url != "/login").await;
}

/// Polls the page (path, source) until `done` says so.
async fn wait_until(c: &Client, what: &str, done: impl Fn(&str, &str) -> bool) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let url = c
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let source = c.source().await.unwrap_or_default();
        if done(&url, &source) {
            return source;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting until {what}; at {url}:\n{source}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn request_invoice(w: &World, shop: &str, order: &str, payer: Value) {
    w.publish(json!({
        "specversion": "1.0", "id": format!("invoice:{shop}:{order}"), "source": "tests",
        "type": "shopflow.invoice.requested", "subject": order,
        "data": {"shop": shop, "order_id": order, "payer": payer},
    }))
    .await;
}

async fn paid_order(w: &World, title: &str, sku: &str, fen: i64) -> String {
    let order = w.order("tmall", "paid", title, sku, fen).await;
    order["order_id"].as_str().expect("order id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_corrects_an_invoice_in_the_browser_and_a_viewer_sees_it_masked() {
    let w = World::start(&["invoice-ocr.yaml"]).await;
    add_user(&w, "chen.jing", Role::Finance).await;
    add_user(&w, "viewer.wu", Role::Viewer).await;
    let order = paid_order(&w, "空气炸锅 4.5L", "FRYER-45", 45_900).await;
    request_invoice(
        &w,
        "tmall",
        &order,
        json!({"kind": "company", "name": "上海悦家电子商务有限公司", "tax_id": TYPO_ID}),
    )
    .await;
    let run = w.run_of("invoice-ocr").await;
    let task = w.tasks("finance", 1).await[0]["id"]
        .as_str()
        .expect("task id")
        .to_owned();

    let driver = Driver::start();
    let c = driver.browser().await;
    // Finance: the queue, the task, the correction, the approval, the run's end.
    login(&c, &w.api, "chen.jing", "/console").await;
    wait_until(&c, "the finance queue", |url, s| {
        url == "/console/finance" && s.contains(&task)
    })
    .await;
    c.find(Locator::LinkText(&task))
        .await
        .expect("the task's link")
        .click()
        .await
        .expect("open");
    wait_until(&c, "the task page", |url, _| {
        url == format!("/console/tasks/{task}")
    })
    .await;
    let field = c
        .find(Locator::Id("payer_tax_id"))
        .await
        .expect("the tax id field");
    assert_eq!(
        field.prop("value").await.expect("value").as_deref(),
        Some(TYPO_ID)
    );
    field.clear().await.expect("clear");
    field.send_keys(GOOD_ID).await.expect("type");
    c.find(Locator::Id("reason"))
        .await
        .expect("reason")
        .send_keys("税号按营业执照更正")
        .await
        .expect("type");
    c.find(Locator::Id("approve"))
        .await
        .expect("approve")
        .click()
        .await
        .expect("click");
    // The page reloads itself until the run has ended.
    wait_until(&c, "the run completed", |_, s| {
        s.contains("id=\"run-outcome\"") && s.contains("badge completed")
    })
    .await;
    let out = w.output(&run).await;
    assert_eq!(out["outcome"], "issued", "{out}");
    assert_eq!(out["reviewed_by"], "chen.jing");
    let page = c.source().await.expect("source");
    assert!(
        page.contains(GOOD_ID),
        "finance sees the corrected tax id and the audit log"
    );
    // Log out with the header's button.
    c.find(Locator::Css("header form button"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    wait_until(&c, "logged out", |url, _| url == "/login").await;

    // A viewer: the same run with the tax id masked, no buttons, and 403 for a change.
    login(&c, &w.api, "viewer.wu", &format!("/console/run?id={run}")).await;
    let page = wait_until(&c, "the run page", |url, s| {
        url == "/console/run" && s.contains(&run)
    })
    .await;
    assert!(
        !page.contains(GOOD_ID) && !page.contains(TYPO_ID),
        "tax ids are masked"
    );
    assert!(page.contains("9135"), "masked, not removed");
    assert!(!page.contains("value=\"cancel\""));
    let csrf = viewer_csrf(&page);
    c.goto(&format!("{}/console/deploy", w.api))
        .await
        .expect("open");
    let forbidden = c.source().await.expect("source");
    assert!(forbidden.contains("(403)"), "{forbidden}");
    let status = c
        .execute(
            "return fetch('/console/run/action', {method: 'POST', headers: {'Content-Type': \
             'application/x-www-form-urlencoded'}, body: 'csrf=' + encodeURIComponent(arguments[0]) \
             + '&action=retry&id=' + encodeURIComponent(arguments[1])}).then(r => r.status);",
            vec![json!(csrf), json!(run)],
        )
        .await
        .expect("fetch");
    assert_eq!(status, json!(403), "a viewer may not retry runs");
    c.close().await.expect("close");
    drop(driver);
    w.stop().await;
}

/// The CSRF token in a console page's logout form.
fn viewer_csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\"").map_or(0, |i| i);
    let tag_start = page[..at].rfind('<').unwrap_or(0);
    let tag = &page[tag_start..page[at..].find('>').map_or(page.len(), |e| at + e)];
    tag.split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or("")
        .to_owned()
}

fn image_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/images")
        .join(name)
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::create_dir_all(image_path("")).expect("docs/images");
    std::fs::write(image_path(name), png).expect("write the screenshot");
}

/// Writes the documentation's screenshots: the runs list, a run with its graph, a deploy with
/// a problem shown at its line, the KPI board and the finance review of a scanned order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/images/*.png; run on purpose: cargo test --test console -- --ignored"]
async fn screenshots() {
    use shopflow_ocr::samples::{RenderOptions, SampleLayout, render};
    let w = World::start(&["invoice-ocr.yaml"]).await;
    add_user(&w, "ops.li", Role::Ops).await;
    add_user(&w, "chen.jing", Role::Finance).await;
    // One invoice the robot issues alone, one with a mistyped tax id, one from a screenshot.
    let a = paid_order(&w, "陶瓷餐具 四件套", "DISH-4", 13_800).await;
    request_invoice(
        &w,
        "tmall",
        &a,
        json!({"kind": "company", "name": "杭州青禾贸易有限公司", "tax_id": GOOD_ID}),
    )
    .await;
    let b = paid_order(&w, "空气炸锅 4.5L", "FRYER-45", 45_900).await;
    request_invoice(
        &w,
        "tmall",
        &b,
        json!({"kind": "company", "name": "上海悦家电子商务有限公司", "tax_id": TYPO_ID}),
    )
    .await;
    let sample = render(SampleLayout::OrderScreenshot, &RenderOptions::default()).expect("render");
    let mut png = Vec::new();
    sample
        .image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    let screenshot = w
        .stack()
        .artifacts
        .put(&png, "image/png", "order.png")
        .expect("store");
    w.publish(json!({
        "specversion": "1.0", "id": "invoice:screenshot:1", "source": "tests",
        "type": "shopflow.invoice.requested",
        "data": {"shop": "tmall", "screenshot": screenshot, "payer": {"kind": "person", "name": "王芳"}},
    }))
    .await;
    let tasks = w.tasks("finance", 2).await;
    let scanned = w
        .eventually_async("the screenshot's task", || async {
            let v = w.api_get("/api/v1/tasks?queue=finance").await;
            v["tasks"]
                .as_array()?
                .iter()
                .find(|t| !t["data"]["ocr_fields"].is_null())
                .cloned()
        })
        .await;
    let typo = tasks
        .iter()
        .find(|t| t["data"]["ocr_fields"].is_null())
        .expect("the tax id task");
    let typo_run = typo["run_id"].as_str().expect("run").to_owned();

    let driver = Driver::start();
    let c = driver.browser().await;
    login(&c, &w.api, "ops.li", "/console/runs").await;
    wait_until(&c, "the runs", |url, _| url == "/console/runs").await;
    shot(&c, "console-runs.png").await;
    c.goto(&format!("{}/console/run?id={typo_run}", w.api))
        .await
        .expect("open");
    wait_until(&c, "the run page", |_, s| s.contains("<svg")).await;
    shot(&c, "console-run.png").await;
    c.execute(
        "document.querySelector('table.timeline').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scroll");
    shot(&c, "console-run-timeline.png").await;
    c.goto(&format!("{}/console/deploy", w.api))
        .await
        .expect("open");
    let broken = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows/invoice-ocr.yaml"),
    )
    .expect("the flow")
    .replace("version: '1.0.0'", "version: '1.1.0'")
    .replace("call: invoice.render", "call: invoice.rendr");
    c.execute(
        "document.getElementById('yaml').value = arguments[0];",
        vec![json!(broken)],
    )
    .await
    .expect("paste");
    c.find(Locator::Css("form.card button.primary"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_until(&c, "the problems", |_, s| s.contains("class=\"diag\"")).await;
    c.execute(
        "document.querySelector('.l.err').scrollIntoView({block: 'center'});",
        vec![],
    )
    .await
    .expect("scroll");
    shot(&c, "console-deploy-error.png").await;
    c.goto(&format!("{}/console/kpi", w.api))
        .await
        .expect("open");
    shot(&c, "console-kpi.png").await;
    c.find(Locator::Css("header form button"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    wait_until(&c, "logged out", |url, _| url == "/login").await;
    login(&c, &w.api, "chen.jing", "/console/finance").await;
    wait_until(&c, "the queue", |url, _| url == "/console/finance").await;
    shot(&c, "finance-queue.png").await;
    let id = scanned["id"].as_str().expect("id");
    c.goto(&format!("{}/console/tasks/{id}", w.api))
        .await
        .expect("open");
    wait_until(&c, "the scan", |_, s| s.contains("id=\"scan\"")).await;
    shot(&c, "finance-review.png").await;
    c.close().await.expect("close");
    drop(driver);
    w.stop().await;
}
