//! Voucher tokens: `v1.<base64url SHA-256 of the voucher's public record>.<base64url HMAC>`.
//!
//! The record itself is a content-addressed artifact, so the token only has to name it and
//! prove the server issued it: the MAC is HMAC-SHA256 with the server's voucher key over
//! `v1.` and the record's digest, truncated to 128 bits (RFC 2104 allows truncation to half
//! the output). A link with a changed digest or MAC fails verification in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const VERSION: &str = "v1";
const MAC_BYTES: usize = 16;

/// Signs and checks tokens with one server key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `v1.<digest>.<mac>` with base64url parts of the right lengths.
    #[error("the token is malformed")]
    Malformed,
    /// The MAC does not match: altered, or issued with another key.
    #[error("the token's signature does not match")]
    BadSignature,
}

impl Signer {
    /// A signer over `key` (at least 32 bytes; see [`Signer::check_key`]).
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// Whether `key` is long enough to be a voucher key.
    pub fn check_key(key: &[u8]) -> Result<(), String> {
        if key.len() < 32 {
            return Err(format!(
                "the voucher key has {} bytes; it needs at least 32 (e.g. `head -c 32 /dev/urandom | base64`)",
                key.len()
            ));
        }
        Ok(())
    }

    fn mac(&self, digest: &[u8; 32]) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(VERSION.as_bytes());
        mac.update(b".");
        mac.update(digest);
        mac
    }

    /// The token for the record with SHA-256 `digest`.
    pub fn sign(&self, digest: &[u8; 32]) -> String {
        let tag = self.mac(digest).finalize().into_bytes();
        format!(
            "{VERSION}.{}.{}",
            URL_SAFE_NO_PAD.encode(digest),
            URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])
        )
    }

    /// The record digest a genuine `token` names.
    pub fn verify(&self, token: &str) -> Result<[u8; 32], TokenError> {
        let mut parts = token.split('.');
        let (Some(VERSION), Some(digest), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let digest: [u8; 32] = URL_SAFE_NO_PAD
            .decode(digest)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or(TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .ok()
            .filter(|t| t.len() == MAC_BYTES)
            .ok_or(TokenError::Malformed)?;
        self.mac(&digest)
            .verify_truncated_left(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let signer = Signer::new(vec![7; 32]);
        let digest = [42u8; 32];
        let token = signer.sign(&digest);
        assert!(token.starts_with("v1."));
        assert_eq!(signer.verify(&token), Ok(digest));

        // Another digest with the old MAC.
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode([43u8; 32]);
        parts[1] = &other;
        assert_eq!(
            signer.verify(&parts.join(".")),
            Err(TokenError::BadSignature)
        );
        // Another key.
        assert_eq!(
            Signer::new(vec![8; 32]).verify(&token),
            Err(TokenError::BadSignature)
        );
        for bad in ["", "v1", "v2.a.b", "v1.a.b", "v1..", &format!("{token}.x")] {
            assert_eq!(signer.verify(bad), Err(TokenError::Malformed), "{bad}");
        }
        assert!(Signer::check_key(&[0; 16]).is_err());
    }
}
