//! Test harness: a sandbox on 127.0.0.1 with one shop per platform (plus a slow Taobao shop for
//! rate limits), and small signing helpers built on `shopflow_connectors::sign` (not a client).

#![allow(dead_code)] // reason: each test binary uses a different part of the harness

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use shopflow_connectors::Config;
use shopflow_connectors::sign::{self, SignMethod};
use shopflow_sandbox::{Sandbox, SandboxOptions};

pub const CONFIG: &str = r#"
[[shop]]
name = "tmall"
platform = "taobao"
app_key = "12345678"
app_secret = { env = "TB_SECRET" }
access_token = { env = "TB_SESSION" }
refresh_token = { env = "TB_REFRESH" }
shop_id = "2200000001"

[[shop]]
name = "tmall-slow"
platform = "taobao"
app_key = "87654321"
app_secret = { env = "TB_SECRET" }
access_token = { env = "TB_SLOW_SESSION" }
shop_id = "2200000002"
rate = 1.0

[[shop]]
name = "jd"
platform = "jd"
app_key = "jdkey"
app_secret = { env = "JD_SECRET" }
access_token = { env = "JD_TOKEN" }

[[shop]]
name = "pdd"
platform = "pdd"
app_key = "pddclient"
app_secret = { env = "PDD_SECRET" }
access_token = { env = "PDD_TOKEN" }
refresh_token = { env = "PDD_REFRESH" }
shop_id = "900001"

[[shop]]
name = "douyin"
platform = "douyin"
app_key = "dykey"
app_secret = { env = "DY_SECRET" }
access_token = { env = "DY_TOKEN" }
refresh_token = { env = "DY_REFRESH" }
shop_id = "4000001"

[[shop]]
name = "shopify"
platform = "shopify"
app_key = "shpkey"
app_secret = { env = "SHP_SECRET" }
access_token = { env = "SHP_TOKEN" }
domain = "demo.myshopify.com"
"#;

pub fn config() -> Config {
    let env = |name: &str| -> Option<String> {
        Some(
            match name {
                "TB_SECRET" => "tbsecret",
                "TB_SESSION" => "tb-session",
                "TB_REFRESH" => "tb-refresh",
                "TB_SLOW_SESSION" => "tb-slow-session",
                "JD_SECRET" => "jdsecret",
                "JD_TOKEN" => "jd-token",
                "PDD_SECRET" => "pddsecret",
                "PDD_TOKEN" => "pdd-token",
                "PDD_REFRESH" => "pdd-refresh",
                "DY_SECRET" => "dysecret",
                "DY_TOKEN" => "dy-token",
                "DY_REFRESH" => "dy-refresh",
                "SHP_SECRET" => "shpss_secret",
                "SHP_TOKEN" => "shpat_token",
                _ => return None,
            }
            .to_owned(),
        )
    };
    Config::parse(CONFIG, Path::new("shopflow.toml"), &env).expect("test config")
}

pub struct Harness {
    pub base: String,
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `yyyy-MM-dd HH:mm:ss` in GMT+8 for unix ms.
pub fn gmt8(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000).expect("time");
    t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()
}

pub async fn start() -> Harness {
    start_with(None, None).await
}

/// A sandbox with optional webhook target and fixed clock.
pub async fn start_with(hooks: Option<String>, fixed_clock: Option<i64>) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = SandboxOptions::new(config(), dir.path().join("sandbox.db"));
    options.hooks = hooks;
    if let Some(t) = fixed_clock {
        options.clock = Arc::new(move || t);
    }
    let sandbox = Sandbox::open(options).expect("open sandbox");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Harness {
        base,
        sandbox,
        http: reqwest::Client::new(),
        dir,
    }
}

impl Harness {
    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn read(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("read")
            .json()
            .await
            .expect("json")
    }

    pub async fn effects(&self, shop: &str) -> Vec<Value> {
        self.read(&format!("/_sandbox/effects?shop={shop}")).await["effects"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn calls(&self, shop: &str) -> Vec<Value> {
        self.read(&format!("/_sandbox/calls?shop={shop}")).await["calls"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A paid order with one 99.00 line and a refund of `kind` on it: `(order_id, refund_id)`.
    pub async fn order_with_refund(&self, shop: &str, kind: &str) -> (String, String) {
        let (s, order) = self
            .control(
                "/_sandbox/orders",
                serde_json::json!({"shop": shop, "status": "paid",
                    "items": [{"title": "纯棉短袖T恤", "quantity": 1, "price_fen": 9900}]}),
            )
            .await;
        assert_eq!(s, 200, "{order}");
        let order_id = order["order_id"].as_str().expect("order id").to_owned();
        let (s, refund) = self
            .control(
                "/_sandbox/refunds",
                serde_json::json!({"shop": shop, "order_id": order_id, "kind": kind, "reason": "尺码不合适"}),
            )
            .await;
        assert_eq!(s, 200, "{refund}");
        (
            order_id,
            refund["refund_id"].as_str().expect("refund id").to_owned(),
        )
    }

    /// A signed TOP call (hmac-sha256) at `ts`; returns status and raw body.
    pub async fn taobao_at(
        &self,
        app_key: &str,
        session: &str,
        method: &str,
        params: &[(&str, &str)],
        ts: &str,
        secret: &str,
    ) -> (u16, Vec<u8>) {
        let mut p: BTreeMap<String, String> = [
            ("method", method),
            ("app_key", app_key),
            ("session", session),
            ("timestamp", ts),
            ("format", "json"),
            ("v", "2.0"),
            ("sign_method", "hmac-sha256"),
        ]
        .into_iter()
        .chain(params.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sign = sign::top::sign(&p, secret, SignMethod::HmacSha256).sign;
        p.insert("sign".into(), sign);
        let r = self
            .http
            .post(format!("{}/taobao/router/rest", self.base))
            .form(&p)
            .send()
            .await
            .expect("taobao");
        (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
    }

    /// A signed call to the `tmall` shop, now.
    pub async fn taobao(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let (_, body) = self
            .taobao_at(
                "12345678",
                "tb-session",
                method,
                params,
                &gmt8(now_ms()),
                "tbsecret",
            )
            .await;
        serde_json::from_slice(&body).expect("json")
    }

    /// A signed JD call.
    pub async fn jd_at(&self, app_key: &str, method: &str, business: &Value, ts: &str) -> Value {
        let mut p: BTreeMap<String, String> = [
            ("method", method),
            ("app_key", app_key),
            ("access_token", "jd-token"),
            ("timestamp", ts),
            ("v", "2.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        p.insert("360buy_param_json".into(), business.to_string());
        let sign = sign::top::sign(&p, "jdsecret", SignMethod::Md5).sign;
        p.insert("sign".into(), sign);
        self.http
            .post(format!("{}/jd/routerjson", self.base))
            .form(&p)
            .send()
            .await
            .expect("jd")
            .json()
            .await
            .expect("json")
    }

    /// A signed PDD call (JSON body) with `token`; returns status and raw body.
    pub async fn pdd_raw(
        &self,
        client_id: &str,
        token: &str,
        method: &str,
        params: &[(&str, &str)],
        ts: i64,
    ) -> (u16, Vec<u8>) {
        let ts = ts.to_string();
        let mut p: BTreeMap<String, String> = [
            ("type", method),
            ("client_id", client_id),
            ("access_token", token),
            ("timestamp", ts.as_str()),
            ("data_type", "JSON"),
        ]
        .into_iter()
        .chain(params.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sign = sign::top::sign(&p, "pddsecret", SignMethod::Md5).sign;
        p.insert("sign".into(), sign);
        let r = self
            .http
            .post(format!("{}/pdd/api/router", self.base))
            .json(&p)
            .send()
            .await
            .expect("pdd");
        (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
    }

    pub async fn pdd(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let (_, body) = self
            .pdd_raw("pddclient", "pdd-token", method, params, now_ms() / 1000)
            .await;
        serde_json::from_slice(&body).expect("json")
    }

    /// A signed Douyin call (hmac-sha256).
    pub async fn douyin_at(
        &self,
        app_key: &str,
        token: &str,
        method: &str,
        params: &Value,
        ts: &str,
    ) -> Value {
        let pj = sign::douyin::param_json(params);
        let sign = sign::douyin::sign(app_key, method, &pj, ts, "dysecret", SignMethod::HmacSha256);
        let url = format!("{}/douyin/{}", self.base, method.replace('.', "/"));
        self.http
            .post(url)
            .query(&[
                ("app_key", app_key),
                ("method", method),
                ("v", "2"),
                ("timestamp", ts),
                ("sign", sign.as_str()),
                ("sign_method", "hmac-sha256"),
                ("access_token", token),
            ])
            .header("content-type", "application/json")
            .body(pj)
            .send()
            .await
            .expect("douyin")
            .json()
            .await
            .expect("json")
    }

    pub async fn douyin(&self, token: &str, method: &str, params: &Value) -> Value {
        self.douyin_at("dykey", token, method, params, &gmt8(now_ms()))
            .await
    }

    /// A Shopify Admin API request.
    pub fn shopify(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(
                method,
                format!(
                    "{}/shopify/demo.myshopify.com/admin/api/2025-01/{path}",
                    self.base
                ),
            )
            .header("x-shopify-access-token", "shpat_token")
    }
}
