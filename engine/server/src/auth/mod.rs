//! Who may do what: users with argon2id passwords, browser sessions (cookie
//! `shopflow_session`, only hashes stored), API tokens owned by a user (only their SHA-256
//! stored), CSRF tokens, lockout after failed logins, the audit log, the four roles and their
//! [`Permission`]s, and masking of personal data for roles that may not see it.
//!
//! `SHOPFLOW_ADMIN_TOKEN` seeds a token of the built-in identity `admin` (owned by no user,
//! always role admin); seeding another value replaces it. Everything is stored in the
//! engine's journal (tables `users`, `sessions`, `tokens`, `login_throttle`, `audit`).
//!
//! For pages: take a [`CurrentUser`] in the handler (it redirects browsers to
//! `/login?next=…`), check [`Role::allows`], wrap changing routes in [`require_csrf`] and put
//! `csrf_token` into forms, call [`mask_personal`] on data shown to roles without
//! [`Permission::SeePersonalData`], and [`login`] / [`logout`] on the login page.

pub mod admin;
mod csrf;
mod current;
mod guard;
mod login;
mod mask;
pub mod password;
mod permission;
mod role;
mod secret;
pub mod session;
pub mod users;

use shopflow_embedded::Engine;
use shopflow_embedded::journal::Error;

pub use csrf::{CSRF_FIELD, CSRF_HEADER, header_token, is_safe, require_csrf, verify_csrf};
pub use current::{
    AuthRejection, AuthVia, CurrentUser, Unauthenticated, authenticate, client_address,
    original_path, unauthorized, wants_html,
};
pub use guard::{Required, forbidden, mask_response, require_token, required};
pub use login::{LoginError, LoginOk, login, logout};
pub use mask::mask_personal;
pub use permission::{Permission, Queue};
pub use role::Role;
pub use secret::{TOKEN_PREFIX, token_hash};
pub use session::{SESSION_COOKIE, clear_cookie, is_https};

/// The wall clock in milliseconds since the Unix epoch: sessions and lockouts run on real
/// time even when the engine runs on an accelerated clock (the demo).
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Stores `token` as the admin token of the built-in identity `admin`, replacing a token
/// seeded before (so changing `SHOPFLOW_ADMIN_TOKEN` and restarting rotates it).
pub async fn seed_admin(engine: &Engine, token: &str, now_ms: i64) -> Result<(), Error> {
    engine
        .store()
        .journal()
        .seed_token(&token_hash(token), now_ms)
        .await
        .map(drop)
}
