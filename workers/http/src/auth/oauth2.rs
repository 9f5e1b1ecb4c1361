//! OAuth2 and OpenID Connect: getting an access token from the authority (client credentials or
//! resource owner password grant), discovering an OIDC token endpoint, and keeping tokens in
//! memory until shortly before they expire.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Client, Url};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::{basic, optional, required};
use crate::error::{Error, retryable_status};
use crate::redact;
use crate::request::{form_component, form_urlencoded};
use crate::transport;

/// The token endpoint the DSL assumes when a flow names none.
const DEFAULT_TOKEN_ENDPOINT: &str = "/oauth2/token";
/// Where an OIDC authority publishes its metadata.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// How the token is granted.
#[derive(Clone)]
pub(crate) enum Grant {
    /// `client_credentials`.
    ClientCredentials,
    /// `password` (resource owner credentials).
    Password {
        /// Resource owner's user name.
        username: String,
        /// Resource owner's password.
        password: String,
    },
}

/// How the client proves who it is to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuthentication {
    /// `client_id` and `client_secret` in the request body.
    Post,
    /// `Authorization: Basic` with the client id and secret.
    Basic,
    /// Only `client_id` in the body (public clients).
    None,
}

/// One OAuth2/OIDC client configuration.
#[derive(Clone)]
pub(crate) struct OAuth2 {
    /// OIDC: the token endpoint may be discovered.
    pub oidc: bool,
    authority: String,
    grant: Grant,
    token_endpoint: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_authentication: ClientAuthentication,
    json: bool,
    scopes: Vec<String>,
    audiences: Vec<String>,
    /// SHA-256 of the whole configuration: tokens are cached under it, secrets only hashed.
    cache_key: String,
}

impl OAuth2 {
    /// Decodes the interpreter's `oauth2`/`oidc` authentication object.
    pub(crate) fn from_args(v: &Value, oidc: bool) -> Result<Self, Error> {
        let scheme = if oidc { "oidc" } else { "oauth2" };
        let grant = match v
            .get("grant")
            .and_then(Value::as_str)
            .unwrap_or("client_credentials")
        {
            "client_credentials" => Grant::ClientCredentials,
            "password" => Grant::Password {
                username: required(v, scheme, "username")?,
                password: required(v, scheme, "password")?,
            },
            other => {
                return Err(Error::Unsupported(format!(
                    "{scheme} grant `{other}` is not supported (client_credentials and password are)"
                )));
            }
        };
        let client_authentication = match v.get("clientAuthentication").and_then(Value::as_str) {
            None | Some("client_secret_post") => ClientAuthentication::Post,
            Some("client_secret_basic") => ClientAuthentication::Basic,
            Some("none") => ClientAuthentication::None,
            Some(other) => {
                return Err(Error::Unsupported(format!(
                    "{scheme} client authentication `{other}` is not supported \
                     (client_secret_post, client_secret_basic and none are)"
                )));
            }
        };
        let json = match v.get("encoding").and_then(Value::as_str) {
            None | Some("application/x-www-form-urlencoded") => false,
            Some("application/json") => true,
            Some(other) => {
                return Err(Error::Unsupported(format!(
                    "token request encoding `{other}` is not supported \
                     (application/x-www-form-urlencoded and application/json are)"
                )));
            }
        };
        let strings = |field: &str| -> Vec<String> {
            match v.get(field) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
                _ => Vec::new(),
            }
        };
        Ok(Self {
            oidc,
            authority: required(v, scheme, "authority")?,
            grant,
            token_endpoint: optional(v, "tokenEndpoint")
                .unwrap_or_else(|| DEFAULT_TOKEN_ENDPOINT.to_owned()),
            client_id: optional(v, "clientId"),
            client_secret: optional(v, "clientSecret"),
            client_authentication,
            json,
            scopes: strings("scopes"),
            audiences: strings("audiences"),
            cache_key: hex_sha256(&v.to_string()),
        })
    }
}

/// Tokens (and discovered OIDC token endpoints) kept in memory.
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<String, CachedToken>>,
    endpoints: Mutex<HashMap<String, String>>,
    margin: Duration,
}

struct CachedToken {
    token: String,
    renew_at: Instant,
}

impl TokenCache {
    /// An empty cache; tokens are renewed `margin` before they expire.
    pub(crate) fn new(margin: Duration) -> Self {
        Self {
            tokens: Mutex::default(),
            endpoints: Mutex::default(),
            margin,
        }
    }

    /// A valid access token for `settings`, from the cache or the authority.
    pub(crate) async fn token(&self, client: &Client, settings: &OAuth2) -> Result<String, Error> {
        if let Some(cached) = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&settings.cache_key)
            && cached.renew_at > Instant::now()
        {
            return Ok(cached.token.clone());
        }
        let url = self.token_url(client, settings).await?;
        let (token, expires_in) = request_token(client, &url, settings).await?;
        if let Some(expires_in) = expires_in {
            let renew_at =
                Instant::now() + expires_in.saturating_sub(self.margin.min(expires_in / 2));
            self.tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(
                    settings.cache_key.clone(),
                    CachedToken {
                        token: token.clone(),
                        renew_at,
                    },
                );
        }
        Ok(token)
    }

    /// Drops the cached token (the resource server rejected it).
    pub(crate) fn forget(&self, settings: &OAuth2) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&settings.cache_key);
    }

    /// `authority + tokenEndpoint`, or for OIDC with the default endpoint the `token_endpoint`
    /// of the authority's discovery document.
    async fn token_url(&self, client: &Client, s: &OAuth2) -> Result<Url, Error> {
        if !(s.oidc && s.token_endpoint == DEFAULT_TOKEN_ENDPOINT) {
            return token_url_at(&join(&s.authority, &s.token_endpoint));
        }
        let discovery = if s.authority.trim_end_matches('/').ends_with(DISCOVERY_PATH) {
            s.authority.clone()
        } else {
            join(&s.authority, DISCOVERY_PATH)
        };
        if let Some(known) = self
            .endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&discovery)
        {
            return token_url_at(known);
        }
        let url = token_url_at(&discovery)?;
        let response = client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable_authority(&url, e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| unreachable_authority(&url, e))?;
        if !status.is_success() {
            return Err(Error::Token {
                detail: format!("OIDC discovery at {} answered {status}", redact::uri(&url)),
                retryable: retryable_status(status),
            });
        }
        let endpoint = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("token_endpoint")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .ok_or_else(|| Error::Token {
                detail: format!(
                    "the OIDC discovery document at {} has no `token_endpoint`",
                    redact::uri(&url)
                ),
                retryable: false,
            })?;
        self.endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(discovery, endpoint.clone());
        token_url_at(&endpoint)
    }
}

/// Sends the token request; returns the access token and how long it is valid, when said.
async fn request_token(
    client: &Client,
    url: &Url,
    s: &OAuth2,
) -> Result<(String, Option<Duration>), Error> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    match &s.grant {
        Grant::ClientCredentials => fields.push(("grant_type", "client_credentials".into())),
        Grant::Password { username, password } => {
            fields.push(("grant_type", "password".into()));
            fields.push(("username", username.clone()));
            fields.push(("password", password.clone()));
        }
    }
    if !s.scopes.is_empty() {
        fields.push(("scope", s.scopes.join(" ")));
    }
    if !s.audiences.is_empty() {
        fields.push(("audience", s.audiences.join(" ")));
    }
    let mut request = client.post(url.clone()).header(ACCEPT, "application/json");
    match s.client_authentication {
        ClientAuthentication::Post => {
            fields.extend(s.client_id.clone().map(|id| ("client_id", id)));
            fields.extend(
                s.client_secret
                    .clone()
                    .map(|secret| ("client_secret", secret)),
            );
        }
        ClientAuthentication::None => {
            fields.extend(s.client_id.clone().map(|id| ("client_id", id)))
        }
        ClientAuthentication::Basic => {
            // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
            let id = form_component(s.client_id.as_deref().unwrap_or_default());
            let secret = form_component(s.client_secret.as_deref().unwrap_or_default());
            let mut value =
                HeaderValue::from_str(&basic(&id, &secret)).map_err(|_| Error::Token {
                    detail: "the client id or secret cannot be sent in a header".into(),
                    retryable: false,
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
    }
    request = if s.json {
        let body: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        request
            .header(CONTENT_TYPE, "application/json")
            .body(Value::Object(body).to_string())
    } else {
        request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_urlencoded(fields))
    };
    let response = request
        .send()
        .await
        .map_err(|e| unreachable_authority(url, e))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| unreachable_authority(url, e))?;
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        // OAuth2 error responses (RFC 6749 §5.2) name the problem without echoing secrets.
        let reason = ["error", "error_description"]
            .iter()
            .filter_map(|k| parsed.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(": ");
        let reason = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        return Err(Error::Token {
            detail: format!(
                "the token endpoint {} answered {status}{reason}",
                redact::uri(url)
            ),
            retryable: retryable_status(status),
        });
    }
    let token = parsed
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Token {
            detail: format!(
                "the token endpoint {} answered without an `access_token`",
                redact::uri(url)
            ),
            retryable: false,
        })?;
    let expires_in = match parsed.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s > 0.0)
    .map(Duration::from_secs_f64);
    Ok((token.to_owned(), expires_in))
}

fn unreachable_authority(url: &Url, e: reqwest::Error) -> Error {
    Error::Token {
        detail: format!(
            "could not get a token from {}: {}",
            redact::uri(url),
            transport::cause(e)
        ),
        retryable: true,
    }
}

fn token_url_at(url: &str) -> Result<Url, Error> {
    Url::parse(url)
        .map_err(|e| Error::InvalidArguments(format!("the token endpoint is not a valid URI: {e}")))
}

/// An endpoint relative to the authority (or an absolute URI, used as it is).
fn join(authority: &str, endpoint: &str) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        return endpoint.to_owned();
    }
    format!(
        "{}/{}",
        authority.trim_end_matches('/'),
        endpoint.trim_start_matches('/')
    )
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
