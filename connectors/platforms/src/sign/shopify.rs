//! Shopify webhook signatures (`X-Shopify-Hmac-Sha256`).

use base64::Engine as _;

use super::hmac_sha256;

/// base64 of HMAC-SHA256 keyed with the app secret over the raw body.
pub fn webhook_hmac(body: &[u8], secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(secret.as_bytes(), body))
}

/// Whether `header` is the body's signature, compared in constant time. base64 is compared
/// exactly (its case matters).
pub fn verify_webhook(body: &[u8], secret: &str, header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = webhook_hmac(body, secret);
    let got = header.trim();
    expected.len() == got.len() && bool::from(expected.as_bytes().ct_eq(got.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_vector_and_verification() {
        let body = br#"{"id":820982911946154508,"financial_status":"pending"}"#;
        let sig = webhook_hmac(body, "shpss_secret");
        assert_eq!(sig, include_str!("../../tests/vectors/shopify.b64").trim());
        assert!(verify_webhook(body, "shpss_secret", &sig));
        assert!(!verify_webhook(body, "other", &sig));
        assert!(!verify_webhook(b"{}", "shpss_secret", &sig));
    }
}
