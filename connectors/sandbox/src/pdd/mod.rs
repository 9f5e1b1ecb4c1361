//! The Pinduoduo gateway: `POST /pdd/api/router`, a flat JSON object of string values (a form
//! body is accepted too), MD5 TOP-style signature, unix-second timestamps within ±10 minutes,
//! `{"<name>_response": …}` / `{"error_response": …}` answers.

mod methods;
pub(crate) mod render;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign::SignMethod;

use crate::gate::params::{self, Params};
use crate::gate::{Admission, Answer, Credential, Dialect, Reject, refuse_early, run};
use crate::ids;
use crate::sandbox::Inner;

const WINDOW_MS: i64 = 10 * 60 * 1000;
const REFRESH: &str = "pdd.pop.auth.token.refresh";

/// Pinduoduo's answers.
pub(crate) struct Pdd;

fn response_name(method: &str) -> String {
    let name = method.strip_prefix("pdd.").unwrap_or(method);
    format!("{}_response", name.replace('.', "_"))
}

impl Dialect for Pdd {
    fn platform(&self) -> Platform {
        Platform::Pdd
    }

    fn success(&self, method: &str, data: Value, now_ms: i64) -> Answer {
        let mut data = data;
        if let Value::Object(m) = &mut data {
            m.insert("request_id".into(), json!(ids::request_id(now_ms)));
        }
        Answer::json(200, &json!({ response_name(method): data }))
    }

    fn reject(&self, _method: &str, reject: &Reject, now_ms: i64) -> Answer {
        let (code, msg, sub_code, sub_msg): (i64, &str, &str, String) = match reject {
            Reject::UnknownApp => (
                10001,
                "client_id不存在",
                "client_id_invalid",
                "client_id invalid".into(),
            ),
            Reject::BadSign => (10016, "签名错误", "sign_error", "sign error".into()),
            Reject::BadTimestamp => (
                10045,
                "timestamp超出范围",
                "timestamp_out_of_range",
                "timestamp out of range".into(),
            ),
            Reject::MissingToken | Reject::Token => (
                10019,
                "access_token已过期",
                "access_token_expired",
                "access_token expired".into(),
            ),
            Reject::BadRefreshToken => (
                10019,
                "refresh_token无效",
                "refresh_token_invalid",
                "refresh_token invalid".into(),
            ),
            Reject::RateLimited(secs) => (
                70031,
                "调用次数超限",
                "call_limit",
                format!("retry after {secs} s"),
            ),
            Reject::Missing(p) => (
                10000,
                "参数错误",
                "missing_parameter",
                format!("missing parameter {p}"),
            ),
            Reject::Invalid(p) => (
                10000,
                "参数错误",
                "invalid_parameter",
                format!("invalid parameter {p}"),
            ),
            Reject::UnknownMethod(t) => (
                10000,
                "参数错误",
                "invalid_type",
                format!("type {t} does not exist"),
            ),
            Reject::NotFound(s) => (
                20004,
                "数据不存在",
                "not_found",
                format!("{} not found", s.word()),
            ),
            Reject::Refused(s, d) => (
                20001,
                "状态不允许此操作",
                "state_not_allowed",
                format!("the {} is {d}; not allowed", s.word()),
            ),
            Reject::Already(s, d) => (
                20001,
                "状态不允许此操作",
                "already_in_state",
                format!("the {} is already {d}", s.word()),
            ),
            Reject::Internal(_) => (50000, "系统繁忙", "system_busy", "system busy".into()),
        };
        Answer::json(
            200,
            &json!({ "error_response": {
                "error_code": code,
                "error_msg": msg,
                "sub_code": sub_code,
                "sub_msg": sub_msg,
                "request_id": ids::request_id(now_ms),
            }}),
        )
    }
}

/// Reads the body: a JSON object (non-string values as their JSON text) or a form.
fn read_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, Reject> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return params::form(body);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()),
        _ => Err(Reject::Invalid("body".into())),
    }
}

fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "pdd.refund.agree"
            | "pdd.refund.returngoods.agree"
            | "pdd.open.msg.service.send.msg"
            | "pdd.invoice.detail.upload"
    )
}

/// `POST /pdd/api/router`.
pub(crate) async fn handle(
    State(sb): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let d = &Pdd;
    let p = match read_params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return refuse_early(&sb, d, "", "", &r),
    };
    let method = p.get("type").cloned().unwrap_or_default();
    let client_id = p.get("client_id").cloned().unwrap_or_default();
    let adm = match admit(&sb, &p, &method, &client_id) {
        Ok(adm) => adm,
        Err(r) => return refuse_early(&sb, d, &client_id, &method, &r),
    };
    run(&sb, d, adm, move |ctx| methods::dispatch(ctx, &method, &p)).await
}

fn admit(sb: &Inner, p: &Params, method: &str, client_id: &str) -> Result<Admission, Reject> {
    params::required(p, "client_id")?;
    let candidates = sb.shops_with_app(Platform::Pdd, client_id);
    let shop = candidates.first().ok_or(Reject::UnknownApp)?;
    let sign = params::required(p, "sign")?;
    if !params::top_sign_ok(p, shop.app_secret.expose(), SignMethod::Md5, sign) {
        return Err(Reject::BadSign);
    }
    let ts: i64 = params::required(p, "timestamp")?
        .trim()
        .parse()
        .map_err(|_| Reject::BadTimestamp)?;
    if !crate::clock::within(ts.saturating_mul(1000), sb.now(), WINDOW_MS) {
        return Err(Reject::BadTimestamp);
    }
    params::required(p, "type")?;
    let credential = if method == REFRESH {
        Credential::Refresh(params::optional(p, "refresh_token").map(str::to_owned))
    } else {
        Credential::Access(params::optional(p, "access_token").map(str::to_owned))
    };
    Ok(Admission {
        app_key: client_id.to_owned(),
        candidates,
        credential,
        method: method.to_owned(),
        scope: method.to_owned(),
        key: if idempotent(method) {
            params::optional(p, "request_id").map(str::to_owned)
        } else {
            None
        },
    })
}
