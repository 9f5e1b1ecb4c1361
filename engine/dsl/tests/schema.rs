//! The editor schema agrees with the loader: what the loader accepts, the schema accepts.

use std::path::{Path, PathBuf};

use serde_json::Value;
use shopflow_dsl::{Code, schema::json_schema};

const BUILTINS: &[(&str, &str)] = &[
    ("noop", "Does nothing and returns its input."),
    ("echo", "Returns its `with` arguments."),
];
const BUILTIN_NAMES: &[&str] = &["noop", "echo"];
const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/examples"
);

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&json_schema(BUILTINS)).expect("the schema compiles")
}

fn yaml_to_json(bytes: &[u8]) -> Value {
    shopflow_dsl::yaml::load_bytes(bytes)
        .expect("YAML")
        .to_json()
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .expect("the conformance examples")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

fn schema_errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let schema = json_schema(BUILTINS);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["$id"],
        "https://shopflow.dev/schemas/flow-1.0.3.json"
    );
    jsonschema::meta::validate(&schema).expect("valid against the draft 2020-12 meta-schema");
    validator();
}

#[test]
fn every_example_the_loader_accepts_validates_against_the_schema() {
    let validator = validator();
    let mut accepted = 0;
    let mut failures = Vec::new();
    for path in examples() {
        let bytes = std::fs::read(&path).expect("readable");
        if shopflow_dsl::load(&bytes, BUILTIN_NAMES).is_err() {
            continue;
        }
        accepted += 1;
        let errors = schema_errors(&validator, &yaml_to_json(&bytes));
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", name(&path), errors.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "the loader accepts these but the schema does not:\n{}",
        failures.join("\n")
    );
    assert!(
        accepted >= 30,
        "only {accepted} examples loaded; is the examples path right?"
    );
}

#[test]
fn examples_rejected_only_as_not_supported_are_rejected_by_the_schema() {
    let validator = validator();
    let mut checked = 0;
    for path in examples() {
        let bytes = std::fs::read(&path).expect("readable");
        let Err(diags) = shopflow_dsl::load(&bytes, BUILTIN_NAMES) else {
            continue;
        };
        if !diags
            .iter()
            .filter(|d| d.is_error())
            .all(|d| d.code == Code::NotSupported)
        {
            continue;
        }
        checked += 1;
        assert!(
            !validator.is_valid(&yaml_to_json(&bytes)),
            "{} uses a construct shopflow does not support, yet the schema accepts it",
            name(&path)
        );
    }
    assert!(checked >= 10, "only {checked} unsupported examples found");
}

const HEADER: &str = "document: {dsl: '1.0.3', namespace: shop, name: refund, version: '1.0.0'}\n";

/// Flows that are wrong, each rejected by both the loader and the schema.
const WRONG: &[(&str, &str)] = &[
    (
        "unknown key in a task",
        "do:\n  - notify:\n      call: echo\n      wiht: {to: buyer}\n",
    ),
    (
        "missing document.version",
        "document: {dsl: '1.0.3', namespace: shop, name: refund}\ndo:\n  - a:\n      set: {x: 1}\n",
    ),
    (
        "call: http without with",
        "do:\n  - fetchOrder:\n      call: http\n",
    ),
    (
        "then is not a string",
        "do:\n  - a:\n      set: {x: 1}\n      then: 3\n",
    ),
    (
        "unquoted version",
        "document: {dsl: '1.0.3', namespace: shop, name: refund, version: 1.0}\ndo:\n  - a:\n      set: {x: 1}\n",
    ),
    (
        "two task kinds",
        "do:\n  - a:\n      set: {x: 1}\n      wait: PT1S\n",
    ),
    (
        "unsupported call",
        "do:\n  - a:\n      call: grpc\n      with: {}\n",
    ),
    (
        "run.shell",
        "do:\n  - a:\n      run:\n        shell: {command: ls}\n",
    ),
    (
        "use.extensions",
        "use:\n  extensions: []\ndo:\n  - a:\n      set: {x: 1}\n",
    ),
    ("duration in months", "do:\n  - a:\n      wait: P1M\n"),
    ("empty task list", "do: []\n"),
    (
        "HTTP method",
        "do:\n  - a:\n      call: http\n      with: {method: fetch, endpoint: 'https://shop.example/a'}\n",
    ),
    (
        "listen with two strategies",
        "do:\n  - a:\n      listen:\n        to:\n          one: {with: {type: a}}\n          any: []\n",
    ),
];

#[test]
fn wrong_flows_are_rejected_by_the_schema_and_the_loader() {
    let validator = validator();
    for (what, text) in WRONG {
        let text = if text.starts_with("document:") {
            (*text).to_owned()
        } else {
            format!("{HEADER}{text}")
        };
        assert!(
            shopflow_dsl::load(text.as_bytes(), BUILTIN_NAMES).is_err(),
            "the loader accepts: {what}"
        );
        assert!(
            !validator.is_valid(&yaml_to_json(text.as_bytes())),
            "the schema accepts: {what}"
        );
    }
}

#[test]
fn a_shop_flow_validates() {
    let text = format!(
        "{HEADER}{}",
        r#"use:
  secrets: [taobaoAppSecret]
  retries:
    thrice: {delay: PT2S, backoff: {exponential: {}}, limit: {attempt: {count: 3}}}
do:
  - getOrder:
      call: http
      with:
        method: get
        endpoint: https://api.shop.example/orders/{orderId}
      output: {as: .order}
  - decide:
      switch:
        - big: {when: .total > 500, then: askFinance}
        - small: {then: refund}
  - askFinance:
      try:
        - wait4:
            listen:
              to:
                one:
                  with: {type: shopflow.finance.decision}
                  correlate: {order: {from: .data.orderId, expect: '${ $context.orderId }'}}
      catch:
        errors: {with: {type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout}}
        retry: thrice
      timeout: {after: {hours: 24}}
  - refund:
      call: echo
      with: {amount: '${ .total }'}
      then: end
"#
    );
    shopflow_dsl::load(text.as_bytes(), BUILTIN_NAMES).expect("the loader accepts it");
    let errors = schema_errors(&validator(), &yaml_to_json(text.as_bytes()));
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn built_in_functions_are_offered_with_their_descriptions() {
    let schema = json_schema(BUILTINS);
    let builtins = &schema["$defs"]["callFunction"]["properties"]["call"]["anyOf"][0];
    assert_eq!(builtins["enum"], serde_json::json!(["noop", "echo"]));
    assert_eq!(
        builtins["enumDescriptions"][1],
        "Returns its `with` arguments."
    );
}

#[test]
fn defs() {
    let schema = json_schema(BUILTINS);
    let names: Vec<&str> = schema["$defs"]
        .as_object()
        .expect("$defs")
        .keys()
        .map(String::as_str)
        .collect();
    insta::assert_snapshot!(names.join("\n"));
}
