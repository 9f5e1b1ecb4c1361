//! The journal a process shares between its runs, with what the journal itself does not
//! offer: the inbox of events no `listen` has consumed yet, the wake-up for runs that wait for
//! one, and the gate that stops new work when the process drains for shutdown.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use shopflow_core::{CloudEvent, attribute_matches};
use shopflow_dsl::model::{FilterValue, ListenedTypes};
use tokio::sync::Notify;

use crate::journal::{Error, EventInsert, Journal, NewEvent, Options};

/// An unconsumed event and when it arrived.
#[derive(Debug, Clone)]
struct Inboxed {
    event: CloudEvent,
    received_ms: i64,
}

/// An open journal plus the in-memory inbox and the listeners' wake-up.
///
/// One per database file and process (the journal's lock enforces it); share it in an
/// [`Arc`](std::sync::Arc) between the runs' contexts.
#[derive(Debug)]
pub struct Store {
    journal: Journal,
    /// Unconsumed events by inbox order, of the types some deployed `listen` can consume.
    inbox: Mutex<BTreeMap<i64, Inboxed>>,
    /// The event types kept in the inbox (any until the engine says otherwise).
    interest: Mutex<ListenedTypes>,
    /// Held shared by every publish from its journal write to its inbox decision, and
    /// exclusively while the interest widens: so the widening's journal read sees no event
    /// whose publish is still deciding (it could be taken by a listener, then re-added).
    publishing: tokio::sync::RwLock<()>,
    arrived: Notify,
    gate: Gate,
}

impl Store {
    /// Opens (creating if missing) the journal at `path` and loads the unconsumed events.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Store, Error> {
        let path = path.as_ref();
        let journal = Journal::open(path, options)?;
        // This process is the journal's only writer: after this read the inbox lives in memory.
        let inbox = journal
            .unconsumed_events()?
            .into_iter()
            .map(|(seq, event, received_ms)| (seq, Inboxed { event, received_ms }))
            .collect();
        Ok(Store {
            journal,
            inbox: Mutex::new(inbox),
            interest: Mutex::new(ListenedTypes::Any),
            publishing: tokio::sync::RwLock::new(()),
            arrived: Notify::new(),
            gate: Gate::default(),
        })
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The gate every run passes before starting a call.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Stores an event in the inbox (durable when this returns) and wakes the listeners.
    pub async fn publish(&self, event: &NewEvent) -> Result<EventInsert, Error> {
        let _deciding = self.publishing.read().await;
        let inserted = self.journal.insert_event(event).await?;
        if let EventInsert::Inserted { seq } = inserted
            && self.interested(&event.body)
        {
            self.inbox().insert(
                seq,
                Inboxed {
                    event: event.body.clone(),
                    received_ms: event.received_ms,
                },
            );
            self.arrived.notify_waiters();
        }
        Ok(inserted)
    }

    /// Keeps in memory only events a deployed `listen` can consume; the others stay in the
    /// journal alone (they still start runs through `schedule.on`, which sees every event as
    /// it is published). Widening the interest loads, from the journal, the unconsumed events
    /// of the newly listened types: those were never in memory, so no run can have claimed them.
    ///
    /// The interest only grows while the store is open (deployed versions are never removed),
    /// so an event matching the old interest was in memory when published: it is in the inbox
    /// still, or a listener took it. Only events that matched nothing before are loaded.
    pub async fn set_interest(&self, interest: ListenedTypes) -> Result<(), Error> {
        let _no_publish_deciding = self.publishing.write().await;
        let old = std::mem::replace(&mut *self.interest_guard(), interest.clone());
        self.inbox()
            .retain(|_, i| matches_interest(&interest, &i.event));
        let widened = match (&old, &interest) {
            (ListenedTypes::Any, _) => false,
            (ListenedTypes::Only(_), ListenedTypes::Any) => true,
            (ListenedTypes::Only(before), ListenedTypes::Only(now)) => now
                .iter()
                .any(|t| !before.iter().any(|b| type_text(b) == type_text(t))),
        };
        if widened {
            let missing: Vec<(i64, Inboxed)> = self
                .journal
                .unconsumed_events()?
                .into_iter()
                .filter(|(_, event, _)| {
                    matches_interest(&interest, event) && !matches_interest(&old, event)
                })
                .map(|(seq, event, received_ms)| (seq, Inboxed { event, received_ms }))
                .collect();
            if !missing.is_empty() {
                self.inbox().extend(missing);
                self.arrived.notify_waiters();
            }
        }
        Ok(())
    }

    /// Keeps in memory only what `interest` listens for, at open (before any publish):
    /// everything was loaded, nothing needs loading.
    pub fn narrow_interest(&self, interest: ListenedTypes) {
        self.inbox()
            .retain(|_, i| matches_interest(&interest, &i.event));
        *self.interest_guard() = interest;
    }

    fn interested(&self, event: &CloudEvent) -> bool {
        matches_interest(&self.interest_guard(), event)
    }

    fn interest_guard(&self) -> MutexGuard<'_, ListenedTypes> {
        self.interest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Unconsumed events in memory, oldest first.
    pub fn unconsumed_events(&self) -> Vec<CloudEvent> {
        self.inbox().values().map(|i| i.event.clone()).collect()
    }

    /// Takes the oldest unconsumed event `accept` accepts out of the inbox. The caller
    /// journals the claim (`consumed_event_id`); if that write is lost in a crash, the event
    /// is unconsumed again after the restart and goes to the replayed listener.
    pub(crate) fn take_event(&self, accept: impl Fn(&CloudEvent) -> bool) -> Option<CloudEvent> {
        let mut inbox = self.inbox();
        let seq = inbox
            .iter()
            .find(|(_, i)| accept(&i.event))
            .map(|(seq, _)| *seq)?;
        inbox.remove(&seq).map(|i| i.event)
    }

    /// Forgets inbox events received before `before_ms` (retention deleted them).
    pub(crate) fn prune_inbox(&self, before_ms: i64) {
        self.inbox().retain(|_, i| i.received_ms >= before_ms);
    }

    /// Wakes for the next [`publish`](Self::publish); create it before looking, so an event
    /// published in between is not missed.
    pub(crate) fn arrived(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }

    fn inbox(&self) -> MutexGuard<'_, BTreeMap<i64, Inboxed>> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Admits calls while the process runs and holds new ones back while it drains for shutdown,
/// counting the calls in flight so shutdown can wait for them.
#[derive(Debug, Default)]
pub struct Gate {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    changed: Notify,
}

/// A call in flight; dropping it counts the call done.
#[derive(Debug)]
pub struct Admitted<'a>(&'a Gate);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

impl Gate {
    /// Admits a call, or never completes when the process drains (the run stays where it
    /// is and resumes from its journal on the next start).
    pub async fn admit(&self) -> Admitted<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let admitted = Admitted(self);
        if self.draining.load(Ordering::Acquire) {
            drop(admitted);
            return std::future::pending().await;
        }
        admitted
    }

    /// Stops admitting calls.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Whether the gate is closed for shutdown.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Completes when no call is in flight.
    pub async fn idle(&self) {
        loop {
            let changed = self.changed.notified();
            if self.in_flight() == 0 {
                return;
            }
            changed.await;
        }
    }
}

fn type_text(f: &FilterValue) -> Option<&str> {
    match f {
        FilterValue::Value(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Whether `event`'s type is one `interest` keeps.
fn matches_interest(interest: &ListenedTypes, event: &CloudEvent) -> bool {
    match interest {
        ListenedTypes::Any => true,
        ListenedTypes::Only(types) => {
            let ty = event.get("type").unwrap_or(&serde_json::Value::Null);
            types.iter().any(|t| attribute_matches(t, ty))
        }
    }
}
