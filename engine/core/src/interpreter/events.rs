//! `listen`: which events match a filter (pure, shared with the backends) and how one, any,
//! all and until consume them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Value, json};
use shopflow_dsl::model::{Consumption, EventFilter, FilterValue, Listen, ReadMode, Until};

use crate::durable::{CloudEvent, Durable, EventMatcher};
use crate::error::WorkflowError;
use crate::interpreter::Interpreter;
use crate::interpreter::eval::{Scope, TaskVars};
use crate::step::StepId;

/// Whether `event` passes `filter`: every attribute matches (equal, or for strings a
/// whole-string regular expression, or an expression on the attribute that holds), and every
/// correlation with an expectation yields the expected value.
pub fn event_matches(
    filter: &EventFilter,
    event: &CloudEvent,
    expectations: &BTreeMap<String, Value>,
) -> bool {
    let attrs_ok = filter
        .with
        .iter()
        .all(|(name, want)| attribute_matches(want, event.get(name).unwrap_or(&Value::Null)));
    attrs_ok
        && filter
            .correlate
            .iter()
            .all(|(name, c)| match expectations.get(name) {
                None => true,
                Some(expected) => c
                    .from
                    .expr
                    .eval(event, &shopflow_dsl::expr::Vars::default())
                    .is_ok_and(|v| &v == expected),
            })
}

/// Whether an event attribute's value `have` passes `want`: equal, or for strings a
/// whole-string regular expression, or an expression on the value that holds.
pub fn attribute_matches(want: &FilterValue, have: &Value) -> bool {
    match want {
        FilterValue::Value(v) if v == have => true,
        FilterValue::Value(Value::String(pattern)) => match have {
            Value::String(s) => whole_string_regex(pattern).is_some_and(|re| re.is_match(s)),
            _ => false,
        },
        FilterValue::Value(_) => false,
        FilterValue::Expr(e) => e
            .expr
            .eval(have, &shopflow_dsl::expr::Vars::default())
            .is_ok_and(|v| !matches!(v, Value::Null | Value::Bool(false))),
    }
}

/// The compiled `^(?:pattern)$`, cached: listeners scan the inbox event by event, and
/// compiling the same few patterns for every event would dominate that scan.
fn whole_string_regex(pattern: &str) -> Option<Arc<regex_lite::Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<regex_lite::Regex>>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(re) = cache.get(pattern) {
        return re.clone();
    }
    // Patterns come from deployed flows, so the set is small; the bound only guards memory.
    if cache.len() >= 4096 {
        cache.clear();
    }
    let re = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .ok()
        .map(Arc::new);
    cache.insert(pattern.to_owned(), re.clone());
    re
}

/// Correlation values an event carries.
fn correlation_values(filter: &EventFilter, event: &CloudEvent) -> BTreeMap<String, Value> {
    filter
        .correlate
        .iter()
        .filter_map(|(name, c)| {
            c.from
                .expr
                .eval(event, &shopflow_dsl::expr::Vars::default())
                .ok()
                .map(|v| (name.clone(), v))
        })
        .collect()
}

impl<'a, D: Durable> Interpreter<'a, D> {
    pub(super) async fn listen(
        &self,
        l: &Listen,
        step: &StepId,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        // Expectations known up front (`expect`); the others are set by the first event.
        let mut expectations = BTreeMap::new();
        for filter in filters_of(&l.to) {
            for (name, c) in &filter.correlate {
                if let Some(t) = &c.expect {
                    expectations.insert(name.clone(), self.vars.template(t, input, scope, vars)?);
                }
            }
        }
        let mut consumed: Vec<Value> = Vec::new();
        let mut outputs: Vec<Value> = Vec::new();
        let mut pending: Vec<&EventFilter> = match &l.to {
            Consumption::All(fs) => fs.iter().collect(),
            Consumption::One(f) => vec![f],
            Consumption::Any { filters, .. } => filters.iter().collect(),
        };
        let any_event = matches!(&l.to, Consumption::Any { filters, .. } if filters.is_empty());
        let mut until_pending: Vec<&EventFilter> = match &l.to {
            Consumption::Any { until: Some(u), .. } => match u.as_ref() {
                Until::Events(c) => filters_of(c),
                Until::Expr(_) => Vec::new(),
            },
            _ => Vec::new(),
        };
        let until_needs_all = matches!(
            &l.to,
            Consumption::Any { until: Some(u), .. } if matches!(u.as_ref(), Until::Events(Consumption::All(_)))
        );
        loop {
            let n = consumed.len();
            let watched: Vec<EventFilter> = pending
                .iter()
                .chain(until_pending.iter())
                .map(|f| (*f).clone())
                .collect();
            let current = expectations.clone();
            let matcher: EventMatcher = Arc::new(move |e: &CloudEvent| {
                any_event || watched.iter().any(|f| event_matches(f, e, &current))
            });
            let event = self
                .durable
                .next_event(&step.op(&format!("e{n}")), matcher)
                .await;
            let mut counted = any_event;
            if let Some(i) = pending
                .iter()
                .position(|f| event_matches(f, &event, &expectations))
            {
                for (k, v) in correlation_values(pending[i], &event) {
                    expectations.entry(k).or_insert(v);
                }
                counted = true;
                if matches!(&l.to, Consumption::All(_)) {
                    pending.remove(i);
                }
            }
            let mut until_met = false;
            if let Some(i) = until_pending
                .iter()
                .position(|f| event_matches(f, &event, &expectations))
            {
                if until_needs_all {
                    until_pending.remove(i);
                } else {
                    until_pending.clear();
                }
                until_met = until_pending.is_empty();
            }
            if counted {
                let read = match l.read {
                    ReadMode::Envelope => event.clone(),
                    ReadMode::Data | ReadMode::Raw => {
                        event.get("data").cloned().unwrap_or(Value::Null)
                    }
                };
                if let Some(each) = &l.foreach {
                    let index = consumed.len();
                    let item_scope = scope.nested(&format!("[e{index}]")).with_locals([
                        (format!("${}", each.item), read.clone()),
                        (format!("${}", each.at), json!(index)),
                    ]);
                    let mut data = match self
                        .run_list(&each.tasks, read.clone(), &item_scope)
                        .await?
                    {
                        super::Flow::Next(v) | super::Flow::End(v) => v,
                    };
                    if let Some(o) = &each.output
                        && let Some(as_) = &o.as_
                    {
                        data = self.vars.template(as_, &data, &item_scope, vars)?;
                    }
                    if let Some(x) = &each.export
                        && let Some(as_) = &x.as_
                    {
                        let context = self.vars.template(as_, &data, &item_scope, vars)?;
                        if let Ok(mut c) = self.vars.context.lock() {
                            *c = context;
                        }
                    }
                    outputs.push(data.clone());
                }
                consumed.push(read);
            }
            let done = match &l.to {
                Consumption::One(_) => counted,
                Consumption::All(_) => pending.is_empty(),
                Consumption::Any { until: None, .. } => counted,
                Consumption::Any { until: Some(u), .. } => match u.as_ref() {
                    Until::Expr(e) => {
                        counted
                            && self
                                .vars
                                .holds(e, &Value::Array(consumed.clone()), scope, vars)?
                    }
                    Until::Events(_) => until_met,
                },
            };
            if done {
                break;
            }
        }
        Ok(if l.foreach.is_some() {
            Value::Array(outputs)
        } else {
            Value::Array(consumed)
        })
    }
}

fn filters_of(c: &Consumption) -> Vec<&EventFilter> {
    match c {
        Consumption::All(fs) | Consumption::Any { filters: fs, .. } => fs.iter().collect(),
        Consumption::One(f) => vec![f],
    }
}
