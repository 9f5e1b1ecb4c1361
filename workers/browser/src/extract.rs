//! `extract_text`: the text or an attribute of the first matching element, or of all of them.

use fantoccini::Client;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use serde_json::Value;
use tokio::time::Instant;

use crate::error::{Class, Error, classify, describe};
use crate::find::{self, POLL};
use crate::target::Targets;

/// The value of `extract_text`.
pub(crate) async fn text(
    client: &Client,
    target: &Targets,
    attribute: Option<&str>,
    all: bool,
    deadline: Instant,
) -> Result<Value, Error> {
    let attribute = attribute.map(str::to_owned);
    if !all {
        return find::act(client, target, false, deadline, "reading it", move |e| {
            let attribute = attribute.clone();
            Box::pin(async move { read(e, attribute.as_deref()).await })
        })
        .await;
    }
    find::element(client, target, false, deadline).await?;
    loop {
        let attempt = async {
            let mut values = Vec::new();
            for e in find::find_all_now(client, target).await? {
                values.push(read(e, attribute.as_deref()).await?);
            }
            Ok::<_, CmdError>(values)
        };
        match attempt.await {
            Ok(values) => return Ok(Value::Array(values)),
            Err(e) => match classify(&e) {
                Class::Transient if Instant::now() + POLL < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Class::Transient => {
                    return Err(Error::Timeout(format!(
                        "the elements kept changing while read ({})",
                        describe(&e)
                    )));
                }
                Class::Fatal(err) => return Err(err),
            },
        }
    }
}

async fn read(e: Element, attribute: Option<&str>) -> Result<Value, CmdError> {
    Ok(match attribute {
        // The attribute as written in the HTML, else the live DOM property of that name (a
        // field's current `value`, a `<select>`'s chosen value).
        Some(a) => match e.attr(a).await? {
            Some(v) => Value::String(v),
            None => e.prop(a).await?.map_or(Value::Null, Value::String),
        },
        None => Value::String(e.text().await?.trim().to_owned()),
    })
}
