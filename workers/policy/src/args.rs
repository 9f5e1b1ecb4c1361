//! Reading a function's `with:` arguments: each missing or mistyped field becomes a
//! validation error (400, not retryable) that names the field as a JSON pointer.

use serde_json::Value;
use shopflow_core::{ErrorKind, WorkflowError};

/// A validation error about the argument at `pointer` (`/order/items/0/sku`).
pub fn invalid(instance: &str, pointer: &str, message: impl Into<String>) -> WorkflowError {
    WorkflowError::new(ErrorKind::Validation, "Invalid argument")
        .with_detail(format!("`with{pointer}`: {}", message.into()))
        .retryable(false)
        .at(instance)
}

/// The object at `pointer`.
pub fn object<'a>(
    args: &'a Value,
    pointer: &str,
    instance: &str,
) -> Result<&'a serde_json::Map<String, Value>, WorkflowError> {
    match args.pointer(pointer) {
        Some(Value::Object(o)) => Ok(o),
        Some(other) => Err(invalid(
            instance,
            pointer,
            format!("is {}, expected an object", kind(other)),
        )),
        None => Err(invalid(instance, pointer, "is missing")),
    }
}

/// The string at `pointer`, if present and not null.
pub fn opt_str<'a>(
    args: &'a Value,
    pointer: &str,
    instance: &str,
) -> Result<Option<&'a str>, WorkflowError> {
    match args.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(
            instance,
            pointer,
            format!("is {}, expected a string", kind(other)),
        )),
    }
}

/// The string at `pointer`.
pub fn str<'a>(args: &'a Value, pointer: &str, instance: &str) -> Result<&'a str, WorkflowError> {
    opt_str(args, pointer, instance)?.ok_or_else(|| invalid(instance, pointer, "is missing"))
}

/// A point in time at `pointer`: RFC 3339 text or unix milliseconds.
pub fn opt_time(args: &Value, pointer: &str, instance: &str) -> Result<Option<i64>, WorkflowError> {
    match args.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(instance, pointer, "is not a whole number of milliseconds")),
        Some(Value::String(s)) => crate::local_time::parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    instance,
                    pointer,
                    format!("`{s}` is not an RFC 3339 time like `2026-11-24T10:05:12+08:00`"),
                )
            }),
        Some(other) => Err(invalid(
            instance,
            pointer,
            format!("is {}, expected an RFC 3339 time", kind(other)),
        )),
    }
}

/// An amount at `pointer` (a decimal string like `"104.90"` or a whole number of yuan) in fen.
pub fn opt_money(
    args: &Value,
    pointer: &str,
    instance: &str,
) -> Result<Option<i64>, WorkflowError> {
    match args.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => shopflow_connectors::money::parse_yuan(s)
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    instance,
                    pointer,
                    format!("`{s}` is not an amount like `104.90`"),
                )
            }),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|y| y.checked_mul(100))
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    instance,
                    pointer,
                    "is a number with a fraction; write amounts as decimal strings (`\"104.90\"`)",
                )
            }),
        Some(other) => Err(invalid(
            instance,
            pointer,
            format!("is {}, expected an amount", kind(other)),
        )),
    }
}

/// The JSON kind of `v`, for messages.
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
