//! The small values of a block — URLs, artifacts, names, durations, text — and the field
//! walker that refuses unknown keys.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Map, Value};
use shopflow_core::Artifact;

use super::InvalidBlock;

pub(super) type Result<T> = std::result::Result<T, InvalidBlock>;

pub(super) fn invalid(at: impl Into<String>, message: impl Into<String>) -> InvalidBlock {
    InvalidBlock {
        at: at.into(),
        message: message.into(),
    }
}

pub(super) fn url(v: &Value, at: &str) -> Result<String> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid(at, format!("expected a URL string, found {v}")))?;
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) || s.len() <= 8 {
        return Err(invalid(
            at,
            format!("`{s}` is not an http:// or https:// URL"),
        ));
    }
    Ok(s.to_owned())
}

pub(super) fn artifact(v: &Value, at: &str) -> Result<Artifact> {
    match v {
        Value::String(reference) => {
            check_reference(reference, at)?;
            Ok(Artifact {
                artifact: reference.clone(),
                media_type: "application/octet-stream".to_owned(),
                size: 0,
                name: "upload.bin".to_owned(),
            })
        }
        Value::Object(_) => {
            let a: Artifact = serde_json::from_value(v.clone()).map_err(|e| {
                invalid(
                    at,
                    format!("expected an artifact `{{artifact, media_type, size, name}}`: {e}"),
                )
            })?;
            check_reference(&a.artifact, at)?;
            Ok(a)
        }
        other => Err(invalid(
            at,
            format!("expected an artifact object or `sha256:…` reference, found {other}"),
        )),
    }
}

fn check_reference(reference: &str, at: &str) -> Result<()> {
    let ok = reference.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            at,
            format!("`{reference}` is not an artifact reference (`sha256:` and 64 hex digits)"),
        ))
    }
}

/// Checks a named session's name, which becomes a directory name.
pub(super) fn session_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "with.session",
            format!(
                "`{name}` is not a session name: use 1 to 64 letters, digits, `-`, `_` or `.`, \
                 not starting with `.`"
            ),
        ))
    }
}

pub(super) fn secret_name(name: &str, at: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(invalid(
            at,
            format!("`{name}` is not a secret name (letters, digits, `_`, `-`, `.`)"),
        ))
    }
}

pub(super) fn nonempty_str(v: &Value, at: &str) -> Result<String> {
    v.as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid(at, format!("expected a non-empty string, found {v}")))
}

pub(super) fn scalar_text(v: &Value, at: &str, key: &str) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(invalid(
            at,
            format!(
                "`{key}` must be text or a number, found {}",
                type_name(other)
            ),
        )),
    }
}

/// A duration: ISO 8601 (`PT5S`) or the DSL's object (`{seconds: 5}`).
fn duration(v: &Value, at: &str) -> Result<Duration> {
    let d = match v {
        Value::String(s) => shopflow_dsl::parse_iso8601(s).map_err(|e| invalid(at, e))?,
        Value::Object(obj) => {
            let mut f = Fields::new(obj, at);
            let mut total = Duration::ZERO;
            let mut any = false;
            for (key, ms) in [
                ("days", 86_400_000u64),
                ("hours", 3_600_000),
                ("minutes", 60_000),
                ("seconds", 1_000),
                ("milliseconds", 1),
            ] {
                if let Some(n) = f.take(key) {
                    let n = n.as_u64().ok_or_else(|| {
                        invalid(at, format!("`{key}` must be a whole number ≥ 0, found {n}"))
                    })?;
                    total += Duration::from_millis(n.saturating_mul(ms));
                    any = true;
                }
            }
            f.finish()?;
            if !any {
                return Err(invalid(at, "a duration needs e.g. `seconds: 5`"));
            }
            total
        }
        other => {
            return Err(invalid(
                at,
                format!("expected a duration (`PT5S` or `{{seconds: 5}}`), found {other}"),
            ));
        }
    };
    if d.is_zero() {
        return Err(invalid(at, "a time limit must be longer than zero"));
    }
    Ok(d)
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The keys of an object, taken one by one; whatever is left is a mistake.
pub(super) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    taken: BTreeSet<&'a str>,
    at: String,
}

impl<'a> Fields<'a> {
    pub(super) fn new(obj: &'a Map<String, Value>, at: &str) -> Self {
        Self {
            obj,
            taken: BTreeSet::new(),
            at: at.to_owned(),
        }
    }

    pub(super) fn take(&mut self, key: &'a str) -> Option<&'a Value> {
        self.taken.insert(key);
        self.obj.get(key)
    }

    pub(super) fn take_str(&mut self, key: &'a str) -> Result<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(
                &self.at,
                format!("`{key}` must be a string, found {}", type_name(other)),
            )),
        }
    }

    pub(super) fn take_bool(&mut self, key: &'a str) -> Result<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid(
                &self.at,
                format!("`{key}` must be true or false, found {other}"),
            )),
        }
    }

    pub(super) fn take_index(&mut self, key: &'a str) -> Result<Option<usize>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    invalid(
                        &self.at,
                        format!("`{key}` must be a whole number ≥ 0, found {v}"),
                    )
                }),
        }
    }

    pub(super) fn take_duration(&mut self, key: &'a str) -> Result<Option<Duration>> {
        let at = format!("{}.{key}", self.at);
        self.take(key).map(|v| duration(v, &at)).transpose()
    }

    pub(super) fn finish(self) -> Result<()> {
        match self.obj.keys().find(|k| !self.taken.contains(k.as_str())) {
            None => Ok(()),
            Some(k) => {
                let mut known: Vec<&str> = self.taken.iter().copied().collect();
                known.sort_unstable();
                Err(invalid(
                    &self.at,
                    format!("unknown key `{k}`; the keys here are {}", known.join(", ")),
                ))
            }
        }
    }
}
