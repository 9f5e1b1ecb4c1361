//! The RFC 7807 errors `notify.send` raises: what went wrong, where (shop, order, template,
//! the `[notify…]` key to fix), and whether retrying the step can help. None of them carries a
//! phone number or a secret.

use shopflow_core::{ErrorKind, WorkflowError};

use crate::aliyun::{AliyunError, CodeClass};
use crate::error::Error;
use crate::outcome::Channel;

/// The advice every error ends with.
fn advice(retryable: bool) -> &'static str {
    if retryable {
        "retrying the step can help (it reuses the same idempotency key, which is also the OutId)"
    } else {
        "retrying will not help until this is fixed"
    }
}

/// A configuration problem (400, not retryable).
pub fn configuration(title: &str, detail: String) -> WorkflowError {
    WorkflowError::new(ErrorKind::Configuration, title)
        .with_detail(format!("{detail}; {}", advice(false)))
        .retryable(false)
}

/// The contact ledger failed (a full disk, a locked file): retryable, nothing was sent.
pub fn ledger(e: &Error) -> WorkflowError {
    WorkflowError::new(ErrorKind::Runtime, "Contact ledger failed")
        .with_status(500)
        .with_detail(format!(
            "`notify.send` could not read or write its contact ledger ({e}); nothing was sent; {}",
            advice(true)
        ))
        .retryable(true)
}

/// Where an Aliyun call was made, for its errors.
#[derive(Debug, Clone, Copy)]
pub struct AliyunCall<'a> {
    /// SMS or voice.
    pub channel: Channel,
    /// The shop.
    pub shop: &'a str,
    /// The order.
    pub order_id: &'a str,
    /// The template's name.
    pub template: &'a str,
    /// The template's `TemplateCode` / `TtsCode`.
    pub code: &'a str,
}

/// The error a failed Aliyun call becomes.
pub fn aliyun(e: &AliyunError, call: &AliyunCall<'_>) -> WorkflowError {
    let (service, table, code_key, action) = match call.channel {
        Channel::Voice => (
            "Aliyun voice",
            "notify.voice",
            "tts_code",
            "SingleCallByTts",
        ),
        _ => ("Aliyun SMS", "notify.sms", "sms_code", "SendSms"),
    };
    let (kind, status, title, fix): (ErrorKind, u16, &str, String) = match e.class() {
        Some(CodeClass::Throttled) => (
            ErrorKind::Communication,
            429,
            "Aliyun throttled the message",
            "Aliyun's flow control for this number or this account (per number: SMS 1 a minute, \
             5 an hour, 10 a day; voice 1 a minute, 5 an hour, 20 a day)"
                .into(),
        ),
        Some(CodeClass::DailyLimit) => (
            ErrorKind::Communication,
            429,
            "Aliyun's daily limit for the number",
            "the buyer's number got as many messages today as Aliyun allows; contact the buyer \
             tomorrow or on another channel"
                .into(),
        ),
        Some(CodeClass::Credentials) => (
            ErrorKind::Authentication,
            401,
            "Aliyun refused the credentials",
            format!(
                "check `access_key_id` and `access_key_secret` in `[{table}]` (the AccessKey must \
                 exist and be enabled) and this machine's clock (Aliyun accepts 15 minutes of skew)"
            ),
        ),
        Some(CodeClass::Permission) => (
            ErrorKind::Authorization,
            403,
            "Aliyun does not allow the message",
            format!(
                "the AccessKey's RAM user needs permission for `{action}`, and the Aliyun account \
                 must have the service enabled, be in service and have a balance"
            ),
        ),
        Some(CodeClass::Template) => (
            ErrorKind::Configuration,
            400,
            "Aliyun refused the template",
            match call.channel {
                Channel::Voice => format!(
                    "check `called_show_number` in `[notify.voice]` and `tts_code` (`{}`) of \
                     `[notify.templates.{}]` against the voice console, and that `params` gives \
                     every variable of the template",
                    call.code, call.template
                ),
                _ => format!(
                    "check `sign_name` in `[notify.sms]` and `sms_code` (`{}`) of \
                     `[notify.templates.{}]` against the approved ones in the SMS console, and \
                     that `params` gives every variable of the template",
                    call.code, call.template
                ),
            },
        ),
        Some(CodeClass::Recipient) => (
            ErrorKind::Validation,
            400,
            "Aliyun refused the buyer's number",
            format!(
                "the receiver's phone number of order `{}` cannot get {}; contact the buyer on \
                 another channel",
                call.order_id,
                if call.channel == Channel::Voice {
                    "calls"
                } else {
                    "SMS"
                }
            ),
        ),
        Some(CodeClass::ServerFault) => (
            ErrorKind::Communication,
            503,
            "Aliyun failed",
            "Aliyun reported an error of its own".into(),
        ),
        Some(CodeClass::Other) => (
            ErrorKind::Runtime,
            502,
            "Aliyun refused the message",
            "look the code up in Aliyun's error centre (https://api.aliyun.com/troubleshoot)"
                .into(),
        ),
        None => match e {
            AliyunError::Timeout { .. } => (
                ErrorKind::Timeout,
                504,
                "Aliyun did not answer in time",
                format!(
                    "the message may or may not have gone out; a retry sends the same OutId \
                     (raise `timeout_ms` in `[{table}]` if this repeats)"
                ),
            ),
            AliyunError::Malformed { .. } => (
                ErrorKind::Communication,
                502,
                "Unexpected answer from Aliyun",
                format!("check `endpoint` in `[{table}]`"),
            ),
            _ => (
                ErrorKind::Communication,
                503,
                "Aliyun unavailable",
                format!("check `endpoint` in `[{table}]` and the network"),
            ),
        },
    };
    WorkflowError::new(kind, title)
        .with_status(status)
        .with_detail(format!(
            "{service} `{action}` for shop `{}`, order `{}`, template `{}` (`{code_key}` `{}`): \
             {e}; {fix}; {}",
            call.shop,
            call.order_id,
            call.template,
            call.code,
            advice(e.retryable())
        ))
        .retryable(e.retryable())
}
