//! A shop's other records: return addresses, buyer messages sent, invoices uploaded and the
//! buyers' invoice applications (PDD).

use rusqlite::{Connection, params};

use crate::model::{InvoiceApplication, ReturnAddress};

/// Stores a return address (replacing one with the same id).
pub(crate) fn insert_address(conn: &Connection, a: &ReturnAddress) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO return_addresses \
         (shop, address_id, name, phone, province, city, district, detail, is_default) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
        params![
            a.shop,
            a.address_id,
            a.name,
            a.phone,
            a.province,
            a.city,
            a.district,
            a.detail,
            i64::from(a.is_default)
        ],
    )?;
    Ok(())
}

/// `shop`'s return addresses, the default first.
pub(crate) fn addresses(conn: &Connection, shop: &str) -> rusqlite::Result<Vec<ReturnAddress>> {
    let mut stmt = conn.prepare(
        "SELECT shop, address_id, name, phone, province, city, district, detail, is_default \
         FROM return_addresses WHERE shop = ?1 ORDER BY is_default DESC, address_id",
    )?;
    stmt.query_map(params![shop], |r| {
        Ok(ReturnAddress {
            shop: r.get(0)?,
            address_id: r.get(1)?,
            name: r.get(2)?,
            phone: r.get(3)?,
            province: r.get(4)?,
            city: r.get(5)?,
            district: r.get(6)?,
            detail: r.get(7)?,
            is_default: r.get::<_, i64>(8)? != 0,
        })
    })?
    .collect()
}

/// Records a buyer message sent through the platform.
pub(crate) fn insert_message(
    conn: &Connection,
    shop: &str,
    order_id: &str,
    content: &str,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO messages (shop, order_id, content, at_ms) VALUES (?1,?2,?3,?4)",
        params![shop, order_id, content, at_ms],
    )?;
    Ok(())
}

/// The messages sent to one order's buyer, oldest first.
pub(crate) fn messages_of(
    conn: &Connection,
    shop: &str,
    order_id: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT content FROM messages WHERE shop = ?1 AND order_id = ?2 ORDER BY seq")?;
    stmt.query_map(params![shop, order_id], |r| r.get(0))?
        .collect()
}

/// An uploaded invoice.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct UploadedInvoice {
    pub order_id: String,
    pub serial_no: String,
    pub invoice_no: String,
    pub amount_fen: i64,
    pub sum_price_fen: i64,
    pub sum_tax_fen: i64,
    pub business_type: i64,
    pub payer_name: String,
    pub payer_register_no: String,
}

/// Records an uploaded invoice.
pub(crate) fn insert_invoice(
    conn: &Connection,
    shop: &str,
    inv: &UploadedInvoice,
    at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO invoices (shop, order_id, serial_no, invoice_no, amount_fen, sum_price_fen, \
         sum_tax_fen, business_type, payer_name, payer_register_no, at_ms) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        params![
            shop,
            inv.order_id,
            inv.serial_no,
            inv.invoice_no,
            inv.amount_fen,
            inv.sum_price_fen,
            inv.sum_tax_fen,
            inv.business_type,
            inv.payer_name,
            inv.payer_register_no,
            at_ms
        ],
    )?;
    Ok(())
}

/// The invoices uploaded for one order.
pub(crate) fn invoices_of(
    conn: &Connection,
    shop: &str,
    order_id: &str,
) -> rusqlite::Result<Vec<UploadedInvoice>> {
    let mut stmt = conn.prepare(
        "SELECT order_id, serial_no, invoice_no, amount_fen, sum_price_fen, sum_tax_fen, \
         business_type, payer_name, payer_register_no FROM invoices \
         WHERE shop = ?1 AND order_id = ?2 ORDER BY seq",
    )?;
    stmt.query_map(params![shop, order_id], |r| {
        Ok(UploadedInvoice {
            order_id: r.get(0)?,
            serial_no: r.get(1)?,
            invoice_no: r.get(2)?,
            amount_fen: r.get(3)?,
            sum_price_fen: r.get(4)?,
            sum_tax_fen: r.get(5)?,
            business_type: r.get(6)?,
            payer_name: r.get(7)?,
            payer_register_no: r.get(8)?,
        })
    })?
    .collect()
}

/// Stores (or replaces) an invoice application.
pub(crate) fn upsert_application(
    conn: &Connection,
    a: &InvoiceApplication,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO invoice_applications \
         (shop, order_id, business_type, payer_name, payer_register_no, amount_fen, apply_ms, status) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![
            a.shop,
            a.order_id,
            a.business_type,
            a.payer_name,
            a.payer_register_no,
            a.amount_fen,
            a.apply_ms,
            a.status
        ],
    )?;
    Ok(())
}

/// A page of `shop`'s applications in `status` (oldest first) and the count.
pub(crate) fn applications_page(
    conn: &Connection,
    shop: &str,
    status: i64,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<(Vec<InvoiceApplication>, i64)> {
    let total = conn.query_row(
        "SELECT COUNT(*) FROM invoice_applications WHERE shop = ?1 AND status = ?2",
        params![shop, status],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT shop, order_id, business_type, payer_name, payer_register_no, amount_fen, \
         apply_ms, status FROM invoice_applications WHERE shop = ?1 AND status = ?2 \
         ORDER BY apply_ms, order_id LIMIT ?3 OFFSET ?4",
    )?;
    let rows = stmt
        .query_map(params![shop, status, limit, offset], |r| {
            Ok(InvoiceApplication {
                shop: r.get(0)?,
                order_id: r.get(1)?,
                business_type: r.get(2)?,
                payer_name: r.get(3)?,
                payer_register_no: r.get(4)?,
                amount_fen: r.get(5)?,
                apply_ms: r.get(6)?,
                status: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Marks an order's application invoiced, if there is one.
pub(crate) fn mark_invoiced(conn: &Connection, shop: &str, order_id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE invoice_applications SET status = 1 WHERE shop = ?1 AND order_id = ?2",
        params![shop, order_id],
    )?;
    Ok(())
}
