//! `shopflow sign`: the signature a platform expects for given parameters or a given body, the
//! algorithm, and the signed string with the secret masked, so an integrator can compare
//! with what their code sent.

use std::collections::BTreeMap;

use super::{SignMethod, douyin, mask_secret, shopify, top};
use crate::platform::Platform;

/// What `shopflow sign` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The expected signature.
    pub signature: String,
    /// How it is computed.
    pub algorithm: String,
    /// The exact string (or body) signed, with the secret shown as `***`.
    pub signed: String,
}

/// Computes what `platform` expects. `params` are the request parameters (`k=v`), `body` the raw
/// body (webhooks, Douyin's `param_json`).
pub fn explain(
    platform: Platform,
    secret: &str,
    params: &BTreeMap<String, String>,
    body: Option<&[u8]>,
) -> Result<Explanation, String> {
    match platform {
        Platform::Taobao | Platform::Jd | Platform::Pdd => {
            if params.is_empty() {
                return Err("give the request parameters as k=v arguments (all of them, system and business)".into());
            }
            let method = match platform {
                Platform::Pdd => SignMethod::Md5,
                _ => match params.get("sign_method") {
                    Some(m) => SignMethod::parse(m).ok_or_else(|| {
                        format!("sign_method `{m}` is not md5, hmac or hmac-sha256")
                    })?,
                    None => SignMethod::Md5,
                },
            };
            let signed = top::sign(params, secret, method);
            let (algorithm, shown) = match method {
                SignMethod::Md5 => (
                    "upper-case hex MD5(secret + S + secret), S = sorted non-empty k+v without sign",
                    format!("***{}***", signed.string),
                ),
                SignMethod::HmacMd5 => (
                    "upper-case hex HMAC-MD5(key = secret, S), S = sorted non-empty k+v without sign",
                    signed.string.clone(),
                ),
                SignMethod::HmacSha256 => (
                    "upper-case hex HMAC-SHA256(key = secret, S), S = sorted non-empty k+v without sign",
                    signed.string.clone(),
                ),
            };
            Ok(Explanation {
                signature: signed.sign,
                algorithm: algorithm.into(),
                signed: mask_secret(&shown, secret),
            })
        }
        Platform::Douyin => {
            let app_key = params
                .get("app_key")
                .ok_or("give app_key=… (the app's key)")?;
            if let Some(method) = params.get("method") {
                let timestamp = params
                    .get("timestamp")
                    .ok_or("give timestamp=… (yyyy-MM-dd HH:mm:ss, as sent)")?;
                let raw = match (params.get("param_json"), body) {
                    (Some(pj), _) => pj.clone(),
                    (None, Some(b)) => String::from_utf8_lossy(b).into_owned(),
                    (None, None) => "{}".to_owned(),
                };
                let value: serde_json::Value = serde_json::from_str(&raw)
                    .map_err(|e| format!("param_json is not JSON: {e}"))?;
                let pj = douyin::param_json(&value);
                let sign_method = match params.get("sign_method").map(String::as_str) {
                    Some("md5") => SignMethod::Md5,
                    _ => SignMethod::HmacSha256,
                };
                let signature = douyin::sign(app_key, method, &pj, timestamp, secret, sign_method);
                let inner = douyin::sign_string(app_key, method, &pj, timestamp);
                Ok(Explanation {
                    signature,
                    algorithm: match sign_method {
                        SignMethod::Md5 => "lower-case hex MD5(secret + string + secret); param_json with sorted keys, compact".into(),
                        _ => "lower-case hex HMAC-SHA256(key = secret, secret + string + secret); param_json with sorted keys, compact".into(),
                    },
                    signed: format!("***{}***", mask_secret(&inner, secret)),
                })
            } else {
                let body =
                    body.ok_or("give --body FILE (a push callback) or method=… (a request)")?;
                Ok(Explanation {
                    signature: douyin::push_sign(app_key, body, secret),
                    algorithm: "push event-sign: lower-case hex MD5(app_key + body + secret)"
                        .into(),
                    signed: format!(
                        "{app_key}{}***",
                        mask_secret(&String::from_utf8_lossy(body), secret)
                    ),
                })
            }
        }
        Platform::Shopify => {
            let body = body.ok_or("give --body FILE: Shopify signs the raw webhook body")?;
            Ok(Explanation {
                signature: shopify::webhook_hmac(body, secret),
                algorithm: "X-Shopify-Hmac-Sha256: base64 HMAC-SHA256(key = app secret, raw body)"
                    .into(),
                signed: mask_secret(&String::from_utf8_lossy(body), secret),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_official_taobao_vector_with_the_secret_masked() {
        let p: BTreeMap<String, String> = [
            ("app_key", "12345678"),
            ("fields", "num_iid,title,nick,price,num"),
            ("format", "json"),
            ("method", "taobao.item.seller.get"),
            ("num_iid", "11223344"),
            ("session", "test"),
            ("sign_method", "md5"),
            ("timestamp", "2016-01-01 12:00:00"),
            ("v", "2.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let e = explain(Platform::Taobao, "helloworld", &p, None).unwrap();
        assert_eq!(e.signature, "66987CB115214E59E6EC978214934FB8");
        assert!(
            e.signed.starts_with("***app_key12345678fields"),
            "{}",
            e.signed
        );
        assert!(!e.signed.contains("helloworld"));
    }
}
