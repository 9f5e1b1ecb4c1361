//! The console's view of the auth module: who is logged in, what their role allows, the CSRF
//! check of every form, and personal data masked for roles that may not see it. Pages go
//! through these few functions only.

use axum::http::StatusCode;
use serde_json::Value;

pub use crate::auth::{CurrentUser as User, Permission, Queue, Role};

use super::i18n::Lang;
use super::layout::PageError;

/// Whether `user`'s role allows `permission`.
pub fn can(user: &User, permission: Permission) -> bool {
    user.role.allows(permission)
}

/// 403 unless `user`'s role allows `permission`.
pub fn require(lang: Lang, user: &User, permission: Permission) -> Result<(), PageError> {
    if can(user, permission) {
        Ok(())
    } else {
        Err(PageError::forbidden(lang))
    }
}

/// 403 unless `submitted` is the user's CSRF token (every console form carries it).
pub fn check_csrf(lang: Lang, user: &User, submitted: &str) -> Result<(), PageError> {
    crate::auth::verify_csrf(user, Some(submitted))
        .map_err(|_| PageError::new(lang, StatusCode::FORBIDDEN, "error.csrf"))
}

/// `value` as `user` may see it: personal data masked unless the role may see it.
pub fn masked(user: &User, value: &Value) -> Value {
    let mut v = value.clone();
    if !can(user, Permission::SeePersonalData) {
        crate::auth::mask_personal(&mut v);
    }
    v
}

/// A text as `user` may see it (phone numbers, ids in titles).
pub fn masked_text(user: &User, text: &str) -> String {
    match masked(user, &Value::String(text.to_owned())) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The label key of the user's role.
pub fn role_key(user: &User) -> &'static str {
    match user.role {
        Role::Admin => "role.admin",
        Role::Ops => "role.ops",
        Role::Finance => "role.finance",
        Role::Viewer => "role.viewer",
    }
}

/// The permission to decide tasks of `queue`.
pub fn decide(queue: &str) -> Permission {
    Permission::DecideTask(Queue::parse(queue))
}
