//! `invoice.compute` as flows call it: golden outputs (insta snapshots) for rounding halves,
//! tax-inclusive splits, mixed rates, tolerance breaches and bad tax ids, and the RFC 7807
//! errors for arguments of the wrong shape.

use std::sync::Arc;

use serde_json::{Value, json};
use shopflow_core::{ArtifactStore, CallContext, FunctionRegistry, WorkflowError};
use shopflow_invoice::{InvoiceSettings, Invoices};
use shopflow_voucher::FontFiles;

const SELLER: &str = "91350100M000100Y43";

fn registry() -> FunctionRegistry {
    let dir = std::env::temp_dir().join("shopflow-invoice-compute-unused");
    let invoices = Invoices::new(
        InvoiceSettings::default(),
        &dir,
        ArtifactStore::new(dir.join("artifacts")),
        FontFiles::from_env(),
        Arc::new(|| 1_795_000_000_000),
    );
    let mut registry = FunctionRegistry::with_builtins();
    shopflow_invoice::register(&mut registry, Arc::new(invoices));
    registry
}

async fn compute(args: Value) -> Result<Value, WorkflowError> {
    let ctx = CallContext {
        run_id: "run-1".into(),
        idempotency_key: "run-1/0".into(),
        instance: "/do/0/compute".into(),
    };
    registry().call("invoice.compute", ctx, args).await
}

fn seller() -> Value {
    json!({"name": "杭州云栖科技有限公司", "tax_id": SELLER})
}

#[tokio::test]
async fn rounding_halves_round_up() {
    // Every tax here is an exact half fen or more: 0.065, 0.135, 0.325, 0.005, 0.063, 0.0825.
    let out = compute(json!({
        "buyer": {"name": "张伟", "kind": "person"},
        "seller": seller(),
        "lines": [
            {"name": "*日用杂品*杯垫", "quantity": 1, "unit_price": "0.50", "tax_rate": "13%"},
            {"name": "*谷物*小米", "quantity": 1, "unit_price": "1.50", "tax_rate": "9%"},
            {"name": "*日用杂品*挂钩", "quantity": 1, "unit_price": "2.50", "tax_rate": 0.13},
            {"name": "*文具*回形针", "quantity": 1, "amount": "0.10", "tax_rate": "5%"},
            {"name": "*现代服务*打包费", "quantity": 3, "unit_price": "0.35", "tax_rate": "6%"},
            {"name": "*蔬菜*土豆", "unit": "千克", "quantity": "2.5", "unit_price": "3.30", "tax_rate": "1%"}
        ]
    }))
    .await
    .unwrap();
    let taxes: Vec<&str> = out["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["tax"].as_str().unwrap())
        .collect();
    assert_eq!(taxes, ["0.07", "0.14", "0.33", "0.01", "0.06", "0.08"]);
    assert_eq!(out["total"], "14.59");
    assert_eq!(out["confident"], true);
    assert_eq!(out["buyer_tax_id_valid"], Value::Null);
    insta::assert_yaml_snapshot!("rounding_halves", out);
}

#[tokio::test]
async fn tax_inclusive_prices_are_split() {
    let out = compute(json!({
        "buyer": {"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": "91350100M000100Y43"},
        "seller": seller(),
        "prices_include_tax": true,
        "lines": [
            {"name": "*茶*明前龙井", "model": "250g", "unit": "盒", "quantity": 2, "unit_price": "52.45", "tax_rate": "13%"},
            {"name": "*现代服务*快递服务费", "quantity": 1, "amount": "10.00", "tax_rate": "6%"}
        ],
        "expected_total": "114.90"
    }))
    .await
    .unwrap();
    // 104.90 / 1.13 = 92.8318… → 92.83 and 12.07; 10.00 / 1.06 = 9.4339… → 9.43 and 0.57.
    assert_eq!(out["lines"][0]["amount"], "92.83");
    assert_eq!(out["lines"][0]["tax"], "12.07");
    assert_eq!(out["lines"][0]["unit_price"], "46.415");
    assert_eq!(out["lines"][1]["tax"], "0.57");
    assert_eq!(out["total"], "114.90");
    assert_eq!(out["total_in_words"], "壹佰壹拾肆圆玖角");
    assert_eq!(out["confident"], true);
    insta::assert_yaml_snapshot!("tax_inclusive_split", out);
}

#[tokio::test]
async fn mixed_rates_and_an_unexpected_total() {
    let out = compute(json!({
        "buyer": {"name": "张伟", "kind": "person", "tax_id": "11010519491231002X"},
        "seller": seller(),
        "lines": [
            {"name": "*日用杂品*不锈钢保温杯", "model": "500ml", "unit": "个", "quantity": 2, "unit_price": "46.42", "tax_rate": "13%"},
            {"name": "*谷物*有机大米", "model": "5kg", "unit": "袋", "quantity": 2, "unit_price": "39.90", "tax_rate": "9%"},
            {"name": "*现代服务*安装服务", "quantity": 1, "amount": "10.00", "tax_rate": "6%"},
            {"name": "*文具*中性笔", "unit": "盒", "quantity": 4, "unit_price": "18.50", "tax_rate": "3%"},
            {"name": "*图书*茶经", "unit": "本", "quantity": 1, "amount": "30.00", "tax_rate": "0%"}
        ],
        "expected_total": "250.00"
    }))
    .await
    .unwrap();
    assert_eq!(out["amount"], "286.64");
    assert_eq!(out["tax"], "22.07");
    assert_eq!(out["total"], "308.71");
    assert_eq!(out["buyer_tax_id_valid"], true);
    assert_eq!(out["problems"][0]["code"], "total_mismatch");
    assert_eq!(out["problems"][0]["field"], "/expected_total");
    assert_eq!(out["confident"], false);
    insta::assert_yaml_snapshot!("mixed_rates_total_mismatch", out);
}

#[tokio::test]
async fn illegal_rates_and_amounts_that_do_not_multiply() {
    let out = compute(json!({
        "buyer": {"name": "张伟", "kind": "person"},
        "seller": seller(),
        "lines": [
            {"name": "*茶*白茶", "quantity": 1, "unit_price": "100.00", "tax_rate": "10%"},
            {"name": "*茶*红茶", "quantity": 2, "unit_price": "52.10", "amount": "104.00", "tax_rate": "13%"},
            {"name": "*茶*绿茶", "quantity": 3, "unit_price": "33.333", "amount": "100.00", "tax_rate": "13%"}
        ]
    }))
    .await
    .unwrap();
    let codes: Vec<(&str, &str)> = out["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    // 3 × 33.333 = 99.999, within 0.01 of 100.00: no problem for the third line.
    assert_eq!(
        codes,
        [
            ("tax_rate_not_allowed", "/lines/0/tax_rate"),
            ("amount_mismatch", "/lines/1/amount")
        ]
    );
    insta::assert_yaml_snapshot!("bad_rate_amount_mismatch", out);
}

#[tokio::test]
async fn a_printed_line_tax_beyond_six_fen() {
    // Checking an invoice as read: 92.83 × 13% = 12.0679, so 12.50 is 0.4321 off (too far);
    // 100.00 × 13% = 13.00, so 13.06 is exactly 0.06 off (still allowed).
    let out = compute(json!({
        "buyer": {"name": "张伟", "kind": "person"},
        "seller": seller(),
        "lines": [
            {"name": "*茶*明前龙井", "quantity": 1, "amount": "92.83", "tax": "12.50", "tax_rate": "13%"},
            {"name": "*茶*普洱", "quantity": 1, "amount": "100.00", "tax": "13.06", "tax_rate": "13%"}
        ]
    }))
    .await
    .unwrap();
    assert_eq!(out["problems"].as_array().unwrap().len(), 1);
    assert_eq!(out["problems"][0]["code"], "split_required");
    assert_eq!(out["problems"][0]["field"], "/lines/0/tax");
    assert_eq!(out["tax"], "25.56");
    insta::assert_yaml_snapshot!("line_tolerance", out);
}

fn tiny_lines(n: usize) -> Value {
    // 0.04 including 13 % is 0.0354 before tax → 0.04 and no tax: each line is 0.52 fen short.
    let lines: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("*日用杂品*贴纸{i}"), "quantity": 1, "unit_price": "0.04", "tax_rate": "13%"}))
        .collect();
    json!({
        "buyer": {"name": "张伟", "kind": "person"},
        "seller": seller(),
        "prices_include_tax": true,
        "lines": lines
    })
}

#[tokio::test]
async fn many_small_roundings_break_the_invoice_tolerance() {
    // 244 lines: 244 × 0.52 = 126.88 fen ≤ 1.27 yuan; 245 lines: 127.40 fen > 1.27 yuan.
    let within = compute(tiny_lines(244)).await.unwrap();
    assert_eq!(within["confident"], true, "{}", within["problems"]);
    let beyond = compute(tiny_lines(245)).await.unwrap();
    let mut summary = beyond.clone();
    summary["lines"] = json!(format!(
        "{} lines like {}",
        beyond["lines"].as_array().unwrap().len(),
        beyond["lines"][0]
    ));
    assert_eq!(beyond["problems"][0]["code"], "split_required");
    assert_eq!(beyond["problems"][0]["field"], "/lines");
    insta::assert_yaml_snapshot!("invoice_tolerance", summary);
}

#[tokio::test]
async fn tax_ids_that_fail_their_checks() {
    let line =
        json!([{"name": "*茶*明前龙井", "quantity": 1, "amount": "92.83", "tax_rate": "13%"}]);
    let mut outs = Vec::new();
    for (buyer, seller_id) in [
        // A mistyped last character, and an old 15-character id with a bad organisation code.
        (
            json!({"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": "91350100M000100Y44"}),
            "350100M000100Y5",
        ),
        // A company without a tax id; the seller's id has an O where a 0 belongs.
        (
            json!({"name": "福州闽江贸易有限公司", "kind": "company"}),
            "91350100MO00100Y43",
        ),
        // A person with an id-card number whose check digit is wrong; a 17-character seller id.
        (
            json!({"name": "张伟", "kind": "person", "tax_id": "110105194912310021"}),
            "91350100M000100Y4",
        ),
        // A company that gave an id-card number; the seller's old 15-character id is fine.
        (
            json!({"name": "福州闽江贸易有限公司", "kind": "company", "tax_id": "11010519491231002X"}),
            "350100M000100Y4",
        ),
    ] {
        let out = compute(json!({
            "buyer": buyer,
            "seller": {"name": "杭州云栖科技有限公司", "tax_id": seller_id},
            "lines": line
        }))
        .await
        .unwrap();
        assert_eq!(out["buyer_tax_id_valid"], false);
        let text = out["problems"].to_string();
        for id in [
            "91350100M000100Y44",
            "350100M000100Y5",
            "110105194912310021",
        ] {
            assert!(!text.contains(id), "no tax id in the problems: {text}");
        }
        outs.push(
            json!({"buyer_tax_id_valid": out["buyer_tax_id_valid"], "problems": out["problems"]}),
        );
    }
    insta::assert_yaml_snapshot!("bad_tax_ids", outs);
}

#[tokio::test]
async fn arguments_of_the_wrong_shape_are_validation_errors() {
    let good = json!({
        "buyer": {"name": "张伟", "kind": "person"},
        "seller": seller(),
        "lines": [{"name": "*茶*明前龙井", "quantity": 2, "unit_price": "46.42", "tax_rate": "13%"}]
    });
    let with = |path: &[&str], v: Value| {
        let mut a = good.clone();
        let mut at = &mut a;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[path[path.len() - 1]] = v;
        a
    };
    let cases = [
        json!("not a mapping"),
        with(&["lines"], json!([])),
        with(&["lines", "0", "unit_price"], json!(46.42)),
        with(&["lines", "0", "quantity"], json!({"value": 2})),
        with(&["lines", "0", "quantity"], json!(0)),
        with(&["lines", "0", "tax_rate"], json!(13)),
        with(&["lines", "0", "unitprice"], json!("46.42")),
        with(&["buyer", "kind"], json!("organisation")),
        with(&["expected_total"], json!("1,024.00")),
        with(&["prices_include_tax"], json!("yes")),
    ];
    let mut errors = Vec::new();
    for args in cases {
        let e = compute(args).await.unwrap_err();
        assert!(!e.retryable);
        assert_eq!(e.status, 400);
        assert_eq!(e.instance.as_deref(), Some("/do/0/compute"));
        errors.push(e.to_json());
    }
    insta::assert_yaml_snapshot!("validation_errors", errors);
}

#[test]
fn compute_has_no_effects_and_render_has() {
    let r = registry();
    assert!(!r.has_effects("invoice.compute"));
    assert!(r.has_effects("invoice.render"));
}
