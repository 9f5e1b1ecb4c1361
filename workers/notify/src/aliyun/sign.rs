//! Aliyun's RPC signature (POP, `SignatureVersion=1.0`, HMAC-SHA1): every parameter but
//! `Signature`, sorted by name, each name and value percent-encoded by RFC 3986 (unreserved
//! characters kept, a space as `%20`, `*` as `%2A`, `~` kept), joined with `&` and `=`;
//! `StringToSign = METHOD + "&%2F&" + percentEncode(canonicalized)`;
//! `Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
//!
//! The clients sign with it and the sandbox verifies with it, so the two cannot drift apart;
//! the unit tests pin it to the vectors in Aliyun's own documentation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The `Timestamp` format: ISO 8601 in UTC, to the second.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// `s` percent-encoded the POP way: RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`)
/// stay, every other byte of the UTF-8 text becomes `%XX` (upper-case hex), so a space is
/// `%20`, `*` is `%2A` and `+` is `%2B`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The canonicalized query string: every parameter except `Signature`, sorted by name, as
/// `encode(name)=encode(value)` joined with `&`. It is also the query string that is sent.
pub fn canonicalized_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percentEncode(canonicalized query)`; `method` is `GET` or `POST`.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonicalized_query(params))
    )
}

/// `base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = format!("{access_key_secret}&");
    let mut mac =
        Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The signature of `params` sent with `method`.
pub fn sign(method: &str, params: &BTreeMap<String, String>, access_key_secret: &str) -> String {
    signature(access_key_secret, &string_to_sign(method, params))
}

/// Whether `received` is the signature of `params` (its own `Signature` left out), compared in
/// constant time. Base64 is case-sensitive, so the comparison is exact.
pub fn verify(
    method: &str,
    params: &BTreeMap<String, String>,
    access_key_secret: &str,
    received: &str,
) -> bool {
    let expected = sign(method, params, access_key_secret);
    expected.len() == received.len() && bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
}

/// Unix milliseconds as the `Timestamp` parameter (`2017-07-12T02:42:19Z`).
pub fn timestamp(now_ms: i64) -> String {
    DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format(TIMESTAMP_FORMAT)
        .to_string()
}

/// A `Timestamp` parameter as unix milliseconds; `None` when it is not `yyyy-MM-ddTHH:mm:ssZ`.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(text, TIMESTAMP_FORMAT)
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// *Official*: the DescribeRegions example of Aliyun's "RPC signature" page (AccessKey
    /// `testid` / `testsecret`; that page spells the parameter `TimeStamp`).
    #[test]
    fn official_describe_regions_vector() {
        let p = params(&[
            ("TimeStamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]);
        assert_eq!(
            string_to_sign("GET", &p),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            sign("GET", &p, "testsecret"),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );
    }

    /// *Official*: the SendSms example of the Dysms signature page (AccessKey `testId` /
    /// `testSecret`, a Chinese `SignName` and a JSON `TemplateParam`).
    #[test]
    fn official_send_sms_vector() {
        let p = params(&[
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]);
        let s = sign("GET", &p, "testSecret");
        assert_eq!(s, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
        let mut signed = p.clone();
        signed.insert("Signature".into(), s.clone());
        assert!(verify("GET", &signed, "testSecret", &s));
        assert!(!verify("GET", &signed, "testSecret", &s.to_lowercase()));
        assert!(!verify("POST", &signed, "testSecret", &s));
        assert!(!verify("GET", &signed, "other", &s));
    }

    /// Computed from the algorithm (not from Aliyun; also checked with Python's `hmac`): the SMS call notify.send makes, pinned
    /// in docs/functions/notify.send.md.
    #[test]
    fn pinned_notify_vector() {
        let p = params(&[
            ("AccessKeyId", "testid"),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("OutId", "9f2c4e1a7b3d5f60812a4c6e8b0d2f41"),
            ("PhoneNumbers", "13812345678"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "青禾小店"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "1f0e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_300000001"),
            (
                "TemplateParam",
                r#"{"order_id":"261124-1","amount":"99.00"}"#,
            ),
            ("Timestamp", "2026-11-24T02:00:00Z"),
            ("Version", "2017-05-25"),
        ]);
        assert_eq!(
            sign("GET", &p, "testsecret"),
            "c5C/s5WI2jZKOokegwhHp+YmYeE="
        );
    }

    #[test]
    fn encoding_follows_pop_rules() {
        assert_eq!(percent_encode("a b*c~d+e/f"), "a%20b%2Ac~d%2Be%2Ff");
        assert_eq!(percent_encode("青"), "%E9%9D%92");
        assert_eq!(percent_encode("-_.~"), "-_.~");
    }

    #[test]
    fn timestamps_are_utc_seconds() {
        assert_eq!(timestamp(1_499_827_339_000), "2017-07-12T02:42:19Z");
        assert_eq!(
            parse_timestamp("2017-07-12T02:42:19Z"),
            Some(1_499_827_339_000)
        );
        assert_eq!(parse_timestamp("2017-07-12 02:42:19"), None);
        assert_eq!(parse_timestamp("2017-07-12T02:42:19+08:00"), None);
    }
}
