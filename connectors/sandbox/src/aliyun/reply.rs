//! Aliyun's refusals as its gateway and its SMS / voice services write them: gateway errors
//! (`SignatureDoesNotMatch`, `InvalidTimeStamp.Expired`, …) with HTTP 400/404 and
//! `{"RequestId","HostId","Code","Message","Recommend"}`; business errors
//! (`isv.BUSINESS_LIMIT_CONTROL`, `isv.SMS_TEMPLATE_ILLEGAL`, …) with HTTP 200 and
//! `{"RequestId","Code","Message"}`.

use serde_json::json;

use crate::gate::Answer;

/// A refused call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A required parameter is absent (`Missing<Name>`).
    Missing(&'static str),
    /// The query or body could not be read.
    Unreadable,
    /// No such AccessKey.
    UnknownKey,
    /// The AccessKey is disabled (the `token_expired` fault).
    KeyInactive,
    /// `SignatureMethod` / `SignatureVersion` is not what the API signs with.
    IncompleteSignature(String),
    /// `Timestamp` is not `yyyy-MM-ddTHH:mm:ssZ`.
    TimestampFormat,
    /// `Timestamp` is more than 15 minutes off.
    TimestampExpired,
    /// The signature is wrong; the server's string to sign, as Aliyun quotes it.
    SignatureMismatch(String),
    /// The `SignatureNonce` was used before.
    NonceUsed,
    /// The action is not served at this endpoint.
    UnknownAction,
    /// `Version` is not `2017-05-25`.
    BadVersion,
    /// A business refusal: code and message.
    Business(&'static str, &'static str),
    /// The sandbox's own database failed (not a simulated answer).
    Internal(String),
}

impl Refusal {
    /// Aliyun's `Code`.
    pub(crate) fn code(&self) -> String {
        match self {
            Self::Missing(name) => format!("Missing{name}"),
            Self::Unreadable => "InvalidParameter".into(),
            Self::UnknownKey => "InvalidAccessKeyId.NotFound".into(),
            Self::KeyInactive => "InvalidAccessKeyId.Inactive".into(),
            Self::IncompleteSignature(_) => "IncompleteSignature".into(),
            Self::TimestampFormat => "InvalidTimeStamp.Format".into(),
            Self::TimestampExpired => "InvalidTimeStamp.Expired".into(),
            Self::SignatureMismatch(_) => "SignatureDoesNotMatch".into(),
            Self::NonceUsed => "SignatureNonceUsed".into(),
            Self::UnknownAction => "InvalidAction.NotFound".into(),
            Self::BadVersion => "InvalidVersion".into(),
            Self::Business(code, _) => (*code).to_owned(),
            Self::Internal(_) => "internal".into(),
        }
    }

    /// The answer, from `host` (`dysmsapi.aliyuncs.com`).
    pub(crate) fn answer(&self, request_id: &str, host: &str) -> Answer {
        let (status, message) = match self {
            Self::Missing(name) => (400, format!("{name} is mandatory for this action.")),
            Self::Unreadable => (400, "The request parameters could not be read.".into()),
            Self::UnknownKey => (404, "Specified access key is not found.".into()),
            Self::KeyInactive => (400, "Specified access key is disabled.".into()),
            Self::IncompleteSignature(what) => (
                400,
                format!("The request signature does not conform to Aliyun standards: {what}."),
            ),
            Self::TimestampFormat => (
                400,
                "Specified time stamp or date value is not well formatted.".into(),
            ),
            Self::TimestampExpired => {
                (400, "Specified time stamp or date value is expired.".into())
            }
            Self::SignatureMismatch(string_to_sign) => (
                400,
                format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
                ),
            ),
            Self::NonceUsed => (400, "Specified signature nonce was used already.".into()),
            Self::UnknownAction => (
                404,
                "Specified api is not found, please check your url and method.".into(),
            ),
            Self::BadVersion => (400, "Specified parameter Version is not valid.".into()),
            Self::Internal(detail) => return Answer::internal(detail),
            Self::Business(code, message) => {
                return Answer::json(
                    200,
                    &json!({ "RequestId": request_id, "Code": code, "Message": message }),
                );
            }
        };
        let code = self.code();
        Answer::json(
            status,
            &json!({
                "RequestId": request_id,
                "HostId": host,
                "Code": code,
                "Message": message,
                "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
            }),
        )
    }
}

/// Flow control: the number or the account got too many messages.
pub(crate) const THROTTLED: Refusal =
    Refusal::Business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1");
