//! `ocr.text` and `ocr.invoice`: `with: {artifact | base64, media_type?, languages?, pages?}`
//! → an [`OcrResult`](crate::OcrResult) (see docs/functions/ocr.invoice.md). Recognition runs
//! on tokio's blocking pool, at most `concurrency` documents at a time.

use std::sync::Arc;

use base64::Engine as _;
use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_core::{ArtifactStore, CallContext, ErrorKind, Function, WorkflowError};
use tokio::sync::Semaphore;

use crate::error::Error;
use crate::recognize::{Options, recognize_bytes};
use crate::result::Kind;

/// One of the two functions.
pub struct OcrFunction {
    kind: Kind,
    artifacts: Option<ArtifactStore>,
    permits: Arc<Semaphore>,
    options: Options,
}

impl OcrFunction {
    /// A function reading documents as `kind`, artifacts from `artifacts`, sharing `permits`
    /// (the number of documents read at once) with its sibling.
    pub fn new(
        kind: Kind,
        artifacts: Option<ArtifactStore>,
        permits: Arc<Semaphore>,
        options: Options,
    ) -> Self {
        Self {
            kind,
            artifacts,
            permits,
            options,
        }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Text => "ocr.text",
            Kind::Invoice => "ocr.invoice",
        }
    }
}

/// The document and options of one call.
struct Call {
    bytes: Vec<u8>,
    media_type: Option<String>,
    source: String,
    options: Options,
}

fn invalid(name: &str, instance: &str, detail: String) -> WorkflowError {
    WorkflowError::new(ErrorKind::Validation, "Invalid arguments")
        .with_detail(format!(
            "`{name}`: {detail}. Pass `with: {{artifact: \"sha256:…\"}}` or `with: {{base64: \"…\", \
             media_type: \"application/pdf\"}}`, optionally `languages: chi_sim+eng` and `pages: N`. \
             Retrying the same arguments fails the same way."
        ))
        .retryable(false)
        .at(instance)
}

impl OcrFunction {
    fn parse(&self, ctx: &CallContext, args: &Value) -> Result<Call, WorkflowError> {
        let name = self.name();
        let bad = |detail: String| invalid(name, &ctx.instance, detail);
        let mut options = self.options.clone();
        if let Some(l) = args.get("languages") {
            options.languages = l
                .as_str()
                .ok_or_else(|| bad(format!("`languages` must be a string, got {l}")))?
                .to_owned();
        }
        if let Some(p) = args.get("pages") {
            let n = p
                .as_u64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(format!("`pages` must be a whole number ≥ 1, got {p}")))?;
            options.pages = Some(u32::try_from(n).unwrap_or(u32::MAX));
        }
        let mut media_type = args
            .get("media_type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // `artifact` may be the reference or the whole artifact object a step returned.
        let artifact = match args.get("artifact") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => {
                if media_type.is_none() {
                    media_type = o
                        .get("media_type")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
                o.get("artifact").and_then(Value::as_str).map(str::to_owned)
            }
            Some(other) => return Err(bad(format!("`artifact` must be `sha256:…`, got {other}"))),
            None => None,
        };
        let (bytes, source) = match (artifact, args.get("base64")) {
            (Some(reference), None) => {
                let store = self.artifacts.as_ref().ok_or_else(|| {
                    WorkflowError::new(ErrorKind::Configuration, "No artifact store")
                        .with_detail(format!(
                            "`{name}` was given an artifact, but this shopflow has no artifact \
                             store configured; pass `base64` instead. Not retryable."
                        ))
                        .retryable(false)
                        .at(&ctx.instance)
                })?;
                let bytes = store.get(&reference).map_err(|e| match e {
                    shopflow_core::ArtifactError::BadReference(_) => bad(e.to_string()),
                    shopflow_core::ArtifactError::Io { .. } => {
                        WorkflowError::new(ErrorKind::Runtime, "Artifact store error")
                            .with_detail(format!("`{name}`: {e}. Retrying may help."))
                            .retryable(true)
                            .at(&ctx.instance)
                    }
                })?;
                let bytes = bytes.ok_or_else(|| {
                    WorkflowError::new(ErrorKind::Validation, "Artifact not found")
                        .with_detail(format!(
                            "`{name}`: `with.artifact` {reference} is not in the artifact store \
                             ({}); check the step that stored it. Not retryable.",
                            store.dir().display()
                        ))
                        .retryable(false)
                        .at(&ctx.instance)
                })?;
                (bytes, format!("`with.artifact` {reference}"))
            }
            (None, Some(Value::String(b64))) => {
                let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(cleaned.as_bytes())
                    .map_err(|e| bad(format!("`base64` is not valid base64: {e}")))?;
                (bytes, "`with.base64`".to_owned())
            }
            (None, Some(other)) => {
                return Err(bad(format!("`base64` must be a string, got {other}")));
            }
            (Some(_), Some(_)) => {
                return Err(bad("give either `artifact` or `base64`, not both".into()));
            }
            (None, None) => return Err(bad(format!("no document given (got {args})"))),
        };
        Ok(Call {
            bytes,
            media_type,
            source,
            options,
        })
    }
}

impl Function for OcrFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let parsed = self.parse(&ctx, &args);
        let kind = self.kind;
        let permits = self.permits.clone();
        let name = self.name();
        Box::pin(async move {
            let call = parsed?;
            let _permit = permits.acquire_owned().await.map_err(|_| {
                WorkflowError::new(ErrorKind::Runtime, "OCR shut down")
                    .with_detail(format!(
                        "`{name}`: the OCR pool is closed. Retrying may help."
                    ))
                    .retryable(true)
                    .at(&ctx.instance)
            })?;
            let limits = call.options.limits.clone();
            let source = call.source.clone();
            let joined = tokio::task::spawn_blocking(move || {
                recognize_bytes(&call.bytes, call.media_type.as_deref(), kind, &call.options)
            })
            .await;
            let result = match joined {
                Ok(r) => r,
                // `recognize_bytes` catches panics itself; this is the pool's own backstop.
                Err(e) => Err(Error::Panicked(e.to_string())),
            };
            let result =
                result.map_err(|e| e.to_workflow_error(&source, &ctx.instance, &limits))?;
            serde_json::to_value(result).map_err(|e| {
                WorkflowError::new(ErrorKind::Runtime, "OCR result not serialisable")
                    .with_detail(e.to_string())
                    .retryable(false)
                    .at(&ctx.instance)
            })
        })
    }

    fn summary(&self) -> &'static str {
        match self.kind {
            Kind::Text => "Reads the text of an image or PDF (Tesseract; Chinese and English).",
            Kind::Invoice => {
                "Reads a fapiao, invoice or order screenshot into checked fields (number, date, parties, tax ids, amounts)."
            }
        }
    }

    fn has_effects(&self) -> bool {
        false
    }
}
