//! `GET /login` and `POST /login` (the login page, which starts a session through
//! [`crate::auth::login`]) and `POST /logout`.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, html};

use super::ConsoleState;
use super::i18n::Lang;
use super::layout::{self, PageError};
use super::session::{self, User};
use crate::auth::{LoginError, LoginOk};

/// Where the request came from, for the audit log of logins.
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Client, Self::Rejection> {
        Ok(Client(crate::auth::client_address(parts)))
    }
}

/// A `next` that stays on this site (a path, not `//host`), else the console.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/console".to_owned(),
    }
}

fn login_page(
    lang: Lang,
    next: &str,
    name: &str,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let (other, other_name) = lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (lang.t("login.title")) " · " (lang.t("app")) }
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                main {
                    form.card.login method="post" action="/login" {
                        h1 { (lang.t("app")) }
                        @if let Some(m) = &message { p.notice.bad #login-error { (m) } }
                        input type="hidden" name="next" value=(next);
                        label for="name" { (lang.t("login.name")) }
                        input #name type="text" name="name" value=(name) autocomplete="username" required autofocus;
                        label for="password" { (lang.t("login.password")) }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button.primary #login type="submit" { (lang.t("login.submit")) }
                        p.note { a href={ "/login?lang=" (other) "&next=" (super::runs::enc(next)) } { (other_name) } }
                    }
                }
            }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// The login page.
pub async fn form(lang: Lang, Query(query): Query<BTreeMap<String, String>>) -> Response {
    let next = safe_next(query.get("next").map(String::as_str));
    login_page(lang, &next, "", None, StatusCode::OK)
}

/// Checks the name and password; on success sets the session cookie and goes to `next`.
pub async fn submit(
    State(state): State<ConsoleState>,
    lang: Lang,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let next = safe_next(Some(field("next")));
    let name = field("name").trim().to_owned();
    let now = crate::auth::wall_clock_ms();
    match crate::auth::login(state.engine(), &name, field("password"), &client, now).await {
        Ok(ok) => signed_in(&ok, &headers, &next),
        Err(LoginError::Invalid) => login_page(
            lang,
            &next,
            &name,
            Some(lang.t("login.invalid").to_owned()),
            StatusCode::UNAUTHORIZED,
        ),
        Err(LoginError::LockedOut { until_ms }) => login_page(
            lang,
            &next,
            &name,
            Some(format!(
                "{} {}",
                lang.t("login.locked"),
                layout::shop_time(until_ms)
            )),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e @ LoginError::Unavailable(_)) => {
            tracing::warn!(error = %e, "a login could not be checked");
            login_page(
                lang,
                &next,
                &name,
                Some(lang.t("login.failed").to_owned()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
    }
}

fn signed_in(ok: &LoginOk, headers: &HeaderMap, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&ok.set_cookie_for(headers)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Ends the session and goes to the login page.
pub async fn logout(
    State(state): State<ConsoleState>,
    user: User,
    lang: Lang,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    session::check_csrf(lang, &user, form.get("csrf").map_or("", String::as_str))?;
    let clear = crate::auth::logout(state.engine(), &user)
        .await
        .map_err(|p| {
            PageError::new(lang, p.status(), "error.title").with_detail(p.detail().to_owned())
        })?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/console/runs?x=1")), "/console/runs?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/console");
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}
