//! Every flow of the spec's conformance kit loads: CTK definitions validate clean, and each of
//! the example flows validates or is refused as "not supported" at a position — never a crash.

use std::path::{Path, PathBuf};

use shopflow_dsl::{Code, load};

const BUILTINS: &[&str] = &["noop", "echo"];

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

/// The YAML definitions inside a feature file's `Given a workflow with definition:` doc strings.
fn definitions(feature: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = feature.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].contains("a workflow with definition") {
            let open = i + 1;
            let indent = lines[open].len() - lines[open].trim_start().len();
            let mut body = String::new();
            let mut j = open + 1;
            while j < lines.len() && lines[j].trim() != "\"\"\"" {
                body.push_str(lines[j].get(indent..).unwrap_or(""));
                body.push('\n');
                j += 1;
            }
            out.push((open + 1, body));
            i = j;
        }
        i += 1;
    }
    out
}

#[test]
fn ctk_definitions_validate_clean() {
    let dir = shared().join("ctk/features");
    let mut count = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("ctk features") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read feature");
        for (line, def) in definitions(&text) {
            count += 1;
            match load(def.as_bytes(), BUILTINS) {
                Ok(loaded) => {
                    if !loaded.warnings.is_empty() {
                        failures.push(format!(
                            "{}:{line}: warnings {:?}",
                            path.display(),
                            loaded.warnings
                        ));
                    }
                }
                Err(diags) => failures.push(format!(
                    "{}:{line}:\n{}",
                    path.display(),
                    diags
                        .iter()
                        .map(|d| d.render("def"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )),
            }
        }
    }
    assert_eq!(count, 21, "the kit has 21 scenarios");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn examples_validate_or_are_refused_with_a_position() {
    let dir = shared().join("examples");
    let mut seen = 0;
    let mut report = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    for path in paths {
        seen += 1;
        let bytes = std::fs::read(&path).expect("read example");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        match load(&bytes, BUILTINS) {
            Ok(_) => report.push(format!("{name}: ok")),
            Err(diags) => {
                let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
                assert!(
                    errors.iter().all(|d| d.code == Code::NotSupported),
                    "{name} has errors other than not-supported:\n{}",
                    errors
                        .iter()
                        .map(|d| d.render(&name))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                for d in &errors {
                    assert!(d.pos.line > 0 && d.pos.col > 0, "{name}: no position");
                    assert!(
                        d.help.is_some(),
                        "{name}: not-supported without an alternative"
                    );
                }
                report.push(format!(
                    "{name}: {}",
                    errors
                        .iter()
                        .map(|d| format!("{}:{} {}", d.pos.line, d.pos.col, d.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    assert_eq!(seen, 66, "the examples folder has 66 flows (and a README)");
    insta::assert_snapshot!(report.join("\n"));
}
