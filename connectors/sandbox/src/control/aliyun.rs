//! `GET /_sandbox/aliyun/messages?kind=sms|voice&out_id=…`: the SMS and voice calls Aliyun
//! accepted, oldest first, numbers masked.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use shopflow_connectors::model::mask_phone;

use super::ControlError;
use crate::sandbox::Inner;
use crate::store::table;

/// The accepted messages.
pub(super) async fn messages(
    State(sb): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ControlError> {
    let kind = q.get("kind").map(String::as_str);
    if let Some(k) = kind
        && !matches!(k, "sms" | "voice")
    {
        return Err(ControlError::bad(format!(
            "`kind` is `{k}`; use `sms` or `voice`"
        )));
    }
    let rows = {
        let conn = sb.store.lock();
        table::aliyun_messages(&conn, kind)?
    };
    let list: Vec<Value> = rows
        .iter()
        .filter(|m| {
            q.get("out_id")
                .is_none_or(|o| m.out_id.as_deref() == Some(o.as_str()))
        })
        .map(|m| {
            json!({
                "seq": m.seq,
                "kind": m.kind,
                "access_key_id": m.access_key_id,
                "to": mask_phone(&m.phone),
                "sender": m.sender,
                "template_code": m.template_code,
                "params": serde_json::from_str::<Value>(&m.params).unwrap_or(Value::Null),
                "out_id": m.out_id,
                "message_id": m.message_id,
                "request_id": m.request_id,
                "at_ms": m.at_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "messages": list })))
}
