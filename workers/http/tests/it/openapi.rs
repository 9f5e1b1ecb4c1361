//! `call: openapi` against a Swagger 2.0 petstore and an OpenAPI 3 document (JSON and YAML)
//! served by the test server.

use serde_json::{Value, json};
use shopflow_core::ErrorKind;

use crate::server::TestServer;
use crate::{ctx, fail, ok, registry, test_config};

fn call(document: String, operation_id: &str, parameters: Value) -> Value {
    json!({
        "document": document,
        "operationId": operation_id,
        "parameters": parameters,
        "output": "content",
        "redirect": false,
    })
}

#[tokio::test]
async fn swagger_2_get_pet_by_id() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let out = ok(
        &r,
        "openapi",
        ctx("k"),
        call(
            server.url("/swagger.json"),
            "getPetById",
            json!({"petId": 1}),
        ),
    )
    .await;
    assert_eq!(
        out,
        json!({"id": 1, "name": "doggie", "status": "available", "accept": "application/json"})
    );
}

#[tokio::test]
async fn swagger_2_find_pets_by_status_and_the_document_is_fetched_once() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = call(
        server.url("/swagger.json"),
        "findPetsByStatus",
        json!({"status": "available"}),
    );
    let out = ok(&r, "openapi", ctx("k"), args.clone()).await;
    assert_eq!(out.as_array().map(Vec::len), Some(2));
    assert_eq!(out[0]["status"], "available");
    ok(&r, "openapi", ctx("k"), args).await;
    assert_eq!(server.document_requests(), 1);
}

#[tokio::test]
async fn swagger_2_body_parameter_and_idempotency_key() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let mut args = call(
        server.url("/swagger.json"),
        "addPet",
        json!({"body": {"name": "rex"}}),
    );
    args["output"] = json!("response");
    let out = ok(&r, "openapi", ctx("add-pet-key"), args).await;
    assert_eq!(out["request"]["method"], "POST");
    assert_eq!(out["request"]["uri"], server.url("/v2/pet"));
    assert_eq!(out["statusCode"], 200);
    assert_eq!(out["content"]["headers"]["idempotency-key"], "add-pet-key");
    assert_eq!(
        out["content"]["headers"]["content-type"],
        "application/json"
    );
    assert_eq!(out["content"]["body"], r#"{"name":"rex"}"#);
}

#[tokio::test]
async fn swagger_2_missing_path_parameter() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let e = fail(
        &r,
        "openapi",
        ctx("k"),
        call(server.url("/swagger.json"), "getPetById", json!({})),
    )
    .await;
    assert!(e.is(ErrorKind::Validation), "{e}");
    assert!(!e.retryable);
}

#[tokio::test]
async fn unknown_operations_list_the_known_ones() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let e = fail(
        &r,
        "openapi",
        ctx("k"),
        call(server.url("/swagger.json"), "deletePet", json!({})),
    )
    .await;
    assert!(e.is(ErrorKind::Configuration), "{e}");
    assert!(
        e.detail
            .as_deref()
            .is_some_and(|d| d.contains("getPetById")),
        "{e}"
    );
}

#[tokio::test]
async fn openapi_3_relative_server_and_path_level_parameters() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let out = ok(
        &r,
        "openapi",
        ctx("k"),
        call(
            server.url("/v3/openapi.json"),
            "getPetById",
            json!({"petId": 7}),
        ),
    )
    .await;
    assert_eq!(out["id"], 7);
    assert_eq!(out["accept"], "application/json");
}

#[tokio::test]
async fn openapi_3_yaml_request_body_from_the_remaining_parameters() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let args = call(
        server.url("/v3/openapi.yaml"),
        "addPet",
        json!({"name": "rex", "status": "sold"}),
    );
    let out = ok(&r, "openapi", ctx("k3"), args).await;
    assert_eq!(out["method"], "POST");
    assert_eq!(out["headers"]["idempotency-key"], "k3");
    assert_eq!(
        serde_json::from_str::<Value>(out["body"].as_str().unwrap_or_default()).ok(),
        Some(json!({"name": "rex", "status": "sold"}))
    );
}

#[tokio::test]
async fn a_missing_document_is_a_communication_error() {
    let server = TestServer::start().await;
    let r = registry(test_config());
    let e = fail(
        &r,
        "openapi",
        ctx("k"),
        call(server.url("/status/404"), "getPetById", json!({})),
    )
    .await;
    assert!(e.is(ErrorKind::Communication), "{e}");
    assert_eq!(e.status, 404);
}
