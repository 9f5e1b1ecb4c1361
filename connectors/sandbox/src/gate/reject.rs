//! Why a gateway call was refused, in platform-neutral terms; each platform renders these with
//! its own codes and words.

/// What a business refusal is about (it picks the platform's sub code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Order,
    Refund,
}

impl Subject {
    /// A word for messages.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Refund => "refund",
        }
    }
}

/// A refused call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reject {
    /// The app key / client id / domain is not configured.
    UnknownApp,
    /// The signature does not match.
    BadSign,
    /// The timestamp is unreadable or outside the platform's window.
    BadTimestamp,
    /// No access token.
    MissingToken,
    /// The access token is expired, replaced or unknown.
    Token,
    /// The refresh token is not the current one.
    BadRefreshToken,
    /// The shop's rate limit; retry after so many seconds.
    RateLimited(u64),
    /// A required parameter is missing.
    Missing(String),
    /// A parameter is malformed.
    Invalid(String),
    /// No such method / API.
    UnknownMethod(String),
    /// The order, refund, address … does not exist.
    NotFound(Subject),
    /// The state does not allow this (refund closed, …).
    Refused(Subject, String),
    /// The target is already in the state asked for.
    Already(Subject, String),
    /// The sandbox's own storage failed.
    Internal(String),
}

impl Reject {
    /// The `<reason>` in a call's `rejected:<reason>` outcome.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::UnknownApp => "unknown_app".into(),
            Self::BadSign => "sign".into(),
            Self::BadTimestamp => "timestamp".into(),
            Self::MissingToken => "missing_token".into(),
            Self::Token => "token".into(),
            Self::BadRefreshToken => "refresh_token".into(),
            Self::RateLimited(_) => "rate_limit".into(),
            Self::Missing(p) => format!("missing:{p}"),
            Self::Invalid(p) => format!("invalid:{p}"),
            Self::UnknownMethod(_) => "unknown_method".into(),
            Self::NotFound(s) => format!("not_found:{}", s.word()),
            Self::Refused(..) => "refused".into(),
            Self::Already(..) => "already".into(),
            Self::Internal(_) => "internal".into(),
        }
    }

    /// Whether this answer is kept for the call's idempotency key: business outcomes are, so a
    /// retry sees the same refusal; authentication, limits and malformed calls are not, so the
    /// fixed call can go through with the same key.
    pub(crate) fn storable(&self) -> bool {
        matches!(
            self,
            Self::NotFound(_) | Self::Refused(..) | Self::Already(..)
        )
    }
}

impl From<rusqlite::Error> for Reject {
    fn from(e: rusqlite::Error) -> Self {
        Self::Internal(e.to_string())
    }
}
