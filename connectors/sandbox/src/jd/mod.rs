//! The JD JOS gateway: `POST /jd/routerjson`, form parameters with the business ones in
//! `360buy_param_json`, TOP-style signature (`md5`, `hmacsha256`, `hmacmd5`), GMT+8 timestamps
//! within ±6 minutes, `access_token` (no refresh through the gateway), `…_responce` answers.

mod methods;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Map, Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign::SignMethod;

use crate::clock;
use crate::gate::params::{self, Params};
use crate::gate::{Admission, Answer, Credential, Dialect, Reject, refuse_early, run};
use crate::sandbox::Inner;

const WINDOW_MS: i64 = 6 * 60 * 1000;
/// The refund review method, whose business refusals come back inside a success envelope.
const REPLY_REFUND: &str = "jingdong.pop.afs.soa.refundapply.replyRefund";

/// JD's answers.
pub(crate) struct Jd;

fn response_name(method: &str) -> String {
    // JD really spells it `responce`.
    format!("{}_responce", method.replace('.', "_"))
}

fn error(code: &str, zh: &str, en: &str) -> Answer {
    Answer::json(
        200,
        &json!({ "error_response": { "code": code, "zh_desc": zh, "en_desc": en } }),
    )
}

impl Dialect for Jd {
    fn platform(&self) -> Platform {
        Platform::Jd
    }

    fn refreshable(&self) -> bool {
        false
    }

    fn success(&self, method: &str, data: Value, _now_ms: i64) -> Answer {
        let mut body = Map::new();
        body.insert("code".into(), json!("0"));
        if let Value::Object(m) = data {
            body.extend(m);
        }
        Answer::json(200, &json!({ response_name(method): body }))
    }

    fn reject(&self, method: &str, reject: &Reject, now_ms: i64) -> Answer {
        match reject {
            Reject::UnknownApp => error("14", "无效的app_key", "Invalid app_key"),
            Reject::BadSign => error("19", "无效的签名", "Invalid signature"),
            Reject::BadTimestamp => error("12", "无效的时间戳", "Invalid timestamp"),
            Reject::MissingToken | Reject::Token | Reject::BadRefreshToken => {
                error("7", "无效的access_token", "Invalid access_token")
            }
            Reject::RateLimited(secs) => error(
                "8",
                "调用次数超限",
                &format!("Call limit exceeded, retry after {secs} seconds"),
            ),
            Reject::Missing(p) => error(
                "50",
                &format!("缺少参数 {p}"),
                &format!("invalid parameter: {p} is required"),
            ),
            Reject::Invalid(p) => error(
                "50",
                &format!("参数 {p} 不合法"),
                &format!("invalid parameter: {p}"),
            ),
            Reject::UnknownMethod(_) => error("50", "无效的方法", "invalid parameter: method"),
            Reject::NotFound(s) => error(
                "404",
                &format!("{} 不存在", s.word()),
                &format!("{} not found", s.word()),
            ),
            Reject::Refused(s, detail) | Reject::Already(s, detail) if method == REPLY_REFUND => {
                let (code, text) = if matches!(reject, Reject::Already(..)) {
                    (
                        "REFUND_ALREADY_AUDITED",
                        format!("退款单已审核 (the {} is already {detail})", s.word()),
                    )
                } else {
                    (
                        "REFUND_STATUS_ERROR",
                        format!(
                            "退款单状态不允许审核 (the {} is {detail}; not allowed)",
                            s.word()
                        ),
                    )
                };
                self.success(
                    method,
                    json!({ "replyResult": { "success": false, "errorCode": code, "errorMessage": text } }),
                    now_ms,
                )
            }
            Reject::Refused(s, detail) => {
                error("50", "状态不允许", &format!("the {} is {detail}", s.word()))
            }
            Reject::Already(s, detail) => error(
                "50",
                "状态已变更",
                &format!("the {} is already {detail}", s.word()),
            ),
            Reject::Internal(_) => error("66", "服务不可用", "service unavailable"),
        }
    }
}

/// `POST /jd/routerjson`.
pub(crate) async fn handle(State(sb): State<Arc<Inner>>, body: Bytes) -> Answer {
    let d = &Jd;
    let p = match params::form(&body) {
        Ok(p) => p,
        Err(r) => return refuse_early(&sb, d, "", "", &r),
    };
    let method = p.get("method").cloned().unwrap_or_default();
    let app_key = p.get("app_key").cloned().unwrap_or_default();
    let (adm, business) = match admit(&sb, &p, &method, &app_key) {
        Ok(x) => x,
        Err(r) => return refuse_early(&sb, d, &app_key, &method, &r),
    };
    run(&sb, d, adm, move |ctx| {
        methods::dispatch(ctx, &method, &business)
    })
    .await
}

fn admit(
    sb: &Inner,
    p: &Params,
    method: &str,
    app_key: &str,
) -> Result<(Admission, Map<String, Value>), Reject> {
    params::required(p, "app_key")?;
    let candidates = sb.shops_with_app(Platform::Jd, app_key);
    let shop = candidates.first().ok_or(Reject::UnknownApp)?;
    let sign = params::required(p, "sign")?;
    let sign_method = SignMethod::parse(params::optional(p, "sign_method").unwrap_or("md5"))
        .ok_or_else(|| Reject::Invalid("sign_method".into()))?;
    if !params::top_sign_ok(p, shop.app_secret.expose(), sign_method, sign) {
        return Err(Reject::BadSign);
    }
    match clock::parse_gmt8(params::required(p, "timestamp")?) {
        Some(at) if clock::within(at, sb.now(), WINDOW_MS) => {}
        _ => return Err(Reject::BadTimestamp),
    }
    params::required(p, "method")?;
    let business = match params::optional(p, "360buy_param_json") {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(Reject::Invalid("360buy_param_json".into())),
        },
    };
    let key = if method == REPLY_REFUND {
        params::json_text(&business, "outRequestId")
    } else {
        None
    };
    let adm = Admission {
        app_key: app_key.to_owned(),
        candidates,
        credential: Credential::Access(params::optional(p, "access_token").map(str::to_owned)),
        method: method.to_owned(),
        scope: method.to_owned(),
        key,
    };
    Ok((adm, business))
}
