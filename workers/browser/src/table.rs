//! `extract_table`: a table's rows as objects keyed by the header, page after page while a
//! "next" control is there and enabled.

use std::time::Duration;

use fantoccini::Client;
use fantoccini::elements::Element;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::error::{Class, Error, classify, describe, fatal, human};
use crate::find::{self, POLL};
use crate::target::Targets;

/// Reads header and body cells in one round trip. Header: the last row of `<thead>`, or a
/// first row made only of `<th>`. `rows` leaves out nested tables' rows and `<tfoot>`.
const READ_TABLE: &str = r#"
const t = arguments[0];
const cell = c => (c.innerText || c.textContent || '').replace(/\s+/g, ' ').trim();
let rows = Array.from(t.rows).filter(r => !(r.parentElement && r.parentElement.tagName === 'TFOOT'));
let header = null;
if (t.tHead && t.tHead.rows.length) {
  header = Array.from(t.tHead.rows[t.tHead.rows.length - 1].cells).map(cell);
  rows = rows.filter(r => r.parentElement !== t.tHead);
} else if (rows.length && rows[0].cells.length && Array.from(rows[0].cells).every(c => c.tagName === 'TH')) {
  header = Array.from(rows[0].cells).map(cell);
  rows = rows.slice(1);
}
return {header: header, rows: rows.map(r => Array.from(r.cells).map(cell))};
"#;

/// Whether a "next" control is usable: enabled, not marked disabled by ARIA or a class.
const IS_ENABLED: &str = r#"
const e = arguments[0];
const cls = (e.getAttribute('class') || '').split(/\s+/);
return !e.disabled && e.getAttribute('aria-disabled') !== 'true' && !cls.includes('disabled');
"#;

/// Reads every page of the table; each page gets `per_page` to appear.
pub(crate) async fn extract(
    client: &Client,
    table: &Targets,
    next: Option<&Targets>,
    max_pages: usize,
    per_page: Duration,
    block_deadline: Instant,
) -> Result<Value, Error> {
    let deadline = |now: Instant| (now + per_page).min(block_deadline);
    let mut rows: Vec<Value> = Vec::new();
    for page in 1..=max_pages {
        let (element, page_rows, text) = read_page(client, table, deadline(Instant::now())).await?;
        rows.extend(page_rows);
        let Some(next) = next else { break };
        let Some(control) = enabled_control(client, next).await? else {
            break;
        };
        if page == max_pages {
            tracing::warn!(
                max_pages,
                "extract_table stopped at `max_pages` with more pages left"
            );
            break;
        }
        control.click().await.map_err(fatal)?;
        wait_for_new_page(table, &element, &text, deadline(Instant::now()))
            .await
            .map_err(|e| match e {
                Error::Timeout(m) => {
                    Error::Timeout(format!("after clicking {next} on page {page}: {m}"))
                }
                other => other,
            })?;
    }
    Ok(Value::Array(rows))
}

/// The table element, its rows, and its text (to notice the next page).
async fn read_page(
    client: &Client,
    table: &Targets,
    deadline: Instant,
) -> Result<(Element, Vec<Value>, String), Error> {
    loop {
        let element = find::element(client, table, false, deadline).await?;
        let arg = serde_json::to_value(&element).map_err(|e| Error::Page(e.to_string()))?;
        // The text is read the way `wait_for_new_page` reads it, so that only a new page
        // differs.
        let read = match element.text().await {
            Ok(text) => client
                .execute(READ_TABLE, vec![arg])
                .await
                .map(|v| (v, text)),
            Err(e) => Err(e),
        };
        match read {
            Ok((v, text)) => return Ok((element, rows(&v), text)),
            Err(e) => match classify(&e) {
                Class::Transient if Instant::now() + POLL < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Class::Transient => {
                    return Err(Error::Timeout(format!(
                        "the table kept changing while read ({})",
                        describe(&e)
                    )));
                }
                Class::Fatal(err) => return Err(err),
            },
        }
    }
}

/// Rows as objects keyed by the header (empty or repeated names get `column N`), or as lists
/// when there is no header.
fn rows(v: &Value) -> Vec<Value> {
    let header: Option<Vec<String>> = v["header"].as_array().map(|h| {
        let mut names: Vec<String> = Vec::new();
        for (i, name) in h.iter().enumerate() {
            let name = name.as_str().unwrap_or_default();
            if name.is_empty() || names.iter().any(|n| n == name) {
                names.push(format!("column {}", i + 1));
            } else {
                names.push(name.to_owned());
            }
        }
        names
    });
    let body = v["rows"].as_array().cloned().unwrap_or_default();
    body.into_iter()
        .filter(|r| r.as_array().is_some_and(|cells| !cells.is_empty()))
        .map(|r| match &header {
            Some(names) => {
                let mut row = Map::new();
                for (i, cell) in r.as_array().into_iter().flatten().enumerate() {
                    let key = names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| format!("column {}", i + 1));
                    row.insert(key, cell.clone());
                }
                Value::Object(row)
            }
            None => r,
        })
        .collect()
}

/// The visible, enabled "next" control, if there is one now.
async fn enabled_control(client: &Client, next: &Targets) -> Result<Option<Element>, Error> {
    let Some(control) = find::find_now(client, next, true).await.map_err(fatal)? else {
        return Ok(None);
    };
    let arg = serde_json::to_value(&control).map_err(|e| Error::Page(e.to_string()))?;
    let enabled = client.execute(IS_ENABLED, vec![arg]).await.map_err(fatal)?;
    Ok((enabled == json!(true)).then_some(control))
}

/// Waits until the old table is gone from the page or shows other rows.
async fn wait_for_new_page(
    table: &Targets,
    old: &Element,
    old_text: &str,
    deadline: Instant,
) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        match old.text().await {
            Err(e) if e.is_stale_element_reference() => return Ok(()),
            Ok(text) if text != old_text => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                if let Class::Fatal(err) = classify(&e) {
                    return Err(err);
                }
            }
        }
        if Instant::now() + POLL > deadline {
            return Err(Error::Timeout(format!(
                "{table} still showed the same rows after {}",
                human(start.elapsed())
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_keyed_by_header() {
        let v = json!({
            "header": ["Order", "", "Order"],
            "rows": [["A1", "x", "y"], [], ["A2", "z"]],
        });
        assert_eq!(
            rows(&v),
            vec![
                json!({"Order": "A1", "column 2": "x", "column 3": "y"}),
                json!({"Order": "A2", "column 2": "z"}),
            ]
        );
        let plain = json!({"header": null, "rows": [["a", "b"]]});
        assert_eq!(rows(&plain), vec![json!(["a", "b"])]);
    }
}
