//! The loopback test server: an axum app on 127.0.0.1:0 with echo, status, redirect, auth,
//! token and OpenAPI routes, counting token and document requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

/// User and password the basic and digest routes accept.
pub const USER: &str = "alice";
/// See [`USER`].
pub const PASSWORD: &str = "s3cret";
/// The token `/bearer` accepts.
pub const BEARER: &str = "t0ken";
/// Client id and secret the token endpoints accept.
pub const CLIENT_ID: &str = "shop";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "client-s3cret";
const DIGEST_REALM: &str = "shop@127.0.0.1";
const DIGEST_NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

/// A running test server.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    addr: std::sync::OnceLock<SocketAddr>,
    token_requests: AtomicUsize,
    document_requests: AtomicUsize,
}

impl TestServer {
    /// Starts the server on a free loopback port; it stops with the test's runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let state = Arc::new(Counters::default());
        let _ = state.addr.set(addr);
        let app = Router::new()
            .route(
                "/json",
                get(|| async { axum::Json(json!({"hello": "world", "n": 1})) }),
            )
            .route("/text", get(|| async { "plain text" }))
            .route(
                "/bytes",
                get(|| async {
                    (
                        [(CONTENT_TYPE, "application/octet-stream")],
                        vec![0u8, 1, 2, 255],
                    )
                }),
            )
            .route("/echo", any(echo))
            .route("/status/{code}", any(status))
            .route(
                "/redirect",
                get(|| async { (StatusCode::FOUND, [(LOCATION, "/json")]) }),
            )
            .route("/hang", get(futures::future::pending::<&'static str>))
            .route("/basic", get(basic))
            .route("/bearer", get(bearer))
            .route("/digest/{algorithm}", get(digest))
            .route("/oauth2/token", post(token))
            .route("/oidc/token", post(token))
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/protected", get(protected))
            .route("/swagger.json", get(swagger))
            .route("/v2/pet/{petId}", get(pet))
            .route("/v2/pet/findByStatus", get(find_by_status))
            .route("/v2/pet", post(echo))
            .route("/v3/openapi.json", get(openapi3_json))
            .route("/v3/openapi.yaml", get(openapi3_yaml))
            .route("/v3/api/pet/{petId}", get(pet))
            .route("/v3/api/pet", post(echo))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests the token endpoints got.
    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// Requests for OpenAPI documents.
    pub fn document_requests(&self) -> usize {
        self.state.document_requests.load(Ordering::SeqCst)
    }
}

type Shared = State<Arc<Counters>>;

/// Echoes the request: method, headers (lower case names), raw query and body text.
async fn echo(
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> axum::Json<Value> {
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                json!(String::from_utf8_lossy(v.as_bytes())),
            )
        })
        .collect();
    axum::Json(json!({
        "method": method.as_str(),
        "headers": headers,
        "query": query,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn status(Path(code): Path<u16>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT);
    (status, format!("status body for {code}\nsecond line")).into_response()
}

async fn basic(headers: HeaderMap) -> Response {
    let expected = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
    if header(&headers, AUTHORIZATION.as_str()) == expected {
        axum::Json(json!({"user": USER})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Basic realm=\"shop\"")],
            "who are you?",
        )
            .into_response()
    }
}

async fn bearer(headers: HeaderMap) -> Response {
    if header(&headers, AUTHORIZATION.as_str()) == format!("Bearer {BEARER}") {
        axum::Json(json!({"ok": true})).into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

/// RFC 7616 digest, checked independently of the crate's implementation.
async fn digest(Path(algorithm): Path<String>, headers: HeaderMap) -> Response {
    let hash = |s: String| -> String {
        let bytes: Vec<u8> = if algorithm == "SHA-256" {
            Sha256::digest(s.as_bytes()).to_vec()
        } else {
            Md5::digest(s.as_bytes()).to_vec()
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    let auth = header(&headers, AUTHORIZATION.as_str());
    if let Some(params) = auth.strip_prefix("Digest ") {
        let p = digest_params(params);
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        let ha1 = hash(format!("{USER}:{DIGEST_REALM}:{PASSWORD}"));
        let ha2 = hash(format!("GET:{}", get("uri")));
        let expected = hash(format!(
            "{ha1}:{DIGEST_NONCE}:{}:{}:auth:{ha2}",
            get("nc"),
            get("cnonce")
        ));
        let ok = get("username") == USER
            && get("uri") == format!("/digest/{algorithm}")
            && get("opaque") == "opq"
            && get("qop") == "auth"
            && get("response") == expected;
        if ok {
            return axum::Json(json!({"user": USER, "algorithm": algorithm})).into_response();
        }
    }
    let challenge = format!(
        "Digest realm=\"{DIGEST_REALM}\", qop=\"auth\", algorithm={algorithm}, nonce=\"{DIGEST_NONCE}\", opaque=\"opq\""
    );
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, challenge)],
        "digest required",
    )
        .into_response()
}

fn digest_params(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in text.split(", ") {
        if let Some((k, v)) = part.split_once('=') {
            out.insert(k.trim().to_owned(), v.trim_matches('"').to_owned());
        }
    }
    out
}

/// Client credentials token endpoint: form or JSON body, client secret in the body or in basic.
async fn token(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    state.token_requests.fetch_add(1, Ordering::SeqCst);
    let fields: HashMap<String, String> =
        if header(&headers, CONTENT_TYPE.as_str()).contains("json") {
            serde_json::from_str::<HashMap<String, String>>(&body).unwrap_or_default()
        } else {
            body.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.replace('+', " ").replace("%40", "@")))
                .collect()
        };
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let client_ok = (fields.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && fields.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
        || header(&headers, AUTHORIZATION.as_str()) == basic;
    let grant_ok = match fields.get("grant_type").map(String::as_str) {
        Some("client_credentials") => true,
        Some("password") => {
            fields.get("username").map(String::as_str) == Some(USER)
                && fields.get("password").map(String::as_str) == Some(PASSWORD)
        }
        _ => false,
    };
    if !(client_ok && grant_ok) {
        let error =
            json!({"error": "invalid_client", "error_description": "client authentication failed"});
        return (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response();
    }
    let n = state.token_requests.load(Ordering::SeqCst);
    axum::Json(json!({
        "access_token": format!("tok-{n}"),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": fields.get("scope"),
    }))
    .into_response()
}

async fn discovery(State(state): Shared) -> axum::Json<Value> {
    let addr = state
        .addr
        .get()
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    axum::Json(
        json!({"issuer": format!("http://{addr}"), "token_endpoint": format!("http://{addr}/oidc/token")}),
    )
}

async fn protected(headers: HeaderMap) -> Response {
    let auth = header(&headers, AUTHORIZATION.as_str());
    match auth.strip_prefix("Bearer tok-") {
        Some(n) => axum::Json(json!({"token": format!("tok-{n}")})).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn pet(Path(pet_id): Path<String>, headers: HeaderMap) -> Response {
    match pet_id.parse::<i64>() {
        Ok(id) => axum::Json(json!({
            "id": id,
            "name": "doggie",
            "status": "available",
            "accept": header(&headers, "accept"),
        }))
        .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "invalid id").into_response(),
    }
}

async fn find_by_status(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
    let status = q.get("status").cloned().unwrap_or_default();
    axum::Json(json!([
        {"id": 1, "name": "doggie", "status": status},
        {"id": 2, "name": "kitty", "status": status},
    ]))
}

async fn swagger(State(state): Shared) -> axum::Json<Value> {
    state.document_requests.fetch_add(1, Ordering::SeqCst);
    let addr = state
        .addr
        .get()
        .copied()
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    axum::Json(json!({
        "swagger": "2.0",
        "info": {"title": "Petstore", "version": "1.0.0"},
        "host": addr.to_string(),
        "basePath": "/v2",
        "schemes": ["https", "http"],
        "paths": {
            "/pet": {
                "post": {
                    "operationId": "addPet",
                    "consumes": ["application/json", "application/xml"],
                    "produces": ["application/xml", "application/json"],
                    "parameters": [{"in": "body", "name": "body", "required": true, "schema": {"type": "object"}}]
                }
            },
            "/pet/findByStatus": {
                "get": {
                    "operationId": "findPetsByStatus",
                    "produces": ["application/xml", "application/json"],
                    "parameters": [{
                        "name": "status", "in": "query", "required": true, "type": "array",
                        "items": {"type": "string"}, "collectionFormat": "multi"
                    }]
                }
            },
            "/pet/{petId}": {
                "get": {
                    "operationId": "getPetById",
                    "produces": ["application/xml", "application/json"],
                    "parameters": [{"name": "petId", "in": "path", "required": true, "type": "integer"}]
                }
            }
        }
    }))
}

fn openapi3() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Petstore", "version": "1.0.0"},
        "servers": [{"url": "/v3/api"}],
        "paths": {
            "/pet": {
                "post": {
                    "operationId": "addPet",
                    "requestBody": {"$ref": "#/components/requestBodies/Pet"},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {}}}}
                }
            },
            "/pet/{petId}": {
                "parameters": [{"$ref": "#/components/parameters/petId"}],
                "get": {
                    "operationId": "getPetById",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {}}}}
                }
            }
        },
        "components": {
            "parameters": {"petId": {"name": "petId", "in": "path", "required": true, "schema": {"type": "integer"}}},
            "requestBodies": {"Pet": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}}
        }
    })
}

async fn openapi3_json(State(state): Shared) -> axum::Json<Value> {
    state.document_requests.fetch_add(1, Ordering::SeqCst);
    axum::Json(openapi3())
}

/// The same document in YAML (JSON is YAML; a block mapping on top makes it not JSON).
async fn openapi3_yaml(State(state): Shared) -> Response {
    state.document_requests.fetch_add(1, Ordering::SeqCst);
    let doc = openapi3();
    let mut yaml = String::new();
    if let Value::Object(fields) = doc {
        for (k, v) in fields {
            yaml.push_str(&format!("{k}: {v}\n"));
        }
    }
    ([(CONTENT_TYPE, "application/yaml")], yaml).into_response()
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
