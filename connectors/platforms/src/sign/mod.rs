//! Request and push signing exactly as each platform's gateway computes it (see
//! `../shared/DOMAIN.md`); used by the clients to sign, by the sandbox and the webhook intake to
//! verify, and by `shopflow sign` to show an integrator what the gateway expects.

pub mod douyin;
pub mod explain;
pub mod shopify;
pub mod top;

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A digest the TOP-style gateways (Taobao, JD, Pinduoduo) and Douyin accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMethod {
    /// `MD5(secret + S + secret)`.
    Md5,
    /// HMAC-MD5 keyed with the secret over `S`.
    HmacMd5,
    /// HMAC-SHA256 keyed with the secret over `S`.
    HmacSha256,
}

impl SignMethod {
    /// Reads Taobao's `sign_method` value (`md5`, `hmac`, `hmac-sha256`); JD's `hmacmd5` and
    /// `hmacsha256` spellings are accepted too.
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "" | "md5" => Some(Self::Md5),
            "hmac" | "hmacmd5" | "hmac-md5" => Some(Self::HmacMd5),
            "hmac-sha256" | "hmacsha256" | "hmac_sha256" => Some(Self::HmacSha256),
            _ => None,
        }
    }
}

/// The request parameters without `sign`, empty values dropped, sorted by key in ASCII order and
/// concatenated `key1value1key2value2…` (the string TOP, JOS and PDD sign).
pub fn sorted_concat(params: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    for (k, v) in params {
        if k == "sign" || v.is_empty() {
            continue;
        }
        s.push_str(k);
        s.push_str(v);
    }
    s
}

/// Digests `s` with `secret` the way `method` says, as lower-case hex. For [`SignMethod::Md5`]
/// the secret wraps the string (`secret + s + secret`); the HMACs are keyed with it.
pub fn digest_hex(method: SignMethod, secret: &str, s: &str) -> String {
    match method {
        SignMethod::Md5 => {
            let mut h = Md5::new();
            h.update(secret.as_bytes());
            h.update(s.as_bytes());
            h.update(secret.as_bytes());
            hex(&h.finalize())
        }
        SignMethod::HmacMd5 => {
            let mut mac = Hmac::<Md5>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any size");
            mac.update(s.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        SignMethod::HmacSha256 => hex(&hmac_sha256(secret.as_bytes(), s.as_bytes())),
    }
}

/// HMAC-SHA256 of `data` keyed with `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any size");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// MD5 of `data` as lower-case hex.
pub fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Whether a received signature equals the expected one, in time that does not depend on where
/// they first differ (so a caller cannot guess a signature byte by byte). Hex case is ignored.
pub fn signatures_match(expected: &str, received: &str) -> bool {
    let a = expected.trim().to_ascii_lowercase();
    let b = received.trim().to_ascii_lowercase();
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The signed string with the secret replaced by `***`, for people debugging a rejected call.
pub fn mask_secret(signed: &str, secret: &str) -> String {
    if secret.is_empty() {
        signed.to_owned()
    } else {
        signed.replace(secret, "***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_ignores_hex_case_but_not_content() {
        assert!(signatures_match("66987CB1", "66987cb1"));
        assert!(!signatures_match("66987CB1", "66987CB2"));
        assert!(!signatures_match("66987CB1", "66987CB"));
    }
}
