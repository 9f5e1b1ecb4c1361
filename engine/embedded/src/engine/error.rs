//! What the engine's operations refuse, in terms a REST layer maps to status codes.

use shopflow_dsl::Diagnostic;

use crate::journal;

/// Why an engine operation did not happen. Nothing is half-done when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The flow definition is not valid; every problem, with its line and column.
    #[error("the flow is not valid ({} problem(s))", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// The request itself is malformed.
    #[error("{message}")]
    BadRequest {
        /// The JSON pointer of the wrong member of the request, when there is one (`/id`).
        pointer: Option<String>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No such flow, flow version or run.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is stored (a deployed version with other text, a run
    /// that has ended).
    #[error("{0}")]
    Conflict(String),
    /// The engine is shutting down and takes no new work.
    #[error("shopflow is shutting down and accepts no new work; retry against the next start")]
    ShuttingDown,
    /// The backend that runs the flows (a Temporal cluster) did not take the request; it may
    /// later.
    #[error("the run backend is unavailable: {0}")]
    Unavailable(String),
    /// The journal failed; retryable ones (busy, disk full) may succeed later.
    #[error(transparent)]
    Journal(#[from] journal::Error),
}

impl EngineError {
    /// A malformed request, wrong at `pointer` when given.
    pub fn bad_request(pointer: Option<&str>, message: impl Into<String>) -> EngineError {
        EngineError::BadRequest {
            pointer: pointer.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::ShuttingDown | EngineError::Unavailable(_) => true,
            EngineError::Journal(e) => e.is_retryable(),
            _ => false,
        }
    }
}
