//! The journal a process shares between its runs, with what the journal itself does not
//! offer: finding unconsumed events and waking the runs that wait for one.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use shopflow_core::CloudEvent;
use tokio::sync::Notify;

use crate::journal::{Error, EventInsert, Journal, NewEvent, Options};

/// Events that no `listen` has consumed yet, oldest first. An event is consumed when a
/// journaled step result names its id under `consumed_event_id` (the journal's writer has no
/// row that sets `consumed_by`, so the journaled claim is the record of consumption).
const UNCONSUMED_EVENTS: &str = "SELECT body FROM events \
     WHERE consumed_by IS NULL AND id NOT IN ( \
         SELECT json_extract(result, '$.consumed_event_id') FROM steps \
         WHERE json_type(result, '$.consumed_event_id') = 'text') \
     ORDER BY seq";

/// An open journal plus an event read connection and the in-process wake-up for listeners.
///
/// One per database file and process (the journal's lock enforces it); share it in an
/// [`Arc`](std::sync::Arc) between the runs' contexts.
#[derive(Debug)]
pub struct Store {
    journal: Journal,
    events: Mutex<Connection>,
    path: String,
    arrived: Notify,
    /// Held while a listener picks an event and journals its claim, so two listeners of this
    /// process never take the same event.
    claim: tokio::sync::Mutex<()>,
}

impl Store {
    /// Opens (creating if missing) the journal at `path`.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store, Error> {
        let path = path.as_ref();
        let journal = Journal::open(path, options.clone())?;
        let fail = |op| move |e| Error::sqlite(op, path, &e);
        let events = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail("open the event read connection"))?;
        events
            .busy_timeout(options.busy_timeout)
            .map_err(fail("set the busy timeout"))?;
        Ok(Store {
            journal,
            events: Mutex::new(events),
            path: path.display().to_string(),
            arrived: Notify::new(),
            claim: tokio::sync::Mutex::new(()),
        })
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Stores an event in the inbox (durable when this returns) and wakes the listeners.
    pub async fn publish(&self, event: &NewEvent) -> Result<EventInsert, Error> {
        let inserted = self.journal.insert_event(event).await?;
        self.arrived.notify_waiters();
        Ok(inserted)
    }

    /// Events no listen has consumed yet, oldest first (a short blocking read).
    pub fn unconsumed_events(&self) -> Result<Vec<CloudEvent>, Error> {
        let conn = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |e| Error::sqlite("list unconsumed events", Path::new(&self.path), &e);
        let mut stmt = conn.prepare_cached(UNCONSUMED_EVENTS).map_err(fail)?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(fail)?;
        let mut events = Vec::new();
        for row in rows {
            let body = row.map_err(fail)?;
            let event: Value = serde_json::from_str(&body).map_err(|e| Error::Decode {
                what: "an inbox event".to_owned(),
                message: e.to_string(),
            })?;
            events.push(event);
        }
        Ok(events)
    }

    /// Wakes for the next [`publish`](Self::publish); create it before looking, so an event
    /// published in between is not missed.
    pub(crate) fn arrived(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }

    /// Serialises picking and claiming events in this process.
    pub(crate) async fn claim(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.claim.lock().await
    }
}
