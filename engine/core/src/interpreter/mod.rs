//! The interpreter: runs a validated flow against a [`Durable`] context, exactly as DSL 1.0.3
//! says, deterministically (no clock, randomness, IO or hash-order iteration of its own).

mod calls;
mod control;
mod eval;
mod events;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_dsl::model::{FlowDirective, NamedTask, Task, TaskKind, TimeoutRef, Workflow};

use crate::durable::{Durable, TaskEvent, TaskStatus};
use crate::error::{ErrorKind, WorkflowError};
use crate::step::StepId;

pub use events::{attribute_matches, event_matches};

use eval::{RunVars, Scope, TaskVars, check_schema, datetime_descriptor};

/// Limits that stop a run that would otherwise never end.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most task executions in one run (a `then` loop that never ends hits this).
    pub max_task_executions: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_task_executions: 100_000,
        }
    }
}

/// What a run starts with.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The run's id (also the seed of its idempotency keys).
    pub run_id: String,
    /// The workflow's raw input.
    pub input: Value,
    /// Values of the secrets the flow declares (`$secrets`), resolved by the caller.
    pub secrets: Value,
    /// Limits.
    pub limits: Limits,
}

/// How a list of tasks ended.
enum Flow {
    /// It ran out of tasks or a task said `exit`.
    Next(Value),
    /// A task said `end`: the workflow is over.
    End(Value),
}

/// Runs `wf` to the end and returns its output, or the error that faulted it.
pub async fn run_workflow<D: Durable>(
    wf: &Workflow,
    durable: &D,
    options: RunOptions,
) -> Result<Value, WorkflowError> {
    // The descriptor copies the definition and the input: built only when an expression reads it.
    let workflow = if wf.uses_workflow_descriptor {
        let started = datetime_descriptor(durable.now(&StepId::task("", ":start")).await);
        json!({
            "id": options.run_id,
            "definition": &*wf.definition,
            "input": options.input,
            "startedAt": started,
        })
    } else {
        Value::Null
    };
    let interpreter = Interpreter {
        wf,
        durable,
        executions: AtomicU64::new(0),
        limits: options.limits,
        vars: RunVars {
            context: Mutex::new(json!({})),
            secrets: options.secrets,
            workflow,
            runtime: json!({"name": "shopflow", "version": env!("CARGO_PKG_VERSION")}),
            mode: wf.evaluate.mode,
        },
    };
    interpreter.run(options.input).await
}

struct Interpreter<'a, D> {
    wf: &'a Workflow,
    durable: &'a D,
    executions: AtomicU64,
    limits: Limits,
    vars: RunVars,
}

impl<'a, D: Durable> Interpreter<'a, D> {
    async fn run(&self, raw_input: Value) -> Result<Value, WorkflowError> {
        let scope = Scope::default();
        let root = StepId::task("", "");
        let body = async {
            let mut input = raw_input;
            if let Some(def) = &self.wf.input {
                if let Some(schema) = &def.schema {
                    check_schema(schema, &input, "workflow input").map_err(|e| e.at("/input"))?;
                }
                if let Some(from) = &def.from {
                    input = self
                        .vars
                        .template(from, &input, &scope, TaskVars::default())
                        .map_err(|e| e.at("/input/from"))?;
                }
            }
            let output = match self.run_list(&self.wf.tasks, input.clone(), &scope).await? {
                Flow::Next(v) | Flow::End(v) => v,
            };
            self.shape_output(
                self.wf.output.as_ref(),
                output,
                &input,
                &scope,
                None,
                "/output",
            )
        };
        match &self.wf.timeout {
            None => body.await,
            Some(t) => {
                let limit = self.timeout_duration(t, &Value::Null, &scope)?;
                self.with_timeout(&root.op("timeout"), limit, "/", body)
                    .await
            }
        }
    }

    fn count_execution(&self, pointer: &str) -> Result<(), WorkflowError> {
        let n = self.executions.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.max_task_executions {
            return Err(WorkflowError::new(ErrorKind::Runtime, "Step limit exceeded")
                .with_detail(format!(
                    "the run executed more than {} tasks; a `then` jump that loops forever? Give the flow a `timeout`, or raise the limit",
                    self.limits.max_task_executions
                ))
                .retryable(false)
                .at(pointer));
        }
        Ok(())
    }

    /// Runs a task list from its first task, following `then` directives.
    fn run_list<'s>(
        &'s self,
        tasks: &'s [NamedTask],
        input: Value,
        scope: &'s Scope,
    ) -> BoxFuture<'s, Result<Flow, WorkflowError>>
    where
        'a: 's,
    {
        Box::pin(async move {
            let mut data = input;
            let mut visits = vec![0u32; tasks.len()];
            let mut i = 0;
            while let Some(task) = tasks.get(i) {
                let visit = visits[i];
                visits[i] += 1;
                let revisit;
                let task_scope = if visit == 0 {
                    scope
                } else {
                    revisit = scope.nested(&format!("[v{visit}]"));
                    &revisit
                };
                let (output, directive) = self.run_task(task, data, task_scope).await?;
                data = output;
                match directive {
                    FlowDirective::Continue => i += 1,
                    FlowDirective::Exit => return Ok(Flow::Next(data)),
                    FlowDirective::End => return Ok(Flow::End(data)),
                    FlowDirective::Goto(name) => match tasks.iter().position(|t| t.name == name) {
                        Some(target) => i = target,
                        None => {
                            return Err(WorkflowError::new(
                                ErrorKind::Configuration,
                                "Unknown flow directive",
                            )
                            .with_detail(format!("`then: {name}` names no task of this list"))
                            .retryable(false)
                            .at(&task.pointer));
                        }
                    },
                }
            }
            Ok(Flow::Next(data))
        })
    }

    /// Runs one named task: `if`, input, the work (with its timeout), output, export.
    async fn run_task(
        &self,
        named: &NamedTask,
        raw_input: Value,
        scope: &Scope,
    ) -> Result<(Value, FlowDirective), WorkflowError> {
        self.count_execution(&named.pointer)?;
        let step = StepId::task(&named.pointer, &scope.suffix);
        let task = &named.task;
        let descriptor = if named.uses_task_descriptor {
            let started = self.durable.now(&step.op("start")).await;
            Some(json!({
                "name": named.name,
                "reference": named.pointer,
                "definition": &*named.definition,
                "input": raw_input,
                "startedAt": datetime_descriptor(started),
            }))
        } else {
            None
        };
        if let Some(cond) = &task.if_ {
            let vars = TaskVars {
                task: descriptor.as_ref(),
                ..TaskVars::default()
            };
            let run = self
                .vars
                .holds(cond, &raw_input, scope, vars)
                .map_err(|e| e.at(&named.pointer))?;
            if !run {
                self.observe(named, &step, TaskStatus::Skipped, None);
                return Ok((raw_input, FlowDirective::Continue));
            }
        }
        self.observe(named, &step, TaskStatus::Started, None);
        // Dropped before it finishes (a competing branch won, a timeout fired, the run was
        // cancelled): the guard records the task as cancelled.
        let mut guard = CancelGuard {
            durable: self.durable,
            name: &named.name,
            step: &step,
            armed: true,
        };
        let result = self
            .execute(
                task,
                &named.pointer,
                &step,
                raw_input,
                scope,
                descriptor.as_ref(),
            )
            .await
            .map_err(|e| e.at(&named.pointer));
        guard.armed = false;
        match &result {
            Ok((out, _)) => self.observe(named, &step, TaskStatus::Completed, Some(out.clone())),
            Err(e) => {
                let status =
                    if e.is(ErrorKind::Timeout) && e.instance.as_deref() == Some(&named.pointer) {
                        TaskStatus::Cancelled
                    } else {
                        TaskStatus::Faulted
                    };
                self.observe(named, &step, status, Some(e.to_json()));
            }
        }
        result
    }

    /// A task's data flow around its work; also runs `use.functions` tasks for custom calls.
    fn execute<'s>(
        &'s self,
        task: &'s Task,
        pointer: &'s str,
        step: &'s StepId,
        raw_input: Value,
        scope: &'s Scope,
        descriptor: Option<&'s Value>,
    ) -> BoxFuture<'s, Result<(Value, FlowDirective), WorkflowError>>
    where
        'a: 's,
    {
        Box::pin(async move {
            let vars = TaskVars {
                task: descriptor,
                ..TaskVars::default()
            };
            let mut input = raw_input;
            if let Some(def) = &task.input {
                if let Some(schema) = &def.schema {
                    check_schema(schema, &input, "task input")?;
                }
                if let Some(from) = &def.from {
                    input = self.vars.template(from, &input, scope, vars)?;
                }
            }
            let work = self.work(task, pointer, step, &input, scope, descriptor);
            let (raw_output, directive) = match &task.timeout {
                None => work.await?,
                Some(t) => {
                    let limit = self.timeout_duration(t, &input, scope)?;
                    self.with_timeout(&step.op("timeout"), limit, pointer, work)
                        .await?
                }
            };
            let directive =
                directive.unwrap_or_else(|| task.then.clone().unwrap_or(FlowDirective::Continue));
            let output = self.shape_output(
                task.output.as_ref(),
                raw_output,
                &input,
                scope,
                descriptor,
                pointer,
            )?;
            if let Some(export) = &task.export {
                let vars = TaskVars {
                    input: Some(&input),
                    output: Some(&output),
                    task: descriptor,
                };
                if let Some(as_) = &export.as_ {
                    let context = self.vars.template(as_, &output, scope, vars)?;
                    if let Some(schema) = &export.schema {
                        check_schema(schema, &context, "context")?;
                    }
                    if let Ok(mut c) = self.vars.context.lock() {
                        *c = context;
                    }
                }
            }
            Ok((output, directive))
        })
    }

    /// `output.as` then `output.schema`.
    fn shape_output(
        &self,
        def: Option<&shopflow_dsl::model::Output>,
        raw: Value,
        input: &Value,
        scope: &Scope,
        descriptor: Option<&Value>,
        pointer: &str,
    ) -> Result<Value, WorkflowError> {
        let Some(def) = def else { return Ok(raw) };
        let output = match &def.as_ {
            Some(as_) => {
                let vars = TaskVars {
                    input: Some(input),
                    output: Some(&raw),
                    task: descriptor,
                };
                self.vars
                    .template(as_, &raw, scope, vars)
                    .map_err(|e| e.at(pointer))?
            }
            None => raw,
        };
        if let Some(schema) = &def.schema {
            check_schema(schema, &output, "output").map_err(|e| e.at(pointer))?;
        }
        Ok(output)
    }

    /// The task kinds. Returns the raw output and, for `switch` and nested `end`, where to go.
    async fn work(
        &self,
        task: &Task,
        pointer: &str,
        step: &StepId,
        input: &Value,
        scope: &Scope,
        descriptor: Option<&Value>,
    ) -> Result<(Value, Option<FlowDirective>), WorkflowError> {
        let vars = TaskVars {
            input: Some(input),
            task: descriptor,
            ..TaskVars::default()
        };
        match &task.kind {
            TaskKind::Set(t) => Ok((self.vars.template(t, input, scope, vars)?, None)),
            TaskKind::Do(tasks) => Ok(match self.run_list(tasks, input.clone(), scope).await? {
                Flow::Next(v) => (v, None),
                Flow::End(v) => (v, Some(FlowDirective::End)),
            }),
            TaskKind::Wait(d) => {
                let d = self.vars.duration(d, input, scope, vars)?;
                self.durable.sleep(step, d).await;
                Ok((input.clone(), None))
            }
            // The larger kinds are boxed, so a run parked in a `wait` or `listen` holds only
            // the future of the kind it is in (memory per waiting run).
            TaskKind::Call(call) => Ok((
                Box::pin(self.call(call, pointer, step, input, scope, vars)).await?,
                None,
            )),
            TaskKind::Switch(cases) => self
                .switch(cases, input, scope, vars)
                .map(|d| (input.clone(), d)),
            TaskKind::For(f) => Box::pin(self.for_each(f, input, scope, vars)).await,
            TaskKind::Fork(f) => Ok((Box::pin(self.fork(f, step, input, scope)).await?, None)),
            TaskKind::Try(t) => Box::pin(self.try_catch(t, step, input, scope, vars)).await,
            TaskKind::Raise(r) => Err(self.raise(r, pointer, input, scope, vars)?),
            TaskKind::Emit(e) => {
                let event = self.vars.template(&e.event, input, scope, vars)?;
                Ok((self.durable.emit(step, event).await?, None))
            }
            TaskKind::Listen(l) => Ok((
                Box::pin(self.listen(l, step, input, scope, vars)).await?,
                None,
            )),
            TaskKind::RunWorkflow(r) => Ok((
                Box::pin(self.run_child(r, step, input, scope, vars)).await?,
                None,
            )),
        }
    }

    fn timeout_duration(
        &self,
        t: &TimeoutRef,
        input: &Value,
        scope: &Scope,
    ) -> Result<std::time::Duration, WorkflowError> {
        let timeout = match t {
            TimeoutRef::Inline(t) => t,
            TimeoutRef::Named(name) => self.wf.uses.timeouts.get(name).ok_or_else(|| {
                WorkflowError::new(ErrorKind::Configuration, "Unknown timeout")
                    .with_detail(format!("`use.timeouts` has no `{name}`"))
                    .retryable(false)
            })?,
        };
        self.vars
            .duration(&timeout.after, input, scope, TaskVars::default())
    }

    /// Races `work` against a durable timer; the loser is dropped (cancelled). Which one won is
    /// recorded, so a replay takes the same side.
    async fn with_timeout<T, F>(
        &self,
        step: &StepId,
        limit: std::time::Duration,
        pointer: &str,
        work: F,
    ) -> Result<T, WorkflowError>
    where
        F: Future<Output = Result<T, WorkflowError>> + Send,
    {
        let timed_out = || {
            WorkflowError::new(ErrorKind::Timeout, "Timed out")
                .with_detail(format!("did not finish within {}", humantime_ms(limit)))
                .at(pointer)
        };
        match self.durable.recorded(step).await {
            Some(Value::String(s)) if s == "timeout" => return Err(timed_out()),
            Some(_) => return work.await,
            None => {}
        }
        let timer = self.durable.sleep(step, limit);
        futures::pin_mut!(work);
        futures::pin_mut!(timer);
        match futures::future::select(work, timer).await {
            futures::future::Either::Left((result, _)) => {
                self.durable.decide(step, json!("work")).await;
                result
            }
            futures::future::Either::Right(((), _)) => {
                self.durable.decide(step, json!("timeout")).await;
                Err(timed_out())
            }
        }
    }

    fn observe(&self, named: &NamedTask, step: &StepId, status: TaskStatus, detail: Option<Value>) {
        self.durable.observe(TaskEvent {
            name: named.name.clone(),
            step: step.clone(),
            status,
            detail,
        });
    }
}

/// Records a task as cancelled when its future is dropped before it finished.
struct CancelGuard<'g, D: Durable> {
    durable: &'g D,
    name: &'g str,
    step: &'g StepId,
    armed: bool,
}

impl<D: Durable> Drop for CancelGuard<'_, D> {
    fn drop(&mut self) {
        if self.armed {
            self.durable.observe(TaskEvent {
                name: self.name.to_owned(),
                step: self.step.clone(),
                status: TaskStatus::Cancelled,
                detail: None,
            });
        }
    }
}

/// `1.5 s`, `250 ms`, `2 min` for messages.
fn humantime_ms(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} min", d.as_secs_f64() / 60.0)
    }
}
