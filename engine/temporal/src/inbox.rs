//! A run's inbox: events delivered by the envelope signal (and the run's own emits) that no
//! `listen` has consumed yet.
//!
//! An event that arrives before its listener is kept and matched when the listener starts,
//! as on the embedded engine. Deliveries are de-duplicated by event id (a router that retries
//! a signal delivers the same event twice), and the inbox keeps at most [`CAPACITY`] events:
//! past that the oldest unconsumed one is dropped with a warning.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use shopflow_core::{CloudEvent, EventMatcher};

/// Most unconsumed events a run keeps.
pub(crate) const CAPACITY: usize = 1000;
/// How many recent event ids are remembered for de-duplication.
const REMEMBERED_IDS: usize = 4096;

/// The payload of the event signal: one CloudEvent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// The event (`specversion`, `id`, `source`, `type`, `data`, …).
    pub event: CloudEvent,
}

/// Unconsumed events, oldest first.
#[derive(Default)]
pub(crate) struct Inbox {
    events: VecDeque<CloudEvent>,
    arrivals: u64,
    seen: BTreeSet<String>,
    seen_order: VecDeque<String>,
}

impl Inbox {
    /// Adds an event (a repeat of a recent id is ignored).
    pub(crate) fn deliver(&mut self, event: CloudEvent) {
        if let Some(id) = event.get("id").and_then(serde_json::Value::as_str) {
            if !self.seen.insert(id.to_owned()) {
                return;
            }
            self.seen_order.push_back(id.to_owned());
            if self.seen_order.len() > REMEMBERED_IDS
                && let Some(old) = self.seen_order.pop_front()
            {
                self.seen.remove(&old);
            }
        }
        if self.events.len() >= CAPACITY
            && let Some(dropped) = self.events.pop_front()
        {
            tracing::warn!(
                event = %dropped.get("id").unwrap_or(&serde_json::Value::Null),
                "a run's inbox is full: its oldest unconsumed event was dropped"
            );
        }
        self.events.push_back(event);
        self.arrivals += 1;
    }

    /// How many events have arrived so far (changes whenever one does).
    pub(crate) fn arrivals(&self) -> u64 {
        self.arrivals
    }

    /// Whether an event the matcher accepts is waiting.
    pub(crate) fn has_match(&self, matcher: &EventMatcher) -> bool {
        self.events.iter().any(|e| matcher(e))
    }

    /// Takes the oldest event the matcher accepts.
    pub(crate) fn take(&mut self, matcher: &EventMatcher) -> Option<CloudEvent> {
        let i = self.events.iter().position(|e| matcher(e))?;
        self.events.remove(i)
    }

    /// The unconsumed events, for continue-as-new.
    pub(crate) fn pending(&self) -> Vec<CloudEvent> {
        self.events.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    #[test]
    fn repeats_are_ignored_and_the_oldest_match_is_taken() {
        let mut inbox = Inbox::default();
        inbox.deliver(json!({"id": "a", "type": "x"}));
        inbox.deliver(json!({"id": "a", "type": "x"}));
        inbox.deliver(json!({"id": "b", "type": "x"}));
        assert_eq!(inbox.arrivals(), 2);
        let any_x: EventMatcher = Arc::new(|e| e["type"] == "x");
        assert_eq!(
            inbox.take(&any_x).map(|e| e["id"].clone()),
            Some(json!("a"))
        );
        assert_eq!(inbox.pending().len(), 1);
    }
}
