//! Managing users and their API tokens on a journal: what `shopflow user add`, `shopflow
//! token create` and the admin API (`/api/v1/users`) do. Names are trimmed and ASCII
//! lower-cased; passwords are checked and hashed here, never stored or logged in clear.

use shopflow_embedded::journal::{
    self, Journal, NewUserToken, PutMode, PutUser, PutUserOutcome, RevokeTokens,
};

use super::password::{check_new_password, hash_password};
use super::role::Role;
use super::secret::{new_api_token, token_hash};

/// The longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Why a user or token change was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The name has characters a user name may not have.
    #[error("`{0}` is not a usable user name: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName(String),
    /// The password is not good enough.
    #[error("{0}")]
    WeakPassword(String),
    /// Creating a user whose name is taken.
    #[error("user `{0}` exists already; to change their role or password, update them")]
    Exists(String),
    /// Changing a user who does not exist.
    #[error("there is no user `{0}`; create them first (`shopflow user add`)")]
    Missing(String),
    /// A new user needs a password.
    #[error("a new user needs a password")]
    NoPassword,
    /// Hashing or randomness failed.
    #[error("{0}")]
    Crypto(String),
    /// The journal failed; nothing changed.
    #[error("{0}")]
    Journal(#[from] journal::Error),
}

/// A user name as stored: trimmed, ASCII letters lower-cased (`Chen.Jing` logs in as
/// `chen.jing`).
pub fn normalize_name(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Checks a (normalized) user name.
pub fn check_name(name: &str) -> Result<(), Error> {
    let count = name.chars().count();
    let ok = (1..=MAX_NAME_CHARS).contains(&count)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadName(name.to_owned()))
    }
}

/// A user to create or change.
#[derive(Debug, Clone, Copy)]
pub struct UserChange<'a> {
    /// The login name (normalized here).
    pub name: &'a str,
    /// The role.
    pub role: Role,
    /// A new password (required to create; `None` keeps the old one).
    pub password: Option<&'a str>,
    /// Create only, update only, or either.
    pub mode: PutMode,
    /// Who does it (`cli`, or the admin's name).
    pub actor: &'a str,
    /// From where, over the network.
    pub client: Option<&'a str>,
    /// When.
    pub now_ms: i64,
}

/// Creates or updates a user (auditing creation, role and password changes; a role or
/// password change ends the user's sessions).
pub async fn put_user(journal: &Journal, change: UserChange<'_>) -> Result<PutUserOutcome, Error> {
    let name = normalize_name(change.name);
    check_name(&name)?;
    let password_hash = match change.password {
        Some(password) => {
            check_new_password(password).map_err(Error::WeakPassword)?;
            let password = password.to_owned();
            let hashed = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| Error::Crypto(format!("cannot hash the password: {e}")))?;
            Some(hashed.map_err(Error::Crypto)?)
        }
        None if change.mode == PutMode::Create => return Err(Error::NoPassword),
        None => None,
    };
    let outcome = journal
        .put_user(&PutUser {
            name: name.clone(),
            role: change.role.as_str().to_owned(),
            password_hash,
            mode: change.mode,
            at_ms: change.now_ms,
            actor: change.actor.to_owned(),
            client: change.client.map(str::to_owned),
        })
        .await?;
    match outcome {
        PutUserOutcome::Exists => Err(Error::Exists(name)),
        PutUserOutcome::Missing if change.mode == PutMode::Update => Err(Error::Missing(name)),
        PutUserOutcome::Missing => Err(Error::NoPassword),
        done => Ok(done),
    }
}

/// Makes a new API token for `user` (audited) and returns it: shown once, only its hash is
/// stored. The token acts with the user's role, also after the role changes.
pub async fn create_token(
    journal: &Journal,
    user: &str,
    label: &str,
    actor: &str,
    client: Option<&str>,
    now_ms: i64,
) -> Result<String, Error> {
    let name = normalize_name(user);
    check_name(&name)?;
    let token = new_api_token().map_err(|e| Error::Crypto(format!("no randomness: {e}")))?;
    let label = if label.trim().is_empty() {
        format!("token of {name}")
    } else {
        label.trim().to_owned()
    };
    let stored = journal
        .add_user_token(&NewUserToken {
            hash: token_hash(&token),
            user: name.clone(),
            label,
            at_ms: now_ms,
            actor: actor.to_owned(),
            client: client.map(str::to_owned),
        })
        .await?;
    if stored {
        Ok(token)
    } else {
        Err(Error::Missing(name))
    }
}

/// Revokes `user`'s API tokens — only those labelled `label` when it is given — and audits it;
/// returns how many there were. Requests with them are refused from the next one on.
pub async fn revoke_tokens(
    journal: &Journal,
    user: &str,
    label: Option<&str>,
    actor: &str,
    client: Option<&str>,
    now_ms: i64,
) -> Result<u32, Error> {
    let name = normalize_name(user);
    check_name(&name)?;
    journal
        .revoke_tokens(&RevokeTokens {
            user: name.clone(),
            label: label.map(|l| l.trim().to_owned()),
            at_ms: now_ms,
            actor: actor.to_owned(),
            client: client.map(str::to_owned),
        })
        .await?
        .ok_or(Error::Missing(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_checked() {
        assert_eq!(normalize_name("  Chen.Jing "), "chen.jing");
        assert!(check_name("chen.jing").is_ok());
        assert!(check_name("陈静").is_ok());
        assert!(check_name("ops@shop-1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
