//! [`Desk`]: the service desk over `DATA/desk.db`. Changes go through the group-commit
//! writer (one thread, one transaction per batch); the REST API's lists read through a
//! separate read-only connection, so reading never holds up routing.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use serde_json::Value;
use shopflow_connectors::Config;
use shopflow_connectors::client::Clock;
use tokio::sync::Notify;

use crate::assign::{Assignment, TicketRequest};
use crate::audit::{self, Entry, Subject};
use crate::book::Book;
use crate::escalate::Escalation;
use crate::resolve::Resolution;
use crate::review::{NewTask, Opened, Reminder};
use crate::settings::{DeskSettings, Settings};
use crate::task::{Decision, Task, TaskFilter};
use crate::ticket::{Ticket, TicketFilter};
use crate::writer::Writer;
use crate::{Error, fill, outbox, schema};

/// The desk's file in the data directory.
pub const FILE_NAME: &str = "desk.db";

/// The service desk.
pub struct Desk {
    writer: Writer,
    reader: Mutex<Connection>,
    settings: Arc<Settings>,
    clock: Clock,
    outbox: Arc<Notify>,
    path: Arc<str>,
}

impl Desk {
    /// Opens (creating) the desk database at `path` with `settings`; reads the open tickets
    /// back, and hands waiting tickets to seats that have room (caps may have grown since the
    /// last start).
    pub fn open(
        path: impl AsRef<Path>,
        settings: DeskSettings,
        clock: Clock,
    ) -> Result<Desk, Error> {
        let path = path.as_ref();
        let settings = check(settings)?;
        let conn = schema::open_writer(path)?;
        let reader = schema::open_reader(path)?;
        Desk::start(
            conn,
            reader,
            settings,
            clock,
            Arc::from(path.display().to_string()),
        )
    }

    /// A desk in memory that nothing outlives, for a registry built only to list functions
    /// (`shopflow schema`).
    pub fn in_memory(settings: DeskSettings, clock: Clock) -> Result<Desk, Error> {
        let settings = check(settings)?;
        let (conn, reader, name) = schema::open_memory()?;
        Desk::start(conn, reader, settings, clock, Arc::from(name))
    }

    fn start(
        conn: Connection,
        reader: Connection,
        settings: Arc<Settings>,
        clock: Clock,
        at: Arc<str>,
    ) -> Result<Desk, Error> {
        let mut book = Book::new(
            conn,
            Arc::clone(&settings),
            Arc::clone(&clock),
            Arc::clone(&at),
        )?;
        let handed = Writer::run_now(&mut book, fill::fill_all)?;
        if handed > 0 {
            tracing::info!(tickets = handed, "waiting tickets assigned at start");
        }
        let outbox = Arc::new(Notify::new());
        if handed > 0 {
            outbox.notify_one();
        }
        let writer = Writer::start(book, Arc::clone(&outbox))?;
        Ok(Desk {
            writer,
            reader: Mutex::new(reader),
            settings,
            clock,
            outbox,
            path: at,
        })
    }

    /// The desk of a running shopflow: `[desk]` of `config` (none: no agents, default SLAs)
    /// over `data_dir/desk.db`. The error names the file and the key that is wrong.
    pub fn from_config(config: &Config, data_dir: &Path, clock: Clock) -> Result<Desk, Error> {
        let raw = config
            .section::<DeskSettings>("desk")
            .map_err(|e| Error::Config(e.to_string()))?
            .unwrap_or_default();
        Desk::open(data_dir.join(FILE_NAME), raw, clock).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", config.path.display())),
            other => other,
        })
    }

    /// The checked `[desk]`.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Now on the desk's clock (ms).
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// The VIP tier of `buyer` in `shop`, if the `[desk]` VIP list has them.
    pub fn vip_tier(&self, shop: &str, buyer: &str) -> Option<&str> {
        self.settings.vip_tier(shop, buyer)
    }

    /// Routes a new ticket (`ticket.assign`).
    pub async fn assign(&self, request: TicketRequest, key: &str) -> Result<Assignment, Error> {
        let key = key.to_owned();
        self.writer
            .call(move |book| crate::assign::assign(book, request, &key))
            .await
    }

    /// Escalates a ticket (`ticket.escalate`).
    pub async fn escalate(
        &self,
        ticket_id: &str,
        reason: &str,
        key: &str,
    ) -> Result<Escalation, Error> {
        let (id, reason, key) = (ticket_id.to_owned(), reason.to_owned(), key.to_owned());
        self.writer
            .call(move |book| crate::escalate::escalate(book, &id, &reason, &key))
            .await
    }

    /// Resolves a ticket, as `by`; its event waits in the outbox ([`Desk::pending_events`]).
    pub async fn resolve(&self, ticket_id: &str, by: &str) -> Result<Resolution, Error> {
        let by = nonempty("by", by)?;
        let id = ticket_id.to_owned();
        self.writer
            .call(move |book| crate::resolve::resolve(book, &id, &by))
            .await
    }

    /// Opens a human task (`task.open`).
    pub async fn open_task(&self, task: NewTask, key: &str) -> Result<Opened, Error> {
        let key = key.to_owned();
        self.writer
            .call(move |book| crate::review::open(book, task, &key))
            .await
    }

    /// Counts a reminder on a task (`task.remind`).
    pub async fn remind(&self, task_id: &str, key: &str) -> Result<Reminder, Error> {
        let (id, key) = (task_id.to_owned(), key.to_owned());
        self.writer
            .call(move |book| crate::review::remind(book, &id, &key))
            .await
    }

    /// Records a person's decision on a task; its event waits in the outbox.
    pub async fn decide(&self, task_id: &str, decision: Decision) -> Result<Task, Error> {
        nonempty("by", &decision.by)?;
        if !decision.changes.is_object() {
            return Err(Error::invalid("changes", "must be an object"));
        }
        let id = task_id.to_owned();
        self.writer
            .call(move |book| crate::review::decide(book, &id, decision))
            .await
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        // A panic while reading leaves the connection usable: reads change nothing.
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read_err(&self) -> impl Fn(rusqlite::Error) -> Error + use<> {
        let path = Arc::clone(&self.path);
        move |e| Error::store(&path, "read", &e)
    }

    /// One ticket with its audit log.
    pub fn ticket(&self, id: &str) -> Result<Option<(Ticket, Vec<Entry>)>, Error> {
        let conn = self.reader();
        let f = self.read_err();
        let Some(ticket) = Ticket::get(&conn, id).map_err(&f)? else {
            return Ok(None);
        };
        let log = audit::history(&conn, Subject::Ticket, id).map_err(&f)?;
        Ok(Some((ticket, log)))
    }

    /// Tickets matching `filter`, newest first.
    pub fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, Error> {
        Ticket::list(&self.reader(), filter).map_err(self.read_err())
    }

    /// One task with its audit log.
    pub fn task(&self, id: &str) -> Result<Option<(Task, Vec<Entry>)>, Error> {
        let conn = self.reader();
        let f = self.read_err();
        let Some(task) = Task::get(&conn, id).map_err(&f)? else {
            return Ok(None);
        };
        let log = audit::history(&conn, Subject::Task, id).map_err(&f)?;
        Ok(Some((task, log)))
    }

    /// Tasks matching `filter`, oldest first.
    pub fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>, Error> {
        Task::list(&self.reader(), filter).map_err(self.read_err())
    }

    /// CloudEvents waiting to be published into the engine, oldest first, with the number to
    /// pass to [`Desk::delivered`].
    pub fn pending_events(&self) -> Result<Vec<(i64, Value)>, Error> {
        outbox::pending(&self.reader()).map_err(self.read_err())
    }

    /// Forgets events the engine has journaled.
    pub async fn delivered(&self, seqs: Vec<i64>) -> Result<(), Error> {
        if seqs.is_empty() {
            return Ok(());
        }
        self.writer
            .call(move |book| {
                outbox::remove(&book.conn, &seqs).map_err(book.err("empty the outbox"))
            })
            .await
    }

    /// Waits until a commit has put events in the outbox (returns at once if one did since
    /// the last wait).
    pub async fn events_queued(&self) {
        self.outbox.notified().await;
    }
}

fn check(settings: DeskSettings) -> Result<Arc<Settings>, Error> {
    Settings::check(settings)
        .map(Arc::new)
        .map_err(|m| Error::Config(format!("[desk] {m}")))
}

fn nonempty(field: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, "must be a non-empty string"));
    }
    Ok(v.to_owned())
}
