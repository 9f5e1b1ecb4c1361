//! `notify.send` against the real sandbox on 127.0.0.1: SMS, voice and Pinduoduo messages,
//! de-duplication by idempotency key (and by `OutId` in the sandbox), the 24 h gap, quiet hours
//! on a driven clock, refusals (signature, template, throttling) as RFC 7807 errors.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{FixedOffset, TimeZone};
use serde_json::{Value, json};
use shopflow_connectors::client::Clock;
use shopflow_connectors::{Config, Connectors};
use shopflow_core::{CallContext, ErrorKind, FunctionRegistry, WorkflowError};
use shopflow_notify::aliyun::{Account, Action, request};
use shopflow_sandbox::{Sandbox, SandboxOptions};

const SECRET: &str = "sandbox-aliyun-secret";

/// The shops and `[notify]` the worker and the sandbox share; `{base}` is the sandbox.
const CONFIG: &str = r#"
[[shop]]
name = "pdd"
platform = "pdd"
app_key = "pddclient"
app_secret = { env = "PDD_SECRET" }
access_token = { env = "PDD_TOKEN" }
shop_id = "900001"
endpoint = "{base}/pdd"

[[shop]]
name = "tmall"
platform = "taobao"
app_key = "12345678"
app_secret = { env = "TB_SECRET" }
access_token = { env = "TB_SESSION" }
shop_id = "2200000001"
endpoint = "{base}/taobao"

[[shop]]
name = "douyin"
platform = "douyin"
app_key = "dykey"
app_secret = { env = "DY_SECRET" }
access_token = { env = "DY_TOKEN" }
shop_id = "4000001"
endpoint = "{base}/douyin"

[notify]
min_gap_hours = 24
quiet_hours = { start = "22:00", end = "08:00", utc_offset = "+08:00" }

[notify.sms]
endpoint = "{base}/aliyun/sms"
access_key_id = "LTAIsandbox"
access_key_secret = { file = "{secret_file}" }
sign_name = "青禾小店"

[notify.voice]
endpoint = "{base}/aliyun/voice"
access_key_id = "LTAIsandbox"
access_key_secret = { file = "{secret_file}" }
called_show_number = "057112345678"

[notify.templates.payment_reminder]
sms_code = "SMS_300000001"
tts_code = "TTS_300000002"
text = "亲，您的订单 {order_id} 还未付款，合计 {amount} 元，付款后 48 小时内发货哦～"

[notify.shops.tmall]
quiet_hours = { start = "12:00", end = "13:00", utc_offset = "+08:00" }
"#;

/// A template the worker knows but the sandbox's account never approved.
const UNAPPROVED: &str = r#"
[notify.templates.unapproved]
sms_code = "SMS_999999999"
"#;

fn env(name: &str) -> Option<String> {
    Some(
        match name {
            "PDD_SECRET" => "pddsecret",
            "PDD_TOKEN" => "pdd-token",
            "TB_SECRET" => "tbsecret",
            "TB_SESSION" => "tb-session",
            "DY_SECRET" => "dysecret",
            "DY_TOKEN" => "dy-token",
            _ => return None,
        }
        .to_owned(),
    )
}

/// 2026-11-24 at `hh:mm` in Beijing, unix ms.
fn beijing(hh: u32, mm: u32) -> i64 {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, hh, mm, 0)
        .unwrap()
        .timestamp_millis()
}

const HOUR: i64 = 3_600_000;

struct World {
    base: String,
    http: reqwest::Client,
    now: Arc<AtomicI64>,
    dir: tempfile::TempDir,
    notify: FunctionRegistry,
    _sandbox: Sandbox,
}

fn write_config(dir: &Path, name: &str, base: &str, secret: &str, extra: &str) -> Config {
    let secret_file = format!("{name}.secret");
    std::fs::write(dir.join(&secret_file), secret).unwrap();
    let text = CONFIG
        .replace("{base}", base)
        .replace("{secret_file}", &secret_file)
        + extra;
    Config::parse(&text, &dir.join(format!("{name}.toml")), &env).unwrap()
}

impl World {
    /// A sandbox and a worker sharing the configuration and a clock at 10:00 in Beijing.
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let now = Arc::new(AtomicI64::new(beijing(10, 0)));
        let sandbox_config = write_config(dir.path(), "sandbox", &base, SECRET, "");
        let mut options = SandboxOptions::new(sandbox_config, dir.path().join("sandbox.db"));
        options.clock = clock(&now);
        let sandbox = Sandbox::open(options).unwrap();
        let router = sandbox.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let mut world = Self {
            base,
            http: reqwest::Client::new(),
            now,
            dir,
            notify: FunctionRegistry::default(),
            _sandbox: sandbox,
        };
        world.notify = world.worker("worker", SECRET, UNAPPROVED);
        world
    }

    /// A worker with its own configuration copy and data directory.
    fn worker(&self, name: &str, secret: &str, extra: &str) -> FunctionRegistry {
        let config = write_config(self.dir.path(), name, &self.base, secret, extra);
        let mut registry = FunctionRegistry::default();
        shopflow_notify::register(
            &mut registry,
            Connectors::new(config, clock(&self.now)),
            &self.dir.path().join(format!("{name}-data")),
            clock(&self.now),
        )
        .unwrap();
        registry
    }

    fn set_clock(&self, ms: i64) {
        self.now.store(ms, Ordering::SeqCst);
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn read(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// An unpaid order of `shop`: its id, buyer id and receiver phone.
    async fn order(&self, shop: &str) -> (String, String, String) {
        let o = self
            .control(
                "/_sandbox/orders",
                json!({"shop": shop, "items": [{"title": "纯棉短袖T恤", "quantity": 1, "price_fen": 9900}]}),
            )
            .await;
        let field = |k: &str| o[k].as_str().unwrap().to_owned();
        (
            field("order_id"),
            field("buyer_id"),
            field("receiver_phone"),
        )
    }

    async fn messages(&self, query: &str) -> Vec<Value> {
        self.read(&format!("/_sandbox/aliyun/messages{query}"))
            .await["messages"]
            .as_array()
            .cloned()
            .unwrap()
    }
}

fn clock(now: &Arc<AtomicI64>) -> Clock {
    let now = now.clone();
    Arc::new(move || now.load(Ordering::SeqCst))
}

fn args(shop: &str, order: &str, buyer: &str, channel: &str) -> Value {
    json!({
        "shop": shop, "order_id": order, "buyer_id": buyer, "channel": channel,
        "template": "payment_reminder", "params": {"amount": "99.00"}
    })
}

async fn send(registry: &FunctionRegistry, key: &str, args: Value) -> Result<Value, WorkflowError> {
    let ctx = CallContext {
        run_id: "run-1".into(),
        idempotency_key: key.into(),
        instance: "/do/0/remind".into(),
    };
    registry.call("notify.send", ctx, args).await
}

fn masked(phone: &str) -> String {
    shopflow_connectors::model::mask_phone(phone)
}

#[tokio::test]
async fn sms_and_voice_once_per_key_and_once_per_gap() {
    let w = World::start().await;
    let (order, buyer, phone) = w.order("pdd").await;

    let first = send(&w.notify, "k-sms", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(first["sent"], true, "{first}");
    assert_eq!(first["channel"], "sms");
    assert_eq!(first["to"], masked(&phone));
    assert!(!first.to_string().contains(&phone));
    let messages = w.messages("?kind=sms").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], masked(&phone));
    assert_eq!(messages[0]["out_id"], "k-sms");
    assert_eq!(messages[0]["message_id"], first["message_id"]);
    assert_eq!(messages[0]["sender"], "青禾小店");
    assert_eq!(messages[0]["params"], json!({"amount": "99.00"}));

    // The same call again (a retried step) returns the first result and sends nothing.
    w.set_clock(beijing(10, 5));
    let again = send(&w.notify, "k-sms", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(w.messages("").await.len(), 1);

    // Another reminder to the same buyer within 24 h, on any channel, is held back.
    w.set_clock(beijing(20, 0));
    let held = send(&w.notify, "k-voice-1", args("pdd", &order, &buyer, "voice"))
        .await
        .unwrap();
    assert_eq!(
        held,
        json!({"sent": false, "channel": "voice", "reason": "recent_contact",
               "next_allowed_at": "2026-11-25T10:00:00+08:00",
               "next_allowed_ms": beijing(10, 0) + 24 * HOUR})
    );

    // After the gap the call goes out.
    w.set_clock(beijing(10, 0) + 24 * HOUR + 60_000);
    let call = send(&w.notify, "k-voice-2", args("pdd", &order, &buyer, "voice"))
        .await
        .unwrap();
    assert_eq!(call["sent"], true, "{call}");
    assert_eq!(call["to"], masked(&phone));
    let calls = w.messages("?kind=voice").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["sender"], "057112345678");
    assert_eq!(calls[0]["template_code"], "TTS_300000002");
    assert_eq!(calls[0]["message_id"], call["message_id"]);

    // Another buyer of the same shop is not held back by this one.
    let (other, other_buyer, _) = w.order("pdd").await;
    let sent = send(
        &w.notify,
        "k-other",
        args("pdd", &other, &other_buyer, "sms"),
    )
    .await
    .unwrap();
    assert_eq!(sent["sent"], true);
}

#[tokio::test]
async fn quiet_hours_in_the_shop_time_zone() {
    let w = World::start().await;
    let (order, buyer, _) = w.order("pdd").await;
    w.set_clock(beijing(23, 30));
    let night = send(&w.notify, "k-night", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(
        night,
        json!({"sent": false, "channel": "sms", "reason": "quiet_hours",
               "next_allowed_at": "2026-11-25T08:00:00+08:00",
               "next_allowed_ms": beijing(8, 0) + 24 * HOUR})
    );
    assert!(w.messages("").await.is_empty());
    // A service message (a return's voucher link) goes out at night and does not count.
    let mut service = args("pdd", &order, &buyer, "sms");
    service["purpose"] = json!("service");
    let link = send(&w.notify, "k-service", service).await.unwrap();
    assert_eq!(link["sent"], true, "{link}");
    assert_eq!(w.messages("").await.len(), 1);
    // The skipped call keeps its result; a new reminder after 08:00 goes out.
    w.set_clock(beijing(8, 0) + 24 * HOUR);
    let retried = send(&w.notify, "k-night", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(retried, night);
    let morning = send(&w.notify, "k-morning", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(morning["sent"], true, "{morning}");

    // `[notify.shops.tmall]` has its own window (12:00–13:00).
    w.set_clock(beijing(12, 30));
    let (t_order, t_buyer, _) = w.order("tmall").await;
    let lunch = send(
        &w.notify,
        "k-tmall",
        args("tmall", &t_order, &t_buyer, "sms"),
    )
    .await
    .unwrap();
    assert_eq!(lunch["reason"], "quiet_hours");
    assert_eq!(lunch["next_allowed_at"], "2026-11-24T13:00:00+08:00");
    w.set_clock(beijing(23, 0));
    let evening = send(
        &w.notify,
        "k-tmall-2",
        args("tmall", &t_order, &t_buyer, "sms"),
    )
    .await
    .unwrap();
    assert_eq!(evening["sent"], true, "{evening}");
}

#[tokio::test]
async fn platform_messages_on_pinduoduo_and_no_channel_elsewhere() {
    let w = World::start().await;
    let (order, buyer, _) = w.order("pdd").await;
    let sent = send(&w.notify, "k-pdd", args("pdd", &order, &buyer, "platform"))
        .await
        .unwrap();
    assert_eq!(sent, json!({"sent": true, "channel": "platform"}));
    let shown = w.read(&format!("/_sandbox/orders/pdd/{order}")).await;
    let texts: Vec<&str> = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        texts,
        [format!(
            "亲，您的订单 {order} 还未付款，合计 99.00 元，付款后 48 小时内发货哦～"
        )]
    );
    let again = send(&w.notify, "k-pdd", args("pdd", &order, &buyer, "platform"))
        .await
        .unwrap();
    assert_eq!(again, sent);
    assert_eq!(
        w.read(&format!("/_sandbox/orders/pdd/{order}")).await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Taobao offers apps no buyer messages; Douyin shows apps a masked phone only.
    let (t_order, t_buyer, _) = w.order("tmall").await;
    let none = send(
        &w.notify,
        "k-tmall",
        args("tmall", &t_order, &t_buyer, "platform"),
    )
    .await
    .unwrap();
    assert_eq!(
        none,
        json!({"sent": false, "channel": "platform", "reason": "no_channel"})
    );
    let (d_order, d_buyer, _) = w.order("douyin").await;
    let none = send(
        &w.notify,
        "k-douyin",
        args("douyin", &d_order, &d_buyer, "sms"),
    )
    .await
    .unwrap();
    assert_eq!(
        none,
        json!({"sent": false, "channel": "sms", "reason": "no_channel"})
    );
    // A buyer not contacted may be contacted on another channel at once.
    let sms = send(
        &w.notify,
        "k-tmall-sms",
        args("tmall", &t_order, &t_buyer, "sms"),
    )
    .await
    .unwrap();
    assert_eq!(sms["sent"], true, "{sms}");
}

#[tokio::test]
async fn refusals_say_what_to_fix_and_whether_to_retry() {
    let w = World::start().await;
    let (order, buyer, phone) = w.order("pdd").await;

    // A wrong AccessKey secret: the sandbox refuses the signature.
    let wrong = w.worker("wrong-secret", "not-the-secret", "");
    let e = send(&wrong, "k-1", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap_err();
    assert!(e.is(ErrorKind::Authentication), "{e}");
    assert_eq!(e.status, 401);
    assert!(!e.retryable);
    let detail = e.detail.clone().unwrap();
    assert!(detail.contains("SignatureDoesNotMatch"), "{detail}");
    assert!(
        detail.contains("`access_key_secret` in `[notify.sms]`"),
        "{detail}"
    );
    assert!(
        !detail.contains(&phone) && !detail.contains("string to sign"),
        "{detail}"
    );
    assert_eq!(e.instance.as_deref(), Some("/do/0/remind"));
    let calls = w.read("/_sandbox/calls?shop=LTAIsandbox").await;
    assert_eq!(
        calls["calls"][0]["outcome"],
        "rejected:SignatureDoesNotMatch"
    );

    // A template the account never approved.
    let e = send(
        &w.notify,
        "k-2",
        json!({"shop": "pdd", "order_id": order, "buyer_id": buyer, "channel": "sms",
               "template": "unapproved"}),
    )
    .await
    .unwrap_err();
    assert!(e.is(ErrorKind::Configuration), "{e}");
    assert!(!e.retryable);
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("isv.SMS_TEMPLATE_ILLEGAL"),
        "{e}"
    );

    // Throttled: retryable, nothing sent, and the retry (same key) goes through.
    w.control(
        "/_sandbox/faults",
        json!({"method": "SendSms", "kind": "rate_limit"}),
    )
    .await;
    let e = send(&w.notify, "k-3", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap_err();
    assert_eq!(e.status, 429, "{e}");
    assert!(e.retryable && e.is(ErrorKind::Communication));
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("isv.BUSINESS_LIMIT_CONTROL")
    );
    let ok = send(&w.notify, "k-3", args("pdd", &order, &buyer, "sms"))
        .await
        .unwrap();
    assert_eq!(ok["sent"], true);

    // The answer is lost after Aliyun accepted the message: the retry sends the same OutId,
    // the sandbox answers the first answer, and there is one message.
    let (order2, buyer2, _) = w.order("pdd").await;
    w.control(
        "/_sandbox/faults",
        json!({"method": "SingleCallByTts", "kind": "5xx_after"}),
    )
    .await;
    let e = send(&w.notify, "k-4", args("pdd", &order2, &buyer2, "voice"))
        .await
        .unwrap_err();
    assert!(e.retryable && e.status == 503, "{e}");
    // Meanwhile the buyer counts as contacted.
    let held = send(&w.notify, "k-5", args("pdd", &order2, &buyer2, "sms"))
        .await
        .unwrap();
    assert_eq!(held["reason"], "recent_contact");
    let ok = send(&w.notify, "k-4", args("pdd", &order2, &buyer2, "voice"))
        .await
        .unwrap();
    let voice = w.messages("?kind=voice").await;
    assert_eq!(voice.len(), 1);
    assert_eq!(ok["message_id"], voice[0]["message_id"]);

    // Configuration mistakes are named.
    let unconfigured = {
        let config = Config::parse(
            &format!(
                "[[shop]]\nname = 'pdd'\nplatform = 'pdd'\napp_key = 'pddclient'\nshop_id = '1'\n\
                 app_secret = {{ env = 'PDD_SECRET' }}\naccess_token = {{ env = 'PDD_TOKEN' }}\n\
                 endpoint = '{}/pdd'\n",
                w.base
            ),
            &w.dir.path().join("bare.toml"),
            &env,
        )
        .unwrap();
        let mut r = FunctionRegistry::default();
        shopflow_notify::register(
            &mut r,
            Connectors::new(config, clock(&w.now)),
            &w.dir.path().join("bare-data"),
            clock(&w.now),
        )
        .unwrap();
        r
    };
    let e = send(&unconfigured, "k-6", args("pdd", &order, &buyer, "voice"))
        .await
        .unwrap_err();
    assert!(e.is(ErrorKind::Configuration) && !e.retryable);
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("no template `payment_reminder`"),
        "{e}"
    );
    let e = send(
        &w.notify,
        "k-7",
        json!({"shop": "pdd", "order_id": order, "buyer_id": buyer, "channel": "voice",
               "template": "unapproved"}),
    )
    .await
    .unwrap_err();
    assert!(
        e.detail.as_deref().unwrap().contains("has no `tts_code`"),
        "{e}"
    );
    let e = send(
        &w.notify,
        "k-8",
        json!({"shop": "pdd", "order_id": order, "buyer_id": buyer,
            "channel": "platform", "template": "payment_reminder"}),
    )
    .await
    .unwrap_err();
    assert!(e.is(ErrorKind::Validation));
    assert!(
        e.detail.as_deref().unwrap().contains("uses `{amount}`"),
        "{e}"
    );
}

#[tokio::test]
async fn the_sandbox_refuses_replays_stale_timestamps_and_unknown_keys() {
    let w = World::start().await;
    let account = |id: &str| Account {
        endpoint: format!("{}/aliyun/sms", w.base),
        access_key_id: id.into(),
        access_key_secret: shopflow_connectors::Secret::new(SECRET),
        region_id: "cn-hangzhou".into(),
        timeout: std::time::Duration::from_secs(5),
    };
    let business = || {
        vec![
            ("PhoneNumbers", "13812345678".to_owned()),
            ("SignName", "青禾小店".to_owned()),
            ("TemplateCode", "SMS_300000001".to_owned()),
        ]
    };
    let get = |url: String| {
        let http = w.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let now = beijing(10, 0);
    let a = account("LTAIsandbox");
    let url = request::url(
        &a.endpoint,
        &request::signed_params(&a, Action::SendSms, business(), now, "nonce-1"),
    );
    let (status, first) = get(url.clone()).await;
    assert_eq!(
        (status, first["Code"].as_str()),
        (200, Some("OK")),
        "{first}"
    );
    let (status, replay) = get(url).await;
    assert_eq!(
        (status, replay["Code"].as_str()),
        (400, Some("SignatureNonceUsed"))
    );

    let stale = request::url(
        &a.endpoint,
        &request::signed_params(
            &a,
            Action::SendSms,
            business(),
            now - 20 * 60_000,
            "nonce-2",
        ),
    );
    let (status, body) = get(stale).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidTimeStamp.Expired"))
    );

    let b = account("LTAIunknown");
    let unknown = request::url(
        &b.endpoint,
        &request::signed_params(&b, Action::SendSms, business(), now, "nonce-3"),
    );
    let (status, body) = get(unknown).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );

    // The SMS endpoint does not make calls.
    let wrong_action = request::url(
        &a.endpoint,
        &request::signed_params(&a, Action::SingleCallByTts, business(), now, "nonce-4"),
    );
    let (status, body) = get(wrong_action).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidAction.NotFound"))
    );

    // A bad number, and the per-number flow control (one a minute).
    let mut bad = business();
    bad[0].1 = "12345".into();
    let (_, body) = get(request::url(
        &a.endpoint,
        &request::signed_params(&a, Action::SendSms, bad, now, "nonce-5"),
    ))
    .await;
    assert_eq!(body["Code"], "isv.MOBILE_NUMBER_ILLEGAL");
    let (_, body) = get(request::url(
        &a.endpoint,
        &request::signed_params(&a, Action::SendSms, business(), now, "nonce-6"),
    ))
    .await;
    assert_eq!(body["Code"], "isv.BUSINESS_LIMIT_CONTROL");
    let messages = w.messages("?kind=sms").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], "138****5678");
}

#[tokio::test]
async fn the_shipped_sandbox_configuration_is_valid_on_both_sides() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows/sandbox/shopflow.toml");
    let config = Config::load(&path).unwrap();
    let settings = shopflow_notify::Settings::from_config(&config).unwrap();
    assert!(settings.sms.is_some() && settings.voice.is_some());
    for name in ["payment_reminder", "return_voucher", "return_reminder"] {
        assert!(settings.templates.contains_key(name), "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    Sandbox::open(SandboxOptions::new(config, dir.path().join("sandbox.db"))).unwrap();
}
