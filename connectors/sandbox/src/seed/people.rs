//! Made-up buyers, items and orders in each platform's style (Chinese names, mobiles and
//! addresses for the Chinese platforms, English ones for Shopify). Used by `seed` and by the
//! control API's order creation.

use shopflow_connectors::{Platform, Shop};

use super::data;
use crate::ids::{self, Rng};
use crate::model::{Item, Order, OrderStatus};

/// Who buys and where it goes.
pub(crate) struct Buyer {
    pub nick: String,
    pub id: String,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub zip: String,
    pub email: String,
}

/// A complete 11-digit mainland mobile number.
pub(crate) fn mobile(rng: &mut Rng) -> String {
    let prefix = *rng.pick(&data::MOBILE_PREFIXES);
    format!("{prefix}{:08}", rng.below(100_000_000))
}

/// A Chinese full name.
pub(crate) fn chinese_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&data::SURNAMES), rng.pick(&data::GIVEN))
}

/// A buyer for `platform`.
pub(crate) fn buyer(rng: &mut Rng, platform: Platform) -> Buyer {
    if platform == Platform::Shopify {
        let (first, last) = (*rng.pick(&data::FIRST_NAMES), *rng.pick(&data::LAST_NAMES));
        let (city, state, zip) = *rng.pick(&data::US_PLACES);
        return Buyer {
            nick: format!("{first} {last}"),
            id: format!("7{}", rng.digits(12)),
            name: format!("{first} {last}"),
            phone: format!("+1555{:07}", rng.below(10_000_000)),
            province: state.into(),
            city: city.into(),
            district: String::new(),
            address: format!("{} {}", rng.between(10, 9999), rng.pick(&data::US_STREETS)),
            zip: zip.into(),
            email: format!(
                "{}.{}@example.com",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase()
            ),
        };
    }
    let (province, city, districts) = *rng.pick(&data::PLACES);
    let name = chinese_name(rng);
    let (nick, id) = match platform {
        Platform::Taobao => (
            format!("tb{}", rng.digits(9)),
            format!("AAH{:016x}", rng.next()),
        ),
        Platform::Jd => (
            format!("jd_{:010x}", rng.next() & 0xFF_FFFF_FFFF),
            format!("jd_{:010x}", rng.next() & 0xFF_FFFF_FFFF),
        ),
        Platform::Pdd => (format!("pdd{}", rng.digits(8)), rng.digits(10)),
        _ => (
            format!("dy{}", rng.digits(8)),
            format!("BG{:016x}", rng.next()),
        ),
    };
    Buyer {
        nick,
        id,
        name,
        phone: mobile(rng),
        province: province.into(),
        city: city.into(),
        district: (*rng.pick(&districts)).into(),
        address: format!(
            "{}{}号{}栋{}室",
            rng.pick(&data::STREETS),
            rng.between(1, 999),
            rng.between(1, 12),
            rng.between(101, 2_808)
        ),
        zip: String::new(),
        email: String::new(),
    }
}

/// One to three lines from the catalogue.
pub(crate) fn items(rng: &mut Rng, platform: Platform) -> Vec<Item> {
    let n = rng.between(1, 3);
    (0..n)
        .map(|_| {
            let (title, sku, price) = if platform == Platform::Shopify {
                let (title, lo, hi) = *rng.pick(&data::US_PRODUCTS);
                (
                    title.to_owned(),
                    format!("US-{}", rng.digits(5)),
                    rng.between(lo, hi) / 100 * 100 + 99,
                )
            } else {
                let (_, code, products) = rng.pick(&data::CATALOG);
                let (title, lo, hi) = *rng.pick(products);
                (
                    title.to_owned(),
                    format!("{code}-{}", rng.digits(6)),
                    rng.between(lo, hi) / 100 * 100 + 90,
                )
            };
            Item {
                line_id: line_id(rng, platform),
                title,
                quantity: if rng.chance(80) { 1 } else { rng.between(2, 3) },
                price_fen: price,
                sku,
            }
        })
        .collect()
}

/// A line id in the platform's style.
pub(crate) fn line_id(rng: &mut Rng, platform: Platform) -> String {
    match platform {
        Platform::Taobao => format!("2{}", rng.digits(17)),
        Platform::Jd => format!("10{}", rng.digits(9)),
        Platform::Shopify => format!("13{}", rng.digits(11)),
        _ => rng.digits(12),
    }
}

/// A new order of `shop` in `status`, created at `created_ms`.
pub(crate) fn order(
    rng: &mut Rng,
    shop: &Shop,
    order_id: Option<String>,
    status: OrderStatus,
    created_ms: i64,
    items: Vec<Item>,
) -> Order {
    let b = buyer(rng, shop.platform);
    let order_id = order_id.unwrap_or_else(|| ids::order_id(rng, shop.platform, created_ms));
    // Most closed orders were never paid (the deadline passed); some were cancelled after paying.
    let never_paid =
        status == OrderStatus::Unpaid || (status == OrderStatus::Closed && rng.chance(70));
    let paid_ms = (!never_paid).then(|| created_ms + rng.between(30_000, 1_800_000));
    let shipped_ms = matches!(status, OrderStatus::Shipped | OrderStatus::Finished)
        .then(|| paid_ms.unwrap_or(created_ms) + rng.between(3_600_000, 86_400_000));
    let finished_ms = (status == OrderStatus::Finished)
        .then(|| shipped_ms.unwrap_or(created_ms) + rng.between(86_400_000, 259_200_000));
    let deadline = created_ms + rng.between(24, 72) * 3_600_000;
    let closed_ms = (status == OrderStatus::Closed).then(|| {
        if paid_ms.is_some() {
            paid_ms.unwrap_or(created_ms) + 3_600_000
        } else {
            deadline
        }
    });
    Order {
        shop: shop.name.clone(),
        platform: shop.platform,
        order_id,
        status,
        presale: false,
        buyer_nick: b.nick,
        buyer_id: b.id,
        receiver_name: b.name,
        receiver_phone: b.phone,
        province: b.province,
        city: b.city,
        district: b.district,
        address: b.address,
        zip: b.zip,
        email: b.email,
        post_fee_fen: if rng.chance(70) {
            0
        } else {
            *rng.pick(&[600, 800, 1_000])
        },
        items,
        refunded_fen: 0,
        created_ms,
        paid_ms,
        shipped_ms,
        finished_ms,
        closed_ms,
        close_deadline_ms: Some(deadline),
    }
}

/// Why the buyer wants a refund.
pub(crate) fn reason(rng: &mut Rng, platform: Platform) -> String {
    if platform == Platform::Shopify {
        (*rng.pick(&data::US_REASONS)).to_owned()
    } else {
        (*rng.pick(&data::REFUND_REASONS)).to_owned()
    }
}
