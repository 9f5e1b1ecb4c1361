//! [`HttpConfig`]: the limits every `http` and `openapi` call runs under.

use std::time::Duration;

/// Limits and identity of the HTTP client behind `http` and `openapi`.
///
/// Every field has a default that keeps a flow from hanging (see `docs/functions/http.md`);
/// override single fields with `HttpConfig { request_timeout: …, ..HttpConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// How long to wait for a TCP (and TLS) connection. Default 10 s.
    pub connect_timeout: Duration,
    /// How long one request may take, from connecting to the last byte of the response body.
    /// Default 60 s.
    pub request_timeout: Duration,
    /// Largest response body read, in bytes; a larger one fails the call. Default 16 MiB.
    pub max_response_bytes: usize,
    /// Most redirects followed when a call sets `redirect: true`. Default 10.
    pub max_redirects: usize,
    /// The `User-Agent` header. Default `shopflow/<version>`.
    pub user_agent: String,
    /// An OAuth2/OIDC token is fetched again this long before it expires. Default 30 s.
    pub token_refresh_margin: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 16 * 1024 * 1024,
            max_redirects: 10,
            user_agent: concat!("shopflow/", env!("CARGO_PKG_VERSION")).to_owned(),
            token_refresh_margin: Duration::from_secs(30),
        }
    }
}
