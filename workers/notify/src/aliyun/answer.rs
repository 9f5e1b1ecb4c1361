//! Reading a Dysms / Dyvms answer: `{"Code":"OK", "BizId"|"CallId", "RequestId"}` is accepted;
//! any other `Code` is Aliyun's refusal (business codes such as `isv.BUSINESS_LIMIT_CONTROL`
//! come with HTTP 200, gateway codes such as `SignatureDoesNotMatch` with 400/404); a 5xx or a
//! broken connection is the service failing. Aliyun's messages are cleaned before they reach
//! an error: `SignatureDoesNotMatch` quotes the server's string to sign, which holds the
//! buyer's number.

use serde_json::Value;

use super::request::Action;

/// An accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `BizId` (SMS) or `CallId` (voice).
    pub id: String,
    /// Aliyun's `RequestId`, for support tickets.
    pub request_id: String,
}

/// What kind of refusal a `Code` is, which decides who must act and whether a retry helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    /// Flow control (`isv.BUSINESS_LIMIT_CONTROL`, `Throttling*`): later is fine.
    Throttled,
    /// The daily limit for the number (`isv.DAY_LIMIT_CONTROL`): not today.
    DailyLimit,
    /// The AccessKey, signature, timestamp or nonce was refused.
    Credentials,
    /// The key may not do this, or the account cannot send (suspended, no balance).
    Permission,
    /// The sign name, template code, display number or template parameters were refused.
    Template,
    /// The buyer's number was refused.
    Recipient,
    /// Aliyun failed (`isp.SYSTEM_ERROR`, `ServiceUnavailable`, `InternalError`).
    ServerFault,
    /// Anything else.
    Other,
}

impl CodeClass {
    /// The class of an Aliyun `Code`.
    pub fn of(code: &str) -> Self {
        match code {
            "isv.BUSINESS_LIMIT_CONTROL" | "Throttling" | "Throttling.User" | "Throttling.Api" => {
                Self::Throttled
            }
            "isv.DAY_LIMIT_CONTROL" => Self::DailyLimit,
            "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "InvalidTimeStamp.Expired"
            | "InvalidTimeStamp.Format"
            | "SignatureNonceUsed"
            | "MissingAccessKeyId"
            | "InvalidAccessKeyId"
            | "InvalidAccessKeyId.NotFound"
            | "InvalidAccessKeyId.Inactive" => Self::Credentials,
            "isp.RAM_PERMISSION_DENY"
            | "Forbidden.RAM"
            | "isv.OUT_OF_SERVICE"
            | "isv.PRODUCT_UN_SUBSCRIPT"
            | "isv.PRODUCT_UNSUBSCRIBE"
            | "isv.ACCOUNT_NOT_EXISTS"
            | "isv.ACCOUNT_ABNORMAL"
            | "isv.AMOUNT_NOT_ENOUGH" => Self::Permission,
            "isv.SMS_TEMPLATE_ILLEGAL"
            | "isv.SMS_SIGNATURE_ILLEGAL"
            | "isv.SIGN_NAME_ILLEGAL"
            | "isv.TTS_TEMPLATE_ILLEGAL"
            | "isv.DISPLAY_NUMBER_ILLEGAL"
            | "isv.TEMPLATE_MISSING_PARAMETERS"
            | "isv.TEMPLATE_PARAMS_ILLEGAL"
            | "isv.INVALID_JSON_PARAM"
            | "isv.PARAM_LENGTH_LIMIT"
            | "isv.PARAM_NOT_SUPPORT_URL"
            | "isv.BLACK_KEY_CONTROL_LIMIT" => Self::Template,
            "isv.MOBILE_NUMBER_ILLEGAL" | "isv.MOBILE_COUNT_OVER_LIMIT" => Self::Recipient,
            "isp.SYSTEM_ERROR" | "ServiceUnavailable" | "InternalError" => Self::ServerFault,
            _ => Self::Other,
        }
    }
}

/// A call that did not end with an accepted message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AliyunError {
    /// Aliyun answered with a `Code` other than `OK`: nothing was sent.
    #[error("Aliyun answered {code} ({message}), RequestId {request_id}")]
    Refused {
        /// Aliyun's `Code`.
        code: String,
        /// Aliyun's `Message`, cleaned of numbers and the string to sign.
        message: String,
        /// Aliyun's `RequestId`.
        request_id: String,
        /// The HTTP status.
        http_status: u16,
    },
    /// The service failed (HTTP 5xx or the request broke).
    #[error("Aliyun unavailable: {detail}")]
    Unavailable {
        /// What happened.
        detail: String,
        /// Whether the request may have reached Aliyun (false when the connection was never
        /// made).
        maybe_sent: bool,
    },
    /// No answer in time; the message may or may not have been sent.
    #[error("no answer from Aliyun in time: {detail}")]
    Timeout {
        /// What happened.
        detail: String,
    },
    /// A 2xx answer that could not be read.
    #[error("unexpected answer from Aliyun: {detail}")]
    Malformed {
        /// What was wrong.
        detail: String,
    },
}

impl AliyunError {
    /// A failed request.
    pub fn transport(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout {
                detail: e.to_string(),
            }
        } else {
            Self::Unavailable {
                detail: format!("the request failed ({e})"),
                maybe_sent: !e.is_connect(),
            }
        }
    }

    /// The refusal's class (`None` when Aliyun did not answer with a code).
    pub fn class(&self) -> Option<CodeClass> {
        match self {
            Self::Refused { code, .. } => Some(CodeClass::of(code)),
            _ => None,
        }
    }

    /// Whether the same call can succeed later.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Refused { .. } => matches!(
                self.class(),
                Some(CodeClass::Throttled | CodeClass::ServerFault)
            ),
            Self::Unavailable { .. } | Self::Timeout { .. } => true,
            Self::Malformed { .. } => false,
        }
    }

    /// Whether the message may have gone out although the call failed.
    pub fn maybe_sent(&self) -> bool {
        match self {
            Self::Refused { .. } => false,
            Self::Unavailable { maybe_sent, .. } => *maybe_sent,
            Self::Timeout { .. } | Self::Malformed { .. } => true,
        }
    }
}

/// Reads the answer to `action`.
pub fn read(action: Action, status: u16, body: &str) -> Result<Accepted, AliyunError> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Err(if status >= 500 {
            AliyunError::Unavailable {
                detail: format!("HTTP {status}"),
                maybe_sent: true,
            }
        } else {
            AliyunError::Malformed {
                detail: format!("HTTP {status} with a body that is not JSON"),
            }
        });
    };
    let field = |name: &str| v.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
    let code = field("Code");
    let request_id = field("RequestId");
    if code == "OK" {
        let id = field(action.id_field());
        if id.is_empty() {
            return Err(AliyunError::Malformed {
                detail: format!("`Code` is OK but there is no `{}`", action.id_field()),
            });
        }
        return Ok(Accepted { id, request_id });
    }
    if code.is_empty() {
        return Err(if status >= 500 {
            AliyunError::Unavailable {
                detail: format!("HTTP {status}"),
                maybe_sent: true,
            }
        } else {
            AliyunError::Malformed {
                detail: format!("HTTP {status} without a `Code`"),
            }
        });
    }
    Err(AliyunError::Refused {
        message: clean(&field("Message")),
        code,
        request_id,
        http_status: status,
    })
}

/// Aliyun's message without the server's string to sign, and with every run of 7 or more
/// digits masked (a phone number must not reach an error, a log or the journal).
pub fn clean(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let cut = lower
        .find("server string to sign is")
        .map_or(message, |at| message[..at].trim_end());
    let mut out = String::with_capacity(cut.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 7 {
            out.push_str(&shopflow_connectors::model::mask_phone(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in cut.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accepted_messages_and_calls() {
        let sms = read(
            Action::SendSms,
            200,
            r#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}"#,
        );
        assert_eq!(sms.unwrap().id, "900619746936498440^0");
        let call = read(
            Action::SingleCallByTts,
            200,
            r#"{"Code":"OK","CallId":"116012354148^10281378","RequestId":"R"}"#,
        );
        assert_eq!(call.unwrap().id, "116012354148^10281378");
        assert!(matches!(
            read(Action::SendSms, 200, r#"{"Code":"OK"}"#),
            Err(AliyunError::Malformed { .. })
        ));
    }

    #[test]
    fn refusals_say_whether_a_retry_helps_and_hide_numbers() {
        let throttled = read(
            Action::SendSms,
            200,
            r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1","RequestId":"R"}"#,
        )
        .unwrap_err();
        assert!(throttled.retryable() && !throttled.maybe_sent());
        let template = read(
            Action::SendSms,
            200,
            r#"{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"模板不合法","RequestId":"R"}"#,
        )
        .unwrap_err();
        assert!(!template.retryable());
        assert_eq!(template.class(), Some(CodeClass::Template));
        let signature = read(
            Action::SendSms,
            400,
            r#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:GET&%2F&PhoneNumbers%3D13812345678","RequestId":"R"}"#,
        )
        .unwrap_err();
        assert!(!signature.retryable());
        let text = signature.to_string();
        assert!(
            !text.contains("13812345678") && !text.contains("PhoneNumbers"),
            "{text}"
        );
        assert_eq!(clean("号码13812345678格式错误"), "号码138****5678格式错误");
        assert_eq!(clean("Permits:1"), "Permits:1");
        let down = read(Action::SingleCallByTts, 502, "<html>502</html>").unwrap_err();
        assert!(down.retryable() && down.maybe_sent());
    }
}
