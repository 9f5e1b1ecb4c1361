//! Why a webhook is refused, and the HTTP status each reason gets.

/// A refused webhook.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HookError {
    /// The signature header is missing or wrong (401).
    #[error("signature: {0}")]
    Signature(String),
    /// The message is older than the accepted window (401).
    #[error("stale: {0}")]
    Stale(String),
    /// The body is not what the platform sends (400), with a JSON pointer to the problem.
    #[error("malformed body at `{pointer}`: {message}")]
    Malformed {
        /// Where in the body (JSON pointer; empty = the whole body).
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// No configured shop matches (404).
    #[error("unknown shop: {0}")]
    UnknownShop(String),
}

impl HookError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            HookError::Signature(_) | HookError::Stale(_) => 401,
            HookError::Malformed { .. } => 400,
            HookError::UnknownShop(_) => 404,
        }
    }

    /// A short label for logs and the `reason` metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            HookError::Signature(_) => "signature",
            HookError::Stale(_) => "stale",
            HookError::Malformed { .. } => "malformed",
            HookError::UnknownShop(_) => "unknown_shop",
        }
    }

    pub(crate) fn malformed(pointer: &str, message: impl Into<String>) -> Self {
        HookError::Malformed {
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }
}

/// Parses a JSON body, pointing at the line and column of a syntax error.
pub(crate) fn parse_json(body: &[u8]) -> Result<serde_json::Value, HookError> {
    serde_json::from_slice(body).map_err(|e| {
        HookError::malformed(
            "",
            format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
        )
    })
}
