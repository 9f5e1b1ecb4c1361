//! `notify.send`'s `with:` arguments, checked: every problem names the function and the
//! argument, and says what was expected.

use serde_json::{Map, Value};
use shopflow_core::{ErrorKind, WorkflowError};

use crate::outcome::{Channel, Purpose};

/// The arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct SendArgs {
    /// The shop's name in `shopflow.toml`.
    pub shop: String,
    /// The order the message is about (whose receiver is contacted).
    pub order_id: String,
    /// The buyer's id on the platform; the contact limit counts per shop and buyer.
    pub buyer_id: String,
    /// How to contact the buyer.
    pub channel: Channel,
    /// What the message is for (default: a reminder).
    pub purpose: Purpose,
    /// The template's name in `[notify.templates]`.
    pub template: String,
    /// The template's variables, as text.
    pub params: Map<String, Value>,
}

/// A `Validation` error about an argument.
pub fn invalid(detail: impl Into<String>) -> WorkflowError {
    WorkflowError::new(ErrorKind::Validation, "Invalid arguments")
        .with_detail(detail)
        .retryable(false)
}

impl SendArgs {
    /// Reads `with:`.
    pub fn parse(v: &Value) -> Result<Self, WorkflowError> {
        let map = v.as_object().ok_or_else(|| {
            invalid(format!(
                "`notify.send` takes a mapping (`with: {{shop, order_id, buyer_id, channel, template, params}}`), got {v}"
            ))
        })?;
        if let Some(unknown) = map.keys().find(|k| {
            !matches!(
                k.as_str(),
                "shop" | "order_id" | "buyer_id" | "channel" | "purpose" | "template" | "params"
            )
        }) {
            return Err(invalid(format!(
                "`notify.send`: unknown argument `{unknown}`; it takes shop, order_id, buyer_id, channel, purpose, template and params"
            )));
        }
        let channel_name = string(map, "channel")?;
        let channel = Channel::parse(&channel_name).ok_or_else(|| {
            invalid(format!(
                "`notify.send`: `channel` is `{channel_name}`; use `platform`, `sms` or `voice`"
            ))
        })?;
        let purpose = match map.get("purpose") {
            None | Some(Value::Null) => Purpose::Reminder,
            Some(Value::String(p)) => Purpose::parse(p.trim()).ok_or_else(|| {
                invalid(format!(
                    "`notify.send`: `purpose` is `{p}`; use `reminder` (the default) or `service`"
                ))
            })?,
            Some(other) => {
                return Err(invalid(format!(
                    "`notify.send`: `purpose` must be `reminder` or `service`, got {other}"
                )));
            }
        };
        let params = match map.get("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(invalid(format!(
                                "`notify.send`: `params.{k}` must be a string or a number, got {other}"
                            )));
                        }
                    };
                    Ok((k.clone(), Value::String(text)))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(invalid(format!(
                    "`notify.send`: `params` must be a mapping of the template's variables, got {other}"
                )));
            }
        };
        Ok(Self {
            shop: string(map, "shop")?,
            order_id: string(map, "order_id")?,
            buyer_id: string(map, "buyer_id")?,
            channel,
            purpose,
            template: string(map, "template")?,
            params,
        })
    }
}

/// A required argument: a non-empty string, or a number taken as its text.
fn string(map: &Map<String, Value>, name: &str) -> Result<String, WorkflowError> {
    match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::Null) => Err(invalid(format!("`notify.send`: `{name}` is missing"))),
        Some(other) => Err(invalid(format!(
            "`notify.send`: `{name}` must be a non-empty string, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_and_checks_arguments() {
        let a = SendArgs::parse(&json!({
            "shop": "pdd", "order_id": "261124-1", "buyer_id": 42, "channel": "sms",
            "template": "payment_reminder", "params": {"amount": "99.00", "minutes": 30}
        }))
        .unwrap();
        assert_eq!(a.buyer_id, "42");
        assert_eq!(a.channel, Channel::Sms);
        assert_eq!(a.params["minutes"], "30");
        assert_eq!(a.purpose, Purpose::Reminder);
        let e = |v: Value| SendArgs::parse(&v).unwrap_err().detail.unwrap_or_default();
        assert_eq!(
            e(
                json!({"shop": "pdd", "order_id": "1", "buyer_id": "b", "channel": "email", "template": "t"})
            ),
            "`notify.send`: `channel` is `email`; use `platform`, `sms` or `voice`"
        );
        assert_eq!(
            e(json!({"shop": "pdd", "order_id": "1", "channel": "sms", "template": "t"})),
            "`notify.send`: `buyer_id` is missing"
        );
        assert!(
            e(
                json!({"shop": "pdd", "order_id": "1", "buyer_id": "b", "channel": "sms",
            "template": "t", "params": {"x": [1]}})
            )
            .starts_with("`notify.send`: `params.x` must be a string or a number")
        );
        assert!(
            e(json!({"shop": "pdd", "phone": "13812345678"})).contains("unknown argument `phone`")
        );
        let service = SendArgs::parse(&json!({"shop": "pdd", "order_id": "1", "buyer_id": "b",
            "channel": "sms", "template": "t", "purpose": "service"}))
        .unwrap();
        assert_eq!(service.purpose, Purpose::Service);
        assert_eq!(
            e(
                json!({"shop": "pdd", "order_id": "1", "buyer_id": "b", "channel": "sms",
                "template": "t", "purpose": "marketing"})
            ),
            "`notify.send`: `purpose` is `marketing`; use `reminder` (the default) or `service`"
        );
    }
}
