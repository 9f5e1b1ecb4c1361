//! Authentication: basic, bearer, digest (MD5 and SHA-256), OAuth2 client credentials with a
//! cached token, OIDC discovery, and failed token requests that keep secrets out of errors.

use serde_json::{Value, json};
use shopflow_core::ErrorKind;

use crate::server::{BEARER, CLIENT_ID, CLIENT_SECRET, PASSWORD, TestServer, USER};
use crate::{ctx, fail, ok, registry, test_config};

fn get(uri: String, authentication: Value) -> Value {
    json!({"method": "GET", "uri": uri, "output": "content", "redirect": false, "authentication": authentication})
}

fn oauth2(server: &TestServer, scheme: &str, secret: &str) -> Value {
    json!({
        "scheme": scheme,
        "authority": server.url(""),
        "grant": "client_credentials",
        "tokenEndpoint": "/oauth2/token",
        "clientId": CLIENT_ID,
        "clientSecret": secret,
        "clientAuthentication": "client_secret_post",
        "encoding": "application/x-www-form-urlencoded",
        "scopes": ["orders", "refunds"],
        "audiences": [],
        "username": null,
        "password": null,
    })
}

#[tokio::test]
async fn basic() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let good = json!({"scheme": "basic", "username": USER, "password": PASSWORD});
    assert_eq!(
        ok(&r, "http", ctx("k"), get(server.url("/basic"), good)).await,
        json!({"user": USER})
    );
    let bad = json!({"scheme": "basic", "username": USER, "password": "wrong-password"});
    let e = fail(&r, "http", ctx("k"), get(server.url("/basic"), bad)).await;
    assert_eq!(e.status, 401);
    assert!(!e.retryable);
    assert!(!e.to_json().to_string().contains("wrong-password"));
}

#[tokio::test]
async fn bearer() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let auth = json!({"scheme": "bearer", "token": BEARER});
    assert_eq!(
        ok(&r, "http", ctx("k"), get(server.url("/bearer"), auth)).await,
        json!({"ok": true})
    );
}

#[tokio::test]
async fn digest_md5_and_sha256() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let auth = json!({"scheme": "digest", "username": USER, "password": PASSWORD});
    for algorithm in ["MD5", "SHA-256"] {
        let out = ok(
            &r,
            "http",
            ctx("k"),
            get(server.url(&format!("/digest/{algorithm}")), auth.clone()),
        )
        .await;
        assert_eq!(out, json!({"user": USER, "algorithm": algorithm}));
    }
    let wrong = json!({"scheme": "digest", "username": USER, "password": "nope"});
    let e = fail(&r, "http", ctx("k"), get(server.url("/digest/MD5"), wrong)).await;
    assert_eq!(e.status, 401);
}

#[tokio::test]
async fn oauth2_client_credentials_token_is_cached() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let auth = oauth2(&server, "oauth2", CLIENT_SECRET);
    let first = ok(
        &r,
        "http",
        ctx("k"),
        get(server.url("/protected"), auth.clone()),
    )
    .await;
    let second = ok(&r, "http", ctx("k"), get(server.url("/protected"), auth)).await;
    assert_eq!(first, json!({"token": "tok-1"}));
    assert_eq!(second, json!({"token": "tok-1"}));
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn oauth2_client_secret_basic_and_json_encoding() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let mut auth = oauth2(&server, "oauth2", CLIENT_SECRET);
    auth["clientAuthentication"] = json!("client_secret_basic");
    auth["encoding"] = json!("application/json");
    let out = ok(&r, "http", ctx("k"), get(server.url("/protected"), auth)).await;
    assert_eq!(out, json!({"token": "tok-1"}));
}

#[tokio::test]
async fn oauth2_password_grant() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let mut auth = oauth2(&server, "oauth2", CLIENT_SECRET);
    auth["grant"] = json!("password");
    auth["username"] = json!(USER);
    auth["password"] = json!(PASSWORD);
    let out = ok(&r, "http", ctx("k"), get(server.url("/protected"), auth)).await;
    assert_eq!(out, json!({"token": "tok-1"}));
}

#[tokio::test]
async fn a_rejected_token_request_is_an_authentication_error_without_secrets() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let auth = oauth2(&server, "oauth2", "not-the-secret");
    let e = fail(&r, "http", ctx("k"), get(server.url("/protected"), auth)).await;
    assert!(e.is(ErrorKind::Authentication), "{e}");
    assert_eq!(e.status, 401);
    assert!(!e.retryable);
    let shown = e.to_json().to_string();
    assert!(shown.contains("invalid_client"), "{shown}");
    assert!(!shown.contains("not-the-secret"), "{shown}");
}

#[tokio::test]
async fn oidc_discovers_the_token_endpoint() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let auth = oauth2(&server, "oidc", CLIENT_SECRET);
    let out = ok(
        &r,
        "http",
        ctx("k"),
        get(server.url("/protected"), auth.clone()),
    )
    .await;
    assert_eq!(out, json!({"token": "tok-1"}));
    ok(&r, "http", ctx("k"), get(server.url("/protected"), auth)).await;
    assert_eq!(server.token_requests(), 1);
}
