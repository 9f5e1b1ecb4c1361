//! `DATA/invoice.db`: the durable number sequences and, per step idempotency key, the invoice
//! that step rendered — so a retried or replayed step gets the same number and the same PDF,
//! and no number is ever given out twice.
//!
//! A number is reserved (and the reservation committed, WAL with `synchronous=FULL`) before
//! the PDF is rendered; a crash in between leaves a reservation without a PDF, which the next
//! attempt of the same step renders with the same number.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use shopflow_core::Artifact;

use crate::error::Error;

/// `application_id` of the file (`SFIV`), so another SQLite file is not mistaken for it.
const APPLICATION_ID: i32 = 0x5346_4956;
const SCHEMA_VERSION: i32 = 1;
/// The largest 15-digit sequence number.
const MAX_SEQUENCE: i64 = 999_999_999_999_999;

/// What a step holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The invoice number.
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    /// The rendered PDF, once there is one.
    pub pdf: Option<Artifact>,
}

/// What to reserve when the key has nothing yet.
pub enum Wanted<'a> {
    /// This number, given by the flow.
    Given(&'a str),
    /// The next number after `prefix` (year, province, channel: 5 digits).
    Next {
        /// The first five digits.
        prefix: &'a str,
    },
}

/// The open database.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

impl Ledger {
    /// Opens (or makes) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let fail = |e: &dyn std::fmt::Display| Error::Ledger {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail(&e))?;
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        let version: i32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(&e))?;
        match (app, version) {
            (0, 0) => {
                conn.execute_batch(&format!(
                    "BEGIN;
                     CREATE TABLE IF NOT EXISTS sequence (
                         prefix TEXT PRIMARY KEY,
                         last INTEGER NOT NULL
                     ) STRICT;
                     CREATE TABLE IF NOT EXISTS issued (
                         idempotency_key TEXT PRIMARY KEY,
                         args_sha256 TEXT NOT NULL,
                         invoice_number TEXT NOT NULL,
                         issue_date TEXT NOT NULL,
                         pdf TEXT
                     ) STRICT;
                     PRAGMA application_id = {APPLICATION_ID};
                     PRAGMA user_version = {SCHEMA_VERSION};
                     COMMIT;"
                ))
                .map_err(|e| fail(&e))?;
            }
            (APPLICATION_ID, SCHEMA_VERSION) => {}
            (APPLICATION_ID, v) => {
                return Err(fail(&format!(
                    "schema version {v} is not {SCHEMA_VERSION}; use the shopflow that wrote it"
                )));
            }
            _ => {
                return Err(fail(
                    &"is not an invoice ledger (another SQLite file?); move it away or point the data directory elsewhere",
                ));
            }
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    fn fail(&self, e: &dyn std::fmt::Display) -> Error {
        Error::Ledger {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// What `key` holds, or a new reservation: `wanted` on `issue_date`, made durable before
    /// this returns. A key that holds an invoice made from other arguments (`args_sha256`) is
    /// a [`Error::Conflict`].
    pub fn reserve(
        &mut self,
        key: &str,
        args_sha256: &str,
        issue_date: &str,
        wanted: Wanted<'_>,
    ) -> Result<Reservation, Error> {
        let path = self.path.display().to_string();
        let fail = |e: rusqlite::Error| Error::Ledger {
            path: path.clone(),
            message: e.to_string(),
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let existing = tx
            .query_row(
                "SELECT args_sha256, invoice_number, issue_date, pdf FROM issued WHERE idempotency_key = ?1",
                params![key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(fail)?;
        if let Some((sha, number, issue_date, pdf)) = existing {
            if sha != args_sha256 {
                return Err(Error::Conflict { number });
            }
            let pdf = pdf.and_then(|text| serde_json::from_str(&text).ok());
            return Ok(Reservation {
                number,
                issue_date,
                pdf,
            });
        }
        let number = match wanted {
            Wanted::Given(n) => n.to_owned(),
            Wanted::Next { prefix } => {
                let last: Option<i64> = tx
                    .query_row(
                        "SELECT last FROM sequence WHERE prefix = ?1",
                        params![prefix],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(fail)?;
                let next = last.unwrap_or(0) + 1;
                if next > MAX_SEQUENCE {
                    return Err(Error::Exhausted {
                        prefix: prefix.to_owned(),
                    });
                }
                tx.execute(
                    "INSERT INTO sequence (prefix, last) VALUES (?1, ?2)
                     ON CONFLICT (prefix) DO UPDATE SET last = excluded.last",
                    params![prefix, next],
                )
                .map_err(fail)?;
                format!("{prefix}{next:015}")
            }
        };
        tx.execute(
            "INSERT INTO issued (idempotency_key, args_sha256, invoice_number, issue_date) VALUES (?1, ?2, ?3, ?4)",
            params![key, args_sha256, number, issue_date],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(Reservation {
            number,
            issue_date: issue_date.to_owned(),
            pdf: None,
        })
    }

    /// Records the PDF `key` rendered.
    pub fn set_pdf(&mut self, key: &str, pdf: &Artifact) -> Result<(), Error> {
        let text = serde_json::to_string(pdf).map_err(|e| self.fail(&e))?;
        self.conn
            .execute(
                "UPDATE issued SET pdf = ?2 WHERE idempotency_key = ?1",
                params![key, text],
            )
            .map_err(|e| self.fail(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_durable_and_idempotent_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("invoice.db");
        let next = Wanted::Next { prefix: "26332" };
        let mut l = Ledger::open(&path).unwrap();
        let a = l.reserve("k1", "h1", "2026-11-26", next).unwrap();
        assert_eq!(a.number, "26332000000000000001");
        assert_eq!(a.pdf, None);
        let pdf = Artifact {
            artifact: format!("sha256:{}", "a".repeat(64)),
            media_type: "application/pdf".into(),
            size: 3,
            name: "x.pdf".into(),
        };
        l.set_pdf("k1", &pdf).unwrap();
        drop(l);

        let mut l = Ledger::open(&path).unwrap();
        let again = l
            .reserve("k1", "h1", "2026-11-27", Wanted::Next { prefix: "26332" })
            .unwrap();
        assert_eq!(again.number, a.number);
        assert_eq!(again.issue_date, "2026-11-26", "the first attempt's date");
        assert_eq!(again.pdf, Some(pdf));
        let b = l
            .reserve("k2", "h2", "2026-11-26", Wanted::Next { prefix: "26332" })
            .unwrap();
        assert_eq!(b.number, "26332000000000000002");
        let other_year = l
            .reserve("k3", "h3", "2027-01-01", Wanted::Next { prefix: "27332" })
            .unwrap();
        assert_eq!(other_year.number, "27332000000000000001");
        let given = l
            .reserve(
                "k4",
                "h4",
                "2026-11-26",
                Wanted::Given("26332000000000009999"),
            )
            .unwrap();
        assert_eq!(given.number, "26332000000000009999");
        assert!(matches!(
            l.reserve(
                "k1",
                "other",
                "2026-11-26",
                Wanted::Next { prefix: "26332" }
            ),
            Err(Error::Conflict { .. })
        ));
    }

    #[test]
    fn refuses_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA application_id = 7;")
            .unwrap();
        let e = Ledger::open(&path).err().unwrap().to_string();
        assert!(e.contains("is not an invoice ledger"), "{e}");
    }
}
