//! Who may use shopflow, as the journal keeps it: users with their password hashes, their
//! sessions (only hashes of the ids), API tokens owned by a user, login throttling (failed
//! logins and lockouts, also for names that are no user) and the security audit log.
//!
//! The journal stores and answers; the rules (password hashing, lockout policy, session
//! lifetimes, roles) belong to the server's `auth` module, which passes its limits in. Every
//! change that the audit log must show is written in the same transaction as its audit row.

mod read;
mod record;
mod write;

pub use record::{
    AuditFilter, AuditKind, AuditRecord, LoginFailure, NewAudit, NewSession, NewUserToken, PutMode,
    PutUser, PutUserOutcome, RevokeTokens, SessionGrant, Throttle, TokenGrant, UserRecord,
};
pub(crate) use write::{AccessOutcome, AccessWrite, write as apply};
pub use write::{Throttled, after_failure};

use super::writer::{Outcome, Row};
use super::{Error, Journal, Pending};

impl Journal {
    /// Creates or updates a user as `change.mode` says; a role or password change ends the
    /// user's sessions and a new password also clears a lockout. Writes `user_created`,
    /// `role_changed` and `password_changed` audit rows.
    pub async fn put_user(&self, change: &PutUser) -> Result<PutUserOutcome, Error> {
        match self.access(AccessWrite::PutUser(change.clone())).await? {
            AccessOutcome::User(outcome) => Ok(outcome),
            _ => Ok(PutUserOutcome::Missing),
        }
    }

    /// One user, if there is one by this name (a blocking read).
    pub fn user(&self, name: &str) -> Result<Option<UserRecord>, Error> {
        self.reader
            .with_conn(|conn, path| read::user(conn, path, name))
    }

    /// Every user, by name (a blocking read).
    pub fn users(&self) -> Result<Vec<UserRecord>, Error> {
        self.reader.with_conn(read::users)
    }

    /// Stores a token owned by `token.user` and audits it; `false` (nothing stored) when there
    /// is no such user.
    pub async fn add_user_token(&self, token: &NewUserToken) -> Result<bool, Error> {
        match self.access(AccessWrite::UserToken(token.clone())).await? {
            AccessOutcome::Done(done) => Ok(done),
            _ => Ok(false),
        }
    }

    /// Deletes the user's tokens (those with the label, when one is given) and audits it with
    /// a `token_revoked` row; returns how many there were (`None` when there is no such user).
    /// Requests with a revoked token are refused from the next one on.
    pub async fn revoke_tokens(&self, revoke: &RevokeTokens) -> Result<Option<u32>, Error> {
        match self
            .access(AccessWrite::RevokeTokens(revoke.clone()))
            .await?
        {
            AccessOutcome::Revoked(count) => Ok(count),
            _ => Ok(None),
        }
    }

    /// Stores `hash` as the seeded admin token (named `admin`, owned by no user) and deletes
    /// any other seeded token, so a new `SHOPFLOW_ADMIN_TOKEN` replaces the old one. Returns
    /// whether the token is new (then a `token_created` audit row was written).
    pub async fn seed_token(&self, hash: &str, at_ms: i64) -> Result<bool, Error> {
        let write = AccessWrite::SeedToken {
            hash: hash.to_owned(),
            at_ms,
        };
        match self.access(write).await? {
            AccessOutcome::Done(done) => Ok(done),
            _ => Ok(false),
        }
    }

    /// Who a token is, by its hash: its owner's name and current role, or for a token owned
    /// by no user its own name and role (a blocking read).
    pub fn token_grant(&self, hash: &str) -> Result<Option<TokenGrant>, Error> {
        self.reader
            .with_conn(|conn, path| read::token_grant(conn, path, hash))
    }

    /// The failed-login state of a name that is no user (a blocking read).
    pub fn login_throttle(&self, name: &str) -> Result<Option<Throttle>, Error> {
        self.reader
            .with_conn(|conn, path| read::login_throttle(conn, path, name))
    }

    /// A successful login: clears the user's failed logins, stores the session, writes a
    /// `login` audit row and deletes sessions that have expired.
    pub async fn login_succeeded(&self, session: &NewSession) -> Result<(), Error> {
        self.access(AccessWrite::LoginSucceeded(session.clone()))
            .await
            .map(drop)
    }

    /// A failed login: counts it against the user (or the name, when it is no user), locks
    /// when the count reaches the limit, writes `login_failed` (and `lockout`) audit rows.
    /// Returns until when the name is locked, if this failure locked it.
    pub async fn login_failed(&self, failure: &LoginFailure) -> Result<Option<i64>, Error> {
        match self
            .access(AccessWrite::LoginFailed(failure.clone()))
            .await?
        {
            AccessOutcome::Locked(until) => Ok(until),
            _ => Ok(None),
        }
    }

    /// The session with this id hash and its user's current role (a blocking read).
    pub fn session(&self, hash: &str) -> Result<Option<SessionGrant>, Error> {
        self.reader
            .with_conn(|conn, path| read::session(conn, path, hash))
    }

    /// Marks a session as used at `at_ms` without waiting for the commit (idle expiry
    /// counts from the last use; a lost touch only shortens a session).
    pub fn touch_session(&self, hash: &str, at_ms: i64) -> Result<Pending, Error> {
        self.writer.enqueue(Row::Access(AccessWrite::TouchSession {
            hash: hash.to_owned(),
            at_ms,
        }))
    }

    /// Ends a session (logout) and writes a `logout` audit row; `false` when it was gone.
    pub async fn end_session(
        &self,
        hash: &str,
        at_ms: i64,
        client: Option<&str>,
    ) -> Result<bool, Error> {
        let write = AccessWrite::EndSession {
            hash: hash.to_owned(),
            at_ms,
            client: client.map(str::to_owned),
        };
        match self.access(write).await? {
            AccessOutcome::Done(done) => Ok(done),
            _ => Ok(false),
        }
    }

    /// Appends one row to the audit log.
    pub async fn record_audit(&self, entry: &NewAudit) -> Result<(), Error> {
        self.access(AccessWrite::Audit(entry.clone()))
            .await
            .map(drop)
    }

    /// Audit rows matching `filter`, newest first (a blocking read).
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, Error> {
        self.reader
            .with_conn(|conn, path| read::audit(conn, path, filter))
    }

    async fn access(&self, write: AccessWrite) -> Result<AccessOutcome, Error> {
        match self.writer.submit(Row::Access(write)).await? {
            Outcome::Access(outcome) => Ok(outcome),
            _ => Ok(AccessOutcome::Done(true)),
        }
    }
}
