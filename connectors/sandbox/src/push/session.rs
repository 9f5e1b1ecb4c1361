//! One WebSocket push connection (TMC or PDD): on connect every unconfirmed message of the
//! connection's shops, then new ones at once, and the unconfirmed ones again every resend
//! interval, until the client confirms them or goes away.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use tokio::sync::broadcast::error::RecvError;

use crate::sandbox::Inner;
use crate::store::{PushRow, PushState, table};

/// What a client's frame asks for.
pub(super) enum Reply {
    /// Confirms the message with this id.
    Confirm(String),
    /// Answer with this frame (heartbeats).
    Send(String),
    /// Nothing to do.
    Nothing,
}

/// A push channel's framing.
pub(super) trait Channel: Send + 'static {
    /// The frame carrying `push`.
    fn frame(&self, push: &PushRow, now_ms: i64) -> String;
    /// What to do with a text frame from the client.
    fn on_text(&self, text: &str, now_ms: i64) -> Reply;
}

/// Serves an accepted connection for `shops` until it closes.
pub(super) async fn serve(
    sb: Arc<Inner>,
    mut socket: WebSocket,
    shops: Vec<String>,
    channel: impl Channel,
) {
    // Subscribe before the first load so a message stored in between is not missed.
    let mut fresh = sb.pushed.subscribe();
    if send_unconfirmed(&sb, &mut socket, &shops, &channel)
        .await
        .is_err()
    {
        return;
    }
    let period = sb.resend_interval();
    let mut resend = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                match channel.on_text(&text, sb.now()) {
                    Reply::Confirm(id) => {
                        let conn = sb.store.lock();
                        if let Err(e) = table::confirm(&conn, &id, &shops, sb.now()) {
                            tracing::warn!(error = %e, "cannot confirm a push message");
                        }
                    }
                    Reply::Send(frame) => {
                        if socket.send(Message::Text(frame.into())).await.is_err() {
                            return;
                        }
                    }
                    Reply::Nothing => {}
                }
            }
            new = fresh.recv() => {
                let result = match new {
                    Ok(id) => send_one(&sb, &mut socket, &shops, &channel, id).await,
                    // Too many at once: resend whatever is unconfirmed.
                    Err(RecvError::Lagged(_)) => send_unconfirmed(&sb, &mut socket, &shops, &channel).await,
                    Err(RecvError::Closed) => return,
                };
                if result.is_err() {
                    return;
                }
            }
            _ = resend.tick() => {
                if send_unconfirmed(&sb, &mut socket, &shops, &channel).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn send_one(
    sb: &Inner,
    socket: &mut WebSocket,
    shops: &[String],
    channel: &impl Channel,
    id: i64,
) -> Result<(), axum::Error> {
    let push = {
        let conn = sb.store.lock();
        table::push(&conn, id).ok().flatten()
    };
    match push {
        Some(p) if shops.contains(&p.shop) && p.state != PushState::Acked => {
            send(sb, socket, channel, &p).await
        }
        _ => Ok(()),
    }
}

async fn send_unconfirmed(
    sb: &Inner,
    socket: &mut WebSocket,
    shops: &[String],
    channel: &impl Channel,
) -> Result<(), axum::Error> {
    let pending = {
        let conn = sb.store.lock();
        table::unconfirmed(&conn, shops).unwrap_or_default()
    };
    for push in pending {
        send(sb, socket, channel, &push).await?;
    }
    Ok(())
}

async fn send(
    sb: &Inner,
    socket: &mut WebSocket,
    channel: &impl Channel,
    push: &PushRow,
) -> Result<(), axum::Error> {
    let frame = channel.frame(push, sb.now());
    socket.send(Message::Text(frame.into())).await?;
    let conn = sb.store.lock();
    if let Err(e) = table::mark_attempt(&conn, push.id, PushState::Delivered, sb.now()) {
        tracing::warn!(error = %e, "cannot record a push attempt");
    }
    Ok(())
}
