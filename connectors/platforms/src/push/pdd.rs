//! Pinduoduo's message channel: `/message/{client_id}/{ts}/{sign}`, JSON commands
//! (`Common` messages, `HeartBeat`, `Ack`).

use serde_json::{Map, Value, json};

use super::channel::{Frame, Protocol};
use super::message::{PushMessage, tmc_topic};
use crate::client::wire::{int, text};
use crate::config::Shop;
use crate::money::{format_fen, yuan_to_fen};
use crate::platform::Platform;
use crate::sign::top::pdd_push_sign;

/// The Pinduoduo message protocol.
pub struct PddChannel;

impl Protocol for PddChannel {
    fn name(&self) -> &'static str {
        "pdd-message"
    }

    fn url(&self, shop: &Shop, now_ms: i64) -> Result<String, String> {
        let base = shop
            .push_endpoint
            .as_deref()
            .ok_or("no `push_endpoint` for the PDD channel")?;
        let sign = pdd_push_sign(&shop.app_key, now_ms, shop.app_secret.expose());
        // The sign is base64 and may contain `/` and `+`: it is one path segment.
        let sign: String = serde_urlencoded::to_string([("s", sign)])
            .map_err(|e| e.to_string())?
            .trim_start_matches("s=")
            .to_owned();
        Ok(format!(
            "{}/message/{}/{now_ms}/{sign}",
            base.trim_end_matches('/'),
            shop.app_key
        ))
    }

    fn heartbeat(&self, now_ms: i64) -> Option<String> {
        Some(json!({"commandType": "HeartBeat", "time": now_ms}).to_string())
    }

    fn read(&self, shops: &[Shop], frame: &str, now_ms: i64) -> Frame {
        let Ok(v) = serde_json::from_str::<Value>(frame) else {
            return Frame::Unusable(format!(
                "not JSON: {}",
                frame.chars().take(80).collect::<String>()
            ));
        };
        if text(v.get("commandType")) != "Common" {
            return Frame::Other;
        }
        let id = int(v.get("id")).unwrap_or_default();
        let m = v.get("message").cloned().unwrap_or(Value::Null);
        let kind = text(m.get("type"));
        let mall = text(m.get("mallID"));
        let Some(shop) = shops
            .iter()
            .find(|s| s.shop_id.as_deref() == Some(mall.as_str()))
        else {
            return Frame::Unusable(format!(
                "message {id} is for mall {mall}, which no [[shop]] with this client id names in `shop_id`"
            ));
        };
        let Some(name) = tmc_topic(&kind) else {
            return Frame::Unusable(format!("message {id} has the type `{kind}`"));
        };
        let content: Value = serde_json::from_str(&text(m.get("content"))).unwrap_or(Value::Null);
        let mut fields = Map::new();
        if let Some(s) = content.get("status") {
            fields.insert("status".into(), json!(text(Some(s))));
        }
        if let Some(fen) = content.get("pay_amount").and_then(yuan_to_fen) {
            fields.insert("amount".into(), json!(format_fen(fen)));
        }
        let message = PushMessage {
            platform: Platform::Pdd,
            shop: shop.name.clone(),
            message_id: id.to_string(),
            topic: name,
            platform_topic: kind.clone(),
            order_id: Some(text(content.get("tid"))).filter(|s| !s.is_empty()),
            refund_id: Some(text(content.get("refund_id"))).filter(|s| !s.is_empty()),
            fields,
            time: int(v.get("sendTime"))
                .and_then(|ms| crate::client::wire::unix_to_rfc3339(ms / 1000)),
        };
        let ack = json!({"commandType": "Ack", "id": id, "sendTime": now_ms, "type": kind, "mallID": int(m.get("mallID"))});
        Frame::Message(Box::new(message), ack.to_string())
    }
}
