//! Douyin shop push callbacks: find the app by the `app-id` header, check `event-sign`
//! (`md5(app_key + body + secret)`) in constant time, and read each message of the array.

use serde_json::{Map, Value, json};

use super::hook::{HookError, parse_json};
use super::message::PushMessage;
use crate::client::wire::{int, text, unix_to_rfc3339};
use crate::config::Config;
use crate::money::{fen, format_fen};
use crate::platform::Platform;
use crate::sign::{douyin::push_sign, signatures_match};

/// Douyin's message tags and the event names they become.
pub const TAGS: [(&str, &str); 10] = [
    ("100", "trade.create"),
    ("101", "trade.paid"),
    ("102", "trade.ship"),
    ("103", "trade.success"),
    ("106", "trade.cancel"),
    ("200", "refund.created"),
    ("201", "refund.agreed"),
    ("203", "refund.buyerreturngoods"),
    ("206", "refund.success"),
    ("207", "refund.closed"),
];

/// Verifies a callback and reads its messages (one callback may carry several).
pub fn verify(
    config: &Config,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<Vec<PushMessage>, HookError> {
    let app_key =
        header("app-id").ok_or_else(|| HookError::UnknownShop("no app-id header".into()))?;
    let mut shops = config
        .on(Platform::Douyin)
        .filter(|s| s.app_key == app_key)
        .peekable();
    let first = shops.peek().copied().ok_or_else(|| {
        HookError::UnknownShop(format!(
            "no Douyin shop with app key `{app_key}` in shopflow.toml"
        ))
    })?;
    let sign =
        header("event-sign").ok_or_else(|| HookError::Signature("no event-sign header".into()))?;
    if !signatures_match(&push_sign(&app_key, body, first.app_secret.expose()), &sign) {
        return Err(HookError::Signature(
            "event-sign does not match md5(app_key + body + app_secret)".into(),
        ));
    }
    let shops: Vec<_> = shops.collect();
    let v = parse_json(body)?;
    let list = v
        .as_array()
        .ok_or_else(|| HookError::malformed("", "the body must be a JSON array of messages"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let at = |field: &str| format!("/{i}/{field}");
        let tag = text(m.get("tag"));
        let msg_id = text(m.get("msg_id"));
        if msg_id.is_empty() {
            return Err(HookError::malformed(&at("msg_id"), "missing"));
        }
        let raw = text(m.get("data"));
        let data: Value = serde_json::from_str(&raw)
            .map_err(|e| HookError::malformed(&at("data"), format!("not a JSON text: {e}")))?;
        let shop_id = text(data.get("shop_id"));
        let shop = shops
            .iter()
            .find(|s| s.shop_id.as_deref() == Some(shop_id.as_str()))
            .ok_or_else(|| {
                HookError::UnknownShop(format!(
                    "no Douyin shop with shop_id `{shop_id}` for app `{app_key}`"
                ))
            })?;
        let topic = TAGS
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, name)| (*name).to_owned())
            .unwrap_or_else(|| format!("tag.{tag}"));
        let mut fields = Map::new();
        if let Some(s) = int(data.get("order_status")) {
            fields.insert("status".into(), json!(s.to_string()));
        }
        if let Some(a) = data.get("pay_amount").and_then(fen) {
            fields.insert("amount".into(), json!(format_fen(a)));
        }
        out.push(PushMessage {
            platform: Platform::Douyin,
            shop: shop.name.clone(),
            message_id: msg_id,
            topic,
            platform_topic: tag,
            order_id: Some(text(data.get("p_id"))).filter(|s| !s.is_empty()),
            refund_id: Some(text(data.get("aftersale_id"))).filter(|s| !s.is_empty()),
            fields,
            time: int(data.get("update_time")).and_then(unix_to_rfc3339),
        });
    }
    Ok(out)
}

/// Douyin's expected answer to a callback it should not send again.
pub fn success_body() -> Value {
    json!({"code": 0, "msg": "success"})
}
