//! Targets (`"#id"`, `{css|xpath|id|link|text: …}`, `{any_of: […]}`), conditions and tab
//! selectors as a block writes them.

use serde_json::Value;

use super::values::{Fields, Result, invalid, nonempty_str};
use crate::step::{Condition, TabSelector};
use crate::target::{Target, Targets};

const CONDITIONS: [&str; 6] = ["present", "visible", "hidden", "gone", "text", "url"];

/// A target: a CSS string, `{css|xpath|id|link|text: …}` or `{any_of: [targets…]}`.
pub(super) fn targets(v: &Value, at: &str) -> Result<Targets> {
    let mut out = Vec::new();
    collect_targets(v, at, &mut out)?;
    Ok(Targets(out))
}

fn collect_targets(v: &Value, at: &str, out: &mut Vec<Target>) -> Result<()> {
    let expected = "expected a target: a CSS selector string, or one of `{css: …}`, \
                    `{xpath: …}`, `{id: …}`, `{link: …}`, `{text: …}`, `{any_of: [targets…]}`";
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            out.push(Target::Css(s.clone()));
            Ok(())
        }
        Value::Object(obj) if obj.len() == 1 => {
            let (k, v) = obj.iter().next().expect("one entry");
            if k == "any_of" {
                let alternatives = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                    invalid(
                        at,
                        "`any_of` needs a non-empty list of targets, tried in order",
                    )
                })?;
                for (i, alt) in alternatives.iter().enumerate() {
                    collect_targets(alt, &format!("{at}.any_of[{i}]"), out)?;
                }
                return Ok(());
            }
            let value = v
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| invalid(at, format!("`{k}` needs a non-empty string")))?;
            let target = Target::from_kind(k, value.to_owned()).ok_or_else(|| {
                invalid(
                    at,
                    format!(
                        "unknown target kind `{k}`; a target is one of {}, any_of",
                        Target::KINDS.join(", ")
                    ),
                )
            })?;
            out.push(target);
            Ok(())
        }
        other => Err(invalid(at, format!("{expected}, found {other}"))),
    }
}

pub(super) fn condition(v: &Value, at: &str) -> Result<Condition> {
    let expected = format!(
        "expected a condition: one of {} (e.g. `{{visible: \"#orders\"}}`)",
        CONDITIONS
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let obj = v
        .as_object()
        .ok_or_else(|| invalid(at, format!("{expected}, found {v}")))?;
    let mut f = Fields::new(obj, at);
    let present: Vec<&str> = CONDITIONS
        .iter()
        .copied()
        .filter(|c| obj.contains_key(*c))
        .collect();
    let [kind] = present.as_slice() else {
        return Err(invalid(at, format!("{expected}; exactly one, found {v}")));
    };
    let value = f.take(kind).unwrap_or(&Value::Null);
    let cat = format!("{at}.{kind}");
    let condition = match *kind {
        "present" => Condition::Present(targets(value, &cat)?),
        "visible" => Condition::Visible(targets(value, &cat)?),
        "hidden" => Condition::Hidden(targets(value, &cat)?),
        "gone" => Condition::Gone(targets(value, &cat)?),
        "text" => Condition::Text {
            text: nonempty_str(value, &cat)?,
            within: f
                .take("in")
                .map(|t| targets(t, &format!("{at}.in")))
                .transpose()?,
        },
        "url" => Condition::Url(nonempty_str(value, &cat)?),
        _ => unreachable!("one of CONDITIONS"),
    };
    f.finish()?;
    Ok(condition)
}

pub(super) fn tab(v: &Value, at: &str) -> Result<TabSelector> {
    let expected =
        "expected `{tab: INDEX}` (0 = first, -1 = newest), `{url: TEXT}` or `{title: TEXT}`";
    let obj = v
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| invalid(at, format!("{expected}, found {v}")))?;
    let (k, v) = obj.iter().next().expect("one entry");
    match k.as_str() {
        "tab" => v
            .as_i64()
            .map(TabSelector::Index)
            .ok_or_else(|| invalid(at, format!("`tab` needs a whole number, found {v}"))),
        "url" => Ok(TabSelector::Url(nonempty_str(v, &format!("{at}.url"))?)),
        "title" => Ok(TabSelector::Title(nonempty_str(v, &format!("{at}.title"))?)),
        _ => Err(invalid(at, format!("{expected}, found {v}"))),
    }
}
