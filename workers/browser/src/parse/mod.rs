//! Parses and validates a block's `with:` arguments into a [`Block`], before any browser
//! starts. Errors name the place (`with.steps[2].fill`) and what is expected there.

mod targets;
mod values;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::step::{Action, AlertAction, Block, FillValue, SelectOption, Step, StepPath};

use self::targets::{condition, tab, targets};
use self::values::{
    Fields, Result, artifact, invalid, scalar_text, secret_name, session_name, type_name, url,
};

/// Why a block's arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct InvalidBlock {
    /// Where (`with.steps[2].fill`).
    pub at: String,
    /// What is wrong and what is expected.
    pub message: String,
}

/// The step kinds, as written in `with:`.
pub const STEP_KINDS: [&str; 15] = [
    "goto",
    "click",
    "fill",
    "select",
    "upload",
    "wait_for",
    "stop_if",
    "extract_text",
    "extract_table",
    "within_frame",
    "new_tab",
    "switch_to",
    "alert",
    "screenshot",
    "download",
];

const MAX_PAGES_DEFAULT: usize = 20;

/// Parses `with:`, using `step_timeout` and `block_timeout` where the block sets none.
pub fn block(args: &Value, step_timeout: Duration, block_timeout: Duration) -> Result<Block> {
    let obj = args.as_object().ok_or_else(|| {
        invalid(
            "with",
            format!("expected an object with `steps`, found {}", type_name(args)),
        )
    })?;
    let mut f = Fields::new(obj, "with");
    let session = f
        .take_str("session")?
        .map(|name| session_name(&name).map(|()| name))
        .transpose()?;
    let timeout = f.take_duration("timeout")?.unwrap_or(block_timeout);
    let step_timeout = f.take_duration("step_timeout")?.unwrap_or(step_timeout);
    let steps = f
        .take("steps")
        .ok_or_else(|| invalid("with", "`steps` is missing: give a list of steps"))?;
    f.finish()?;
    let mut names = BTreeSet::new();
    let steps = step_list(steps, &StepPath::default(), step_timeout, &mut names)?;
    Ok(Block {
        session,
        timeout,
        steps,
    })
}

fn step_list(
    v: &Value,
    parent: &StepPath,
    step_timeout: Duration,
    names: &mut BTreeSet<String>,
) -> Result<Vec<Step>> {
    let at = format!("with.{}", display_list_path(parent));
    let items = v.as_array().ok_or_else(|| {
        invalid(
            &at,
            format!("expected a list of steps, found {}", type_name(v)),
        )
    })?;
    if items.is_empty() {
        return Err(invalid(&at, "the list of steps is empty"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| step(item, parent.child(i), step_timeout, names))
        .collect()
}

fn display_list_path(parent: &StepPath) -> String {
    if parent.0.is_empty() {
        "steps".to_owned()
    } else {
        format!("{parent}.steps")
    }
}

fn step(
    v: &Value,
    path: StepPath,
    step_timeout: Duration,
    names: &mut BTreeSet<String>,
) -> Result<Step> {
    let at = format!("with.{path}");
    let obj = v.as_object().ok_or_else(|| {
        invalid(
            &at,
            format!(
                "expected a step such as `{{click: \"#submit\"}}`, found {}",
                type_name(v)
            ),
        )
    })?;
    let kinds: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| STEP_KINDS.contains(k))
        .collect();
    let kind = match kinds.as_slice() {
        [one] => *one,
        [] => {
            let unknown = obj
                .keys()
                .find(|k| !["timeout", "as"].contains(&k.as_str()));
            let found = unknown.map_or_else(
                || "no step kind".to_owned(),
                |k| format!("unknown step kind `{k}`"),
            );
            return Err(invalid(
                &at,
                format!("{found}; a step is one of {}", STEP_KINDS.join(", ")),
            ));
        }
        many => {
            return Err(invalid(
                &at,
                format!(
                    "a step does one thing, found {}; split it into several steps",
                    many.join(" and ")
                ),
            ));
        }
    };
    let at = format!("{at}.{kind}");
    let mut f = Fields::new(obj, &at);
    let value = f.take(kind).unwrap_or(&Value::Null);
    let timeout = f.take_duration("timeout")?.unwrap_or(step_timeout);
    let output = f.take_str("as")?;
    if let Some(name) = &output {
        if name.is_empty() {
            return Err(invalid(&at, "`as` is empty; name the output"));
        }
        if !names.insert(name.clone()) {
            return Err(invalid(
                &at,
                format!("`as: {name}` is used by an earlier step; each output needs its own name"),
            ));
        }
    }
    let needs_output = |what: &str| {
        if output.is_none() {
            Err(invalid(
                &at,
                format!("`{kind}` needs `as: NAME`, the output name of the {what}"),
            ))
        } else {
            Ok(())
        }
    };
    let action = match kind {
        "goto" => Action::Goto(url(value, &at)?),
        "click" => Action::Click(targets(value, &at)?),
        "fill" => {
            let target = targets(value, &at)?;
            let text = f
                .take("value")
                .map(|v| scalar_text(v, &at, "value"))
                .transpose()?;
            let secret = f.take_str("secret")?;
            let value = match (text, secret) {
                (Some(t), None) => FillValue::Text(t),
                (None, Some(s)) => FillValue::Secret(secret_name(&s, &at)?),
                (Some(_), Some(_)) => {
                    return Err(invalid(&at, "give either `value` or `secret`, not both"));
                }
                (None, None) => {
                    return Err(invalid(
                        &at,
                        "`fill` needs `value: TEXT` or `secret: NAME` (what to type)",
                    ));
                }
            };
            let clear = f.take_bool("clear")?.unwrap_or(true);
            Action::Fill {
                target,
                value,
                clear,
            }
        }
        "select" => {
            let target = targets(value, &at)?;
            let by_value = f
                .take("value")
                .map(|v| scalar_text(v, &at, "value"))
                .transpose()?;
            let label = f.take_str("label")?;
            let index = f.take_index("index")?;
            let option = match (by_value, label, index) {
                (Some(v), None, None) => SelectOption::Value(v),
                (None, Some(l), None) => SelectOption::Label(l),
                (None, None, Some(i)) => SelectOption::Index(i),
                _ => {
                    return Err(invalid(
                        &at,
                        "`select` needs exactly one of `value`, `label` or `index` (which option)",
                    ));
                }
            };
            Action::Select { target, option }
        }
        "upload" => {
            let target = targets(value, &at)?;
            let file = f.take("file").ok_or_else(|| {
                invalid(
                    &at,
                    "`upload` needs `file`: an artifact (`{artifact: \"sha256:…\", …}`) or its reference",
                )
            })?;
            let mut file = artifact(file, &format!("{at}.file"))?;
            if let Some(name) = f.take_str("name")? {
                file.name = name;
            }
            Action::Upload { target, file }
        }
        "wait_for" => Action::WaitFor(condition(value, &at)?),
        "stop_if" => Action::StopIf(condition(value, &at)?),
        "extract_text" => {
            needs_output("text")?;
            Action::ExtractText {
                target: targets(value, &at)?,
                attribute: f.take_str("attribute")?,
                all: f.take_bool("all")?.unwrap_or(false),
            }
        }
        "extract_table" => {
            needs_output("rows")?;
            let next = f
                .take("next")
                .map(|v| targets(v, &format!("{at}.next")))
                .transpose()?;
            let max_pages = f.take_index("max_pages")?.unwrap_or(MAX_PAGES_DEFAULT);
            if max_pages == 0 {
                return Err(invalid(&at, "`max_pages` must be at least 1"));
            }
            Action::ExtractTable {
                target: targets(value, &at)?,
                next,
                max_pages,
            }
        }
        "within_frame" => {
            let frame = targets(value, &at)?;
            let steps = f.take("steps").ok_or_else(|| {
                invalid(
                    &at,
                    "`within_frame` needs `steps`, the steps run inside the frame",
                )
            })?;
            let steps = step_list(steps, &path, step_timeout, names)?;
            Action::WithinFrame { frame, steps }
        }
        "new_tab" => match value {
            Value::Null => Action::NewTab(None),
            v => Action::NewTab(Some(url(v, &at)?)),
        },
        "switch_to" => Action::SwitchTo(tab(value, &at)?),
        "alert" => {
            let action = match value.as_str() {
                Some("accept") => AlertAction::Accept,
                Some("dismiss") => AlertAction::Dismiss,
                Some("read") => AlertAction::Read,
                _ => {
                    return Err(invalid(
                        &at,
                        format!("expected `accept`, `dismiss` or `read`, found {value}"),
                    ));
                }
            };
            let prompt = f.take_str("prompt")?;
            if prompt.is_some() && action != AlertAction::Accept {
                return Err(invalid(
                    &at,
                    "`prompt` text is only typed with `alert: accept`",
                ));
            }
            Action::Alert { action, prompt }
        }
        "screenshot" => match value {
            Value::Null | Value::Bool(true) => Action::Screenshot(None),
            Value::String(s) if s == "page" => Action::Screenshot(None),
            v => Action::Screenshot(Some(targets(v, &at)?)),
        },
        "download" => Action::Download(targets(value, &at)?),
        _ => unreachable!("`kind` is one of STEP_KINDS"),
    };
    f.finish()?;
    Ok(Step {
        path,
        action,
        timeout,
        output,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Block> {
        block(&v, Duration::from_secs(10), Duration::from_secs(60))
    }

    #[test]
    fn a_full_block_parses() {
        let b = parse(json!({
            "session": "shop-1",
            "timeout": "PT30S",
            "steps": [
                {"goto": "http://127.0.0.1:8080/login"},
                {"fill": {"id": "user"}, "value": "ops"},
                {"fill": "#password", "secret": "SHOP_PASSWORD"},
                {"click": {"any_of": [{"css": "#login"}, {"text": "Log in"}]}, "timeout": {"seconds": 3}},
                {"wait_for": {"text": "Welcome", "in": "#banner"}},
                {"stop_if": {"visible": ".uploaded"}},
                {"extract_table": "table#orders", "as": "orders", "next": {"link": "Next"}},
                {"within_frame": "iframe", "steps": [{"click": "#x"}]},
                {"alert": "accept", "as": "msg"},
                {"screenshot": null},
                {"switch_to": {"tab": -1}},
            ]
        }))
        .unwrap();
        assert_eq!(b.session.as_deref(), Some("shop-1"));
        assert_eq!(b.timeout, Duration::from_secs(30));
        assert_eq!(b.steps.len(), 11);
        assert_eq!(b.steps[3].timeout, Duration::from_secs(3));
        assert_eq!(b.steps[0].timeout, Duration::from_secs(10));
        let Action::WithinFrame { steps, .. } = &b.steps[7].action else {
            panic!("within_frame")
        };
        assert_eq!(steps[0].path.to_string(), "steps[7].steps[0]");
    }

    #[test]
    fn errors_name_the_step() {
        let cases = [
            (
                json!({"steps": [{"goto": "http://a.b"}, {"hover": "#x"}]}),
                "with.steps[1]: unknown step kind `hover`",
            ),
            (
                json!({"steps": [{"fill": "#p"}]}),
                "with.steps[0].fill: `fill` needs `value: TEXT` or `secret: NAME`",
            ),
            (
                json!({"steps": [{"click": "#a", "goto": "http://x.y"}]}),
                "with.steps[0]: a step does one thing",
            ),
            (
                json!({"steps": [{"click": {"cls": "a"}}]}),
                "with.steps[0].click: unknown target kind `cls`",
            ),
            (
                json!({"steps": [{"goto": "file:///etc/passwd"}]}),
                "with.steps[0].goto: `file:///etc/passwd` is not an http",
            ),
            (
                json!({"steps": [{"extract_text": "#a"}]}),
                "with.steps[0].extract_text: `extract_text` needs `as: NAME`",
            ),
            (
                json!({"steps": [{"click": "#a", "timout": "PT1S"}]}),
                "with.steps[0].click: unknown key `timout`",
            ),
            (
                json!({"steps": [{"within_frame": "f", "steps": [{"wait_for": {"shown": "#a"}}]}]}),
                "with.steps[0].steps[0].wait_for: expected a condition",
            ),
            (
                json!({"steps": []}),
                "with.steps: the list of steps is empty",
            ),
            (
                json!({"session": "../x", "steps": [{"click": "a"}]}),
                "with.session: `../x`",
            ),
            (
                json!({"steps": [{"upload": "input", "file": "sha256:12"}]}),
                "with.steps[0].upload.file: `sha256:12` is not an artifact reference",
            ),
            (
                json!({"steps": [{"click": "a", "timeout": "PT0S"}]}),
                "with.steps[0].click.timeout: a time limit must be longer than zero",
            ),
            (
                json!({"steps": [{"extract_text": "a", "as": "x"}, {"extract_text": "b", "as": "x"}]}),
                "with.steps[1].extract_text: `as: x` is used by an earlier step",
            ),
        ];
        for (args, expected) in cases {
            let e = parse(args.clone()).unwrap_err().to_string();
            assert!(
                e.starts_with(expected),
                "{args}\n got: {e}\nwant: {expected}…"
            );
        }
    }
}
