//! What a failed block leaves for people to look at: a screenshot and the page's HTML (secrets
//! hidden), stored as run artifacts and named in the error.

use std::time::Duration;

use fantoccini::Client;
use shopflow_core::{Artifact, ArtifactStore};

use crate::redact::Redactor;
use crate::runner::store;

/// How long each capture may take; a browser that does not answer gets no evidence.
const CAPTURE_LIMIT: Duration = Duration::from_secs(5);

/// The evidence of a failure.
#[derive(Default)]
pub(crate) struct Evidence {
    /// The page's URL when the block failed.
    pub(crate) url: Option<String>,
    /// The screenshot.
    pub(crate) screenshot: Option<Artifact>,
    /// The HTML of the page (or of the frame the failing step was in).
    pub(crate) html: Option<Artifact>,
}

impl Evidence {
    /// Takes a screenshot and the HTML, as far as the browser still answers.
    pub(crate) async fn capture(
        client: &Client,
        artifacts: &ArtifactStore,
        redactor: &Redactor,
    ) -> Self {
        let mut evidence = Self::default();
        if let Ok(Ok(url)) = tokio::time::timeout(CAPTURE_LIMIT, client.current_url()).await {
            evidence.url = Some(redactor.text(url.as_str()));
        }
        if let Ok(Ok(png)) = tokio::time::timeout(CAPTURE_LIMIT, client.screenshot()).await {
            match store(artifacts, png, "image/png", "failure.png".to_owned()).await {
                Ok(a) => evidence.screenshot = Some(a),
                Err(e) => tracing::warn!(error = %e, "the failure screenshot was not stored"),
            }
        }
        if let Ok(Ok(html)) = tokio::time::timeout(CAPTURE_LIMIT, client.source()).await {
            let html = redactor.text(&html).into_bytes();
            match store(artifacts, html, "text/html", "failure.html".to_owned()).await {
                Ok(a) => evidence.html = Some(a),
                Err(e) => tracing::warn!(error = %e, "the failure HTML was not stored"),
            }
        }
        evidence
    }

    /// The sentence added to the error detail.
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(url) = &self.url {
            parts.push(format!("page {url}"));
        }
        if let Some(a) = &self.screenshot {
            parts.push(format!("screenshot {}", a.artifact));
        }
        if let Some(a) = &self.html {
            parts.push(format!("page HTML {}", a.artifact));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }

    /// The stored artifacts.
    pub(crate) fn artifacts(&self) -> impl Iterator<Item = &Artifact> {
        self.screenshot.iter().chain(self.html.iter())
    }
}
