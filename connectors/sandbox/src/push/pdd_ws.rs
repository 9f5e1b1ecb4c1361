//! Pinduoduo's message channel at `GET /pdd/message/{client_id}/{ts_ms}/{sign}`: `Common`
//! frames out, `Ack` and `HeartBeat` frames in; a bad sign or timestamp closes with 4001.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use shopflow_connectors::Platform;
use shopflow_connectors::sign;

use super::session::{self, Channel, Reply};
use crate::sandbox::Inner;
use crate::store::PushRow;

const WINDOW_MS: i64 = 10 * 60 * 1000;
/// The close code for a refused connection.
const REFUSED: u16 = 4001;

struct PddChannel;

impl Channel for PddChannel {
    fn frame(&self, push: &PushRow, now_ms: i64) -> String {
        let message = serde_json::from_str::<Value>(&push.body).unwrap_or(Value::Null);
        json!({ "commandType": "Common", "id": push.id, "sendTime": now_ms, "message": message })
            .to_string()
    }

    fn on_text(&self, text: &str, now_ms: i64) -> Reply {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return Reply::Nothing;
        };
        match v.get("commandType").and_then(Value::as_str) {
            Some("HeartBeat") => {
                Reply::Send(json!({ "commandType": "HeartBeat", "time": now_ms }).to_string())
            }
            Some("Ack") => match v.get("id") {
                Some(Value::Number(n)) => Reply::Confirm(n.to_string()),
                Some(Value::String(s)) => Reply::Confirm(s.clone()),
                _ => Reply::Nothing,
            },
            _ => Reply::Nothing,
        }
    }
}

/// Checks the URL: the client's shops, or the close reason.
fn admit(
    sb: &Inner,
    client_id: &str,
    ts: &str,
    received: &str,
) -> Result<Vec<String>, &'static str> {
    let shops = sb.shops_with_app(Platform::Pdd, client_id);
    let shop = shops.first().ok_or("invalid sign")?;
    let ts_ms: i64 = ts.parse().map_err(|_| "invalid timestamp")?;
    // The sign is base64 of a hex digest: compare the digests (case-insensitively, in constant
    // time) rather than the base64 text.
    let expected = sign::top::pdd_push_sign(client_id, ts_ms, shop.app_secret.expose());
    let decode = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    };
    let (want, got) = (decode(&expected), decode(received));
    if got.is_empty() || !sign::signatures_match(&want, &got) {
        return Err("invalid sign");
    }
    if !crate::clock::within(ts_ms, sb.now(), WINDOW_MS) {
        return Err("invalid timestamp");
    }
    Ok(shops.into_iter().map(|s| s.name).collect())
}

/// `GET /pdd/message/{client_id}/{ts_ms}/{sign}`.
pub(crate) async fn connect(
    State(sb): State<Arc<Inner>>,
    Path((client_id, ts, sign)): Path<(String, String, String)>,
    ws: WebSocketUpgrade,
) -> Response {
    let verdict = admit(&sb, &client_id, &ts, &sign);
    let outcome = match verdict {
        Ok(_) => "ok".to_owned(),
        Err(why) => format!("rejected:{}", why.replace(' ', "_")),
    };
    sb.record_call(
        Platform::Pdd,
        &client_id,
        None,
        "message.connect",
        &outcome,
        false,
    );
    ws.on_upgrade(move |socket| run(sb, socket, verdict))
}

async fn run(sb: Arc<Inner>, mut socket: WebSocket, verdict: Result<Vec<String>, &'static str>) {
    match verdict {
        Err(reason) => {
            let close = CloseFrame {
                code: REFUSED,
                reason: reason.into(),
            };
            let _ = socket.send(Message::Close(Some(close))).await;
        }
        Ok(shops) => session::serve(sb, socket, shops, PddChannel).await,
    }
}
