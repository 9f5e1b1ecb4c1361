//! Deterministic demo data: for every configured shop, orders in a realistic mix of states,
//! refunds and returns, two return addresses and (on Pinduoduo) invoice applications. The same
//! seed and clock give the same data; seeding twice leaves existing rows alone.

mod data;
pub(crate) mod people;

use serde::Serialize;
use shopflow_connectors::{Platform, Shop};

use crate::credit_code;
use crate::error::Error;
use crate::ids::{self, Rng};
use crate::model::{
    InvoiceApplication, Order, OrderStatus, Refund, RefundKind, RefundStatus, ReturnAddress,
};
use crate::sandbox::Inner;
use crate::store::table;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What [`crate::Sandbox::seed`] generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeedSummary {
    /// Shops seeded.
    pub shops: usize,
    /// Orders generated.
    pub orders: usize,
    /// Of those, unpaid (with an auto-close deadline 24–72 h after creation).
    pub unpaid: usize,
    /// Of those, presale (Taobao `type = step`).
    pub presale: usize,
    /// Refund-only after-sales generated.
    pub refunds: usize,
    /// Return-and-refund after-sales generated.
    pub returns: usize,
    /// Return addresses generated (two per shop).
    pub return_addresses: usize,
    /// Invoice applications generated (Pinduoduo).
    pub invoice_applications: usize,
    /// Of those, from companies (with a valid unified social credit code).
    pub company_invoice_applications: usize,
}

/// FNV-1a, to give each shop its own stream from one seed.
fn shop_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Seeds every configured shop.
pub(crate) fn run(sb: &Inner, orders_per_shop: usize, seed: u64) -> Result<SeedSummary, Error> {
    if orders_per_shop > 10_000 {
        return Err(Error::Invalid("at most 10000 orders per shop".into()));
    }
    let now = sb.now();
    let mut summary = SeedSummary::default();
    let mut conn = sb.store.lock();
    let tx = conn.transaction()?;
    for shop in sb.config.shops.values() {
        let mut rng = Rng::new(seed ^ shop_hash(&shop.name));
        summary.shops += 1;
        seed_addresses(&tx, &mut rng, shop, &mut summary)?;
        for _ in 0..orders_per_shop {
            let order = seed_order(&tx, &mut rng, shop, now, &mut summary)?;
            if order.paid_ms.is_some() && rng.chance(10) {
                seed_refund(&tx, &mut rng, &order, now, &mut summary)?;
            }
            if shop.platform == Platform::Pdd && order.paid_ms.is_some() && rng.chance(8) {
                seed_application(&tx, &mut rng, &order, &mut summary)?;
            }
        }
    }
    tx.commit()?;
    Ok(summary)
}

fn seed_addresses(
    conn: &rusqlite::Connection,
    rng: &mut Rng,
    shop: &Shop,
    summary: &mut SeedSummary,
) -> Result<(), Error> {
    for (i, role) in data::WAREHOUSES.iter().enumerate() {
        let b = people::buyer(rng, shop.platform);
        let name = if shop.platform == Platform::Shopify {
            format!("{} Returns", shop.name)
        } else {
            format!("{}（{role}）", people::chinese_name(rng))
        };
        table::insert_address(
            conn,
            &ReturnAddress {
                shop: shop.name.clone(),
                address_id: format!("{}{}", 60_000 + i, rng.digits(4)),
                name,
                phone: b.phone,
                province: b.province,
                city: b.city,
                district: b.district,
                detail: b.address,
                is_default: i == 0,
            },
        )?;
        summary.return_addresses += 1;
    }
    Ok(())
}

fn seed_order(
    conn: &rusqlite::Connection,
    rng: &mut Rng,
    shop: &Shop,
    now: i64,
    summary: &mut SeedSummary,
) -> Result<Order, Error> {
    let roll = rng.below(100);
    let mut status = match roll {
        0..15 => OrderStatus::Unpaid,
        15..25 => OrderStatus::Closed,
        25..50 => OrderStatus::Paid,
        50..72 => OrderStatus::Shipped,
        _ => OrderStatus::Finished,
    };
    // JD's order APIs start at paid orders.
    if shop.platform == Platform::Jd && status == OrderStatus::Unpaid {
        status = OrderStatus::Paid;
    }
    // Unpaid orders are recent, so their auto-close deadline is still ahead.
    let created = if status == OrderStatus::Unpaid {
        now - rng.between(5 * 60_000, 20 * HOUR_MS)
    } else {
        now - rng.between(DAY_MS, 14 * DAY_MS)
    };
    let items = people::items(rng, shop.platform);
    let mut order = people::order(rng, shop, None, status, created, items);
    if shop.platform == Platform::Taobao
        && matches!(status, OrderStatus::Unpaid | OrderStatus::Paid)
        && rng.chance(10)
    {
        order.presale = true;
    }
    if table::insert_order(conn, &order)? {
        summary.orders += 1;
        summary.unpaid += usize::from(status == OrderStatus::Unpaid);
        summary.presale += usize::from(order.presale);
    }
    Ok(order)
}

fn seed_refund(
    conn: &rusqlite::Connection,
    rng: &mut Rng,
    order: &Order,
    now: i64,
    summary: &mut SeedSummary,
) -> Result<(), Error> {
    let kind = if rng.chance(60) {
        RefundKind::Refund
    } else {
        RefundKind::Return
    };
    let status = match (kind, rng.below(10)) {
        (_, 0..6) => RefundStatus::WaitSeller,
        (RefundKind::Return, 6..8) => RefundStatus::WaitBuyerReturn,
        (RefundKind::Return, 8) => RefundStatus::BuyerReturned,
        (_, 8) | (_, 6..8) => RefundStatus::Success,
        _ => RefundStatus::Closed,
    };
    let line = rng.pick(&order.items).clone();
    let created = (order.paid_ms.unwrap_or(order.created_ms) + HOUR_MS).min(now);
    let refund = Refund {
        shop: order.shop.clone(),
        refund_id: ids::refund_id(rng, order.platform),
        order_id: order.order_id.clone(),
        line_id: line.line_id,
        kind,
        status,
        amount_fen: line.price_fen * line.quantity,
        reason: people::reason(rng, order.platform),
        created_ms: created,
        updated_ms: created,
    };
    if table::insert_refund(conn, &refund)? {
        if status == RefundStatus::Success {
            table::add_refunded(conn, &order.shop, &order.order_id, refund.amount_fen)?;
        }
        match kind {
            RefundKind::Refund => summary.refunds += 1,
            RefundKind::Return => summary.returns += 1,
        }
    }
    Ok(())
}

fn seed_application(
    conn: &rusqlite::Connection,
    rng: &mut Rng,
    order: &Order,
    summary: &mut SeedSummary,
) -> Result<(), Error> {
    let company = rng.chance(50);
    let (payer_name, register_no) = if company {
        (
            (*rng.pick(&data::COMPANIES)).to_owned(),
            credit_code::generate(rng),
        )
    } else {
        (order.receiver_name.clone(), String::new())
    };
    table::upsert_application(
        conn,
        &InvoiceApplication {
            shop: order.shop.clone(),
            order_id: order.order_id.clone(),
            business_type: i64::from(company),
            payer_name,
            payer_register_no: register_no,
            amount_fen: order.total_fen(),
            apply_ms: order.paid_ms.unwrap_or(order.created_ms) + HOUR_MS,
            status: 0,
        },
    )?;
    summary.invoice_applications += 1;
    summary.company_invoice_applications += usize::from(company);
    Ok(())
}
