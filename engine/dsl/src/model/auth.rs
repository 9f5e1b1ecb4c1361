//! Authentication policies for HTTP calls.

use crate::model::data::Template;

/// An authentication policy.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// The scheme and its settings.
    pub scheme: AuthScheme,
}

/// The supported schemes.
#[derive(Debug, Clone)]
pub enum AuthScheme {
    /// HTTP basic.
    Basic(Credentials<BasicAuth>),
    /// Bearer token.
    Bearer(Credentials<BearerAuth>),
    /// HTTP digest.
    Digest(Credentials<BasicAuth>),
    /// OAuth2 token from an authority.
    OAuth2(Credentials<OAuth2>),
    /// OpenID Connect token from an authority.
    Oidc(Credentials<OAuth2>),
}

/// Settings written inline, or read from a secret whose value has the same fields.
#[derive(Debug, Clone)]
pub enum Credentials<T> {
    /// Written in the flow (usually with `${ $secrets.… }` expressions).
    Inline(T),
    /// Loaded from the named secret (`use: NAME`).
    Secret(String),
}

/// Username and password.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    /// User name.
    pub username: Template,
    /// Password.
    pub password: Template,
}

/// A bearer token.
#[derive(Debug, Clone)]
pub struct BearerAuth {
    /// The token.
    pub token: Template,
}

/// OAuth2 / OIDC client settings.
#[derive(Debug, Clone)]
pub struct OAuth2 {
    /// The authority's base URI.
    pub authority: Template,
    /// Grant type: `client_credentials` or `password`.
    pub grant: String,
    /// Token endpoint path relative to the authority.
    pub token_endpoint: String,
    /// Client id.
    pub client_id: Option<Template>,
    /// Client secret.
    pub client_secret: Option<Template>,
    /// How the client authenticates: `client_secret_post` (default) or `client_secret_basic`.
    pub client_authentication: String,
    /// Token request encoding: form (default) or JSON.
    pub request_encoding: String,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// Audiences to request.
    pub audiences: Vec<String>,
    /// Resource owner user name (password grant).
    pub username: Option<Template>,
    /// Resource owner password (password grant).
    pub password: Option<Template>,
}

/// An authentication given inline or by name from `use.authentications`.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per flow at load and shared behind an Arc; boxing would only add indirection"
)]
pub enum AuthRef {
    /// Named in `use.authentications` (checked to exist).
    Named(String),
    /// Written in place.
    Inline(Authentication),
}
