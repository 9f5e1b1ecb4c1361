//! Phrases for errors, retries and timeouts, with `use` references looked up.

use std::time::Duration;

use crate::model::{
    Backoff, Catch, DurationValue, ErrorDef, ErrorFilter, ErrorRef, RetryPolicy, RetryRef,
    TimeoutRef, Workflow,
};
use crate::render::duration::{human, iso8601};
use crate::render::medium::Medium;

/// Prefix of the standard error types; diagrams and prose show only what follows it.
const STANDARD_ERRORS: &str = "https://serverlessworkflow.io/spec/1.0.0/errors/";

/// An error type, shortened to its name when it is one of the standard ones (`communication`).
pub(crate) fn error_type(uri: &str) -> &str {
    uri.strip_prefix(STANDARD_ERRORS)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(uri)
}

/// Which errors a filter catches: `type communication, status 503`, or `any error`.
pub(crate) fn error_filter(f: &ErrorFilter) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &f.type_ {
        parts.push(format!("type {}", error_type(t)));
    }
    if let Some(s) = f.status {
        parts.push(format!("status {s}"));
    }
    if let Some(i) = &f.instance {
        parts.push(format!("instance {i}"));
    }
    if let Some(t) = &f.title {
        parts.push(format!("title \"{t}\""));
    }
    if let Some(d) = &f.detail {
        parts.push(format!("detail \"{d}\""));
    }
    if parts.is_empty() {
        return "any error".to_owned();
    }
    parts.join(", ")
}

/// Which errors a `catch` handles, with its `when`/`exceptWhen` conditions.
pub(crate) fn caught(c: &Catch, medium: Medium) -> String {
    let mut out = error_filter(&c.errors);
    if let Some(w) = &c.when {
        out.push_str(&format!(", when {}", medium.code(w)));
    }
    if let Some(w) = &c.except_when {
        out.push_str(&format!(", except when {}", medium.code(w)));
    }
    out
}

/// The error a `raise` raises. Prose names it in full (`notImplemented (type …, status 500,
/// "Not Implemented")`); a diagram keeps it short (`notImplemented`, `Access Forbidden (400)`).
pub(crate) fn raised(e: &ErrorRef, wf: &Workflow, medium: Medium) -> String {
    match (e, medium) {
        (ErrorRef::Named(name), Medium::Diagram) => name.clone(),
        (ErrorRef::Named(name), Medium::Prose) => match wf.uses.errors.get(name) {
            Some(def) => format!("{name} ({})", error_def(def, medium)),
            None => name.clone(),
        },
        (ErrorRef::Inline(def), Medium::Diagram) => {
            let what = match &def.title {
                Some(title) => medium.value(title),
                None => error_type(&medium.value(&def.type_)).to_owned(),
            };
            format!("{what} ({})", medium.value(&def.status))
        }
        (ErrorRef::Inline(def), Medium::Prose) => error_def(def, medium),
    }
}

fn error_def(d: &ErrorDef, medium: Medium) -> String {
    let type_ = medium.value(&d.type_);
    let mut out = format!(
        "type {}, status {}",
        error_type(&type_),
        medium.value(&d.status)
    );
    if let Some(t) = &d.title {
        out.push_str(&format!(", \"{}\"", medium.value(t)));
    }
    out
}

/// A fixed duration as `medium` writes it: ISO 8601 in diagrams (as flows write it), words in prose.
pub(crate) fn duration(d: Duration, medium: Medium) -> String {
    match medium {
        Medium::Diagram => iso8601(d),
        Medium::Prose => human(d),
    }
}

/// A duration that may be computed at run time.
pub(crate) fn duration_value(d: &DurationValue, medium: Medium) -> String {
    match d {
        DurationValue::Fixed(d) => duration(*d, medium),
        DurationValue::Expr(e) => medium.code(e),
    }
}

/// How long a timeout allows: `30 seconds`, or `30 seconds (timeout short)` when named.
pub(crate) fn timeout(t: &TimeoutRef, wf: &Workflow, medium: Medium) -> String {
    match t {
        TimeoutRef::Inline(t) => duration_value(&t.after, medium),
        TimeoutRef::Named(name) => match wf.uses.timeouts.get(name) {
            Some(t) => format!("{} ({name})", duration_value(&t.after, medium)),
            None => format!("timeout {name}"),
        },
    }
}

/// How a `catch` retries: `up to 5 times, exponential backoff from 3 seconds`.
pub(crate) fn retry(r: &RetryRef, wf: &Workflow, medium: Medium) -> String {
    match r {
        RetryRef::Inline(p) => retry_policy(p, medium),
        RetryRef::Named(name) => match wf.uses.retries.get(name) {
            Some(p) => format!("{} (policy {name})", retry_policy(p, medium)),
            None => format!("policy {name}"),
        },
    }
}

fn retry_policy(p: &RetryPolicy, medium: Medium) -> String {
    let d = |d: Duration| duration(d, medium);
    let mut parts = Vec::new();
    parts.push(match (p.limit.attempt_count, medium) {
        (Some(1), _) => "once".to_owned(),
        (Some(n), Medium::Diagram) => format!("{n}×"),
        (Some(n), Medium::Prose) => format!("up to {n} times"),
        (None, _) => "with no limit on attempts".to_owned(),
    });
    // Diagram captions stay short enough for Mermaid not to wrap them.
    let backoff = if medium == Medium::Diagram {
        ""
    } else {
        " backoff"
    };
    parts.push(match (p.backoff, p.delay) {
        (Backoff::Constant, Some(delay)) => format!("every {}", d(delay)),
        (Backoff::Constant, None) => "immediately".to_owned(),
        (Backoff::Linear, Some(delay)) => format!("linear{backoff} from {}", d(delay)),
        (Backoff::Linear, None) => format!("linear{backoff}"),
        (Backoff::Exponential, Some(delay)) => format!("exponential{backoff} from {}", d(delay)),
        (Backoff::Exponential, None) => format!("exponential{backoff}"),
    });
    if let Some(j) = p.jitter {
        parts.push(format!("plus {} to {} of jitter", d(j.from), d(j.to)));
    }
    if let Some(limit) = p.limit.attempt_duration {
        parts.push(format!("each attempt at most {}", d(limit)));
    }
    if let Some(limit) = p.limit.duration {
        parts.push(format!("at most {} in all", d(limit)));
    }
    if let Some(w) = &p.when {
        parts.push(format!("only when {}", medium.code(w)));
    }
    if let Some(w) = &p.except_when {
        parts.push(format!("not when {}", medium.code(w)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Jitter, RetryLimit};

    #[test]
    fn standard_error_types_are_shortened_others_kept() {
        assert_eq!(
            error_type("https://serverlessworkflow.io/spec/1.0.0/errors/communication"),
            "communication"
        );
        assert_eq!(
            error_type("https://shop.example/errors/unpaid"),
            "https://shop.example/errors/unpaid"
        );
        assert_eq!(error_type(STANDARD_ERRORS), STANDARD_ERRORS);
    }

    #[test]
    fn error_filter_names_what_it_matches() {
        assert_eq!(error_filter(&ErrorFilter::default()), "any error");
        let f = ErrorFilter {
            status: Some(404),
            title: Some("Gone".into()),
            ..ErrorFilter::default()
        };
        assert_eq!(error_filter(&f), "status 404, title \"Gone\"");
    }

    #[test]
    fn retry_policy_reads_as_one_phrase() {
        let p = RetryPolicy {
            delay: Some(Duration::from_secs(2)),
            backoff: Backoff::Linear,
            limit: RetryLimit {
                attempt_count: Some(3),
                duration: Some(Duration::from_secs(60)),
                ..RetryLimit::default()
            },
            jitter: Some(Jitter {
                from: Duration::from_millis(100),
                to: Duration::from_secs(1),
            }),
            ..RetryPolicy::default()
        };
        assert_eq!(
            retry_policy(&p, Medium::Prose),
            "up to 3 times, linear backoff from 2 seconds, plus 100 milliseconds to 1 second of jitter, at most 1 minute in all"
        );
        assert_eq!(
            retry_policy(&RetryPolicy::default(), Medium::Prose),
            "with no limit on attempts, immediately"
        );
    }
}
