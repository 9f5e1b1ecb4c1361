//! [`Sender`]: sends one [`HttpRequest`] — headers, body, the step's `Idempotency-Key`,
//! authentication (including the digest challenge round trip and OAuth2 tokens) — and reads
//! the answer.

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE,
};
use reqwest::{Client, Method, Request, StatusCode};
use serde_json::Value;

use crate::auth::digest::{self, Answer};
use crate::auth::oauth2::TokenCache;
use crate::auth::{self, Authentication};
use crate::config::HttpConfig;
use crate::error::Error;
use crate::redact;
use crate::request::HttpRequest;
use crate::response::{Exchange, ShownRequest};
use crate::transport::{self, Clients};

/// The header that carries the step's idempotency key.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Sends calls; shared by `http` and `openapi`.
pub(crate) struct Sender {
    config: HttpConfig,
    clients: Result<Clients, String>,
    tokens: TokenCache,
}

impl Sender {
    /// A sender with its own clients and token cache.
    pub(crate) fn new(config: HttpConfig) -> Self {
        let clients = Clients::new(&config);
        let tokens = TokenCache::new(config.token_refresh_margin);
        Self {
            config,
            clients,
            tokens,
        }
    }

    /// Sends the call and makes its output; an unaccepted status is an error.
    pub(crate) async fn call(
        &self,
        idempotency_key: &str,
        request: &HttpRequest,
    ) -> Result<Value, Error> {
        let exchange = self.exchange(idempotency_key, request).await?;
        if !exchange.accepted(request.redirect) {
            return Err(exchange.status_error());
        }
        Ok(exchange.output(request.output))
    }

    /// Sends the call and reads the response, whatever its status.
    pub(crate) async fn exchange(
        &self,
        idempotency_key: &str,
        request: &HttpRequest,
    ) -> Result<Exchange, Error> {
        let clients = self
            .clients
            .as_ref()
            .map_err(|e| Error::Unsupported(e.clone()))?;
        let client = if request.redirect {
            &clients.follow
        } else {
            &clients.direct
        };
        let mut prepared = prepare(client, idempotency_key, request)?;
        match &request.auth {
            None => {}
            Some(Authentication::Basic { username, password }) => {
                set_secret(prepared.headers_mut(), &auth::basic(username, password))?;
            }
            Some(Authentication::Bearer { token }) => {
                set_secret(prepared.headers_mut(), &format!("Bearer {token}"))?
            }
            Some(Authentication::OAuth2(settings)) => {
                let token = self.tokens.token(&clients.direct, settings).await?;
                set_secret(prepared.headers_mut(), &format!("Bearer {token}"))?;
            }
            Some(Authentication::Digest { username, password }) => {
                // RFC 7616: the first, unauthenticated request fetches the challenge.
                let probe = prepared.try_clone().ok_or_else(|| {
                    Error::Unsupported(
                        "digest authentication needs a request body that can be sent twice".into(),
                    )
                })?;
                let first = self.send(client, probe).await?;
                if first.status != StatusCode::UNAUTHORIZED
                    || !first.headers.contains_key(WWW_AUTHENTICATE)
                {
                    return Ok(first);
                }
                let Some(challenge) = digest::best_challenge(&first.headers)? else {
                    return Ok(first);
                };
                let url = prepared.url();
                let uri = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                let cnonce = digest::new_cnonce();
                let answer = Answer {
                    username,
                    password,
                    method: prepared.method().as_str(),
                    uri: &uri,
                    cnonce: &cnonce,
                };
                let header = digest::authorization(&challenge, &answer);
                set_secret(prepared.headers_mut(), &header)?;
            }
        }
        let exchange = self.send(client, prepared).await?;
        if let (StatusCode::UNAUTHORIZED, Some(Authentication::OAuth2(settings))) =
            (exchange.status, &request.auth)
        {
            // The token may have been revoked early: the next attempt of the step fetches a new one.
            self.tokens.forget(settings);
        }
        Ok(exchange)
    }

    async fn send(&self, client: &Client, request: Request) -> Result<Exchange, Error> {
        let method = request.method().clone();
        let url = request.url().clone();
        let shown = ShownRequest {
            method: method.to_string(),
            uri: redact::uri(&url),
            headers: redact::request_headers(request.headers()),
        };
        let response = client
            .execute(request)
            .await
            .map_err(|e| transport::classify(e, &method, &url, &self.config))?;
        Exchange::read(shown, response, &self.config).await
    }
}

/// Whether a request with this method carries the idempotency key: everything but the safe
/// methods that never change anything.
pub(crate) fn carries_idempotency_key(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request without authentication: method, URL, the flow's headers, the idempotency key
/// and the body.
fn prepare(
    client: &Client,
    idempotency_key: &str,
    request: &HttpRequest,
) -> Result<Request, Error> {
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::InvalidArguments(format!("`{name}` is not a valid HTTP header name"))
        })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidArguments(format!(
                "the value of header `{name}` has characters a header cannot carry"
            ))
        })?;
        value.set_sensitive(redact::is_secret_header(name));
        headers.append(header, value);
    }
    if carries_idempotency_key(&request.method)
        && !idempotency_key.is_empty()
        && !request.has_header(IDEMPOTENCY_KEY)
    {
        let value = HeaderValue::from_str(idempotency_key).map_err(|_| {
            Error::InvalidArguments(
                "the idempotency key has characters a header cannot carry".into(),
            )
        })?;
        headers.insert(HeaderName::from_static(IDEMPOTENCY_KEY), value);
    }
    let mut builder = client.request(request.method.clone(), request.url.clone());
    if let Some(body) = &request.body {
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(body.default_content_type),
            );
        }
        builder = builder.body(body.bytes.clone());
    }
    builder.headers(headers).build().map_err(|e| {
        Error::InvalidArguments(format!(
            "{} {} cannot be sent: {}",
            request.method,
            redact::uri(&request.url),
            transport::cause(e)
        ))
    })
}

/// Sets `Authorization`, marked sensitive so that it is never logged by the HTTP stack.
fn set_secret(headers: &mut HeaderMap, value: &str) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::InvalidArguments(
            "the credentials have characters an Authorization header cannot carry".into(),
        )
    })?;
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    Ok(())
}
