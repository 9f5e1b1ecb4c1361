//! The ticket classifier: a vocabulary of features and three softmax heads (department,
//! sentiment, urgency), trained from labelled examples, saved as JSON, and the hand-over rule
//! (the buyer asks for a person, or is very angry).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::data::{self, Example};
use crate::features::{features, language};
use crate::labels::{Department, Sentiment, Urgency};
use crate::model::{Head, Training};

/// A trained classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Classifier {
    /// The feature names, in weight order.
    vocabulary: Vec<String>,
    department: Head,
    sentiment: Head,
    urgency: Head,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// What `ticket.classify` and `shopflow classify` return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// The team the ticket goes to.
    pub department: Department,
    /// How the buyer feels.
    pub sentiment: Sentiment,
    /// How soon it needs an answer.
    pub urgency: Urgency,
    /// The model's probability for each of the three answers.
    pub confidence: Confidence,
    /// `zh` or `en`.
    pub language: &'static str,
    /// Hand the ticket to a person at once.
    pub handoff: bool,
    /// Why (`asks_for_person`, `very_angry`), when `handoff`.
    pub handoff_reason: Option<&'static str>,
}

/// Probabilities of the chosen labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Confidence {
    /// Of the department.
    pub department: f32,
    /// Of the sentiment.
    pub sentiment: f32,
    /// Of the urgency.
    pub urgency: f32,
}

/// How well a classifier labels held-out examples.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Examples scored.
    pub examples: usize,
    /// Share with the right department.
    pub department_accuracy: f64,
    /// Share with the right sentiment.
    pub sentiment_accuracy: f64,
    /// Share with the right urgency.
    pub urgency_accuracy: f64,
    /// Per department: (right, total).
    pub per_department: BTreeMap<&'static str, (usize, usize)>,
}

/// Phrases with which buyers ask for a person.
const ASKS_FOR_PERSON: &[&str] = &[
    "转人工",
    "人工客服",
    "人工服务",
    "找人工",
    "真人",
    "活人",
    "你们经理",
    "叫经理",
    "human agent",
    "real person",
    "talk to a human",
    "speak to a human",
    "a human",
    "real agent",
    "speak to someone",
    "talk to someone",
    "manager",
];

/// How sure the model must be that a buyer is very angry before the ticket skips the queue.
const VERY_ANGRY: f32 = 0.5;

impl Classifier {
    /// Trains a classifier on `examples` with the default settings.
    pub fn train(examples: &[Example]) -> Classifier {
        Self::train_with(examples, Training::default())
    }

    /// Trains a classifier on `examples`.
    pub fn train_with(examples: &[Example], training: Training) -> Classifier {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut vocabulary = Vec::new();
        let encoded: Vec<Vec<usize>> = examples
            .iter()
            .map(|e| {
                let mut ids: Vec<usize> = features(&e.text)
                    .into_iter()
                    .map(|f| {
                        *index.entry(f.clone()).or_insert_with(|| {
                            vocabulary.push(f);
                            vocabulary.len() - 1
                        })
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .collect();
        let n = vocabulary.len();
        let names = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let mut department = Head::new(
            names(
                &Department::ALL
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>(),
            ),
            n,
        );
        let mut sentiment = Head::new(
            names(
                &Sentiment::ALL
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>(),
            ),
            n,
        );
        let mut urgency = Head::new(
            names(&Urgency::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>()),
            n,
        );
        let pairs = |label: &dyn Fn(&Example) -> usize| -> Vec<(Vec<usize>, usize)> {
            encoded
                .iter()
                .cloned()
                .zip(examples.iter().map(label))
                .collect()
        };
        department.train(&pairs(&|e| e.department.index()), training);
        sentiment.train(&pairs(&|e| e.sentiment.index()), training);
        urgency.train(&pairs(&|e| e.urgency.index()), training);
        Classifier {
            vocabulary,
            department,
            sentiment,
            urgency,
            index,
        }
    }

    /// The classifier trained on the shipped examples (trained once, on first use: a few
    /// hundred milliseconds at most).
    pub fn shipped() -> Arc<Classifier> {
        static SHIPPED: OnceLock<Arc<Classifier>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let examples =
                    data::parse(data::SHIPPED_TRAIN, "workflows/data/tickets/train.jsonl")
                        .expect("the shipped examples are checked by the tests");
                Arc::new(Classifier::train(&examples))
            })
            .clone()
    }

    /// Labels `text`.
    pub fn classify(&self, text: &str) -> Classification {
        let ids = self.encode(text);
        let (d, dp) = self.department.predict(&ids);
        let (s, sp) = self.sentiment.predict(&ids);
        let (u, up) = self.urgency.predict(&ids);
        let department = Department::ALL[d.min(Department::ALL.len() - 1)];
        let sentiment = Sentiment::ALL[s.min(Sentiment::ALL.len() - 1)];
        let urgency = Urgency::ALL[u.min(Urgency::ALL.len() - 1)];
        let lower = text.to_lowercase();
        let handoff_reason = if ASKS_FOR_PERSON.iter().any(|p| lower.contains(p)) {
            Some("asks_for_person")
        } else if sentiment == Sentiment::VeryNegative && sp >= VERY_ANGRY {
            Some("very_angry")
        } else {
            None
        };
        Classification {
            department,
            sentiment,
            urgency,
            confidence: Confidence {
                department: round(dp),
                sentiment: round(sp),
                urgency: round(up),
            },
            language: language(text),
            handoff: handoff_reason.is_some(),
            handoff_reason,
        }
    }

    /// Scores the classifier on labelled examples.
    pub fn evaluate(&self, examples: &[Example]) -> Evaluation {
        let mut right = [0usize; 3];
        let mut per_department: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
        for e in examples {
            let c = self.classify(&e.text);
            let entry = per_department.entry(e.department.as_str()).or_default();
            entry.1 += 1;
            if c.department == e.department {
                right[0] += 1;
                entry.0 += 1;
            }
            right[1] += usize::from(c.sentiment == e.sentiment);
            right[2] += usize::from(c.urgency == e.urgency);
        }
        let share = |n: usize| {
            if examples.is_empty() {
                0.0
            } else {
                n as f64 / examples.len() as f64
            }
        };
        Evaluation {
            examples: examples.len(),
            department_accuracy: share(right[0]),
            sentiment_accuracy: share(right[1]),
            urgency_accuracy: share(right[2]),
            per_department,
        }
    }

    /// Reads a model written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Classifier, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut c: Classifier = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a shopflow ticket model: {e}", path.display()))?;
        c.index = c
            .vocabulary
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        Ok(c)
    }

    /// Writes the model as JSON.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn encode(&self, text: &str) -> Vec<usize> {
        let mut ids: Vec<usize> = features(text)
            .iter()
            .filter_map(|f| self.index.get(f).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

fn round(p: f32) -> f32 {
    (p * 1000.0).round() / 1000.0
}
