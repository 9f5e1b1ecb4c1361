//! The Douyin shop (抖店) gateway: `POST /douyin/{method with . → /}` with the system
//! parameters in the query and `param_json` as the body, HMAC-SHA256 (or MD5) signature over
//! the sorted compact `param_json`, GMT+8 timestamps within ±10 minutes, and one envelope for
//! every answer (`{"code": 10000, "data": …}` on success).

mod methods;
pub(crate) mod render;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde_json::{Map, Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign::{self, SignMethod};

use crate::clock;
use crate::gate::params::json_text;
use crate::gate::{Admission, Answer, Credential, Dialect, Reject, refuse_early, run};
use crate::ids;
use crate::sandbox::Inner;

const WINDOW_MS: i64 = 10 * 60 * 1000;
const REFRESH: &str = "token.refresh";

/// Douyin's answers.
pub(crate) struct Douyin;

fn envelope(
    code: i64,
    msg: &str,
    sub_code: &str,
    sub_msg: &str,
    data: Value,
    now_ms: i64,
) -> Answer {
    Answer::json(
        200,
        &json!({
            "code": code,
            "msg": msg,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "log_id": ids::request_id(now_ms),
            "data": data,
        }),
    )
}

impl Dialect for Douyin {
    fn platform(&self) -> Platform {
        Platform::Douyin
    }

    fn success(&self, _method: &str, data: Value, now_ms: i64) -> Answer {
        envelope(10000, "success", "", "", data, now_ms)
    }

    fn reject(&self, _method: &str, reject: &Reject, now_ms: i64) -> Answer {
        let (code, msg, sub_code, sub_msg): (i64, &str, String, String) = match reject {
            Reject::UnknownApp => (
                30001,
                "app_key无效",
                "isv.app-key-invalid".into(),
                "app key invalid".into(),
            ),
            Reject::BadSign => (
                30002,
                "签名无效",
                "isv.sign-invalid".into(),
                "sign invalid".into(),
            ),
            Reject::BadTimestamp => (
                30003,
                "时间戳超出范围",
                "isv.timestamp-invalid".into(),
                "timestamp out of range".into(),
            ),
            Reject::MissingToken | Reject::Token => (
                30005,
                "access_token已过期",
                "isv.access-token-expired".into(),
                "access token expired".into(),
            ),
            Reject::BadRefreshToken => (
                30005,
                "refresh_token无效",
                "isv.refresh-token-invalid".into(),
                "refresh token invalid".into(),
            ),
            Reject::RateLimited(secs) => (
                40004,
                "调用次数超限",
                "isv.api-limit".into(),
                format!("retry after {secs} s"),
            ),
            Reject::Missing(p) => (
                40001,
                "参数不合法",
                format!("isv.parameter-invalid:{p}"),
                format!("missing parameter {p}"),
            ),
            Reject::Invalid(p) => (
                40001,
                "参数不合法",
                format!("isv.parameter-invalid:{p}"),
                format!("invalid parameter {p}"),
            ),
            Reject::UnknownMethod(m) => (
                40001,
                "参数不合法",
                "isv.parameter-invalid:method".into(),
                format!("method {m} does not exist"),
            ),
            Reject::NotFound(s) => (
                50004,
                "数据不存在",
                format!("isv.not-found:{}", s.word()),
                format!("{} not found", s.word()),
            ),
            Reject::Refused(s, d) => (
                50002,
                "业务处理失败",
                "isv.business-failed:status-not-allowed".into(),
                format!("the {} is {d}; not allowed", s.word()),
            ),
            Reject::Already(s, d) => (
                50002,
                "业务处理失败",
                "isv.business-failed:already-in-state".into(),
                format!("the {} is already {d}", s.word()),
            ),
            Reject::Internal(_) => (
                20000,
                "服务不可用",
                "isp.service-unavailable".into(),
                "service unavailable".into(),
            ),
        };
        envelope(code, msg, &sub_code, &sub_msg, Value::Null, now_ms)
    }
}

/// `POST /douyin/{*method_path}`.
pub(crate) async fn handle(
    State(sb): State<Arc<Inner>>,
    Path(method_path): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Answer {
    let d = &Douyin;
    let method = q
        .get("method")
        .cloned()
        .unwrap_or_else(|| method_path.trim_matches('/').replace('/', "."));
    let app_key = q.get("app_key").cloned().unwrap_or_default();
    let (adm, p) = match admit(&sb, &q, &method, &method_path, &app_key, &body) {
        Ok(x) => x,
        Err(r) => return refuse_early(&sb, d, &app_key, &method, &r),
    };
    run(&sb, d, adm, move |ctx| methods::dispatch(ctx, &method, &p)).await
}

fn admit(
    sb: &Inner,
    q: &HashMap<String, String>,
    method: &str,
    method_path: &str,
    app_key: &str,
    body: &[u8],
) -> Result<(Admission, Map<String, Value>), Reject> {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    get("app_key").ok_or_else(|| Reject::Missing("app_key".into()))?;
    let candidates = sb.shops_with_app(Platform::Douyin, app_key);
    let shop = candidates.first().ok_or(Reject::UnknownApp)?;
    let params = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|_| Reject::Invalid("param_json".into()))?
    };
    let Value::Object(p) = &params else {
        return Err(Reject::Invalid("param_json".into()));
    };
    let received = get("sign").ok_or_else(|| Reject::Missing("sign".into()))?;
    let ts = get("timestamp").ok_or_else(|| Reject::Missing("timestamp".into()))?;
    let sign_method = SignMethod::parse(get("sign_method").unwrap_or("md5"))
        .filter(|m| *m != SignMethod::HmacMd5)
        .ok_or_else(|| Reject::Invalid("sign_method".into()))?;
    let expected = sign::douyin::sign(
        app_key,
        method,
        &sign::douyin::param_json(&params),
        ts,
        shop.app_secret.expose(),
        sign_method,
    );
    if !sign::signatures_match(&expected, received) {
        return Err(Reject::BadSign);
    }
    match clock::parse_gmt8(ts) {
        Some(at) if clock::within(at, sb.now(), WINDOW_MS) => {}
        _ => return Err(Reject::BadTimestamp),
    }
    if method_path.trim_matches('/').replace('/', ".") != method {
        return Err(Reject::Invalid("method".into()));
    }
    let credential = if method == REFRESH {
        Credential::Refresh(json_text(p, "refresh_token"))
    } else {
        Credential::Access(get("access_token").map(str::to_owned))
    };
    let key = if method == "afterSale.operate" {
        json_text(p, "out_request_id")
    } else {
        None
    };
    let adm = Admission {
        app_key: app_key.to_owned(),
        candidates,
        credential,
        method: method.to_owned(),
        scope: method.to_owned(),
        key,
    };
    Ok((adm, p.clone()))
}
