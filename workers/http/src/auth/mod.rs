//! [`Authentication`]: the evaluated `authentication` of an endpoint, as the interpreter hands it
//! over (`{"scheme": "basic"|"digest"|"bearer"|"oauth2"|"oidc", …}`), and the plain
//! `Authorization` values of basic and bearer.
//!
//! Credentials never appear in `Debug` output or in errors.

pub(crate) mod digest;
pub(crate) mod oauth2;

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::auth::oauth2::OAuth2;
use crate::error::Error;

/// How a request authenticates.
#[derive(Clone)]
pub(crate) enum Authentication {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// RFC 7616 digest, answered after the server's challenge.
    Digest {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer token`.
    Bearer {
        /// The token.
        token: String,
    },
    /// A bearer token obtained from an OAuth2 or OIDC authority.
    OAuth2(Box<OAuth2>),
}

impl Authentication {
    /// Decodes the `authentication` argument (absent or `null` means none).
    pub(crate) fn from_args(v: Option<&Value>) -> Result<Option<Self>, Error> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let scheme = v.get("scheme").and_then(Value::as_str).unwrap_or_default();
        let auth = match scheme {
            "basic" => Authentication::Basic {
                username: required(v, scheme, "username")?,
                password: required(v, scheme, "password")?,
            },
            "digest" => Authentication::Digest {
                username: required(v, scheme, "username")?,
                password: required(v, scheme, "password")?,
            },
            "bearer" => Authentication::Bearer {
                token: required(v, scheme, "token")?,
            },
            "oauth2" | "oidc" => {
                Authentication::OAuth2(Box::new(OAuth2::from_args(v, scheme == "oidc")?))
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "authentication scheme `{other}` is not supported (basic, digest, bearer, oauth2 and oidc are)"
                )));
            }
        };
        Ok(Some(auth))
    }
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self {
            Authentication::Basic { .. } => "basic",
            Authentication::Digest { .. } => "digest",
            Authentication::Bearer { .. } => "bearer",
            Authentication::OAuth2(o) if o.oidc => "oidc",
            Authentication::OAuth2(_) => "oauth2",
        };
        write!(f, "Authentication({scheme}, credentials hidden)")
    }
}

/// The `Authorization` value of HTTP basic authentication (RFC 7617).
pub(crate) fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// A string field of the authentication object; its absence is a configuration error.
pub(crate) fn required(v: &Value, scheme: &str, field: &str) -> Result<String, Error> {
    match v.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Error::InvalidArguments(format!(
            "`{scheme}` authentication needs `{field}` (a string)"
        ))),
    }
}

/// An optional string field.
pub(crate) fn optional(v: &Value, field: &str) -> Option<String> {
    match v.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn basic_is_rfc_7617() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn debug_hides_credentials() {
        let auth = Authentication::from_args(Some(&json!({"scheme": "bearer", "token": "s3cr3t"})));
        let shown = format!("{auth:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        let missing = Authentication::from_args(Some(&json!({"scheme": "basic", "username": "u"})));
        assert_eq!(
            missing.err().map(|e| e.to_string()).as_deref(),
            Some("`basic` authentication needs `password` (a string)")
        );
    }
}
