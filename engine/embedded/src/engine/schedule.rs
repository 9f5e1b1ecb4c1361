//! Runs started by the flow's `schedule`: `cron`, `every` and `after` by a ticker, `on` by
//! published events. Each start has an id derived from the flow and the tick (or the
//! events), so a tick or event handled twice — after a crash, or a webhook delivered again —
//! starts one run.
//!
//! **Missed ticks.** While shopflow is down no run starts. At the next start a schedule whose
//! tick was missed starts **one** catch-up run (however many ticks were missed), then follows
//! its schedule from the current time. Only the newest version of a flow is scheduled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shopflow_core::{CloudEvent, StepId, event_matches, idempotency_key};
use shopflow_dsl::Workflow;
use shopflow_dsl::model::{Consumption, EventFilter};

use super::{Engine, EngineError, lock};
use crate::journal::RunFilter;

/// How often the ticker looks at the schedules; a tick starts at most this late.
const TICK: Duration = Duration::from_millis(250);

/// Events collected so far for flows whose `schedule.on` is `all`, by flow: one slot per
/// filter. Kept in memory: a partial set is lost on restart (documented in operations).
#[derive(Default)]
pub(crate) struct Partial(BTreeMap<String, Vec<Option<CloudEvent>>>);

fn flow_key(wf: &Workflow) -> String {
    format!("{}/{}", wf.document.namespace, wf.document.name)
}

/// A run id derived from the flow and what started it.
fn derived_id(prefix: &str, flow: &str, cause: &str) -> String {
    let key = idempotency_key(flow, &StepId::from_raw(cause));
    format!("{prefix}-{}", &key[..24])
}

/// Starts the runs that `event` triggers; returns their ids.
///
/// A redelivered event (`fresh` false) starts the same `one`/`any` runs again, which finds
/// them started; it does not count again towards an `all` set.
pub(crate) async fn trigger(
    engine: &Engine,
    event: &CloudEvent,
    fresh: bool,
) -> Result<Vec<String>, EngineError> {
    let mut starts: Vec<(String, Arc<Workflow>, Value)> = Vec::new();
    let event_id = event.get("id").and_then(Value::as_str).unwrap_or_default();
    let triggered: Vec<Arc<Workflow>> = engine
        .inner
        .catalog
        .latest()
        .into_iter()
        .filter(|wf| wf.schedule.as_ref().is_some_and(|s| s.on.is_some()))
        .collect();
    if triggered.is_empty() {
        return Ok(Vec::new());
    }
    let off: Vec<String> = engine
        .inner
        .store
        .journal()
        .schedules()?
        .into_iter()
        .filter(|s| !s.enabled)
        .map(|s| s.flow)
        .collect();
    for wf in triggered {
        let Some(on) = wf.schedule.as_ref().and_then(|s| s.on.as_ref()) else {
            continue;
        };
        let flow = flow_key(&wf);
        if off.contains(&flow) {
            continue;
        }
        let matches = |f: &EventFilter| event_matches(f, event, &BTreeMap::new());
        match on {
            Consumption::One(filter) => {
                if matches(filter) {
                    starts.push((
                        derived_id("on", &flow, event_id),
                        Arc::clone(&wf),
                        json!([event]),
                    ));
                }
            }
            Consumption::Any { filters, .. } => {
                if filters.is_empty() || filters.iter().any(matches) {
                    starts.push((
                        derived_id("on", &flow, event_id),
                        Arc::clone(&wf),
                        json!([event]),
                    ));
                }
            }
            Consumption::All(_) if !fresh => {}
            Consumption::All(filters) => {
                let mut partial = lock(&engine.inner.triggers);
                let slots = partial
                    .0
                    .entry(flow.clone())
                    .or_insert_with(|| vec![None; filters.len()]);
                if slots.len() != filters.len() {
                    *slots = vec![None; filters.len()];
                }
                let free = filters
                    .iter()
                    .zip(slots.iter())
                    .position(|(f, slot)| slot.is_none() && matches(f));
                if let Some(i) = free {
                    slots[i] = Some(event.clone());
                }
                if slots.iter().all(Option::is_some) {
                    let events: Vec<CloudEvent> = slots.drain(..).flatten().collect();
                    let ids: Vec<&str> = events
                        .iter()
                        .map(|e| e.get("id").and_then(Value::as_str).unwrap_or_default())
                        .collect();
                    let id = derived_id("on", &flow, &ids.join("+"));
                    starts.push((id, Arc::clone(&wf), Value::Array(events)));
                    partial.0.remove(&flow);
                }
            }
        }
    }
    let mut started = Vec::new();
    for (id, wf, input) in starts {
        engine.start_run(&id, wf, input).await?;
        started.push(id);
    }
    Ok(started)
}

/// The ticker for `cron`, `every` and `after`.
pub(crate) fn spawn_ticker(engine: Engine) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // When each schedule was first seen by this process: the base for a first tick.
        let mut first_seen: BTreeMap<String, i64> = BTreeMap::new();
        loop {
            if let Err(e) = tick(&engine, &mut first_seen).await {
                tracing::warn!("schedules: {e}");
            }
            tokio::time::sleep(TICK).await;
        }
    })
}

async fn tick(engine: &Engine, first_seen: &mut BTreeMap<String, i64>) -> Result<(), EngineError> {
    let now = engine.now_ms();
    let states = engine.inner.store.journal().schedules()?;
    for wf in engine.inner.catalog.latest() {
        let Some(schedule) = wf.schedule.as_ref() else {
            continue;
        };
        if schedule.cron.is_none() && schedule.every.is_none() && schedule.after.is_none() {
            continue;
        }
        let flow = flow_key(&wf);
        let state = states.iter().find(|s| s.flow == flow);
        if state.is_some_and(|s| !s.enabled) {
            continue;
        }
        let base = state
            .and_then(|s| s.last_tick_ms)
            .unwrap_or_else(|| *first_seen.entry(flow.clone()).or_insert(now));
        // One flow's failure (a journal error) does not hold up the others.
        if let Err(e) = tick_flow(engine, &wf, &flow, base, now).await {
            tracing::warn!(%flow, "schedule: {e}");
        }
    }
    Ok(())
}

/// Starts `wf`'s scheduled run if its next tick after `base` is due at `now`.
async fn tick_flow(
    engine: &Engine,
    wf: &Arc<Workflow>,
    flow: &str,
    base: i64,
    now: i64,
) -> Result<(), EngineError> {
    let Some(schedule) = wf.schedule.as_ref() else {
        return Ok(());
    };
    let due = if let Some(every) = schedule.every {
        Some(base.saturating_add(millis(every)))
    } else if let Some(cron) = &schedule.cron {
        next_cron(cron, base)
    } else if let Some(after) = schedule.after {
        // The end of the previous run is known only where runs run.
        if engine.runs_elsewhere() {
            return Ok(());
        }
        after_due(engine, flow, base, millis(after))?
    } else {
        None
    };
    let Some(due) = due.filter(|due| *due <= now) else {
        return Ok(());
    };
    let id = derived_id("tick", flow, &due.to_string());
    engine.start_run(&id, Arc::clone(wf), json!({})).await?;
    // The next tick counts from now: missed ticks collapse into this one run.
    let last = if now - due > millis(TICK) * 4 {
        now
    } else {
        due
    };
    engine
        .inner
        .store
        .journal()
        .update_schedule(flow, None, Some(last))
        .await?;
    tracing::info!(%flow, run = %id, "schedule started a run");
    Ok(())
}

/// `after`: due `after` past the end of the newest run, once no run of the flow is unfinished.
fn after_due(
    engine: &Engine,
    flow: &str,
    base: i64,
    after: i64,
) -> Result<Option<i64>, EngineError> {
    let newest = engine.inner.store.journal().list_runs(&RunFilter {
        flow: Some(flow.to_owned()),
        status: None,
        limit: Some(1),
    })?;
    Ok(match newest.first() {
        None => Some(base.saturating_add(after)),
        Some(run) if run.status.is_final() => Some(run.updated_ms.max(base).saturating_add(after)),
        Some(_) => None,
    })
}

fn next_cron(expr: &str, after_ms: i64) -> Option<i64> {
    let cron = shopflow_dsl::parse_cron(expr).ok()?;
    let after = chrono::DateTime::from_timestamp_millis(after_ms)?;
    cron.find_next_occurrence(&after, false)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Engine {
    /// Switches a flow's schedule on or off (it is on when deployed).
    pub async fn set_schedule(&self, flow: &str, enabled: bool) -> Result<(), EngineError> {
        let r = super::parse_flow_ref(flow)?;
        if self.inner.catalog.get(&r).is_none() {
            return Err(EngineError::NotFound(format!(
                "flow {flow} is not deployed"
            )));
        }
        let key = format!("{}/{}", r.namespace, r.name);
        self.inner
            .store
            .journal()
            .update_schedule(&key, Some(enabled), None)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_ticks_at_the_next_matching_minute() {
        // 2026-11-24T10:02:30Z
        let base = 1_795_514_550_000_i64;
        let next = next_cron("*/5 * * * *", base).unwrap_or_default();
        assert_eq!(
            super::super::millis_to_rfc3339(next),
            "2026-11-24T10:05:00.000Z"
        );
        let daily = next_cron("@daily", base).unwrap_or_default();
        assert_eq!(
            super::super::millis_to_rfc3339(daily),
            "2026-11-25T00:00:00.000Z"
        );
    }

    #[test]
    fn derived_ids_depend_on_flow_and_cause_only() {
        assert_eq!(derived_id("on", "a/b", "e1"), derived_id("on", "a/b", "e1"));
        assert_ne!(derived_id("on", "a/b", "e1"), derived_id("on", "a/b", "e2"));
        assert_ne!(derived_id("on", "a/b", "e1"), derived_id("on", "a/c", "e1"));
    }
}
