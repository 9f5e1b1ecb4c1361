//! Hides the values of the block's secrets wherever text leaves the worker: the output, error
//! details, logs and the page HTML saved on failure.

use serde_json::Value;

/// What replaces a secret value.
pub(crate) const HIDDEN: &str = "***";

/// The secret values of one block.
#[derive(Debug, Default, Clone)]
pub(crate) struct Redactor {
    /// Each value, and its HTML-escaped form when that differs; longest first so that a
    /// secret containing another is hidden whole.
    values: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values (empty values are ignored: there is nothing to hide).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut values: Vec<String> = Vec::new();
        for s in secrets.into_iter().filter(|s| !s.is_empty()) {
            values.push(s.to_owned());
            let escaped = html_escape(s);
            if escaped != s {
                values.push(escaped);
            }
        }
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Self { values }
    }

    /// `text` with every secret value replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), HIDDEN);
            }
        }
        out
    }

    /// `value` with every string (keys included) redacted.
    pub(crate) fn json(&self, value: Value) -> Value {
        if self.values.is_empty() {
            return value;
        }
        match value {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.text(&k), self.json(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hides_values_and_their_html_form() {
        let r = Redactor::new(["p<ss", "", "p<ss-long"]);
        assert_eq!(r.text("a p<ss-long b p&lt;ss c p<ss"), "a *** b *** c ***");
        assert_eq!(
            r.json(json!({"k": ["p<ss", 1], "p<ss": true})),
            json!({"k": ["***", 1], "***": true})
        );
    }
}
