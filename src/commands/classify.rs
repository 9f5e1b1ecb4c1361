//! `shopflow classify`: labels buyer messages with department, sentiment and urgency, one text
//! or a JSON-lines file of `{"text"}` objects (one result per line). Exit 0; 2 on unusable input.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;
use shopflow_classify::Classifier;

/// What `shopflow classify` was asked to do.
pub struct ClassifyArgs<'a> {
    /// The message, when not `--jsonl`.
    pub text: Option<&'a str>,
    /// A JSON-lines file of `{"text"}` (`-` for stdin).
    pub jsonl: Option<&'a Path>,
    /// A model from `shopflow train` instead of the shipped one.
    pub model: Option<&'a Path>,
    /// Print JSON (always for `--jsonl`).
    pub json: bool,
}

/// Classifies and prints.
pub fn run(args: &ClassifyArgs<'_>) -> ExitCode {
    match classify(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn classify(args: &ClassifyArgs<'_>) -> Result<(), String> {
    let classifier: Arc<Classifier> = match args.model {
        Some(path) => Arc::new(Classifier::load(path)?),
        None => Classifier::shipped(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match (args.text, args.jsonl) {
        (Some(text), None) => {
            let c = classifier.classify(text);
            if args.json {
                writeln!(out, "{}", serde_json::to_string(&c).map_err(|e| e.to_string())?)
            } else {
                writeln!(
                    out,
                    "department: {} ({:.2})\nsentiment: {} ({:.2})\nurgency: {} ({:.2})\nhand to a person: {}",
                    c.department.as_str(),
                    c.confidence.department,
                    c.sentiment.as_str(),
                    c.confidence.sentiment,
                    c.urgency.as_str(),
                    c.confidence.urgency,
                    c.handoff_reason.unwrap_or("no"),
                )
            }
            .map_err(|e| e.to_string())
        }
        (None, Some(path)) => {
            let reader: Box<dyn BufRead> = if path == Path::new("-") {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                ))
            };
            for (i, line) in reader.lines().enumerate() {
                let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(&line)
                    .map_err(|e| format!("{}:{}: not JSON: {e}", path.display(), i + 1))?;
                let text = v.get("text").and_then(Value::as_str).ok_or_else(|| {
                    format!(
                        "{}:{}: each line must be an object with a \"text\" string",
                        path.display(),
                        i + 1
                    )
                })?;
                let c = classifier.classify(text);
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&c).map_err(|e| e.to_string())?
                )
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        _ => Err("give either a TEXT or --jsonl FILE".into()),
    }
}
