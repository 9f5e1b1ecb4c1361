//! The RPA workers through a real `shopflow serve` process: a flow logs in to a seller back
//! office (served by this test on loopback) in headless Chromium with a secret password, reads
//! the return's order and items, downloads the order screenshot, and issues a return voucher;
//! the link in its output opens the voucher's page and PDF without a login, an altered link is
//! refused, artifacts sit content-addressed in the data directory, and the password appears
//! nowhere in the journal or the log. Bad input (a page that never answers, a corrupt PDF)
//! fails only its own task, with an RFC 7807 error saying whether a retry helps, and the same
//! process goes on serving.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use serde_json::{Value, json};

const TOKEN: &str = "rpa-admin-token";
const PASSWORD: &str = "tea-garden-2026!";

struct Serve {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        // SIGTERM first, so serve shuts its browser pool down as an operator's stop would.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Harness {
    serve: Serve,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start(env: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let log = dir.path().join("serve.log");
        let child = Command::new(env!("CARGO_BIN_EXE_shopflow"))
            .arg("serve")
            .arg("--db")
            .arg(dir.path().join("shop.db"))
            .args(["--listen", &addr.to_string()])
            .env("SHOPFLOW_ADMIN_TOKEN", TOKEN)
            .env("SHOPFLOW_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start shopflow serve");
        let h = Harness {
            serve: Serve {
                child,
                base: format!("http://{addr}"),
                log,
            },
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            dir,
        };
        h.wait_for("serve to be healthy", || async {
            let r = h
                .http
                .get(format!("{}/healthz", h.serve.base))
                .send()
                .await
                .ok()?;
            r.status().is_success().then_some(())
        })
        .await;
        h
    }

    async fn wait_for<F, Fut, T>(&self, what: &str, check: F) -> T
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(v) = check().await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; serve log:\n{}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.serve.log).unwrap_or_default()
    }

    /// Deploys `tests/data/rpa/FLOW.yaml`, runs it with `input` and returns the ended run.
    async fn run(&self, flow: &str, input: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/api/v1/flows", self.serve.base))
            .bearer_auth(TOKEN)
            .body(std::fs::read_to_string(format!("tests/data/rpa/{flow}.yaml")).expect("flow"))
            .send()
            .await
            .expect("deploy");
        assert!(r.status().is_success(), "deploy {flow}: {}", r.status());
        let started: Value = self
            .http
            .post(format!("{}/api/v1/runs", self.serve.base))
            .bearer_auth(TOKEN)
            .json(&json!({"flow": format!("tests/{flow}"), "input": input}))
            .send()
            .await
            .expect("start")
            .json()
            .await
            .expect("run id");
        let id = started["id"].as_str().expect("id").to_owned();
        self.wait_for("the run to end", || async {
            let run: Value = self
                .http
                .get(format!("{}/api/v1/runs/{id}", self.serve.base))
                .bearer_auth(TOKEN)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (run["status"] != "running" && run["status"] != "pending").then_some(run)
        })
        .await
    }

    /// The stored file of an artifact reference.
    fn artifact(&self, reference: &Value) -> Vec<u8> {
        let digest = reference["artifact"]
            .as_str()
            .expect("artifact reference")
            .trim_start_matches("sha256:");
        let path = self
            .dir
            .path()
            .join("shop-data/artifacts/sha256")
            .join(&digest[..2])
            .join(digest);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every byte of the database files, to search for what must not be journaled.
    fn journal_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(b) = std::fs::read(self.dir.path().join(format!("shop.db{suffix}"))) {
                all.extend(b);
            }
        }
        all
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A PNG the back office offers for download (any bytes do; they must arrive unchanged).
const SCAN: &[u8] = b"\x89PNG\r\n\x1a\nnot-really-an-image-but-bytes-to-compare";

/// A seller back office: a login with a password, a return page with the order number and an
/// items table, and a download of the order screenshot. Pages need the session cookie.
async fn back_office() -> String {
    fn logged_in(headers: &HeaderMap) -> bool {
        headers
            .get(header::COOKIE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.contains("sid=ok"))
    }
    let app = Router::new()
        .route(
            "/login",
            get(|| async {
                Html(
                    "<html><body><form method='post' action='/login'>\
                     <input id='user' name='user'><input id='password' name='password' type='password'>\
                     <button type='submit'>登录</button></form></body></html>",
                )
            })
            .post(|axum::Form(form): axum::Form<std::collections::HashMap<String, String>>| async move {
                if form.get("password").map(String::as_str) == Some(PASSWORD) {
                    (
                        [(header::SET_COOKIE, "sid=ok; Path=/; HttpOnly")],
                        Redirect::to("/returns/RF77881"),
                    )
                        .into_response()
                } else {
                    (StatusCode::UNAUTHORIZED, Html("<p>密码错误</p>")).into_response()
                }
            }),
        )
        .route(
            "/returns/RF77881",
            get(|headers: HeaderMap| async move {
                if !logged_in(&headers) {
                    return Redirect::to("/login").into_response();
                }
                Html(
                    "<html><body><h1>售后单 RF77881</h1><p>订单号 <span id='order'>4102938475610293</span></p>\
                     <table id='items'><thead><tr><th>商品</th><th>数量</th></tr></thead><tbody>\
                     <tr><td>明前龙井 250g 礼盒装</td><td>2</td></tr>\
                     <tr><td>玻璃茶杯 350ml</td><td>1</td></tr></tbody></table>\
                     <a href='/returns/RF77881/scan.png' download>下载订单截图</a></body></html>",
                )
                .into_response()
            }),
        )
        .route(
            "/returns/RF77881/scan.png",
            get(|headers: HeaderMap| async move {
                if !logged_in(&headers) {
                    return StatusCode::FORBIDDEN.into_response();
                }
                (
                    [
                        (header::CONTENT_TYPE, "image/png"),
                        (header::CONTENT_DISPOSITION, "attachment; filename=\"order-4102938475610293.png\""),
                    ],
                    SCAN,
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the back office");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_reads_the_back_office_in_chromium_and_issues_a_voucher() {
    let office = back_office().await;
    let secret = json!({"password": PASSWORD}).to_string();
    let h = Harness::start(&[("SHOPFLOW_SECRET_BACKOFFICE", secret.as_str())]).await;
    let run = h.run("return-backoffice", json!({"office": office})).await;
    assert_eq!(run["status"], "completed", "{run}\n{}", h.log());
    let out = &run["output"];

    // What the browser read and downloaded.
    let extracted = &out["browser"]["extracted"];
    assert_eq!(extracted["order"], "4102938475610293");
    assert_eq!(extracted["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(extracted["scan"]["name"], "order-4102938475610293.png");
    assert_eq!(h.artifact(&extracted["scan"]), SCAN);

    // The voucher lists the back office's items.
    let voucher = &out["voucher"];
    let url = voucher["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/v/v1.", h.serve.base)), "{url}");
    let page = h.http.get(url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.expect("html");
    let rma = voucher["rma"].as_str().expect("rma");
    for want in [
        rma,
        "4102938475610293",
        "明前龙井 250g 礼盒装",
        "玻璃茶杯 350ml",
    ] {
        assert!(html.contains(want), "{want} missing from the voucher page");
    }
    for private in ["王磊", "88886666", "文一西路"] {
        assert!(!html.contains(private), "{private} on the public page");
    }
    let pdf = h
        .http
        .get(voucher["pdf_url"].as_str().expect("pdf url"))
        .send()
        .await
        .expect("pdf");
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.expect("pdf bytes");
    assert_eq!(h.artifact(&voucher["pdf"]), pdf.as_ref());

    // Altered or unknown links: 404 with an explanation, for the page and the PDF.
    let forged = url.replacen("/v/v1.", "/v/v1.A", 1);
    for bad in [
        forged.clone(),
        format!("{forged}/voucher.pdf"),
        format!("{}/v/nonsense", h.serve.base),
    ] {
        let r = h.http.get(&bad).send().await.expect("forged");
        assert_eq!(r.status(), 404, "{bad}");
        assert!(r.text().await.expect("body").contains("Invalid voucher"));
    }

    // The password was typed by the worker: it is in neither the journal nor the log.
    assert!(
        !contains(&h.journal_bytes(), PASSWORD),
        "password in the journal"
    );
    assert!(!h.log().contains(PASSWORD), "password in the log");
    drop(h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_faults_the_run_before_any_browser_starts() {
    let office = back_office().await;
    let h = Harness::start(&[]).await;
    let run = h.run("return-backoffice", json!({"office": office})).await;
    assert_eq!(run["status"], "faulted", "{run}");
    let detail = run["error"]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("backoffice.password"), "{detail}");
    assert!(!Path::new(&h.dir.path().join("shop-data/browser/profiles/backoffice")).exists());
}

/// A server on loopback that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the silent server");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}/returns")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_its_own_task_and_serve_goes_on() {
    use base64::Engine as _;
    let silent = silent_server().await;
    let office = back_office().await;
    let secret = json!({"password": PASSWORD}).to_string();
    let h = Harness::start(&[("SHOPFLOW_SECRET_BACKOFFICE", secret.as_str())]).await;
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4\nnot a PDF at all");
    let run = h
        .run("bad-inputs", json!({"silent": silent, "pdf": pdf}))
        .await;
    assert_eq!(run["status"], "completed", "{run}\n{}", h.log());

    // Each failure is an RFC 7807 problem that says whether a retry can help.
    let browser = &run["output"]["browser"];
    assert_eq!(browser["status"], 408, "{browser}");
    assert!(
        browser["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/timeout"),
        "{browser}"
    );
    let detail = browser["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("{silent} did not finish loading"))
            && detail.ends_with("Retryable: running the block again can succeed."),
        "{detail}"
    );
    let ocr = &run["output"]["ocr"];
    assert_eq!(ocr["status"], 400, "{ocr}");
    assert_eq!(ocr["title"], "Corrupt document", "{ocr}");
    let detail = ocr["detail"].as_str().unwrap_or_default();
    assert!(
        detail.ends_with("Retrying the same document fails the same way."),
        "{detail}"
    );

    // The same process still drives a browser, reads documents and issues vouchers.
    let good = h.run("return-backoffice", json!({"office": office})).await;
    assert_eq!(good["status"], "completed", "{good}\n{}", h.log());
    let browser_tmp = h.dir.path().join("shop-data/browser/tmp");
    let left: Vec<_> = std::fs::read_dir(&browser_tmp)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "browser folders left: {left:?}");
}
