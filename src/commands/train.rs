//! `shopflow train`: trains the ticket classifier on the shipped examples plus agents'
//! corrections, writes the model, and reports its accuracy on a held-out set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use shopflow_classify::{Classifier, data};

/// What `shopflow train` was asked to do.
pub struct TrainArgs {
    /// Extra example files (JSON lines), e.g. agents' corrections.
    pub data: Vec<PathBuf>,
    /// Leave out the shipped examples.
    pub no_shipped: bool,
    /// Where to write the model.
    pub out: PathBuf,
    /// Held-out examples to score (default: the shipped test set).
    pub test: Option<PathBuf>,
}

/// Trains, writes, reports. Exit 0; 2 when an input cannot be used.
pub fn run(args: &TrainArgs) -> ExitCode {
    match train(args) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn train(args: &TrainArgs) -> Result<String, String> {
    let mut examples = Vec::new();
    if !args.no_shipped {
        examples.extend(
            data::parse(data::SHIPPED_TRAIN, "workflows/data/tickets/train.jsonl")
                .map_err(|e| e.to_string())?,
        );
    }
    for path in &args.data {
        examples.extend(data::read(path).map_err(|e| e.to_string())?);
    }
    if examples.is_empty() {
        return Err("no examples: give --data FILE or keep the shipped examples".into());
    }
    let test = match &args.test {
        Some(path) => data::read(path).map_err(|e| e.to_string())?,
        None => data::parse(data::SHIPPED_TEST, "workflows/data/tickets/test.jsonl")
            .map_err(|e| e.to_string())?,
    };
    let started = std::time::Instant::now();
    let classifier = Classifier::train(&examples);
    let took = started.elapsed();
    classifier.save(&args.out)?;
    let e = classifier.evaluate(&test);
    let mut report = serde_json::json!({
        "model": args.out.display().to_string(),
        "trained_on": examples.len(),
        "training_ms": took.as_millis() as u64,
        "evaluation": e,
    });
    if let Some(t) = &args.test {
        report["test"] = serde_json::json!(display(t));
    }
    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
