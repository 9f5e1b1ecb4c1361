//! Why an invoice could not be computed or rendered, whether retrying can help, and the RFC 7807
//! problem a flow sees.

use shopflow_core::{ErrorKind, WorkflowError};

/// Why `invoice.compute` or `invoice.render` failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument is missing or has the wrong type or form; retrying the same call cannot
    /// help. `field` is its JSON pointer in `with:` (empty for `with:` itself).
    #[error("`{}` {message}", if field.is_empty() { "with" } else { field })]
    Invalid {
        /// JSON pointer of the argument.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `[invoice]` in shopflow.toml is missing something this call needs or is wrong.
    #[error("{0}")]
    Settings(String),
    /// The CJK font cannot be read.
    #[error("{0}")]
    Fonts(String),
    /// The artifact store failed (disk full, permissions); a retry may help.
    #[error("{0}")]
    Store(String),
    /// `DATA/invoice.db` failed (busy, disk full); a retry may help.
    #[error("the invoice ledger {path}: {message}")]
    Ledger {
        /// The database file.
        path: String,
        /// SQLite's message.
        message: String,
    },
    /// The step's idempotency key was used before with other arguments.
    #[error(
        "this step (idempotency key) already rendered invoice {number} from other arguments; a step renders one invoice, so the arguments must not change between attempts"
    )]
    Conflict {
        /// The invoice the key rendered.
        number: String,
    },
    /// The number sequence of the year and province is used up.
    #[error("the invoice numbers with prefix {prefix} are used up (15-digit sequence)")]
    Exhausted {
        /// Year, province and channel digits.
        prefix: String,
    },
    /// The PDF could not be made.
    #[error("cannot render the invoice: {0}")]
    Render(String),
}

impl Error {
    /// An invalid argument at `field` (a JSON pointer).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The DSL error type.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. } | Error::Conflict { .. } => ErrorKind::Validation,
            Error::Settings(_) | Error::Fonts(_) | Error::Exhausted { .. } => {
                ErrorKind::Configuration
            }
            Error::Store(_) | Error::Ledger { .. } | Error::Render(_) => ErrorKind::Runtime,
        }
    }

    /// Whether the same call can succeed later.
    pub fn retryable(&self) -> bool {
        matches!(self, Error::Store(_) | Error::Ledger { .. })
    }

    /// The problem a flow sees from `function` at the task `instance`.
    pub fn to_workflow_error(&self, function: &str, instance: &str) -> WorkflowError {
        let title = match self {
            Error::Invalid { .. } => "Invalid arguments",
            Error::Conflict { .. } => "Idempotency key reused with other arguments",
            _ if function == "invoice.compute" => "Invoice not computed",
            _ => "Invoice not rendered",
        };
        let advice = if self.retryable() {
            "retrying can help"
        } else {
            "retrying will not help until this is fixed"
        };
        WorkflowError::new(self.kind(), title)
            .with_detail(format!("`{function}`: {self}; {advice}"))
            .retryable(self.retryable())
            .at(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_say_where_and_whether_to_retry() {
        let e = Error::invalid("/lines/0/quantity", "is missing")
            .to_workflow_error("invoice.compute", "/do/0/compute");
        assert_eq!(e.status, 400);
        assert!(!e.retryable);
        assert_eq!(
            e.detail.as_deref(),
            Some(
                "`invoice.compute`: `/lines/0/quantity` is missing; retrying will not help until this is fixed"
            )
        );
        assert_eq!(e.instance.as_deref(), Some("/do/0/compute"));
        let e = Error::Store("disk full".into()).to_workflow_error("invoice.render", "/do/1");
        assert!(e.retryable);
        assert_eq!(e.title.as_deref(), Some("Invoice not rendered"));
        assert!(e.detail.unwrap().ends_with("retrying can help"));
    }
}
