//! Taobao TMC over WebSocket. The real channel frames messages in a binary format from
//! Taobao's SDKs; shopflow carries the same fields as JSON text frames (docs/platform-protocols.md),
//! so only this file changes when the binary framing is added.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::channel::{Frame, Protocol};
use super::message::{PushMessage, tmc_topic};
use crate::client::wire::{gmt8_to_rfc3339, int, text};
use crate::config::Shop;
use crate::money::{format_fen, yuan_to_fen};
use crate::platform::Platform;
use crate::sign::{SignMethod, top};

/// The TMC protocol.
pub struct Tmc;

/// The TMC consumer group shopflow joins.
pub const GROUP: &str = "default";

impl Protocol for Tmc {
    fn name(&self) -> &'static str {
        "taobao-tmc"
    }

    fn url(&self, shop: &Shop, now_ms: i64) -> Result<String, String> {
        let base = shop
            .push_endpoint
            .as_deref()
            .ok_or("no `push_endpoint` for the TMC channel")?;
        let mut p = BTreeMap::new();
        p.insert("app_key".to_owned(), shop.app_key.clone());
        p.insert("group_name".to_owned(), GROUP.to_owned());
        p.insert("timestamp".to_owned(), now_ms.to_string());
        let sign = top::sign(&p, shop.app_secret.expose(), SignMethod::Md5).sign;
        p.insert("sign".to_owned(), sign);
        let qs = serde_urlencoded::to_string(&p).map_err(|e| e.to_string())?;
        Ok(format!("{base}?{qs}"))
    }

    fn heartbeat(&self, _now_ms: i64) -> Option<String> {
        None
    }

    fn read(&self, shops: &[Shop], frame: &str, _now_ms: i64) -> Frame {
        let Ok(v) = serde_json::from_str::<Value>(frame) else {
            return Frame::Unusable(format!(
                "not JSON: {}",
                frame.chars().take(80).collect::<String>()
            ));
        };
        match int(v.get("messageType")) {
            Some(1) if int(v.get("statusCode")) == Some(0) => Frame::Accepted,
            Some(1) => Frame::Refused(format!(
                "{} {}",
                text(v.get("statusCode")),
                text(v.get("statusPhrase"))
            )),
            Some(2) => message(shops, &v),
            _ => Frame::Other,
        }
    }
}

fn message(shops: &[Shop], v: &Value) -> Frame {
    let id = text(v.get("id"));
    let topic = text(v.get("topic"));
    let user = text(v.get("user_id"));
    let Some(shop) = shops
        .iter()
        .find(|s| s.shop_id.as_deref() == Some(user.as_str()))
    else {
        return Frame::Unusable(format!(
            "message {id} is for seller {user}, which no [[shop]] with this app key names in `shop_id`"
        ));
    };
    let Some(name) = tmc_topic(&topic) else {
        return Frame::Unusable(format!("message {id} has the topic `{topic}`"));
    };
    let content: Value = serde_json::from_str(&text(v.get("content"))).unwrap_or(Value::Null);
    let mut fields = Map::new();
    if let Some(s) = content.get("status") {
        fields.insert("status".into(), json!(text(Some(s))));
    }
    for (field, src) in [("amount", "payment"), ("refund_amount", "refund_fee")] {
        if let Some(fen) = content.get(src).and_then(yuan_to_fen) {
            fields.insert(field.into(), json!(format_fen(fen)));
        }
    }
    if let Some(b) = content.get("buyer_nick") {
        fields.insert("buyer_id".into(), json!(text(Some(b))));
    }
    let message = PushMessage {
        platform: Platform::Taobao,
        shop: shop.name.clone(),
        message_id: id.clone(),
        topic: name,
        platform_topic: topic,
        order_id: Some(text(content.get("tid"))).filter(|s| !s.is_empty()),
        refund_id: Some(text(content.get("refund_id"))).filter(|s| !s.is_empty()),
        fields,
        time: gmt8_to_rfc3339(&text(v.get("pub_time"))),
    };
    Frame::Message(
        Box::new(message),
        json!({"messageType": 3, "id": id}).to_string(),
    )
}
