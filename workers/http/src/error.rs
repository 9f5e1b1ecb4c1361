//! What can go wrong in an `http` or `openapi` call, and how each failure becomes the DSL's
//! RFC 7807 error: its standard type, status, and whether running the step again can help.
//!
//! No variant carries a secret: request headers and bodies are never part of a message, URIs
//! are redacted before they get here (see `redact`).

use std::time::Duration;

use reqwest::StatusCode;
use shopflow_core::{ErrorKind, WorkflowError};

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The call's arguments are not usable (bad method, URI, header…).
    #[error("{0}")]
    InvalidArguments(String),
    /// The flow asks for something this implementation does not do.
    #[error("{0}")]
    Unsupported(String),
    /// The server answered with a status the call does not accept.
    #[error("{method} {uri} returned {status}{}", excerpt_suffix(.excerpt))]
    Status {
        /// Request method.
        method: String,
        /// Request URI, redacted.
        uri: String,
        /// The response's status.
        status: StatusCode,
        /// The start of the response body, on one line.
        excerpt: String,
    },
    /// No connection could be made (refused, DNS, TLS…).
    #[error("{method} {uri}: could not reach {host}: {cause}")]
    Unreachable {
        /// Request method.
        method: String,
        /// Request URI, redacted.
        uri: String,
        /// `host:port`.
        host: String,
        /// The innermost cause.
        cause: String,
    },
    /// The connection or the whole exchange took longer than allowed.
    #[error(
        "{method} {uri}: {host} did not answer in time (connect timeout {connect:?}, request timeout {request:?})"
    )]
    TimedOut {
        /// Request method.
        method: String,
        /// Request URI, redacted.
        uri: String,
        /// `host:port`.
        host: String,
        /// The configured connect timeout.
        connect: Duration,
        /// The configured request timeout.
        request: Duration,
    },
    /// The exchange broke after the connection was made.
    #[error("{method} {uri}: {cause}")]
    Transport {
        /// Request method.
        method: String,
        /// Request URI, redacted.
        uri: String,
        /// What broke.
        cause: String,
        /// Whether trying again can help.
        retryable: bool,
    },
    /// The response body is over the configured limit.
    #[error("{method} {uri}: the response body is larger than {limit} bytes")]
    TooLarge {
        /// Request method.
        method: String,
        /// Request URI, redacted.
        uri: String,
        /// `HttpConfig::max_response_bytes`.
        limit: usize,
    },
    /// No OAuth2/OIDC token could be obtained.
    #[error("{detail}")]
    Token {
        /// What went wrong, without secrets.
        detail: String,
        /// Whether trying again can help (the authority was unreachable or failed).
        retryable: bool,
    },
    /// The OpenAPI document is not usable.
    #[error("the OpenAPI document {url} {detail}")]
    Document {
        /// Where the document was fetched from, redacted.
        url: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The OpenAPI document has no operation with that id.
    #[error("the OpenAPI document {url} has no operation `{operation_id}`{}", known_suffix(.known))]
    OperationNotFound {
        /// Where the document was fetched from, redacted.
        url: String,
        /// The id asked for.
        operation_id: String,
        /// Ids that do exist (a few).
        known: Vec<String>,
    },
    /// A required OpenAPI parameter has no value in `parameters`.
    #[error(
        "operation `{operation_id}` needs the {location} parameter `{name}`; add it to `parameters`"
    )]
    MissingParameter {
        /// The operation.
        operation_id: String,
        /// The parameter's name.
        name: String,
        /// `path`, `query`, `header`, `body`…
        location: String,
    },
}

impl Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidArguments(_)
            | Error::Unsupported(_)
            | Error::Document { .. }
            | Error::OperationNotFound { .. } => ErrorKind::Configuration,
            Error::MissingParameter { .. } => ErrorKind::Validation,
            Error::Status { .. }
            | Error::Unreachable { .. }
            | Error::Transport { .. }
            | Error::TooLarge { .. } => ErrorKind::Communication,
            Error::TimedOut { .. } => ErrorKind::Timeout,
            Error::Token { .. } => ErrorKind::Authentication,
        }
    }

    fn title(&self) -> String {
        match self {
            Error::InvalidArguments(_) => "Invalid HTTP call".to_owned(),
            Error::Unsupported(_) => "Not supported".to_owned(),
            Error::Status { status, .. } => match status.canonical_reason() {
                Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
                None => format!("HTTP {}", status.as_u16()),
            },
            Error::Unreachable { .. } => "Connection failed".to_owned(),
            Error::TimedOut { .. } => "HTTP request timed out".to_owned(),
            Error::Transport { .. } => "HTTP request failed".to_owned(),
            Error::TooLarge { .. } => "Response too large".to_owned(),
            Error::Token { .. } => "Token request failed".to_owned(),
            Error::Document { .. } => "Invalid OpenAPI document".to_owned(),
            Error::OperationNotFound { .. } => "Unknown OpenAPI operation".to_owned(),
            Error::MissingParameter { .. } => "Missing OpenAPI parameter".to_owned(),
        }
    }

    fn status(&self) -> u16 {
        match self {
            Error::Status { status, .. } => status.as_u16(),
            other => other.kind().status(),
        }
    }

    /// Whether running the same step again can succeed.
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Error::Status { status, .. } => retryable_status(*status),
            Error::Unreachable { .. } | Error::TimedOut { .. } => true,
            Error::Transport { retryable, .. } | Error::Token { retryable, .. } => *retryable,
            Error::InvalidArguments(_)
            | Error::Unsupported(_)
            | Error::TooLarge { .. }
            | Error::Document { .. }
            | Error::OperationNotFound { .. }
            | Error::MissingParameter { .. } => false,
        }
    }
}

impl From<Error> for WorkflowError {
    fn from(e: Error) -> Self {
        WorkflowError::new(e.kind(), e.title())
            .with_status(e.status())
            .with_detail(e.to_string())
            .retryable(e.retryable())
    }
}

/// 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx are worth another
/// try; any other status will come back the same.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error()
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

fn known_suffix(known: &[String]) -> String {
    if known.is_empty() {
        " (it defines no operationId at all)".to_owned()
    } else {
        format!(" (it has: {})", known.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_carry_the_status_and_retryability() {
        let e = |code: u16| Error::Status {
            method: "GET".into(),
            uri: "http://shop.example/pet/1".into(),
            status: StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT),
            excerpt: "nope".into(),
        };
        let not_found = WorkflowError::from(e(404));
        assert_eq!(not_found.status, 404);
        assert_eq!(not_found.title.as_deref(), Some("HTTP 404 Not Found"));
        assert_eq!(
            not_found.detail.as_deref(),
            Some("GET http://shop.example/pet/1 returned 404 Not Found: nope")
        );
        assert!(not_found.is(ErrorKind::Communication));
        assert!(!not_found.retryable);
        for code in [408, 425, 429, 500, 503] {
            assert!(WorkflowError::from(e(code)).retryable, "{code}");
        }
    }

    #[test]
    fn timeouts_are_timeout_errors() {
        let e = WorkflowError::from(Error::TimedOut {
            method: "GET".into(),
            uri: "http://shop.example/".into(),
            host: "shop.example:80".into(),
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        });
        assert!(e.is(ErrorKind::Timeout));
        assert_eq!(e.status, 408);
        assert!(e.retryable);
    }
}
