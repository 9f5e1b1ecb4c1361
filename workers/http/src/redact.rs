//! What of a request may be shown (in errors and in `output: response`), and how secrets are
//! hidden: credential headers, the password in a URI's user info, and query values whose names
//! say they are keys, tokens or signatures.

use reqwest::Url;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

/// What replaces a hidden value.
pub(crate) const HIDDEN: &str = "***";

/// Request headers whose values are credentials.
const SECRET_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// Parts of query parameter names that mark their values as secret.
const SECRET_QUERY_WORDS: [&str; 8] = [
    "key", "token", "secret", "password", "passwd", "sign", "auth", "session",
];

/// Whether a request header carries credentials.
pub(crate) fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The URI as it may be shown: no password, no secret-looking query values.
pub(crate) fn uri(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have user info, which then have no password either.
        let _ = shown.set_password(Some(HIDDEN));
    }
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_QUERY_WORDS.iter().any(|w| lower.contains(w));
                (
                    k.into_owned(),
                    if secret {
                        HIDDEN.to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// `host:port` of a URL, for messages.
pub(crate) fn host(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => "the server".to_owned(),
    }
}

/// Request headers as `output: response` shows them, credentials hidden.
pub(crate) fn request_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut shown = Map::new();
    for name in headers.keys() {
        let value = if is_secret_header(name.as_str()) {
            HIDDEN.to_owned()
        } else {
            joined(headers, name.as_str())
        };
        shown.insert(name.as_str().to_owned(), Value::String(value));
    }
    shown
}

/// All values of a header joined with `, ` (invalid UTF-8 replaced).
pub(crate) fn joined(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn uris_lose_passwords_and_secret_query_values() {
        let url = Url::parse("https://bob:hunter2@shop.example/a?status=sold&api_key=abc&Sign=x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            uri(&url),
            "https://bob:***@shop.example/a?status=sold&api_key=***&Sign=***"
        );
        let plain = Url::parse("http://127.0.0.1:8080/pet/1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uri(&plain), "http://127.0.0.1:8080/pet/1");
        assert_eq!(host(&plain), "127.0.0.1:8080");
    }

    #[test]
    fn credential_headers_are_hidden() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer abc"));
        h.insert("cookie", HeaderValue::from_static("sid=1"));
        h.insert("x-shop", HeaderValue::from_static("s1"));
        let shown = request_headers(&h);
        assert_eq!(shown["authorization"], HIDDEN);
        assert_eq!(shown["cookie"], HIDDEN);
        assert_eq!(shown["x-shop"], "s1");
    }
}
