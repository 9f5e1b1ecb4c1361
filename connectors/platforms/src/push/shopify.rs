//! Shopify webhooks: find the shop by `X-Shopify-Shop-Domain`, check `X-Shopify-Hmac-Sha256`
//! in constant time, refuse deliveries older than the accepted window, and keep a few fields.

use std::time::Duration;

use chrono::DateTime;
use serde_json::{Map, json};

use super::hook::{HookError, parse_json};
use super::message::{PushMessage, normalise};
use crate::client::wire::text;
use crate::config::Config;
use crate::money::{format_fen, yuan_to_fen};
use crate::platform::Platform;
use crate::sign::shopify::verify_webhook;

/// Verifies and reads one webhook delivery. `header` looks up a request header by name.
pub fn verify(
    config: &Config,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now_ms: i64,
    max_age: Duration,
) -> Result<PushMessage, HookError> {
    let domain = header("x-shopify-shop-domain")
        .ok_or_else(|| HookError::UnknownShop("no X-Shopify-Shop-Domain header".into()))?;
    let shop = config
        .on(Platform::Shopify)
        .find(|s| s.domain.as_deref() == Some(domain.as_str()))
        .ok_or_else(|| {
            HookError::UnknownShop(format!(
                "no Shopify shop with domain `{domain}` in shopflow.toml"
            ))
        })?;
    let hmac = header("x-shopify-hmac-sha256")
        .ok_or_else(|| HookError::Signature("no X-Shopify-Hmac-Sha256 header".into()))?;
    if !verify_webhook(body, shop.app_secret.expose(), &hmac) {
        return Err(HookError::Signature(format!(
            "X-Shopify-Hmac-Sha256 does not match the body signed with shop `{}`'s app secret",
            shop.name
        )));
    }
    if let Some(at) = header("x-shopify-triggered-at") {
        let t = DateTime::parse_from_rfc3339(at.trim()).map_err(|e| {
            HookError::Stale(format!(
                "X-Shopify-Triggered-At `{at}` is not RFC 3339 ({e})"
            ))
        })?;
        let age_ms = now_ms - t.timestamp_millis();
        if age_ms > i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX) {
            return Err(HookError::Stale(format!(
                "triggered {} s ago, more than the accepted {} s",
                age_ms / 1000,
                max_age.as_secs()
            )));
        }
    }
    let topic = header("x-shopify-topic")
        .ok_or_else(|| HookError::malformed("", "no X-Shopify-Topic header"))?;
    let id = header("x-shopify-webhook-id").ok_or_else(|| {
        HookError::malformed(
            "",
            "no X-Shopify-Webhook-Id header (needed to de-duplicate)",
        )
    })?;
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(HookError::malformed("", "the body must be a JSON object"));
    }
    let mut fields = Map::new();
    let (order_id, refund_id) = match topic.as_str() {
        "refunds/create" => (text(v.get("order_id")), Some(text(v.get("id")))),
        "returns/request" | "returns/approve" | "returns/decline" => {
            // Returns are approved through GraphQL, which names them by gid.
            let gid = text(v.get("admin_graphql_api_id"));
            (
                text(v.pointer("/order/id")),
                Some(if gid.is_empty() {
                    text(v.get("id"))
                } else {
                    gid
                }),
            )
        }
        _ => (text(v.get("id")), None),
    };
    if order_id.is_empty() {
        let pointer = if topic.starts_with("orders/") {
            "/id"
        } else {
            "/order_id"
        };
        return Err(HookError::malformed(pointer, "missing: the order id"));
    }
    for (k, src) in [
        ("financial_status", "/financial_status"),
        ("currency", "/currency"),
        ("buyer_id", "/customer/id"),
    ] {
        if let Some(x) = v.pointer(src).filter(|x| !x.is_null()) {
            fields.insert(k.into(), json!(text(Some(x))));
        }
    }
    if let Some(fen) = v.get("total_price").and_then(yuan_to_fen) {
        fields.insert("amount".into(), json!(format_fen(fen)));
    }
    Ok(PushMessage {
        platform: Platform::Shopify,
        shop: shop.name.clone(),
        message_id: id,
        topic: normalise(&topic),
        platform_topic: topic,
        order_id: Some(order_id),
        refund_id,
        fields,
        time: header("x-shopify-triggered-at"),
    })
}
