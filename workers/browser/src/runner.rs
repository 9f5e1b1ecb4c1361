//! Runs a block's steps in one browser session, each within its own time limit and the
//! block's, collecting what the steps produce (`as:` outputs and artifacts).

use std::collections::HashMap;
use std::time::Duration;

use fantoccini::Client;
use fantoccini::wd::TimeoutConfiguration;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use shopflow_core::{Artifact, ArtifactStore};
use tokio::time::Instant;

use crate::download;
use crate::error::{Error, fatal, human};
use crate::extract;
use crate::find;
use crate::navigate;
use crate::session::Profile;
use crate::step::{Action, FillValue, SelectOption, Step};
use crate::table;

/// How long past its limit a step may take before the browser is considered stuck (a
/// WebDriver command that does not come back).
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// What the worker resolved before the browser started.
#[derive(Default)]
pub(crate) struct Inputs {
    /// Secret values by name.
    pub(crate) secrets: HashMap<String, String>,
    /// File contents by artifact reference, for `upload`.
    pub(crate) files: HashMap<String, Vec<u8>>,
}

/// Whether the block goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    /// A `stop_if` condition held.
    Stop,
}

/// The steps' state and results.
pub(crate) struct Runner<'a> {
    client: Client,
    profile: &'a Profile,
    inputs: &'a Inputs,
    store: &'a ArtifactStore,
    block_deadline: Instant,
    /// The block's time limit, for errors.
    block_limit: Duration,
    page_load: Option<Duration>,
    /// `as:` outputs.
    pub(crate) extracted: Map<String, Value>,
    /// Every artifact the steps stored.
    pub(crate) artifacts: Vec<Artifact>,
    /// The `stop_if` that ended the block early.
    pub(crate) stopped: Option<Value>,
}

impl<'a> Runner<'a> {
    pub(crate) fn new(
        client: Client,
        profile: &'a Profile,
        inputs: &'a Inputs,
        store: &'a ArtifactStore,
        block_deadline: Instant,
        block_limit: Duration,
    ) -> Self {
        Self {
            client,
            profile,
            inputs,
            store,
            block_deadline,
            block_limit,
            page_load: None,
            extracted: Map::new(),
            artifacts: Vec::new(),
            stopped: None,
        }
    }

    /// Runs `steps` in order until one fails or a `stop_if` holds.
    pub(crate) fn run_steps<'s>(
        &'s mut self,
        steps: &'s [Step],
    ) -> BoxFuture<'s, Result<Flow, Error>> {
        Box::pin(async move {
            for step in steps {
                if self.run_step(step).await? == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
            Ok(Flow::Next)
        })
    }

    async fn run_step(&mut self, step: &Step) -> Result<Flow, Error> {
        let place = place(step);
        let now = Instant::now();
        if now >= self.block_deadline {
            return Err(Error::Timeout(
                "the block's time limit ran out before this step".to_owned(),
            )
            .at(place));
        }
        // Whether the block's limit, not the step's, is what this step may run into.
        let cut = now + step.timeout > self.block_deadline;
        let deadline = (now + step.timeout).min(self.block_deadline);
        // Steps that contain other steps or several pages are bounded by the block.
        let hard = match step.action {
            Action::WithinFrame { .. } | Action::ExtractTable { .. } => self.block_deadline,
            _ => deadline,
        } + GRACE;
        tracing::debug!(step = %step.path, kind = step.action.kind(), "browser step");
        let result = match tokio::time::timeout_at(hard, self.act(step, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout(format!(
                "the browser did not answer within {}",
                human(deadline.saturating_duration_since(now))
            ))),
        };
        result
            .map_err(|e| match e {
                Error::Timeout(why) if cut => Error::Timeout(format!(
                    "{why}; the block's limit of {} ran out",
                    human(self.block_limit)
                )),
                e => e,
            })
            .map_err(|e| e.at(place))
    }

    async fn act(&mut self, step: &Step, deadline: Instant) -> Result<Flow, Error> {
        let client = self.client.clone();
        let c = &client;
        match &step.action {
            Action::Goto(url) => {
                self.page_load_limit(step.timeout).await?;
                navigate::goto(c, url).await?;
            }
            Action::Click(t) => {
                self.page_load_limit(step.timeout).await?;
                find::act(c, t, true, deadline, "clicking it", |e| {
                    Box::pin(async move { e.click().await })
                })
                .await?;
            }
            Action::Fill {
                target,
                value,
                clear,
            } => {
                let text = match value {
                    FillValue::Text(t) => t.clone(),
                    FillValue::Secret(name) => {
                        self.inputs.secrets.get(name).cloned().ok_or_else(|| {
                            Error::Setup(format!("the secret `{name}` is not set"))
                        })?
                    }
                };
                let clear = *clear;
                find::act(c, target, true, deadline, "typing into it", move |e| {
                    let text = text.clone();
                    Box::pin(async move {
                        if clear {
                            e.clear().await?;
                        }
                        e.send_keys(&text).await
                    })
                })
                .await?;
            }
            Action::Select { target, option } => {
                let option = option.clone();
                find::act(c, target, true, deadline, "choosing the option", move |e| {
                    let option = option.clone();
                    Box::pin(async move {
                        match option {
                            SelectOption::Value(v) => e.select_by_value(&v).await,
                            SelectOption::Label(l) => e.select_by_label(&l).await,
                            SelectOption::Index(i) => e.select_by_index(i).await,
                        }
                    })
                })
                .await?;
            }
            Action::Upload { target, file } => {
                let path = self.write_upload(step, file).await?;
                find::act(c, target, false, deadline, "giving it the file", move |e| {
                    let path = path.clone();
                    Box::pin(async move { e.send_keys(&path).await })
                })
                .await?;
            }
            Action::WaitFor(condition) => find::wait_for(c, condition, deadline).await?,
            Action::StopIf(condition) => {
                if find::check(c, condition, deadline).await? {
                    tracing::info!(step = %step.path, %condition, "stop_if held; the block ends here");
                    self.stopped = Some(json!({
                        "step": step.path.to_string(),
                        "condition": condition.to_string(),
                    }));
                    return Ok(Flow::Stop);
                }
            }
            Action::ExtractText {
                target,
                attribute,
                all,
            } => {
                let value = extract::text(c, target, attribute.as_deref(), *all, deadline).await?;
                self.output(step, value);
            }
            Action::ExtractTable {
                target,
                next,
                max_pages,
            } => {
                self.page_load_limit(step.timeout).await?;
                let rows = table::extract(
                    c,
                    target,
                    next.as_ref(),
                    *max_pages,
                    step.timeout,
                    self.block_deadline,
                )
                .await?;
                self.output(step, rows);
            }
            Action::WithinFrame { frame, steps } => {
                let element = find::element(c, frame, false, deadline).await?;
                element.enter_frame().await.map_err(fatal)?;
                // On failure the browser stays in the frame, so the saved HTML is the frame's.
                let flow = self.run_steps(steps).await?;
                client.enter_parent_frame().await.map_err(fatal)?;
                return Ok(flow);
            }
            Action::NewTab(url) => {
                let tab = c.new_window(true).await.map_err(fatal)?;
                c.switch_to_window(tab.handle).await.map_err(fatal)?;
                if let Some(url) = url {
                    self.page_load_limit(step.timeout).await?;
                    navigate::goto(c, url).await?;
                }
            }
            Action::SwitchTo(selector) => navigate::switch_to(c, selector, deadline).await?,
            Action::Alert { action, prompt } => {
                let text = navigate::alert(c, *action, prompt.as_deref(), deadline).await?;
                self.output(step, Value::String(text));
            }
            Action::Screenshot(target) => {
                let png = match target {
                    None => c.screenshot().await.map_err(fatal)?,
                    Some(t) => {
                        find::act(c, t, true, deadline, "taking its picture", |e| {
                            Box::pin(async move { e.screenshot().await })
                        })
                        .await?
                    }
                };
                let name = artifact_name(step, "screenshot", "png");
                let artifact = store(self.store, png, "image/png", name).await?;
                self.output(step, json!(artifact));
                self.artifacts.push(artifact);
            }
            Action::Download(target) => {
                self.page_load_limit(step.timeout).await?;
                let dir = self.profile.downloads();
                let before = download::snapshot(&dir).await?;
                find::act(c, target, true, deadline, "clicking it", |e| {
                    Box::pin(async move { e.click().await })
                })
                .await?;
                let (path, name) = download::wait_new(&dir, &before, deadline).await?;
                let bytes = tokio::fs::read(&path).await.map_err(|e| {
                    Error::Storage(format!("cannot read the downloaded `{name}`: {e}"))
                })?;
                let _ = tokio::fs::remove_file(&path).await;
                let media_type = download::media_type(&name);
                let artifact = store(self.store, bytes, media_type, name).await?;
                self.output(step, json!(artifact));
                self.artifacts.push(artifact);
            }
        }
        Ok(Flow::Next)
    }

    fn output(&mut self, step: &Step, value: Value) {
        if let Some(name) = &step.output {
            self.extracted.insert(name.clone(), value);
        }
    }

    /// Makes navigations started by this step wait at most its time limit.
    async fn page_load_limit(&mut self, limit: Duration) -> Result<(), Error> {
        if self.page_load != Some(limit) {
            self.client
                .update_timeouts(TimeoutConfiguration::new(None, Some(limit), None))
                .await
                .map_err(fatal)?;
            self.page_load = Some(limit);
        }
        Ok(())
    }

    /// Writes an upload's content into the block's folder, under its own name.
    async fn write_upload(&self, step: &Step, file: &Artifact) -> Result<String, Error> {
        let bytes = self.inputs.files.get(&file.artifact).ok_or_else(|| {
            Error::Setup(format!("the artifact {} was not loaded", file.artifact))
        })?;
        let dir = self.profile.uploads().join(
            step.path
                .0
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join("-"),
        );
        let path = dir.join(download::safe_file_name(&file.name, "upload.bin"));
        let io = |e: std::io::Error| {
            Error::Storage(format!(
                "cannot write the file to upload `{}`: {e}",
                path.display()
            ))
        };
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        tokio::fs::write(&path, bytes).await.map_err(io)?;
        Ok(path.display().to_string())
    }
}

/// `steps[3] (click css "#submit")`: the step, its kind and its target, for errors.
fn place(step: &Step) -> String {
    let detail = match &step.action {
        Action::Goto(url) | Action::NewTab(Some(url)) => format!(" {url}"),
        Action::SwitchTo(s) => format!(" {s}"),
        Action::WaitFor(c) | Action::StopIf(c) => format!(" {}", c.kind()),
        a => a.target().map(|t| format!(" {t}")).unwrap_or_default(),
    };
    format!("{} ({}{detail})", step.path, step.action.kind())
}

/// A file name for a step's artifact: its `as:` name, or the kind and position.
fn artifact_name(step: &Step, kind: &str, ext: &str) -> String {
    let base = step.output.clone().unwrap_or_else(|| {
        let at: Vec<String> = step.path.0.iter().map(usize::to_string).collect();
        format!("{kind}-{}", at.join("-"))
    });
    download::safe_file_name(&format!("{base}.{ext}"), &format!("{kind}.{ext}"))
}

/// Stores bytes as an artifact, off the async threads (the store writes and syncs a file).
pub(crate) async fn store(
    store: &ArtifactStore,
    bytes: Vec<u8>,
    media_type: &str,
    name: String,
) -> Result<Artifact, Error> {
    let store = store.clone();
    let media_type = media_type.to_owned();
    tokio::task::spawn_blocking(move || store.put(&bytes, &media_type, &name))
        .await
        .map_err(|e| Error::Storage(format!("storing an artifact failed: {e}")))?
        .map_err(|e| Error::Storage(e.to_string()))
}
