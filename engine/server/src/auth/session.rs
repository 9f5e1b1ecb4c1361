//! Browser sessions: how long they last, the `shopflow_session` cookie that carries the id
//! (HttpOnly, SameSite=Strict, Path=/, Secure behind HTTPS), and the login lockout policy.

use std::sync::OnceLock;

use axum::http::{HeaderMap, header};
use shopflow_embedded::journal::SessionGrant;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "shopflow_session";
/// A session unused for this long ends (12 hours).
pub const SESSION_IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session ends this long after login however active it is (7 days).
pub const SESSION_MAX_MS: i64 = 7 * 24 * 3600 * 1000;
/// A session's last use is written at most this often (idle expiry is this coarse).
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;
/// Failed logins in a row that lock a name.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long a locked name stays locked (15 minutes).
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

/// Where a stored session stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable.
    Active,
    /// Unused for longer than [`SESSION_IDLE_MS`].
    Idle,
    /// Older than [`SESSION_MAX_MS`].
    Expired,
}

/// Where `session` stands at `now_ms`.
pub fn session_state(session: &SessionGrant, now_ms: i64) -> SessionState {
    if now_ms >= session.expires_ms {
        SessionState::Expired
    } else if now_ms - session.last_seen_ms >= SESSION_IDLE_MS {
        SessionState::Idle
    } else {
        SessionState::Active
    }
}

/// Whether cookies get `Secure` whatever the request says: `SHOPFLOW_SECURE_COOKIES=1` (or
/// `true`) tells shopflow it is served over HTTPS (read once).
pub fn secure_cookies_configured() -> bool {
    static SECURE: OnceLock<bool> = OnceLock::new();
    *SECURE.get_or_init(|| {
        std::env::var("SHOPFLOW_SECURE_COOKIES")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes" | "on"))
    })
}

/// Whether the request came over HTTPS: the setting, or `X-Forwarded-Proto: https` from the
/// proxy in front.
pub fn is_https(headers: &HeaderMap) -> bool {
    secure_cookies_configured()
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .next()
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
            })
}

/// The `Set-Cookie` value that stores session `id` in the browser for [`SESSION_MAX_MS`].
pub fn session_cookie(id: &str, secure: bool) -> String {
    cookie(id, SESSION_MAX_MS / 1000, secure)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age_s: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    )
}

/// The session id in the request's `Cookie` headers, if any.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn grant(created: i64, last_seen: i64) -> SessionGrant {
        SessionGrant {
            user: "chen".into(),
            role: "finance".into(),
            created_ms: created,
            last_seen_ms: last_seen,
            expires_ms: created + SESSION_MAX_MS,
        }
    }

    #[test]
    fn sessions_end_after_12_idle_hours_or_7_days() {
        let hour = 3600 * 1000;
        let s = grant(0, 0);
        assert_eq!(session_state(&s, 11 * hour), SessionState::Active);
        assert_eq!(session_state(&s, 12 * hour), SessionState::Idle);
        // Used every 11 hours, it still ends after 7 days.
        let busy = grant(0, 7 * 24 * hour - hour);
        assert_eq!(
            session_state(&busy, 7 * 24 * hour - 1),
            SessionState::Active
        );
        assert_eq!(session_state(&busy, 7 * 24 * hour), SessionState::Expired);
    }

    #[test]
    fn cookies_are_httponly_strict_and_secure_behind_https() {
        let c = session_cookie("abc", false);
        assert_eq!(
            c,
            "shopflow_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800"
        );
        assert!(session_cookie("abc", true).ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        let mut h = HeaderMap::new();
        assert!(!is_https(&h) || secure_cookies_configured());
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_https(&h));
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("lang=zh; theme=dark"),
        );
        assert_eq!(session_id(&h), None);
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; shopflow_session=0123abcd ; b=2"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("0123abcd"));
    }
}
