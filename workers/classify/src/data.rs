//! Labelled examples: JSON lines `{"text", "department", "sentiment", "urgency"}`, the shipped
//! ones (workflows/data/tickets) and agents' corrections in the same format.

use std::path::Path;

use serde::Deserialize;

use crate::labels::{Department, Sentiment, Urgency};

/// The examples shipped with shopflow (`workflows/data/tickets/train.jsonl`).
pub const SHIPPED_TRAIN: &str = include_str!("../../../workflows/data/tickets/train.jsonl");
/// The held-out examples (`workflows/data/tickets/test.jsonl`), never used for training.
pub const SHIPPED_TEST: &str = include_str!("../../../workflows/data/tickets/test.jsonl");

/// A labelled ticket.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// What the buyer wrote.
    pub text: String,
    /// The right department.
    pub department: Department,
    /// The right sentiment.
    pub sentiment: Sentiment,
    /// The right urgency.
    pub urgency: Urgency,
}

/// Why examples could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a valid example.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong, with the expected values.
        message: String,
    },
}

/// Parses JSON lines (blank lines and lines starting with `#` are skipped).
pub fn parse(text: &str, path: &str) -> Result<Vec<Example>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let example: Example = serde_json::from_str(line).map_err(|e| Error::Line {
            path: path.to_owned(),
            line: i + 1,
            message: format!(
                "{e} (each line is {{\"text\", \"department\", \"sentiment\", \"urgency\"}}; departments: {}; sentiments: {}; urgencies: {})",
                names(Department::ALL.iter().map(|d| d.as_str())),
                names(Sentiment::ALL.iter().map(|s| s.as_str())),
                names(Urgency::ALL.iter().map(|u| u.as_str())),
            ),
        })?;
        out.push(example);
    }
    Ok(out)
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// Reads a JSON-lines file of examples.
pub fn read(path: &Path) -> Result<Vec<Example>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}
