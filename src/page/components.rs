//! Theme components called from Markdown.
//!
//! A marketer builds a landing page from blocks. The call syntax is the one
//! tera 2 uses for components in templates, so a theme author and a
//! marketer read the same thing:
//!
//! ```text
//! {{<cta to="@/offers/kit.md" label="Get the kit" />}}
//!
//! {% <faq title="Questions"> %}
//! {% <qa question="How fresh is it?"> %}
//! Roasted on Monday, at your door on Wednesday.
//! {% </qa> %}
//! {% </faq> %}
//! ```
//!
//! Argument values are `"text"` (or `'text'`), a bare name (`featured`,
//! meaning `true`), or `{...}` holding a YAML flow value (`{3}`, `{true}`,
//! `{[a, b]}`, `{{name: x}}`), a data reference (`{data.testimonials.ana}`)
//! or a spread of a data map (`{...data.testimonials.ana}`). A string value
//! starting with `@/` is a page link, checked and resolved like a Markdown
//! link.
//!
//! [`parse`] runs while a page loads. It replaces each call with an HTML
//! comment marker that keeps the call's lines and columns, so Markdown
//! renders around it and every later position in the body stays exact. The
//! body of a call stays Markdown in place. After the Markdown is rendered,
//! [`expand`] swaps each marker (innermost first) for the component's HTML.
//! Calls inside code spans and code blocks are left as text.

use crate::base::diagnostics::{Diagnostic, Pos};
use crate::base::yaml::Value;
use crate::page::markdown::{BodyLink, LineIndex};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::ops::Range;

/// One component call in a page body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub name: String,
    /// Where the call starts in its file.
    pub pos: Pos,
    pub args: Vec<Arg>,
    /// True for `{% <name> %}...{% </name> %}`.
    pub has_body: bool,
    /// The call whose body holds this one (its index in the page's calls).
    pub parent: Option<usize>,
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    /// `None` for a spread (`{...data.x}`).
    pub name: Option<String>,
    pub value: ArgValue,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArgValue {
    Literal(Value),
    /// A dotted path into `data`, without the leading `data`.
    Data(Vec<String>),
}

/// A body with its component calls replaced by markers.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Parsed {
    pub text: String,
    pub calls: Vec<Call>,
    /// `@/` links given as literal argument values.
    pub links: Vec<BodyLink>,
}

/// Finds the component calls of `body`. `None` when it has none, so the
/// body is used as it is; every malformed call is an error.
pub(crate) fn parse(
    body: &str,
    body_line: usize,
    file: &str,
) -> Result<Option<Parsed>, Vec<Diagnostic>> {
    match parse_partial(body, body_line, file) {
        (parsed, errors) if errors.is_empty() => Ok(parsed),
        (_, errors) => Err(errors),
    }
}

/// [`parse`], keeping the well-formed calls of a body that also has
/// malformed ones, so their own checks still run: every call error of a
/// file is reported in one run. A malformed call is left out of the calls
/// (its text stays in the body).
pub(crate) fn parse_partial(
    body: &str,
    body_line: usize,
    file: &str,
) -> (Option<Parsed>, Vec<Diagnostic>) {
    if !has_call(body) {
        return (None, Vec::new());
    }
    let lines = LineIndex::new(body, body_line);
    let code = code_ranges(body);
    let mut parser = CallParser {
        body,
        lines: &lines,
        file,
        errors: Vec::new(),
    };
    let mut walk = Walk::default();
    let mut at = 0;
    while let Some(found) = next_opening(body, at) {
        at = if let Some(range) = code_around(&code, found) {
            range.end.max(found + 2)
        } else if let Some(tag) = parser.tag(found) {
            let end = tag.end;
            walk.add(&mut parser, found, tag);
            end
        } else {
            found + 2
        };
    }
    walk.report_unclosed(&mut parser);
    let text = splice(body, &walk.markers);
    let parsed = Parsed {
        text,
        calls: walk.calls,
        links: walk.links,
    };
    (Some(parsed), parser.errors)
}

/// The code span or block holding `offset`, if any. The ranges are in
/// order: a binary search keeps many calls linear.
fn code_around(code: &[Range<usize>], offset: usize) -> Option<&Range<usize>> {
    let next_code = code.partition_point(|r| r.end <= offset);
    code.get(next_code).filter(|r| r.contains(&offset))
}

/// What [`parse_partial`] collects while it walks a body's tags.
#[derive(Default)]
struct Walk {
    calls: Vec<Call>,
    links: Vec<BodyLink>,
    /// Replacements of the body: byte range and marker text, in order.
    markers: Vec<(Range<usize>, String)>,
    /// Open body calls: (call index, start offset).
    open: Vec<(usize, usize)>,
}

impl Walk {
    /// Takes in the well-formed tag found at `found`.
    fn add(&mut self, parser: &mut CallParser, found: usize, tag: TagParts) {
        match tag.kind {
            TagKind::SelfClosing | TagKind::Open => self.open_call(parser, found, tag),
            TagKind::Close => self.close_call(parser, found, tag),
        }
    }

    /// A new call: a self-closing one, or the opening tag of a body call.
    fn open_call(&mut self, parser: &CallParser, found: usize, tag: TagParts) {
        let index = self.calls.len();
        for arg in &tag.args {
            collect_links(&arg.value, arg.pos, &mut self.links);
        }
        let has_body = tag.kind == TagKind::Open;
        let raw = &parser.body[found..tag.end];
        self.markers.push((found..tag.end, marker(raw, "", index)));
        self.calls.push(Call {
            name: tag.name,
            pos: parser.lines.position(found),
            args: tag.args,
            has_body,
            parent: self.open.last().map(|&(parent, _)| parent),
        });
        if has_body {
            self.open.push((index, found));
        }
    }

    /// A closing tag: it must close the innermost open call.
    fn close_call(&mut self, parser: &mut CallParser, found: usize, tag: TagParts) {
        match self.open.pop() {
            Some((index, _)) if self.calls[index].name == tag.name => {
                let raw = &parser.body[found..tag.end];
                self.markers.push((found..tag.end, marker(raw, "/", index)));
            }
            Some((index, start)) => {
                let message = format!(
                    "`{{% </{}> %}}` closes `{}`, but `{}` (line {}) is still open",
                    tag.name,
                    tag.name,
                    self.calls[index].name,
                    parser.lines.position(start).line
                );
                let hint = format!(
                    "close it first with `{{% </{}> %}}`",
                    self.calls[index].name
                );
                parser.error(found, message, Some(hint));
                self.open.push((index, start));
            }
            None => {
                let message = format!("`{{% </{}> %}}` closes nothing", tag.name);
                let hint = format!("open it with `{{% <{}> %}}` before", tag.name);
                parser.error(found, message, Some(hint));
            }
        }
    }

    /// Every body call still open at the end of the body is an error.
    fn report_unclosed(&self, parser: &mut CallParser) {
        for &(index, start) in &self.open {
            let name = &self.calls[index].name;
            let message = format!("`{{% <{name}> %}}` is never closed");
            let hint = format!("end its body with `{{% </{name}> %}}`, or write `{{{{<{name} ... />}}}}` if it has no body");
            parser.error(start, message, Some(hint));
        }
    }
}

/// `body` with each range of `markers` (in order) replaced by its marker.
fn splice(body: &str, markers: &[(Range<usize>, String)]) -> String {
    let mut text = String::with_capacity(body.len());
    let mut last = 0;
    for (range, marker) in markers {
        text.push_str(&body[last..range.start]);
        text.push_str(marker);
        last = range.end;
    }
    text.push_str(&body[last..]);
    text
}

/// Quick test before any parsing: most pages call no component.
fn has_call(body: &str) -> bool {
    next_opening(body, 0).is_some()
}

/// Offset of the next `{{` or `{%` followed (after spaces) by `<`.
fn next_opening(body: &str, from: usize) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut at = from;
    while let Some(i) = body.get(at..)?.find('{') {
        let start = at + i;
        if matches!(bytes.get(start + 1), Some(b'{' | b'%')) {
            let rest = &body[start + 2..];
            if rest.trim_start_matches([' ', '\t']).starts_with('<') {
                return Some(start);
            }
        }
        at = start + 1;
    }
    None
}

/// Byte ranges of code spans and code blocks, where calls are plain text.
fn code_ranges(body: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut block_start = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Code(_) => ranges.push(range),
            Event::Start(Tag::CodeBlock(_)) => block_start = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = block_start.take() {
                    ranges.push(start..range.end);
                }
            }
            _ => {}
        }
    }
    ranges
}

/// A marker with the same lines, and the same characters per line, as the
/// call it replaces, so positions after it do not move. Very short calls
/// get a slightly longer marker.
fn marker(call: &str, close: &str, index: usize) -> String {
    let head = format!("<!--{close}fc:{index}");
    let tail = "-->";
    let widths: Vec<usize> = call.split('\n').map(|l| l.chars().count()).collect();
    let last = widths.len() - 1;
    let mut out = String::with_capacity(call.len() + 8);
    for (i, &width) in widths.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut used = 0;
        if i == 0 {
            out.push_str(&head);
            used += head.len();
        }
        let reserve = if i == last { tail.len() } else { 0 };
        // Dots, not spaces: a line of spaces would be a blank line and end
        // the paragraph the marker sits in.
        let fill = width
            .saturating_sub(used + reserve)
            .max(usize::from(i > 0 && i < last));
        out.extend(std::iter::repeat_n('.', fill));
        if i == last {
            out.push_str(tail);
        }
    }
    out
}

fn collect_links(value: &ArgValue, pos: Pos, links: &mut Vec<BodyLink>) {
    if let ArgValue::Literal(value) = value {
        for_each_link(value, &mut |dest| {
            links.push(BodyLink {
                dest: dest.to_string(),
                pos,
            })
        });
    }
}

/// Calls `f` with every string in `value` that is a page link (`@/...`).
pub(crate) fn for_each_link(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) if s.starts_with("@/") => f(s),
        Value::Sequence(items) => items.iter().for_each(|v| for_each_link(v, f)),
        Value::Mapping(map) => map.values().for_each(|v| for_each_link(v, f)),
        Value::Tagged(tagged) => for_each_link(&tagged.value, f),
        _ => {}
    }
}

/// Renders call `index` with its body's HTML.
pub(crate) type RenderCall<'a> = dyn FnMut(usize, Option<&str>) -> Result<String, Diagnostic> + 'a;

/// Replaces the markers in `html` (the rendered body) with the output of
/// `render(call index, body HTML)`, innermost call first. One pass over
/// `html`: each body call collects its body's HTML on a stack until its
/// closing marker, so the work is linear in the page and its calls.
pub(crate) fn expand(
    html: &str,
    calls: &[Call],
    render: &mut RenderCall,
) -> Result<String, Vec<Diagnostic>> {
    let mut errors: Vec<(usize, Diagnostic)> = Vec::new();
    let mut seen = vec![false; calls.len()];
    // The page's HTML, then one frame per open body call: (call, where its
    // opening marker sits in the outer buffer, whether `<p>` precedes it).
    let mut out = vec![String::with_capacity(html.len())];
    let mut open: Vec<(usize, String, bool)> = Vec::new();
    let mut last = 0;
    for found in markers(html, calls.len()) {
        let buffer = out.last_mut().expect("the page's buffer is never popped");
        buffer.push_str(&html[last..found.range.start]);
        last = found.range.end;
        let raw = &html[found.range.clone()];
        let call = &calls[found.index];
        if found.close {
            let Some(depth) = open.iter().rposition(|(i, ..)| *i == found.index) else {
                buffer.push_str(raw);
                continue;
            };
            // Calls opened inside this one and never closed cannot be placed.
            while open.len() > depth + 1 {
                let (index, marker, _) = open.pop().expect("deeper than depth");
                spill(&mut out, &marker);
                errors.push((index, misplaced(&calls[index])));
            }
            let (index, _, in_paragraph) = open.pop().expect("found at depth");
            let body = out.pop().expect("one buffer per open call");
            let body = body.trim_matches('\n');
            let unwrap = in_paragraph && html[last..].starts_with("</p>");
            let result = render(index, Some(body));
            place(&mut out, result, unwrap, &mut last, index, &mut errors);
        } else if seen[found.index] {
            buffer.push_str(raw);
        } else {
            seen[found.index] = true;
            if call.has_body {
                let in_paragraph = buffer.ends_with("<p>");
                open.push((found.index, raw.to_string(), in_paragraph));
                out.push(String::new());
            } else {
                let unwrap = buffer.ends_with("<p>") && html[last..].starts_with("</p>");
                let result = render(found.index, None);
                place(
                    &mut out,
                    result,
                    unwrap,
                    &mut last,
                    found.index,
                    &mut errors,
                );
            }
        }
    }
    finish(html, calls, last, out, open, seen, errors)
}

/// Writes a call's output (or nothing, after an error) into the enclosing
/// buffer; `unwrap` drops the `<p>` before it and the `</p>` after it.
fn place(
    out: &mut [String],
    result: Result<String, Diagnostic>,
    unwrap: bool,
    last: &mut usize,
    index: usize,
    errors: &mut Vec<(usize, Diagnostic)>,
) {
    let buffer = out.last_mut().expect("the page's buffer");
    if unwrap {
        buffer.truncate(buffer.len() - "<p>".len());
        *last += "</p>".len();
    }
    match result {
        Ok(html) => buffer.push_str(html.trim_end_matches('\n')),
        Err(e) => errors.push((index, e)),
    }
}

/// The end of [`expand`]: calls never found or never closed are errors.
fn finish(
    html: &str,
    calls: &[Call],
    last: usize,
    mut out: Vec<String>,
    open: Vec<(usize, String, bool)>,
    seen: Vec<bool>,
    mut errors: Vec<(usize, Diagnostic)>,
) -> Result<String, Vec<Diagnostic>> {
    for (index, marker, _) in open.into_iter().rev() {
        spill(&mut out, &marker);
        errors.push((index, misplaced(&calls[index])));
    }
    let mut page = out.pop().expect("the page's buffer");
    page.push_str(&html[last..]);
    for (index, _) in seen.iter().enumerate().filter(|(_, seen)| !**seen) {
        errors.push((index, misplaced(&calls[index])));
    }
    if errors.is_empty() {
        return Ok(page);
    }
    errors.sort_by_key(|(index, _)| *index);
    Err(errors.into_iter().map(|(_, e)| e).collect())
}

/// Gives up on the innermost open call: its opening marker and the body
/// collected so far go back, as they were, into the enclosing buffer.
fn spill(out: &mut Vec<String>, marker: &str) {
    let inner = out.pop().expect("one buffer per open call");
    let outer = out.last_mut().expect("the page's buffer");
    outer.push_str(marker);
    outer.push_str(&inner);
}

/// The call indexes of the opening markers (`<!--fc:N`) in `html`, in
/// order.
pub(crate) fn opening_markers(html: &str) -> impl Iterator<Item = usize> + '_ {
    html.match_indices("<!--fc:").filter_map(|(at, marker)| {
        let digits = &html[at + marker.len()..];
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits[..end].parse().ok()
    })
}

/// A marker found in rendered HTML.
struct Found {
    index: usize,
    close: bool,
    range: Range<usize>,
}

/// Every `<!--fc:N ... -->` and `<!--/fc:N ... -->` in `html` with `N` a
/// call index, in order.
fn markers(html: &str, count: usize) -> impl Iterator<Item = Found> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let start = at + html.get(at..)?.find("<!--")?;
        at = start + 4;
        let rest = &html[at..];
        let (close, rest) = match (rest.strip_prefix("/fc:"), rest.strip_prefix("fc:")) {
            (Some(r), _) => (true, r),
            (None, Some(r)) => (false, r),
            (None, None) => continue,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Some(index) = rest[..digits].parse::<usize>().ok().filter(|&i| i < count) else {
            continue;
        };
        let Some(end) = rest[digits..].find("-->") else {
            continue;
        };
        let end = html.len() - rest.len() + digits + end + 3;
        at = end;
        return Some(Found {
            index,
            close,
            range: start..end,
        });
    })
}

fn misplaced(call: &Call) -> Diagnostic {
    Diagnostic::error(
        "component",
        String::new(),
        format!("the `{}` component could not be placed", call.name),
    )
    .at(call.pos.line, call.pos.column)
    .with_hint(
        "start the call at the beginning of a line, not indented (four spaces make a code block)",
    )
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum TagKind {
    SelfClosing,
    Open,
    Close,
}

struct TagParts {
    kind: TagKind,
    name: String,
    args: Vec<Arg>,
    end: usize,
}

struct CallParser<'a> {
    body: &'a str,
    lines: &'a LineIndex<'a>,
    file: &'a str,
    errors: Vec<Diagnostic>,
}

impl<'a> CallParser<'a> {
    fn error(&mut self, offset: usize, message: impl Into<String>, hint: Option<String>) {
        let pos = self.lines.position(offset);
        let mut diagnostic =
            Diagnostic::error("component", self.file, message).at(pos.line, pos.column);
        if let Some(hint) = hint {
            diagnostic = diagnostic.with_hint(hint);
        }
        self.errors.push(diagnostic);
    }

    /// Parses the tag at `start` (which is `{{` or `{%`). `None` after an
    /// error, which is recorded.
    fn tag(&mut self, start: usize) -> Option<TagParts> {
        let body = self.body;
        let curly = body[start..].starts_with("{{");
        let mut at = skip_spaces(body, start + 2) + 1; // past `<`
        let closing = !curly && body[at..].starts_with('/');
        if closing {
            at += 1;
        }
        let (name, name_end) = self.tag_name(start, at)?;
        at = name_end;
        let mut args = Vec::new();
        if !closing {
            at = self.args(start, &mut args, at)?;
        }
        let kind = match (curly, closing) {
            (true, _) => TagKind::SelfClosing,
            (false, false) => TagKind::Open,
            (false, true) => TagKind::Close,
        };
        let end = self.tag_end(at, kind, &name)?;
        Some(TagParts {
            kind,
            name,
            args,
            end,
        })
    }

    /// The component name at `at` of the tag at `start`, and where it ends.
    fn tag_name(&mut self, start: usize, at: usize) -> Option<(String, usize)> {
        let body = self.body;
        let name_end = at
            + body[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                .unwrap_or(body.len() - at);
        let name = &body[at..name_end];
        if name.is_empty() || !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            let hint = "a component call looks like `{{<cta label=\"Go\" />}}`; write `{{ \\<` to show the text as it is";
            self.error(
                start,
                "expected a component name after `<`",
                Some(hint.into()),
            );
            return None;
        }
        Some((name.to_string(), name_end))
    }

    /// The end of a `kind` tag after its arguments (at `at`): `/>}}`,
    /// `> %}` or, split by spaces, the same. Returns the offset after it.
    fn tag_end(&mut self, at: usize, kind: TagKind, name: &str) -> Option<usize> {
        let body = self.body;
        let close = match kind {
            TagKind::SelfClosing => ["/>", "}}"],
            TagKind::Open | TagKind::Close => [">", "%}"],
        };
        let end_at = skip_space_lines(body, at);
        let rest = &body[end_at..];
        if !rest.starts_with(close[0]) {
            // Where the end belongs: after the last argument, not where
            // the next text (often the next call) starts.
            let end_at = if rest.is_empty() || next_opening(body, end_at) == Some(end_at) {
                at
            } else {
                end_at
            };
            let expected = format!("{}{}", close[0], close[1]);
            let hint = match kind {
                TagKind::SelfClosing => {
                    format!("end the call with `/>}}}}`: `{{{{<{name} ... />}}}}`")
                }
                TagKind::Open => format!("end the tag with `> %}}`: `{{% <{name} ...> %}}`"),
                TagKind::Close => format!("write `{{% </{name}> %}}`"),
            };
            self.error(
                end_at,
                format!("expected `{expected}` to end the `{name}` tag"),
                Some(hint),
            );
            return None;
        }
        let after = skip_spaces(body, end_at + close[0].len());
        if !body[after..].starts_with(close[1]) {
            let hint = format!("end the tag with `{}{}`", close[0], close[1]);
            self.error(
                after,
                format!("expected `{}` to end the `{name}` tag", close[1]),
                Some(hint),
            );
            return None;
        }
        Some(after + close[1].len())
    }

    /// Parses arguments from `at` up to the tag's end; returns where they stop.
    fn args(&mut self, start: usize, args: &mut Vec<Arg>, mut at: usize) -> Option<usize> {
        let body = self.body;
        loop {
            let next = skip_space_lines(body, at);
            if body[at..next].matches('\n').count() >= 2 {
                self.error(
                    start,
                    "a component tag cannot contain a blank line",
                    Some("keep the tag's arguments together, one per line if you like".into()),
                );
                return None;
            }
            // A tag left unended before the next call: stop here, so the
            // error is at this tag and the next call is parsed on its own.
            if next_opening(body, next) == Some(next) {
                return Some(at);
            }
            at = next;
            let rest = &body[at..];
            if rest.is_empty()
                || rest.starts_with("/>")
                || rest.starts_with('>')
                || rest.starts_with("}}")
                || rest.starts_with("%}")
            {
                return Some(at);
            }
            let (arg, end) = if rest.starts_with('{') {
                self.spread(at)?
            } else {
                self.named(at, args)?
            };
            args.push(arg);
            at = end;
        }
    }

    /// A spread at `at`: `{...data.path}`. Returns it and the offset after it.
    fn spread(&mut self, at: usize) -> Option<(Arg, usize)> {
        let pos = self.lines.position(at);
        let (inner, end) = self.braces(at)?;
        let Some(path) = inner.trim().strip_prefix("...") else {
            self.error(
                at,
                "expected an argument name",
                Some(
                    "write `name={value}`, or `{...data.name}` to pass every key of a data map"
                        .into(),
                ),
            );
            return None;
        };
        let Some(path) = data_path(path.trim()) else {
            self.error(
                at,
                format!("`{{...{}}}` spreads only data maps", path.trim()),
                Some("write `{...data.file.key}`".into()),
            );
            return None;
        };
        let arg = Arg {
            name: None,
            value: ArgValue::Data(path),
            pos,
        };
        Some((arg, end))
    }

    /// A named argument at `at` (`featured`, `label="Go"`, `columns={3}`),
    /// not one of the `given` ones again. Returns it and the offset after it.
    fn named(&mut self, at: usize, given: &[Arg]) -> Option<(Arg, usize)> {
        let body = self.body;
        let rest = &body[at..];
        let pos = self.lines.position(at);
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name_len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            let found = rest.chars().next().unwrap_or(' ');
            self.error(
                at,
                format!("unexpected `{found}` in the component tag"),
                Some("arguments look like `label=\"Go\"`, `columns={3}` or `featured`".into()),
            );
            return None;
        }
        let name = rest[..name_len].to_string();
        if given
            .iter()
            .any(|a| a.name.as_deref() == Some(name.as_str()))
        {
            self.error(at, format!("argument `{name}` is given twice"), None);
            return None;
        }
        let after_name = skip_spaces(body, at + name_len);
        let (value, end) = if body[after_name..].starts_with('=') {
            self.value(&name, skip_spaces(body, after_name + 1))?
        } else {
            (ArgValue::Literal(Value::Bool(true)), at + name_len)
        };
        let arg = Arg {
            name: Some(name),
            value,
            pos,
        };
        Some((arg, end))
    }

    /// The value of argument `name` at `at`: quoted text or `{...}`.
    fn value(&mut self, name: &str, at: usize) -> Option<(ArgValue, usize)> {
        match self.body[at..].chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let (text, end) = self.string(at, quote)?;
                Some((ArgValue::Literal(Value::String(text)), end))
            }
            Some('{') => self.braced_value(name, at),
            _ => {
                self.error(
                    at,
                    format!("expected a value for `{name}`"),
                    Some(format!("write `{name}=\"text\"` or `{name}={{3}}`")),
                );
                None
            }
        }
    }

    /// A `{...}` value of argument `name` at `at`: a data reference or a
    /// YAML flow value.
    fn braced_value(&mut self, name: &str, at: usize) -> Option<(ArgValue, usize)> {
        let (inner, end) = self.braces(at)?;
        let inner = inner.trim();
        if let Some(path) = data_path(inner) {
            return Some((ArgValue::Data(path), end));
        }
        match crate::base::yaml::parse_inline(inner) {
            Ok(value) if !inner.is_empty() => Some((ArgValue::Literal(value), end)),
            Ok(_) => {
                self.error(at, format!("`{name}={{}}` has no value"), None);
                None
            }
            Err(e) => {
                let message = format!("the value of `{name}` is not valid: {}", first_line(&e));
                self.error(at, message, Some("write text in quotes (`\"...\"`), or a number, `true`, `[a, b]` or `{a: 1}` in braces".into()));
                None
            }
        }
    }

    /// A quoted string at `at`; returns its text and the offset after it.
    fn string(&mut self, at: usize, quote: char) -> Option<(String, usize)> {
        let mut text = String::new();
        let mut chars = self.body[at + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => text.push('\n'),
                    Some((_, c)) => text.push(c),
                    None => break,
                },
                c if c == quote => return Some((text, at + 1 + i + 1)),
                '\n' if self.body[at + 1 + i + 1..].starts_with('\n')
                    || starts_call(self.body, at + 1 + i + 1) =>
                {
                    break
                }
                c => text.push(c),
            }
        }
        self.error(
            at,
            "this text is never closed",
            Some(format!("end it with {quote}")),
        );
        None
    }

    /// A `{...}` value at `at`, braces and brackets balanced and quotes
    /// respected; returns what is inside and the offset after it.
    fn braces(&mut self, at: usize) -> Option<(&'a str, usize)> {
        let body = self.body;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in body[at..].char_indices() {
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                // A value does not run on into the next call.
                '\n' if starts_call(body, at + i + 1) => break,
                '"' | '\'' => quote = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((&body[at + 1..at + i], at + i + 1));
                    }
                }
                _ => {}
            }
        }
        self.error(
            at,
            "this `{` is never closed",
            Some("end the value with `}`".into()),
        );
        None
    }
}

/// True when a call opens at `at`, after spaces.
fn starts_call(body: &str, at: usize) -> bool {
    let start = skip_spaces(body, at);
    next_opening(body, start) == Some(start)
}

fn skip_spaces(body: &str, at: usize) -> usize {
    at + body[at..].len() - body[at..].trim_start_matches([' ', '\t']).len()
}

fn skip_space_lines(body: &str, at: usize) -> usize {
    at + body[at..].len() - body[at..].trim_start().len()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// `data.a.b.0` as `["a", "b", "0"]`.
fn data_path(text: &str) -> Option<Vec<String>> {
    let rest = text.strip_prefix("data")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('.')?;
    let parts: Vec<String> = rest.split('.').map(str::to_string).collect();
    parts
        .iter()
        .all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
        .then_some(parts)
}

/// Looks `path` up in `data`; numbers index sequences.
pub(crate) fn lookup<'a>(data: &'a Value, path: &[String]) -> Result<&'a Value, String> {
    let mut value = data;
    for (i, key) in path.iter().enumerate() {
        let next = match value {
            Value::Mapping(map) => map.get(key.as_str()),
            Value::Sequence(items) => key.parse::<usize>().ok().and_then(|n| items.get(n)),
            _ => None,
        };
        value = next.ok_or_else(|| {
            let at = std::iter::once("data")
                .chain(path[..=i].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(".");
            let keys = match value {
                Value::Mapping(map) => map
                    .keys()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::Sequence(items) => format!("0 to {}", items.len().saturating_sub(1)),
                _ => String::new(),
            };
            if keys.is_empty() {
                format!("`{at}` does not exist")
            } else {
                format!("`{at}` does not exist (there is: {keys})")
            }
        })?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(body: &str) -> Parsed {
        parse(body, 1, "content/x.md").unwrap().expect("calls")
    }

    fn errors(body: &str) -> Vec<String> {
        parse(body, 1, "content/x.md")
            .unwrap_err()
            .iter()
            .map(|d| {
                format!(
                    "{}:{}: {}",
                    d.line.unwrap_or(0),
                    d.column.unwrap_or(0),
                    d.message
                )
            })
            .collect()
    }

    #[test]
    fn plain_bodies_are_untouched() {
        assert_eq!(
            parse("# Hi\n\n{{ not a call }} {% nor this %}\n", 1, "x").unwrap(),
            None
        );
    }

    #[test]
    fn parses_arguments_of_every_kind() {
        let parsed = parse_ok(
            "Intro\n\n{{<cta to=\"@/kit.md\" label='It\\'s here' columns={3}\n  featured items={[a, b]} who={data.people.ana} {...data.extra} />}}\n\nAfter [x](@/y.md)\n",
        );
        let call = &parsed.calls[0];
        assert_eq!(call.name, "cta");
        assert_eq!(call.pos, Pos::new(3, 1));
        let names: Vec<_> = call.args.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("to"),
                Some("label"),
                Some("columns"),
                Some("featured"),
                Some("items"),
                Some("who"),
                None
            ]
        );
        assert_eq!(
            call.args[1].value,
            ArgValue::Literal(Value::String("It's here".into()))
        );
        assert_eq!(
            call.args[2].value,
            ArgValue::Literal(Value::Number(3.into()))
        );
        assert_eq!(call.args[3].value, ArgValue::Literal(Value::Bool(true)));
        assert_eq!(call.args[3].pos, Pos::new(4, 3));
        assert_eq!(
            call.args[5].value,
            ArgValue::Data(vec!["people".into(), "ana".into()])
        );
        assert_eq!(call.args[6].value, ArgValue::Data(vec!["extra".into()]));
        assert_eq!(parsed.links[0].dest, "@/kit.md");
        assert_eq!(parsed.links[0].pos, Pos::new(3, 8));
        // Lines and columns after the call do not move.
        let original = LineIndex::new("Intro\n\n{{<cta to=\"@/kit.md\" label='It\\'s here' columns={3}\n  featured items={[a, b]} who={data.people.ana} {...data.extra} />}}\n\nAfter [x](@/y.md)\n", 1);
        let text = LineIndex::new(&parsed.text, 1);
        let offset_in = |s: &str, needle: &str| s.find(needle).unwrap();
        assert_eq!(
            text.position(offset_in(&parsed.text, "[x]")),
            original.position(offset_in("Intro\n\n{{<cta to=\"@/kit.md\" label='It\\'s here' columns={3}\n  featured items={[a, b]} who={data.people.ana} {...data.extra} />}}\n\nAfter [x](@/y.md)\n", "[x]"))
        );
    }

    #[test]
    fn bodies_nest_and_calls_in_code_are_text() {
        let body = "{% <faq> %}\n{% <qa question=\"Why?\"> %}\nBecause.\n{% </qa> %}\n{% </faq> %}\n\n`{{<cta />}}`\n\n```\n{{<cta />}}\n```\n";
        let parsed = parse_ok(body);
        assert_eq!(parsed.calls.len(), 2);
        assert!(parsed.calls.iter().all(|c| c.has_body));
        assert!(parsed.text.contains("`{{<cta />}}`"));
        assert_eq!(parsed.text.lines().count(), body.lines().count());
    }

    #[test]
    fn expands_innermost_first() {
        let body = "{% <faq> %}\n{% <qa question=\"Why?\"> %}\nBecause.\n{% </qa> %}\n{% </faq> %}\n\nSee {{<cta />}} now.\n\n{{<cta />}}\n";
        let parsed = parse_ok(body);
        let html = crate::page::markdown::render(&parsed.text, &|_| None);
        let out = expand(&html, &parsed.calls, &mut |i, body| {
            let call = &parsed.calls[i];
            Ok(match body {
                Some(b) => format!("<{0}>{b}</{0}>\n", call.name),
                None => "<a>go</a>".to_string(),
            })
        })
        .unwrap();
        assert_eq!(
            out,
            "<faq><qa><p>Because.</p></qa></faq>\n<p>See <a>go</a> now.</p>\n<a>go</a>\n"
        );
    }

    #[test]
    fn malformed_calls_are_errors_at_their_position() {
        assert_eq!(
            errors("x\n{{<cta label=\"Go\" }}\n"),
            ["2:19: expected `/>}}` to end the `cta` tag"]
        );
        assert_eq!(
            errors("{% <faq> %}\nbody\n"),
            ["1:1: `{% <faq> %}` is never closed"]
        );
        assert_eq!(
            errors("{% </faq> %}\n"),
            ["1:1: `{% </faq> %}` closes nothing"]
        );
        assert_eq!(
            errors("{{<cta label=Go />}}\n"),
            ["1:14: expected a value for `label`"]
        );
        assert_eq!(
            errors("{{<cta n={\"a />}}\n"),
            ["1:10: this `{` is never closed"]
        );
        assert_eq!(
            errors("{{<cta a=\"1\" a=\"2\" />}}\n"),
            ["1:14: argument `a` is given twice"]
        );
        assert_eq!(
            errors("{{<cta label=\"Go />}}\n"),
            ["1:14: this text is never closed"]
        );
        assert_eq!(
            errors("{{<cta {...site.x} />}}\n"),
            ["1:8: `{...site.x}` spreads only data maps"]
        );
    }

    #[test]
    fn no_input_panics_even_cut_anywhere() {
        let body = "Ω {{<cta to=\"@/κ.md\" n={[1, {a: \"}\"}]} ok {...data.x} />}}\n{% <faq t='é\\'x'> %}\n`{{<a/>}}`\n{% <qa> %}ر{% </qa> %}\n{% </faq> %}\n{{ <b\n\n/>}} {%</z>%} {{<}} {{<1/>}}";
        for (cut, _) in body.char_indices() {
            let _ = parse(&body[..cut], 1, "x");
            let _ = parse(&body[cut..], 1, "x");
        }
        let parsed = parse(body, 1, "x");
        assert!(parsed.is_err(), "the broken calls at the end are errors");
    }

    #[test]
    fn data_lookup_names_what_exists() {
        let data: Value =
            crate::base::yaml::from_str("people: {ana: {name: Ana}}\nlist: [1, 2]\n").unwrap();
        let path = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            lookup(&data, &path("people.ana.name")).unwrap(),
            &Value::String("Ana".into())
        );
        assert_eq!(
            lookup(&data, &path("list.1")).unwrap(),
            &Value::Number(2.into())
        );
        assert_eq!(
            lookup(&data, &path("people.bob")).unwrap_err(),
            "`data.people.bob` does not exist (there is: ana)"
        );
    }
}
