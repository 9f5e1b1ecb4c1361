//! Control-flow tasks: `switch`, `for`, `fork`, `try`/`catch`/`retry` and `raise`.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_dsl::model::{
    Backoff, ErrorDef, ErrorFilter, ErrorRef, FlowDirective, For, Fork, Raise, RetryPolicy,
    RetryRef, SwitchCase, Try,
};

use crate::durable::Durable;
use crate::error::{ErrorKind, WorkflowError, same_type};
use crate::interpreter::eval::{Scope, TaskVars};
use crate::interpreter::{Flow, Interpreter};
use crate::step::StepId;

impl<'a, D: Durable> Interpreter<'a, D> {
    /// The first matching case's directive; the default case when none matches; `None`
    /// (the task's own `then`) when there is no default either.
    pub(super) fn switch(
        &self,
        cases: &[SwitchCase],
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Option<FlowDirective>, WorkflowError> {
        let mut default = None;
        for case in cases {
            match &case.when {
                None => default = Some(case.then.clone()),
                Some(when) => {
                    if self.vars.holds(when, input, scope, vars)? {
                        return Ok(Some(case.then.clone()));
                    }
                }
            }
        }
        Ok(default)
    }

    /// `for`: each item runs the list with the previous iteration's output as input.
    pub(super) async fn for_each(
        &self,
        f: &For,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<(Value, Option<FlowDirective>), WorkflowError> {
        let items: Vec<Value> = match self.vars.eval(&f.in_, input, scope, vars)? {
            Value::Array(items) => items,
            Value::Object(o) => o.into_iter().map(|(_, v)| v).collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(
                    WorkflowError::new(ErrorKind::Expression, "Not a collection")
                        .with_detail(format!(
                            "`for.in` (`{}`) gave {other}, not a list",
                            f.in_.expr.source()
                        ))
                        .retryable(false),
                );
            }
        };
        let mut data = input.clone();
        for (i, item) in items.into_iter().enumerate() {
            let iteration = scope.nested(&format!("[i{i}]")).with_locals([
                (format!("${}", f.each), item),
                (format!("${}", f.at), json!(i)),
            ]);
            if let Some(w) = &f.while_
                && !self.vars.holds(w, &data, &iteration, vars)?
            {
                break;
            }
            match self.run_list(&f.tasks, data, &iteration).await? {
                Flow::Next(v) => data = v,
                Flow::End(v) => return Ok((v, Some(FlowDirective::End))),
            }
        }
        Ok((data, None))
    }

    /// `fork`: all branches at once; their outputs in declaration order, or with `compete` the
    /// first to finish (the others are cancelled).
    pub(super) async fn fork(
        &self,
        f: &Fork,
        step: &StepId,
        input: &Value,
        scope: &Scope,
    ) -> Result<Value, WorkflowError> {
        if !f.compete {
            let branches = f
                .branches
                .iter()
                .map(|b| self.run_task(b, input.clone(), scope));
            let outputs = futures::future::try_join_all(branches).await?;
            return Ok(Value::Array(outputs.into_iter().map(|(v, _)| v).collect()));
        }
        let winner_step = step.op("winner");
        if let Some(Value::Number(n)) = self.durable.recorded(&winner_step).await {
            let index = n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(0);
            if let Some(branch) = f.branches.get(index) {
                return self
                    .run_task(branch, input.clone(), scope)
                    .await
                    .map(|(v, _)| v);
            }
        }
        let branches: Vec<BoxFuture<'_, Result<(usize, Value), WorkflowError>>> = f
            .branches
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let fut: BoxFuture<'_, _> = Box::pin(async move {
                    self.run_task(b, input.clone(), scope)
                        .await
                        .map(|(v, _)| (i, v))
                });
                fut
            })
            .collect();
        let ((index, output), _losers) = futures::future::select_ok(branches).await?;
        self.durable.decide(&winner_step, json!(index)).await;
        Ok(output)
    }

    /// `try`/`catch`: runs the tasks; a caught error is retried by the policy, then handled by
    /// `catch.do` (or swallowed when there is neither retry nor `do`).
    pub(super) async fn try_catch(
        &self,
        t: &Try,
        step: &StepId,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<(Value, Option<FlowDirective>), WorkflowError> {
        let catch = &t.catch;
        let policy = match &catch.retry {
            None => None,
            Some(RetryRef::Inline(p)) => Some(p),
            Some(RetryRef::Named(name)) => {
                Some(self.wf.uses.retries.get(name).ok_or_else(|| {
                    WorkflowError::new(ErrorKind::Configuration, "Unknown retry policy")
                        .with_detail(format!("`use.retries` has no `{name}`"))
                        .retryable(false)
                })?)
            }
        };
        let started = match policy.and_then(|p| p.limit.duration) {
            Some(_) => Some(self.durable.now(&step.op("tried")).await),
            None => None,
        };
        let mut attempt: u32 = 0;
        loop {
            let attempt_scope = if attempt == 0 {
                scope.clone()
            } else {
                scope.nested(&format!("[r{attempt}]"))
            };
            let run = self.run_list(&t.tasks, input.clone(), &attempt_scope);
            let result = match policy.and_then(|p| p.limit.attempt_duration) {
                Some(limit) => {
                    self.with_timeout(&step.op(&format!("attempt{attempt}")), limit, "", run)
                        .await
                }
                None => run.await,
            };
            let error = match result {
                Ok(Flow::Next(v)) => return Ok((v, None)),
                Ok(Flow::End(v)) => return Ok((v, Some(FlowDirective::End))),
                Err(e) => e,
            };
            let error_var = format!("${}", catch.as_);
            let error_scope = scope.with_locals([(error_var, error.to_json())]);
            if !self.catches(
                &catch.errors,
                catch.when.as_ref(),
                catch.except_when.as_ref(),
                &error,
                &error_scope,
                vars,
            )? {
                return Err(error);
            }
            if let Some(policy) = policy {
                let delay = self.retry_delay(policy, attempt, step).await;
                if self
                    .retry_allowed(
                        policy,
                        &error,
                        attempt,
                        started,
                        delay,
                        step,
                        &error_scope,
                        vars,
                    )
                    .await?
                {
                    if !delay.is_zero() {
                        self.durable
                            .sleep(&step.op(&format!("retry{}", attempt + 1)), delay)
                            .await;
                    }
                    attempt += 1;
                    continue;
                }
                if catch.tasks.is_none() {
                    // Retries are exhausted and nothing handles the error: it stands.
                    return Err(error);
                }
            }
            return match &catch.tasks {
                None => Ok((input.clone(), None)),
                Some(tasks) => match self.run_list(tasks, input.clone(), &error_scope).await? {
                    Flow::Next(v) => Ok((v, None)),
                    Flow::End(v) => Ok((v, Some(FlowDirective::End))),
                },
            };
        }
    }

    /// Whether the catch applies: the filter's fields match, `when` holds, `exceptWhen` does not.
    fn catches(
        &self,
        filter: &ErrorFilter,
        when: Option<&shopflow_dsl::model::Expression>,
        except_when: Option<&shopflow_dsl::model::Expression>,
        error: &WorkflowError,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<bool, WorkflowError> {
        let matches = filter
            .type_
            .as_deref()
            .is_none_or(|t| same_type(t, &error.type_))
            && filter.status.is_none_or(|s| s == i64::from(error.status))
            && filter
                .instance
                .as_deref()
                .is_none_or(|i| error.instance.as_deref() == Some(i))
            && filter
                .title
                .as_deref()
                .is_none_or(|t| error.title.as_deref() == Some(t))
            && filter
                .detail
                .as_deref()
                .is_none_or(|d| error.detail.as_deref() == Some(d));
        if !matches {
            return Ok(false);
        }
        let as_json = error.to_json();
        if let Some(w) = when
            && !self.vars.holds(w, &as_json, scope, vars)?
        {
            return Ok(false);
        }
        if let Some(w) = except_when
            && self.vars.holds(w, &as_json, scope, vars)?
        {
            return Ok(false);
        }
        Ok(true)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site; the values are the retry decision's inputs"
    )]
    async fn retry_allowed(
        &self,
        policy: &RetryPolicy,
        error: &WorkflowError,
        attempt: u32,
        started: Option<i64>,
        delay: Duration,
        step: &StepId,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<bool, WorkflowError> {
        if let Some(max) = policy.limit.attempt_count
            && attempt >= max
        {
            return Ok(false);
        }
        if !self.catches(
            &ErrorFilter::default(),
            policy.when.as_ref(),
            policy.except_when.as_ref(),
            error,
            scope,
            vars,
        )? {
            return Ok(false);
        }
        if let (Some(limit), Some(started)) = (policy.limit.duration, started) {
            let now = self.durable.now(&step.op(&format!("check{attempt}"))).await;
            let elapsed = Duration::from_millis(u64::try_from(now - started).unwrap_or(0));
            if elapsed + delay > limit {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The delay before retry `attempt + 1`: the backoff applied to `delay`, plus jitter.
    async fn retry_delay(&self, policy: &RetryPolicy, attempt: u32, step: &StepId) -> Duration {
        let base = policy.delay.unwrap_or(Duration::ZERO);
        let factor: u32 = match policy.backoff {
            Backoff::Constant => 1,
            Backoff::Linear => attempt.saturating_add(1),
            Backoff::Exponential => 1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX),
        };
        let mut delay = base.saturating_mul(factor);
        if let Some(j) = policy.jitter {
            let span = j.to.saturating_sub(j.from).as_millis() as u64;
            let roll = self
                .durable
                .random(&step.op(&format!("jitter{}", attempt + 1)))
                .await;
            let extra = if span == 0 { 0 } else { roll % (span + 1) };
            delay += j.from + Duration::from_millis(extra);
        }
        delay
    }

    /// `raise`: builds the error; `instance` defaults to the task.
    pub(super) fn raise(
        &self,
        r: &Raise,
        pointer: &str,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<WorkflowError, WorkflowError> {
        let def: &ErrorDef = match &r.error {
            ErrorRef::Inline(d) => d,
            ErrorRef::Named(name) => self.wf.uses.errors.get(name).ok_or_else(|| {
                WorkflowError::new(ErrorKind::Configuration, "Unknown error")
                    .with_detail(format!("`use.errors` has no `{name}`"))
                    .retryable(false)
            })?,
        };
        let text =
            |t: &Option<shopflow_dsl::model::Template>| -> Result<Option<String>, WorkflowError> {
                Ok(match t {
                    None => None,
                    Some(t) => match self.vars.template(t, input, scope, vars)? {
                        Value::String(s) => Some(s),
                        Value::Null => None,
                        other => Some(other.to_string()),
                    },
                })
            };
        let type_ = match self.vars.template(&def.type_, input, scope, vars)? {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let status = self.vars.template(&def.status, input, scope, vars)?;
        let status = status
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| {
                WorkflowError::new(ErrorKind::Expression, "Invalid error status")
                    .with_detail(format!(
                        "the raised error's status is {status}, not an HTTP-style status code"
                    ))
                    .retryable(false)
            })?;
        Ok(WorkflowError {
            type_,
            status,
            title: text(&def.title)?,
            detail: text(&def.detail)?,
            instance: Some(text(&def.instance)?.unwrap_or_else(|| pointer.to_owned())),
            retryable: false,
        })
    }
}
