//! Push channels: Shopify and Douyin webhooks with signatures and retries, Taobao TMC and the
//! PDD message channel over WebSocket with confirmation and redelivery.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::{Harness, now_ms, start, start_with};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shopflow_connectors::sign::{self, SignMethod};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

type Received = (HeaderMap, Bytes);

/// A webhook receiver answering 500 to its first request and 200 after.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel::<Received>();
    let seen = Arc::new(AtomicUsize::new(0));
    let handler = move |headers: HeaderMap, body: Bytes| {
        let (tx, seen) = (tx.clone(), seen.clone());
        async move {
            let _ = tx.send((headers, body));
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned())
            } else {
                (
                    StatusCode::OK,
                    json!({"code": 0, "msg": "success"}).to_string(),
                )
            }
        }
    };
    let app = axum::Router::new()
        .route("/hooks/shopify", axum::routing::post(handler.clone()))
        .route("/hooks/douyin", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook in time")
        .expect("open")
}

#[tokio::test]
async fn shopify_webhook_is_signed_and_retried_with_the_same_id() {
    let (hooks, mut rx) = receiver().await;
    let h = start_with(Some(hooks), None).await;
    let (_, order) = h
        .control(
            "/_sandbox/orders",
            json!({"shop": "shopify", "status": "unpaid"}),
        )
        .await;
    let (first_headers, first_body) = next(&mut rx).await;
    let (second_headers, second_body) = next(&mut rx).await;
    assert_eq!(first_headers["x-shopify-topic"], "orders/create");
    assert_eq!(first_headers["x-shopify-shop-domain"], "demo.myshopify.com");
    assert_eq!(
        first_headers["x-shopify-webhook-id"],
        second_headers["x-shopify-webhook-id"]
    );
    assert_eq!(first_body, second_body);
    let hmac = second_headers["x-shopify-hmac-sha256"].to_str().unwrap();
    assert!(sign::shopify::verify_webhook(
        &second_body,
        "shpss_secret",
        hmac
    ));
    let body: Value = serde_json::from_slice(&second_body).unwrap();
    assert_eq!(body["id"].to_string(), order["order_id"].as_str().unwrap());
    assert_eq!(body["financial_status"], "pending");
    // The sandbox records the success right after the 200; wait for it, bounded.
    let mut state = Value::Null;
    for _ in 0..50 {
        let pushes = h.read("/_sandbox/pushes").await;
        state = pushes["pushes"][0].clone();
        if state["state"] == "acked" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state["state"], "acked", "{state}");
    assert_eq!(state["attempts"], 2);
}

#[tokio::test]
async fn douyin_webhook_carries_app_id_and_event_sign() {
    let (hooks, mut rx) = receiver().await;
    let h = start_with(Some(hooks), None).await;
    let (_, order) = h
        .control(
            "/_sandbox/orders",
            json!({"shop": "douyin", "status": "unpaid"}),
        )
        .await;
    let id = order["order_id"].as_str().unwrap();
    h.control(&format!("/_sandbox/orders/douyin/{id}/pay"), json!({}))
        .await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next(&mut rx).await);
    }
    for (headers, body) in &seen {
        assert_eq!(headers["app-id"], "dykey");
        let expected = sign::douyin::push_sign("dykey", body, "dysecret");
        assert_eq!(headers["event-sign"].to_str().unwrap(), expected);
    }
    let tags: Vec<String> = seen
        .iter()
        .map(|(_, b)| {
            serde_json::from_slice::<Value>(b).unwrap()[0]["tag"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        tags.contains(&"100".to_owned()) && tags.contains(&"101".to_owned()),
        "{tags:?}"
    );
    let data: Value = serde_json::from_str(
        serde_json::from_slice::<Value>(&seen[2].1).unwrap()[0]["data"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data["shop_id"], 4_000_001);
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn tmc(h: &Harness, secret: &str) -> Ws {
    let ts = now_ms().to_string();
    let p: BTreeMap<String, String> = [
        ("app_key", "12345678"),
        ("group_name", "default"),
        ("timestamp", ts.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let sign = sign::top::sign(&p, secret, SignMethod::Md5).sign;
    let url = format!(
        "{}/taobao/tmc?app_key=12345678&group_name=default&timestamp={ts}&sign={sign}",
        h.base.replace("http", "ws")
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connect")
        .0
}

/// The next text frame as JSON (bounded wait).
async fn frame(ws: &mut Ws) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

#[tokio::test]
async fn tmc_connects_delivers_and_redelivers_until_confirmed() {
    let h = start().await;
    let mut bad = tmc(&h, "wrong").await;
    let v = frame(&mut bad).await;
    assert_eq!(v["statusCode"], 401, "{v}");

    let mut ws = tmc(&h, "tbsecret").await;
    assert_eq!(
        frame(&mut ws).await,
        json!({"messageType": 1, "statusCode": 0})
    );
    let (_, order) = h
        .control(
            "/_sandbox/orders",
            json!({"shop": "tmall", "status": "unpaid"}),
        )
        .await;
    let msg = frame(&mut ws).await;
    assert_eq!(msg["messageType"], 2);
    assert_eq!(msg["topic"], "taobao_trade_TradeCreate");
    assert_eq!(msg["user_id"], 2_200_000_001_u64);
    let content: Value = serde_json::from_str(msg["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["tid"].to_string(),
        order["order_id"].as_str().unwrap()
    );
    assert_eq!(content["status"], "WAIT_BUYER_PAY");
    drop(ws);

    // Not confirmed: sent again on the next connection, with the same id.
    let mut ws = tmc(&h, "tbsecret").await;
    frame(&mut ws).await;
    let again = frame(&mut ws).await;
    assert_eq!(again["id"], msg["id"]);
    ws.send(Message::text(
        json!({"messageType": 3, "id": msg["id"]}).to_string(),
    ))
    .await
    .unwrap();
    ws.send(Message::text(
        json!({"messageType": 3, "id": msg["id"]}).to_string(),
    ))
    .await
    .unwrap();
    drop(ws);

    // Confirmed: the next connection gets only what is new.
    let mut ws = tmc(&h, "tbsecret").await;
    frame(&mut ws).await;
    let id = order["order_id"].as_str().unwrap();
    h.control(&format!("/_sandbox/orders/tmall/{id}/pay"), json!({}))
        .await;
    let next = frame(&mut ws).await;
    assert_eq!(next["topic"], "taobao_trade_TradeBuyerPay", "{next}");
}

async fn pdd_ws(h: &Harness, ts: i64, secret: &str) -> Ws {
    let sign = sign::top::pdd_push_sign("pddclient", ts, secret);
    let url = format!(
        "{}/pdd/message/pddclient/{ts}/{sign}",
        h.base.replace("http", "ws")
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connect")
        .0
}

async fn close_code(ws: &mut Ws) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a close in time")
        {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn pdd_channel_checks_the_url_acks_heartbeats_and_resends() {
    let h = start().await;
    h.sandbox.set_resend_interval(Duration::from_millis(300));
    let mut bad = pdd_ws(&h, now_ms(), "wrong").await;
    assert_eq!(close_code(&mut bad).await, (4001, "invalid sign".into()));
    let mut stale = pdd_ws(&h, now_ms() - 11 * 60_000, "pddsecret").await;
    assert_eq!(
        close_code(&mut stale).await,
        (4001, "invalid timestamp".into())
    );

    let mut ws = pdd_ws(&h, now_ms(), "pddsecret").await;
    let (_, order) = h
        .control("/_sandbox/orders", json!({"shop": "pdd", "status": "paid"}))
        .await;
    let msg = frame(&mut ws).await;
    assert_eq!(msg["commandType"], "Common");
    assert_eq!(msg["message"]["type"], "pdd_trade_TradeCreate");
    assert_eq!(msg["message"]["mallID"], 900_001);
    let content: Value = serde_json::from_str(msg["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["tid"], order["order_id"]);

    // Not acked: sent again on the same connection after the resend interval.
    let again = frame(&mut ws).await;
    assert_eq!(again["id"], msg["id"]);
    ws.send(Message::text(
        json!({"commandType": "HeartBeat", "time": now_ms()}).to_string(),
    ))
    .await
    .unwrap();
    let mut beat = frame(&mut ws).await;
    while beat["commandType"] == "Common" {
        beat = frame(&mut ws).await;
    }
    assert_eq!(beat["commandType"], "HeartBeat");
    drop(ws);

    // A new connection gets it again until it is acked.
    let mut ws = pdd_ws(&h, now_ms(), "pddsecret").await;
    let again = frame(&mut ws).await;
    assert_eq!(again["id"], msg["id"]);
    let ack = json!({"commandType": "Ack", "id": msg["id"], "sendTime": now_ms(), "type": "pdd_trade_TradeCreate", "mallID": 900_001});
    ws.send(Message::text(ack.to_string())).await.unwrap();
    let sn = order["order_id"].as_str().unwrap();
    h.control(&format!("/_sandbox/orders/pdd/{sn}/ship"), json!({}))
        .await;
    let mut next = frame(&mut ws).await;
    // A resend may still be in flight from before the ack; skip it.
    while next["id"] == msg["id"] {
        next = frame(&mut ws).await;
    }
    assert_eq!(
        next["message"]["type"], "pdd_trade_TradeSellerShip",
        "{next}"
    );
    let pushes = h.read("/_sandbox/pushes").await;
    assert_eq!(pushes["pushes"][0]["state"], "acked", "{pushes}");
}
