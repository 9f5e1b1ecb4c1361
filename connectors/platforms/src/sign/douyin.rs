//! Douyin shop (抖店) request signing and push verification.

use serde_json::Value;

use super::{SignMethod, digest_hex, md5_hex};

/// `param_json` as Douyin signs it: keys sorted at every level, compact, no HTML escaping.
pub fn param_json(params: &Value) -> String {
    sorted(params).to_string()
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The string Douyin signs, without the secret around it:
/// `"app_key"+k + "method"+m + "param_json"+pj + "timestamp"+ts + "v"+"2"`.
pub fn sign_string(app_key: &str, method: &str, param_json: &str, timestamp: &str) -> String {
    format!("app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2")
}

/// The request signature: the sign string wrapped in the secret, then HMAC-SHA256 keyed with the
/// secret (or MD5 for the legacy `md5` method), lower-case hex. `access_token` is not signed.
pub fn sign(
    app_key: &str,
    method: &str,
    param_json: &str,
    timestamp: &str,
    secret: &str,
    sign_method: SignMethod,
) -> String {
    let inner = sign_string(app_key, method, param_json, timestamp);
    let wrapped = format!("{secret}{inner}{secret}");
    match sign_method {
        // `Md5` already wraps the string in the secret.
        SignMethod::Md5 => digest_hex(SignMethod::Md5, secret, &inner),
        other => digest_hex(other, secret, &wrapped),
    }
}

/// The `event-sign` header of a Douyin push: `md5(app_key + body + app_secret)`, lower-case hex.
pub fn push_sign(app_key: &str, body: &[u8], secret: &str) -> String {
    let mut data = Vec::with_capacity(app_key.len() + body.len() + secret.len());
    data.extend_from_slice(app_key.as_bytes());
    data.extend_from_slice(body);
    data.extend_from_slice(secret.as_bytes());
    md5_hex(&data)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn param_json_sorts_keys_at_every_level_and_keeps_text() {
        let v = json!({"b": 1, "a": {"d": "<x>&", "c": [ {"z": 1, "y": 2} ]}});
        assert_eq!(
            param_json(&v),
            r#"{"a":{"c":[{"y":2,"z":1}],"d":"<x>&"},"b":1}"#
        );
    }

    /// Pinned with Python's hashlib/hmac from DOMAIN.md's description (tests/vectors/gen.py).
    #[test]
    fn pinned_vectors() {
        let pj = param_json(&json!({"shop_order_id": "6920000000000000001"}));
        let ts = "2026-11-24 10:00:00";
        assert_eq!(
            sign(
                "dykey",
                "order.orderDetail",
                &pj,
                ts,
                "dysecret",
                SignMethod::HmacSha256
            ),
            include_str!("../../tests/vectors/douyin.hmac-sha256").trim()
        );
        assert_eq!(
            sign(
                "dykey",
                "order.orderDetail",
                &pj,
                ts,
                "dysecret",
                SignMethod::Md5
            ),
            include_str!("../../tests/vectors/douyin.md5").trim()
        );
        assert_eq!(
            push_sign(
                "dykey",
                br#"[{"tag":"101","msg_id":"m1","data":"{}"}]"#,
                "dysecret"
            ),
            include_str!("../../tests/vectors/douyin-push.md5").trim()
        );
    }
}
