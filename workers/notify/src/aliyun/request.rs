//! The signed parameters of a Dysms / Dyvms call: the common ones (`AccessKeyId`, `Action`,
//! `Format=JSON`, `RegionId`, `SignatureMethod=HMAC-SHA1`, `SignatureNonce`,
//! `SignatureVersion=1.0`, `Timestamp`, `Version`), the business ones, and `Signature`.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Account;
use super::sign;

/// The two calls shopflow makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Dysms `SendSms`: `PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam`, `OutId`.
    SendSms,
    /// Dyvms `SingleCallByTts`: `CalledNumber`, `CalledShowNumber`, `TtsCode`, `TtsParam`,
    /// `OutId`.
    SingleCallByTts,
}

impl Action {
    /// The `Action` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendSms => "SendSms",
            Self::SingleCallByTts => "SingleCallByTts",
        }
    }

    /// The `Version` parameter (both APIs are `2017-05-25`).
    pub fn version(self) -> &'static str {
        "2017-05-25"
    }

    /// The action called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SendSms" => Some(Self::SendSms),
            "SingleCallByTts" => Some(Self::SingleCallByTts),
            _ => None,
        }
    }

    /// The answer field holding the message's id (`BizId`, `CallId`).
    pub fn id_field(self) -> &'static str {
        match self {
            Self::SendSms => "BizId",
            Self::SingleCallByTts => "CallId",
        }
    }
}

/// Every parameter of the call, `Signature` included.
pub fn signed_params(
    account: &Account,
    action: Action,
    business: Vec<(&'static str, String)>,
    now_ms: i64,
    nonce: &str,
) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = business
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for (k, v) in [
        ("AccessKeyId", account.access_key_id.as_str()),
        ("Action", action.name()),
        ("Format", "JSON"),
        ("RegionId", account.region_id.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce),
        ("SignatureVersion", "1.0"),
        ("Version", action.version()),
    ] {
        p.insert(k.to_owned(), v.to_owned());
    }
    p.insert("Timestamp".into(), sign::timestamp(now_ms));
    let signature = sign::sign("GET", &p, account.access_key_secret.expose());
    p.insert("Signature".into(), signature);
    p
}

/// The URL of a GET call: the endpoint, `?Signature=…&` and the canonicalized query.
pub fn url(endpoint: &str, params: &BTreeMap<String, String>) -> String {
    let signature = params.get("Signature").map(String::as_str).unwrap_or("");
    format!(
        "{endpoint}?Signature={}&{}",
        sign::percent_encode(signature),
        sign::canonicalized_query(params)
    )
}

/// A fresh `SignatureNonce`: 128 bits from the standard library's per-process random hasher
/// keys and a counter, so two calls never share one (Aliyun refuses a reused nonce).
pub fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shopflow_connectors::Secret;

    use super::*;

    #[test]
    fn signs_every_common_parameter_and_sends_the_signature_first() {
        let account = Account {
            endpoint: "http://127.0.0.1:9000/aliyun/sms".into(),
            access_key_id: "testid".into(),
            access_key_secret: Secret::new("testsecret"),
            region_id: "cn-hangzhou".into(),
            timeout: Duration::from_secs(1),
        };
        let p = signed_params(
            &account,
            Action::SendSms,
            vec![
                ("PhoneNumbers", "13812345678".into()),
                ("SignName", "青禾 小店".into()),
            ],
            1_499_827_339_000,
            "n1",
        );
        assert_eq!(p["Timestamp"], "2017-07-12T02:42:19Z");
        assert_eq!(p["Format"], "JSON");
        assert!(sign::verify("GET", &p, "testsecret", &p["Signature"]));
        let url = url(&account.endpoint, &p);
        assert!(
            url.starts_with("http://127.0.0.1:9000/aliyun/sms?Signature="),
            "{url}"
        );
        assert!(
            url.contains("&SignName=%E9%9D%92%E7%A6%BE%20%E5%B0%8F%E5%BA%97&"),
            "{url}"
        );
        assert_ne!(nonce(), nonce());
    }
}
