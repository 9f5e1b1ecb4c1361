//! Who is asking: [`CurrentUser`] from a bearer token (`Authorization: Bearer …`) or the
//! session cookie, as an axum extractor. Without either, a browser asking for a page is sent
//! to `/login?next=…`; everything else gets a 401 problem.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shopflow_embedded::Engine;
use shopflow_embedded::journal::Journal;

use super::role::Role;
use super::secret::{csrf_for, token_hash};
use super::session::{SessionState, TOUCH_EVERY_MS, session_id, session_state};
use super::wall_clock_ms;
use crate::problem::Problem;

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// The `shopflow_session` cookie of a login (CSRF checks apply).
    Session,
    /// An API token in `Authorization: Bearer` (exempt from CSRF checks).
    Token,
}

/// The signed-in user of a request.
#[derive(Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// The user's name (for the seeded admin token: `admin`).
    pub name: String,
    /// The user's role now.
    pub role: Role,
    /// The token that HTML forms (`csrf` field) and scripts (`X-CSRF-Token` header) send
    /// back with every change.
    pub csrf_token: String,
    /// Session cookie or bearer token.
    pub via: AuthVia,
    /// The hash under which the session or token is stored (not secret: the database has it).
    pub credential_hash: String,
    /// Where the request came from, for the audit log (peer address, and the address a proxy
    /// forwarded for, as it claims).
    pub client: String,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("via", &self.via)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// Why a request is not signed in (the 401 detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated(pub String);

/// Finds who sent a request with these headers at `now_ms`: the bearer token if there is an
/// `Authorization` header, else the session cookie. Marks a session used (at most once a
/// minute).
pub fn authenticate(
    journal: &Journal,
    headers: &HeaderMap,
    client: &str,
    now_ms: i64,
) -> Result<CurrentUser, Unauthenticated> {
    let fail = |detail: &str| Unauthenticated(detail.to_owned());
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("send `Authorization: Bearer <token>`"))?;
        let hash = token_hash(token);
        let grant = journal
            .token_grant(&hash)
            .map_err(|e| fail(&format!("the token cannot be checked now: {e}")))?
            .ok_or_else(|| fail("the token is not known"))?;
        let role = Role::parse(&grant.role).ok_or_else(|| fail("the token has an unknown role"))?;
        return Ok(CurrentUser {
            name: grant.name,
            role,
            csrf_token: csrf_for(token),
            via: AuthVia::Token,
            credential_hash: hash,
            client: client.to_owned(),
        });
    }
    let id = session_id(headers)
        .ok_or_else(|| fail("sign in, or send `Authorization: Bearer <token>`"))?;
    let hash = token_hash(&id);
    let session = journal
        .session(&hash)
        .map_err(|e| fail(&format!("the session cannot be checked now: {e}")))?
        .ok_or_else(|| fail("the session has ended; sign in again"))?;
    match session_state(&session, now_ms) {
        SessionState::Active => {}
        SessionState::Idle => {
            return Err(fail("the session ended after 12 idle hours; sign in again"));
        }
        SessionState::Expired => return Err(fail("the session is 7 days old; sign in again")),
    }
    if now_ms - session.last_seen_ms >= TOUCH_EVERY_MS {
        // Not awaited: a lost touch only brings the idle end closer.
        if let Err(e) = journal.touch_session(&hash, now_ms) {
            tracing::warn!("cannot mark a session used: {e}");
        }
    }
    let role = Role::parse(&session.role).ok_or_else(|| fail("the user has an unknown role"))?;
    Ok(CurrentUser {
        name: session.user,
        role,
        csrf_token: csrf_for(&id),
        via: AuthVia::Session,
        credential_hash: hash,
        client: client.to_owned(),
    })
}

/// The client of a request for the audit log: the peer address (when the server was started
/// with connect info) and the first `X-Forwarded-For` address a proxy passed on.
pub fn client_address(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64);
    match (forwarded, peer) {
        (Some(f), Some(p)) => format!("{f} via {p}"),
        (Some(f), None) => format!("{f} (forwarded)"),
        (None, Some(p)) => p,
        (None, None) => "unknown".to_owned(),
    }
}

/// The path and query of the request as the client sent it (before nesting stripped it).
pub fn original_path(parts: &Parts) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |OriginalUri(u)| u);
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// A request that is not signed in.
#[derive(Debug)]
pub enum AuthRejection {
    /// A browser asking for a page: 303 to the login page, coming back here afterwards.
    Login {
        /// Where to go after login (path and query).
        next: String,
    },
    /// Anything else: a 401 problem.
    Unauthorized(String),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Login { next } => {
                let location = format!("/login?next={}", percent_encode(&next));
                let mut response = StatusCode::SEE_OTHER.into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            AuthRejection::Unauthorized(detail) => unauthorized(&detail),
        }
    }
}

/// The 401 problem, with `WWW-Authenticate: Bearer`.
pub fn unauthorized(detail: &str) -> Response {
    let mut response =
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail.to_owned()).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Whether a request wants a page rather than JSON: it accepts `text/html` and carries no
/// bearer token.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).is_none()
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

impl<S> FromRequestParts<S> for CurrentUser
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let engine = Engine::from_ref(state);
        let client = client_address(parts);
        match authenticate(
            engine.store().journal(),
            &parts.headers,
            &client,
            wall_clock_ms(),
        ) {
            Ok(user) => {
                parts.extensions.insert(user.clone());
                Ok(user)
            }
            Err(Unauthenticated(detail)) if wants_html(&parts.headers) => {
                tracing::debug!(%detail, "not signed in; sending to the login page");
                Err(AuthRejection::Login {
                    next: original_path(parts),
                })
            }
            Err(Unauthenticated(detail)) => Err(AuthRejection::Unauthorized(detail)),
        }
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_redirect_keeps_where_the_user_was_going() {
        let response = AuthRejection::Login {
            next: "/runs?status=faulted&q=退货".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "/login?next=/runs%3Fstatus%3Dfaulted%26q%3D%E9%80%80%E8%B4%A7"
        );
    }

    #[test]
    fn pages_are_for_browsers_without_tokens() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        assert!(wants_html(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(!wants_html(&h));
    }
}
