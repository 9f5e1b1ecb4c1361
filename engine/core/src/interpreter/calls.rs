//! `call` and `run.workflow`: arguments are evaluated here and the work is handed to the durable
//! context, which runs each call once per step.

use serde_json::{Map, Value, json};
use shopflow_dsl::model::{
    AuthRef, AuthScheme, Call, Credentials, Endpoint, FlowDirective, HttpOutput, OAuth2,
    RunWorkflow, UriValue,
};

use crate::durable::{CallRequest, Durable, FlowRef};
use crate::error::{ErrorKind, WorkflowError};
use crate::interpreter::Interpreter;
use crate::interpreter::eval::{Scope, TaskVars, expand_uri};
use crate::step::StepId;

impl<'a, D: Durable> Interpreter<'a, D> {
    pub(super) async fn call(
        &self,
        call: &Call,
        pointer: &str,
        step: &StepId,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        let (function, args) = match call {
            Call::Function(f) => {
                let args = match &f.with {
                    Some(w) => self.vars.template(w, input, scope, vars)?,
                    None => Value::Null,
                };
                if let Some(custom) = self.wf.uses.functions.get(&f.name) {
                    // A `use.functions` task runs in place with the arguments as its input.
                    let args = if f.with.is_some() {
                        args
                    } else {
                        input.clone()
                    };
                    let fn_step = step.op("fn");
                    // The function's own tasks are named by their place under `use.functions`;
                    // the call site joins their scope, so two calls of one function (or one
                    // call in two places) never share a StepId, and so never a journaled result.
                    let call_scope = scope.nested(&format!("[@{pointer}]"));
                    let (out, _): (Value, FlowDirective) = self
                        .execute(custom, pointer, &fn_step, args, &call_scope, None)
                        .await?;
                    return Ok(out);
                }
                (f.name.as_str(), args)
            }
            Call::Http(h) => {
                let mut args = Map::new();
                let method = self.vars.template(&h.method, input, scope, vars)?;
                args.insert(
                    "method".into(),
                    json!(method.as_str().unwrap_or("GET").to_ascii_uppercase()),
                );
                args.insert(
                    "uri".into(),
                    json!(self.uri(&h.endpoint.uri, input, scope, vars)?),
                );
                if let Some(t) = &h.headers {
                    args.insert("headers".into(), self.vars.template(t, input, scope, vars)?);
                }
                if let Some(t) = &h.query {
                    args.insert("query".into(), self.vars.template(t, input, scope, vars)?);
                }
                if let Some(t) = &h.body {
                    args.insert("body".into(), self.vars.template(t, input, scope, vars)?);
                }
                args.insert("output".into(), json!(output_name(h.output)));
                args.insert("redirect".into(), json!(h.redirect));
                if let Some(auth) = self.authentication(&h.endpoint, input, scope, vars)? {
                    args.insert("authentication".into(), auth);
                }
                ("http", Value::Object(args))
            }
            Call::OpenApi(o) => {
                let mut args = Map::new();
                args.insert(
                    "document".into(),
                    json!(self.uri(&o.document.uri, input, scope, vars)?),
                );
                args.insert("operationId".into(), json!(o.operation_id));
                if let Some(p) = &o.parameters {
                    args.insert(
                        "parameters".into(),
                        self.vars.template(p, input, scope, vars)?,
                    );
                }
                args.insert("output".into(), json!(output_name(o.output)));
                args.insert("redirect".into(), json!(o.redirect));
                if let Some(auth) = self.authentication(&o.document, input, scope, vars)? {
                    args.insert("documentAuthentication".into(), auth);
                }
                if let Some(a) = &o.authentication {
                    let endpoint = Endpoint {
                        uri: UriValue::Template(String::new()),
                        authentication: Some(a.clone()),
                    };
                    if let Some(auth) = self.authentication(&endpoint, input, scope, vars)? {
                        args.insert("authentication".into(), auth);
                    }
                }
                ("openapi", Value::Object(args))
            }
        };
        let request = CallRequest {
            function: function.to_owned(),
            args,
            instance: pointer.to_owned(),
        };
        self.durable.call(step, request).await
    }

    fn uri(
        &self,
        uri: &UriValue,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<String, WorkflowError> {
        match uri {
            UriValue::Template(t) => expand_uri(t, input),
            UriValue::Expr(e) => match self.vars.eval(e, input, scope, vars)? {
                Value::String(s) => Ok(s),
                other => Err(WorkflowError::new(ErrorKind::Expression, "Invalid URI")
                    .with_detail(format!("`{}` gave {other}, not a string", e.expr.source()))
                    .retryable(false)),
            },
        }
    }

    /// The endpoint's authentication with every value evaluated and secrets filled in.
    fn authentication(
        &self,
        endpoint: &Endpoint,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Option<Value>, WorkflowError> {
        let auth = match &endpoint.authentication {
            None => return Ok(None),
            Some(AuthRef::Inline(a)) => a,
            Some(AuthRef::Named(name)) => {
                self.wf.uses.authentications.get(name).ok_or_else(|| {
                    WorkflowError::new(ErrorKind::Configuration, "Unknown authentication")
                        .with_detail(format!("`use.authentications` has no `{name}`"))
                        .retryable(false)
                })?
            }
        };
        let t = |t: &shopflow_dsl::model::Template| self.vars.template(t, input, scope, vars);
        let value = match &auth.scheme {
            AuthScheme::Basic(c) | AuthScheme::Digest(c) => {
                let scheme = if matches!(auth.scheme, AuthScheme::Basic(_)) {
                    "basic"
                } else {
                    "digest"
                };
                match c {
                    Credentials::Inline(b) => {
                        json!({"scheme": scheme, "username": t(&b.username)?, "password": t(&b.password)?})
                    }
                    Credentials::Secret(name) => self.secret_credentials(scheme, name)?,
                }
            }
            AuthScheme::Bearer(c) => match c {
                Credentials::Inline(b) => json!({"scheme": "bearer", "token": t(&b.token)?}),
                Credentials::Secret(name) => self.secret_credentials("bearer", name)?,
            },
            AuthScheme::OAuth2(c) | AuthScheme::Oidc(c) => {
                let scheme = if matches!(auth.scheme, AuthScheme::OAuth2(_)) {
                    "oauth2"
                } else {
                    "oidc"
                };
                match c {
                    Credentials::Inline(o) => self.oauth2(scheme, o, input, scope, vars)?,
                    Credentials::Secret(name) => self.secret_credentials(scheme, name)?,
                }
            }
        };
        Ok(Some(value))
    }

    fn oauth2(
        &self,
        scheme: &str,
        o: &OAuth2,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        let opt = |t: &Option<shopflow_dsl::model::Template>| -> Result<Value, WorkflowError> {
            t.as_ref().map_or(Ok(Value::Null), |t| {
                self.vars.template(t, input, scope, vars)
            })
        };
        Ok(json!({
            "scheme": scheme,
            "authority": self.vars.template(&o.authority, input, scope, vars)?,
            "grant": o.grant,
            "tokenEndpoint": o.token_endpoint,
            "clientId": opt(&o.client_id)?,
            "clientSecret": opt(&o.client_secret)?,
            "clientAuthentication": o.client_authentication,
            "encoding": o.request_encoding,
            "scopes": o.scopes,
            "audiences": o.audiences,
            "username": opt(&o.username)?,
            "password": opt(&o.password)?,
        }))
    }

    /// Credentials kept in a secret: an object with the scheme's fields.
    fn secret_credentials(&self, scheme: &str, name: &str) -> Result<Value, WorkflowError> {
        let Some(Value::Object(fields)) = self.vars.secrets.get(name) else {
            return Err(WorkflowError::new(ErrorKind::Configuration, "Missing secret")
                .with_detail(format!("secret `{name}` has no value, or it is not an object with the `{scheme}` fields"))
                .retryable(false));
        };
        let mut out = fields.clone();
        out.insert("scheme".into(), json!(scheme));
        // The DSL's secret objects use the definition's field names; accept both spellings.
        for (dsl, ours) in [("client", "client"), ("endpoints", "endpoints")] {
            if let Some(v) = out.remove(dsl) {
                match (ours, v) {
                    ("client", Value::Object(c)) => {
                        if let Some(id) = c.get("id") {
                            out.insert("clientId".into(), id.clone());
                        }
                        if let Some(s) = c.get("secret") {
                            out.insert("clientSecret".into(), s.clone());
                        }
                    }
                    ("endpoints", Value::Object(e)) => {
                        if let Some(t) = e.get("token") {
                            out.insert("tokenEndpoint".into(), t.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// `run.workflow`: a child run; with `await: false` the task does not wait and outputs its input.
    pub(super) async fn run_child(
        &self,
        r: &RunWorkflow,
        step: &StepId,
        input: &Value,
        scope: &Scope,
        vars: TaskVars<'_>,
    ) -> Result<Value, WorkflowError> {
        let child_input = match &r.input {
            Some(t) => self.vars.template(t, input, scope, vars)?,
            None => input.clone(),
        };
        let flow = FlowRef {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            version: r.version.clone(),
            wait: r.await_,
        };
        let out = self.durable.child(step, flow, child_input).await?;
        Ok(if r.await_ { out } else { input.clone() })
    }
}

fn output_name(o: HttpOutput) -> &'static str {
    match o {
        HttpOutput::Content => "content",
        HttpOutput::Response => "response",
        HttpOutput::Raw => "raw",
    }
}
