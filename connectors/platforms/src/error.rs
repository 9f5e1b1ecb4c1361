//! What can go wrong talking to a platform, whether trying again can help, and the RFC 7807
//! error a flow sees (the DSL's standard types, so `try/catch` can filter them).

use std::time::Duration;

use shopflow_core::{ErrorKind, WorkflowError};

use crate::platform::Platform;

/// A failed platform call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The platform limits calls; try again after the given time.
    #[error("rate limited: {detail}")]
    RateLimited {
        /// How long the platform asked to wait.
        retry_after: Duration,
        /// The platform's words.
        detail: String,
    },
    /// The platform failed (5xx, a `isp.*` error, a connection that broke).
    #[error("platform unavailable: {detail}")]
    Unavailable {
        /// What happened.
        detail: String,
    },
    /// No answer in time; the call may or may not have taken effect.
    #[error("timed out: {detail}")]
    Timeout {
        /// What happened.
        detail: String,
    },
    /// The access token expired or was revoked; a refresh may help.
    #[error("access token expired: {detail}")]
    TokenExpired {
        /// The platform's words.
        detail: String,
    },
    /// The platform refused our credentials, signature or clock.
    #[error("authentication failed: {detail}")]
    Authentication {
        /// The platform's words.
        detail: String,
    },
    /// The app has no permission for this call or shop.
    #[error("not allowed: {detail}")]
    Forbidden {
        /// The platform's words.
        detail: String,
    },
    /// The arguments are wrong (ours or as the platform judged them).
    #[error("invalid arguments: {detail}")]
    Invalid {
        /// What is wrong.
        detail: String,
    },
    /// The order, refund or address does not exist.
    #[error("not found: {detail}")]
    NotFound {
        /// The platform's words.
        detail: String,
    },
    /// The platform refused for a business reason (the refund is closed, …).
    #[error("refused: {detail}")]
    Refused {
        /// The platform's words.
        detail: String,
    },
    /// The platform does not offer this operation.
    #[error("not offered: {detail}")]
    Unsupported {
        /// What is not offered and what to do instead.
        detail: String,
    },
    /// The answer could not be understood.
    #[error("unexpected answer: {detail}")]
    Malformed {
        /// What was wrong with it.
        detail: String,
    },
}

impl Error {
    /// Whether the same call (with the same idempotency key) can succeed later.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Unavailable { .. } | Error::Timeout { .. }
        )
    }

    /// The error a flow sees, naming the platform, the shop and whether a retry can help.
    pub fn to_workflow_error(&self, platform: Platform, shop: &str) -> WorkflowError {
        let (kind, status, title) = match self {
            Error::RateLimited { .. } => (ErrorKind::Communication, 429, "Platform rate limit"),
            Error::Unavailable { .. } => (ErrorKind::Communication, 503, "Platform unavailable"),
            Error::Timeout { .. } => (ErrorKind::Timeout, 504, "Platform did not answer in time"),
            Error::TokenExpired { .. } | Error::Authentication { .. } => (
                ErrorKind::Authentication,
                401,
                "Platform refused the credentials",
            ),
            Error::Forbidden { .. } => (ErrorKind::Authorization, 403, "Platform call not allowed"),
            Error::Invalid { .. } => (ErrorKind::Validation, 400, "Invalid platform call"),
            Error::NotFound { .. } => (ErrorKind::Runtime, 404, "Not found on the platform"),
            Error::Refused { .. } => (ErrorKind::Runtime, 409, "Platform refused the change"),
            Error::Unsupported { .. } => (
                ErrorKind::Configuration,
                400,
                "Operation not offered by the platform",
            ),
            Error::Malformed { .. } => {
                (ErrorKind::Communication, 502, "Unexpected platform answer")
            }
        };
        let advice = if self.retryable() {
            "retrying the step can help (it reuses the same idempotency key)"
        } else {
            "retrying will not help until this is fixed"
        };
        let advice = match self {
            Error::RateLimited { retry_after, .. } => {
                format!(
                    "{advice}; the platform asked to wait {} ms",
                    retry_after.as_millis()
                )
            }
            _ => advice.to_owned(),
        };
        WorkflowError::new(kind, title)
            .with_status(status)
            .with_detail(format!("{platform} shop `{shop}`: {self}; {advice}"))
            .retryable(self.retryable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_whether_a_retry_helps() {
        let e = Error::RateLimited {
            retry_after: Duration::from_secs(2),
            detail: "App Call Limited".into(),
        }
        .to_workflow_error(Platform::Taobao, "tmall");
        assert_eq!(e.status, 429);
        assert!(e.retryable);
        assert!(e.is(ErrorKind::Communication));
        assert_eq!(
            e.detail.as_deref(),
            Some(
                "taobao shop `tmall`: rate limited: App Call Limited; retrying the step can help \
                 (it reuses the same idempotency key); the platform asked to wait 2000 ms"
            )
        );
        let e = Error::Refused {
            detail: "closed".into(),
        }
        .to_workflow_error(Platform::Pdd, "p");
        assert!(!e.retryable);
        assert!(
            e.detail
                .unwrap()
                .ends_with("retrying will not help until this is fixed")
        );
    }
}
