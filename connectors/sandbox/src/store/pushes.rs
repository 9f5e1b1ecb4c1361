//! Push messages waiting for (or past) delivery. A message keeps its id across every attempt and
//! connection: that id is what receivers de-duplicate on.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use shopflow_connectors::Platform;

/// Where a push message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PushState {
    /// Not sent yet (or no receiver reachable yet).
    Pending,
    /// Sent at least once over a WebSocket, not confirmed yet.
    Delivered,
    /// Confirmed (TMC confirm, PDD ack, webhook 2xx).
    Acked,
    /// A webhook that failed all its attempts.
    Failed,
}

impl PushState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Acked => "acked",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "acked" => Self::Acked,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// Builds a message's stored body from its id and the time it is stored.
pub(crate) type BodyBuilder = Box<dyn FnOnce(&str, i64) -> String + Send>;

/// A push message to store. `body` gets the message id to embed where the platform wants it.
pub(crate) struct NewPush {
    pub platform: Platform,
    pub shop: String,
    pub topic: String,
    pub body: BodyBuilder,
}

/// A stored push message.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PushRow {
    pub id: i64,
    pub msg_id: String,
    pub platform: String,
    pub shop: String,
    pub topic: String,
    #[serde(skip)]
    pub body: String,
    pub state: PushState,
    pub attempts: i64,
    pub created_ms: i64,
}

const COLUMNS: &str = "id, msg_id, platform, shop, topic, body, state, attempts, created_ms";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PushRow> {
    let state: String = r.get(6)?;
    Ok(PushRow {
        id: r.get(0)?,
        msg_id: r.get(1)?,
        platform: r.get(2)?,
        shop: r.get(3)?,
        topic: r.get(4)?,
        body: r.get(5)?,
        state: PushState::parse(&state),
        attempts: r.get(7)?,
        created_ms: r.get(8)?,
    })
}

/// The message id for row `id` in the platform's style.
fn msg_id(platform: Platform, id: i64, at_ms: i64) -> String {
    match platform {
        // TMC ids are long decimal strings.
        Platform::Taobao => format!("{at_ms}{id:08}"),
        // PDD message ids are the numbers the Ack names.
        Platform::Pdd => id.to_string(),
        Platform::Douyin => format!("{at_ms}{id:06}"),
        // Shopify webhook ids are UUIDs.
        _ => {
            let h =
                crate::ids::Rng::new(u64::try_from(id).unwrap_or(0) ^ at_ms.unsigned_abs()).next();
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                h >> 32,
                (h >> 16) & 0xFFFF,
                h & 0xFFF,
                (h >> 20) & 0xFFF,
                u64::try_from(id).unwrap_or(0)
            )
        }
    }
}

/// Stores a new message and returns its row.
pub(crate) fn insert_push(conn: &Connection, p: NewPush, at_ms: i64) -> rusqlite::Result<PushRow> {
    // The caller holds the store's lock, so the next row id cannot be taken by anyone else.
    let next: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM pushes", [], |r| {
        r.get(0)
    })?;
    let id_text = msg_id(p.platform, next, at_ms);
    let body = (p.body)(&id_text, at_ms);
    conn.execute(
        "INSERT INTO pushes (id, msg_id, platform, shop, topic, body, state, attempts, created_ms, updated_ms) \
         VALUES (?1,?2,?3,?4,?5,?6,'pending',0,?7,?7)",
        params![next, id_text, p.platform.as_str(), p.shop, p.topic, body, at_ms],
    )?;
    Ok(PushRow {
        id: next,
        msg_id: id_text,
        platform: p.platform.as_str().to_owned(),
        shop: p.shop,
        topic: p.topic,
        body,
        state: PushState::Pending,
        attempts: 0,
        created_ms: at_ms,
    })
}

/// One message by row id.
pub(crate) fn push(conn: &Connection, id: i64) -> rusqlite::Result<Option<PushRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM pushes WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()
}

/// Every message, oldest first.
pub(crate) fn pushes(conn: &Connection) -> rusqlite::Result<Vec<PushRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM pushes ORDER BY id"))?;
    stmt.query_map([], from_row)?.collect()
}

/// The unconfirmed messages of the given shops, oldest first.
pub(crate) fn unconfirmed(conn: &Connection, shops: &[String]) -> rusqlite::Result<Vec<PushRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM pushes WHERE shop = ?1 AND state IN ('pending', 'delivered') ORDER BY id"
    ))?;
    let mut out = Vec::new();
    for shop in shops {
        out.extend(
            stmt.query_map(params![shop], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        );
    }
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// Webhook messages still waiting for delivery (resumed when the sandbox starts serving).
pub(crate) fn pending_webhooks(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM pushes WHERE platform IN ('shopify', 'douyin') AND state = 'pending' ORDER BY id",
    )?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Counts one more attempt and sets the state.
pub(crate) fn mark_attempt(
    conn: &Connection,
    id: i64,
    state: PushState,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE pushes SET attempts = attempts + 1, updated_ms = ?3, \
         state = CASE WHEN state = 'acked' THEN 'acked' ELSE ?2 END WHERE id = ?1",
        params![id, state.as_str(), at_ms],
    )?;
    Ok(())
}

/// Confirms a message by its id text, for the shops a connection serves. Confirming twice is
/// fine; `false` if no such message.
pub(crate) fn confirm(
    conn: &Connection,
    msg_id: &str,
    shops: &[String],
    at_ms: i64,
) -> rusqlite::Result<bool> {
    let mut n = 0;
    for shop in shops {
        n += conn.execute(
            "UPDATE pushes SET state = 'acked', updated_ms = ?3 WHERE msg_id = ?1 AND shop = ?2",
            params![msg_id, shop, at_ms],
        )?;
    }
    Ok(n > 0)
}
