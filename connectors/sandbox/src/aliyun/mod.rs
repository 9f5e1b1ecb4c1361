//! Aliyun SMS (Dysms) and voice (Dyvms) as their RPC endpoints behave: `GET` (or form `POST`)
//! `/aliyun/sms` with `Action=SendSms` and `/aliyun/voice` with `Action=SingleCallByTts`,
//! `Version=2017-05-25`. In Aliyun's order: the AccessKey, the signature (the notify worker's
//! own signing code, so the two cannot disagree), the timestamp window (15 minutes), the
//! `SignatureNonce` (never twice), then queued faults, the `OutId` replay (a repeated `OutId`
//! gets the first answer and sends nothing), the business checks (number, sign name, template
//! codes, display number, template parameters) and the per-number flow control (one message a
//! minute). Accepted messages are kept with the full number; `GET /_sandbox/aliyun/messages`
//! lists them masked.

mod accounts;
mod reply;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use rusqlite::Connection;
use serde_json::{Value, json};
use shopflow_notify::aliyun::{Action, sign};

pub(crate) use accounts::Accounts;
use reply::{Refusal, THROTTLED};

use crate::gate::{Answer, FaultKind};
use crate::ids::Rng;
use crate::sandbox::Inner;
use crate::store::{AliyunMessage, CallRow, table};

/// Aliyun's timestamp window.
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// One message per number per minute, like Aliyun's shortest flow-control period.
const PER_NUMBER_MS: i64 = 60 * 1000;

/// Which service an endpoint simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Sms,
    Voice,
}

impl Service {
    fn action(self) -> Action {
        match self {
            Self::Sms => Action::SendSms,
            Self::Voice => Action::SingleCallByTts,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }

    fn host(self) -> &'static str {
        match self {
            Self::Sms => "dysmsapi.aliyuncs.com",
            Self::Voice => "dyvmsapi.aliyuncs.com",
        }
    }
}

type Params = BTreeMap<String, String>;

/// `GET|POST /aliyun/sms`.
pub(crate) async fn sms(
    State(sb): State<Arc<Inner>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    handle(&sb, Service::Sms, &method, query, &body).await
}

/// `GET|POST /aliyun/voice`.
pub(crate) async fn voice(
    State(sb): State<Arc<Inner>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    handle(&sb, Service::Voice, &method, query, &body).await
}

async fn handle(
    sb: &Arc<Inner>,
    service: Service,
    method: &Method,
    query: Option<String>,
    body: &[u8],
) -> Answer {
    let now = sb.now();
    let request_id = request_id(now);
    let params = read_params(method, query.as_deref(), body);
    let key_id = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("AccessKeyId").cloned())
        .unwrap_or_default();
    let action = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("Action").cloned())
        .unwrap_or_else(|| service.action().name().to_owned());
    let record =
        |outcome: &str, replayed: bool| record_call(sb, &key_id, &action, outcome, replayed);
    let admitted = params.and_then(|p| {
        admit(sb, service, method, &p, now)?;
        Ok(p)
    });
    let params = match admitted {
        Ok(p) => p,
        Err(refusal) => {
            record(&format!("rejected:{}", refusal.code()), false);
            return refusal.answer(&request_id, service.host());
        }
    };
    let fault = sb.faults.take("aliyun", &action);
    if let Some(f) = fault {
        let outcome = format!("fault:{}", f.kind.as_str());
        let early = match f.kind {
            FaultKind::BadGateway => Some(Answer::bad_gateway()),
            FaultKind::RateLimit => Some(THROTTLED.answer(&request_id, service.host())),
            FaultKind::TokenExpired => {
                Some(Refusal::KeyInactive.answer(&request_id, service.host()))
            }
            FaultKind::BadGatewayAfter | FaultKind::Timeout => None,
        };
        if let Some(answer) = early {
            record(&outcome, false);
            return answer;
        }
    }
    let executed = {
        let mut conn = sb.store.lock();
        execute(&mut conn, &sb.aliyun, service, &params, now, &request_id)
    };
    let (answer, outcome, replayed) = match executed {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "sandbox database failed");
            (
                Answer::internal(&e.to_string()),
                "rejected:internal".to_owned(),
                false,
            )
        }
    };
    match fault {
        Some(f) => record(&format!("fault:{}", f.kind.as_str()), replayed),
        None => record(&outcome, replayed),
    }
    match fault.map(|f| (f.kind, f.hold_ms)) {
        Some((FaultKind::BadGatewayAfter, _)) => Answer::bad_gateway(),
        Some((FaultKind::Timeout, hold_ms)) => {
            tokio::time::sleep(Duration::from_millis(hold_ms)).await;
            answer
        }
        _ => answer,
    }
}

/// The query's parameters, and a form body's for `POST`.
fn read_params(method: &Method, query: Option<&str>, body: &[u8]) -> Result<Params, Refusal> {
    let mut params: Params =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
            .map_err(|_| Refusal::Unreadable)?
            .into_iter()
            .collect();
    if method == Method::POST && !body.is_empty() {
        let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| Refusal::Unreadable)?;
        params.extend(form);
    }
    Ok(params)
}

/// The gateway's checks: key, signature, timestamp, nonce, action and version.
fn admit(
    sb: &Inner,
    service: Service,
    method: &Method,
    p: &Params,
    now: i64,
) -> Result<(), Refusal> {
    let key_id = required(p, "AccessKeyId")?;
    let secret = sb.aliyun.secret(key_id).ok_or(Refusal::UnknownKey)?;
    let signature = required(p, "Signature")?;
    if p.get("SignatureMethod").map(String::as_str) != Some("HMAC-SHA1") {
        return Err(Refusal::IncompleteSignature(
            "SignatureMethod must be HMAC-SHA1".into(),
        ));
    }
    if p.get("SignatureVersion").map(String::as_str) != Some("1.0") {
        return Err(Refusal::IncompleteSignature(
            "SignatureVersion must be 1.0".into(),
        ));
    }
    let nonce = required(p, "SignatureNonce")?;
    let http_method = if method == Method::POST {
        "POST"
    } else {
        "GET"
    };
    if !sign::verify(http_method, p, secret.expose(), signature) {
        return Err(Refusal::SignatureMismatch(sign::string_to_sign(
            http_method,
            p,
        )));
    }
    let ts = sign::parse_timestamp(required(p, "Timestamp")?).ok_or(Refusal::TimestampFormat)?;
    if !crate::clock::within(ts, now, WINDOW_MS) {
        return Err(Refusal::TimestampExpired);
    }
    {
        let conn = sb.store.lock();
        if !table::use_nonce(&conn, key_id, nonce, now, now - 2 * WINDOW_MS)
            .map_err(|e| Refusal::Internal(e.to_string()))?
        {
            return Err(Refusal::NonceUsed);
        }
    }
    if Action::parse(required(p, "Action")?) != Some(service.action()) {
        return Err(Refusal::UnknownAction);
    }
    if required(p, "Version")? != service.action().version() {
        return Err(Refusal::BadVersion);
    }
    Ok(())
}

fn required<'a>(p: &'a Params, name: &'static str) -> Result<&'a str, Refusal> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or(Refusal::Missing(name))
}

/// What a valid call asks for.
struct Message {
    phones: Vec<String>,
    sender: String,
    template_code: String,
    params: String,
}

/// The business checks of `SendSms` / `SingleCallByTts`.
fn validate(accounts: &Accounts, service: Service, p: &Params) -> Result<Message, Refusal> {
    let object_of_strings = |text: Option<&String>| -> Option<String> {
        match text {
            None => Some("{}".into()),
            Some(t) => match serde_json::from_str::<Value>(t) {
                Ok(Value::Object(m)) if m.values().all(Value::is_string) => Some(t.clone()),
                _ => None,
            },
        }
    };
    match service {
        Service::Sms => {
            let numbers = required(p, "PhoneNumbers")?;
            let sign_name = required(p, "SignName")?;
            let code = required(p, "TemplateCode")?;
            let phones: Vec<String> = numbers.split(',').map(|n| n.trim().to_owned()).collect();
            if !phones.iter().all(|n| mobile(n)) {
                return Err(Refusal::Business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"));
            }
            if !accounts.sign_names.contains(sign_name) {
                return Err(Refusal::Business(
                    "isv.SMS_SIGNATURE_ILLEGAL",
                    "该账号下找不到对应签名",
                ));
            }
            if !accounts.sms_codes.contains(code) {
                return Err(Refusal::Business(
                    "isv.SMS_TEMPLATE_ILLEGAL",
                    "该账号下找不到对应模板",
                ));
            }
            let params = object_of_strings(p.get("TemplateParam")).ok_or(Refusal::Business(
                "isv.INVALID_JSON_PARAM",
                "JSON参数不合法，只接受字符串值",
            ))?;
            Ok(Message {
                phones,
                sender: sign_name.to_owned(),
                template_code: code.to_owned(),
                params,
            })
        }
        Service::Voice => {
            let number = required(p, "CalledNumber")?;
            let show = required(p, "CalledShowNumber")?;
            let code = required(p, "TtsCode")?;
            if !(mobile(number) || landline(number)) {
                return Err(Refusal::Business(
                    "isv.MOBILE_NUMBER_ILLEGAL",
                    "号码格式非法",
                ));
            }
            if !accounts.show_numbers.contains(show) {
                return Err(Refusal::Business(
                    "isv.DISPLAY_NUMBER_ILLEGAL",
                    "号显不合法",
                ));
            }
            if !accounts.tts_codes.contains(code) {
                return Err(Refusal::Business(
                    "isv.TTS_TEMPLATE_ILLEGAL",
                    "TTS模板不合法",
                ));
            }
            let params = object_of_strings(p.get("TtsParam"))
                .ok_or(Refusal::Business("isv.INVALID_PARAMETERS", "参数异常"))?;
            Ok(Message {
                phones: vec![number.trim().to_owned()],
                sender: show.to_owned(),
                template_code: code.to_owned(),
                params,
            })
        }
    }
}

/// A mainland mobile number, optionally with `+86` / `0086`.
fn mobile(n: &str) -> bool {
    let n = n
        .strip_prefix("+86")
        .or_else(|| n.strip_prefix("0086"))
        .unwrap_or(n);
    n.len() == 11 && n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit())
}

/// A mainland landline with its area code (`057112345678`).
fn landline(n: &str) -> bool {
    (10..=12).contains(&n.len()) && n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
}

/// Replays a known `OutId`, or checks, flow-controls and records the message.
fn execute(
    conn: &mut Connection,
    accounts: &Accounts,
    service: Service,
    p: &Params,
    now: i64,
    request_id: &str,
) -> rusqlite::Result<(Answer, String, bool)> {
    let key_id = p.get("AccessKeyId").map(String::as_str).unwrap_or("");
    let action = service.action().name();
    let out_id = p
        .get("OutId")
        .map(String::as_str)
        .filter(|o| !o.trim().is_empty());
    if let Some(out) = out_id
        && let Some((status, body)) = table::aliyun_answer(conn, key_id, action, out)?
    {
        return Ok((json_text(status, body), "ok".into(), true));
    }
    let refuse = |r: Refusal| {
        (
            r.answer(request_id, service.host()),
            format!("rejected:{}", r.code()),
            false,
        )
    };
    let message = match validate(accounts, service, p) {
        Ok(m) => m,
        Err(r) => return Ok(refuse(r)),
    };
    for phone in &message.phones {
        if let Some(last) = table::last_message_to(conn, service.kind(), phone)?
            && now - last < PER_NUMBER_MS
        {
            return Ok(refuse(THROTTLED));
        }
    }
    let mut rng = Rng::fresh(now);
    let message_id = match service {
        Service::Sms => format!("{}^0", rng.digits(18)),
        Service::Voice => format!("{}^{}", rng.digits(12), rng.digits(8)),
    };
    let body = match service {
        Service::Sms => {
            json!({"Code": "OK", "Message": "OK", "BizId": message_id, "RequestId": request_id})
        }
        Service::Voice => {
            json!({"Code": "OK", "Message": "OK", "CallId": message_id, "RequestId": request_id})
        }
    }
    .to_string();
    let tx = conn.transaction()?;
    for phone in &message.phones {
        table::insert_aliyun_message(
            &tx,
            &AliyunMessage {
                seq: 0,
                kind: service.kind().to_owned(),
                access_key_id: key_id.to_owned(),
                phone: phone.clone(),
                sender: message.sender.clone(),
                template_code: message.template_code.clone(),
                params: message.params.clone(),
                out_id: out_id.map(str::to_owned),
                message_id: message_id.clone(),
                request_id: request_id.to_owned(),
                at_ms: now,
            },
        )?;
    }
    if let Some(out) = out_id {
        table::store_aliyun_answer(&tx, key_id, action, out, 200, &body, now)?;
    }
    tx.commit()?;
    Ok((json_text(200, body), "ok".into(), false))
}

fn json_text(status: u16, body: String) -> Answer {
    Answer {
        status,
        headers: vec![(
            "content-type".into(),
            "application/json;charset=utf-8".into(),
        )],
        body: body.into_bytes(),
    }
}

/// Records the call in `calls` (platform `aliyun`, the AccessKey id as the app key).
fn record_call(sb: &Inner, key_id: &str, action: &str, outcome: &str, replayed: bool) {
    let row = CallRow {
        seq: 0,
        shop: None,
        app_key: key_id.to_owned(),
        platform: "aliyun".into(),
        method: action.to_owned(),
        outcome: outcome.to_owned(),
        replayed,
        at_ms: sb.now(),
    };
    let conn = sb.store.lock();
    if let Err(e) = table::insert_call(&conn, &row) {
        tracing::warn!(error = %e, "could not record a call");
    }
}

/// Aliyun's `RequestId` shape (`F655A8D5-B967-440B-8683-DAD6FF8DE990`).
fn request_id(now_ms: i64) -> String {
    let mut r = Rng::fresh(now_ms);
    let (a, b) = (r.next(), r.next());
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_request_ids() {
        assert!(mobile("13812345678") && mobile("+8613812345678") && mobile("008613812345678"));
        assert!(!mobile("1381234567") && !mobile("23812345678") && !mobile("+1 555 0100"));
        assert!(landline("057112345678") && !landline("13812345678"));
        let id = request_id(1);
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4);
    }
}
