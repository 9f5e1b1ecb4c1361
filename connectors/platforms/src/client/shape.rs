//! The parts of the model every dialect reads the same way, from its own field names: order
//! lines, the masked receiver and return addresses; and the unmasked receiver phone, which only
//! workers that contact the buyer themselves read (never a flow).

use serde_json::{Value, json};

use super::operation::Operation;
use super::wire::{Response, int, non_empty, text};
use crate::config::{Secret, Shop};
use crate::error::Error;
use crate::model::{Order, OrderItem, Receiver, ReturnAddress, mask_name, mask_phone, region};
use crate::money::{fen, format_fen, yuan_to_fen};
use crate::platform::Platform;

/// How a platform names the fields of an order line.
pub struct ItemFields {
    /// Product title.
    pub title: &'static str,
    /// Quantity.
    pub quantity: &'static str,
    /// Unit price.
    pub price: &'static str,
    /// Whether the price is in fen (otherwise yuan).
    pub price_in_fen: bool,
    /// The seller's SKU code.
    pub sku: &'static str,
}

/// The order lines in `list` (a JSON array; anything else is no lines).
pub fn items(list: Option<&Value>, f: &ItemFields) -> Vec<OrderItem> {
    let Some(lines) = list.and_then(Value::as_array) else {
        return Vec::new();
    };
    lines
        .iter()
        .map(|i| {
            let price = i
                .get(f.price)
                .and_then(if f.price_in_fen { fen } else { yuan_to_fen });
            OrderItem {
                title: text(i.get(f.title)),
                quantity: int(i.get(f.quantity)).unwrap_or(1),
                price: format_fen(price.unwrap_or(0)),
                sku: non_empty(text(i.get(f.sku))),
            }
        })
        .collect()
}

/// The receiver, masked; `None` when the platform gave no name.
pub fn receiver(name: &str, phone: &str, region_parts: &[String]) -> Option<Receiver> {
    let parts: Vec<&str> = region_parts.iter().map(String::as_str).collect();
    (!name.is_empty()).then(|| Receiver {
        name: mask_name(name),
        phone: mask_phone(phone),
        region: region(&parts),
    })
}

/// The receiver's unmasked phone in an order answer (`OrderGet`), after the platform's dialect
/// read the answer (so its errors are the usual ones). `None` when there is no full number.
pub fn receiver_phone(
    shop: &Shop,
    op: &Operation,
    resp: &Response,
) -> Result<Option<Secret>, Error> {
    super::parse(shop, op, resp)?;
    let pointer = match shop.platform {
        Platform::Taobao => "/trade_fullinfo_get_response/trade/receiver_mobile",
        Platform::Jd => {
            "/jingdong_pop_order_get_responce/orderDetailInfo/orderInfo/consigneeInfo/mobile"
        }
        Platform::Pdd => "/order_information_get_response/order_info/receiver_phone",
        Platform::Shopify => "/order/shipping_address/phone",
        // Douyin shows apps `mask_post_tel` only; the full number needs its decryption API.
        Platform::Douyin => return Ok(None),
    };
    let phone = text(resp.json()?.pointer(pointer));
    let phone = phone.trim();
    Ok((!phone.is_empty() && !phone.contains('*')).then(|| Secret::new(phone)))
}

/// How a platform names the fields of a return address.
pub struct AddressFields {
    /// The address id.
    pub id: &'static str,
    /// Contact name.
    pub contact: &'static str,
    /// Contact phone.
    pub phone: &'static str,
    /// Province, city, district and street, in that order.
    pub parts: [&'static str; 4],
    /// The default flag (a boolean, or 1 for true).
    pub default: &'static str,
}

/// `{"addresses": [...]}` from the addresses in `list`.
pub fn addresses(list: Option<&Value>, f: &AddressFields) -> Value {
    let list = list.and_then(Value::as_array).cloned().unwrap_or_default();
    let addrs: Vec<ReturnAddress> = list
        .iter()
        .map(|a| {
            let parts = f.parts.map(|p| text(a.get(p)));
            ReturnAddress {
                id: text(a.get(f.id)),
                contact: text(a.get(f.contact)),
                phone: text(a.get(f.phone)),
                address: region(&parts.each_ref().map(String::as_str)),
                default: a
                    .get(f.default)
                    .and_then(|v| v.as_bool().or(v.as_i64().map(|i| i == 1)))
                    .unwrap_or(false),
            }
        })
        .collect();
    json!({ "addresses": addrs })
}

/// The part of an answer at `pointer` (a JSON pointer, or a plain key), or a `Malformed` error
/// naming it.
pub fn part<'a>(answer: &'a Value, pointer: &str) -> Result<&'a Value, Error> {
    let found = if pointer.starts_with('/') {
        answer.pointer(pointer)
    } else {
        answer.get(pointer)
    };
    found.ok_or_else(|| Error::Malformed {
        detail: format!(
            "no `{}` in the answer",
            pointer.trim_start_matches('/').replace('/', ".")
        ),
    })
}

/// `{"total", "orders"}` from a list of platform orders; `total` defaults to the list's length.
pub fn order_list(
    list: Option<&Value>,
    total: Option<i64>,
    order: impl Fn(&Value) -> Order,
) -> Value {
    let orders: Vec<Order> = list
        .and_then(Value::as_array)
        .map(|l| l.iter().map(order).collect())
        .unwrap_or_default();
    let total = total.unwrap_or(orders.len() as i64);
    json!({ "total": total, "orders": orders })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_unmasked_receiver_phone_only_here() {
        let shop = crate::client::tests::shop(Platform::Pdd);
        let op = Operation::OrderGet {
            order_id: "261124-1".into(),
        };
        let answer = |body: &str| Response {
            status: 200,
            retry_after: None,
            body: body.to_owned(),
        };
        let ok = answer(
            r#"{"order_information_get_response":{"order_info":{"order_sn":"261124-1","order_status":1,"receiver_name":"张三","receiver_phone":"13812345678"}}}"#,
        );
        let phone = receiver_phone(&shop, &op, &ok).unwrap().unwrap();
        assert_eq!(phone.expose(), "13812345678");
        assert_eq!(format!("{phone:?}"), "***");
        let order = crate::client::parse(&shop, &op, &ok).unwrap();
        assert_eq!(order["receiver"]["phone"], "138****5678");
        let missing = answer(
            r#"{"error_response":{"error_code":20004,"error_msg":"数据不存在","sub_msg":"order not found"}}"#,
        );
        assert!(matches!(
            receiver_phone(&shop, &op, &missing),
            Err(Error::NotFound { .. })
        ));
        let douyin = crate::client::tests::shop(Platform::Douyin);
        let masked = answer(
            r#"{"code":10000,"data":{"shop_order_detail":{"order_id":"1","mask_post_receiver":"张*","mask_post_tel":"138****5678"}}}"#,
        );
        assert_eq!(receiver_phone(&douyin, &op, &masked).unwrap(), None);
    }
}
