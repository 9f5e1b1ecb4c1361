//! From `invoice.compute` to the platform: the rendered PDF goes to `platform.invoice.upload`
//! as the artifact `invoice.render` returned (no base64 in run data), and the sandbox
//! Pinduoduo gateway — which verifies the signature and the amounts in fen — records the
//! invoice on the order.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use shopflow_connectors::client::system_clock;
use shopflow_connectors::{Config, Connectors};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry};
use shopflow_invoice::{InvoiceSettings, Invoices};
use shopflow_sandbox::{Sandbox, SandboxOptions};
use shopflow_voucher::FontFiles;

const BUYER_ID: &str = "91350100M000100Y43";

async fn call(registry: &FunctionRegistry, name: &str, key: &str, args: Value) -> Value {
    let ctx = CallContext {
        run_id: "run-1".into(),
        idempotency_key: key.into(),
        instance: format!("/do/{key}"),
    };
    registry
        .call(name, ctx, args)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rendered_artifact_is_uploaded_to_pinduoduo() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let text = format!(
        r#"
[[shop]]
name = "pdd"
platform = "pdd"
app_key = "pddclient"
shop_id = "900001"
app_secret = {{ env = "PDD_SECRET" }}
access_token = {{ env = "PDD_TOKEN" }}
endpoint = "{base}/pdd"

[invoice]
province = "33"
issuer = "王芳"

[invoice.seller]
name = "杭州云栖科技有限公司"
tax_id = "91330106MA2H4KD754"
"#
    );
    let env = |name: &str| match name {
        "PDD_SECRET" => Some("pddsecret".to_owned()),
        "PDD_TOKEN" => Some("pdd-token".to_owned()),
        _ => None,
    };
    let config = Config::parse(&text, Path::new("shopflow.toml"), &env).unwrap();
    let sandbox = Sandbox::open(SandboxOptions::new(
        config.clone(),
        dir.path().join("sandbox.db"),
    ))
    .unwrap();
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let http = reqwest::Client::new();
    let order: Value = http
        .post(format!("{base}/_sandbox/orders"))
        .json(&json!({"shop": "pdd", "status": "paid",
            "items": [{"title": "明前龙井 250g", "quantity": 2, "price_fen": 5245}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order_id = order["order_id"].as_str().expect("order id").to_owned();

    let store = ArtifactStore::open(dir.path().join("artifacts")).unwrap();
    let invoices = Invoices::open(
        InvoiceSettings::from_config(&config).unwrap(),
        dir.path(),
        store.clone(),
        FontFiles::from_env(),
        system_clock(),
    )
    .unwrap();
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_invoice::register(&mut registry, Arc::new(invoices));
    shopflow_connectors::functions::register(
        &mut registry,
        Connectors::new(config, system_clock()),
        Some(store),
    );

    let buyer = json!({"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": BUYER_ID});
    let computed = call(
        &registry,
        "invoice.compute",
        "0",
        json!({
            "buyer": buyer, "prices_include_tax": true, "expected_total": "104.90",
            "lines": [{"name": "*茶*明前龙井", "model": "250g", "unit": "盒", "quantity": 2, "unit_price": "52.45", "tax_rate": "13%"}]
        }),
    )
    .await;
    assert_eq!(computed["confident"], true, "{computed}");
    let rendered = call(
        &registry,
        "invoice.render",
        "1",
        json!({
            "buyer": buyer, "lines": computed["lines"], "amount": computed["amount"],
            "tax": computed["tax"], "total": computed["total"], "order_id": order_id
        }),
    )
    .await;
    let uploaded = call(
        &registry,
        "platform.invoice.upload",
        "2",
        json!({
            "shop": "pdd",
            "order_id": order_id,
            "invoice_number": rendered["invoice_number"],
            "issue_date": rendered["issue_date"],
            "amount": computed["amount"],
            "tax": computed["tax"],
            "payer_kind": "company",
            "payer_name": buyer["name"],
            "payer_tax_id": BUYER_ID,
            "pdf": rendered["pdf"]
        }),
    )
    .await;
    assert_eq!(uploaded["done"], true, "{uploaded}");

    let shown: Value = http
        .get(format!("{base}/_sandbox/orders/pdd/{order_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invoices = shown["invoices"].as_array().expect("invoices");
    assert_eq!(invoices.len(), 1, "{shown:#}");
    let text = invoices[0].to_string();
    assert!(
        text.contains(rendered["invoice_number"].as_str().unwrap()),
        "{text}"
    );
    // 92.83 before tax and 12.07 tax, sent in fen.
    assert!(
        text.contains("9283") && text.contains("1207") && text.contains("10490"),
        "{text}"
    );
}
