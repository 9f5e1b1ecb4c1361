//! The sandbox's SQLite file: one connection behind a mutex. Every gateway call holds it for
//! one short transaction (check the idempotency key, apply the effect, store the answer), which
//! is what makes a repeated key race-free without any other locking.

mod aliyun;
mod ledger;
mod orders;
mod pushes;
mod refunds;
mod schema;
mod shop_data;
mod tokens;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::error::Error;

pub(crate) use aliyun::AliyunMessage;
pub(crate) use ledger::{CallRow, EffectRow, StoredAnswer};
pub(crate) use pushes::{BodyBuilder, NewPush, PushRow, PushState};
pub(crate) use tokens::TokenCheck;

/// Table access, one module per concern.
pub(crate) mod table {
    pub(crate) use super::aliyun::*;
    pub(crate) use super::ledger::*;
    pub(crate) use super::orders::*;
    pub(crate) use super::pushes::*;
    pub(crate) use super::refunds::*;
    pub(crate) use super::shop_data::*;
    pub(crate) use super::tokens::*;
}

/// The open database.
pub(crate) struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens or creates `path` in WAL mode and creates the tables.
    pub(crate) fn open(path: &Path) -> Result<Self, Error> {
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch(schema::SCHEMA)?;
            Ok(conn)
        };
        let conn = open().map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The connection. A panic while it was held leaves SQLite consistent (the transaction
    /// rolls back), so a poisoned lock is taken over rather than propagated.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
