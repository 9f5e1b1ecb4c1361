//! The Taobao / Tmall TOP gateway: `POST /taobao/router/rest`, form parameters, TOP signature
//! (`md5`, `hmac`, `hmac-sha256`), GMT+8 timestamps within ±10 minutes, `session` tokens,
//! `{"<name>_response": …}` / `{"error_response": …}` answers.

mod methods;
pub(crate) mod render;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign::SignMethod;

use crate::clock;
use crate::gate::params::{self, Params};
use crate::gate::{Admission, Answer, Credential, Dialect, Reject, refuse_early, run};
use crate::ids;
use crate::sandbox::Inner;

/// The token refresh method (presents a refresh token instead of `session`).
const REFRESH: &str = "taobao.top.auth.token.refresh";
const WINDOW_MS: i64 = 10 * 60 * 1000;

/// Taobao's answers.
pub(crate) struct Taobao;

/// `taobao.trade.fullinfo.get` → `trade_fullinfo_get_response`.
fn response_name(method: &str) -> String {
    let name = method.strip_prefix("taobao.").unwrap_or(method);
    format!("{}_response", name.replace('.', "_"))
}

impl Dialect for Taobao {
    fn platform(&self) -> Platform {
        Platform::Taobao
    }

    fn success(&self, method: &str, data: Value, now_ms: i64) -> Answer {
        let mut data = data;
        if let Value::Object(m) = &mut data {
            m.insert("request_id".into(), json!(ids::request_id(now_ms)));
        }
        Answer::json(200, &json!({ response_name(method): data }))
    }

    fn reject(&self, _method: &str, reject: &Reject, now_ms: i64) -> Answer {
        let (code, msg, sub_code, sub_msg): (i64, &str, Option<String>, Option<String>) =
            match reject {
                Reject::UnknownApp => (29, "Invalid app Key", None, None),
                Reject::BadSign => (25, "Invalid signature", None, None),
                Reject::BadTimestamp => (31, "Invalid timestamp", None, None),
                Reject::MissingToken => (26, "Missing session", None, None),
                Reject::Token => (
                    27,
                    "Invalid session",
                    Some("invalid-sessionkey".into()),
                    Some("SessionKey非法 (the session key is invalid or expired)".into()),
                ),
                Reject::BadRefreshToken => (
                    27,
                    "Invalid session",
                    Some("invalid-refresh-token".into()),
                    Some(
                        "refresh_token 无效或已被使用 (the refresh token is invalid or was used)"
                            .into(),
                    ),
                ),
                Reject::RateLimited(secs) => (
                    7,
                    "App Call Limited",
                    Some("accesscontrol.limited-by-app-access-count".into()),
                    Some(format!("This ban will last for {secs} more seconds")),
                ),
                Reject::Missing(p) => (
                    40,
                    "Missing required arguments",
                    Some(format!("isv.missing-parameter:{p}")),
                    Some(format!("缺少必选参数 {p}")),
                ),
                Reject::Invalid(p) => (
                    41,
                    "Invalid arguments",
                    Some(format!("isv.invalid-parameter:{p}")),
                    Some(format!("参数 {p} 不合法")),
                ),
                Reject::UnknownMethod(_) => (22, "Invalid method", None, None),
                Reject::NotFound(s) => (
                    15,
                    "Remote service error",
                    Some(match s {
                        crate::gate::Subject::Order => "isv.trade-not-exist".into(),
                        other => format!("isv.{}-not-exist", other.word()),
                    }),
                    Some(format!("{} 不存在 ({} does not exist)", s.word(), s.word())),
                ),
                Reject::Refused(s, detail) => (
                    15,
                    "Remote service error",
                    Some(format!("isv.{}-operation-not-allowed", s.word())),
                    Some(format!(
                        "当前状态不允许此操作 (the {} is {detail}; not allowed)",
                        s.word()
                    )),
                ),
                Reject::Already(s, detail) => (
                    15,
                    "Remote service error",
                    Some(format!("isv.{}-status-invalid", s.word())),
                    Some(format!(
                        "状态已变更，无需重复操作 (the {} is already {detail})",
                        s.word()
                    )),
                ),
                Reject::Internal(_) => (
                    15,
                    "Remote service error",
                    Some("isp.unknown-error".into()),
                    None,
                ),
            };
        let mut body = json!({ "code": code, "msg": msg, "request_id": ids::request_id(now_ms) });
        if let Value::Object(m) = &mut body {
            if let Some(s) = sub_code {
                m.insert("sub_code".into(), json!(s));
            }
            if let Some(s) = sub_msg {
                m.insert("sub_msg".into(), json!(s));
            }
        }
        Answer::json(200, &json!({ "error_response": body }))
    }
}

/// The idempotency field of a method that changes something.
fn idempotency_field(method: &str) -> Option<&'static str> {
    match method {
        "taobao.rp.refunds.agree"
        | "taobao.refund.refuse"
        | "taobao.rp.returngoods.agree"
        | "taobao.rp.returngoods.refuse" => Some("out_request_id"),
        "alibaba.einvoice.detail.upload" => Some("serial_no"),
        _ => None,
    }
}

/// `POST /taobao/router/rest`.
pub(crate) async fn handle(State(sb): State<Arc<Inner>>, body: Bytes) -> Answer {
    let d = &Taobao;
    let p = match params::form(&body) {
        Ok(p) => p,
        Err(r) => return refuse_early(&sb, d, "", "", &r),
    };
    let method = p.get("method").cloned().unwrap_or_default();
    let app_key = p.get("app_key").cloned().unwrap_or_default();
    let adm = match admit(&sb, &p, &method, &app_key) {
        Ok(adm) => adm,
        Err(r) => return refuse_early(&sb, d, &app_key, &method, &r),
    };
    run(&sb, d, adm, move |ctx| methods::dispatch(ctx, &method, &p)).await
}

/// Identifies the app, checks the signature and the timestamp.
fn admit(sb: &Inner, p: &Params, method: &str, app_key: &str) -> Result<Admission, Reject> {
    params::required(p, "app_key")?;
    let candidates = sb.shops_with_app(Platform::Taobao, app_key);
    let shop = candidates.first().ok_or(Reject::UnknownApp)?;
    let sign = params::required(p, "sign")?;
    let sign_method = SignMethod::parse(params::optional(p, "sign_method").unwrap_or("md5"))
        .ok_or_else(|| Reject::Invalid("sign_method".into()))?;
    if !params::top_sign_ok(p, shop.app_secret.expose(), sign_method, sign) {
        return Err(Reject::BadSign);
    }
    let ts = params::required(p, "timestamp")?;
    match clock::parse_gmt8(ts) {
        Some(at) if clock::within(at, sb.now(), WINDOW_MS) => {}
        _ => return Err(Reject::BadTimestamp),
    }
    params::required(p, "method")?;
    let credential = if method == REFRESH {
        Credential::Refresh(params::optional(p, "refresh_token").map(str::to_owned))
    } else {
        Credential::Access(params::optional(p, "session").map(str::to_owned))
    };
    Ok(Admission {
        app_key: app_key.to_owned(),
        candidates,
        credential,
        method: method.to_owned(),
        scope: method.to_owned(),
        key: idempotency_field(method)
            .and_then(|f| params::optional(p, f))
            .map(str::to_owned),
    })
}
