//! Refunds / after-sales / Shopify returns.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::model::{Refund, RefundKind, RefundStatus};

const COLUMNS: &str =
    "shop, refund_id, order_id, line_id, kind, status, amount_fen, reason, created_ms, updated_ms";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Refund> {
    let kind: String = row.get(4)?;
    let status: String = row.get(5)?;
    let bad = |i: usize| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            "bad refund kind or status".into(),
        )
    };
    Ok(Refund {
        shop: row.get(0)?,
        refund_id: row.get(1)?,
        order_id: row.get(2)?,
        line_id: row.get(3)?,
        kind: RefundKind::parse(&kind).ok_or_else(|| bad(4))?,
        status: RefundStatus::parse(&status).ok_or_else(|| bad(5))?,
        amount_fen: row.get(6)?,
        reason: row.get(7)?,
        created_ms: row.get(8)?,
        updated_ms: row.get(9)?,
    })
}

/// Stores a new refund; `false` if the id is taken.
pub(crate) fn insert_refund(conn: &Connection, r: &Refund) -> rusqlite::Result<bool> {
    let n = conn.execute(
        &format!(
            "INSERT OR IGNORE INTO refunds ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
        ),
        params![
            r.shop,
            r.refund_id,
            r.order_id,
            r.line_id,
            r.kind.as_str(),
            r.status.as_str(),
            r.amount_fen,
            r.reason,
            r.created_ms,
            r.updated_ms
        ],
    )?;
    Ok(n == 1)
}

/// The refund `refund_id` of `shop`.
pub(crate) fn refund(
    conn: &Connection,
    shop: &str,
    refund_id: &str,
) -> rusqlite::Result<Option<Refund>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM refunds WHERE shop = ?1 AND refund_id = ?2"),
        params![shop, refund_id],
        from_row,
    )
    .optional()
}

/// The refunds of one order, oldest first.
pub(crate) fn refunds_of(
    conn: &Connection,
    shop: &str,
    order_id: &str,
) -> rusqlite::Result<Vec<Refund>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE shop = ?1 AND order_id = ?2 ORDER BY created_ms, refund_id"
    ))?;
    stmt.query_map(params![shop, order_id], from_row)?.collect()
}

/// Moves a refund to `status`.
pub(crate) fn set_refund_status(
    conn: &Connection,
    shop: &str,
    refund_id: &str,
    status: RefundStatus,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE refunds SET status = ?3, updated_ms = ?4 WHERE shop = ?1 AND refund_id = ?2",
        params![shop, refund_id, status.as_str(), at_ms],
    )?;
    Ok(())
}
