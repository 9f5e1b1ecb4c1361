//! Filling a template: the platform message's `{name}` placeholders from the call's `params`
//! (plus `{order_id}` and `{shop}`), and the JSON object of variables Aliyun takes as
//! `TemplateParam` / `TtsParam`.

use serde_json::{Map, Value};

/// `text` with every `{name}` replaced by `params[name]` (or the built-in `order_id` and
/// `shop`); a brace not followed by a name and `}` stays as it is. The error is the first
/// placeholder without a value.
pub fn render(
    text: &str,
    params: &Map<String, Value>,
    order_id: &str,
    shop: &str,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len == 0 || !after[name_len..].starts_with('}') {
            out.push('{');
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        let value = match (params.get(name), name) {
            (Some(Value::String(s)), _) => s.clone(),
            (Some(other), _) => other.to_string(),
            (None, "order_id") => order_id.to_owned(),
            (None, "shop") => shop.to_owned(),
            (None, _) => return Err(name.to_owned()),
        };
        out.push_str(&value);
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The variables as Aliyun's compact JSON object (`{"amount":"99.00"}`), `None` when there
/// are none.
pub fn aliyun_param(params: &Map<String, Value>) -> Option<String> {
    (!params.is_empty()).then(|| Value::Object(params.clone()).to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_placeholders_and_names_a_missing_one() {
        let p = params(json!({"amount": "99.00"}));
        assert_eq!(
            render(
                "亲，订单 {order_id} 还有 {amount} 元未付 {not a name} {}",
                &p,
                "261124-1",
                "pdd"
            )
            .unwrap(),
            "亲，订单 261124-1 还有 99.00 元未付 {not a name} {}"
        );
        assert_eq!(
            render("{minutes} 分钟", &p, "1", "s").unwrap_err(),
            "minutes"
        );
        assert_eq!(render("{", &p, "1", "s").unwrap(), "{");
        assert_eq!(aliyun_param(&p).as_deref(), Some(r#"{"amount":"99.00"}"#));
        assert_eq!(aliyun_param(&Map::new()), None);
    }
}
