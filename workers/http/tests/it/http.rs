//! `call: http`: methods, idempotency keys, query, headers, outputs, statuses, redirects,
//! unreachable and silent servers.

use std::net::TcpListener;
use std::time::Duration;

use serde_json::json;
use shopflow_core::ErrorKind;
use shopflow_http::HttpConfig;

use crate::server::TestServer;
use crate::{ctx, fail, ok, registry, test_config};

#[tokio::test]
async fn get_json_content() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let out = ok(&r, "http", ctx("k1"), json!({"method": "GET", "uri": server.url("/json"), "output": "content", "redirect": false})).await;
    assert_eq!(out, json!({"hello": "world", "n": 1}));
}

#[tokio::test]
async fn text_content_stays_text() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let out = ok(
        &r,
        "http",
        ctx("k1"),
        json!({"method": "GET", "uri": server.url("/text"), "output": "content"}),
    )
    .await;
    assert_eq!(out, json!("plain text"));
}

#[tokio::test]
async fn post_carries_the_steps_idempotency_key_on_every_attempt() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = json!({"method": "POST", "uri": server.url("/echo"), "body": {"order": 42}, "output": "content", "redirect": false});
    let first = ok(&r, "http", ctx("run-1/do/0/pay#0"), args.clone()).await;
    assert_eq!(first["method"], "POST");
    assert_eq!(first["headers"]["idempotency-key"], "run-1/do/0/pay#0");
    assert_eq!(first["headers"]["content-type"], "application/json");
    assert_eq!(first["body"], r#"{"order":42}"#);
    let again = ok(&r, "http", ctx("run-1/do/0/pay#0"), args).await;
    assert_eq!(again["headers"]["idempotency-key"], "run-1/do/0/pay#0");
}

#[tokio::test]
async fn put_and_delete_carry_the_key_get_does_not() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    for method in ["PUT", "DELETE", "PATCH"] {
        let out = ok(
            &r,
            "http",
            ctx("key-7"),
            json!({"method": method, "uri": server.url("/echo")}),
        )
        .await;
        assert_eq!(out["method"], method);
        assert_eq!(out["headers"]["idempotency-key"], "key-7", "{method}");
    }
    let out = ok(
        &r,
        "http",
        ctx("key-7"),
        json!({"method": "GET", "uri": server.url("/echo")}),
    )
    .await;
    assert!(out["headers"].get("idempotency-key").is_none(), "{out}");
    // A key the flow set itself is kept.
    let args = json!({"method": "POST", "uri": server.url("/echo"), "headers": {"Idempotency-Key": "mine"}});
    let out = ok(&r, "http", ctx("key-7"), args).await;
    assert_eq!(out["headers"]["idempotency-key"], "mine");
}

#[tokio::test]
async fn query_parameters_are_appended() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = json!({
        "method": "GET",
        "uri": server.url("/echo?fixed=1"),
        "query": {"status": "sold out", "ids": [1, 2], "skip": null, "vip": true},
    });
    let out = ok(&r, "http", ctx("k"), args).await;
    assert_eq!(out["query"], "fixed=1&status=sold+out&ids=1&ids=2&vip=true");
}

#[tokio::test]
async fn headers_are_sent() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = json!({"method": "GET", "uri": server.url("/echo"), "headers": {"X-Shop": "taobao-1", "X-Retry": 3}});
    let out = ok(&r, "http", ctx("k"), args).await;
    assert_eq!(out["headers"]["x-shop"], "taobao-1");
    assert_eq!(out["headers"]["x-retry"], "3");
    assert!(
        out["headers"]["user-agent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("shopflow/"))
    );
}

#[tokio::test]
async fn response_output_has_the_dsl_shape_and_hides_credentials() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = json!({
        "method": "GET",
        "uri": server.url("/json"),
        "headers": {"X-Shop": "s1", "Cookie": "sid=abc"},
        "output": "response",
        "authentication": {"scheme": "bearer", "token": "very-secret-token"},
    });
    let out = ok(&r, "http", ctx("k"), args).await;
    assert_eq!(out["request"]["method"], "GET");
    assert_eq!(out["request"]["uri"], server.url("/json"));
    assert_eq!(out["request"]["headers"]["x-shop"], "s1");
    assert_eq!(out["request"]["headers"]["authorization"], "***");
    assert_eq!(out["request"]["headers"]["cookie"], "***");
    assert_eq!(out["statusCode"], 200);
    assert_eq!(out["headers"]["content-type"], "application/json");
    assert_eq!(out["content"], json!({"hello": "world", "n": 1}));
    assert!(!out.to_string().contains("very-secret-token"));
}

#[tokio::test]
async fn raw_output_is_base64() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let out = ok(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": server.url("/bytes"), "output": "raw"}),
    )
    .await;
    assert_eq!(out, json!("AAEC/w=="));
}

#[tokio::test]
async fn not_found_is_a_communication_error_that_is_not_retried() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let uri = server.url("/status/404");
    let e = fail(&r, "http", ctx("k"), json!({"method": "GET", "uri": uri})).await;
    assert!(e.is(ErrorKind::Communication), "{e}");
    assert_eq!(e.status, 404);
    assert!(!e.retryable);
    assert_eq!(e.title.as_deref(), Some("HTTP 404 Not Found"));
    assert_eq!(
        e.detail,
        Some(format!(
            "GET {uri} returned 404 Not Found: status body for 404 second line"
        ))
    );
    assert_eq!(e.instance.as_deref(), Some("/do/0/step"));
}

#[tokio::test]
async fn server_errors_and_throttling_are_retryable() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    for code in [503, 500, 429, 408] {
        let e = fail(
            &r,
            "http",
            ctx("k"),
            json!({"method": "POST", "uri": server.url(&format!("/status/{code}"))}),
        )
        .await;
        assert_eq!(e.status, code);
        assert!(e.retryable, "{code} should be retryable");
    }
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "POST", "uri": server.url("/status/409")}),
    )
    .await;
    assert!(!e.retryable);
}

#[tokio::test]
async fn redirects_are_errors_unless_allowed() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": server.url("/redirect"), "redirect": false}),
    )
    .await;
    assert!(e.is(ErrorKind::Communication));
    assert_eq!(e.status, 302);
    assert_eq!(e.title.as_deref(), Some("HTTP 302 Found"));
    let out = ok(&r, "http", ctx("k"), json!({"method": "GET", "uri": server.url("/redirect"), "redirect": true, "output": "response"})).await;
    assert_eq!(out["statusCode"], 200);
    assert_eq!(out["content"], json!({"hello": "world", "n": 1}));
}

#[tokio::test]
async fn connection_refused_fails_fast_and_names_the_host() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port()
    };
    let r = registry(test_config());
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": format!("http://127.0.0.1:{port}/x")}),
    )
    .await;
    assert!(e.is(ErrorKind::Communication), "{e}");
    assert_eq!(e.status, 500);
    assert!(e.retryable);
    assert!(
        e.detail
            .as_deref()
            .is_some_and(|d| d.contains(&format!("127.0.0.1:{port}"))),
        "{e}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = TestServer::start().await;
    let config = HttpConfig {
        request_timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    };
    let r = registry(config);
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": server.url("/hang")}),
    )
    .await;
    assert!(e.is(ErrorKind::Timeout), "{e}");
    assert_eq!(e.status, 408);
    assert!(e.retryable);
}

#[tokio::test]
async fn bad_arguments_are_configuration_errors() {
    let r = registry(test_config());
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": "file:///etc/passwd"}),
    )
    .await;
    assert!(e.is(ErrorKind::Configuration), "{e}");
    assert!(!e.retryable);
    let e = fail(
        &r,
        "http",
        ctx("k"),
        json!({"method": "GET", "uri": "http://127.0.0.1:1/", "headers": {"bad header": "x"}}),
    )
    .await;
    assert!(e.is(ErrorKind::Configuration), "{e}");
}
