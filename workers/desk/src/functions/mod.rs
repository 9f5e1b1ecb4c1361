//! The desk's functions for flows (`customer.vip`, `ticket.assign`, `ticket.escalate`,
//! `task.open`, `task.remind`), and what they share: reading `with:` arguments and turning
//! desk errors into RFC 7807 workflow errors.

pub mod customer_vip;
pub mod task_open;
pub mod task_remind;
pub mod ticket_assign;
pub mod ticket_escalate;

use serde_json::{Map, Value};
use shopflow_core::{ErrorKind, WorkflowError};

use crate::Error;

/// The `with:` object of a call, checked member by member.
pub struct Args<'a> {
    function: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// `args` of `function`, which takes exactly the members in `known`.
    pub fn new(function: &'static str, args: &'a Value, known: &[&str]) -> Result<Self, Error> {
        let Value::Object(map) = args else {
            return Err(Error::invalid(
                "with",
                format!(
                    "`{function}` takes an object of arguments, got {}",
                    kind(args)
                ),
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Error::invalid(
                unknown,
                format!(
                    "`{function}` takes no `{unknown}`; it takes {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Self { function, map })
    }

    /// A required non-empty string.
    pub fn string(&self, name: &str) -> Result<String, Error> {
        self.optional_string(name)?.ok_or_else(|| {
            Error::invalid(
                name,
                format!("`{}` needs `{name}` (a string)", self.function),
            )
        })
    }

    /// An optional string (`null` counts as absent); present, it must not be blank.
    pub fn optional_string(&self, name: &str) -> Result<Option<String>, Error> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Some(Value::String(_)) => Err(Error::invalid(name, "must not be empty")),
            Some(other) => Err(Error::invalid(
                name,
                format!("must be a string, got {}", kind(other)),
            )),
        }
    }

    /// A boolean, `default` when absent or `null`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, Error> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(Error::invalid(
                name,
                format!("must be true or false, got {}", kind(other)),
            )),
        }
    }

    /// A member as given (`None` when absent).
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }
}

/// The JSON type of `v`, for messages (never the value: it may be personal data).
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `e` as the error a flow sees: invalid arguments are validation errors (400) naming the
/// argument, an unknown ticket or task a validation error with status 404, neither worth
/// retrying; SQLite failures and shutdown are retryable runtime errors.
pub fn workflow_error(e: &Error, function: &str, instance: &str) -> WorkflowError {
    let title = format!("`{function}` failed");
    let err = match e {
        Error::Invalid { .. } => WorkflowError::new(ErrorKind::Validation, "Invalid arguments")
            .with_detail(format!("{function}: {e}")),
        Error::NotFound(_) => WorkflowError::new(ErrorKind::Validation, title)
            .with_detail(format!("{e}; retrying will not help"))
            .with_status(404),
        Error::Conflict(_) => WorkflowError::new(ErrorKind::Validation, title)
            .with_detail(format!("{e}; retrying will not help"))
            .with_status(409),
        Error::Config(_) => {
            WorkflowError::new(ErrorKind::Configuration, title).with_detail(format!("{e}"))
        }
        Error::Store { .. } | Error::Closed => WorkflowError::new(ErrorKind::Runtime, title)
            .with_detail(format!("{e}; nothing was changed, retrying can help")),
    };
    err.retryable(e.is_retryable()).at(instance)
}

/// `out` as the call's output.
pub fn output<T: serde::Serialize>(
    out: &T,
    function: &str,
    instance: &str,
) -> Result<Value, WorkflowError> {
    serde_json::to_value(out).map_err(|e| {
        WorkflowError::new(ErrorKind::Runtime, format!("`{function}` failed"))
            .with_detail(e.to_string())
            .retryable(false)
            .at(instance)
    })
}
