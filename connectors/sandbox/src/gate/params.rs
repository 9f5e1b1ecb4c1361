//! Reading request parameters: form fields (TOP, JOS, PDD) and JSON objects (JOS
//! `360buy_param_json`, Douyin `param_json`, Shopify bodies), with the platform's validation
//! error naming the parameter.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use shopflow_connectors::sign::{self, SignMethod};

use super::Reject;

/// Form parameters, sorted by name (the order TOP signs them in).
pub(crate) type Params = BTreeMap<String, String>;

/// Reads an `application/x-www-form-urlencoded` body.
pub(crate) fn form(body: &[u8]) -> Result<Params, Reject> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|_| Reject::Invalid("body".into()))
}

/// A required, non-empty parameter.
pub(crate) fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, Reject> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Reject::Missing(name.into()))
}

/// An optional parameter (empty counts as absent).
pub(crate) fn optional<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

/// A required integer parameter.
pub(crate) fn required_int(p: &Params, name: &str) -> Result<i64, Reject> {
    required(p, name)?
        .trim()
        .parse()
        .map_err(|_| Reject::Invalid(name.into()))
}

/// An optional integer parameter with a default.
pub(crate) fn int_or(p: &Params, name: &str, default: i64) -> Result<i64, Reject> {
    match optional(p, name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| Reject::Invalid(name.into())),
    }
}

/// A JSON field as text: strings as they are, numbers and booleans written out.
pub(crate) fn json_text(m: &Map<String, Value>, name: &str) -> Option<String> {
    match m.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A required JSON field as text.
pub(crate) fn json_required(m: &Map<String, Value>, name: &str) -> Result<String, Reject> {
    json_text(m, name).ok_or_else(|| Reject::Missing(name.into()))
}

/// A required JSON integer (a number or a string of digits).
pub(crate) fn json_int(m: &Map<String, Value>, name: &str) -> Result<i64, Reject> {
    json_required(m, name)?
        .parse()
        .map_err(|_| Reject::Invalid(name.into()))
}

/// Whether `received` is the TOP-family signature of `params` (every parameter but `sign`,
/// empty values dropped, sorted) under `method`.
pub(crate) fn top_sign_ok(
    params: &Params,
    secret: &str,
    method: SignMethod,
    received: &str,
) -> bool {
    let expected = sign::top::sign(params, secret, method).sign;
    sign::signatures_match(&expected, received)
}
