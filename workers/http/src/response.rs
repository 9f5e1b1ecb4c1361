//! [`Exchange`]: a request as it may be shown and the response read in full, turned into the
//! call's output (`content`, `response` or `raw`) or into an error for unaccepted statuses.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{CONTENT_LENGTH, HeaderMap};
use reqwest::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::config::HttpConfig;
use crate::error::Error;
use crate::redact;
use crate::request::Output;
use crate::transport;

/// How many characters of a response body an error quotes.
const EXCERPT_CHARS: usize = 200;

/// The request as `output: response` and errors show it (secrets hidden).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShownRequest {
    /// Method, upper case.
    pub method: String,
    /// URI, redacted.
    pub uri: String,
    /// Headers sent, credentials replaced by `***`.
    pub headers: Map<String, Value>,
}

/// One request and its response.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// What was sent.
    pub request: ShownRequest,
    /// The response's status.
    pub status: StatusCode,
    /// The response's headers.
    pub headers: HeaderMap,
    /// The response's body.
    pub body: Vec<u8>,
}

impl Exchange {
    /// Reads the whole response, up to the configured size.
    pub(crate) async fn read(
        request: ShownRequest,
        mut response: Response,
        config: &HttpConfig,
    ) -> Result<Self, Error> {
        let limit = config.max_response_bytes;
        let too_large = |request: &ShownRequest| Error::TooLarge {
            method: request.method.clone(),
            uri: request.uri.clone(),
            limit,
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(&request));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().clone();
        let mut body = Vec::with_capacity(declared.unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(too_large(&request));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let method =
                        reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or_default();
                    return Err(transport::classify(e, &method, &url, config));
                }
            }
        }
        Ok(Self {
            request,
            status,
            headers,
            body,
        })
    }

    /// Whether the call accepts the status: 2xx, and 3xx too with `redirect: true`.
    pub(crate) fn accepted(&self, redirect: bool) -> bool {
        self.status.is_success() || (redirect && self.status.is_redirection())
    }

    /// The error for an unaccepted status.
    pub(crate) fn status_error(&self) -> Error {
        Error::Status {
            method: self.request.method.clone(),
            uri: self.request.uri.clone(),
            status: self.status,
            excerpt: excerpt(&self.body),
        }
    }

    /// The call's output.
    pub(crate) fn output(&self, output: Output) -> Value {
        match output {
            Output::Content => self.content(),
            Output::Raw => Value::String(STANDARD.encode(&self.body)),
            Output::Response => json!({
                "request": {
                    "method": self.request.method,
                    "uri": self.request.uri,
                    "headers": self.request.headers,
                },
                "statusCode": self.status.as_u16(),
                "headers": self.response_headers(),
                "content": self.content(),
            }),
        }
    }

    /// The body: JSON when it parses as JSON (whatever the content type says), else text, or
    /// base64 when it is not UTF-8; `null` when empty.
    pub(crate) fn content(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        if let Ok(v) = serde_json::from_slice::<Value>(&self.body) {
            return v;
        }
        match std::str::from_utf8(&self.body) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::String(STANDARD.encode(&self.body)),
        }
    }

    fn response_headers(&self) -> Map<String, Value> {
        self.headers
            .keys()
            .map(|name| {
                (
                    name.as_str().to_owned(),
                    Value::String(redact::joined(&self.headers, name.as_str())),
                )
            })
            .collect()
    }
}

/// The start of a body on one line, for error details.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(EXCERPT_CHARS).collect();
    if flat.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use reqwest::header::{CONTENT_TYPE, HeaderValue};

    use super::*;

    fn exchange(content_type: Option<&'static str>, body: &[u8]) -> Exchange {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        Exchange {
            request: ShownRequest {
                method: "GET".into(),
                uri: "http://shop.example/".into(),
                headers: Map::new(),
            },
            status: StatusCode::OK,
            headers,
            body: body.to_vec(),
        }
    }

    #[test]
    fn content_is_json_text_or_base64() {
        assert_eq!(
            exchange(Some("application/json"), br#"{"a":1}"#).content(),
            json!({"a": 1})
        );
        assert_eq!(
            exchange(Some("text/plain"), b"[1,2]").content(),
            json!([1, 2])
        );
        assert_eq!(
            exchange(Some("text/plain"), b"hello").content(),
            json!("hello")
        );
        assert_eq!(exchange(None, &[0xff, 0x00]).content(), json!("/wA="));
        assert_eq!(exchange(None, b"").content(), Value::Null);
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(excerpt(b"<h1>Not\n  Found</h1>"), "<h1>Not Found</h1>");
        assert_eq!(
            excerpt("x".repeat(300).as_bytes()).chars().count(),
            EXCERPT_CHARS + 1
        );
    }
}
