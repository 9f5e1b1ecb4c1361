//! Workflow errors: RFC 7807 problems with the DSL's standard types, and whether a retry can help.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The standard error types of DSL 1.0.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad configuration (400).
    Configuration,
    /// Data failed validation (400).
    Validation,
    /// A runtime expression failed (400).
    Expression,
    /// Authentication failed (401).
    Authentication,
    /// Not allowed (403).
    Authorization,
    /// Took too long (408).
    Timeout,
    /// Talking to another service failed (500 unless the service said otherwise).
    Communication,
    /// Anything else while running (500).
    Runtime,
}

impl ErrorKind {
    /// The type URI.
    pub fn uri(self) -> &'static str {
        match self {
            ErrorKind::Configuration => {
                "https://serverlessworkflow.io/spec/1.0.0/errors/configuration"
            }
            ErrorKind::Validation => "https://serverlessworkflow.io/spec/1.0.0/errors/validation",
            ErrorKind::Expression => "https://serverlessworkflow.io/spec/1.0.0/errors/expression",
            ErrorKind::Authentication => {
                "https://serverlessworkflow.io/spec/1.0.0/errors/authentication"
            }
            ErrorKind::Authorization => {
                "https://serverlessworkflow.io/spec/1.0.0/errors/authorization"
            }
            ErrorKind::Timeout => "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
            ErrorKind::Communication => {
                "https://serverlessworkflow.io/spec/1.0.0/errors/communication"
            }
            ErrorKind::Runtime => "https://serverlessworkflow.io/spec/1.0.0/errors/runtime",
        }
    }

    /// The default status.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Configuration | ErrorKind::Validation | ErrorKind::Expression => 400,
            ErrorKind::Authentication => 401,
            ErrorKind::Authorization => 403,
            ErrorKind::Timeout => 408,
            ErrorKind::Communication | ErrorKind::Runtime => 500,
        }
    }

    /// The last path segment of the type URI (`communication`).
    pub fn short_name(self) -> &'static str {
        self.uri().rsplit('/').next().unwrap_or_default()
    }
}

/// An error raised in a run: an RFC 7807 problem as the DSL defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowError {
    /// The error type URI.
    #[serde(rename = "type")]
    pub type_: String,
    /// The status code.
    pub status: u16,
    /// A short summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What happened in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// JSON pointer of the task the error comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Whether running the same step again can succeed (not part of the DSL's error object).
    #[serde(skip)]
    pub retryable: bool,
}

impl WorkflowError {
    /// An error of a standard kind.
    pub fn new(kind: ErrorKind, title: impl Into<String>) -> Self {
        Self {
            type_: kind.uri().to_owned(),
            status: kind.status(),
            title: Some(title.into()),
            detail: None,
            instance: None,
            retryable: matches!(kind, ErrorKind::Communication | ErrorKind::Timeout),
        }
    }

    /// Adds details.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets whether a retry can help.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Sets the instance when it is not set yet (the innermost task wins).
    pub fn at(mut self, instance: &str) -> Self {
        if self.instance.is_none() {
            self.instance = Some(instance.to_owned());
        }
        self
    }

    /// Whether this error has the given standard kind.
    pub fn is(&self, kind: ErrorKind) -> bool {
        same_type(&self.type_, kind.uri())
    }

    /// The error as the JSON object flows see (`$error`) and `shopflow run` prints.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"type": self.type_, "status": self.status});
        if let Some(t) = &self.title {
            v["title"] = json!(t);
        }
        if let Some(d) = &self.detail {
            v["detail"] = json!(d);
        }
        if let Some(i) = &self.instance {
            v["instance"] = json!(i);
        }
        v
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.title.as_deref().unwrap_or(&self.type_),
            self.status
        )?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        if let Some(i) = &self.instance {
            write!(f, " at {i}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WorkflowError {}

/// Whether two error type URIs name the same type. The standard types are also matched by their
/// last segment, because published flows (the conformance kit among them) use both
/// `…/spec/1.0.0/errors/communication` and `…/dsl/errors/types/communication`.
pub fn same_type(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let standard =
        |t: &str| t.starts_with("https://serverlessworkflow.io/") && t.contains("/errors/");
    standard(a) && standard(b) && a.rsplit('/').next() == b.rsplit('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_types_match_by_name() {
        assert!(same_type(
            "https://serverlessworkflow.io/dsl/errors/types/communication",
            ErrorKind::Communication.uri()
        ));
        assert!(!same_type(
            "https://example.com/errors/communication",
            ErrorKind::Communication.uri()
        ));
        let e = WorkflowError::new(ErrorKind::Timeout, "Timed out")
            .at("/do/0/a")
            .at("/do/0");
        assert_eq!(e.instance.as_deref(), Some("/do/0/a"));
        assert_eq!(e.to_json()["status"], 408);
    }
}
