//! The values the access tables store and return. Times are milliseconds since the Unix
//! epoch from the caller's clock; roles are the names `admin`, `ops`, `finance`, `viewer`.

use std::fmt;

use serde_json::Value;

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The login name (unique).
    pub name: String,
    /// The role name.
    pub role: String,
    /// The password's argon2id hash as a PHC string (its own random salt inside).
    pub password_hash: String,
    /// When the user was created.
    pub created_ms: i64,
    /// When the role or password last changed.
    pub updated_ms: i64,
    /// Failed logins in a row since the last success or lockout.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until_ms: Option<i64>,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("created_ms", &self.created_ms)
            .field("updated_ms", &self.updated_ms)
            .field("failed_logins", &self.failed_logins)
            .field("locked_until_ms", &self.locked_until_ms)
            .finish_non_exhaustive()
    }
}

/// Whether [`PutUser`] may create, update, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// Only a new user; an existing name is [`PutUserOutcome::Exists`].
    Create,
    /// Only an existing user; a missing one is [`PutUserOutcome::Missing`].
    Update,
    /// Either.
    CreateOrUpdate,
}

/// A user to create or change.
#[derive(Clone, PartialEq, Eq)]
pub struct PutUser {
    /// The login name.
    pub name: String,
    /// The role name.
    pub role: String,
    /// The new password hash; `None` keeps the stored one (required to create).
    pub password_hash: Option<String>,
    /// Create, update or either.
    pub mode: PutMode,
    /// When.
    pub at_ms: i64,
    /// Who made the change (a user name, or `cli` for the command line).
    pub actor: String,
    /// From where, if over the network.
    pub client: Option<String>,
}

impl fmt::Debug for PutUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("mode", &self.mode)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// What [`Journal::put_user`](crate::journal::Journal::put_user) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutUserOutcome {
    /// A new user was stored.
    Created,
    /// The user was changed.
    Updated {
        /// The role is another one now.
        role_changed: bool,
        /// The password was replaced.
        password_changed: bool,
        /// Sessions ended because the role or password changed.
        sessions_ended: usize,
    },
    /// Not created: the name is taken.
    Exists,
    /// Not updated: there is no such user (or a new user came without a password).
    Missing,
}

/// A token for a user, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserToken {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// The owner.
    pub user: String,
    /// What it is for (shown in listings and the audit log).
    pub label: String,
    /// When.
    pub at_ms: i64,
    /// Who made it.
    pub actor: String,
    /// From where, if over the network.
    pub client: Option<String>,
}

/// API tokens of one user to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeTokens {
    /// The owner.
    pub user: String,
    /// Only the tokens with this label (`None`: all of the user's tokens).
    pub label: Option<String>,
    /// When.
    pub at_ms: i64,
    /// Who revokes them.
    pub actor: String,
    /// From where, if over the network.
    pub client: Option<String>,
}

/// Who a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The owner's name, or for a token owned by no user the token's own name.
    pub name: String,
    /// The owner's current role, or the token's own role.
    pub role: String,
    /// The owning user, if any.
    pub user: Option<String>,
    /// When it was made.
    pub created_ms: i64,
}

/// Failed logins of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failed logins in a row.
    pub failed_logins: u32,
    /// Refused until then.
    pub locked_until_ms: Option<i64>,
}

/// A session to store at a successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Hex SHA-256 of the session id (the id itself is only in the cookie).
    pub hash: String,
    /// Whose.
    pub user: String,
    /// When it starts.
    pub at_ms: i64,
    /// When it ends however active it is.
    pub expires_ms: i64,
    /// Sessions unused for this long are deleted with the expired ones.
    pub idle_ms: i64,
    /// From where.
    pub client: Option<String>,
}

/// A stored session, with its user's current role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    /// Whose.
    pub user: String,
    /// The user's role now.
    pub role: String,
    /// When it started.
    pub created_ms: i64,
    /// When it was last used (updated at most about once a minute).
    pub last_seen_ms: i64,
    /// When it ends however active it is.
    pub expires_ms: i64,
}

/// A failed login to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    /// The name tried.
    pub name: String,
    /// When.
    pub at_ms: i64,
    /// Failed logins in a row that lock the name.
    pub max_failures: u32,
    /// For how long it is locked then.
    pub lock_ms: i64,
    /// From where.
    pub client: Option<String>,
}

/// What an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// A successful login.
    Login,
    /// A wrong name or password.
    LoginFailed,
    /// A login refused because the name is locked.
    LoginLocked,
    /// A name locked after too many failed logins.
    Lockout,
    /// A logout.
    Logout,
    /// A user created.
    UserCreated,
    /// A user's role changed.
    RoleChanged,
    /// A user's password changed.
    PasswordChanged,
    /// An API token created.
    TokenCreated,
    /// API tokens revoked.
    TokenRevoked,
}

impl AuditKind {
    /// Every kind, in a stable order.
    pub const ALL: [AuditKind; 10] = [
        AuditKind::Login,
        AuditKind::LoginFailed,
        AuditKind::LoginLocked,
        AuditKind::Lockout,
        AuditKind::Logout,
        AuditKind::UserCreated,
        AuditKind::RoleChanged,
        AuditKind::PasswordChanged,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
    ];

    /// The stored name (`login_failed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Login => "login",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LoginLocked => "login_locked",
            AuditKind::Lockout => "lockout",
            AuditKind::Logout => "logout",
            AuditKind::UserCreated => "user_created",
            AuditKind::RoleChanged => "role_changed",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::TokenCreated => "token_created",
            AuditKind::TokenRevoked => "token_revoked",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// An audit row to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    /// When.
    pub at_ms: i64,
    /// What happened.
    pub kind: AuditKind,
    /// Whose account it concerns (the name tried, for a failed login).
    pub user: Option<String>,
    /// Who did it, when not the user themself (`cli`, an admin's name).
    pub actor: Option<String>,
    /// From where.
    pub client: Option<String>,
    /// More about it (a JSON object: old and new role, lock end, token label, …).
    pub detail: Value,
}

/// An audit row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Order of writing: later rows have larger numbers.
    pub seq: i64,
    /// When.
    pub at_ms: i64,
    /// What happened (the stored name; see [`AuditKind`]).
    pub kind: String,
    /// Whose account it concerns.
    pub user: Option<String>,
    /// Who did it.
    pub actor: Option<String>,
    /// From where.
    pub client: Option<String>,
    /// More about it.
    pub detail: Value,
}

/// Which audit rows [`Journal::audit`](crate::journal::Journal::audit) returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only rows about this user.
    pub user: Option<String>,
    /// Only rows of this kind.
    pub kind: Option<AuditKind>,
    /// Only rows older than this `seq` (the next page).
    pub before_seq: Option<i64>,
    /// At most this many.
    pub limit: u32,
}
