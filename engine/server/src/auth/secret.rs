//! Credentials as random strings and what is stored of them: session ids and API tokens are
//! 32 bytes from the operating system's generator; the database keeps only their SHA-256,
//! and a session's CSRF token is derived from its id, so nothing else needs storing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of every API token shopflow makes (lets secret scanners recognise them).
pub const TOKEN_PREFIX: &str = "sf_";

/// Hex SHA-256 of a token or session id: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// 32 random bytes as 64 hex digits.
pub(crate) fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// A new API token: `sf_` and 64 hex digits.
pub(crate) fn new_api_token() -> Result<String, getrandom::Error> {
    Ok(format!("{TOKEN_PREFIX}{}", random_hex()?))
}

/// The CSRF token of the session (or token) `secret`: a hash of it under its own label, so it
/// reveals nothing of the session id and the stored hash does not give it away.
pub(crate) fn csrf_for(secret: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"shopflow-csrf\0");
    digest.update(secret.as_bytes());
    hex(&digest.finalize())
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_as_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn new_secrets_are_random_and_csrf_differs_from_the_stored_hash() {
        let a = random_hex().unwrap();
        let b = random_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let token = new_api_token().unwrap();
        assert!(token.starts_with("sf_") && token.len() == 67);
        assert_ne!(csrf_for(&a), token_hash(&a));
        assert_eq!(csrf_for(&a), csrf_for(&a));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, "short"));
    }
}
