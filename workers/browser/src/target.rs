//! Targets: how a step names the element it acts on (CSS, XPath, id, link text, visible text),
//! with `any_of` fallbacks tried in order.

use std::fmt;

use fantoccini::Locator;

/// One way of finding an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A CSS selector (`{css: "#login"}`, or just the string `"#login"`).
    Css(String),
    /// An XPath expression (`{xpath: "//button[@type='submit']"}`).
    XPath(String),
    /// An element id (`{id: "login"}`).
    Id(String),
    /// A link whose text is exactly this (`{link: "Next page"}`).
    Link(String),
    /// The innermost element whose visible text, with white space collapsed, is exactly this;
    /// also buttons (`<input type=submit>`) whose label is this (`{text: "Log in"}`).
    Text(String),
}

impl Target {
    /// The keys a target object may have.
    pub(crate) const KINDS: [&'static str; 5] = ["css", "xpath", "id", "link", "text"];

    /// A target from its key and value.
    pub(crate) fn from_kind(kind: &str, value: String) -> Option<Self> {
        Some(match kind {
            "css" => Target::Css(value),
            "xpath" => Target::XPath(value),
            "id" => Target::Id(value),
            "link" => Target::Link(value),
            "text" => Target::Text(value),
            _ => return None,
        })
    }

    /// The WebDriver locator. Text targets become an XPath built from the text, which is why
    /// the caller keeps the returned string alive.
    pub(crate) fn locator_source(&self) -> (LocatorKind, String) {
        match self {
            Target::Css(s) => (LocatorKind::Css, s.clone()),
            Target::XPath(s) => (LocatorKind::XPath, s.clone()),
            Target::Id(s) => (LocatorKind::Id, s.clone()),
            Target::Link(s) => (LocatorKind::Link, s.clone()),
            Target::Text(s) => (LocatorKind::XPath, text_xpath(s)),
        }
    }
}

/// Which WebDriver strategy a locator string is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LocatorKind {
    Css,
    XPath,
    Id,
    Link,
}

impl LocatorKind {
    /// The fantoccini locator over `s`.
    pub(crate) fn locator(self, s: &str) -> Locator<'_> {
        match self {
            LocatorKind::Css => Locator::Css(s),
            LocatorKind::XPath => Locator::XPath(s),
            LocatorKind::Id => Locator::Id(s),
            LocatorKind::Link => Locator::LinkText(s),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, value) = match self {
            Target::Css(s) => ("css", s),
            Target::XPath(s) => ("xpath", s),
            Target::Id(s) => ("id", s),
            Target::Link(s) => ("link", s),
            Target::Text(s) => ("text", s),
        };
        write!(f, "{kind} {value:?}")
    }
}

/// A target with its fallbacks: the first alternative that finds an element wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets(pub Vec<Target>);

impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                f.write_str("any_of [")?;
                for (i, t) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// XPath for "the innermost element whose collapsed text is `text`", or a button whose label
/// is. Script and style elements never match.
fn text_xpath(text: &str) -> String {
    let t = xpath_literal(text);
    format!(
        "//*[not(self::script or self::style or self::head or ancestor::head)]\
         [(normalize-space(.)={t} and not(.//*[normalize-space(.)={t}])) \
         or (self::input and (@type='submit' or @type='button' or @type='reset') \
         and normalize-space(@value)={t})]"
    )
}

/// `s` as an XPath 1.0 string literal; XPath has no escapes, so text with both quote kinds is
/// built with `concat()`.
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpath_literals_survive_quotes() {
        assert_eq!(xpath_literal("Log in"), "'Log in'");
        assert_eq!(xpath_literal("Don't"), "\"Don't\"");
        assert_eq!(xpath_literal(r#"a'b"c"#), r#"concat('a', "'", 'b"c')"#);
    }

    #[test]
    fn display_names_kind_and_alternatives() {
        let t = Targets(vec![Target::Css("#go".into()), Target::Text("Go".into())]);
        assert_eq!(t.to_string(), r##"any_of [css "#go", text "Go"]"##);
        assert_eq!(
            Targets(vec![Target::Id("x".into())]).to_string(),
            r#"id "x""#
        );
    }
}
