//! Evaluating expressions and templates for a task: which variables are in scope, loose-mode
//! fallbacks, truthiness, durations from expressions, URI templates and schema checks.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shopflow_dsl::expr::Vars;
use shopflow_dsl::model::{DurationValue, EvalMode, Expression, Schema, Template};

use crate::error::{ErrorKind, WorkflowError};

/// Variables a task's expressions can see besides `.`.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    /// StepId suffix for everything run in this scope (`[i2]`, `[r1]`, …).
    pub suffix: String,
    /// Loop, catch and listen variables, `$`-prefixed; later entries shadow earlier ones.
    pub locals: Arc<Vec<(String, Value)>>,
}

impl Scope {
    /// This scope with a longer StepId suffix.
    pub fn nested(&self, segment: &str) -> Scope {
        Scope {
            suffix: format!("{}{segment}", self.suffix),
            locals: Arc::clone(&self.locals),
        }
    }

    /// This scope with more variables.
    pub fn with_locals(&self, vars: impl IntoIterator<Item = (String, Value)>) -> Scope {
        let mut locals = (*self.locals).clone();
        locals.extend(vars);
        Scope {
            suffix: self.suffix.clone(),
            locals: Arc::new(locals),
        }
    }
}

/// What `$input`, `$output` and `$task` are while a task's expressions run.
#[derive(Default, Clone, Copy)]
pub(crate) struct TaskVars<'a> {
    pub input: Option<&'a Value>,
    pub output: Option<&'a Value>,
    pub task: Option<&'a Value>,
}

/// Run-wide values that expressions can read.
pub(crate) struct RunVars {
    pub context: std::sync::Mutex<Value>,
    pub secrets: Value,
    pub workflow: Value,
    pub runtime: Value,
    pub mode: EvalMode,
}

impl RunVars {
    fn vars(&self, expr: &Expression, scope: &Scope, task: TaskVars<'_>) -> Vars {
        let e = &expr.expr;
        let pick = |name: &str, v: Option<&Value>| {
            if e.mentions(name) {
                v.cloned().unwrap_or(Value::Null)
            } else {
                Value::Null
            }
        };
        let context = if e.mentions("$context") {
            self.context
                .lock()
                .map(|c| c.clone())
                .unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        Vars {
            context,
            input: pick("$input", task.input),
            output: pick("$output", task.output),
            secrets: pick("$secrets", Some(&self.secrets)),
            authorization: Value::Null,
            task: pick("$task", task.task),
            workflow: pick("$workflow", Some(&self.workflow)),
            runtime: pick("$runtime", Some(&self.runtime)),
            locals: if scope.locals.is_empty() {
                Vec::new()
            } else {
                (*scope.locals).clone()
            },
        }
    }

    /// Evaluates an expression; a failure is the DSL's expression error (400).
    pub fn eval(
        &self,
        expr: &Expression,
        input: &Value,
        scope: &Scope,
        task: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        expr.expr
            .eval(input, &self.vars(expr, scope, task))
            .map_err(|e| {
                WorkflowError::new(ErrorKind::Expression, "Expression failed")
                    .with_detail(format!("`{}`: {}", expr.expr.source(), e.message))
                    .retryable(false)
            })
    }

    /// Evaluates a condition with jq truthiness (everything but `false` and `null` holds).
    pub fn holds(
        &self,
        expr: &Expression,
        input: &Value,
        scope: &Scope,
        task: TaskVars<'_>,
    ) -> Result<bool, WorkflowError> {
        Ok(!matches!(
            self.eval(expr, input, scope, task)?,
            Value::Null | Value::Bool(false)
        ))
    }

    /// Evaluates a template. In loose mode a string that fails to evaluate stays a string.
    pub fn template(
        &self,
        t: &Template,
        input: &Value,
        scope: &Scope,
        task: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        match t {
            Template::Literal(v) => Ok(v.clone()),
            Template::Expr(e) => match self.eval(e, input, scope, task) {
                Err(_) if self.mode == EvalMode::Loose => {
                    Ok(Value::String(e.expr.source().to_owned()))
                }
                other => other,
            },
            Template::Object(fields) => {
                let mut out = serde_json::Map::with_capacity(fields.len());
                for (k, v) in fields {
                    out.insert(k.clone(), self.template(v, input, scope, task)?);
                }
                Ok(Value::Object(out))
            }
            Template::Array(items) => items
                .iter()
                .map(|i| self.template(i, input, scope, task))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }

    /// A duration that may be computed: ISO 8601 text, a duration object, or milliseconds.
    pub fn duration(
        &self,
        d: &DurationValue,
        input: &Value,
        scope: &Scope,
        task: TaskVars<'_>,
    ) -> Result<Duration, WorkflowError> {
        match d {
            DurationValue::Fixed(d) => Ok(*d),
            DurationValue::Expr(e) => duration_from_value(&self.eval(e, input, scope, task)?)
                .map_err(|m| {
                    WorkflowError::new(ErrorKind::Expression, "Invalid duration")
                        .with_detail(format!("`{}` gave {m}", e.expr.source()))
                        .retryable(false)
                }),
        }
    }
}

/// A duration from an expression's result.
pub(crate) fn duration_from_value(v: &Value) -> Result<Duration, String> {
    match v {
        Value::String(s) => shopflow_dsl::parse_iso8601(s),
        Value::Number(n) => n
            .as_u64()
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{n}, not a whole number of milliseconds ≥ 0")),
        Value::Object(o) => {
            let mut total = Duration::ZERO;
            for (k, v) in o {
                let unit = match k.as_str() {
                    "days" => 86_400_000,
                    "hours" => 3_600_000,
                    "minutes" => 60_000,
                    "seconds" => 1_000,
                    "milliseconds" => 1,
                    other => return Err(format!("a duration object with unknown unit `{other}`")),
                };
                let n = v
                    .as_u64()
                    .ok_or_else(|| format!("`{k}: {v}`, not a whole number ≥ 0"))?;
                total += Duration::from_millis(n.saturating_mul(unit));
            }
            Ok(total)
        }
        other => Err(format!("{other}, not a duration")),
    }
}

/// Checks `value` against a schema; the failure is the DSL's validation error (400).
pub(crate) fn check_schema(
    schema: &Schema,
    value: &Value,
    what: &str,
) -> Result<(), WorkflowError> {
    let problems: Vec<String> = schema
        .validator
        .iter_errors(value)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(
        WorkflowError::new(ErrorKind::Validation, format!("Invalid {what}"))
            .with_detail(problems.join("; "))
            .retryable(false),
    )
}

/// Expands an RFC 6570 simple-string URI template with the top-level fields of `input`.
pub(crate) fn expand_uri(template: &str, input: &Value) -> Result<String, WorkflowError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &rest[open + 1..open + close];
        let value = match input.get(name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
            Some(_) => {
                return Err(WorkflowError::new(ErrorKind::Expression, "Invalid URI template value")
                    .with_detail(format!("`{{{name}}}` is an object or a list; only strings, numbers and booleans can be put in a URI"))
                    .retryable(false));
            }
        };
        percent_encode_into(&value, &mut out);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// RFC 6570 simple expansion: everything but unreserved characters is percent-encoded.
fn percent_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The DSL's date-time descriptor for a time in milliseconds.
pub(crate) fn datetime_descriptor(ms: i64) -> Value {
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    serde_json::json!({"iso8601": iso, "epoch": {"seconds": ms.div_euclid(1000), "milliseconds": ms}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uri_templates_expand_top_level_fields() {
        let input = json!({"petId": 42, "status": "for sale", "nested": {"a": 1}});
        assert_eq!(
            expand_uri("https://x/pet/{petId}?s={status}", &input)
                .ok()
                .as_deref(),
            Some("https://x/pet/42?s=for%20sale")
        );
        assert_eq!(
            expand_uri("https://x/{missing}", &input).ok().as_deref(),
            Some("https://x/")
        );
        assert!(expand_uri("https://x/{nested}", &input).is_err());
    }

    #[test]
    fn durations_from_values() {
        assert_eq!(
            duration_from_value(&json!("PT2S")),
            Ok(Duration::from_secs(2))
        );
        assert_eq!(
            duration_from_value(&json!(1500)),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(
            duration_from_value(&json!({"minutes": 1, "seconds": 5})),
            Ok(Duration::from_secs(65))
        );
        assert!(duration_from_value(&json!(true)).is_err());
    }
}
