//! Orders: insert, read, list, and the status changes the control API and refunds make.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::model::{Order, OrderStatus};

const COLUMNS: &str = "shop, order_id, platform, status, presale, buyer_nick, buyer_id, \
    receiver_name, receiver_phone, province, city, district, address, zip, email, items, \
    post_fee_fen, refunded_fen, created_ms, paid_ms, shipped_ms, finished_ms, closed_ms, \
    close_deadline_ms";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    let text = |i: usize| row.get::<_, String>(i);
    let platform: String = row.get(2)?;
    let status: String = row.get(3)?;
    let items: String = row.get(15)?;
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad {what}").into(),
        )
    };
    Ok(Order {
        shop: text(0)?,
        order_id: text(1)?,
        platform: platform.parse().map_err(|_| bad(2, "platform"))?,
        status: OrderStatus::parse(&status).ok_or_else(|| bad(3, "status"))?,
        presale: row.get::<_, i64>(4)? != 0,
        buyer_nick: text(5)?,
        buyer_id: text(6)?,
        receiver_name: text(7)?,
        receiver_phone: text(8)?,
        province: text(9)?,
        city: text(10)?,
        district: text(11)?,
        address: text(12)?,
        zip: text(13)?,
        email: text(14)?,
        items: serde_json::from_str(&items).map_err(|_| bad(15, "items"))?,
        post_fee_fen: row.get(16)?,
        refunded_fen: row.get(17)?,
        created_ms: row.get(18)?,
        paid_ms: row.get(19)?,
        shipped_ms: row.get(20)?,
        finished_ms: row.get(21)?,
        closed_ms: row.get(22)?,
        close_deadline_ms: row.get(23)?,
    })
}

/// Stores a new order; `false` if one with that id already exists (left unchanged).
pub(crate) fn insert_order(conn: &Connection, o: &Order) -> rusqlite::Result<bool> {
    let items = serde_json::to_string(&o.items).unwrap_or_else(|_| "[]".into());
    let n = conn.execute(
        &format!(
            "INSERT OR IGNORE INTO orders ({COLUMNS}) VALUES \
             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24)"
        ),
        params![
            o.shop,
            o.order_id,
            o.platform.as_str(),
            o.status.as_str(),
            i64::from(o.presale),
            o.buyer_nick,
            o.buyer_id,
            o.receiver_name,
            o.receiver_phone,
            o.province,
            o.city,
            o.district,
            o.address,
            o.zip,
            o.email,
            items,
            o.post_fee_fen,
            o.refunded_fen,
            o.created_ms,
            o.paid_ms,
            o.shipped_ms,
            o.finished_ms,
            o.closed_ms,
            o.close_deadline_ms,
        ],
    )?;
    Ok(n == 1)
}

/// The order `order_id` of `shop`.
pub(crate) fn order(
    conn: &Connection,
    shop: &str,
    order_id: &str,
) -> rusqlite::Result<Option<Order>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM orders WHERE shop = ?1 AND order_id = ?2"),
        params![shop, order_id],
        from_row,
    )
    .optional()
}

/// A page of `shop`'s orders (newest first), optionally only those in `status`, and the count.
pub(crate) fn orders_page(
    conn: &Connection,
    shop: &str,
    status: Option<OrderStatus>,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<(Vec<Order>, i64)> {
    let status = status.map(OrderStatus::as_str);
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM orders WHERE shop = ?1 AND (?2 IS NULL OR status = ?2)",
        params![shop, status],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM orders WHERE shop = ?1 AND (?2 IS NULL OR status = ?2) \
         ORDER BY created_ms DESC, order_id LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(params![shop, status, limit, offset], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Moves an order to `status`, stamping the matching time.
pub(crate) fn set_order_status(
    conn: &Connection,
    shop: &str,
    order_id: &str,
    status: OrderStatus,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let column = match status {
        OrderStatus::Unpaid => "created_ms",
        OrderStatus::Paid => "paid_ms",
        OrderStatus::Shipped => "shipped_ms",
        OrderStatus::Finished => "finished_ms",
        OrderStatus::Closed => "closed_ms",
    };
    conn.execute(
        &format!("UPDATE orders SET status = ?3, {column} = ?4 WHERE shop = ?1 AND order_id = ?2"),
        params![shop, order_id, status.as_str(), at_ms],
    )?;
    Ok(())
}

/// Adds a refunded amount to an order.
pub(crate) fn add_refunded(
    conn: &Connection,
    shop: &str,
    order_id: &str,
    fen: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE orders SET refunded_fen = refunded_fen + ?3 WHERE shop = ?1 AND order_id = ?2",
        params![shop, order_id, fen],
    )?;
    Ok(())
}
