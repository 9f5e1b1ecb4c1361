//! Webhook delivery (Shopify, Douyin): POST to `{hooks}/shopify` / `{hooks}/douyin` with the
//! platform's headers and signature; anything but success within 5 s is tried again after
//! 0.5 s, 1 s, 2 s … (at most 10 s apart), 8 attempts in all, always with the same message id.

use std::sync::Arc;
use std::time::Duration;

use shopflow_connectors::Shop;
use shopflow_connectors::sign::{douyin, shopify};

use crate::clock::rfc3339;
use crate::sandbox::Inner;
use crate::store::{PushRow, PushState, table};

const ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Starts delivering push `id` in the background (nothing happens without a `hooks` URL or
/// outside a Tokio runtime; the message then stays pending).
pub(crate) fn spawn_delivery(sb: &Arc<Inner>, id: i64) {
    let Some(hooks) = sb.hooks.clone() else {
        return;
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let sb = sb.clone();
    tokio::spawn(async move { deliver(&sb, &hooks, id).await });
}

async fn deliver(sb: &Inner, hooks: &str, id: i64) {
    let push = {
        let conn = sb.store.lock();
        table::push(&conn, id)
    };
    let push = match push {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, id, "cannot load a push message");
            return;
        }
    };
    let Some(shop) = sb.shop(&push.shop).cloned() else {
        return;
    };
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let ok = match push.platform.as_str() {
            "shopify" => post_shopify(sb, hooks, &shop, &push).await,
            "douyin" => post_douyin(sb, hooks, &shop, &push).await,
            _ => return,
        };
        let state = if ok {
            PushState::Acked
        } else if attempt == ATTEMPTS {
            PushState::Failed
        } else {
            PushState::Pending
        };
        {
            let conn = sb.store.lock();
            if let Err(e) = table::mark_attempt(&conn, id, state, sb.now()) {
                tracing::warn!(error = %e, id, "cannot record a webhook attempt");
            }
        }
        if ok || attempt == ATTEMPTS {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn post_shopify(sb: &Inner, hooks: &str, shop: &Shop, push: &PushRow) -> bool {
    let body = push.body.clone().into_bytes();
    let hmac = shopify::webhook_hmac(&body, shop.app_secret.expose());
    let result = sb
        .http
        .post(format!("{hooks}/shopify"))
        .header("content-type", "application/json")
        .header("x-shopify-topic", &push.topic)
        .header("x-shopify-hmac-sha256", hmac)
        .header(
            "x-shopify-shop-domain",
            shop.domain.as_deref().unwrap_or_default(),
        )
        .header("x-shopify-api-version", &shop.api_version)
        .header("x-shopify-webhook-id", &push.msg_id)
        .header("x-shopify-triggered-at", rfc3339(push.created_ms))
        .body(body)
        .send()
        .await;
    match result {
        Ok(r) => r.status().is_success(),
        Err(e) => {
            tracing::debug!(error = %e, "shopify webhook failed");
            false
        }
    }
}

async fn post_douyin(sb: &Inner, hooks: &str, shop: &Shop, push: &PushRow) -> bool {
    let body = push.body.clone().into_bytes();
    let sign = douyin::push_sign(&shop.app_key, &body, shop.app_secret.expose());
    let result = sb
        .http
        .post(format!("{hooks}/douyin"))
        .header("content-type", "application/json")
        .header("app-id", &shop.app_key)
        .header("event-sign", sign)
        .body(body)
        .send()
        .await;
    let Ok(response) = result else {
        return false;
    };
    if response.status().as_u16() != 200 {
        return false;
    }
    // Douyin wants `{"code":0,"msg":"success"}`; anything else is delivered again.
    match response.json::<serde_json::Value>().await {
        Ok(v) => v.get("code").and_then(serde_json::Value::as_i64) == Some(0),
        Err(_) => false,
    }
}
