//! Problems found in a flow definition: codes, severities, positions and their rendering.

use std::fmt;

/// A 1-based line and column in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: u32,
    /// Column in characters, starting at 1.
    pub col: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The flow cannot be deployed or run.
    Error,
    /// The flow is valid but probably not what the author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $sev:ident;)*) => {
        /// Every problem the loader and validator can report; each has a page `docs/errors/<code>.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// All codes, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed, e.g. `SW0101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity this code is reported with.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One-line summary of what the code means.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

codes! {
    /// The file is not valid YAML.
    YamlSyntax = "SW0001", Error;
    /// The file is empty or holds only comments.
    EmptyFile = "SW0002", Error;
    /// The file is not UTF-8 text.
    NotUtf8 = "SW0003", Error;
    /// The file is larger than shopflow accepts.
    FileTooLarge = "SW0004", Error;
    /// The YAML nests deeper than shopflow accepts.
    TooDeep = "SW0005", Error;
    /// YAML aliases expand to more nodes than shopflow accepts (an "alias bomb").
    AliasBomb = "SW0006", Error;
    /// An alias refers to an anchor that is not defined.
    UnknownAnchor = "SW0007", Error;
    /// The file holds more than one YAML document.
    MultipleDocuments = "SW0008", Error;
    /// A mapping key is not a plain string, or appears twice.
    BadKey = "SW0009", Error;
    /// A key that this object does not have.
    UnknownKey = "SW0101", Error;
    /// A required field is missing.
    MissingField = "SW0102", Error;
    /// A value has the wrong type.
    WrongType = "SW0103", Error;
    /// A value is not one of the allowed values.
    InvalidValue = "SW0104", Error;
    /// A task does not say what kind of task it is, or says more than one.
    TaskKind = "SW0105", Error;
    /// A task list entry is not a single-key mapping `- name: {task}`.
    TaskEntry = "SW0106", Error;
    /// Properties that exclude each other are set together, or none of the required alternatives is.
    ExclusiveFields = "SW0107", Error;
    /// The DSL version is not one shopflow runs.
    DslVersion = "SW0108", Error;
    /// A name is not a valid DSL name (lower-case letters, digits and dashes).
    InvalidName = "SW0109", Error;
    /// A version is not a semantic version.
    InvalidSemver = "SW0110", Error;
    /// Two tasks in the same list have the same name.
    DuplicateTask = "SW0201", Error;
    /// A `then` names a task that does not exist.
    UnknownThenTarget = "SW0202", Error;
    /// A `then` names a task at another depth; flow directives only jump within their own list.
    ThenOtherDepth = "SW0203", Error;
    /// A `switch` has more than one default case.
    SwitchDefaults = "SW0204", Error;
    /// A task can never run.
    UnreachableTask = "SW0205", Warning;
    /// A reference to an error not defined in `use.errors`.
    UndefinedError = "SW0301", Error;
    /// A reference to a retry policy not defined in `use.retries`.
    UndefinedRetry = "SW0302", Error;
    /// A reference to a timeout not defined in `use.timeouts`.
    UndefinedTimeout = "SW0303", Error;
    /// A call to a function that is neither built in nor defined in `use.functions`.
    UndefinedFunction = "SW0304", Error;
    /// A reference to a secret not listed in `use.secrets`.
    UndefinedSecret = "SW0305", Error;
    /// A reference to an authentication not defined in `use.authentications`.
    UndefinedAuthentication = "SW0306", Error;
    /// A runtime expression does not compile.
    ExpressionSyntax = "SW0401", Error;
    /// A runtime expression uses a variable that does not exist.
    UnknownVariable = "SW0402", Error;
    /// A duration is neither ISO 8601 nor a duration object.
    InvalidDuration = "SW0501", Error;
    /// A cron expression is not valid.
    InvalidCron = "SW0502", Error;
    /// A schema is not a valid JSON Schema.
    InvalidSchema = "SW0503", Error;
    /// An event filter names no attribute, so it would match every event.
    EmptyEventFilter = "SW0504", Error;
    /// A URI or URI template is not valid.
    InvalidUri = "SW0505", Error;
    /// A construct of the DSL that shopflow does not run.
    NotSupported = "SW0601", Error;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a flow definition, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of problem.
    pub code: Code,
    /// Where in the file.
    pub pos: Pos,
    /// The JSON pointer of the offending node (`/do/0/getPet/call`).
    pub pointer: String,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it, when there is advice.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem with no advice yet.
    pub fn new(
        code: Code,
        pos: Pos,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            pos,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The severity of this problem.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this problem stops the flow from being used.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// Renders the problem as `FILE:LINE:COL: error[CODE]: message` plus an indented `help:` line.
    pub fn render(&self, file: &str) -> String {
        let mut out = format!(
            "{file}:{}:{}: {}[{}]: {}",
            self.pos.line,
            self.pos.col,
            self.severity(),
            self.code,
            self.message
        );
        if let Some(help) = &self.help {
            out.push_str("\n  help: ");
            out.push_str(help);
        }
        out
    }
}

/// Suggests the closest of `candidates` to `word`, if one is close enough to be a likely typo.
///
/// Close means at most two edits (insert, delete, substitute, swap) and at most one edit per
/// three characters, so `wiht` → `with` and `$contxt` → `$context`, but not `taobaoSessionKey`
/// → `taobaoAppSecret`: a wrong suggestion for a credential is worse than none.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let mut best: Option<(&str, usize)> = None;
    for candidate in candidates {
        let distance = strsim::damerau_levenshtein(&word, &candidate.to_ascii_lowercase());
        let longest = word.chars().count().max(candidate.chars().count());
        let close = distance <= 2 && distance * 3 <= longest;
        if close && best.is_none_or(|(_, d)| distance < d) {
            best = Some((candidate, distance));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_titled() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!(!code.title().is_empty());
        }
    }

    #[test]
    fn renders_like_a_compiler() {
        let d = Diagnostic::new(
            Code::UnknownKey,
            Pos::new(3, 5),
            "/do/0/a",
            "unknown key `wiht`",
        )
        .with_help("did you mean `with`?");
        assert_eq!(
            d.render("f.yaml"),
            "f.yaml:3:5: error[SW0101]: unknown key `wiht`\n  help: did you mean `with`?"
        );
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("wiht", ["with", "then", "if"]), Some("with"));
        assert_eq!(did_you_mean("zzzz", ["with", "then", "if"]), None);
        assert_eq!(did_you_mean("cal", ["call", "set"]), Some("call"));
        assert_eq!(
            did_you_mean("ecxeptWhen", ["exceptWhen", "when"]),
            Some("exceptWhen")
        );
        assert_eq!(
            did_you_mean("taobaoSessionKey", ["taobaoAppSecret", "taobaoAppKey"]),
            None
        );
        assert_eq!(did_you_mean("method", ["metadata", "then"]), None);
    }
}
