//! Finding elements by their targets, waiting for them (and for conditions) within a step's
//! time, and retrying an action on an element that went stale, is not interactable yet or is
//! covered.

use std::time::Duration;

use fantoccini::Client;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::time::Instant;

use crate::error::{Class, Error, classify, describe, human};
use crate::step::Condition;
use crate::target::Targets;

/// How often a page is looked at again while waiting.
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// The first element matching the first alternative that matches anything; with `visible`,
/// the first displayed one. `None` when nothing (visible) matches right now.
pub(crate) async fn find_now(
    client: &Client,
    targets: &Targets,
    visible: bool,
) -> Result<Option<Element>, CmdError> {
    for target in &targets.0 {
        let (kind, source) = target.locator_source();
        let found = client.find_all(kind.locator(&source)).await?;
        if !visible {
            if let Some(first) = found.into_iter().next() {
                return Ok(Some(first));
            }
            continue;
        }
        for element in found {
            match element.is_displayed().await {
                Ok(true) => return Ok(Some(element)),
                Ok(false) => {}
                Err(e) if e.is_stale_element_reference() => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}

/// Every element matching the first alternative that matches anything.
pub(crate) async fn find_all_now(
    client: &Client,
    targets: &Targets,
) -> Result<Vec<Element>, CmdError> {
    for target in &targets.0 {
        let (kind, source) = target.locator_source();
        let found = client.find_all(kind.locator(&source)).await?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Waits until an element matches (and is displayed, with `visible`).
pub(crate) async fn element(
    client: &Client,
    targets: &Targets,
    visible: bool,
    deadline: Instant,
) -> Result<Element, Error> {
    act(client, targets, visible, deadline, "reading it", |e| {
        Box::pin(async move { Ok(e) })
    })
    .await
}

/// Finds the element and runs `op` on it, finding it again and retrying while the attempt
/// fails in a way a moment can fix (stale, not interactable, covered, not there yet), until
/// `deadline`.
pub(crate) async fn act<T>(
    client: &Client,
    targets: &Targets,
    visible: bool,
    deadline: Instant,
    what: &str,
    op: impl Fn(Element) -> BoxFuture<'static, Result<T, CmdError>>,
) -> Result<T, Error> {
    let start = Instant::now();
    let mut last_failure: Option<String> = None;
    loop {
        match find_now(client, targets, visible).await {
            Ok(Some(element)) => match op(element).await {
                Ok(v) => return Ok(v),
                Err(e) => match classify(&e) {
                    Class::Transient => last_failure = Some(describe(&e)),
                    Class::Fatal(err) => return Err(err),
                },
            },
            Ok(None) => {}
            Err(e) => match classify(&e) {
                Class::Transient => {}
                Class::Fatal(err) => return Err(err),
            },
        }
        if Instant::now() + POLL > deadline {
            let waited = human(start.elapsed().max(Duration::from_millis(1)));
            return Err(Error::Timeout(match last_failure {
                Some(why) => {
                    format!("found {targets} but {what} kept failing for {waited} ({why})")
                }
                None if visible
                    && matches!(find_now(client, targets, false).await, Ok(Some(_))) =>
                {
                    format!("{targets} is in the page but did not become visible within {waited}")
                }
                None => format!("no element matching {targets} appeared within {waited}"),
            }));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether a condition holds right now.
pub(crate) async fn holds(client: &Client, condition: &Condition) -> Result<bool, CmdError> {
    Ok(match condition {
        Condition::Present(t) => find_now(client, t, false).await?.is_some(),
        Condition::Visible(t) => find_now(client, t, true).await?.is_some(),
        Condition::Hidden(t) => find_now(client, t, true).await?.is_none(),
        Condition::Gone(t) => find_now(client, t, false).await?.is_none(),
        Condition::Text { text, within } => {
            let shown = match within {
                Some(t) => match find_now(client, t, false).await? {
                    Some(e) => e.text().await?,
                    None => return Ok(false),
                },
                None => page_text(client).await?,
            };
            collapse(&shown).contains(&collapse(text))
        }
        Condition::Url(part) => client.current_url().await?.as_str().contains(part.as_str()),
    })
}

/// The page's visible text.
pub(crate) async fn page_text(client: &Client) -> Result<String, CmdError> {
    let v = client
        .execute(
            "return document.body ? document.body.innerText : '';",
            vec![],
        )
        .await?;
    Ok(match v {
        Value::String(s) => s,
        _ => String::new(),
    })
}

/// Text with runs of white space made one space, trimmed.
pub(crate) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Waits until a condition holds.
pub(crate) async fn wait_for(
    client: &Client,
    condition: &Condition,
    deadline: Instant,
) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        match holds(client, condition).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => {
                if let Class::Fatal(err) = classify(&e) {
                    return Err(err);
                }
            }
        }
        if Instant::now() + POLL > deadline {
            let now = match condition {
                Condition::Url(_) => match client.current_url().await {
                    Ok(u) => format!("; the URL is {u}"),
                    Err(_) => String::new(),
                },
                _ => String::new(),
            };
            return Err(Error::Timeout(format!(
                "waited {} for {condition}{now}",
                human(start.elapsed())
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether a condition holds now (looking again only while the page is mid-change).
pub(crate) async fn check(
    client: &Client,
    condition: &Condition,
    deadline: Instant,
) -> Result<bool, Error> {
    loop {
        match holds(client, condition).await {
            Ok(v) => return Ok(v),
            Err(e) => match classify(&e) {
                Class::Transient if Instant::now() + POLL < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Class::Transient => return Ok(false),
                Class::Fatal(err) => return Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_white_space() {
        assert_eq!(collapse("  Invoice\n\t uploaded  "), "Invoice uploaded");
    }
}
