//! Why a block failed, whether running it again can help, and how that becomes the DSL's
//! RFC 7807 error.

use std::time::Duration;

use fantoccini::error::{CmdError, ErrorStatus};
use shopflow_core::{ErrorKind, WorkflowError};

use crate::parse::InvalidBlock;

/// A failed block.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `with:` arguments are malformed. Not retryable.
    #[error(transparent)]
    Invalid(#[from] InvalidBlock),
    /// Something the block needs is not configured: a secret, an artifact, the chromedriver or
    /// Chromium binary, a selector the browser cannot parse. Not retryable.
    #[error("{0}")]
    Setup(String),
    /// A step, the block, or the wait for a free browser ran out of time. Retryable.
    #[error("{0}")]
    Timeout(String),
    /// A page did not load (connection refused, unknown host, TLS failure). Retryable.
    #[error("{0}")]
    Navigation(String),
    /// chromedriver or Chromium stopped or cannot be reached; the pool starts a new
    /// chromedriver on the next call. Retryable.
    #[error("{0}")]
    Driver(String),
    /// The page did something the block does not handle (an unexpected alert, a closed tab, a
    /// script error). Not retryable: the block needs changing.
    #[error("{0}")]
    Page(String),
    /// An artifact could not be stored or a temporary file written. Retryable.
    #[error("{0}")]
    Storage(String),
    /// A step failed: where, and why.
    #[error("{at}: {source}")]
    Step {
        /// The step (`steps[3] (click css "#submit")`).
        at: String,
        /// What went wrong.
        source: Box<Error>,
    },
}

impl Error {
    /// The error without the step it happened in.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Step { source, .. } => source.cause(),
            other => other,
        }
    }

    /// Whether running the whole block again can succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self.cause(),
            Error::Timeout(_) | Error::Navigation(_) | Error::Driver(_) | Error::Storage(_)
        )
    }

    /// The DSL error kind and title.
    fn kind_and_title(&self) -> (ErrorKind, &'static str) {
        match self.cause() {
            Error::Invalid(_) => (ErrorKind::Validation, "Invalid browser block"),
            Error::Setup(_) => (ErrorKind::Configuration, "Browser block cannot run"),
            Error::Timeout(_) => (ErrorKind::Timeout, "Browser step timed out"),
            Error::Navigation(_) => (ErrorKind::Communication, "Page did not load"),
            Error::Driver(_) => (ErrorKind::Communication, "Browser unavailable"),
            Error::Page(_) => (ErrorKind::Runtime, "Browser step failed"),
            Error::Storage(_) => (ErrorKind::Runtime, "Browser artifact not stored"),
            // `cause()` never returns a step; a step's own failure is a failed step.
            Error::Step { .. } => (ErrorKind::Runtime, "Browser step failed"),
        }
    }

    /// The workflow error, its detail being `detail` (the message, already redacted and with
    /// the failure's artifacts named).
    pub fn to_workflow(&self, detail: String, instance: &str) -> WorkflowError {
        let (kind, title) = self.kind_and_title();
        let retry = if self.retryable() {
            " Retryable: running the block again can succeed."
        } else {
            " Not retryable: the block or the configuration needs changing."
        };
        WorkflowError::new(kind, title)
            .with_detail(format!("{detail}.{retry}"))
            .retryable(self.retryable())
            .at(instance)
    }

    /// Wraps the error with the step it happened in.
    pub(crate) fn at(self, at: String) -> Self {
        match self {
            e @ Error::Step { .. } => e,
            e => Error::Step {
                at,
                source: Box::new(e),
            },
        }
    }
}

/// What a WebDriver error means for the step that got it.
pub(crate) enum Class {
    /// Worth trying again within the step: the element went stale, is not interactable yet,
    /// is covered, or is not there yet.
    Transient,
    /// A final answer.
    Fatal(Error),
}

/// Classifies a WebDriver error.
pub(crate) fn classify(e: &CmdError) -> Class {
    match e {
        CmdError::Failed(_) | CmdError::FailedC(_) | CmdError::Lost(_) => Class::Fatal(
            Error::Driver(format!("the connection to chromedriver broke ({e})")),
        ),
        CmdError::Standard(w) => match w.error {
            ErrorStatus::StaleElementReference
            | ErrorStatus::ElementNotInteractable
            | ErrorStatus::ElementClickIntercepted
            | ErrorStatus::InvalidElementState
            | ErrorStatus::NoSuchElement => Class::Transient,
            ErrorStatus::InvalidSelector => Class::Fatal(Error::Setup(format!(
                "the browser cannot use this selector: {}",
                first_line(&w.message)
            ))),
            ErrorStatus::InvalidSessionId => Class::Fatal(Error::Driver(format!(
                "Chromium went away ({})",
                first_line(&w.message)
            ))),
            ErrorStatus::UnexpectedAlertOpen => Class::Fatal(Error::Page(format!(
                "an alert is open ({}); handle it with an `alert` step",
                first_line(&w.message)
            ))),
            ErrorStatus::NoSuchWindow => Class::Fatal(Error::Page(format!(
                "the current tab was closed; use `switch_to` ({})",
                first_line(&w.message)
            ))),
            ErrorStatus::Timeout | ErrorStatus::ScriptTimeout => Class::Fatal(Error::Timeout(
                format!("the browser timed out ({})", first_line(&w.message)),
            )),
            _ if is_browser_gone(&w.message) => Class::Fatal(Error::Driver(format!(
                "Chromium crashed or went away ({})",
                first_line(&w.message)
            ))),
            _ => Class::Fatal(Error::Page(format!(
                "the browser refused: {}",
                first_line(&w.message)
            ))),
        },
        other => Class::Fatal(Error::Page(format!(
            "unexpected answer from chromedriver: {other}"
        ))),
    }
}

/// A WebDriver error that ends the step, even one that is transient elsewhere.
pub(crate) fn fatal(e: CmdError) -> Error {
    match classify(&e) {
        Class::Fatal(err) => err,
        Class::Transient => Error::Page(describe(&e)),
    }
}

/// A WebDriver error in a few words.
pub(crate) fn describe(e: &CmdError) -> String {
    match e {
        CmdError::Standard(w) => first_line(&w.message).to_owned(),
        other => other.to_string(),
    }
}

/// chromedriver's words for a browser that crashed or was killed.
fn is_browser_gone(message: &str) -> bool {
    [
        "chrome not reachable",
        "session deleted",
        "disconnected",
        "tab crashed",
        "target crashed",
        "cannot connect to chrome",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The first line of a chromedriver message, without its `(Session info: …)` tail.
pub(crate) fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default().trim()
}

/// A duration for people: `250 ms`, `5 s`, `1.5 s`, `2 min`.
pub(crate) fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else if ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_follows_the_cause() {
        let e = Error::Timeout("no element".into()).at("steps[1] (click css \"#a\")".into());
        assert!(e.retryable());
        assert_eq!(e.to_string(), "steps[1] (click css \"#a\"): no element");
        let w = e.to_workflow(e.to_string(), "/do/0/login");
        assert_eq!(w.status, 408);
        assert!(
            w.detail
                .unwrap()
                .ends_with("Retryable: running the block again can succeed.")
        );
        assert!(!Error::Setup("x".into()).retryable());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_secs(5)), "5 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_secs(120)), "2 min");
    }
}
