//! Errors and warnings about a user's site, and how they are printed.
//!
//! Every stage of the pipeline reports problems in the user's files as
//! [`Diagnostic`]s: a severity, the file relative to the site folder, a line
//! and column where the input has them, a stable `code`, a message and an
//! optional hint. Stages collect them in [`Diagnostics`] and keep going, so one
//! run reports every error of every file. `main` prints them once, as text in
//! the rustc-like format of SPEC.md or as the JSON object of `check`.

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a diagnostic is: errors stop a build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in the user's site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(skip)]
    pub severity: Severity,
    /// Path relative to the site folder, with `/` separators.
    pub file: String,
    /// 1-based line in the file, when the input has one.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the input has one.
    pub column: Option<usize>,
    /// Stable identifier of the kind of problem, documented in the README.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Most hints are the same words for every file: those are not
    /// copied (a build of 100,000 pages has 250,000 of them).
    pub hint: Option<Cow<'static, str>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: None,
            column: None,
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    /// Sets the position; a line of 0 means "unknown" and is dropped.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        if line > 0 {
            self.line = Some(line);
            self.column = Some(column.max(1));
        }
        self
    }

    pub fn at_pos(self, pos: Option<Pos>) -> Self {
        match pos {
            Some(p) => self.at(p.line, p.column),
            None => self,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // User text reaches the terminal through here: see `terminal_safe`.
        write!(f, "{label}: {}", terminal_safe(&self.file))?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", terminal_safe(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = help: {}", terminal_safe(hint))?;
        }
        Ok(())
    }
}

/// `text` with control characters (ESC, carriage return, backspace, BEL,
/// the C1 controls, and newlines) written as `\u{1b}`-style escapes, so user
/// text in a message cannot move the cursor, erase lines, fake another
/// message or retitle the terminal. Tabs are kept.
fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            safe.push_str(&c.escape_unicode().to_string());
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// A line and column in a user's file, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn new(line: usize, column: usize) -> Self {
        Pos { line, column }
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, position and message so output never depends on the
    /// order in which parallel workers finished; errors come before warnings.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (a.severity, &a.file, a.line, a.column, &a.message)
                .cmp(&(b.severity, &b.file, b.line, b.column, &b.message))
        });
        self.items.dedup();
    }

    /// The JSON object of `check --format json`: `{ "errors": [...], "warnings": [...] }`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Report<'a> {
            errors: Vec<&'a Diagnostic>,
            warnings: Vec<&'a Diagnostic>,
        }
        let report = Report {
            errors: self.errors().collect(),
            warnings: self.warnings().collect(),
        };
        serde_json::to_string_pretty(&report).expect("diagnostics always serialize")
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Diagnostics {
            items: iter.into_iter().collect(),
        }
    }
}

/// Formats `path` relative to `site` with `/` separators, for messages.
pub(crate) fn display_path(site: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(site).unwrap_or(path).to_path_buf();
    // Joined by component, not by replacing `\\`: on Unix a backslash is a
    // character of a file name (`a\\b.md`), not a separator.
    let text = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.to_string()))
        .map(|(_, c)| c)
}

/// Formats the "did you mean" suffix for a message, or nothing.
pub(crate) fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let stages = ["aware", "engage", "subscribe", "convert"];
        assert_eq!(did_you_mean("subscibe", stages), Some("subscribe"));
        assert_eq!(did_you_mean("Convert", stages), Some("convert"));
        assert_eq!(did_you_mean("zzzzzzzz", stages), None);
        // Distance counts characters, not bytes: one Greek accent is one edit.
        assert_eq!(did_you_mean("σελιδα", ["σελίδα"]), Some("σελίδα"));
    }

    #[test]
    fn user_text_cannot_drive_the_terminal() {
        let stage = "x\u{1b}[2K\r\u{1b}]0;pwned\u{7}\nBuilt 12 pages\u{9b}";
        let d = Diagnostic::error(
            "unknown-stage",
            "content/\u{1b}[1Ax.md",
            format!("unknown stage \"{stage}\""),
        )
        .with_hint("a\u{8}b\tc");
        assert_eq!(
            d.to_string(),
            "error: content/\\u{1b}[1Ax.md: unknown stage \"x\\u{1b}[2K\\u{d}\\u{1b}]0;pwned\\u{7}\\u{a}Built 12 pages\\u{9b}\"\n  = help: a\\u{8}b\tc"
        );
        // JSON keeps the text exact (JSON escapes control characters itself).
        let json = Diagnostics::from_iter([d.clone()]).to_json();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["errors"][0]["message"], d.message.as_str());
        assert!(!json.contains('\u{1b}'));
    }

    #[test]
    fn display_matches_spec() {
        let d = Diagnostic::error(
            "unknown-stage",
            "content/x.md",
            "unknown stage \"subscibe\"",
        )
        .at(4, 8);
        assert_eq!(
            d.to_string(),
            "error: content/x.md:4:8: unknown stage \"subscibe\""
        );
        let w = Diagnostic::warning("dead-end", "content/y.md", "dead end");
        assert_eq!(w.to_string(), "warning: content/y.md: dead end");
    }
}
