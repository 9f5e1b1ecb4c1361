//! Finding an operation by `operationId` in a Swagger 2.0 or OpenAPI 3.x document and reading
//! what a request for it needs: method, server URL, path, parameters and body.

use reqwest::{Method, Url};
use serde_json::Value;

use crate::error::Error;
use crate::openapi::document::{Flavor, flavor};
use crate::redact;

/// Methods a path item can hold, in the order they are searched.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Most `$ref` hops followed before a reference is taken to be a cycle.
const MAX_REF_HOPS: usize = 16;
/// Most operation ids an "unknown operation" error lists.
const MAX_KNOWN_LISTED: usize = 20;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// A `{name}` in the path.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
    /// The `Cookie` header (OpenAPI 3).
    Cookie,
    /// A form field of the body (Swagger 2 `formData`).
    FormData,
}

impl Location {
    /// The word the documents use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::FormData => "formData",
        }
    }
}

/// How an array value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One `name=value` per item (`multi`, `form` + explode).
    Repeat,
    /// Items joined with a separator (`csv`, `ssv`, `pipes`…).
    Join(&'static str),
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parameter {
    /// Its name.
    pub name: String,
    /// Where it goes.
    pub location: Location,
    /// Whether the call must give it.
    pub required: bool,
    /// How arrays are written.
    pub layout: Layout,
}

/// The request body an operation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestBody {
    /// The content type sent.
    pub content_type: String,
    /// Whether the call must give it.
    pub required: bool,
    /// Swagger 2: the `in: body` parameter's name.
    pub name: Option<String>,
}

/// What a request for one operation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    /// The operation's id.
    pub id: String,
    /// The method.
    pub method: Method,
    /// Server URL, no trailing `/`.
    pub base: String,
    /// The path template (`/pet/{petId}`).
    pub path: String,
    /// Declared parameters, path-level ones overridden by the operation's.
    pub parameters: Vec<Parameter>,
    /// The body, if the operation takes one.
    pub body: Option<RequestBody>,
    /// The `Accept` header, from what the operation produces.
    pub accept: Option<String>,
}

/// The operation `operation_id` of `doc`, fetched from `doc_url`.
pub(crate) fn find(doc: &Value, doc_url: &Url, operation_id: &str) -> Result<Operation, Error> {
    let flavor = flavor(doc, doc_url)?;
    let mut known = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (path, item) in paths {
        let item = resolve(doc, item, doc_url)?;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            match op.get("operationId").and_then(Value::as_str) {
                Some(id) if id == operation_id => {
                    let reader = Reader {
                        doc,
                        doc_url,
                        flavor,
                        item,
                        op,
                    };
                    return reader.operation(path, method, operation_id);
                }
                Some(id) if known.len() < MAX_KNOWN_LISTED => known.push(id.to_owned()),
                _ => {}
            }
        }
    }
    Err(Error::OperationNotFound {
        url: redact::uri(doc_url),
        operation_id: operation_id.to_owned(),
        known,
    })
}

/// Reads one operation.
struct Reader<'a> {
    doc: &'a Value,
    doc_url: &'a Url,
    flavor: Flavor,
    item: &'a Value,
    op: &'a Value,
}

impl<'a> Reader<'a> {
    fn operation(&self, path: &str, method: &str, id: &str) -> Result<Operation, Error> {
        let mut parameters: Vec<Parameter> = Vec::new();
        let mut body = None;
        let declared = [self.item.get("parameters"), self.op.get("parameters")];
        for raw in declared
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let p = resolve(self.doc, raw, self.doc_url)?;
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            let location = match p.get("in").and_then(Value::as_str).unwrap_or_default() {
                "path" => Location::Path,
                "query" => Location::Query,
                "header" => Location::Header,
                "cookie" => Location::Cookie,
                "formData" => Location::FormData,
                "body" => {
                    body = Some(RequestBody {
                        content_type: self.consumes(),
                        required,
                        name: Some(name),
                    });
                    continue;
                }
                other => {
                    return Err(
                        self.invalid(format!("parameter `{name}` of `{id}` is `in: {other}`"))
                    );
                }
            };
            let required = required || location == Location::Path;
            let layout = self.layout(p, location);
            // Operation parameters override path-level ones with the same name and location.
            parameters.retain(|q| !(q.name == name && q.location == location));
            parameters.push(Parameter {
                name,
                location,
                required,
                layout,
            });
        }
        if self.flavor == Flavor::Swagger2
            && parameters.iter().any(|p| p.location == Location::FormData)
        {
            body = Some(RequestBody {
                content_type: self.form_content_type()?,
                required: false,
                name: None,
            });
        }
        if self.flavor == Flavor::OpenApi3
            && let Some(raw) = self.op.get("requestBody")
        {
            let rb = resolve(self.doc, raw, self.doc_url)?;
            let types: Vec<String> = rb
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect();
            let content_type = preferred(&types).unwrap_or_else(|| "application/json".to_owned());
            if content_type.starts_with("multipart/") {
                return Err(Error::Unsupported(format!(
                    "`{id}` takes {content_type}, which is not supported yet"
                )));
            }
            body = Some(RequestBody {
                content_type,
                required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
                name: None,
            });
        }
        Ok(Operation {
            id: id.to_owned(),
            method: Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .unwrap_or(Method::GET),
            base: self.base()?,
            path: path.to_owned(),
            parameters,
            body,
            accept: preferred(&self.produces()),
        })
    }

    /// How a parameter writes arrays: Swagger 2 `collectionFormat`, OpenAPI 3 `style`/`explode`.
    fn layout(&self, p: &Value, location: Location) -> Layout {
        let text = |k: &str| p.get(k).and_then(Value::as_str);
        match self.flavor {
            Flavor::Swagger2 => match text("collectionFormat").unwrap_or("csv") {
                "multi" => Layout::Repeat,
                "ssv" => Layout::Join(" "),
                "tsv" => Layout::Join("\t"),
                "pipes" => Layout::Join("|"),
                _ => Layout::Join(","),
            },
            Flavor::OpenApi3 => {
                let form = matches!(location, Location::Query | Location::Cookie);
                let style = text("style").unwrap_or(if form { "form" } else { "simple" });
                let explode = p
                    .get("explode")
                    .and_then(Value::as_bool)
                    .unwrap_or(style == "form");
                match (style, explode) {
                    (_, true) if form => Layout::Repeat,
                    ("spaceDelimited", _) => Layout::Join(" "),
                    ("pipeDelimited", _) => Layout::Join("|"),
                    _ => Layout::Join(","),
                }
            }
        }
    }

    /// The server URL the path is appended to.
    fn base(&self) -> Result<String, Error> {
        let base = match self.flavor {
            Flavor::Swagger2 => {
                let schemes: Vec<&str> = self
                    .op
                    .get("schemes")
                    .or_else(|| self.doc.get("schemes"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let scheme = if schemes.is_empty() || schemes.contains(&self.doc_url.scheme()) {
                    self.doc_url.scheme()
                } else {
                    schemes[0]
                };
                let host = match self.doc.get("host").and_then(Value::as_str) {
                    Some(h) => h.to_owned(),
                    None => redact::host(self.doc_url),
                };
                let base_path = self
                    .doc
                    .get("basePath")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                format!("{scheme}://{host}{base_path}")
            }
            Flavor::OpenApi3 => {
                let servers = [
                    self.op.get("servers"),
                    self.item.get("servers"),
                    self.doc.get("servers"),
                ];
                let server = servers
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_array)
                    .find_map(|s| s.first());
                let mut url = server
                    .and_then(|s| s.get("url"))
                    .and_then(Value::as_str)
                    .unwrap_or("/")
                    .to_owned();
                let variables = server
                    .and_then(|s| s.get("variables"))
                    .and_then(Value::as_object);
                for (name, var) in variables.into_iter().flatten() {
                    let default = var
                        .get("default")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    url = url.replace(&format!("{{{name}}}"), default);
                }
                // Relative server URLs are relative to where the document was found.
                self.doc_url
                    .join(&url)
                    .map_err(|e| self.invalid(format!("server URL `{url}` is not valid: {e}")))?
                    .to_string()
            }
        };
        Ok(base.trim_end_matches('/').to_owned())
    }

    /// Swagger 2 `consumes`: the body's content type, JSON preferred.
    fn consumes(&self) -> String {
        preferred(&self.media_types("consumes")).unwrap_or_else(|| "application/json".to_owned())
    }

    fn form_content_type(&self) -> Result<String, Error> {
        let types = self.media_types("consumes");
        let form = "application/x-www-form-urlencoded";
        if types.is_empty() || types.iter().any(|t| t == form) {
            Ok(form.to_owned())
        } else {
            Err(Error::Unsupported(format!(
                "the operation takes {} form data, which is not supported yet ({form} is)",
                types.join(", ")
            )))
        }
    }

    /// What the operation answers with, for `Accept`.
    fn produces(&self) -> Vec<String> {
        match self.flavor {
            Flavor::Swagger2 => self.media_types("produces"),
            Flavor::OpenApi3 => {
                let responses = self
                    .op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten();
                responses
                    .filter(|(code, _)| code.starts_with('2') || code.as_str() == "default")
                    .filter_map(|(_, r)| resolve(self.doc, r, self.doc_url).ok())
                    .filter_map(|r| r.get("content").and_then(Value::as_object))
                    .flat_map(|c| c.keys().cloned())
                    .collect()
            }
        }
    }

    /// Swagger 2 media type lists: the operation's, else the document's.
    fn media_types(&self, field: &str) -> Vec<String> {
        self.op
            .get(field)
            .or_else(|| self.doc.get(field))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }

    fn invalid(&self, detail: String) -> Error {
        Error::Document {
            url: redact::uri(self.doc_url),
            detail: format!("is not usable: {detail}"),
        }
    }
}

/// JSON if offered, else the first.
fn preferred(types: &[String]) -> Option<String> {
    types
        .iter()
        .find(|t| t.as_str() == "application/json")
        .or_else(|| types.iter().find(|t| t.contains("json")))
        .or_else(|| types.first())
        .cloned()
}

/// Follows local `$ref`s (`#/parameters/petId`).
fn resolve<'a>(doc: &'a Value, mut v: &'a Value, doc_url: &Url) -> Result<&'a Value, Error> {
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = v.get("$ref").and_then(Value::as_str) else {
            return Ok(v);
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(Error::Unsupported(format!(
                "the OpenAPI document {} refers to `{reference}`; only references inside the document are supported",
                redact::uri(doc_url)
            )));
        };
        v = doc.pointer(pointer).ok_or_else(|| Error::Document {
            url: redact::uri(doc_url),
            detail: format!("refers to `{reference}`, which it does not contain"),
        })?;
    }
    Err(Error::Document {
        url: redact::uri(doc_url),
        detail: "has a `$ref` cycle".into(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn swagger_2_operations() {
        let doc = json!({
            "swagger": "2.0",
            "host": "petstore.example:8080",
            "basePath": "/v2",
            "schemes": ["https", "http"],
            "parameters": {"petId": {"name": "petId", "in": "path", "type": "integer"}},
            "paths": {
                "/pet/{petId}": {
                    "get": {"operationId": "getPetById", "produces": ["application/xml", "application/json"],
                            "parameters": [{"$ref": "#/parameters/petId"}]}
                },
                "/pet": {
                    "post": {"operationId": "addPet", "consumes": ["application/json"],
                             "parameters": [{"name": "body", "in": "body", "required": true}]}
                },
                "/pet/findByStatus": {
                    "get": {"operationId": "findPetsByStatus",
                            "parameters": [{"name": "status", "in": "query", "type": "array", "collectionFormat": "multi"}]}
                }
            }
        });
        let doc_url = url("http://docs.example/swagger.json");
        let op = find(&doc, &doc_url, "getPetById").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(op.base, "http://petstore.example:8080/v2");
        assert_eq!(op.method, Method::GET);
        assert_eq!(op.accept.as_deref(), Some("application/json"));
        assert_eq!(
            op.parameters,
            vec![Parameter {
                name: "petId".into(),
                location: Location::Path,
                required: true,
                layout: Layout::Join(",")
            }]
        );
        let add = find(&doc, &doc_url, "addPet").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            add.body,
            Some(RequestBody {
                content_type: "application/json".into(),
                required: true,
                name: Some("body".into())
            })
        );
        let by_status = find(&doc, &doc_url, "findPetsByStatus").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(by_status.parameters[0].layout, Layout::Repeat);
        let missing = find(&doc, &doc_url, "deletePet")
            .err()
            .map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("has no operation `deletePet` (it has: ")));
    }

    #[test]
    fn openapi_3_servers_resolve_against_the_document() {
        let doc = json!({
            "openapi": "3.0.3",
            "servers": [{"url": "/api/{version}", "variables": {"version": {"default": "v3"}}}],
            "paths": {
                "/pet": {
                    "post": {"operationId": "addPet",
                             "requestBody": {"required": true, "content": {"application/xml": {}, "application/json": {}}},
                             "responses": {"200": {"content": {"application/json": {}}}}}
                }
            }
        });
        let op = find(
            &doc,
            &url("http://127.0.0.1:9000/docs/openapi.json"),
            "addPet",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(op.base, "http://127.0.0.1:9000/api/v3");
        assert_eq!(op.method, Method::POST);
        assert_eq!(
            op.body.map(|b| (b.content_type, b.required)),
            Some(("application/json".into(), true))
        );
        assert_eq!(op.accept.as_deref(), Some("application/json"));
    }

    #[test]
    fn reference_cycles_and_external_references_are_reported() {
        let doc = json!({
            "openapi": "3.1.0",
            "components": {"parameters": {"a": {"$ref": "#/components/parameters/a"}}},
            "paths": {"/x": {"get": {"operationId": "x", "parameters": [{"$ref": "#/components/parameters/a"}]},
                             "put": {"operationId": "y", "parameters": [{"$ref": "other.json#/p"}]}}}
        });
        let doc_url = url("http://docs.example/openapi.json");
        assert!(
            find(&doc, &doc_url, "x")
                .err()
                .is_some_and(|e| e.to_string().ends_with("has a `$ref` cycle"))
        );
        assert!(matches!(
            find(&doc, &doc_url, "y"),
            Err(Error::Unsupported(_))
        ));
    }
}
