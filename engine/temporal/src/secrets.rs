//! Keeps secret values out of Temporal's history.
//!
//! Activity arguments are recorded in the history, and so is everything the workflow hands a
//! child. So inside the workflow `$secrets` holds *placeholders* with the shape of the real
//! values (`{"shop": {"app_key": "⟦secret:shop.app_key⟧"}}`); the activity worker replaces
//! them in a call's arguments with the values its own [`SecretLookup`] gives, just before the
//! function runs. A flow that passes `${ $secrets.shop.app_key }` or
//! `"Bearer " + $secrets.token` to a function gets the real value there; an expression that
//! computes *on* a secret (hashing it in jq, say) sees the placeholder — do that inside a
//! function instead.
//!
//! [`SecretLookup`]: crate::SecretLookup

use serde_json::{Map, Value};

const OPEN: &str = "⟦secret:";
const CLOSE: &str = "⟧";

/// The placeholder tree for real secret values: same objects, each leaf a placeholder naming
/// its path.
pub(crate) fn placeholders(real: &Value) -> Value {
    fn walk(value: &Value, path: &str) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| {
                        let sub = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        (k.clone(), walk(v, &sub))
                    })
                    .collect::<Map<String, Value>>(),
            ),
            _ => Value::String(format!("{OPEN}{path}{CLOSE}")),
        }
    }
    walk(real, "")
}

/// Replaces placeholders in `args` with the values in `real` (strings keep their text around
/// the placeholder; a string that is only a placeholder becomes the value itself).
pub(crate) fn reveal(args: &mut Value, real: &Value) {
    match args {
        Value::String(s) if s.contains(OPEN) => {
            if let Some(path) = whole_placeholder(s) {
                if let Some(v) = lookup(real, path) {
                    *args = v.clone();
                }
                return;
            }
            *s = substitute(s, real);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| reveal(v, real)),
        Value::Object(fields) => fields.values_mut().for_each(|v| reveal(v, real)),
        _ => {}
    }
}

/// The top-level names of the placeholders in `text` (`shop` for `⟦secret:shop.app_key⟧`).
pub(crate) fn referenced(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find(CLOSE) else { break };
        let path = &after[..end];
        names.push(path.split('.').next().unwrap_or(path).to_owned());
        rest = &after[end + CLOSE.len()..];
    }
    names
}

fn whole_placeholder(s: &str) -> Option<&str> {
    let path = s.strip_prefix(OPEN)?.strip_suffix(CLOSE)?;
    (!path.contains(CLOSE)).then_some(path)
}

fn substitute(text: &str, real: &Value) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find(CLOSE) {
            Some(end) => {
                let path = &after[..end];
                match lookup(real, path) {
                    Some(Value::String(v)) => out.push_str(v),
                    Some(other) => out.push_str(&other.to_string()),
                    None => out.push_str(&rest[start..start + OPEN.len() + end + CLOSE.len()]),
                }
                rest = &after[end + CLOSE.len()..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn lookup<'a>(real: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(real);
    }
    path.split('.').try_fold(real, |v, k| v.get(k))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placeholders_keep_the_shape_and_reveal_restores_the_values() {
        let real = json!({"shop": {"app_key": "k-123", "port": 8443}, "token": "t0k"});
        let masked = placeholders(&real);
        assert_eq!(masked["shop"]["app_key"], json!("⟦secret:shop.app_key⟧"));
        assert!(!masked.to_string().contains("k-123"));
        let mut args = json!({
            "key": masked["shop"]["app_key"].clone(),
            "port": masked["shop"]["port"].clone(),
            "auth": format!("Bearer {}", masked["token"].as_str().unwrap_or_default()),
            "list": [masked["token"].clone(), "plain"],
        });
        reveal(&mut args, &real);
        assert_eq!(
            args,
            json!({"key": "k-123", "port": 8443, "auth": "Bearer t0k", "list": ["t0k", "plain"]})
        );
    }

    #[test]
    fn an_unknown_placeholder_is_left_as_it_is() {
        let mut args = json!("x ⟦secret:nope⟧ y");
        reveal(&mut args, &json!({}));
        assert_eq!(args, json!("x ⟦secret:nope⟧ y"));
    }
}
