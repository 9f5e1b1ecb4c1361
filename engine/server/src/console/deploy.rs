//! `GET /console/deploy` and `POST /console/deploy`: a new flow version from pasted or uploaded
//! YAML (a multipart form, so uploading works without JavaScript). The validator's problems
//! are shown under the lines they are at, with their code, advice and a link to the code's
//! page; nothing is deployed until there are none.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use shopflow_embedded::EngineError;
use shopflow_embedded::journal::FlowInsert;

use super::ConsoleState;
use super::flows::numbered_source;
use super::i18n::Lang;
use super::layout::{self, Ctx, PageError, Section};
use super::runs::enc;
use super::session::{self, Permission, User};

/// What the page says above the form after a submission.
enum Outcome {
    None,
    Message(&'static str, &'static str, Option<String>),
    Deployed(&'static str, String, String),
    Invalid(Vec<shopflow_dsl::Diagnostic>),
}

/// The empty form.
pub async fn form(user: User, lang: Lang) -> Result<Response, PageError> {
    session::require(lang, &user, Permission::DeployFlows)?;
    Ok(render(lang, &user, "", Outcome::None))
}

fn render(lang: Lang, user: &User, yaml: &str, outcome: Outcome) -> Response {
    let ctx = Ctx { lang, user };
    let status = match outcome {
        Outcome::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Outcome::Message("bad", ..) => StatusCode::CONFLICT,
        _ => StatusCode::OK,
    };
    let body = html! {
        h1 { (ctx.t("deploy.title")) }
        @match &outcome {
            Outcome::None => {},
            Outcome::Message(class, key, detail) => p class={ "notice " (class) } {
                (ctx.t(key)) @if let Some(d) = detail { " " (d) }
            },
            Outcome::Deployed(key, flow, version) => p.notice.ok {
                (ctx.t(key)) " "
                a href={ "/console/flow?flow=" (enc(flow)) "&version=" (enc(version)) } { (flow) " " (version) }
            },
            Outcome::Invalid(diags) => {
                p.notice.bad { (ctx.t("deploy.invalid")) }
                (numbered_source(yaml, &problems(lang, diags)))
            },
        }
        form.card method="post" action="/console/deploy" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(user.csrf_token);
            p { label for="yaml" { (ctx.t("deploy.paste")) } }
            textarea #yaml name="yaml" rows="22" style="width:100%" spellcheck="false" class="mono" { (yaml) }
            p.actions {
                label { (ctx.t("deploy.upload")) " " input type="file" name="file" accept=".yaml,.yml,text/yaml"; }
                button.primary type="submit" { (ctx.t("deploy.submit")) }
            }
        }
    };
    let mut response = layout::page(&ctx, Section::Flows, ctx.t("deploy.title"), body);
    *response.status_mut() = status;
    response
}

/// The validator's problems as (line, what to show under it).
fn problems(lang: Lang, diags: &[shopflow_dsl::Diagnostic]) -> Vec<(u32, Markup)> {
    diags
        .iter()
        .map(|d| {
            let code = d.code.as_str();
            let m = html! {
                strong { (d.severity()) " " (code) } " · " (lang.t("deploy.line")) " " (d.pos.line) ":" (d.pos.col) " · " (d.message)
                @if let Some(help) = &d.help { span.help { "help: " (help) } }
                span.help { code { (d.pointer) } " · docs/errors/" (code) ".md" }
            };
            (d.pos.line.max(1), m)
        })
        .collect()
}

/// Deploys the submitted YAML.
pub async fn submit(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut pasted = String::new();
    let mut uploaded: Vec<u8> = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        PageError::new(lang, StatusCode::BAD_REQUEST, "error.title").with_detail(e.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "yaml" => pasted = field.text().await.map_err(bad)?,
            "file" => uploaded = field.bytes().await.map_err(bad)?.to_vec(),
            _ => {}
        }
    }
    session::check_csrf(lang, &user, &csrf)?;
    session::require(lang, &user, Permission::DeployFlows)?;
    let yaml = if uploaded.is_empty() {
        pasted
    } else {
        match String::from_utf8(uploaded) {
            Ok(text) => text,
            Err(_) => {
                return Ok(render(
                    lang,
                    &user,
                    &pasted,
                    Outcome::Message("bad", "deploy.not_utf8", None),
                ));
            }
        }
    };
    if yaml.trim().is_empty() {
        return Ok(render(
            lang,
            &user,
            "",
            Outcome::Message("warn", "deploy.empty", None),
        ));
    }
    let outcome = match state.engine().deploy(&yaml).await {
        Ok((info, inserted)) => {
            tracing::info!(flow = %info.flow, version = %info.version, by = %user.name, "flow deployed from the console");
            let key = match inserted {
                FlowInsert::Inserted => "deploy.deployed",
                FlowInsert::Unchanged => "deploy.unchanged",
            };
            Outcome::Deployed(key, info.flow, info.version)
        }
        Err(EngineError::Invalid(diags)) => Outcome::Invalid(diags),
        Err(EngineError::Conflict(why)) => Outcome::Message("bad", "deploy.conflict", Some(why)),
        Err(e) => return Err(PageError::engine(lang, e)),
    };
    Ok(render(lang, &user, &yaml, outcome).into_response())
}
