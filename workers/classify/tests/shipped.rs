//! The shipped examples and the model trained on them: enough examples per department, a
//! held-out set that shares no text with the training set, accuracy on that set above the
//! floor docs/performance.md reports, and the hand-over rule.

use std::collections::{BTreeMap, BTreeSet};

use shopflow_classify::{Classifier, Department, data};

fn train() -> Vec<shopflow_classify::Example> {
    data::parse(data::SHIPPED_TRAIN, "train.jsonl").expect("train.jsonl parses")
}

fn test() -> Vec<shopflow_classify::Example> {
    data::parse(data::SHIPPED_TEST, "test.jsonl").expect("test.jsonl parses")
}

#[test]
fn at_least_100_training_examples_per_department_and_a_disjoint_test_set() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in train() {
        *counts.entry(e.department.as_str()).or_default() += 1;
    }
    for d in Department::ALL {
        assert!(
            counts.get(d.as_str()).copied().unwrap_or(0) >= 100,
            "{counts:?}"
        );
    }
    let seen: BTreeSet<String> = train().into_iter().map(|e| e.text).collect();
    let test = test();
    assert!(test.len() >= 200, "{} held-out examples", test.len());
    for e in &test {
        assert!(!seen.contains(&e.text), "`{}` is in both sets", e.text);
    }
}

#[test]
fn the_shipped_model_labels_held_out_tickets() {
    let e = Classifier::shipped().evaluate(&test());
    // The floor sits below the measured accuracy (docs/performance.md) so that a change that
    // makes the classifier clearly worse fails here.
    assert!(e.department_accuracy >= 0.75, "{e:?}");
    assert!(e.sentiment_accuracy >= 0.65, "{e:?}");
    assert!(e.urgency_accuracy >= 0.70, "{e:?}");
}

#[test]
fn asking_for_a_person_or_being_very_angry_hands_over() {
    let c = Classifier::shipped();
    let person = c.classify("别跟我机器人聊了，转人工！");
    assert!(person.handoff);
    assert_eq!(person.handoff_reason, Some("asks_for_person"));
    let calm = c.classify("请问这件衣服有M码吗？");
    assert!(!calm.handoff, "{calm:?}");
    assert_eq!(calm.department, Department::Product);
    let en = c.classify("Where is my package? Tracking has not updated for a week.");
    assert_eq!(en.department, Department::Logistics);
    assert_eq!(en.language, "en");
}

#[test]
fn a_saved_model_classifies_like_the_one_trained() {
    let dir = std::env::temp_dir().join(format!("shopflow-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("model.json");
    let trained = Classifier::train(&train());
    trained.save(&path).expect("save");
    let loaded = Classifier::load(&path).expect("load");
    for e in test().iter().take(50) {
        assert_eq!(trained.classify(&e.text), loaded.classify(&e.text));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
