//! Taobao TMC over WebSocket at `GET /taobao/tmc?app_key&group_name&timestamp&sign`, with JSON
//! text frames carrying TMC's fields (the real channel uses a binary framing; see the README).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign::{self, SignMethod};

use super::session::{self, Channel, Reply};
use crate::sandbox::Inner;
use crate::store::PushRow;

const WINDOW_MS: i64 = 10 * 60 * 1000;

struct Tmc;

impl Channel for Tmc {
    fn frame(&self, push: &PushRow, _now_ms: i64) -> String {
        // The stored body is the whole frame, id and pub_time included, so resends are identical.
        push.body.clone()
    }

    fn on_text(&self, text: &str, _now_ms: i64) -> Reply {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return Reply::Nothing;
        };
        match (v.get("messageType").and_then(Value::as_i64), v.get("id")) {
            (Some(3), Some(Value::String(id))) => Reply::Confirm(id.clone()),
            (Some(3), Some(Value::Number(n))) => Reply::Confirm(n.to_string()),
            _ => Reply::Nothing,
        }
    }
}

/// Checks the connect parameters: the shops of the app, or why not.
fn admit(sb: &Inner, q: &HashMap<String, String>) -> Result<(String, Vec<String>), String> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let app_key = get("app_key");
    let shops = sb.shops_with_app(Platform::Taobao, app_key);
    let shop = shops.first().ok_or_else(|| "invalid app_key".to_owned())?;
    let signed: BTreeMap<String, String> = ["app_key", "group_name", "timestamp"]
        .into_iter()
        .map(|k| (k.to_owned(), get(k).to_owned()))
        .collect();
    let expected = sign::top::sign(&signed, shop.app_secret.expose(), SignMethod::Md5).sign;
    if !sign::signatures_match(&expected, get("sign")) {
        return Err("invalid sign".into());
    }
    match get("timestamp").parse::<i64>() {
        Ok(ms) if crate::clock::within(ms, sb.now(), WINDOW_MS) => {}
        _ => return Err("invalid timestamp".into()),
    }
    Ok((
        app_key.to_owned(),
        shops.into_iter().map(|s| s.name).collect(),
    ))
}

/// `GET /taobao/tmc`.
pub(crate) async fn connect(
    State(sb): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let verdict = admit(&sb, &q);
    let app_key = q.get("app_key").cloned().unwrap_or_default();
    let outcome = match &verdict {
        Ok(_) => "ok".to_owned(),
        Err(why) => format!("rejected:{}", why.replace(' ', "_")),
    };
    sb.record_call(
        Platform::Taobao,
        &app_key,
        None,
        "tmc.connect",
        &outcome,
        false,
    );
    ws.on_upgrade(move |socket| run(sb, socket, verdict))
}

async fn run(
    sb: Arc<Inner>,
    mut socket: WebSocket,
    verdict: Result<(String, Vec<String>), String>,
) {
    match verdict {
        Err(phrase) => {
            let frame = json!({ "messageType": 1, "statusCode": 401, "statusPhrase": phrase });
            let _ = socket.send(Message::Text(frame.to_string().into())).await;
            let _ = socket.send(Message::Close(None)).await;
        }
        Ok((_, shops)) => {
            let ack = json!({ "messageType": 1, "statusCode": 0 });
            if socket
                .send(Message::Text(ack.to_string().into()))
                .await
                .is_ok()
            {
                session::serve(sb, socket, shops, Tmc).await;
            }
        }
    }
}
