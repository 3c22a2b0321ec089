//! YAML reading with positions in the user's file.
//!
//! `site.yaml`, front matter and `data/` files all come through here, so this
//! is the only module that knows serde_yaml. A document is parsed into a
//! mapping once; [`Fields`] then takes typed values out of it key by key, so a
//! bad value in one field is reported at that field's line and column and the
//! other fields are still checked. Positions are counted in the file, not in
//! the YAML block: front matter starts on line 2 of a page.

use crate::base::diagnostics::{suggestion, Diagnostic, Pos};
use serde::de::DeserializeOwned;
// The only module that names the YAML crate: every other module uses these,
// so moving to another serde YAML crate is a change here alone.
pub(crate) use serde_yaml::{from_str, from_value, Mapping, Value};

/// A value from a YAML file with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located<T> {
    pub value: T,
    pub pos: Option<Pos>,
}

/// YAML text and where it sits in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub text: &'a str,
    /// Path relative to the site folder, for messages.
    pub file: &'a str,
    /// The file line (1-based) on which `text` starts.
    pub first_line: usize,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str, file: &'a str, first_line: usize) -> Self {
        Source {
            text,
            file,
            first_line,
        }
    }

    /// Parses the text as a mapping of keys; an empty document is an empty mapping.
    pub(crate) fn parse_mapping(&self, what: &str) -> Result<Mapping, Diagnostic> {
        if self.text.trim().is_empty() {
            return Ok(Mapping::new());
        }
        match serde_yaml::from_str::<Value>(self.text) {
            Ok(Value::Mapping(map)) => Ok(map),
            Ok(Value::Null) => Ok(Mapping::new()),
            Ok(other) => Err(Diagnostic::error(
                "yaml-not-mapping",
                self.file,
                format!(
                    "{what} must be a mapping of `key: value` lines, found {}",
                    describe(&other)
                ),
            )
            .at(self.first_line, 1)),
            Err(err) => Err(self.syntax_error(&err)),
        }
    }

    /// Parses any YAML value (for `data/` files).
    pub(crate) fn parse_value(&self) -> Result<Value, Diagnostic> {
        serde_yaml::from_str::<Value>(self.text).map_err(|e| self.syntax_error(&e))
    }

    fn syntax_error(&self, err: &serde_yaml::Error) -> Diagnostic {
        let message = strip_location(&err.to_string());
        let diagnostic =
            Diagnostic::error("yaml-syntax", self.file, format!("invalid YAML: {message}"));
        let diagnostic = match err.location() {
            Some(loc) => diagnostic.at(self.first_line + loc.line() - 1, loc.column()),
            None => diagnostic.at(self.first_line, 1),
        };
        match yaml_hint(&message, self.text) {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        }
    }

    /// Where the value of `path` (for example `["form", "thank_you"]`)
    /// starts, or the key itself when the value is on another line; falls
    /// back to the deepest parent found.
    pub(crate) fn locate(&self, path: &[&str]) -> Option<Pos> {
        let mut found = None;
        let mut parent_indent: Option<usize> = None;
        let mut depth = 0;
        for (index, line) in self.text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            match parent_indent {
                Some(parent) if indent <= parent => break,
                None if indent > 0 => continue,
                _ => {}
            }
            if let Some(value_start) = key_match(trimmed, path[depth]) {
                let key_col = line[..indent].chars().count() + 1;
                let value_col = key_col + trimmed[..value_start].chars().count();
                let rest = trimmed[value_start..].trim();
                let col = if rest.is_empty() || rest.starts_with('#') {
                    key_col
                } else {
                    value_col
                };
                found = Some(Pos::new(self.first_line + index, col));
                depth += 1;
                if depth == path.len() {
                    break;
                }
                parent_indent = Some(indent);
            }
        }
        found
    }

    /// Position of the key itself (not its value), for "unknown key" errors.
    pub(crate) fn locate_key(&self, path: &[&str]) -> Option<Pos> {
        let pos = self.locate(path)?;
        let line = self.text.lines().nth(pos.line - self.first_line)?;
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        Some(Pos::new(pos.line, indent + 1))
    }
}

/// If `trimmed` starts with `key:` (optionally quoted), the byte offset where the value starts.
fn key_match(trimmed: &str, key: &str) -> Option<usize> {
    for quote in ["", "\"", "'"] {
        let Some(rest) = trimmed
            .strip_prefix(quote)
            .and_then(|r| r.strip_prefix(key))
        else {
            continue;
        };
        let Some(rest) = rest.strip_prefix(quote) else {
            continue;
        };
        let after_spaces = rest.trim_start_matches([' ', '\t']);
        if let Some(value) = after_spaces.strip_prefix(':') {
            if value.is_empty() || value.starts_with([' ', '\t']) {
                let value_start = trimmed.len() - value.trim_start_matches([' ', '\t']).len();
                return Some(value_start);
            }
        }
    }
    None
}

/// serde_yaml appends "at line X column Y" to messages; we print our own position.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn yaml_hint(message: &str, text: &str) -> Option<String> {
    if message.contains("mapping values are not allowed") {
        return Some(
            "a value containing `: ` must be quoted, for example `title: \"Coffee: the guide\"`"
                .into(),
        );
    }
    if text.contains('\t') && message.contains("tab") {
        return Some("YAML indentation uses spaces, not tabs".into());
    }
    if message.contains("did not find expected key")
        || message.contains("could not find expected ':'")
    {
        return Some("check the indentation and that every line is `key: value`".into());
    }
    None
}

/// A short description of a YAML value for "expected X, found Y" messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("\"{s}\""),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Typed access to the keys of one YAML mapping, reporting into `errors`.
pub(crate) struct Fields<'a> {
    map: &'a Mapping,
    source: Source<'a>,
    /// Keys of the parent mappings, for nested positions and messages.
    prefix: Vec<&'a str>,
    pub errors: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Mapping, source: Source<'a>) -> Self {
        Fields {
            map,
            source,
            prefix: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Fields of a nested mapping at `key`; its errors are collected by the caller.
    pub(crate) fn nested(&self, key: &'a str, map: &'a Mapping) -> Fields<'a> {
        let mut prefix = self.prefix.clone();
        prefix.push(key);
        Fields {
            map,
            source: self.source,
            prefix,
            errors: Vec::new(),
        }
    }

    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The value at `key` as `T`, or `None` (with an error) when it has the wrong shape.
    pub(crate) fn get<T: DeserializeOwned>(&mut self, key: &'a str, expected: &str) -> Option<T> {
        let value = self.raw(key)?;
        match serde_yaml::from_value::<T>(value.clone()) {
            Ok(v) => Some(v),
            Err(_) => {
                let message = format!(
                    "`{}` must be {expected}, found {}",
                    self.dotted(key),
                    describe(value)
                );
                self.error("invalid-value", key, message);
                None
            }
        }
    }

    /// A string field that must be present and not blank.
    pub(crate) fn required_string(&mut self, key: &'a str, hint: &str) -> Option<String> {
        if self.raw(key).is_none() {
            let message = format!("missing required field `{}`", self.dotted(key));
            let pos = self
                .parent_pos()
                .unwrap_or(Pos::new(self.source.first_line, 1));
            let diagnostic = Diagnostic::error("missing-field", self.source.file, message);
            self.errors
                .push(diagnostic.at_pos(Some(pos)).with_hint(hint));
            return None;
        }
        let value: String = self.get(key, "text")?;
        if value.trim().is_empty() {
            let message = format!("`{}` is empty", self.dotted(key));
            self.error("missing-field", key, message);
            return None;
        }
        Some(value)
    }

    /// Reports every key that is not in `known`, with a suggestion.
    pub(crate) fn reject_unknown(&mut self, known: &[&str]) {
        for key in self.map.keys() {
            let Some(name) = key.as_str() else {
                let message = format!("keys must be text, found {}", describe(key));
                self.errors.push(
                    Diagnostic::error("unknown-key", self.source.file, message)
                        .at_pos(self.parent_pos()),
                );
                continue;
            };
            if known.contains(&name) {
                continue;
            }
            let mut path = self.prefix.clone();
            path.push(name);
            let pos = self.source.locate_key(&path);
            let message = format!(
                "unknown key `{}`{}",
                self.dotted(name),
                suggestion(name, known.iter().copied())
            );
            let diagnostic =
                Diagnostic::error("unknown-key", self.source.file, message).at_pos(pos);
            self.errors
                .push(diagnostic.with_hint(format!("known keys here: {}", known.join(", "))));
        }
    }

    /// Position of the value at `key`.
    pub(crate) fn pos(&self, key: &str) -> Option<Pos> {
        let mut path = self.prefix.clone();
        path.push(key);
        self.source.locate(&path)
    }

    fn parent_pos(&self) -> Option<Pos> {
        if self.prefix.is_empty() {
            None
        } else {
            self.source.locate_key(&self.prefix)
        }
    }

    /// Records an error at the value of `key`.
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        key: &str,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let pos = self.pos(key).or_else(|| self.parent_pos());
        self.errors
            .push(Diagnostic::error(code, self.source.file, message).at_pos(pos));
        self.errors.last_mut().expect("just pushed")
    }

    pub(crate) fn dotted(&self, key: &str) -> String {
        let mut parts = self.prefix.clone();
        parts.push(key);
        parts.join(".")
    }

    pub(crate) fn source(&self) -> Source<'a> {
        self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "title: Hello\nstage:   subscibe\nform:\n  fields: [email]\n  thank_you: thanks.md\nprice: { amount: 9 }\n";

    #[test]
    fn locates_values_with_file_offset() {
        let source = Source::new(TEXT, "content/a.md", 2);
        assert_eq!(source.locate(&["stage"]), Some(Pos::new(3, 10)));
        assert_eq!(source.locate(&["form", "thank_you"]), Some(Pos::new(6, 14)));
        assert_eq!(
            source.locate_key(&["form", "thank_you"]),
            Some(Pos::new(6, 3))
        );
        // A flow mapping falls back to its parent's line.
        assert_eq!(source.locate(&["price", "amount"]), Some(Pos::new(7, 8)));
        assert_eq!(source.locate(&["missing"]), None);
    }

    #[test]
    fn nested_lookup_stays_inside_its_parent() {
        let text = "form:\n  submit: Go\nthank_you: x\n";
        let source = Source::new(text, "a", 1);
        assert_eq!(source.locate(&["form", "thank_you"]), Some(Pos::new(1, 1)));
    }

    #[test]
    fn syntax_errors_are_offset_to_the_file() {
        let source = Source::new("title: a\nbad: [unclosed\n", "content/a.md", 2);
        let err = source.parse_mapping("front matter").unwrap_err();
        assert_eq!(err.code, "yaml-syntax");
        assert!(err.line.unwrap() >= 3, "{err}");
    }

    #[test]
    fn wrong_types_are_reported_per_field() {
        let text = "draft: maybe\nnoindex: 3\n";
        let source = Source::new(text, "content/a.md", 2);
        let map = source.parse_mapping("front matter").unwrap();
        let mut fields = Fields::new(&map, source);
        assert_eq!(fields.get::<bool>("draft", "true or false"), None);
        assert_eq!(fields.get::<bool>("noindex", "true or false"), None);
        assert_eq!(fields.errors.len(), 2);
        assert_eq!(fields.errors[0].line, Some(2));
        assert_eq!(fields.errors[0].column, Some(8));
        assert_eq!(fields.errors[1].line, Some(3));
    }
}
