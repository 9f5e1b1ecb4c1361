//! Reusable policies: errors, retries, timeouts and authentications, inline or by name.

use crate::diagnostic::Code;
use crate::model::{
    AuthRef, AuthScheme, Authentication, Backoff, BasicAuth, BearerAuth, Credentials, ErrorDef,
    ErrorRef, Jitter, OAuth2, RetryLimit, RetryPolicy, RetryRef, Timeout, TimeoutRef,
};
use crate::parse::values::{duration, duration_value, expression, flatten, template};
use crate::parse::{Ctx, Fields, string, string_list};
use crate::yaml::{Node, Value};

const TIMEOUT_FIELDS: &[&str] = &["after"];

/// A timeout definition.
pub(crate) fn timeout(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Timeout> {
    let mut f = Fields::new(ctx, node, pointer, "a timeout", TIMEOUT_FIELDS)?;
    let after = f
        .require(ctx, "after")
        .and_then(|(n, p)| duration_value(ctx, n, &p));
    f.finish(ctx);
    Some(Timeout { after: after? })
}

/// A timeout by name or inline.
pub(crate) fn timeout_ref(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<TimeoutRef> {
    match &node.value {
        Value::Str(s) => {
            ctx.check_reference(
                Code::UndefinedTimeout,
                "timeout",
                "timeouts",
                s,
                node.pos,
                pointer,
            );
            Some(TimeoutRef::Named(s.clone()))
        }
        _ => timeout(ctx, node, pointer).map(TimeoutRef::Inline),
    }
}

const ERROR_FIELDS: &[&str] = &["type", "status", "title", "detail", "instance"];

/// An error definition.
pub(crate) fn error_def(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<ErrorDef> {
    let mut f = Fields::new(ctx, node, pointer, "an error", ERROR_FIELDS)?;
    let type_ = f
        .require(ctx, "type")
        .and_then(|(n, p)| template(ctx, n, &p));
    let status = f.require(ctx, "status").and_then(|(n, p)| match &n.value {
        Value::Int(_) => template(ctx, n, &p),
        Value::Str(s) if crate::expr::strip_expression(s).is_some() => template(ctx, n, &p),
        _ => {
            ctx.error_help(
                Code::WrongType,
                n.pos,
                &p,
                format!(
                    "the error's status must be an integer, found {}",
                    n.kind_name()
                ),
                "write the status as a number without quotes, e.g. `status: 404`",
            );
            None
        }
    });
    let title = f.take("title").map(|(n, p)| template(ctx, n, &p));
    let detail = f.take("detail").map(|(n, p)| template(ctx, n, &p));
    let instance = f.take("instance").map(|(n, p)| template(ctx, n, &p));
    f.finish(ctx);
    Some(ErrorDef {
        type_: type_?,
        status: status?,
        title: flatten(title)?,
        detail: flatten(detail)?,
        instance: flatten(instance)?,
    })
}

/// An error by name or inline.
pub(crate) fn error_ref(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<ErrorRef> {
    match &node.value {
        Value::Str(s) => {
            ctx.check_reference(
                Code::UndefinedError,
                "error",
                "errors",
                s,
                node.pos,
                pointer,
            );
            Some(ErrorRef::Named(s.clone()))
        }
        _ => error_def(ctx, node, pointer).map(ErrorRef::Inline),
    }
}

const RETRY_FIELDS: &[&str] = &["when", "exceptWhen", "delay", "backoff", "limit", "jitter"];
const BACKOFF_FIELDS: &[&str] = &["constant", "linear", "exponential"];
const LIMIT_FIELDS: &[&str] = &["attempt", "duration"];
const ATTEMPT_FIELDS: &[&str] = &["count", "duration"];
const JITTER_FIELDS: &[&str] = &["from", "to"];

/// A retry policy.
pub(crate) fn retry_policy(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<RetryPolicy> {
    let mut f = Fields::new(ctx, node, pointer, "a retry policy", RETRY_FIELDS)?;
    let when = f.take("when").map(|(n, p)| expression(ctx, n, &p));
    let except_when = f.take("exceptWhen").map(|(n, p)| expression(ctx, n, &p));
    let delay = f.take("delay").map(|(n, p)| duration(ctx, n, &p));
    let backoff = match f.take("backoff") {
        None => Some(Backoff::Constant),
        Some((n, p)) => backoff(ctx, n, &p),
    };
    let limit = match f.take("limit") {
        None => Some(RetryLimit::default()),
        Some((n, p)) => limit(ctx, n, &p),
    };
    let jitter = f.take("jitter").map(|(n, p)| {
        let mut j = Fields::new(ctx, n, &p, "`jitter`", JITTER_FIELDS)?;
        let from = j
            .require(ctx, "from")
            .and_then(|(n, p)| duration(ctx, n, &p));
        let to = j.require(ctx, "to").and_then(|(n, p)| duration(ctx, n, &p));
        j.finish(ctx);
        Some(Jitter {
            from: from?,
            to: to?,
        })
    });
    f.finish(ctx);
    Some(RetryPolicy {
        when: flatten(when)?,
        except_when: flatten(except_when)?,
        delay: flatten(delay)?,
        backoff: backoff?,
        limit: limit?,
        jitter: flatten(jitter)?,
    })
}

fn backoff(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Backoff> {
    let f = Fields::new(ctx, node, pointer, "`backoff`", BACKOFF_FIELDS)?;
    let present: Vec<&str> = f.keys().filter(|k| BACKOFF_FIELDS.contains(k)).collect();
    let pos = f.pos();
    f.finish(ctx);
    match present.as_slice() {
        ["constant"] => Some(Backoff::Constant),
        ["linear"] => Some(Backoff::Linear),
        ["exponential"] => Some(Backoff::Exponential),
        _ => {
            ctx.error_help(
                Code::ExclusiveFields,
                pos,
                pointer,
                "`backoff` must set exactly one of `constant`, `linear`, `exponential`",
                "for example `backoff: { exponential: {} }`",
            );
            None
        }
    }
}

fn limit(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<RetryLimit> {
    let mut f = Fields::new(ctx, node, pointer, "`limit`", LIMIT_FIELDS)?;
    let mut out = RetryLimit::default();
    let mut ok = true;
    if let Some((n, p)) = f.take("attempt") {
        let mut a = Fields::new(ctx, n, &p, "`limit.attempt`", ATTEMPT_FIELDS)?;
        if let Some((c, cp)) = a.take("count") {
            match c.value {
                Value::Int(i) if i >= 0 => {
                    out.attempt_count = Some(u32::try_from(i).unwrap_or(u32::MAX))
                }
                _ => {
                    ctx.wrong_type(c, &cp, "a whole number ≥ 0");
                    ok = false;
                }
            }
        }
        if let Some((d, dp)) = a.take("duration") {
            out.attempt_duration = duration(ctx, d, &dp);
            ok &= out.attempt_duration.is_some();
        }
        a.finish(ctx);
    }
    if let Some((d, dp)) = f.take("duration") {
        out.duration = duration(ctx, d, &dp);
        ok &= out.duration.is_some();
    }
    f.finish(ctx);
    ok.then_some(out)
}

/// A retry policy by name or inline.
pub(crate) fn retry_ref(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<RetryRef> {
    match &node.value {
        Value::Str(s) => {
            ctx.check_reference(
                Code::UndefinedRetry,
                "retry policy",
                "retries",
                s,
                node.pos,
                pointer,
            );
            Some(RetryRef::Named(s.clone()))
        }
        _ => retry_policy(ctx, node, pointer).map(RetryRef::Inline),
    }
}

const AUTH_FIELDS: &[&str] = &[
    "use",
    "basic",
    "bearer",
    "certificate",
    "digest",
    "oauth2",
    "oidc",
];
const BASIC_FIELDS: &[&str] = &["use", "username", "password"];
const BEARER_FIELDS: &[&str] = &["use", "token"];
const OAUTH2_FIELDS: &[&str] = &[
    "use",
    "authority",
    "endpoints",
    "grant",
    "client",
    "request",
    "issuers",
    "scopes",
    "audiences",
    "username",
    "password",
    "subject",
    "actor",
];
const OAUTH2_ENDPOINT_FIELDS: &[&str] = &["token", "revocation", "introspection"];
const OAUTH2_CLIENT_FIELDS: &[&str] = &["id", "secret", "assertion", "authentication"];
const OAUTH2_REQUEST_FIELDS: &[&str] = &["encoding"];

/// An authentication by name (`use`) or inline.
pub(crate) fn auth_ref(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<AuthRef> {
    if let Value::Map(entries) = &node.value
        && let [(k, v)] = entries.as_slice()
        && k.name == "use"
    {
        let p = crate::parse::child(pointer, "use");
        let name = string(ctx, v, &p)?;
        ctx.check_reference(
            Code::UndefinedAuthentication,
            "authentication",
            "authentications",
            &name,
            v.pos,
            &p,
        );
        return Some(AuthRef::Named(name));
    }
    authentication(ctx, node, pointer).map(AuthRef::Inline)
}

/// An authentication policy.
pub(crate) fn authentication(ctx: &mut Ctx, node: &Node, pointer: &str) -> Option<Authentication> {
    let mut f = Fields::new(ctx, node, pointer, "an authentication", AUTH_FIELDS)?;
    let present: Vec<&str> = f
        .keys()
        .filter(|k| *k != "use" && AUTH_FIELDS.contains(k))
        .collect();
    let scheme =
        match present.as_slice() {
            [one] => {
                let one = *one;
                let (n, p) = f.take(one)?;
                match one {
                    "basic" => credentials(ctx, n, &p, "`basic`", BASIC_FIELDS, basic)
                        .map(AuthScheme::Basic),
                    "digest" => credentials(ctx, n, &p, "`digest`", BASIC_FIELDS, basic)
                        .map(AuthScheme::Digest),
                    "bearer" => credentials(ctx, n, &p, "`bearer`", BEARER_FIELDS, bearer)
                        .map(AuthScheme::Bearer),
                    "oauth2" => credentials(ctx, n, &p, "`oauth2`", OAUTH2_FIELDS, oauth2)
                        .map(AuthScheme::OAuth2),
                    "oidc" => credentials(ctx, n, &p, "`oidc`", OAUTH2_FIELDS, oauth2)
                        .map(AuthScheme::Oidc),
                    _ => {
                        ctx.error_help(
                            Code::NotSupported,
                            n.pos,
                            &p,
                            "certificate authentication is not supported by shopflow",
                            "use `bearer`, `basic`, `oauth2` or `oidc`",
                        );
                        None
                    }
                }
            }
            _ => {
                ctx.error_help(
                    Code::ExclusiveFields,
                    f.pos(),
                    pointer,
                    "an authentication must set exactly one scheme",
                    "set one of `basic`, `bearer`, `digest`, `oauth2`, `oidc`",
                );
                None
            }
        };
    f.take("use");
    f.finish(ctx);
    Some(Authentication { scheme: scheme? })
}

type SchemeParser<T> = fn(&mut Ctx, &mut Fields<'_>) -> Option<T>;

fn credentials<T>(
    ctx: &mut Ctx,
    node: &Node,
    pointer: &str,
    what: &'static str,
    allowed: &'static [&'static str],
    parse: SchemeParser<T>,
) -> Option<Credentials<T>> {
    let mut f = Fields::new(ctx, node, pointer, what, allowed)?;
    if let Some((n, p)) = f.take("use") {
        let secret = string(ctx, n, &p);
        if let Some(name) = &secret {
            ctx.check_reference(Code::UndefinedSecret, "secret", "secrets", name, n.pos, &p);
        }
        f.finish(ctx);
        return secret.map(Credentials::Secret);
    }
    let out = parse(ctx, &mut f);
    f.finish(ctx);
    out.map(Credentials::Inline)
}

fn basic(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<BasicAuth> {
    let username = f
        .require(ctx, "username")
        .and_then(|(n, p)| template(ctx, n, &p));
    let password = f
        .require(ctx, "password")
        .and_then(|(n, p)| template(ctx, n, &p));
    Some(BasicAuth {
        username: username?,
        password: password?,
    })
}

fn bearer(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<BearerAuth> {
    let token = f
        .require(ctx, "token")
        .and_then(|(n, p)| template(ctx, n, &p));
    Some(BearerAuth { token: token? })
}

const GRANTS: &[&str] = &["client_credentials", "password"];

fn oauth2(ctx: &mut Ctx, f: &mut Fields<'_>) -> Option<OAuth2> {
    let authority = f
        .require(ctx, "authority")
        .and_then(|(n, p)| template(ctx, n, &p));
    let grant = f.require(ctx, "grant").and_then(|(n, p)| {
        let g = string(ctx, n, &p)?;
        if !GRANTS.contains(&g.as_str()) {
            ctx.error_help(
                Code::NotSupported,
                n.pos,
                &p,
                format!("OAuth2 grant `{g}` is not supported by shopflow"),
                "a workflow has no user at a browser; use `client_credentials` (or `password`)",
            );
            return None;
        }
        Some(g)
    });
    let mut token_endpoint = "/oauth2/token".to_owned();
    if let Some((n, p)) = f.take("endpoints") {
        let mut e = Fields::new(ctx, n, &p, "`endpoints`", OAUTH2_ENDPOINT_FIELDS)?;
        if let Some(t) = e.string(ctx, "token") {
            token_endpoint = t;
        }
        e.take("revocation");
        e.take("introspection");
        e.finish(ctx);
    }
    let (mut client_id, mut client_secret) = (None, None);
    let mut client_authentication = "client_secret_post".to_owned();
    if let Some((n, p)) = f.take("client") {
        let mut c = Fields::new(ctx, n, &p, "`client`", OAUTH2_CLIENT_FIELDS)?;
        client_id = c.take("id").and_then(|(n, p)| template(ctx, n, &p));
        client_secret = c.take("secret").and_then(|(n, p)| template(ctx, n, &p));
        if let Some((n, p)) = c.take("assertion") {
            ctx.error_help(
                Code::NotSupported,
                n.pos,
                &p,
                "client assertions (JWT) are not supported by shopflow",
                "use a client secret",
            );
        }
        if let Some((an, ap)) = c.take("authentication") {
            let a = string(ctx, an, &ap).unwrap_or_default();
            if !matches!(a.as_str(), "client_secret_post" | "client_secret_basic") {
                ctx.error_help(
                    Code::NotSupported,
                    an.pos,
                    &ap,
                    format!("client authentication `{a}` is not supported by shopflow"),
                    "use `client_secret_post` or `client_secret_basic`",
                );
            }
            client_authentication = a;
        }
        c.finish(ctx);
    }
    let mut request_encoding = "application/x-www-form-urlencoded".to_owned();
    if let Some((n, p)) = f.take("request") {
        let mut r = Fields::new(ctx, n, &p, "`request`", OAUTH2_REQUEST_FIELDS)?;
        if let Some(e) = r.string(ctx, "encoding") {
            request_encoding = e;
        }
        r.finish(ctx);
    }
    let scopes = f
        .take("scopes")
        .and_then(|(n, p)| string_list(ctx, n, &p))
        .unwrap_or_default();
    let audiences = f
        .take("audiences")
        .and_then(|(n, p)| string_list(ctx, n, &p))
        .unwrap_or_default();
    f.take("issuers");
    for key in ["subject", "actor"] {
        if let Some((n, p)) = f.take(key) {
            ctx.error_help(
                Code::NotSupported,
                n.pos,
                &p,
                format!("OAuth2 `{key}` tokens (token exchange) are not supported by shopflow"),
                "use `client_credentials`",
            );
        }
    }
    let username = f.take("username").and_then(|(n, p)| template(ctx, n, &p));
    let password = f.take("password").and_then(|(n, p)| template(ctx, n, &p));
    Some(OAuth2 {
        authority: authority?,
        grant: grant?,
        token_endpoint,
        client_id,
        client_secret,
        client_authentication,
        request_encoding,
        scopes,
        audiences,
        username,
        password,
    })
}
