//! How a shopflow [`WorkflowError`] travels through Temporal failures.
//!
//! A faulted run fails its Temporal workflow with a non-retryable application failure of type
//! [`WORKFLOW_ERROR_TYPE`] whose message is the error object as JSON; a parent run or a client
//! finds it again in the failure's cause chain. Failures Temporal itself raises (an activity
//! that timed out on every attempt, a child that was terminated) become `runtime` errors that
//! say so.

use shopflow_core::{ErrorKind, WorkflowError};
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;

/// The application failure type of a faulted run.
pub(crate) const WORKFLOW_ERROR_TYPE: &str = "shopflow.WorkflowError";

/// The message of the failure that faults a run: the error object as JSON, with its retryable
/// flag (which the DSL's error object leaves out).
pub(crate) fn to_message(error: &WorkflowError) -> String {
    let mut value = error.to_json();
    if let Some(fields) = value.as_object_mut() {
        fields.insert("retryable".into(), error.retryable.into());
    }
    value.to_string()
}

/// The shopflow error somewhere in a failure's cause chain, if any.
pub(crate) fn find(failure: &Failure) -> Option<WorkflowError> {
    let mut next = Some(failure);
    while let Some(f) = next {
        if let Some(FailureInfo::ApplicationFailureInfo(info)) = &f.failure_info
            && info.r#type == WORKFLOW_ERROR_TYPE
        {
            return from_message(&f.message);
        }
        next = f.cause.as_deref();
    }
    None
}

fn from_message(message: &str) -> Option<WorkflowError> {
    let value: serde_json::Value = serde_json::from_str(message).ok()?;
    let retryable = value
        .get("retryable")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let error: WorkflowError = serde_json::from_value(value).ok()?;
    Some(error.retryable(retryable))
}

/// A failure Temporal raised (not a shopflow error) as a `runtime` error naming what failed.
pub(crate) fn infrastructure(what: &str, failure: Option<&Failure>) -> WorkflowError {
    let detail = failure.map_or_else(
        || what.to_owned(),
        |f| {
            let mut messages = Vec::new();
            let mut next = Some(f);
            while let Some(f) = next {
                if !f.message.is_empty() {
                    messages.push(f.message.clone());
                }
                next = f.cause.as_deref();
            }
            format!("{what}: {}", messages.join(": "))
        },
    );
    WorkflowError::new(ErrorKind::Runtime, "Temporal failure")
        .with_detail(detail)
        .retryable(true)
}

#[cfg(test)]
mod tests {
    use temporalio_common::protos::temporal::api::failure::v1::ApplicationFailureInfo;

    use super::*;

    #[test]
    fn a_workflow_error_is_found_under_a_wrapping_failure() {
        let error = WorkflowError::new(ErrorKind::Communication, "Gateway down")
            .with_detail("502 from the platform")
            .at("/do/0/charge")
            .retryable(true);
        let inner = Failure {
            message: to_message(&error),
            failure_info: Some(FailureInfo::ApplicationFailureInfo(
                ApplicationFailureInfo {
                    r#type: WORKFLOW_ERROR_TYPE.into(),
                    non_retryable: true,
                    ..ApplicationFailureInfo::default()
                },
            )),
            ..Failure::default()
        };
        let outer = Failure {
            message: "Child Workflow execution failed".into(),
            cause: Some(Box::new(inner)),
            ..Failure::default()
        };
        assert_eq!(find(&outer), Some(error));
    }
}
