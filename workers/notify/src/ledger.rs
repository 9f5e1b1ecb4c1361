//! The contact ledger, `DATA/notify.db`: one row per `notify.send` call, keyed by the call's
//! idempotency key. It answers the three questions the function asks before it contacts a
//! buyer — did this call already finish (then its first result is the answer), when was this
//! buyer of this shop last contacted (the minimum gap), and is a send of this very call already
//! under way (an earlier attempt whose answer was lost: send again with the same `OutId`) — and
//! it reserves the contact in the same transaction, so two calls cannot both pass the gap.
//!
//! A row is `pending` from the reservation until the message is accepted (`sent`) or the
//! function decided not to send (`skipped`, with `sent: false` in its result). A pending row
//! counts as a contact: a send that may have gone out blocks the next one. It is deleted when
//! the provider said for certain that nothing went out.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use crate::error::Error;

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS contacts (
    key TEXT PRIMARY KEY,
    shop TEXT NOT NULL,
    buyer TEXT NOT NULL,
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    reminder INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'skipped')),
    at_ms INTEGER NOT NULL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS contacts_by_buyer ON contacts (shop, buyer, reminder, state, at_ms);
";

/// Where a call's row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Sent,
    Skipped,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Skipped => "skipped",
        }
    }
}

/// The call a row is about.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    /// The call's idempotency key.
    pub key: &'a str,
    /// The shop's name.
    pub shop: &'a str,
    /// The buyer's id on the platform (not a phone number).
    pub buyer: &'a str,
    /// The order the message is about.
    pub order_id: &'a str,
    /// `platform`, `sms` or `voice`.
    pub channel: &'a str,
    /// A reminder (counts in the gap) rather than a service message.
    pub reminder: bool,
}

/// What [`Ledger::begin`] decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// The call already finished: its first result.
    Replay(Value),
    /// Not sent (quiet hours, recent contact): this result, now stored for the key.
    Skipped(Value),
    /// Send: the contact is reserved (or was, by an earlier attempt of this call).
    Send,
}

/// The open ledger.
#[derive(Debug)]
pub struct Ledger {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Ledger {
    /// Opens or creates the SQLite file (WAL, `synchronous=FULL`: a reservation survives a
    /// power cut, or the gap could be broken after a crash).
    pub fn open(path: &Path) -> Result<Self, Error> {
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        Self::with(path, open)
    }

    /// A ledger in memory: nothing is kept after the process ends. For registries built only
    /// to list function names (`shopflow validate`, `shopflow schema`), which must not write.
    pub fn in_memory() -> Result<Self, Error> {
        let path = Path::new(":memory:");
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_in_memory()?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        Self::with(path, open)
    }

    /// The ledger on the connection `open` makes (named `path` in errors).
    fn with(
        path: &Path,
        open: impl FnOnce() -> rusqlite::Result<Connection>,
    ) -> Result<Self, Error> {
        let conn = open().map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled its transaction back; SQLite is consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stored result of the call `key`, once it finished.
    pub fn result(&self, key: &str) -> Result<Option<Value>, Error> {
        let conn = self.lock();
        Ok(stored_result(&conn, key)?)
    }

    /// In one transaction: the stored result of `c.key` if it finished; else, unless an
    /// earlier attempt of this call reserved the contact already, `decide(last)` with the time
    /// of the buyer's last reminder by another call (sent or pending; service messages do not
    /// count) — `Some(result)` records the call as skipped with that result, `None` reserves
    /// the contact.
    pub fn begin(
        &self,
        c: &Contact<'_>,
        now_ms: i64,
        decide: impl FnOnce(Option<i64>) -> Option<Value>,
    ) -> Result<Begin, Error> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT state, result FROM contacts WHERE key = ?1",
                [c.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match state {
            Some((state, Some(result))) if state != State::Pending.as_str() => {
                return Ok(Begin::Replay(parse(&result)));
            }
            Some(_) => return Ok(Begin::Send),
            None => {}
        }
        let last: Option<i64> = tx.query_row(
            "SELECT max(at_ms) FROM contacts WHERE shop = ?1 AND buyer = ?2 AND reminder = 1 \
             AND state IN ('pending', 'sent') AND key <> ?3",
            params![c.shop, c.buyer, c.key],
            |r| r.get(0),
        )?;
        let begin = match decide(last) {
            Some(result) => {
                insert(&tx, c, State::Skipped, now_ms, Some(&result))?;
                Begin::Skipped(result)
            }
            None => {
                insert(&tx, c, State::Pending, now_ms, None)?;
                Begin::Send
            }
        };
        tx.commit()?;
        Ok(begin)
    }

    /// Records the call as skipped with `result` (the contact it may have reserved is freed)
    /// and returns the call's result: `result`, or the one stored first.
    pub fn skip(&self, c: &Contact<'_>, now_ms: i64, result: &Value) -> Result<Value, Error> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(first) = stored_result(&tx, c.key)? {
            return Ok(first);
        }
        tx.execute("DELETE FROM contacts WHERE key = ?1", [c.key])?;
        insert(&tx, c, State::Skipped, now_ms, Some(result))?;
        tx.commit()?;
        Ok(result.clone())
    }

    /// Records the message of call `key` as accepted at `now_ms` (the time the gap counts
    /// from), with the call's result.
    pub fn sent(&self, key: &str, now_ms: i64, result: &Value) -> Result<(), Error> {
        let conn = self.lock();
        conn.execute(
            "UPDATE contacts SET state = ?2, at_ms = ?3, result = ?4 WHERE key = ?1",
            params![key, State::Sent.as_str(), now_ms, result.to_string()],
        )?;
        Ok(())
    }

    /// Frees the contact call `key` reserved: nothing was sent.
    pub fn release(&self, key: &str) -> Result<(), Error> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM contacts WHERE key = ?1 AND state = ?2",
            params![key, State::Pending.as_str()],
        )?;
        Ok(())
    }
}

fn stored_result(conn: &Connection, key: &str) -> rusqlite::Result<Option<Value>> {
    let row: Option<Option<String>> = conn
        .query_row(
            "SELECT result FROM contacts WHERE key = ?1 AND state <> 'pending'",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    Ok(row.flatten().map(|r| parse(&r)))
}

fn insert(
    conn: &Connection,
    c: &Contact<'_>,
    state: State,
    at_ms: i64,
    result: Option<&Value>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO contacts (key, shop, buyer, order_id, channel, reminder, state, at_ms, \
         result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            c.key,
            c.shop,
            c.buyer,
            c.order_id,
            c.channel,
            c.reminder,
            state.as_str(),
            at_ms,
            result.map(Value::to_string)
        ],
    )?;
    Ok(())
}

/// A stored result; we wrote it, so it is JSON (`null` if the file was edited by hand).
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const HOUR: i64 = 3_600_000;

    fn contact(key: &str) -> Contact<'_> {
        Contact {
            key,
            shop: "pdd",
            buyer: "buyer-1",
            order_id: "261124-1",
            channel: "sms",
            reminder: true,
        }
    }

    /// `decide` of notify.send reduced to the gap: skip when the last contact is recent.
    fn gap(now: i64) -> impl FnOnce(Option<i64>) -> Option<Value> {
        move |last| {
            last.filter(|l| now - l < 24 * HOUR)
                .map(|l| json!({"sent": false, "next": l + 24 * HOUR}))
        }
    }

    #[test]
    fn one_contact_per_gap_and_a_finished_call_replays() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("notify.db")).unwrap();
        assert_eq!(l.begin(&contact("a"), 0, gap(0)).unwrap(), Begin::Send);
        // Another call while the first is pending: the reservation counts.
        assert_eq!(
            l.begin(&contact("b"), HOUR, gap(HOUR)).unwrap(),
            Begin::Skipped(json!({"sent": false, "next": 24 * HOUR}))
        );
        // The first call's retry resumes its send; then it is sent at 2 h.
        assert_eq!(
            l.begin(&contact("a"), HOUR, gap(HOUR)).unwrap(),
            Begin::Send
        );
        l.sent("a", 2 * HOUR, &json!({"sent": true})).unwrap();
        assert_eq!(
            l.begin(&contact("a"), 3 * HOUR, gap(3 * HOUR)).unwrap(),
            Begin::Replay(json!({"sent": true}))
        );
        // "b" finished as skipped: its retry replays the skip even after the gap.
        assert_eq!(
            l.begin(&contact("b"), 30 * HOUR, gap(30 * HOUR)).unwrap(),
            Begin::Replay(json!({"sent": false, "next": 24 * HOUR}))
        );
        // The gap counts from the send (2 h): at 25 h another call is still too early.
        assert!(matches!(
            l.begin(&contact("c"), 25 * HOUR, gap(25 * HOUR)).unwrap(),
            Begin::Skipped(_)
        ));
        assert_eq!(
            l.begin(&contact("d"), 26 * HOUR, gap(26 * HOUR)).unwrap(),
            Begin::Send
        );
        // Other buyers and other shops are not affected.
        let other = Contact {
            buyer: "buyer-2",
            ..contact("e")
        };
        assert_eq!(
            l.begin(&other, 26 * HOUR, gap(26 * HOUR)).unwrap(),
            Begin::Send
        );
        // A service message is reserved and sent like any other but does not count.
        let service = Contact {
            reminder: false,
            ..contact("f")
        };
        assert_eq!(l.begin(&service, 27 * HOUR, |_| None).unwrap(), Begin::Send);
        l.sent("d", 27 * HOUR, &json!({"sent": true})).unwrap();
        l.sent("f", 40 * HOUR, &json!({"sent": true})).unwrap();
        let after_gap = 51 * HOUR + 1;
        assert_eq!(
            l.begin(&contact("g"), after_gap, gap(after_gap)).unwrap(),
            Begin::Send
        );
    }

    #[test]
    fn a_released_or_skipped_reservation_frees_the_buyer() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("notify.db")).unwrap();
        assert_eq!(l.begin(&contact("a"), 0, gap(0)).unwrap(), Begin::Send);
        l.release("a").unwrap();
        assert_eq!(l.begin(&contact("b"), 1, gap(1)).unwrap(), Begin::Send);
        let no_phone = json!({"sent": false, "reason": "no_channel"});
        assert_eq!(l.skip(&contact("b"), 2, &no_phone).unwrap(), no_phone);
        assert_eq!(l.result("b").unwrap(), Some(no_phone.clone()));
        // A second skip keeps the first result.
        assert_eq!(
            l.skip(&contact("b"), 3, &json!({"other": 1})).unwrap(),
            no_phone
        );
        assert_eq!(l.begin(&contact("c"), 4, gap(4)).unwrap(), Begin::Send);
        // Reopening the file keeps everything.
        drop(l);
        let l = Ledger::open(&dir.path().join("notify.db")).unwrap();
        assert_eq!(l.result("b").unwrap(), Some(no_phone));
        assert_eq!(l.result("c").unwrap(), None);
    }
}
