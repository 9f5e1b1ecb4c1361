//! [`HttpRequest`]: one call, decoded from the `args` the interpreter builds for `call: http`
//! (and assembled by `openapi` from an operation), before anything is sent.

use reqwest::{Method, Url};
use serde_json::{Map, Value};

use crate::auth::Authentication;
use crate::error::Error;

/// What the call outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// The body, parsed as JSON when it is JSON.
    Content,
    /// Request, status, headers and content.
    Response,
    /// The body, base64-encoded.
    Raw,
}

/// An encoded request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    /// The bytes sent.
    pub bytes: Vec<u8>,
    /// `Content-Type` sent when the flow set none.
    pub default_content_type: &'static str,
}

/// One HTTP call, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    /// Method, upper case.
    pub method: Method,
    /// Target, query included.
    pub url: Url,
    /// Headers the flow set, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Body>,
    /// What to output.
    pub output: Output,
    /// Whether 3xx is accepted and redirects are followed.
    pub redirect: bool,
    /// How to authenticate, if at all.
    pub auth: Option<Authentication>,
}

impl HttpRequest {
    /// Decodes `call: http` arguments:
    /// `{"method", "uri", "headers"?, "query"?, "body"?, "output", "redirect", "authentication"?}`.
    pub(crate) fn from_args(args: &Value) -> Result<Self, Error> {
        let method = parse_method(args.get("method").and_then(Value::as_str).unwrap_or("GET"))?;
        let uri = args
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::InvalidArguments("`http` needs an endpoint URI".into()))?;
        let mut url = parse_url(uri)?;
        if let Some(query) = args.get("query") {
            append_query(&mut url, &object(query, "query")?);
        }
        let headers = match args.get("headers") {
            Some(h) => header_pairs(&object(h, "headers")?),
            None => Vec::new(),
        };
        let body = match args.get("body") {
            Some(b) => encode_body(b, content_type(&headers))?,
            None => None,
        };
        Ok(Self {
            method,
            url,
            headers,
            body,
            output: parse_output(args)?,
            redirect: args
                .get("redirect")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            auth: Authentication::from_args(args.get("authentication"))?,
        })
    }

    /// Whether the flow set this header itself (names compare case-insensitively).
    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }
}

/// `GET`, `post`… as a method.
pub(crate) fn parse_method(method: &str) -> Result<Method, Error> {
    Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::InvalidArguments(format!("`{method}` is not an HTTP method")))
}

/// An absolute `http`/`https` URL.
pub(crate) fn parse_url(uri: &str) -> Result<Url, Error> {
    let url = Url::parse(uri).map_err(|e| {
        Error::InvalidArguments(format!(
            "the endpoint `{}` is not a valid URI: {e}",
            shown(uri)
        ))
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(Error::InvalidArguments(format!(
            "the endpoint `{}` uses `{other}:`; only http and https are supported",
            crate::redact::uri(&url)
        ))),
    }
}

/// The `output` argument.
pub(crate) fn parse_output(args: &Value) -> Result<Output, Error> {
    match args
        .get("output")
        .and_then(Value::as_str)
        .unwrap_or("content")
    {
        "content" => Ok(Output::Content),
        "response" => Ok(Output::Response),
        "raw" => Ok(Output::Raw),
        other => Err(Error::InvalidArguments(format!(
            "`output: {other}` is not one of content, response, raw"
        ))),
    }
}

/// Adds query parameters: arrays repeat the name, `null` is left out.
pub(crate) fn append_query(url: &mut Url, query: &Map<String, Value>) {
    let pairs: Vec<(String, String)> = query
        .iter()
        .flat_map(|(k, v)| match v {
            Value::Array(items) => items
                .iter()
                .filter_map(text)
                .map(|t| (k.clone(), t))
                .collect(),
            other => text(other)
                .map(|t| (k.clone(), t))
                .into_iter()
                .collect::<Vec<_>>(),
        })
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
}

/// Header name/value pairs: arrays are joined with `, `, `null` is left out.
pub(crate) fn header_pairs(headers: &Map<String, Value>) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let value = match v {
                Value::Array(items) => {
                    Some(items.iter().filter_map(text).collect::<Vec<_>>().join(", "))
                }
                other => text(other),
            };
            value.map(|v| (k.clone(), v))
        })
        .collect()
}

/// The `Content-Type` among headers, if set.
pub(crate) fn content_type(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
}

/// Encodes a body for the given `Content-Type` (or none):
/// form content types get `a=1&b=2` from an object; JSON content types get JSON (a string that
/// already is JSON is sent as it is); without a content type a string is sent as text and
/// anything else as JSON.
pub(crate) fn encode_body(
    value: &Value,
    content_type: Option<&str>,
) -> Result<Option<Body>, Error> {
    let ct = content_type.map(str::to_ascii_lowercase);
    let json = |v: &Value| -> Result<Vec<u8>, Error> {
        serde_json::to_vec(v)
            .map_err(|e| Error::InvalidArguments(format!("the body cannot be encoded: {e}")))
    };
    let body = match (value, ct.as_deref()) {
        (Value::Null, _) => return Ok(None),
        (Value::Object(fields), Some(ct)) if ct.contains("x-www-form-urlencoded") => {
            let pairs = fields
                .iter()
                .filter_map(|(k, v)| text(v).map(|t| (k.clone(), t)));
            Body {
                bytes: form_urlencoded(pairs).into_bytes(),
                default_content_type: "application/x-www-form-urlencoded",
            }
        }
        (Value::String(s), Some(ct)) if ct.contains("json") => {
            let bytes = if serde_json::from_str::<Value>(s).is_ok() {
                s.clone().into_bytes()
            } else {
                json(value)?
            };
            Body {
                bytes,
                default_content_type: "application/json",
            }
        }
        (Value::String(s), _) => Body {
            bytes: s.clone().into_bytes(),
            default_content_type: "text/plain; charset=utf-8",
        },
        (other, _) => Body {
            bytes: json(other)?,
            default_content_type: "application/json",
        },
    };
    Ok(Some(body))
}

/// `a=1&b=x+y`: pairs encoded as `application/x-www-form-urlencoded`.
pub(crate) fn form_urlencoded<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                form_component(k.as_ref()),
                form_component(v.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One name or value encoded as in a form (WHATWG URL, `application/x-www-form-urlencoded`).
pub(crate) fn form_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A scalar as text; arrays and objects as JSON text; `null` as nothing.
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
        Value::Array(_) | Value::Object(_) => Some(v.to_string()),
    }
}

fn object(v: &Value, what: &str) -> Result<Map<String, Value>, Error> {
    match v {
        Value::Object(m) => Ok(m.clone()),
        Value::Null => Ok(Map::new()),
        other => Err(Error::InvalidArguments(format!(
            "`{what}` must be a mapping, not {other}"
        ))),
    }
}

/// A URI that did not parse, shortened and without anything that looks like user info.
fn shown(uri: &str) -> String {
    let without_userinfo = match (uri.find("://"), uri.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://{}", &uri[..s], &uri[at + 1..]),
        _ => uri.to_owned(),
    };
    without_userinfo.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn http_arguments_decode() {
        let r = HttpRequest::from_args(&json!({
            "method": "post",
            "uri": "http://shop.example/orders?x=1",
            "query": {"status": "paid", "ids": [1, 2], "none": null},
            "headers": {"X-Shop": "s1", "Accept": ["a", "b"]},
            "body": {"id": 7},
            "output": "response",
            "redirect": true
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.method, Method::POST);
        assert_eq!(
            r.url.as_str(),
            "http://shop.example/orders?x=1&status=paid&ids=1&ids=2"
        );
        assert_eq!(
            r.headers,
            vec![
                ("X-Shop".into(), "s1".into()),
                ("Accept".into(), "a, b".into())
            ]
        );
        assert_eq!(r.body.map(|b| b.bytes), Some(br#"{"id":7}"#.to_vec()));
        assert_eq!(r.output, Output::Response);
        assert!(r.redirect);
    }

    #[test]
    fn bodies_follow_the_content_type() {
        let form = encode_body(
            &json!({"a": 1, "b": "x y"}),
            Some("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            form.ok().flatten().map(|b| b.bytes),
            Some(b"a=1&b=x+y".to_vec())
        );
        let text = encode_body(&json!("<a/>"), None).ok().flatten();
        assert_eq!(
            text.map(|b| (b.bytes, b.default_content_type)),
            Some((b"<a/>".to_vec(), "text/plain; charset=utf-8"))
        );
        let raw_json = encode_body(&json!("{\"a\":1}"), Some("application/json"))
            .ok()
            .flatten();
        assert_eq!(raw_json.map(|b| b.bytes), Some(b"{\"a\":1}".to_vec()));
    }

    #[test]
    fn bad_uris_are_configuration_errors_without_user_info() {
        let err = HttpRequest::from_args(&json!({"uri": "ftp://bob:pw@host/x"}))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "the endpoint `ftp://bob:***@host/x` uses `ftp:`; only http and https are supported"
            )
        );
        let err = HttpRequest::from_args(&json!({"uri": "not a uri"})).err();
        assert!(matches!(err, Some(Error::InvalidArguments(_))));
    }
}
