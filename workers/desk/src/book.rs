//! What the writer thread owns: the write connection, the routing state that mirrors the
//! tickets table, the checked settings and the clock. Operations run on it inside the
//! writer's transaction.

use std::sync::Arc;

use rusqlite::Connection;
use shopflow_connectors::client::Clock;

use crate::Error;
use crate::routing::{Routing, Waiting, place};
use crate::settings::Settings;
use crate::status::TicketStatus;

/// The writer's state.
pub struct Book {
    /// The write connection.
    pub conn: Connection,
    /// Loads and queues.
    pub routing: Routing,
    /// `[desk]`.
    pub settings: Arc<Settings>,
    clock: Clock,
    path: Arc<str>,
    /// Set when an operation queued an event; the writer signals after the commit.
    pub outbox_added: bool,
    /// The routing state may not match the database (a rebuild failed); rebuilt before the
    /// next batch.
    pub stale: bool,
}

impl Book {
    /// The state over `conn`, with routing read from its tickets.
    pub fn new(
        conn: Connection,
        settings: Arc<Settings>,
        clock: Clock,
        path: Arc<str>,
    ) -> Result<Book, Error> {
        let mut book = Book {
            conn,
            routing: Routing::default(),
            settings,
            clock,
            path,
            outbox_added: false,
            stale: true,
        };
        book.rebuild()?;
        Ok(book)
    }

    /// Now, on the desk's clock (ms).
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Maps a SQLite error while doing `op` (the closure does not borrow the book).
    pub fn err(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> Error + use<> {
        let path = Arc::clone(&self.path);
        move |e| Error::store(&path, op, &e)
    }

    /// Runs one statement without parameters (transaction control).
    pub fn exec(&self, sql: &str) -> Result<(), Error> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]).map(drop))
            .map_err(self.err("write"))
    }

    /// Reads loads, round-robin order and queues from the tickets table: held tickets per
    /// agent, each agent's latest assignment, tickets waiting. Uses the status and agent
    /// indexes, so it reads the open tickets only, not the history.
    pub fn rebuild(&mut self) -> Result<(), Error> {
        let f = self.err("read the open tickets");
        let mut routing = Routing::new(&self.settings.agents);
        let mut loads = std::collections::HashMap::<String, u32>::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT agent, count(*) FROM tickets
                     WHERE status IN ('assigned', 'escalated') AND agent IS NOT NULL
                     GROUP BY agent",
                )
                .map_err(&f)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
                .map_err(&f)?;
            for row in rows {
                let (agent, n) = row.map_err(&f)?;
                loads.insert(agent, n);
            }
        }
        let names: Vec<String> = routing
            .seats()
            .iter()
            .map(|s| s.agent.name.clone())
            .collect();
        for name in names {
            let last: Option<i64> = self
                .conn
                .prepare_cached("SELECT MAX(assign_seq) FROM tickets WHERE agent = ?1")
                .and_then(|mut s| s.query_row([&name], |r| r.get(0)))
                .map_err(&f)?;
            let load = loads.get(&name).copied().unwrap_or(0);
            routing.restore(&name, load, last.unwrap_or(0));
        }
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT seq, id, department, language, priority, status FROM tickets
                     WHERE status = 'queued'
                        OR (status = 'escalated' AND agent IS NULL)",
                )
                .map_err(&f)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        Waiting {
                            ticket_id: r.get(1)?,
                            department: r.get(2)?,
                            language: r.get(3)?,
                        },
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(&f)?;
            for row in rows {
                let (seq, waiting, priority, status) = row.map_err(&f)?;
                let escalated = status == TicketStatus::Escalated.as_str();
                routing.enqueue(place(priority, seq), waiting, escalated);
            }
        }
        self.routing = routing;
        self.stale = false;
        Ok(())
    }
}
