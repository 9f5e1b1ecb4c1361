//! `call` tasks: HTTP requests and functions called by name.

use crate::model::auth::AuthRef;
use crate::model::data::{Expression, Template};

/// What a `call` task calls.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "built once per flow at load and shared behind an Arc; boxing would only add indirection"
)]
pub enum Call {
    /// `call: http`.
    Http(HttpCall),
    /// `call: openapi`: an operation of an OpenAPI (Swagger 2 or OpenAPI 3) document.
    OpenApi(OpenApiCall),
    /// A built-in function or one of `use.functions`.
    Function(FunctionCall),
}

/// `call: openapi`.
#[derive(Debug, Clone)]
pub struct OpenApiCall {
    /// Where the OpenAPI document is.
    pub document: Endpoint,
    /// The operation to call.
    pub operation_id: String,
    /// Parameters by name (path, query, header and body parameters).
    pub parameters: Option<Template>,
    /// Authentication for the operation itself.
    pub authentication: Option<AuthRef>,
    /// What the task outputs.
    pub output: HttpOutput,
    /// Whether 3xx answers count as success.
    pub redirect: bool,
}

/// A call to a function by name.
#[derive(Debug, Clone)]
pub struct FunctionCall {
    /// The function's name (`noop`, `platform.order.get`, or a `use.functions` key).
    pub name: String,
    /// Its arguments (`with`).
    pub with: Option<Template>,
}

/// `call: http`.
#[derive(Debug, Clone)]
pub struct HttpCall {
    /// The method, upper-cased at run time.
    pub method: Template,
    /// Where to send the request.
    pub endpoint: Endpoint,
    /// Request headers.
    pub headers: Option<Template>,
    /// Request body.
    pub body: Option<Template>,
    /// Query parameters.
    pub query: Option<Template>,
    /// What the task outputs.
    pub output: HttpOutput,
    /// Whether 3xx answers count as success.
    pub redirect: bool,
}

/// An HTTP endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URI.
    pub uri: UriValue,
    /// Authentication, if any.
    pub authentication: Option<AuthRef>,
}

/// A URI: an RFC 6570 template with `{name}` placeholders, or an expression.
#[derive(Debug, Clone)]
pub enum UriValue {
    /// A URI template; placeholders are filled from the task input's top-level fields.
    Template(String),
    /// A runtime expression that yields the URI.
    Expr(Expression),
}

/// What an HTTP call outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpOutput {
    /// The response body, parsed when it is JSON.
    #[default]
    Content,
    /// `{request, statusCode, headers, content}`.
    Response,
    /// The body as base64.
    Raw,
}
