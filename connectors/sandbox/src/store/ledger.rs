//! What happened: every call received (and how it ended), every effect applied, and the first
//! answer given for each idempotency key (replayed byte for byte on a repeat).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// One received gateway call.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CallRow {
    pub seq: i64,
    pub shop: Option<String>,
    pub app_key: String,
    pub platform: String,
    pub method: String,
    /// `ok`, `rejected:<reason>` or `fault:<kind>`.
    pub outcome: String,
    /// Answered from the stored first answer of its idempotency key.
    pub replayed: bool,
    pub at_ms: i64,
}

/// One applied effect.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EffectRow {
    pub seq: i64,
    pub shop: String,
    pub platform: String,
    pub method: String,
    pub target: String,
    pub key: Option<String>,
    pub at_ms: i64,
    /// The business parameters, secrets and file contents left out.
    pub summary: serde_json::Value,
}

/// An answer kept for its idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct StoredAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Records a call.
pub(crate) fn insert_call(conn: &Connection, c: &CallRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO calls (shop, app_key, platform, method, outcome, replayed, at_ms) \
         VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![
            c.shop,
            c.app_key,
            c.platform,
            c.method,
            c.outcome,
            i64::from(c.replayed),
            c.at_ms
        ],
    )?;
    Ok(())
}

/// The calls, oldest first, optionally of one shop.
pub(crate) fn calls(conn: &Connection, shop: Option<&str>) -> rusqlite::Result<Vec<CallRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, shop, app_key, platform, method, outcome, replayed, at_ms FROM calls \
         WHERE ?1 IS NULL OR shop = ?1 OR app_key = ?1 ORDER BY seq",
    )?;
    stmt.query_map(params![shop], |r| {
        Ok(CallRow {
            seq: r.get(0)?,
            shop: r.get(1)?,
            app_key: r.get(2)?,
            platform: r.get(3)?,
            method: r.get(4)?,
            outcome: r.get(5)?,
            replayed: r.get::<_, i64>(6)? != 0,
            at_ms: r.get(7)?,
        })
    })?
    .collect()
}

/// Records an effect.
pub(crate) fn insert_effect(conn: &Connection, e: &EffectRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO effects (shop, platform, method, target, key, at_ms, summary) \
         VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![
            e.shop,
            e.platform,
            e.method,
            e.target,
            e.key,
            e.at_ms,
            e.summary.to_string()
        ],
    )?;
    Ok(())
}

/// The effects, oldest first, optionally of one shop.
pub(crate) fn effects(conn: &Connection, shop: Option<&str>) -> rusqlite::Result<Vec<EffectRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, shop, platform, method, target, key, at_ms, summary FROM effects \
         WHERE ?1 IS NULL OR shop = ?1 ORDER BY seq",
    )?;
    stmt.query_map(params![shop], |r| {
        let summary: String = r.get(7)?;
        Ok(EffectRow {
            seq: r.get(0)?,
            shop: r.get(1)?,
            platform: r.get(2)?,
            method: r.get(3)?,
            target: r.get(4)?,
            key: r.get(5)?,
            at_ms: r.get(6)?,
            summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
        })
    })?
    .collect()
}

/// The first answer given for `key` on `method` of `shop`.
pub(crate) fn stored_answer(
    conn: &Connection,
    shop: &str,
    method: &str,
    key: &str,
) -> rusqlite::Result<Option<StoredAnswer>> {
    conn.query_row(
        "SELECT status, headers, body FROM answers WHERE shop = ?1 AND method = ?2 AND key = ?3",
        params![shop, method, key],
        |r| {
            let headers: String = r.get(1)?;
            Ok(StoredAnswer {
                status: u16::try_from(r.get::<_, i64>(0)?).unwrap_or(500),
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                body: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Keeps the first answer for `key`.
pub(crate) fn store_answer(
    conn: &Connection,
    shop: &str,
    method: &str,
    key: &str,
    answer: &StoredAnswer,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let headers = serde_json::to_string(&answer.headers).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "INSERT OR IGNORE INTO answers (shop, method, key, status, headers, body, at_ms) \
         VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![
            shop,
            method,
            key,
            answer.status,
            headers,
            answer.body,
            at_ms
        ],
    )?;
    Ok(())
}
