//! OpenAPI documents: fetched once per URL (with the document's own authentication), parsed
//! from JSON or YAML, checked to be Swagger 2.0 or OpenAPI 3.x, and kept for the life of the
//! function.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{Method, Url};
use serde_json::Value;
use shopflow_dsl::yaml;

use crate::auth::Authentication;
use crate::error::Error;
use crate::redact;
use crate::request::{HttpRequest, Output};
use crate::sender::Sender;

/// Which specification a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `swagger: "2.0"`.
    Swagger2,
    /// `openapi: 3.x`.
    OpenApi3,
}

/// The documents fetched so far, by URL.
#[derive(Default)]
pub(crate) struct DocumentCache {
    documents: Mutex<HashMap<String, Arc<Value>>>,
}

impl DocumentCache {
    /// The document at `url`, fetched on first use. A failed fetch is not remembered.
    pub(crate) async fn get(
        &self,
        sender: &Sender,
        url: &Url,
        auth: Option<Authentication>,
    ) -> Result<Arc<Value>, Error> {
        if let Some(doc) = self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url.as_str())
        {
            return Ok(Arc::clone(doc));
        }
        let request = HttpRequest {
            method: Method::GET,
            url: url.clone(),
            headers: vec![(
                "Accept".into(),
                "application/json, application/yaml;q=0.9, */*;q=0.8".into(),
            )],
            body: None,
            output: Output::Content,
            redirect: true,
            auth,
        };
        let exchange = sender.exchange("", &request).await?;
        if !exchange.status.is_success() {
            return Err(exchange.status_error());
        }
        let doc = Arc::new(parse(&exchange.body, url)?);
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.as_str().to_owned(), Arc::clone(&doc));
        Ok(doc)
    }
}

/// JSON, else YAML; either way a Swagger 2.0 or OpenAPI 3.x object.
pub(crate) fn parse(bytes: &[u8], url: &Url) -> Result<Value, Error> {
    let doc = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => v,
        Err(json) => match yaml::load_bytes(bytes) {
            Ok(node) => node.to_json(),
            Err(d) => {
                return Err(Error::Document {
                    url: redact::uri(url),
                    detail: format!(
                        "is neither JSON ({json}) nor YAML ({}: {})",
                        d.pos, d.message
                    ),
                });
            }
        },
    };
    flavor(&doc, url)?;
    Ok(doc)
}

/// Whether the document is Swagger 2.0 or OpenAPI 3.x.
pub(crate) fn flavor(doc: &Value, url: &Url) -> Result<Flavor, Error> {
    let version = |field: &str| doc.get(field).and_then(Value::as_str);
    match (version("swagger"), version("openapi")) {
        (Some(v), _) if v.starts_with('2') => Ok(Flavor::Swagger2),
        (_, Some(v)) if v.starts_with('3') => Ok(Flavor::OpenApi3),
        (Some(v), _) | (_, Some(v)) => Err(Error::Document {
            url: redact::uri(url),
            detail: format!("has version {v}; Swagger 2.0 and OpenAPI 3.x are supported"),
        }),
        (None, None) => Err(Error::Document {
            url: redact::uri(url),
            detail:
                "is neither Swagger 2.0 nor OpenAPI 3.x (it has no `swagger` or `openapi` field)"
                    .into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://shop.example/openapi.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn yaml_and_json_documents_parse() {
        let yaml = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";
        let doc = parse(yaml, &url()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flavor(&doc, &url()).ok(), Some(Flavor::OpenApi3));
        let json = br#"{"swagger": "2.0", "paths": {}}"#;
        let doc = parse(json, &url()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flavor(&doc, &url()).ok(), Some(Flavor::Swagger2));
    }

    #[test]
    fn other_documents_are_refused() {
        let err = parse(b"hello", &url()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "the OpenAPI document http://shop.example/openapi.yaml is neither Swagger 2.0 nor OpenAPI 3.x \
                 (it has no `swagger` or `openapi` field)"
            )
        );
        let err = parse(br#"{"swagger": "1.2"}"#, &url())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| {
            e.ends_with("has version 1.2; Swagger 2.0 and OpenAPI 3.x are supported")
        }));
    }
}
