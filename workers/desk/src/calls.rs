//! Idempotency: the result of every side-effecting call, by the step's idempotency key, so a
//! retried step gets the first result and changes nothing again.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The stored result of `function` under `key`, if that call was made.
pub fn recall<T: DeserializeOwned>(
    conn: &Connection,
    function: &str,
    key: &str,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT result FROM calls WHERE key = ?1 AND function = ?2")?
        .query_row(params![key, function], |r| r.get(0))
        .optional()?;
    // A row this build cannot read (written by another version) counts as no row: the call
    // is made again, which every desk operation tolerates (they are idempotent by id too).
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Stores the result of `function` under `key`.
pub fn remember<T: Serialize>(
    conn: &Connection,
    function: &str,
    key: &str,
    result: &T,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let text = serde_json::to_string(result)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO calls (key, function, result, at_ms) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key, function, text, at_ms])?;
    Ok(())
}
