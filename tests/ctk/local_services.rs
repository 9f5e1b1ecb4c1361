//! Local stand-ins for the public services the conformance kit calls (petstore.swagger.io and
//! httpbin.org), served by axum on 127.0.0.1 so the suite never leaves the machine.
//!
//! The endpoints answer the way the real services do for the requests the kit and our own
//! scenarios make: petstore's `/v2/pet/{petId}`, `/v2/pet/findByStatus`, its Swagger 2.0
//! document, and httpbin's `/basic-auth`, `/anything` and `/status`.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The petstore's fixed inventory: (id, name, category, status).
const PETS: &[(i64, &str, &str, &str)] = &[
    (1, "doggie", "Dogs", "available"),
    (2, "Kitty", "Cats", "available"),
    (3, "Rex", "Dogs", "pending"),
    (4, "Goldie", "Fish", "sold"),
];

/// The running local services.
#[derive(Debug, Clone)]
pub struct LocalServices {
    /// `http://127.0.0.1:PORT`, what `https://petstore.swagger.io` and `https://httpbin.org`
    /// are rewritten to in definitions.
    pub base: String,
}

impl LocalServices {
    /// Points a definition's petstore and httpbin URLs at the local services.
    pub fn rewrite(&self, definition: &str) -> String {
        definition
            .replace("https://petstore.swagger.io", &self.base)
            .replace("https://httpbin.org", &self.base)
    }
}

/// Binds 127.0.0.1 on a free port and serves the stand-ins on the current runtime.
pub async fn start() -> std::io::Result<LocalServices> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(addr);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("local services stopped: {e}");
        }
    });
    Ok(LocalServices {
        base: format!("http://{addr}"),
    })
}

fn router(addr: SocketAddr) -> Router {
    Router::new()
        .route("/v2/swagger.json", get(swagger))
        .route("/v2/pet/findByStatus", get(find_by_status))
        .route("/v2/pet/getPetByName/{name}", get(no_such_operation))
        .route("/v2/pet/{pet_id}", get(pet_by_id))
        .route("/basic-auth/{user}/{passwd}", get(basic_auth))
        .route("/anything", any(anything))
        .route("/anything/{*rest}", any(anything))
        .route("/status/{code}", any(status))
        .with_state(addr)
}

fn pet(&(id, name, category, status): &(i64, &str, &str, &str)) -> Value {
    json!({
        "id": id,
        "category": {"id": 1, "name": category},
        "name": name,
        "photoUrls": [format!("https://example.invalid/photos/{id}.jpg")],
        "tags": [{"id": 0, "name": "ctk"}],
        "status": status,
    })
}

/// `GET /v2/pet/{petId}`: the pet, or petstore's 404 bodies for unknown and non-numeric ids.
async fn pet_by_id(Path(pet_id): Path<String>) -> Response {
    let Ok(id) = pet_id.parse::<i64>() else {
        let message = format!("java.lang.NumberFormatException: For input string: \"{pet_id}\"");
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 404, "type": "unknown", "message": message})),
        )
            .into_response();
    };
    match PETS.iter().find(|p| p.0 == id) {
        Some(p) => Json(pet(p)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 1, "type": "error", "message": "Pet not found"})),
        )
            .into_response(),
    }
}

/// `GET /v2/pet/findByStatus?status=…` (repeatable, `collectionFormat: multi`): the pets with
/// any of those statuses.
async fn find_by_status(Query(query): Query<Vec<(String, String)>>) -> Response {
    let wanted: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "status")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    if wanted.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 400, "type": "unknown", "message": "Invalid status value"})),
        )
            .into_response();
    }
    let pets: Vec<Value> = PETS
        .iter()
        .filter(|p| wanted.contains(&p.3))
        .map(pet)
        .collect();
    Json(Value::Array(pets)).into_response()
}

/// The petstore has no `getPetByName` operation: like the real service, 404.
async fn no_such_operation() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"code": 404, "type": "unknown", "message": "HTTP 404 Not Found"})),
    )
        .into_response()
}

/// `GET /v2/swagger.json`: a Swagger 2.0 document for the two operations the kit calls, with
/// `host` set to this server.
async fn swagger(State(addr): State<SocketAddr>) -> Json<Value> {
    let pet_schema = json!({"$ref": "#/definitions/Pet"});
    Json(json!({
        "swagger": "2.0",
        "info": {"title": "Swagger Petstore", "version": "1.0.7"},
        "host": addr.to_string(),
        "basePath": "/v2",
        "schemes": ["http"],
        "paths": {
            "/pet/findByStatus": {
                "get": {
                    "tags": ["pet"],
                    "summary": "Finds Pets by status",
                    "operationId": "findPetsByStatus",
                    "produces": ["application/json"],
                    "parameters": [{
                        "name": "status",
                        "in": "query",
                        "description": "Status values that need to be considered for filter",
                        "required": true,
                        "type": "array",
                        "items": {"type": "string", "enum": ["available", "pending", "sold"], "default": "available"},
                        "collectionFormat": "multi"
                    }],
                    "responses": {
                        "200": {"description": "successful operation", "schema": {"type": "array", "items": pet_schema}},
                        "400": {"description": "Invalid status value"}
                    }
                }
            },
            "/pet/{petId}": {
                "get": {
                    "tags": ["pet"],
                    "summary": "Find pet by ID",
                    "operationId": "getPetById",
                    "produces": ["application/json"],
                    "parameters": [{
                        "name": "petId",
                        "in": "path",
                        "description": "ID of pet to return",
                        "required": true,
                        "type": "integer",
                        "format": "int64"
                    }],
                    "responses": {
                        "200": {"description": "successful operation", "schema": pet_schema},
                        "400": {"description": "Invalid ID supplied"},
                        "404": {"description": "Pet not found"}
                    }
                }
            }
        },
        "definitions": {
            "Pet": {
                "type": "object",
                "required": ["name", "photoUrls"],
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "category": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                    "name": {"type": "string", "example": "doggie"},
                    "photoUrls": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "array", "items": {"type": "object"}},
                    "status": {"type": "string", "enum": ["available", "pending", "sold"]}
                }
            }
        }
    }))
}

/// httpbin's `/basic-auth/{user}/{passwd}`: 200 when the Basic credentials are exactly those.
async fn basic_auth(Path((user, passwd)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok());
    if given.as_deref() == Some(format!("{user}:{passwd}").as_str()) {
        Json(json!({"authenticated": true, "user": user})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"Fake Realm\"")],
        )
            .into_response()
    }
}

/// httpbin's `/anything`: echoes the request (method, url, args, headers, data, json).
async fn anything(
    State(addr): State<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let mut echoed = Map::new();
    for (name, value) in &headers {
        echoed.insert(
            title_case(name.as_str()),
            json!(value.to_str().unwrap_or_default()),
        );
    }
    let args: Map<String, Value> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), json!(v))
        })
        .collect();
    let data = String::from_utf8_lossy(&body).into_owned();
    let parsed = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    Json(json!({
        "args": args,
        "data": data,
        "headers": echoed,
        "json": parsed,
        "method": method.as_str(),
        "origin": "127.0.0.1",
        "url": format!("http://{addr}{uri}"),
    }))
}

/// httpbin's `/status/{code}`: an empty response with that status.
async fn status(Path(code): Path<u16>) -> Response {
    StatusCode::from_u16(code)
        .unwrap_or(StatusCode::BAD_REQUEST)
        .into_response()
}

/// `idempotency-key` → `Idempotency-Key`, as httpbin shows header names.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
