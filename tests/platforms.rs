//! End to end on the sandbox platforms: a real `shopflow serve` process with `--config`, the
//! sandbox (in this process) simulating Taobao, Pinduoduo, Douyin and Shopify on loopback.
//! Push messages travel the real channels (TMC and PDD over WebSocket, Douyin and Shopify
//! webhooks), start runs through `schedule.on`, feed a `listen`, and the runs' platform calls
//! land in the sandbox exactly once, also when the sandbox answers 5xx after applying a change,
//! holds an answer past the client's timeout, rate-limits, or expires the access token.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopflow_sandbox::{Sandbox, SandboxOptions};

const TOKEN: &str = "e2e-admin-token";

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
    l.local_addr().expect("free port address")
}

/// Secrets in files next to the config, as an operator would keep them.
fn write_config(dir: &Path, sandbox: SocketAddr) -> PathBuf {
    for (name, value) in [
        ("tb-secret", "tb-app-secret-123"),
        ("tb-session", "tb-session-abc"),
        ("tb-refresh", "tb-refresh-abc"),
        ("pdd-secret", "pdd-client-secret-456"),
        ("jd-secret", "jd-app-secret-321"),
        ("jd-token", "jd-token-abc"),
        ("pdd-token", "pdd-token-abc"),
        ("pdd-refresh", "pdd-refresh-abc"),
        ("dy-secret", "dy-app-secret-789"),
        ("dy-token", "dy-token-abc"),
        ("shopify-secret", "shpss_e2e_secret"),
        ("shopify-token", "shpat_e2e_token"),
    ] {
        std::fs::write(dir.join(name), value).expect("write a secret");
    }
    let s = format!("http://{sandbox}");
    let ws = format!("ws://{sandbox}");
    let text = format!(
        r#"
[[shop]]
name = "tmall"
platform = "taobao"
app_key = "12345678"
shop_id = "2200000001"
app_secret = {{ file = "tb-secret" }}
access_token = {{ file = "tb-session" }}
refresh_token = {{ file = "tb-refresh" }}
endpoint = "{s}/taobao"
push_endpoint = "{ws}/taobao/tmc"
timeout_ms = 1000

[[shop]]
name = "pdd"
platform = "pdd"
app_key = "pddclient"
shop_id = "456789"
app_secret = {{ file = "pdd-secret" }}
access_token = {{ file = "pdd-token" }}
refresh_token = {{ file = "pdd-refresh" }}
endpoint = "{s}/pdd"
push_endpoint = "{ws}/pdd"

[[shop]]
name = "jd"
platform = "jd"
app_key = "JDKEY"
app_secret = {{ file = "jd-secret" }}
access_token = {{ file = "jd-token" }}
endpoint = "{s}/jd"

[[shop]]
name = "douyin"
platform = "douyin"
app_key = "dykey"
shop_id = "4463798"
app_secret = {{ file = "dy-secret" }}
access_token = {{ file = "dy-token" }}
endpoint = "{s}/douyin"

[[shop]]
name = "us-store"
platform = "shopify"
domain = "us-store.myshopify.com"
app_secret = {{ file = "shopify-secret" }}
access_token = {{ file = "shopify-token" }}
endpoint = "{s}/shopify/us-store.myshopify.com"
"#
    );
    let path = dir.join("shopflow.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

struct Serve {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_serve(dir: &Path, config: &Path, addr: SocketAddr) -> Serve {
    let log = dir.join("serve.log");
    let child = Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .arg("serve")
        .arg("--db")
        .arg(dir.join("shopflow.db"))
        .arg("--config")
        .arg(config)
        .args(["--listen", &addr.to_string()])
        .env("SHOPFLOW_ADMIN_TOKEN", TOKEN)
        .env("SHOPFLOW_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start shopflow serve");
    Serve {
        child,
        base: format!("http://{addr}"),
        log,
    }
}

struct Harness {
    http: reqwest::Client,
    serve: Serve,
    sandbox: String,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox_addr = free_port();
        let serve_addr = free_port();
        let config_path = write_config(dir.path(), sandbox_addr);
        let config = shopflow_connectors::Config::load(&config_path).expect("config");
        let mut options = SandboxOptions::new(config, dir.path().join("sandbox.db"));
        options.hooks = Some(format!("http://{serve_addr}/hooks"));
        let sandbox = Sandbox::open(options).expect("open the sandbox");
        sandbox.set_resend_interval(Duration::from_millis(300));
        let listener = tokio::net::TcpListener::bind(sandbox_addr)
            .await
            .expect("bind the sandbox");
        tokio::spawn(sandbox.serve(listener));
        let serve = start_serve(dir.path(), &config_path, serve_addr);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let h = Harness {
            http,
            serve,
            sandbox: format!("http://{sandbox_addr}"),
            _dir: dir,
        };
        h.wait_healthy().await;
        for flow in [
            "taobao-refund",
            "pdd-return",
            "order-seen",
            "api-refund",
            "api-unpaid",
            "api-message",
            "api-invoice",
            "api-invoice-requests",
        ] {
            let yaml = std::fs::read_to_string(format!("tests/data/platforms/{flow}.yaml"))
                .expect("read the flow");
            let r = h
                .http
                .post(format!("{}/api/v1/flows", h.serve.base))
                .bearer_auth(TOKEN)
                .body(yaml)
                .send()
                .await
                .expect("deploy");
            assert!(r.status().is_success(), "deploy {flow}: {}", r.status());
        }
        h
    }

    /// Polls `check` every 50 ms for up to 30 s (things happen in another process).
    async fn until<F, Fut>(&self, what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(&self.serve.log).unwrap_or_default();
        panic!("timed out waiting until {what}; serve log:\n{log}");
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/_sandbox/{path}", self.sandbox))
            .json(&body)
            .send()
            .await
            .expect("sandbox control");
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST /_sandbox/{path}: {status} {v}");
        v
    }

    async fn sandbox_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/_sandbox/{path}", self.sandbox))
            .send()
            .await
            .expect("sandbox read")
            .json()
            .await
            .expect("sandbox JSON")
    }

    async fn effects(&self, shop: &str) -> Vec<Value> {
        self.sandbox_get(&format!("effects?shop={shop}")).await["effects"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn wait_healthy(&self) {
        self.until("shopflow serve answers /healthz", || async {
            self.http
                .get(format!("{}/healthz", self.serve.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
    }

    /// Starts a run through the REST API and waits for its end.
    async fn run(&self, flow: &str, input: Value) -> Value {
        let started: Value = self
            .http
            .post(format!("{}/api/v1/runs", self.serve.base))
            .bearer_auth(TOKEN)
            .json(&json!({"flow": flow, "input": input}))
            .send()
            .await
            .expect("start a run")
            .json()
            .await
            .expect("run id");
        let id = started["id"].as_str().expect("run id").to_owned();
        let url = format!("{}/api/v1/runs/{id}", self.serve.base);
        let ended = std::sync::Mutex::new(Value::Null);
        self.until(&format!("run {id} of {flow} ended"), || async {
            let v: Value = self
                .http
                .get(&url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("get run")
                .json()
                .await
                .expect("run JSON");
            let done = matches!(
                v["status"].as_str(),
                Some("completed" | "faulted" | "cancelled")
            );
            if done {
                *ended.lock().expect("lock") = v;
            }
            done
        })
        .await;
        ended.into_inner().expect("lock")
    }

    async fn runs(&self, flow: &str) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!("{}/api/v1/runs?flow={flow}", self.serve.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("list runs")
            .json()
            .await
            .expect("runs JSON");
        v["runs"].as_array().cloned().unwrap_or_default()
    }

    async fn completed(&self, flow: &str, n: usize) -> Vec<Value> {
        self.until(&format!("{n} runs of {flow} completed"), || async {
            let runs = self.runs(flow).await;
            let faulted: Vec<&Value> = runs.iter().filter(|r| r["status"] == "faulted").collect();
            assert!(faulted.is_empty(), "faulted runs: {faulted:?}");
            runs.iter().filter(|r| r["status"] == "completed").count() >= n
        })
        .await;
        let mut out = Vec::new();
        for r in self.runs(flow).await {
            let id = r["id"].as_str().expect("run id").to_owned();
            let full: Value = self
                .http
                .get(format!("{}/api/v1/runs/{id}", self.serve.base))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("get run")
                .json()
                .await
                .expect("run JSON");
            out.push(full);
        }
        out
    }
}

fn count_effects(effects: &[Value], method: &str, target: &str) -> usize {
    effects
        .iter()
        .filter(|e| e["method"] == method && e["target"] == target)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_start_runs_and_platform_calls_land_exactly_once_under_faults() {
    let h = Harness::start().await;
    // A few orders per shop and the shops' return addresses (seeding pushes nothing).
    h.control("seed", json!({"orders": 5, "seed": 7})).await;

    // Taobao over TMC: three refunds; the first agree answers 502 after taking effect, the
    // second is held past the client's 1 s timeout after taking effect, and one refund read
    // is rate-limited.
    h.control("faults", json!({"shop": "tmall", "method": "taobao.rp.refunds.agree", "kind": "5xx_after", "count": 1})).await;
    h.control("faults", json!({"shop": "tmall", "method": "taobao.rp.refunds.agree", "kind": "timeout", "count": 1, "hold_ms": 2500})).await;
    h.control(
        "faults",
        json!({"shop": "tmall", "method": "taobao.refund.get", "kind": "rate_limit", "count": 1}),
    )
    .await;
    let mut refunds = Vec::new();
    for _ in 0..3 {
        let order = h
            .control("orders", json!({"shop": "tmall", "status": "paid", "items": [{"title": "真丝围巾", "quantity": 1, "price_fen": 12900}]}))
            .await;
        let order_id = order["order_id"].as_str().expect("order id").to_owned();
        let refund = h
            .control("refunds", json!({"shop": "tmall", "order_id": order_id, "kind": "refund", "reason": "不想要了", "amount_fen": 5990}))
            .await;
        refunds.push(refund["refund_id"].as_str().expect("refund id").to_owned());
    }
    let runs = h.completed("e2e/taobao-refund", 3).await;
    assert_eq!(
        runs.len(),
        3,
        "one run per refund, none for the trade messages: {runs:?}"
    );
    let effects = h.effects("tmall").await;
    for refund in &refunds {
        assert_eq!(
            count_effects(&effects, "taobao.rp.refunds.agree", refund),
            1,
            "refund {refund} agreed exactly once: {effects:?}"
        );
    }

    // Pinduoduo over its message channel, with the access token expired first: the return is
    // agreed (default address), the run waits for the buyer's shipment, then refunds.
    h.control(
        "faults",
        json!({"shop": "pdd", "kind": "token_expired", "count": 1}),
    )
    .await;
    let order = h
        .control("orders", json!({"shop": "pdd", "status": "paid", "items": [{"title": "纯棉T恤", "quantity": 2, "price_fen": 4900}]}))
        .await;
    let pdd_order = order["order_id"].as_str().expect("order id").to_owned();
    let refund = h
        .control(
            "refunds",
            json!({"shop": "pdd", "order_id": pdd_order, "kind": "return", "reason": "尺码不合适"}),
        )
        .await;
    let pdd_refund = refund["refund_id"].as_str().expect("refund id").to_owned();
    h.until("the PDD return is agreed", || async {
        count_effects(
            &h.effects("pdd").await,
            "pdd.refund.returngoods.agree",
            &pdd_refund,
        ) == 1
    })
    .await;
    assert_eq!(
        count_effects(&h.effects("pdd").await, "pdd.refund.agree", &pdd_refund),
        0,
        "no refund before the goods come back"
    );
    h.control(&format!("refunds/pdd/{pdd_refund}/buyer_return"), json!({}))
        .await;
    h.completed("e2e/pdd-return", 1).await;
    let effects = h.effects("pdd").await;
    assert_eq!(
        count_effects(&effects, "pdd.refund.returngoods.agree", &pdd_refund),
        1
    );
    assert_eq!(count_effects(&effects, "pdd.refund.agree", &pdd_refund), 1);

    // Shopify and Douyin webhooks: each starts one run that reads the order back.
    let shopify = h
        .control("orders", json!({"shop": "us-store", "status": "unpaid"}))
        .await;
    let douyin = h
        .control("orders", json!({"shop": "douyin", "status": "unpaid"}))
        .await;
    let douyin_id = douyin["order_id"].as_str().expect("order id").to_owned();
    h.control(&format!("orders/douyin/{douyin_id}/pay"), json!({}))
        .await;
    let runs = h.completed("e2e/order-seen", 2).await;
    let mut seen: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            (
                r["output"]["platform"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["output"]["order_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("douyin".to_owned(), douyin_id.clone()),
            (
                "shopify".to_owned(),
                shopify["order_id"].to_string().trim_matches('"').to_owned()
            ),
        ]
    );

    // Secrets never reach the log.
    let log = std::fs::read_to_string(&h.serve.log).expect("serve log");
    for secret in [
        "tb-app-secret-123",
        "tb-session-abc",
        "pdd-client-secret-456",
        "pdd-token-abc",
        "dy-token-abc",
        "shpat_e2e_token",
        "shpss_e2e_secret",
    ] {
        assert!(!log.contains(secret), "`{secret}` in the serve log");
    }
    // Nor the journal, nor the buyers' phone numbers (orders were read back, masked).
    let mut journal = Vec::new();
    for file in ["shopflow.db", "shopflow.db-wal"] {
        if let Ok(bytes) = std::fs::read(h._dir.path().join(file)) {
            journal.extend(bytes);
        }
    }
    let journal = String::from_utf8_lossy(&journal);
    assert!(journal.contains(&douyin_id), "the journal holds the runs");
    let phones = [&shopify["receiver_phone"], &douyin["receiver_phone"]];
    assert!(
        phones
            .iter()
            .all(|p| p.as_str().is_some_and(|p| p.len() >= 7)),
        "the sandbox gave full phone numbers: {phones:?}"
    );
    for secret in [
        "tb-app-secret-123",
        "tb-session-abc",
        "pdd-token-abc",
        "shpat_e2e_token",
    ]
    .into_iter()
    .chain(phones.iter().filter_map(|p| p.as_str()))
    {
        assert!(!journal.contains(secret), "`{secret}` in the journal");
    }
    assert!(
        log.contains("access token refreshed"),
        "the PDD token was refreshed:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_operation_reaches_the_sandbox_once() {
    let h = Harness::start().await;
    h.control("seed", json!({"orders": 30, "seed": 11})).await;

    // Refund agree on JD, Douyin and Shopify, each answered 502 once after taking effect.
    for (shop, method) in [
        ("jd", "jingdong.pop.afs.soa.refundapply.replyRefund"),
        ("douyin", "afterSale.operate"),
        ("us-store", "refunds.json"),
    ] {
        h.control(
            "faults",
            json!({"shop": shop, "method": method, "kind": "5xx_after", "count": 1}),
        )
        .await;
        let items = json!([{"title": "羊毛围巾", "quantity": 1, "price_fen": 9900}]);
        let order = h
            .control(
                "orders",
                json!({"shop": shop, "status": "paid", "items": items}),
            )
            .await;
        let order_id = order["order_id"].to_string().trim_matches('"').to_owned();
        // Shopify has no refund requests to agree to: the order itself is refunded.
        let refund_id = if shop == "us-store" {
            order_id.clone()
        } else {
            let refund = h
                .control("refunds", json!({"shop": shop, "order_id": order_id, "kind": "refund", "reason": "七天无理由", "amount_fen": 1990}))
                .await;
            refund["refund_id"].to_string().trim_matches('"').to_owned()
        };
        let run = h
            .run("e2e/api-refund", json!({"shop": shop, "refund_id": refund_id, "order_id": order_id, "amount": "19.90"}))
            .await;
        assert_eq!(run["status"], "completed", "{shop}: {run}");
        let target = if shop == "us-store" {
            &order_id
        } else {
            &refund_id
        };
        let effects = h.effects(shop).await;
        let applied = effects
            .iter()
            .filter(|e| {
                e["method"].as_str().is_some_and(|m| m.contains(method)) && &e["target"] == target
            })
            .count();
        assert_eq!(applied, 1, "{shop}: one refund for {target}: {effects:?}");
    }

    // Unpaid orders where the platform can list them; a clear error where it cannot.
    for shop in ["tmall", "douyin", "us-store"] {
        let run = h.run("e2e/api-unpaid", json!({"shop": shop})).await;
        assert_eq!(run["status"], "completed", "{shop}: {run}");
        let orders = run["output"]["orders"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!orders.is_empty(), "{shop} has seeded unpaid orders: {run}");
        assert!(
            orders.iter().all(|o| o["status"] == "unpaid"),
            "{shop}: {orders:?}"
        );
        if shop != "us-store" {
            assert!(
                orders.iter().all(|o| o["auto_close_at"].is_string()),
                "{shop}: {orders:?}"
            );
        }
    }
    for shop in ["pdd", "jd"] {
        let run = h.run("e2e/api-unpaid", json!({"shop": shop})).await;
        assert_eq!(run["status"], "faulted", "{shop}: {run}");
        assert_eq!(run["error"]["status"], 400, "{shop}: {run}");
        assert!(
            run["error"]["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("retrying will not help"),
            "{run}"
        );
    }

    // A buyer message and an invoice on Pinduoduo, and an invoice on Taobao; the message is
    // answered 502 once after it was sent.
    h.control("faults", json!({"shop": "pdd", "method": "pdd.open.msg.service.send.msg", "kind": "5xx_after", "count": 1})).await;
    let order = h
        .control("orders", json!({"shop": "pdd", "status": "paid", "items": [{"title": "纯棉T恤", "quantity": 2, "price_fen": 4900}]}))
        .await;
    let pdd_order = order["order_id"].as_str().expect("order id").to_owned();
    let run = h
        .run(
            "e2e/api-message",
            json!({"shop": "pdd", "order_id": pdd_order}),
        )
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    h.control(
        "invoice-requests",
        json!({"shop": "pdd", "order_id": pdd_order, "business_type": 1,
               "payer_name": "杭州示例科技有限公司", "payer_register_no": "91350100M000100Y43"}),
    )
    .await;
    let run = h
        .run("e2e/api-invoice-requests", json!({"shop": "pdd"}))
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    let requests = run["output"]["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mine: Vec<&Value> = requests
        .iter()
        .filter(|r| r["order_id"] == pdd_order.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{requests:?}");
    assert_eq!(mine[0]["payer_kind"], "company");
    assert_eq!(mine[0]["payer_tax_id"], "91350100M000100Y43");
    let run = h
        .run(
            "e2e/api-invoice",
            json!({"shop": "pdd", "order_id": pdd_order}),
        )
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    let effects = h.effects("pdd").await;
    assert_eq!(
        count_effects(&effects, "pdd.open.msg.service.send.msg", &pdd_order),
        1,
        "{effects:?}"
    );
    assert_eq!(
        count_effects(&effects, "pdd.invoice.detail.upload", &pdd_order),
        1,
        "{effects:?}"
    );
    let order = h
        .control("orders", json!({"shop": "tmall", "status": "paid", "items": [{"title": "真丝围巾", "quantity": 1, "price_fen": 12900}]}))
        .await;
    let tb_order = order["order_id"].as_str().expect("order id").to_owned();
    let run = h
        .run(
            "e2e/api-invoice",
            json!({"shop": "tmall", "order_id": tb_order}),
        )
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(
        count_effects(
            &h.effects("tmall").await,
            "alibaba.einvoice.detail.upload",
            &tb_order
        ),
        1
    );
    // Taobao has no buyer-message API: a configuration error, not a retry.
    let run = h
        .run(
            "e2e/api-message",
            json!({"shop": "tmall", "order_id": tb_order}),
        )
        .await;
    assert_eq!(run["status"], "faulted", "{run}");
    assert!(
        run["error"]["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/configuration"),
        "{run}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_pushed_while_serve_is_down_arrive_after_a_restart() {
    let mut h = Harness::start().await;
    h.control("seed", json!({"orders": 3, "seed": 3})).await;
    let dir = h._dir.path().to_owned();
    let addr: SocketAddr = h
        .serve
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("serve address");
    // SIGKILL: nothing is acknowledged or answered from now on.
    let _ = h.serve.child.kill();
    let _ = h.serve.child.wait();
    let mut refunds = Vec::new();
    for shop in ["tmall", "pdd"] {
        let order = h
            .control("orders", json!({"shop": shop, "status": "paid", "items": [{"title": "真丝围巾", "quantity": 1, "price_fen": 12900}]}))
            .await;
        let order_id = order["order_id"].as_str().expect("order id").to_owned();
        let kind = if shop == "pdd" { "return" } else { "refund" };
        let refund = h
            .control("refunds", json!({"shop": shop, "order_id": order_id, "kind": kind, "reason": "质量问题", "amount_fen": 2990}))
            .await;
        refunds.push((
            shop,
            refund["refund_id"].as_str().expect("refund id").to_owned(),
        ));
    }
    let shopify = h
        .control("orders", json!({"shop": "us-store", "status": "unpaid"}))
        .await;
    h.serve = start_serve(&dir, &dir.join("shopflow.toml"), addr);
    h.wait_healthy().await;
    h.completed("e2e/taobao-refund", 1).await;
    h.until("the PDD return is agreed after the restart", || async {
        count_effects(
            &h.effects("pdd").await,
            "pdd.refund.returngoods.agree",
            &refunds[1].1,
        ) == 1
    })
    .await;
    let runs = h.completed("e2e/order-seen", 1).await;
    assert_eq!(
        runs[0]["output"]["order_id"].to_string().trim_matches('"'),
        shopify["order_id"].to_string().trim_matches('"')
    );
    assert_eq!(
        count_effects(
            &h.effects("tmall").await,
            "taobao.rp.refunds.agree",
            &refunds[0].1
        ),
        1
    );
    h.until("every push is delivered or acknowledged", || async {
        let pushes = h.sandbox_get("pushes").await;
        pushes["pushes"].as_array().is_some_and(|p| {
            p.iter()
                .all(|p| p["state"] == "delivered" || p["state"] == "acked")
        })
    })
    .await;
}
