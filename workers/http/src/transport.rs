//! The reqwest clients behind every call (one that follows redirects, one that does not) and
//! what their failures mean: unreachable, timed out, or broken mid-exchange.

use reqwest::redirect::Policy;
use reqwest::{Client, Method, Url};

use crate::config::HttpConfig;
use crate::error::Error;
use crate::redact;

/// The two clients, built once per registration.
pub(crate) struct Clients {
    /// For `redirect: true`: follows up to `max_redirects` redirects.
    pub follow: Client,
    /// For `redirect: false` and token requests: a 3xx is the answer.
    pub direct: Client,
}

impl Clients {
    /// Builds both clients with the configured timeouts.
    pub(crate) fn new(config: &HttpConfig) -> Result<Self, String> {
        let builder = |policy: Policy| {
            Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.request_timeout)
                .user_agent(config.user_agent.clone())
                .redirect(policy)
                .build()
                .map_err(|e| format!("the HTTP client cannot be set up: {}", cause(e)))
        };
        Ok(Self {
            follow: builder(Policy::limited(config.max_redirects))?,
            direct: builder(Policy::none())?,
        })
    }
}

/// What a failed exchange means for the flow.
pub(crate) fn classify(
    e: reqwest::Error,
    method: &Method,
    url: &Url,
    config: &HttpConfig,
) -> Error {
    let method = method.to_string();
    let uri = redact::uri(url);
    let host = redact::host(url);
    if e.is_timeout() {
        Error::TimedOut {
            method,
            uri,
            host,
            connect: config.connect_timeout,
            request: config.request_timeout,
        }
    } else if e.is_connect() {
        Error::Unreachable {
            method,
            uri,
            host,
            cause: cause(e),
        }
    } else if e.is_redirect() {
        Error::Transport {
            method,
            uri,
            cause: format!(
                "gave up after {} redirects (too many, or a loop)",
                config.max_redirects
            ),
            retryable: false,
        }
    } else if e.is_builder() {
        Error::InvalidArguments(format!("{method} {uri} cannot be sent: {}", cause(e)))
    } else {
        Error::Transport {
            method,
            uri,
            cause: cause(e),
            retryable: true,
        }
    }
}

/// The innermost cause of a reqwest error (`Connection refused (os error 111)`), which names
/// no URL; the error itself only when it has no cause.
pub(crate) fn cause(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut innermost: &dyn std::error::Error = &e;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    innermost.to_string()
}
