//! YAML reading with positions in the user's file.
//!
//! `site.yaml`, front matter and `data/` files all come through here, so this
//! is the only module that knows serde_yaml. A document is parsed into a
//! mapping once; [`Fields`] then takes typed values out of it key by key, so a
//! bad value in one field is reported at that field's line and column and the
//! other fields are still checked. Positions are counted in the file, not in
//! the YAML block: front matter starts on line 2 of a page.

use crate::base::diagnostics::{suggestion, Diagnostic, Pos};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
// The only module that names the YAML crate: every other module uses these,
// so moving to another serde YAML crate is a change here alone.
#[cfg(test)]
pub(crate) use serde_yaml::from_str;
pub(crate) use serde_yaml::{from_value, Mapping, Value};
use std::cell::Cell;
use std::fmt;

/// A closed set of names (`deploy: netlify`), read once into an enum where
/// the YAML is read, so no later stage compares strings.
pub(crate) trait Choice: Copy + PartialEq + 'static {
    /// Every name with its value, in the order a hint lists them.
    const NAMES: &'static [(&'static str, Self)];

    /// The name as written in YAML.
    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, value)| *value == self)
            .map_or("", |(name, _)| name)
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    fn names() -> Vec<&'static str> {
        Self::NAMES.iter().map(|(name, _)| *name).collect()
    }
}

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
        match self.parse_guarded()? {
            Value::Mapping(map) => Ok(map),
            Value::Null => Ok(Mapping::new()),
            other => Err(Diagnostic::error(
                "yaml-not-mapping",
                self.file,
                format!(
                    "{what} must be a mapping of `key: value` lines, found {}",
                    describe(&other)
                ),
            )
            .at(self.first_line, 1)),
        }
    }

    /// Parses any YAML value (for `data/` files).
    pub(crate) fn parse_value(&self) -> Result<Value, Diagnostic> {
        self.parse_guarded()
    }

    /// Parses the text, refusing what [`guard`] refuses. Only aliases
    /// (`*name`) expand, and deep flow nesting is found by a quick scan,
    /// so a text without either is parsed once and its value walked for
    /// keys that are not text; [`guard`], a second parse, then runs only
    /// to say where such a key is. (Guarding every text first was a
    /// second parse of every page's front matter.)
    fn parse_guarded(&self) -> Result<Value, Diagnostic> {
        let aliases = self.text.contains('*');
        if aliases || flow_too_deep(self.text).is_some() {
            self.guard()?;
        }
        let value = serde_yaml::from_str::<Value>(self.text).map_err(|e| self.syntax_error(&e))?;
        if !aliases && has_non_text_key(&value) {
            self.guard()?;
        }
        Ok(value)
    }

    /// [`guard`] as a diagnostic at the place in the file.
    fn guard(&self) -> Result<(), Diagnostic> {
        guard(self.text).map_err(|e| {
            if let GuardError::Yaml(err) = &e {
                return self.syntax_error(err);
            }
            let (line, column) = e.at().unwrap_or((1, 1));
            Diagnostic::error(e.code(), self.file, e.message())
                .at(self.first_line + line - 1, column)
                .with_hint(e.hint())
        })
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
    /// back to the deepest parent found. A segment `[N]` is item N (from 0)
    /// of a block list (`- ...`), a form no plain key takes. Keys of a flow
    /// mapping written on one line (`checkout: { url: ... }`) are found at
    /// their own column.
    pub(crate) fn locate(&self, path: &[&str]) -> Option<Pos> {
        self.walk(path).map(|(_, value)| value)
    }

    /// Where `word` is first written as a whole word (not inside a longer
    /// name) at or after `from`: the place of an item inside a YAML list,
    /// which [`Source::locate`] (keys only) cannot give.
    pub(crate) fn find_word(&self, from: Pos, word: &str) -> Option<Pos> {
        let lines = self
            .text
            .lines()
            .enumerate()
            .skip(from.line.checked_sub(self.first_line)?);
        for (index, line) in lines {
            let line_no = self.first_line + index;
            let skip = if line_no == from.line {
                from.column - 1
            } else {
                0
            };
            let start = line.char_indices().nth(skip).map_or(line.len(), |(i, _)| i);
            let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
            for (at, _) in line[start..].match_indices(word) {
                let at = start + at;
                let before = line[..at].chars().next_back();
                let after = line[at + word.len()..].chars().next();
                if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                    return Some(Pos::new(line_no, line[..at].chars().count() + 1));
                }
            }
        }
        None
    }

    /// Position of the key itself (not its value), for "unknown key" errors.
    pub(crate) fn locate_key(&self, path: &[&str]) -> Option<Pos> {
        self.walk(path).map(|(key, _)| key)
    }

    /// Where [`Source::locate`]'s path is: its key and its value.
    fn walk(&self, path: &[&str]) -> Option<(Pos, Pos)> {
        let mut found = None;
        let mut parent_indent: Option<usize> = None;
        let mut depth = 0;
        // The indent of the list items under the parent, and how many were seen.
        let (mut item_indent, mut items) = (None, 0);
        'lines: for (index, line) in self.text.lines().enumerate() {
            for (indent, text, dash) in entries(line) {
                match parent_indent {
                    Some(parent) if indent <= parent => break 'lines,
                    None if indent > 0 => continue,
                    _ => {}
                }
                let col = |offset: usize| line[..offset].chars().count() + 1;
                let at = |offset: usize| Pos::new(self.first_line + index, col(indent + offset));
                let matched = match index_segment(path[depth]) {
                    Some(n) if dash && *item_indent.get_or_insert(indent) == indent => {
                        items += 1;
                        (items == n + 1).then(|| (at(0), at(0), 1))
                    }
                    Some(_) => None,
                    None if dash => None,
                    None => entry_match(text, &path[depth..]).map(|(k, v, n)| (at(k), at(v), n)),
                };
                if let Some((key, value, segments)) = matched {
                    found = Some((key, value));
                    depth += segments;
                    if depth == path.len() {
                        break 'lines;
                    }
                    (parent_indent, item_indent, items) = (Some(indent), None, 0);
                }
            }
        }
        found
    }
}

/// The parts of one line, each with its byte offset in the line: every
/// `- ` that opens a list item (`true`), then the text after them.
fn entries(line: &str) -> Vec<(usize, &str, bool)> {
    let mut parts = Vec::new();
    let mut at = line.len() - line.trim_start().len();
    loop {
        let rest = &line[at..];
        if rest.is_empty() || rest.starts_with('#') {
            break;
        }
        if rest == "-" || rest.starts_with("- ") {
            parts.push((at, "-", true));
            at += 1 + (rest[1..].len() - rest[1..].trim_start().len());
            continue;
        }
        parts.push((at, rest, false));
        break;
    }
    parts
}

/// Where `path` starts in the text of one line's entry: the byte offsets
/// of the key and of its value (the key's when the value is on the next
/// lines), and how many segments of `path` it matched: more than one when
/// the value is a flow mapping (`checkout: { url: ... }`) that holds the
/// next keys, or when the entry is a flow mapping itself (`- { name: A }`).
fn entry_match(text: &str, path: &[&str]) -> Option<(usize, usize, usize)> {
    if text.starts_with('{') {
        return flow_entry(text, path);
    }
    let value_start = key_match(text, path[0])?;
    let value = &text[value_start..];
    if value.trim().is_empty() || value.starts_with('#') {
        return Some((0, 0, 1));
    }
    if path.len() > 1 && value.starts_with('{') {
        if let Some((key, at, n)) = flow_entry(value, &path[1..]) {
            return Some((value_start + key, value_start + at, n + 1));
        }
    }
    Some((0, value_start, 1))
}

/// [`entry_match`] inside the flow mapping that `text` opens (`{ a: 1,
/// b: { c: 2 } }`): the key `path[0]` among its own keys (not those of a
/// nested value), then the next keys in its value while it is a flow
/// mapping too. Quoted text is skipped; the mapping ends at its `}` or at
/// the end of the line.
fn flow_entry(text: &str, path: &[&str]) -> Option<(usize, usize, usize)> {
    index_segment(path[0]).is_none().then_some(())?;
    let bytes = text.as_bytes();
    let (mut depth, mut quote, mut i) = (0usize, None, 0);
    while i < bytes.len() {
        let b = bytes[i];
        match (quote, b) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), _) if q == b => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if i > 0 && b" \t{[,:".contains(&bytes[i - 1]) => {
                quote = Some(b);
            }
            (None, b'{' | b'[') => depth += 1,
            (None, b'}' | b']') if depth <= 1 => return None,
            (None, b'}' | b']') => depth -= 1,
            _ => {}
        }
        if quote.is_none() && depth == 1 && (b == b'{' || b == b',') {
            let start = i + 1 + (text[i + 1..].len() - text[i + 1..].trim_start().len());
            if let Some((key, value, n)) = flow_key(&text[start..], path) {
                return Some((start + key, start + value, n));
            }
        }
        i += 1;
    }
    None
}

/// The key `path[0]` at the start of `text` inside a flow mapping, and
/// the keys after it in its value when that is a flow mapping too.
fn flow_key(text: &str, path: &[&str]) -> Option<(usize, usize, usize)> {
    let value_start = key_match(text, path[0])?;
    let value = &text[value_start..];
    if path.len() > 1 && value.starts_with('{') {
        if let Some((key, at, n)) = flow_entry(value, &path[1..]) {
            return Some((value_start + key, value_start + at, n + 1));
        }
    }
    Some((0, value_start, 1))
}

/// N of a path segment `[N]`.
fn index_segment(segment: &str) -> Option<usize> {
    segment.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
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

/// A YAML value written inline (a component argument in braces), guarded
/// like a file; the error is a message without a position.
pub(crate) fn parse_inline(text: &str) -> Result<Value, String> {
    guard(text).map_err(|e| e.message())?;
    serde_yaml::from_str::<Value>(text).map_err(|e| strip_location(&e.to_string()))
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

/// Deepest nesting of `[...]` / `{...}` a YAML text may have; serde_yaml
/// stops at 128 levels only after libyaml has read the whole text, which
/// takes seconds for 100,000 `[`. No real site nests more than a few.
pub(crate) const MAX_DEPTH: usize = 100;

/// Why a YAML text is refused before serde_yaml builds a value from it.
const KEY_ERROR: &str = "funnelcake: non-text key";
const EXPANSION_ERROR: &str = "funnelcake: alias expansion";

/// Whether a mapping anywhere in `value` has a key that is not text.
fn has_non_text_key(value: &Value) -> bool {
    match value {
        Value::Mapping(map) => map
            .iter()
            .any(|(key, value)| !matches!(key, Value::String(_)) || has_non_text_key(value)),
        Value::Sequence(items) => items.iter().any(has_non_text_key),
        Value::Tagged(tagged) => has_non_text_key(&tagged.value),
        _ => false,
    }
}

/// Checks a YAML text before a value is built from it: flow nesting
/// deeper than [`MAX_DEPTH`], a mapping key that is not text (templates
/// cannot hold `1.5:` or `~:` as a key), and aliases that expand to much
/// more than the text itself ("billion laughs"). A text that is not valid
/// YAML is reported here too, so it is never parsed twice.
fn guard(text: &str) -> Result<(), GuardError> {
    if let Some((line, column)) = flow_too_deep(text) {
        return Err(GuardError::Depth { line, column });
    }
    // Nodes and text bytes a document may expand to: twice its size covers
    // any document without aliases; the rest leaves room for a few.
    let budget = Cell::new(text.len().saturating_mul(4).saturating_add(10_000));
    let guard = Guard { budget: &budget };
    match guard.deserialize(serde_yaml::Deserializer::from_str(text)) {
        Ok(()) => Ok(()),
        Err(err) => {
            let message = err.to_string();
            let at = err.location().map(|l| (l.line(), l.column()));
            // serde_yaml puts the path (`a.b[2]: `) before our message.
            if let Some(i) = message.find(KEY_ERROR) {
                let found = strip_location(&message[i + KEY_ERROR.len() + 2..]);
                Err(GuardError::Key(at, found))
            } else if message.contains(EXPANSION_ERROR) {
                Err(GuardError::Expansion(at))
            } else {
                Err(GuardError::Yaml(err))
            }
        }
    }
}

#[derive(Debug)]
enum GuardError {
    Depth {
        line: usize,
        column: usize,
    },
    /// Where the key is, and what it is.
    Key(Option<(usize, usize)>, String),
    Expansion(Option<(usize, usize)>),
    /// Not valid YAML, or serde_yaml's own limits.
    Yaml(serde_yaml::Error),
}

impl GuardError {
    fn message(&self) -> String {
        match self {
            GuardError::Depth { .. } => {
                format!("YAML nested more than {MAX_DEPTH} levels deep")
            }
            GuardError::Key(_, found) => format!("keys must be text, found {found}"),
            GuardError::Expansion(_) => {
                "YAML aliases (`*name`) expand to far more than the file holds".into()
            }
            GuardError::Yaml(err) => strip_location(&err.to_string()),
        }
    }

    fn hint(&self) -> &'static str {
        match self {
            GuardError::Depth { .. } => {
                "close the brackets; values are rarely more than a few levels deep"
            }
            GuardError::Key(..) => "quote the key, for example `\"1.5\": value`",
            GuardError::Expansion(_) | GuardError::Yaml(_) => {
                "repeat the values themselves, or use fewer nested aliases"
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            GuardError::Key(..) => "yaml-key",
            _ => "yaml-limit",
        }
    }

    /// Line and column in the YAML text, 1-based.
    fn at(&self) -> Option<(usize, usize)> {
        match self {
            GuardError::Depth { line, column } => Some((*line, *column)),
            GuardError::Key(at, _) | GuardError::Expansion(at) => *at,
            GuardError::Yaml(err) => err.location().map(|l| (l.line(), l.column())),
        }
    }
}

/// Where `[` or `{` first opens level [`MAX_DEPTH`] + 1 of a flow value
/// (line, column; 1-based). Quoted text and comments are skipped; a bracket
/// in the middle of plain text (`title: a [b]`) opens nothing.
fn flow_too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1, 0);
    let mut quote: Option<char> = None;
    let mut comment = false;
    // Last character that is not a space, and the character before this one.
    let (mut last, mut prev) = ('\n', '\n');
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\n' {
            (line, column, comment, last, prev) = (line + 1, 0, false, '\n', '\n');
            continue;
        }
        column += 1;
        if comment {
            continue;
        }
        if let Some(q) = quote {
            if c == '\\' && q == '"' {
                if chars.next() == Some('\n') {
                    (line, column) = (line + 1, 0);
                }
                column += 1;
            } else if c == q {
                quote = None;
                last = c;
            }
            continue;
        }
        let starts_value =
            last == '\n' || ":-?,".contains(last) || (depth > 0 && "[{".contains(last));
        match c {
            '#' if prev == '\n' || prev.is_whitespace() => comment = true,
            '"' | '\'' if starts_value => quote = Some(c),
            '[' | '{' if depth > 0 || starts_value => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((line, column));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !c.is_whitespace() {
            last = c;
        }
        prev = c;
    }
    None
}

/// Walks a YAML document as serde_yaml reads it, aliases expanded, without
/// building anything; every node and every byte of text spends `budget`.
#[derive(Clone, Copy)]
struct Guard<'b> {
    budget: &'b Cell<usize>,
}

impl Guard<'_> {
    fn spend<E: de::Error>(&self, amount: usize) -> Result<(), E> {
        match self.budget.get().checked_sub(amount.saturating_add(1)) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(EXPANSION_ERROR)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Guard<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Guard<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.spend(text.len())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend(0)?;
        while map.next_key_seed(KeyGuard(self))?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag value`).
        let (_, value) = data.variant::<de::IgnoredAny>()?;
        value.newtype_variant_seed(self)
    }
}

/// A mapping key: text only.
struct KeyGuard<'b>(Guard<'b>);

impl<'de> DeserializeSeed<'de> for KeyGuard<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyGuard<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text key")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.0.spend(text.len())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        Err(key_error(format!("`{b}`")))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        Err(key_error(format!("the number {n}")))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        Err(key_error(format!("the number {n}")))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        Err(key_error(format!("the number {n}")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(key_error("nothing (`~` or `null`)"))
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(key_error("nothing (`~` or `null`)"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(key_error("a list"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(key_error("a mapping"))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(key_error("a tagged value"))
    }
}

fn key_error<E: de::Error>(found: impl fmt::Display) -> E {
    E::custom(format!("{KEY_ERROR}: {found}"))
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
    /// How many segments of `prefix` messages leave out: those that lead
    /// to a mapping inside a data file, which the caller names its own way.
    hidden: usize,
    pub errors: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Mapping, source: Source<'a>) -> Self {
        Fields {
            map,
            source,
            prefix: Vec::new(),
            hidden: 0,
            errors: Vec::new(),
        }
    }

    /// Fields of `map`, found at `prefix` in `source` (segments as
    /// [`Source::locate`] takes them): a mapping inside a data file. Its
    /// messages name keys from `map` on (`checkout.success`), so the caller
    /// says which mapping they are in.
    pub(crate) fn at(map: &'a Mapping, source: Source<'a>, prefix: Vec<&'a str>) -> Self {
        Fields {
            map,
            source,
            hidden: prefix.len(),
            prefix,
            errors: Vec::new(),
        }
    }

    /// Reads the nested mapping at `key` with `read`, after refusing keys
    /// not in `known`: the walk every block of site.yaml and front matter
    /// takes. `None` when the key is absent, or (with an error) when it is
    /// not a mapping; `shape` ends the message ("`forms` must be a mapping
    /// {shape}"). The block's errors join this mapping's.
    pub(crate) fn section<T>(
        &mut self,
        key: &'a str,
        shape: &str,
        known: &[&str],
        read: impl FnOnce(&mut Fields<'a>) -> T,
    ) -> Option<T> {
        let raw = self.raw(key)?;
        let Value::Mapping(map) = raw else {
            let message = format!("`{key}` must be a mapping {shape}");
            self.error("invalid-value", key, message);
            return None;
        };
        let mut section = self.nested(key, map);
        section.reject_unknown(known);
        let value = read(&mut section);
        self.errors.append(&mut section.errors);
        Some(value)
    }

    /// Fields of a nested mapping at `key`; its errors are collected by the caller.
    pub(crate) fn nested(&self, key: &'a str, map: &'a Mapping) -> Fields<'a> {
        let mut prefix = self.prefix.clone();
        prefix.push(key);
        Fields {
            map,
            source: self.source,
            prefix,
            hidden: self.hidden,
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
                .push(diagnostic.at_pos(Some(pos)).with_hint(hint.to_string()));
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

    /// `key`'s path as a message names it: `checkout.success`, also in a
    /// mapping of a data file (see [`Fields::at`]).
    pub(crate) fn dotted(&self, key: &str) -> String {
        let mut parts = self.prefix[self.hidden..].to_vec();
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
        // A key of a flow mapping is found at its own column.
        assert_eq!(source.locate(&["price", "amount"]), Some(Pos::new(7, 18)));
        assert_eq!(
            source.locate_key(&["price", "amount"]),
            Some(Pos::new(7, 10))
        );
        // A key it does not have falls back to the mapping.
        assert_eq!(source.locate(&["price", "currency"]), Some(Pos::new(7, 8)));
        assert_eq!(source.locate(&["missing"]), None);
    }

    #[test]
    fn list_items_are_located_by_index() {
        let text = "# plans\nmonthly:\n  - name: A\n    checkout:\n      success: a.md\n  - name: B\n    features:\n      - x\n      - y\n    checkout: { url: b }\n  -\n    name: C\nyearly:\n  - name: D\n";
        let source = Source::new(text, "data/plans.yaml", 1);
        let at = |path: &[&str]| source.locate(path);
        assert_eq!(
            at(&["monthly", "[0]", "checkout", "success"]),
            Some(Pos::new(5, 16))
        );
        assert_eq!(at(&["monthly", "[0]", "name"]), Some(Pos::new(3, 11)));
        assert_eq!(
            source.locate_key(&["monthly", "[0]", "name"]),
            Some(Pos::new(3, 5))
        );
        // Items of a nested list do not count; a flow mapping's key is found.
        assert_eq!(
            at(&["monthly", "[1]", "checkout", "url"]),
            Some(Pos::new(10, 22))
        );
        assert_eq!(at(&["monthly", "[2]", "name"]), Some(Pos::new(12, 11)));
        assert_eq!(at(&["monthly", "[3]"]), Some(Pos::new(2, 1)));
        assert_eq!(at(&["yearly", "[0]", "name"]), Some(Pos::new(14, 11)));
        let top = Source::new("- a: 1\n- a: 2\n", "data/x.yaml", 1);
        assert_eq!(top.locate(&["[1]", "a"]), Some(Pos::new(2, 6)));
    }

    #[test]
    fn keys_of_a_flow_mapping_are_found_at_their_own_column() {
        let text = "trial:\n  - { name: \"A, b: c\", checkout: { url: 'it''s: x', success: a.md } }\nlast: { x: [1, { success: no }], success: yes }\n";
        let source = Source::new(text, "data/plans.yaml", 1);
        let at = |path: &[&str]| source.locate(path);
        // Keys inside quoted text or nested values are not the mapping's.
        assert_eq!(at(&["trial", "[0]", "name"]), Some(Pos::new(2, 13)));
        assert_eq!(
            at(&["trial", "[0]", "checkout", "success"]),
            Some(Pos::new(2, 62))
        );
        assert_eq!(
            source.locate_key(&["trial", "[0]", "checkout", "success"]),
            Some(Pos::new(2, 53))
        );
        assert_eq!(at(&["last", "success"]), Some(Pos::new(3, 43)));
        assert_eq!(at(&["last", "none"]), Some(Pos::new(3, 7)));
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
        // The block starts on line 2 of the file: `[` opens on line 3 and
        // the text ends on line 4, where the parser gives up.
        assert_eq!(
            err.to_string(),
            "error: content/a.md:4:1: invalid YAML: did not find expected ',' or ']'"
        );
    }

    fn guarded(text: &str) -> String {
        let err = Source::new(text, "data/x.yaml", 3)
            .parse_value()
            .unwrap_err();
        format!(
            "{}:{}: {}: {}",
            err.line.unwrap(),
            err.column.unwrap(),
            err.code,
            err.message
        )
    }

    #[test]
    fn keys_that_are_not_text_are_errors_at_the_key() {
        let found = |key: &str| guarded(&format!("a: 1\nb:\n  {key}: x\n"));
        assert_eq!(
            found("1.5"),
            "5:3: yaml-key: keys must be text, found the number 1.5"
        );
        assert_eq!(
            found("~"),
            "5:3: yaml-key: keys must be text, found nothing (`~` or `null`)"
        );
        assert_eq!(
            found("null"),
            "5:3: yaml-key: keys must be text, found nothing (`~` or `null`)"
        );
        assert_eq!(
            found("true"),
            "5:3: yaml-key: keys must be text, found `true`"
        );
        assert_eq!(
            found("[a, b]"),
            "5:3: yaml-key: keys must be text, found a list"
        );
        assert_eq!(
            guarded("{7: x}"),
            "3:2: yaml-key: keys must be text, found the number 7"
        );
        let quoted = Source::new("\"1.5\": x\n'~': y\n", "a", 1).parse_mapping("x");
        assert_eq!(quoted.unwrap().len(), 2);
    }

    #[test]
    fn nesting_and_expansion_are_bounded() {
        let deep = format!("a: {}", "[".repeat(100_000));
        assert_eq!(
            guarded(&deep),
            "3:104: yaml-limit: YAML nested more than 100 levels deep"
        );
        // Brackets in quotes, comments and the middle of plain text open nothing.
        let text = format!("a: \"{0}\"\nb: x{0}\n# {0}\nc: [[1]]\n", "[".repeat(200));
        assert!(Source::new(&text, "a", 1).parse_value().is_ok());
        let mut laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for (name, previous) in [
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("f", "e"),
            ("g", "f"),
        ] {
            let items = vec![format!("*{previous}"); 10].join(", ");
            laughs.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        assert!(guarded(&laughs)
            .contains("yaml-limit: YAML aliases (`*name`) expand to far more than the file holds"));
        // A few aliases are fine.
        let merge = "base: &base { a: 1 }\nx: *base\ny: [*base, *base]\n";
        assert!(Source::new(merge, "a", 1).parse_value().is_ok());
        assert_eq!(
            parse_inline("{1.5: x}").unwrap_err(),
            "keys must be text, found the number 1.5"
        );
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
