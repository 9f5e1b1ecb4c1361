//! The WebSocket push channels (Taobao TMC, Pinduoduo): connect with the platform's signed URL,
//! hand each message to the sink (which journals it), acknowledge only after the sink said it is
//! stored, send heartbeats, and reconnect with backoff when the connection drops. A message the
//! sink could not store is not acknowledged, so the platform sends it again.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::message::PushMessage;
use crate::client::Clock;
use crate::config::Shop;

/// Stores a message durably; `Ok` means it may be acknowledged (a duplicate is `Ok` too).
pub type Sink = Arc<dyn Fn(PushMessage) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// What a frame from the server means.
pub enum Frame {
    /// A message to store, and the frame that acknowledges it.
    Message(Box<PushMessage>, String),
    /// The server accepted the connection.
    Accepted,
    /// The server refused the connection (bad signature, clock): the reason.
    Refused(String),
    /// A heartbeat answer or anything else to ignore.
    Other,
    /// A message for no configured shop, or one that cannot be read: why (not acknowledged).
    Unusable(String),
}

/// One platform's channel protocol.
pub trait Protocol: Send + Sync + 'static {
    /// The platform's name, for logs.
    fn name(&self) -> &'static str;
    /// The signed URL to connect to.
    fn url(&self, shop: &Shop, now_ms: i64) -> Result<String, String>;
    /// The heartbeat frame to send, if the protocol has one (otherwise a WebSocket ping).
    fn heartbeat(&self, now_ms: i64) -> Option<String>;
    /// Reads a text frame; `shops` are the shops sharing this app's channel (messages name
    /// their seller or mall, which picks the shop).
    fn read(&self, shops: &[Shop], text: &str, now_ms: i64) -> Frame;
}

/// How often heartbeats go out.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// Keeps the channel of one app open until the task is aborted. The platforms push every
/// permitted seller's messages of an app on one channel, so the shops sharing an app key share
/// it (the first one's credentials sign the connection).
pub async fn run(shops: Vec<Shop>, protocol: impl Protocol, sink: Sink, clock: Clock) {
    let Some(shop) = shops.first().cloned() else {
        return;
    };
    let mut backoff = Duration::from_millis(500);
    loop {
        let mut connected = false;
        let ended = session(&shops, &protocol, &sink, &clock, &mut connected).await;
        if connected {
            // The address and credentials work: start the backoff over.
            backoff = Duration::from_millis(500);
        }
        match ended {
            Ok(()) => {
                tracing::info!(shop = %shop.name, channel = protocol.name(), "push channel closed; reconnecting");
            }
            Err(e) => {
                tracing::warn!(shop = %shop.name, channel = protocol.name(), error = %e, retry_in_ms = backoff.as_millis() as u64, "push channel failed");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn session(
    shops: &[Shop],
    protocol: &impl Protocol,
    sink: &Sink,
    clock: &Clock,
    // Set once the server accepted the connection, sent a message or answered a heartbeat.
    connected: &mut bool,
) -> Result<(), String> {
    let shop = &shops[0];
    let url = protocol.url(shop, clock())?;
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|e| {
            format!(
                "cannot connect to the {} push channel: {e}",
                protocol.name()
            )
        })?;
    tracing::info!(shop = %shop.name, channel = protocol.name(), "push channel connected");
    let (mut tx, mut rx) = ws.split();
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    loop {
        tokio::select! {
            _ = beat.tick() => {
                let frame = match protocol.heartbeat(clock()) {
                    Some(text) => Message::text(text),
                    None => Message::Ping(Vec::new().into()),
                };
                tx.send(frame).await.map_err(|e| format!("heartbeat failed: {e}"))?;
            }
            frame = rx.next() => {
                let Some(frame) = frame else { return Ok(()) };
                let frame = frame.map_err(|e| format!("the connection broke: {e}"))?;
                let text = match frame {
                    Message::Text(t) => t.to_string(),
                    Message::Close(c) => {
                        let reason = c.map(|c| format!("{} {}", u16::from(c.code), c.reason)).unwrap_or_default();
                        return Err(format!("the server closed the channel: {reason}"));
                    }
                    _ => continue,
                };
                match protocol.read(shops, &text, clock()) {
                    Frame::Message(message, ack) => {
                        *connected = true;
                        let id = message.message_id.clone();
                        match sink(*message).await {
                            Ok(()) => tx.send(Message::text(ack)).await.map_err(|e| format!("ack failed: {e}"))?,
                            Err(e) => tracing::warn!(shop = %shop.name, message_id = %id, error = %e, "push message not stored; not acknowledged, the platform sends it again"),
                        }
                    }
                    Frame::Accepted => {
                        *connected = true;
                        tracing::info!(shop = %shop.name, channel = protocol.name(), "push channel accepted the connection");
                    }
                    Frame::Refused(reason) => return Err(format!("the server refused the connection: {reason}")),
                    Frame::Unusable(why) => tracing::warn!(shop = %shop.name, channel = protocol.name(), %why, "push message ignored"),
                    // A heartbeat answer: the server knows us.
                    Frame::Other => *connected = true,
                }
            }
        }
    }
}
