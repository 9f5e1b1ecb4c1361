//! Logging in and out: password check against the stored argon2id hash, lockout after
//! [`MAX_FAILED_LOGINS`] failures in a row for [`LOCKOUT_MS`], a new session with its cookie,
//! and the audit rows of each. Answers never tell whether a name exists: an unknown name
//! costs the same hashing time and is locked out alike.

use std::fmt;

use axum::http::HeaderMap;
use shopflow_embedded::Engine;
use shopflow_embedded::journal::{AuditKind, LoginFailure, NewAudit, NewSession};

use super::current::{AuthVia, CurrentUser};
use super::password::{verify_nobody, verify_password};
use super::role::Role;
use super::secret::{csrf_for, random_hex, token_hash};
use super::session::{
    LOCKOUT_MS, MAX_FAILED_LOGINS, SESSION_IDLE_MS, SESSION_MAX_MS, clear_cookie, is_https,
    secure_cookies_configured, session_cookie,
};
use super::users::normalize_name;
use super::wall_clock_ms;
use crate::problem::Problem;

/// A successful login.
#[derive(Clone)]
pub struct LoginOk {
    /// The user's name.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// The new session's CSRF token (the same as [`CurrentUser::csrf_token`] on its requests).
    pub csrf_token: String,
    /// The `Set-Cookie` value for the answer (`Secure` when `SHOPFLOW_SECURE_COOKIES` is
    /// set; use [`LoginOk::set_cookie_for`] to follow `X-Forwarded-Proto` as well).
    pub set_cookie: String,
    /// When the session ends however active it is.
    pub expires_ms: i64,
    session_id: String,
}

impl LoginOk {
    /// The `Set-Cookie` value for an answer to a request with these headers: `Secure` when
    /// the request came over HTTPS (the setting or `X-Forwarded-Proto: https`).
    pub fn set_cookie_for(&self, headers: &HeaderMap) -> String {
        session_cookie(&self.session_id, is_https(headers))
    }

    /// The `Cookie` request header a client sends back (`shopflow_session=…`), for tests and
    /// tools that log in without a browser.
    pub fn cookie_header(&self) -> String {
        format!("{}={}", super::session::SESSION_COOKIE, self.session_id)
    }
}

impl fmt::Debug for LoginOk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginOk")
            .field("user", &self.user)
            .field("role", &self.role)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong name or password (which of them is not said).
    Invalid,
    /// Too many failed logins in a row: this name is locked until then (also for names that
    /// are no user, so the answer tells nothing about whether the name exists).
    LockedOut {
        /// When logins are taken again, milliseconds since the Unix epoch.
        until_ms: i64,
    },
    /// The login could not be checked or recorded (the journal failed); nothing changed.
    Unavailable(String),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::Invalid => f.write_str("wrong user name or password"),
            LoginError::LockedOut { until_ms } => write!(
                f,
                "too many failed logins: this name is locked until {}; try again then or ask \
                 an admin to reset the password",
                shopflow_embedded::engine::millis_to_rfc3339(*until_ms)
            ),
            LoginError::Unavailable(why) => write!(f, "logins cannot be checked now ({why})"),
        }
    }
}

impl std::error::Error for LoginError {}

/// Checks `password` for `name` (from `client`, at `now_ms`), and on success starts a
/// session: store its hash, write the `login` audit row, hand back the cookie.
pub async fn login(
    engine: &Engine,
    name: &str,
    password: &str,
    client: &str,
    now_ms: i64,
) -> Result<LoginOk, LoginError> {
    let journal = engine.store().journal();
    let unavailable = |e: shopflow_embedded::journal::Error| LoginError::Unavailable(e.to_string());
    let name = normalize_name(name);
    let user = journal.user(&name).map_err(unavailable)?;
    let locked_until = match &user {
        Some(u) => u.locked_until_ms,
        None => journal
            .login_throttle(&name)
            .map_err(unavailable)?
            .and_then(|t| t.locked_until_ms),
    };
    if let Some(until_ms) = locked_until.filter(|until| *until > now_ms) {
        journal
            .record_audit(&NewAudit {
                at_ms: now_ms,
                kind: AuditKind::LoginLocked,
                user: Some(name),
                actor: None,
                client: Some(client.to_owned()),
                detail: serde_json::json!({ "locked_until_ms": until_ms }),
            })
            .await
            .map_err(unavailable)?;
        return Err(LoginError::LockedOut { until_ms });
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_nobody(&password);
            false
        }
    })
    .await
    .map_err(|e| LoginError::Unavailable(format!("the password check failed: {e}")))?;
    let Some(user) = user.filter(|_| matches) else {
        let locked = journal
            .login_failed(&LoginFailure {
                name,
                at_ms: now_ms,
                max_failures: MAX_FAILED_LOGINS,
                lock_ms: LOCKOUT_MS,
                client: Some(client.to_owned()),
            })
            .await
            .map_err(unavailable)?;
        return Err(match locked {
            Some(until_ms) => LoginError::LockedOut { until_ms },
            None => LoginError::Invalid,
        });
    };
    let role = Role::parse(&user.role)
        .ok_or_else(|| LoginError::Unavailable(format!("unknown role `{}`", user.role)))?;
    let session_id =
        random_hex().map_err(|e| LoginError::Unavailable(format!("no randomness: {e}")))?;
    let expires_ms = now_ms.saturating_add(SESSION_MAX_MS);
    journal
        .login_succeeded(&NewSession {
            hash: token_hash(&session_id),
            user: user.name.clone(),
            at_ms: now_ms,
            expires_ms,
            idle_ms: SESSION_IDLE_MS,
            client: Some(client.to_owned()),
        })
        .await
        .map_err(unavailable)?;
    Ok(LoginOk {
        user: user.name,
        role,
        csrf_token: csrf_for(&session_id),
        set_cookie: session_cookie(&session_id, secure_cookies_configured()),
        expires_ms,
        session_id,
    })
}

/// Ends the session of `user` (a `logout` audit row) and returns the `Set-Cookie` value that
/// clears the cookie. A token-authenticated request has no session: nothing is ended (revoke
/// tokens instead), the cookie is cleared all the same.
pub async fn logout(engine: &Engine, user: &CurrentUser) -> Result<String, Problem> {
    if user.via == AuthVia::Session {
        engine
            .store()
            .journal()
            .end_session(&user.credential_hash, wall_clock_ms(), Some(&user.client))
            .await
            .map_err(|e| Problem::from(shopflow_embedded::EngineError::from(e)))?;
    }
    Ok(clear_cookie(secure_cookies_configured()))
}
