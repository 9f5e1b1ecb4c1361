//! The command-line contract other tools rely on (DESIGN.md): output streams and exit statuses
//! of `validate`, `run`, `graph`, `explain`, `schema`, `sign`, `classify` and `train`, run as a
//! user runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cli")
        .join(name)
}

fn shopflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(args)
        .output()
        .expect("run shopflow")
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn validate_exits_0_for_valid_and_1_with_compiler_style_problems() {
    let ok = data("ok.yaml");
    let out = shopflow(&["validate", ok.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = data("invalid.yaml");
    let bad = bad.to_str().unwrap_or_default();
    let out = shopflow(&["validate", ok.to_str().unwrap_or_default(), bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{bad}:4:7: error[SW0101]: unknown key `cal` in a task\n  help: did you mean `call`?"
        )),
        "{stderr}"
    );
}

#[test]
fn run_prints_the_output_and_exits_0() {
    let out = shopflow(&[
        "run",
        data("ok.yaml").to_str().unwrap_or_default(),
        "--input",
        r#"{"name": "小明"}"#,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out), json!({"message": "你好 小明"}));
}

#[test]
fn run_prints_the_error_and_exits_1_when_the_flow_faults() {
    let out = shopflow(&["run", data("faults.yaml").to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out),
        json!({
            "type": "https://shopflow.dev/errors/out-of-stock",
            "status": 409,
            "title": "Out of stock",
            "instance": "/do/0/check"
        })
    );
}

#[test]
fn run_exits_2_for_an_invalid_definition_or_input() {
    let out = shopflow(&["run", data("invalid.yaml").to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[SW0101]"));

    let out = shopflow(&[
        "run",
        data("ok.yaml").to_str().unwrap_or_default(),
        "--input",
        "{not json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the input is not JSON"));
}

#[test]
fn run_mocks_functions_and_runs_subflows() {
    let ok = data("ok.yaml");
    let out = shopflow(&[
        "run",
        ok.to_str().unwrap_or_default(),
        "--input",
        r#"{"name": "x"}"#,
        "--mock",
        r#"echo={"mocked":true}"#,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out), json!({"mocked": true}));

    let parent = data("parent.yaml");
    let args = [
        "run",
        parent.to_str().unwrap_or_default(),
        "--flow",
        ok.to_str().unwrap_or_default(),
        "--input",
        r#"{"who": "小红"}"#,
    ];
    let out = shopflow(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out), json!({"message": "你好 小红"}));
}

#[test]
fn graph_explain_and_schema_print_to_stdout() {
    let ok = data("ok.yaml");
    let ok = ok.to_str().unwrap_or_default();
    let out = shopflow(&["graph", ok]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("flowchart"));
    let out = shopflow(&["graph", ok, "--format", "dot"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("digraph"));
    let out = shopflow(&["explain", ok]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("greet"));
    let out = shopflow(&["graph", data("invalid.yaml").to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));

    let out = shopflow(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema = stdout_json(&out);
    let text = schema.to_string();
    assert!(
        text.contains("\"noop\"") && text.contains("\"echo\""),
        "built-in functions listed"
    );
}

#[test]
fn run_with_db_keeps_the_runs_in_that_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("runs.db");
    let ok = data("ok.yaml");
    for name in ["a", "b"] {
        let out = shopflow(&[
            "run",
            ok.to_str().unwrap_or_default(),
            "--db",
            db.to_str().unwrap_or_default(),
            "--input",
            &format!(r#"{{"name": "{name}"}}"#),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let conn = rusqlite::Connection::open(&db).expect("open the database");
    let runs: i64 = conn
        .query_row(
            "SELECT count(*) FROM runs WHERE status = 'completed'",
            [],
            |r| r.get(0),
        )
        .expect("count runs");
    assert_eq!(runs, 2);
    let flows: i64 = conn
        .query_row("SELECT count(*) FROM flows", [], |r| r.get(0))
        .expect("count flows");
    assert_eq!(flows, 1, "the same flow deployed twice is one version");
}

fn shopflow_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopflow"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run shopflow")
}

#[test]
fn sign_prints_the_expected_signature_with_the_secret_masked() {
    // DOMAIN.md's official TOP vector.
    let out = shopflow_env(
        &[
            "sign",
            "--platform",
            "taobao",
            "--secret-env",
            "TOP_SECRET",
            "app_key=12345678",
            "fields=num_iid,title,nick,price,num",
            "format=json",
            "method=taobao.item.seller.get",
            "num_iid=11223344",
            "session=test",
            "sign_method=md5",
            "timestamp=2016-01-01 12:00:00",
            "v=2.0",
        ],
        &[("TOP_SECRET", "helloworld")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("signature: 66987CB115214E59E6EC978214934FB8\n"),
        "{text}"
    );
    assert!(text.contains("signed string: ***app_key12345678"), "{text}");
    assert!(!text.contains("helloworld"), "{text}");

    let dir = tempfile::tempdir().expect("temp dir");
    let body = dir.path().join("webhook.json");
    std::fs::write(
        &body,
        r#"{"id":820982911946154508,"financial_status":"pending"}"#,
    )
    .expect("body");
    let out = shopflow_env(
        &[
            "sign",
            "--platform",
            "shopify",
            "--secret-env",
            "S",
            "--body",
            body.to_str().unwrap_or_default(),
        ],
        &[("S", "shpss_secret")],
    );
    assert_eq!(out.status.code(), Some(0));
    let expected =
        std::fs::read_to_string("connectors/platforms/tests/vectors/shopify.b64").expect("vector");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with(&format!("signature: {}", expected.trim()))
    );

    // Unusable arguments: exit 2 with the reason.
    let out = shopflow_env(
        &["sign", "--platform", "ebay", "--secret-env", "S"],
        &[("S", "x")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown platform `ebay`"));
    let out = shopflow_env(
        &[
            "sign",
            "--platform",
            "taobao",
            "--secret-env",
            "NOT_SET_ANYWHERE",
            "a=b",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT_SET_ANYWHERE"));
}

#[test]
fn a_bad_shop_config_stops_serve_and_run_with_the_file_and_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("shopflow.toml");
    std::fs::write(
        &config,
        "[[shop]]\nname = \"tmall\"\nplatform = \"taobao\"\napp_key = \"1\"\nshop_id = \"2\"\n\
         app_secret = { env = \"SHOPFLOW_TEST_UNSET_SECRET\" }\naccess_token = { file = \"token\" }\n",
    )
    .expect("config");
    let db = dir.path().join("s.db");
    let out = shopflow(&[
        "serve",
        "--db",
        db.to_str().unwrap_or_default(),
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "shop `tmall`: `app_secret`: environment variable SHOPFLOW_TEST_UNSET_SECRET is not set"
        ),
        "{err}"
    );
    let flow = data("ok.yaml");
    let out = shopflow(&[
        "run",
        flow.to_str().unwrap_or_default(),
        "--config",
        config.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_shipped_sandbox_config_loads() {
    let out = shopflow(&[
        "run",
        data("ok.yaml").to_str().unwrap_or_default(),
        "--config",
        "workflows/sandbox/shopflow.toml",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn classify_follows_its_contract() {
    let out = shopflow(&[
        "classify",
        "--json",
        "快递一个星期了还没到，物流一直不更新，急用！",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(&out);
    for field in ["department", "sentiment", "urgency", "confidence"] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    assert_eq!(v["department"], "logistics", "{v}");
    let departments = [
        "logistics",
        "returns",
        "invoice",
        "payment",
        "product",
        "complaint",
        "other",
    ];
    let sentiments = [
        "very_negative",
        "negative",
        "neutral",
        "positive",
        "very_positive",
    ];

    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("tickets.jsonl");
    std::fs::write(
        &input,
        "{\"text\": \"I want to return these shoes, they are too small\"}\n{\"text\": \"请帮我开一张公司抬头的增值税发票\"}\n",
    )
    .expect("input");
    let out = shopflow(&["classify", "--jsonl", input.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON result per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["department"], "returns");
    assert_eq!(lines[1]["department"], "invoice");
    for l in &lines {
        assert!(departments.contains(&l["department"].as_str().unwrap_or_default()));
        assert!(sentiments.contains(&l["sentiment"].as_str().unwrap_or_default()));
    }
    std::fs::write(&input, "not json\n").expect("input");
    let out = shopflow(&["classify", "--jsonl", input.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tickets.jsonl:1: not JSON"));
}

#[test]
fn train_writes_a_model_that_classify_uses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let corrections = dir.path().join("corrections.jsonl");
    std::fs::write(
        &corrections,
        "{\"text\": \"蓝莓到货全烂了\", \"department\": \"complaint\", \"sentiment\": \"very_negative\", \"urgency\": \"high\"}\n",
    )
    .expect("corrections");
    let model = dir.path().join("model.json");
    let out = shopflow(&[
        "train",
        "--data",
        corrections.to_str().unwrap_or_default(),
        "--out",
        model.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = stdout_json(&out);
    assert_eq!(
        report["trained_on"].as_u64().map(|n| n > 800),
        Some(true),
        "{report}"
    );
    assert!(
        report["evaluation"]["department_accuracy"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.7,
        "{report}"
    );
    let out = shopflow(&[
        "classify",
        "--json",
        "--model",
        model.to_str().unwrap_or_default(),
        "hello",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // The same model behind `ticket.classify` in a run.
    let flow = data("classify.yaml");
    let out = shopflow(&[
        "run",
        flow.to_str().unwrap_or_default(),
        "--ticket-model",
        model.to_str().unwrap_or_default(),
        "--input",
        r#"{"text": "发票抬头写错了，麻烦重新开一张"}"#,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out)["department"], "invoice");
    std::fs::write(
        &corrections,
        "{\"text\": \"x\", \"department\": \"shipping\"}\n",
    )
    .expect("bad");
    let out = shopflow(&[
        "train",
        "--data",
        corrections.to_str().unwrap_or_default(),
        "--out",
        model.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("corrections.jsonl:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `shopflow ocr FILE --kind invoice --json` prints the contract's object for a rendered
/// fapiao; an unreadable or unsupported file exits 2 with the reason and advice.
#[test]
fn ocr_follows_its_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = shopflow_ocr::samples::benchmark_fapiao_page().expect("render the sample");
    let png = dir.path().join("fapiao.png");
    sample.image.save(&png).expect("write the PNG");
    let out = shopflow(&[
        "ocr",
        png.to_str().expect("path"),
        "--kind",
        "invoice",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["kind"], "invoice");
    for key in ["fields", "lines", "needs_review", "reasons"] {
        assert!(v.get(key).is_some(), "`{key}` missing: {v}");
    }
    for name in [
        "invoice_number",
        "issue_date",
        "buyer_tax_id",
        "total",
        "currency",
    ] {
        let field = &v["fields"][name];
        assert_eq!(
            field["value"].as_str(),
            sample.truth.fields.get(name).map(String::as_str),
            "{name}: {field}"
        );
        assert!(
            field["confidence"].is_number() && field["box"].is_object(),
            "{field}"
        );
    }
    // Money as a decimal string with two places.
    let total = v["fields"]["total"]["value"].as_str().expect("total");
    assert!(
        total.split_once('.').is_some_and(|(_, f)| f.len() == 2),
        "{total}"
    );

    let text = dir.path().join("note.txt");
    std::fs::write(&text, "not a document").expect("write");
    for (file, says) in [
        (text.to_str().expect("path"), "PDF, PNG, JPEG or TIFF"),
        ("/nonexistent/scan.png", "path"),
    ] {
        let out = shopflow(&["ocr", file, "--json"]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(file) && err.contains("help:") && err.contains(says),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}
