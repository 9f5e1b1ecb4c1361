//! `call: browser`: validates the block, resolves its secrets and files, runs it in a browser
//! from the pool, and turns the result or the failure into the step's output or RFC 7807 error
//! (see docs/functions/browser.md).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use shopflow_core::{ArtifactStore, CallContext, Function, WorkflowError};
use tokio::time::Instant;

use crate::error::Error;
use crate::failure::Evidence;
use crate::parse;
use crate::pool::Browser;
use crate::redact::Redactor;
use crate::runner::{GRACE, Inputs, Runner};
use crate::step::{Action, FillValue, Step};

/// Looks up a secret's value by name; `None` when it is not configured.
pub type SecretResolver = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The `browser` function.
pub struct BrowserFunction {
    browser: Arc<Browser>,
    artifacts: ArtifactStore,
    secrets: SecretResolver,
}

impl BrowserFunction {
    /// The function over a pool, the run artifact store and the secrets.
    pub fn new(browser: Arc<Browser>, artifacts: ArtifactStore, secrets: SecretResolver) -> Self {
        Self {
            browser,
            artifacts,
            secrets,
        }
    }
}

impl Function for BrowserFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let browser = Arc::clone(&self.browser);
        let artifacts = self.artifacts.clone();
        let secrets = Arc::clone(&self.secrets);
        Box::pin(async move { run(&browser, &artifacts, &secrets, &ctx, &args).await })
    }

    fn summary(&self) -> &'static str {
        "Drives headless Chromium through a block of steps (log in, fill forms, upload, read tables, download)."
    }
}

async fn run(
    browser: &Browser,
    artifacts: &ArtifactStore,
    secrets: &SecretResolver,
    ctx: &CallContext,
    args: &Value,
) -> Result<Value, WorkflowError> {
    let start = Instant::now();
    let config = browser.config();
    let block = parse::block(args, config.step_timeout, config.block_timeout)
        .map_err(|e| fail(Error::from(e), &Redactor::default(), None, ctx))?;
    let inputs = prepare(&block.steps, secrets, artifacts)
        .map_err(|e| fail(e, &Redactor::default(), None, ctx))?;
    let redactor = Redactor::new(inputs.secrets.values().map(String::as_str));
    let deadline = start + block.timeout;
    tracing::info!(
        run = %ctx.run_id,
        instance = %ctx.instance,
        steps = block.steps.len(),
        session = block.session.as_deref().unwrap_or("-"),
        "browser block starts"
    );
    let session = browser
        .open(block.session.as_deref(), deadline)
        .await
        .map_err(|e| fail(e, &redactor, None, ctx))?;
    let Some((client, profile)) = session.parts() else {
        let e = Error::Driver("the browser session closed before its first step".to_owned());
        return Err(fail(e, &redactor, None, ctx));
    };
    let client = client.clone();
    let mut runner = Runner::new(
        client.clone(),
        profile,
        &inputs,
        artifacts,
        deadline,
        block.timeout,
    );
    let result =
        match tokio::time::timeout_at(deadline + GRACE, runner.run_steps(&block.steps)).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(format!(
                "the block did not finish within its limit of {}",
                crate::error::human(block.timeout)
            ))),
        };
    let outcome = match result {
        Ok(_) => {
            let url = client.current_url().await.map(|u| u.to_string()).ok();
            let title = client.title().await.ok();
            Ok(json!({
                "extracted": runner.extracted,
                "artifacts": runner.artifacts,
                "url": url,
                "title": title,
                "stopped": runner.stopped,
                "session": block.session,
            }))
        }
        Err(e) => {
            let evidence = if matches!(e.cause(), Error::Driver(_)) {
                Evidence::default()
            } else {
                Evidence::capture(&client, artifacts, &redactor).await
            };
            Err((e, evidence))
        }
    };
    drop(client);
    // Any failure may be a dead chromedriver seen through another error (a page load cut
    // short, a step's transport error): the check is cheap, and a dead driver's browsers
    // must not run on until the next block.
    if outcome.is_err() {
        browser.reap_dead_driver().await;
    }
    session.close().await;
    match outcome {
        Ok(output) => {
            tracing::info!(run = %ctx.run_id, elapsed_ms = start.elapsed().as_millis() as u64, "browser block done");
            Ok(redactor.json(output))
        }
        Err((e, evidence)) => Err(fail(e, &redactor, Some(&evidence), ctx)),
    }
}

/// The workflow error of a failure, secrets hidden, evidence named.
fn fail(
    e: Error,
    redactor: &Redactor,
    evidence: Option<&Evidence>,
    ctx: &CallContext,
) -> WorkflowError {
    let seen = evidence.map(Evidence::describe).unwrap_or_default();
    let detail = redactor.text(&format!("{e}{seen}"));
    tracing::warn!(
        run = %ctx.run_id,
        instance = %ctx.instance,
        retryable = e.retryable(),
        artifacts = ?evidence.map(|ev| ev.artifacts().map(|a| a.artifact.clone()).collect::<Vec<_>>()),
        "browser block failed: {detail}"
    );
    e.to_workflow(detail, &ctx.instance)
}

/// Resolves the block's secrets and loads the files it uploads, so that a missing one fails
/// the block before any browser starts.
fn prepare(
    steps: &[Step],
    secrets: &SecretResolver,
    artifacts: &ArtifactStore,
) -> Result<Inputs, Error> {
    let mut inputs = Inputs::default();
    prepare_into(steps, secrets, artifacts, &mut inputs)?;
    Ok(inputs)
}

fn prepare_into(
    steps: &[Step],
    secrets: &SecretResolver,
    artifacts: &ArtifactStore,
    inputs: &mut Inputs,
) -> Result<(), Error> {
    for step in steps {
        let at = || format!("{} ({})", step.path, step.action.kind());
        match &step.action {
            Action::Fill {
                value: FillValue::Secret(name),
                ..
            } if !inputs.secrets.contains_key(name) => {
                let value = secrets(name).ok_or_else(|| {
                    Error::Setup(format!("the secret `{name}` is not configured")).at(at())
                })?;
                inputs.secrets.insert(name.clone(), value);
            }
            Action::Upload { file, .. } if !inputs.files.contains_key(&file.artifact) => {
                let bytes = artifacts
                    .get(&file.artifact)
                    .map_err(|e| Error::Storage(e.to_string()).at(at()))?
                    .ok_or_else(|| {
                        Error::Setup(format!(
                            "the artifact {} ({}) is not in the artifact store",
                            file.artifact, file.name
                        ))
                        .at(at())
                    })?;
                inputs.files.insert(file.artifact.clone(), bytes);
            }
            Action::WithinFrame { steps, .. } => {
                prepare_into(steps, secrets, artifacts, inputs)?;
            }
            _ => {}
        }
    }
    Ok(())
}
