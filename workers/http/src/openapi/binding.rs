//! Binding a call's `parameters` to an [`Operation`]: path, query, header and cookie values
//! put where the document says, the rest into the body.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::auth::Authentication;
use crate::error::Error;
use crate::openapi::operation::{Layout, Location, Operation, Parameter};
use crate::request::{self, HttpRequest, Output};

/// The request for `op` with `params`.
pub(crate) fn bind(
    op: &Operation,
    params: &Map<String, Value>,
    output: Output,
    redirect: bool,
    auth: Option<Authentication>,
) -> Result<HttpRequest, Error> {
    let mut used: HashSet<&str> = HashSet::new();
    let mut path = op.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    let mut form = Map::new();
    for p in &op.parameters {
        let value = match params.get(&p.name).filter(|v| !v.is_null()) {
            Some(v) => v,
            None if p.required => return Err(missing(op, &p.name, p.location.name())),
            None => continue,
        };
        used.insert(p.name.as_str());
        match p.location {
            Location::Path => {
                let text = joined(value, p).unwrap_or_default();
                path = path.replace(&format!("{{{}}}", p.name), &encode_path_segment(&text));
            }
            Location::Query => query.extend(pairs(&p.name, value, p.layout)),
            Location::Header => headers.extend(joined(value, p).map(|v| (p.name.clone(), v))),
            Location::Cookie => cookies.extend(joined(value, p).map(|v| format!("{}={v}", p.name))),
            Location::FormData => {
                form.insert(p.name.clone(), value.clone());
            }
        }
    }
    if !cookies.is_empty() {
        headers.push(("Cookie".into(), cookies.join("; ")));
    }
    if let Some(accept) = &op.accept {
        headers.push(("Accept".into(), accept.clone()));
    }
    let body_value = match &op.body {
        None => None,
        Some(_) if !form.is_empty() => Some(Value::Object(form)),
        Some(spec) => {
            let named = spec
                .name
                .as_deref()
                .and_then(|n| params.get(n))
                .or_else(|| params.get("body"));
            let value = match (named, &spec.name) {
                (Some(v), _) => Some(v.clone()),
                // OpenAPI 3: without a `body` parameter, whatever no declared parameter took.
                (None, None) => {
                    let rest: Map<String, Value> = params
                        .iter()
                        .filter(|(k, _)| !used.contains(k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    (!rest.is_empty()).then_some(Value::Object(rest))
                }
                (None, Some(_)) => None,
            };
            match value {
                None if spec.required => {
                    return Err(missing(op, spec.name.as_deref().unwrap_or("body"), "body"));
                }
                other => other,
            }
        }
    };
    let body = match (&body_value, &op.body) {
        (Some(v), Some(spec)) => {
            headers.push(("Content-Type".into(), spec.content_type.clone()));
            request::encode_body(v, Some(&spec.content_type))?
        }
        _ => None,
    };
    let mut url = request::parse_url(&format!("{}{path}", op.base))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(HttpRequest {
        method: op.method.clone(),
        url,
        headers,
        body,
        output,
        redirect,
        auth,
    })
}

/// `name=value` pairs of a query parameter: arrays by the layout, objects exploded into their
/// fields with `Repeat`, scalars as text.
fn pairs(name: &str, value: &Value, layout: Layout) -> Vec<(String, String)> {
    match (value, layout) {
        (Value::Array(items), Layout::Repeat) => items
            .iter()
            .filter_map(request::text)
            .map(|t| (name.to_owned(), t))
            .collect(),
        (Value::Object(fields), Layout::Repeat) => fields
            .iter()
            .filter_map(|(k, v)| request::text(v).map(|t| (k.clone(), t)))
            .collect(),
        (Value::Array(items), Layout::Join(sep)) => {
            vec![(
                name.to_owned(),
                items
                    .iter()
                    .filter_map(request::text)
                    .collect::<Vec<_>>()
                    .join(sep),
            )]
        }
        (other, _) => request::text(other)
            .map(|t| (name.to_owned(), t))
            .into_iter()
            .collect(),
    }
}

/// A path, header or cookie value: arrays joined by the layout (`,` by default).
fn joined(value: &Value, p: &Parameter) -> Option<String> {
    let sep = match p.layout {
        Layout::Join(sep) => sep,
        Layout::Repeat => ",",
    };
    match value {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(request::text)
                .collect::<Vec<_>>()
                .join(sep),
        ),
        other => request::text(other),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn missing(op: &Operation, name: &str, location: &str) -> Error {
    Error::MissingParameter {
        operation_id: op.id.clone(),
        name: name.to_owned(),
        location: location.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::Method;
    use serde_json::json;

    use super::*;
    use crate::openapi::operation::RequestBody;

    fn op(parameters: Vec<Parameter>, body: Option<RequestBody>) -> Operation {
        Operation {
            id: "op".into(),
            method: Method::POST,
            base: "http://shop.example/v2".into(),
            path: "/pet/{petId}".into(),
            parameters,
            body,
            accept: Some("application/json".into()),
        }
    }

    fn param(name: &str, location: Location, required: bool, layout: Layout) -> Parameter {
        Parameter {
            name: name.into(),
            location,
            required,
            layout,
        }
    }

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn parameters_go_where_declared_and_the_rest_into_the_body() {
        let op = op(
            vec![
                param("petId", Location::Path, true, Layout::Join(",")),
                param("tags", Location::Query, false, Layout::Repeat),
                param("X-Shop", Location::Header, false, Layout::Join(",")),
            ],
            Some(RequestBody {
                content_type: "application/json".into(),
                required: true,
                name: None,
            }),
        );
        let r = bind(
            &op,
            &params(
                json!({"petId": "a b/1", "tags": ["x", "y"], "X-Shop": "s1", "name": "doggie"}),
            ),
            Output::Content,
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.url.as_str(),
            "http://shop.example/v2/pet/a%20b%2F1?tags=x&tags=y"
        );
        assert!(r.headers.contains(&("X-Shop".into(), "s1".into())));
        assert!(
            r.headers
                .contains(&("Accept".into(), "application/json".into()))
        );
        assert_eq!(
            r.body.map(|b| b.bytes),
            Some(br#"{"name":"doggie"}"#.to_vec())
        );
    }

    #[test]
    fn missing_required_parameters_are_named() {
        let op = op(
            vec![param("petId", Location::Path, true, Layout::Join(","))],
            None,
        );
        let err = bind(&op, &Map::new(), Output::Content, false, None)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("operation `op` needs the path parameter `petId`; add it to `parameters`")
        );
    }

    #[test]
    fn swagger_body_and_form_parameters() {
        let body = Some(RequestBody {
            content_type: "application/json".into(),
            required: true,
            name: Some("pet".into()),
        });
        let with_body = op(
            vec![param("petId", Location::Path, true, Layout::Join(","))],
            body,
        );
        let r = bind(
            &with_body,
            &params(json!({"petId": 1, "pet": {"id": 1}})),
            Output::Content,
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.body.map(|b| b.bytes), Some(br#"{"id":1}"#.to_vec()));
        let form_body = Some(RequestBody {
            content_type: "application/x-www-form-urlencoded".into(),
            required: false,
            name: None,
        });
        let with_form = op(
            vec![
                param("petId", Location::Path, true, Layout::Join(",")),
                param("name", Location::FormData, false, Layout::Join(",")),
            ],
            form_body,
        );
        let r = bind(
            &with_form,
            &params(json!({"petId": 1, "name": "rex"})),
            Output::Content,
            false,
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.body.map(|b| b.bytes), Some(b"name=rex".to_vec()));
    }
}
