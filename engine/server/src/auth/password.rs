//! Passwords: what a new one must be, and argon2id hashing (default parameters: 19 MiB, two
//! passes) with a random 16-byte salt per hash, stored as a PHC string.
//!
//! **Why argon2 (RustCrypto):** argon2id is OWASP's first choice for password storage; the
//! RustCrypto crate is pure Rust, maintained, and reads and writes the standard PHC strings,
//! so a later change of parameters still verifies old hashes.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in bytes (hashing cost grows with length).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a new password is refused (the message says what to do).
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "the password is too long: use at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    if password.trim().is_empty() {
        return Err("the password is only spaces".to_owned());
    }
    Ok(())
}

/// The argon2id PHC string of `password` with a fresh random salt (CPU-heavy: call it off
/// the async threads).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `hash` (a malformed hash matches nothing).
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), hash).is_ok()
}

/// Spends the time of one verification for a name that is no user, so how long a failed
/// login takes does not tell whether the name exists.
pub fn verify_nobody(password: &str) {
    static NOBODY: OnceLock<Option<String>> = OnceLock::new();
    let hash = NOBODY.get_or_init(|| hash_password("no user has this password").ok());
    if let Some(hash) = hash {
        let _ = verify_password(password, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_salts_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("correct horse battery", &a));
        assert!(verify_password("correct horse battery", &b));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password(
            "correct horse battery",
            "not a phc string"
        ));
    }

    #[test]
    fn new_passwords_need_ten_characters() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("          ").is_err());
        assert!(check_new_password("十个字符的密码真安全啊").is_ok());
        assert!(check_new_password("0123456789").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
    }
}
