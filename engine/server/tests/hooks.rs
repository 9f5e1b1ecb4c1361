//! `POST /hooks/{platform}` over real HTTP on loopback: signatures checked, stale and malformed
//! deliveries refused with nothing stored, duplicates answered 2xx without a second event,
//! oversize bodies 413, unknown shops 404, a stored message starting the flow whose
//! `schedule.on` matches, and every outcome counted in `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_connectors::sign::{douyin, shopify};
use shopflow_connectors::{Config, Connectors};
use shopflow_core::FunctionRegistry;
use shopflow_embedded::journal::RunFilter;
use shopflow_embedded::{Engine, EngineOptions};
use shopflow_server::Intake;

const NOW_MS: i64 = 1_795_478_400_000; // 2026-11-24T00:00:00Z

const CONFIG: &str = r#"
[[shop]]
name = "us-store"
platform = "shopify"
domain = "us-store.myshopify.com"
app_secret = { env = "SHOPIFY_SECRET" }
access_token = { env = "SHOPIFY_TOKEN" }

[[shop]]
name = "douyin-flagship"
platform = "douyin"
app_key = "dykey"
shop_id = "4463798"
app_secret = { env = "DOUYIN_SECRET" }
access_token = { env = "DOUYIN_TOKEN" }
"#;

const FLOW: &str = r#"
document: { dsl: '1.0.3', namespace: test, name: on-paid, version: '1.0.0' }
schedule:
  on:
    one:
      with: { type: shopflow.shopify.orders.paid }
do:
  - note:
      set:
        order: ${ $workflow.input[0].data.order_id }
"#;

struct Server {
    base: String,
    engine: Engine,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = |name: &str| match name {
        "SHOPIFY_SECRET" => Some("shpss_secret".to_owned()),
        "DOUYIN_SECRET" => Some("dysecret".to_owned()),
        _ => Some("token".to_owned()),
    };
    let config =
        Config::parse(CONFIG, std::path::Path::new("shopflow.toml"), &env).expect("config");
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_connectors::functions::register(
        &mut registry,
        Connectors::new(config.clone(), Arc::new(|| NOW_MS)),
        None,
    );
    let names = registry.names().into_iter().map(str::to_owned).collect();
    let engine = Engine::open(
        dir.path().join("hooks.db"),
        EngineOptions::default(),
        registry,
        names,
    )
    .expect("open the engine");
    engine.deploy(FLOW).await.expect("deploy");
    engine.start_background().expect("start");
    let intake = Intake {
        config: Arc::new(config),
        clock: Arc::new(|| NOW_MS),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = shopflow_server::router_with(engine.clone(), intake);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        base,
        engine,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client"),
        _dir: dir,
    }
}

impl Server {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        let resp = r.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    fn events(&self) -> usize {
        self.stored_events().len()
    }

    /// Every stored event no listen consumed (the journal's view: events no deployed flow
    /// listens for are not kept in memory).
    fn stored_events(&self) -> Vec<Value> {
        self.engine
            .store()
            .journal()
            .unconsumed_events()
            .expect("read events")
            .into_iter()
            .map(|(_, event, _)| event)
            .collect()
    }

    async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }
}

fn shopify_headers(
    body: &[u8],
    secret: &str,
    id: &str,
    triggered: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("X-Shopify-Topic", "orders/paid".into()),
        ("X-Shopify-Hmac-Sha256", shopify::webhook_hmac(body, secret)),
        ("X-Shopify-Shop-Domain", "us-store.myshopify.com".into()),
        ("X-Shopify-API-Version", "2025-01".into()),
        ("X-Shopify-Webhook-Id", id.into()),
        ("X-Shopify-Triggered-At", triggered.into()),
        ("Content-Type", "application/json".into()),
    ]
}

#[tokio::test]
async fn shopify_webhooks_are_verified_stored_once_and_start_the_flow() {
    let s = server().await;
    let body =
        json!({"id": 820982911946154508_i64, "financial_status": "paid", "total_price": "19.99",
        "currency": "USD", "customer": {"id": 7, "phone": "+15555550123"}})
        .to_string()
        .into_bytes();
    let fresh = "2026-11-23T23:59:00Z";

    // Wrong secret: 401, nothing stored.
    let (status, problem) = s
        .post(
            "/hooks/shopify",
            &shopify_headers(&body, "wrong", "w1", fresh),
            body.clone(),
        )
        .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["title"], "Invalid signature");
    // Stale: 401.
    let (status, problem) = s
        .post(
            "/hooks/shopify",
            &shopify_headers(&body, "shpss_secret", "w1", "2026-11-20T00:00:00Z"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["title"], "Stale message");
    // Missing signature: 401.
    let mut no_sig = shopify_headers(&body, "shpss_secret", "w1", fresh);
    no_sig.retain(|(k, _)| *k != "X-Shopify-Hmac-Sha256");
    assert_eq!(s.post("/hooks/shopify", &no_sig, body.clone()).await.0, 401);
    // Unknown shop: 404.
    let mut other = shopify_headers(&body, "shpss_secret", "w1", fresh);
    other[2].1 = "other.myshopify.com".into();
    assert_eq!(s.post("/hooks/shopify", &other, body.clone()).await.0, 404);
    assert_eq!(s.events(), 0);

    // Malformed JSON, correctly signed: 400 with the line and column.
    let bad = b"{\"id\": 1,".to_vec();
    let (status, problem) = s
        .post(
            "/hooks/shopify",
            &shopify_headers(&bad, "shpss_secret", "w0", fresh),
            bad,
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("line 1"),
        "{problem}"
    );
    // A body without the order id: 400 pointing at it.
    let no_id = b"{\"financial_status\": \"paid\"}".to_vec();
    let (status, problem) = s
        .post(
            "/hooks/shopify",
            &shopify_headers(&no_id, "shpss_secret", "w0", fresh),
            no_id,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(problem["pointer"], "/id");
    // Over 1 MiB: 413.
    let big = vec![b' '; 1024 * 1024 + 1];
    assert_eq!(
        s.post(
            "/hooks/shopify",
            &shopify_headers(&big, "shpss_secret", "w9", fresh),
            big
        )
        .await
        .0,
        413
    );
    assert_eq!(
        s.events() + s.engine.list(&RunFilter::default()).unwrap().len(),
        0,
        "nothing stored or started"
    );

    // Accepted, then the same webhook id again: 200 both times, one event, one run.
    let headers = shopify_headers(&body, "shpss_secret", "w1", fresh);
    let (status, answer) = s.post("/hooks/shopify", &headers, body.clone()).await;
    assert_eq!(
        (status, answer["accepted"].as_i64()),
        (200, Some(1)),
        "{answer}"
    );
    let (status, answer) = s.post("/hooks/shopify", &headers, body.clone()).await;
    assert_eq!(
        (status, answer["duplicates"].as_i64()),
        (200, Some(1)),
        "{answer}"
    );
    let runs = s.engine.list(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 1);
    let run = s.engine.wait(&runs[0].record.id).await.unwrap();
    assert_eq!(
        run.record.output.as_ref().unwrap()["order"],
        "820982911946154508"
    );
    let event = s
        .engine
        .store()
        .journal()
        .load_steps(&runs[0].record.id)
        .unwrap();
    assert!(
        !format!("{event:?}").contains("5555550123"),
        "no personal data journaled"
    );

    let metrics = s.metrics().await;
    for line in [
        r#"shopflow_intake_total{source="shopify",outcome="signature"} 2"#,
        r#"shopflow_intake_total{source="shopify",outcome="stale"} 1"#,
        r#"shopflow_intake_total{source="shopify",outcome="unknown_shop"} 1"#,
        r#"shopflow_intake_total{source="shopify",outcome="malformed"} 2"#,
        r#"shopflow_intake_total{source="shopify",outcome="too_large"} 1"#,
        r#"shopflow_intake_total{source="shopify",outcome="accepted"} 1"#,
        r#"shopflow_intake_total{source="shopify",outcome="duplicate"} 1"#,
    ] {
        assert!(metrics.contains(line), "missing `{line}` in\n{metrics}");
    }
}

#[tokio::test]
async fn douyin_callbacks_carry_several_messages_and_answer_in_douyin_shape() {
    let s = server().await;
    let body = json!([
        {"tag": "100", "msg_id": "m1", "data": json!({"p_id": "6920000000000000001", "shop_id": 4463798, "order_status": 1, "update_time": 1795478300}).to_string()},
        {"tag": "200", "msg_id": "m2", "data": json!({"p_id": "6920000000000000001", "aftersale_id": "7000001", "shop_id": 4463798}).to_string()}
    ])
    .to_string()
    .into_bytes();
    let headers = |sign: String| vec![("app-id", "dykey".to_owned()), ("event-sign", sign)];
    let (status, _) = s
        .post("/hooks/douyin", &headers("0".repeat(32)), body.clone())
        .await;
    assert_eq!(status, 401);
    let sign = douyin::push_sign("dykey", &body, "dysecret");
    let (status, answer) = s
        .post("/hooks/douyin", &headers(sign.clone()), body.clone())
        .await;
    assert_eq!(
        (status, answer),
        (200, json!({"code": 0, "msg": "success"}))
    );
    let events = s.stored_events();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "shopflow.douyin.trade.create",
            "shopflow.douyin.refund.created"
        ]
    );
    assert_eq!(events[1]["subject"], "7000001");
    assert_eq!(s.post("/hooks/douyin", &headers(sign), body).await.0, 200);
    assert_eq!(s.stored_events().len(), 2, "redelivery stores nothing new");
    // A platform that pushes over WebSocket has no webhook.
    assert_eq!(s.post("/hooks/taobao", &[], b"{}".to_vec()).await.0, 404);
    assert_eq!(s.post("/hooks/ebay", &[], b"{}".to_vec()).await.0, 404);
}
