//! Pages, tabs and dialogs: opening a URL (and telling a page from Chromium's error page),
//! switching tabs, answering alerts.

use fantoccini::Client;
use fantoccini::error::CmdError;
use serde_json::Value;
use tokio::time::Instant;

use crate::error::{Error, fatal, first_line, human};
use crate::find::POLL;
use crate::step::{AlertAction, TabSelector};

/// Opens `url` and makes sure a page came back (not Chromium's error page).
pub(crate) async fn goto(client: &Client, url: &str) -> Result<(), Error> {
    if let Err(e) = client.goto(url).await {
        return Err(match &e {
            CmdError::Standard(w) if w.message.contains("net::ERR_") => {
                let code = w
                    .message
                    .split("net::")
                    .nth(1)
                    .and_then(|s| s.split_whitespace().next())
                    .unwrap_or("ERR_FAILED");
                Error::Navigation(format!("could not load {url}: {code}"))
            }
            CmdError::Standard(w) if w.error == fantoccini::error::ErrorStatus::Timeout => {
                Error::Timeout(format!(
                    "{url} did not finish loading ({})",
                    first_line(&w.message)
                ))
            }
            _ => fatal(e),
        });
    }
    let code = client
        .execute(
            "return document.URL.startsWith('chrome-error://') \
             ? ((window.loadTimeDataRaw && window.loadTimeDataRaw.errorCode) || 'ERR_FAILED') \
             : null;",
            vec![],
        )
        .await
        .map_err(fatal)?;
    match code {
        Value::String(code) => Err(Error::Navigation(format!("could not load {url}: {code}"))),
        _ => Ok(()),
    }
}

pub(crate) async fn switch_to(
    client: &Client,
    selector: &TabSelector,
    deadline: Instant,
) -> Result<(), Error> {
    let start = Instant::now();
    let original = client.window().await.ok();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let tabs = client.windows().await.map_err(fatal)?;
        match selector {
            TabSelector::Index(i) => {
                let len = i64::try_from(tabs.len()).unwrap_or(i64::MAX);
                let at = if *i < 0 { len + i } else { *i };
                if let Some(tab) = usize::try_from(at).ok().and_then(|at| tabs.get(at)) {
                    return client.switch_to_window(tab.clone()).await.map_err(fatal);
                }
                seen = vec![format!("{} tabs", tabs.len())];
            }
            TabSelector::Url(part) | TabSelector::Title(part) => {
                seen.clear();
                for tab in tabs {
                    if client.switch_to_window(tab).await.is_err() {
                        continue;
                    }
                    let shown = match selector {
                        TabSelector::Url(_) => client.current_url().await.map(|u| u.to_string()),
                        _ => client.title().await,
                    };
                    match shown {
                        Ok(s) if s.contains(part.as_str()) => return Ok(()),
                        Ok(s) => seen.push(s),
                        Err(_) => {}
                    }
                }
                if let Some(original) = &original {
                    let _ = client.switch_to_window(original.clone()).await;
                }
            }
        }
        if Instant::now() + POLL > deadline {
            return Err(Error::Timeout(format!(
                "no {selector} appeared within {} (open: {})",
                human(start.elapsed()),
                seen.join(", ")
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

pub(crate) async fn alert(
    client: &Client,
    action: AlertAction,
    prompt: Option<&str>,
    deadline: Instant,
) -> Result<String, Error> {
    let start = Instant::now();
    let text = loop {
        match client.get_alert_text().await {
            Ok(text) => break text,
            Err(e) if e.is_no_such_alert() => {}
            Err(e) => return Err(fatal(e)),
        }
        if Instant::now() + POLL > deadline {
            return Err(Error::Timeout(format!(
                "no alert opened within {}",
                human(start.elapsed())
            )));
        }
        tokio::time::sleep(POLL).await;
    };
    match action {
        AlertAction::Accept => {
            if let Some(p) = prompt {
                client.send_alert_text(p).await.map_err(fatal)?;
            }
            client.accept_alert().await.map_err(fatal)?;
        }
        AlertAction::Dismiss => client.dismiss_alert().await.map_err(fatal)?,
        AlertAction::Read => {}
    }
    Ok(text)
}
