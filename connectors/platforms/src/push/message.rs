//! A verified platform push message and the CloudEvent it becomes: type
//! `shopflow.<platform>.<topic>` (lower case, `/` and `_` as `.`), subject = the refund id for
//! refund topics and the order id otherwise, data = a documented set of fields (no personal
//! data: the journal keeps events). The catalogue is `docs/events.md`.

use serde_json::{Map, Value, json};

use crate::platform::Platform;

/// A push message from a platform, verified and reduced to what flows use.
#[derive(Debug, Clone, PartialEq)]
pub struct PushMessage {
    /// Its platform.
    pub platform: Platform,
    /// The shop's name in `shopflow.toml`.
    pub shop: String,
    /// The platform's message id (webhook id, TMC id, PDD id, Douyin msg_id): the
    /// de-duplication key.
    pub message_id: String,
    /// The event name after `shopflow.<platform>.` (`trade.buyerpay`, `orders.create`).
    pub topic: String,
    /// The platform's own topic or tag, kept for reference.
    pub platform_topic: String,
    /// The order it is about.
    pub order_id: Option<String>,
    /// The refund / return it is about.
    pub refund_id: Option<String>,
    /// Other documented fields (`status`, `amount`, `currency`, `buyer_id`, `financial_status`).
    pub fields: Map<String, Value>,
    /// When the platform published it (RFC 3339), when it says.
    pub time: Option<String>,
}

impl PushMessage {
    /// The CloudEvent `type`.
    pub fn event_type(&self) -> String {
        format!("shopflow.{}.{}", self.platform, self.topic)
    }

    /// The CloudEvent `id`: unique per platform, shop and message, so a redelivered message is
    /// recognised as the same event.
    pub fn event_id(&self) -> String {
        format!("{}:{}:{}", self.platform, self.shop, self.message_id)
    }

    /// The CloudEvent (spec 1.0, JSON).
    pub fn to_cloud_event(&self) -> Value {
        let subject = if self.topic.starts_with("refund") || self.topic.starts_with("return") {
            self.refund_id.clone().or_else(|| self.order_id.clone())
        } else {
            self.order_id.clone().or_else(|| self.refund_id.clone())
        };
        let mut data = Map::new();
        data.insert("platform".into(), json!(self.platform));
        data.insert("shop".into(), json!(self.shop));
        data.insert("topic".into(), json!(self.platform_topic));
        data.insert("message_id".into(), json!(self.message_id));
        data.insert("order_id".into(), json!(self.order_id));
        if self.refund_id.is_some() {
            data.insert("refund_id".into(), json!(self.refund_id));
        }
        for (k, v) in &self.fields {
            data.insert(k.clone(), v.clone());
        }
        let mut event = json!({
            "specversion": "1.0",
            "id": self.event_id(),
            "source": format!("shopflow/{}/{}", self.platform, self.shop),
            "type": self.event_type(),
            "datacontenttype": "application/json",
            "data": Value::Object(data),
        });
        if let Some(s) = subject {
            event["subject"] = json!(s);
        }
        if let Some(t) = &self.time {
            event["time"] = json!(t);
        }
        event
    }
}

/// Normalises a topic into the event name: lower case, `/` and `_` as `.`.
pub fn normalise(topic: &str) -> String {
    topic.to_ascii_lowercase().replace(['/', '_'], ".")
}

/// `taobao_trade_TradeBuyerPay` → `trade.buyerpay`, `pdd_refund_RefundCreated` →
/// `refund.created`: the platform prefix goes, and the action loses its repeated group name.
pub fn tmc_topic(topic: &str) -> Option<String> {
    let mut parts = topic.splitn(3, '_');
    let _platform = parts.next()?;
    let group = parts.next()?;
    let action = parts.next()?;
    let action = match action.get(..group.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(group) && action.len() > group.len() => {
            &action[group.len()..]
        }
        _ => action,
    };
    Some(normalise(&format!("{group}.{action}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_follow_the_design() {
        assert_eq!(
            tmc_topic("taobao_trade_TradeBuyerPay").as_deref(),
            Some("trade.buyerpay")
        );
        assert_eq!(
            tmc_topic("taobao_refund_RefundBuyerReturnGoods").as_deref(),
            Some("refund.buyerreturngoods")
        );
        assert_eq!(
            tmc_topic("pdd_trade_TradeConfirmed").as_deref(),
            Some("trade.confirmed")
        );
        assert_eq!(normalise("orders/create"), "orders.create");
        let m = PushMessage {
            platform: Platform::Shopify,
            shop: "us".into(),
            message_id: "w1".into(),
            topic: "refunds.create".into(),
            platform_topic: "refunds/create".into(),
            order_id: Some("9".into()),
            refund_id: Some("r1".into()),
            fields: Map::new(),
            time: None,
        };
        let e = m.to_cloud_event();
        assert_eq!(e["type"], "shopflow.shopify.refunds.create");
        assert_eq!(e["subject"], "r1");
        assert_eq!(e["id"], "shopify:us:w1");
    }
}
