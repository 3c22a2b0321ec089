//! Markdown through pulldown-cmark.
//!
//! A page body is parsed twice: [`scan`] (while loading) collects its heading
//! ids and internal links with their positions, so the funnel stage can
//! check every `@/` link and anchor before anything is rendered; [`render`]
//! (while rendering) writes the HTML, giving headings the same ids and
//! turning `@/path.md#anchor` into the target's URL. Scanning is cheap next
//! to rendering, and it keeps no HTML in memory between the two stages.

use crate::base::diagnostics::Pos;
use crate::page::components;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::cell::Cell;
use std::collections::HashSet;

/// Deepest nesting of block quotes and lists on one line of a body.
/// pulldown-cmark keeps every level open until the line ends, so a line of
/// 5 million `>` took gigabytes; no page nests more than a few levels.
pub(crate) const MAX_NESTING: usize = 100;

/// Where a body line first nests block quotes and list items (`> > - 1.`)
/// deeper than [`MAX_NESTING`], as a position in the file.
pub(crate) fn too_deep(body: &str, body_line: usize) -> Option<Pos> {
    for (index, line) in body.split('\n').enumerate() {
        let mut depth = 0;
        let mut rest = line;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let Some(after) = trimmed.strip_prefix('>').or_else(|| list_marker(trimmed)) else {
                break;
            };
            depth += 1;
            if depth > MAX_NESTING {
                let column = line[..line.len() - trimmed.len()].chars().count() + 1;
                return Some(Pos::new(body_line + index, column));
            }
            rest = after;
        }
    }
    None
}

/// The text after a list item's marker (`-`, `*`, `+`, `1.`, `1)`) and the
/// space that must follow it.
fn list_marker(text: &str) -> Option<&str> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let after = if digits > 0 && digits < 10 {
        text[digits..].strip_prefix(['.', ')'])?
    } else {
        text.strip_prefix(['-', '*', '+'])?
    };
    after.starts_with([' ', '\t']).then_some(after)
}

/// What the funnel needs to know about a body before rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Heading ids in document order, as [`render`] writes them.
    pub headings: Headings,
    /// Internal links: `@/` content links and root-relative URLs.
    pub links: Vec<BodyLink>,
    /// Images (`![alt](src)`), in document order.
    pub images: Vec<BodyImage>,
    /// Every link and component call, in document order, with the words
    /// a reader passes before it: what the conversion checks ask of a body
    /// (how far down the first thing to act on is, where the page leads
    /// away), kept so they need not read and parse the body again.
    pub actions: Vec<BodyAction>,
    /// Words of body text in all.
    pub words: usize,
}

/// A body's heading ids in document order, in one string, each followed
/// by a newline (an id never holds one): a page has about ten, and one
/// string each cost 100,000 pages 30 MB more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Headings(String);

impl Headings {
    fn push(&mut self, id: &str) {
        self.0.push_str(id);
        self.0.push('\n');
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split_terminator('\n')
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.iter().any(|h| h == id)
    }
}

/// A link or a component call in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyAction {
    pub what: Actionable,
    /// Words of body text before it.
    pub words_before: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actionable {
    /// A Markdown link: its destination as written and where it is.
    Link { dest: String, pos: Pos },
    /// The component call of this index (its marker in the body).
    Call(usize),
}

/// An image in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyImage {
    /// The source as written: `hero.jpg`, `/images/x.jpg`, `https://…`.
    pub dest: String,
    /// The alt text; `None` when there is none (`![](x.jpg)`), `""` when it
    /// is explicitly empty (`![](x.jpg "")`), a decorative image.
    pub alt: Option<String>,
    /// Where the image is in the page's file.
    pub pos: Pos,
}

/// An internal link found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyLink {
    /// The destination as written, e.g. `@/offers/kit.md#faq` or `/privacy/`.
    pub dest: String,
    /// Where the link is in the page's file.
    pub pos: Pos,
}

impl BodyLink {
    /// `Some((content_path, anchor))` for an `@/` link.
    pub(crate) fn content_target(&self) -> Option<(&str, Option<&str>)> {
        content_target(&self.dest)
    }
}

/// `Some((content_path, anchor))` for an `@/path.md#anchor` destination, in
/// Markdown or in a component argument.
pub(crate) fn content_target(dest: &str) -> Option<(&str, Option<&str>)> {
    let rest = dest.strip_prefix("@/")?;
    Some(match rest.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (rest, None),
    })
}

/// The URL of an `@/` destination, its anchor kept; `None` when `dest` is
/// not an `@/` link or `resolve` does not know its page.
pub(crate) fn resolve_content_link(
    dest: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let (path, anchor) = content_target(dest)?;
    let url = resolve(path)?;
    Some(match anchor {
        Some(a) => format!("{url}#{a}"),
        None => url,
    })
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Collects heading ids, internal links, images and what a reader can act
/// on, of a body whose first line is line `body_line` of its file.
pub(crate) fn scan(body: &str, body_line: usize) -> Scan {
    let mut scanner = Scanner {
        body,
        body_line,
        lines: None,
        scan: Scan::default(),
        ids: HeadingIds::default(),
        heading: None,
        image: None,
        words: Words::default(),
    };
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        scanner.words.count(&event);
        scanner.action(&event, range.start);
        scanner.image_alt(&event);
        scanner.other(event, range);
    }
    scanner.scan.words = scanner.words.total;
    // Kept for every page of the site until the build ends: without the
    // room each list grew into (four places for one image), 100,000
    // pages hold 30 MB less.
    let mut scan = scanner.scan;
    scan.headings.0.shrink_to_fit();
    scan.links.shrink_to_fit();
    scan.images.shrink_to_fit();
    scan.actions.shrink_to_fit();
    scan
}

/// The state of [`scan`] along a body.
struct Scanner<'a> {
    body: &'a str,
    body_line: usize,
    /// Made on the first position asked for: most bodies need none.
    lines: Option<LineIndex<'a>>,
    scan: Scan,
    ids: HeadingIds,
    /// The heading being read: its explicit id and its text so far.
    heading: Option<(Option<String>, String)>,
    /// The image being read and its alt text so far.
    image: Option<(BodyImage, String)>,
    words: Words,
}

impl Scanner<'_> {
    fn position(&mut self, offset: usize) -> Pos {
        let (body, body_line) = (self.body, self.body_line);
        let lines = self
            .lines
            .get_or_insert_with(|| LineIndex::new(body, body_line));
        lines.position(offset)
    }

    /// Notes a link (an internal one among the links to check too) or a
    /// component call's marker, with the words before it.
    fn action(&mut self, event: &Event, offset: usize) {
        let words_before = self.words.total;
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                let calls = components::opening_markers(html).map(|i| BodyAction {
                    what: Actionable::Call(i),
                    words_before,
                });
                self.scan.actions.extend(calls);
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let pos = self.position(offset);
                let dest = dest_url.to_string();
                if is_internal(&dest) {
                    let link = BodyLink {
                        dest: dest.clone(),
                        pos,
                    };
                    self.scan.links.push(link);
                }
                (self.scan.actions).push(BodyAction {
                    what: Actionable::Link { dest, pos },
                    words_before,
                });
            }
            _ => {}
        }
    }

    /// Adds to the alt text of the image being read, or ends it.
    fn image_alt(&mut self, event: &Event) {
        let Some((_, alt)) = self.image.as_mut() else {
            return;
        };
        match event {
            Event::Text(t) | Event::Code(t) => alt.push_str(t),
            Event::End(TagEnd::Image) => {
                let (mut found, alt) = self.image.take().expect("matched Some");
                if !alt.is_empty() {
                    found.alt = Some(alt);
                }
                self.scan.images.push(found);
            }
            _ => {}
        }
    }

    /// Images and headings.
    fn other(&mut self, event: Event, range: std::ops::Range<usize>) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                let decorative = explicitly_empty_title(&self.body[range.clone()]);
                let found = BodyImage {
                    dest: dest_url.to_string(),
                    alt: decorative.then(String::new),
                    pos: self.position(range.start),
                };
                self.image = Some((found, String::new()));
            }
            Event::Start(Tag::Heading { id, .. }) => {
                self.heading = Some((id.map(|i| i.to_string()), String::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((explicit, text)) = self.heading.take() {
                    (self.scan.headings).push(&self.ids.assign(explicit.as_deref(), &text));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = self.heading.as_mut() {
                    text.push_str(&t);
                }
            }
            _ => {}
        }
    }
}

/// Counts the words of body text as a reader sees them. Text can come in
/// several events (smart quotes, a `*` that opens no emphasis): a word
/// cut between two adjacent text events counts once.
#[derive(Default)]
struct Words {
    total: usize,
    /// The last event was text that ended inside a word.
    mid_word: bool,
}

impl Words {
    fn count(&mut self, event: &Event) {
        let text = match event {
            Event::Text(text) => text,
            // `*really*.` is one word: emphasis and links do not end one.
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
            | Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) => {
                return;
            }
            _ => {
                self.mid_word = false;
                return;
            }
        };
        let mut words = text.split_whitespace().count();
        if self.mid_word && words > 0 && !text.starts_with(char::is_whitespace) {
            words -= 1;
        }
        self.total += words;
        self.mid_word = !text.is_empty() && !text.ends_with(char::is_whitespace);
    }
}

/// Whether an image written `![](x.jpg "")` (or `''`, or `()`) says its
/// alt text is empty on purpose: pulldown-cmark gives an empty title and
/// no title alike, so the source text tells.
fn explicitly_empty_title(source: &str) -> bool {
    let inner = source.trim_end().strip_suffix(')').map(str::trim_end);
    inner.is_some_and(|i| i.ends_with("\"\"") || i.ends_with("''") || i.ends_with("()"))
}

fn is_internal(dest: &str) -> bool {
    dest.starts_with("@/") || (dest.starts_with('/') && !dest.starts_with("//"))
}

/// Renders a body to HTML. `resolve` turns the path part of an `@/` link
/// into a URL; links it cannot resolve were reported by the funnel stage and
/// are left as written.
#[cfg(test)]
pub(crate) fn render(body: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    render_with_images(body, resolve, &mut |_, _| None)
}

/// [`render`], with each image given to `image` (source as written, alt
/// text), which returns its HTML, or `None` to leave it as Markdown makes it.
pub(crate) fn render_with_images(
    body: &str,
    resolve: &dyn Fn(&str) -> Option<String>,
    image: &mut dyn FnMut(&str, &str) -> Option<String>,
) -> String {
    let mut html = String::with_capacity(body.len() * 3 / 2);
    let mut ids = HeadingIds::default();
    let mut pending: Option<PendingHeading> = None;
    let events = Parser::new_ext(body, options()).map(|event| rewrite_link(event, resolve));
    let events = replace_images(events, image);
    let mut out: Vec<Event> = Vec::new();
    for event in events {
        match (&mut pending, event) {
            (
                None,
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }),
            ) => {
                pending = Some(PendingHeading {
                    level,
                    id,
                    classes,
                    attrs,
                    events: Vec::new(),
                });
            }
            (Some(_), Event::End(TagEnd::Heading(level))) => {
                let heading = pending.take().expect("matched Some");
                heading.flush(&mut ids, level, &mut out);
            }
            (Some(heading), event) => heading.events.push(event),
            (None, event) => out.push(event),
        }
    }
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

/// The events with each image replaced by the HTML `image` gives for it.
fn replace_images<'a>(
    events: impl Iterator<Item = Event<'a>>,
    image: &mut dyn FnMut(&str, &str) -> Option<String>,
) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    // The image being read: its events, and its alt text so far.
    let mut open: Option<(Vec<Event<'a>>, String)> = None;
    for event in events {
        let Some((held, alt)) = open.as_mut() else {
            if matches!(event, Event::Start(Tag::Image { .. })) {
                open = Some((vec![event], String::new()));
            } else {
                out.push(event);
            }
            continue;
        };
        if let Event::Text(t) | Event::Code(t) = &event {
            alt.push_str(t);
        }
        let end = matches!(event, Event::End(TagEnd::Image));
        held.push(event);
        if end {
            let (held, alt) = open.take().expect("matched Some");
            let Event::Start(Tag::Image { dest_url, .. }) = &held[0] else {
                unreachable!("an image starts with its tag");
            };
            match image(dest_url, &alt) {
                Some(html) => out.push(Event::InlineHtml(html.into())),
                None => out.extend(held),
            }
        }
    }
    out
}

fn rewrite_link<'a>(event: Event<'a>, resolve: &dyn Fn(&str) -> Option<String>) -> Event<'a> {
    let Event::Start(Tag::Link {
        link_type,
        dest_url,
        title,
        id,
    }) = event
    else {
        return event;
    };
    let dest_url = match resolve_content_link(&dest_url, resolve) {
        Some(url) => CowStr::from(url),
        None => dest_url,
    };
    Event::Start(Tag::Link {
        link_type,
        dest_url,
        title,
        id,
    })
}

/// A heading whose events are held until its text, and so its id, is known.
struct PendingHeading<'a> {
    level: HeadingLevel,
    id: Option<CowStr<'a>>,
    classes: Vec<CowStr<'a>>,
    attrs: Vec<(CowStr<'a>, Option<CowStr<'a>>)>,
    events: Vec<Event<'a>>,
}

impl<'a> PendingHeading<'a> {
    fn flush(self, ids: &mut HeadingIds, level: HeadingLevel, out: &mut Vec<Event<'a>>) {
        let text: String = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let id = ids.assign(self.id.as_deref(), &text);
        out.push(Event::Start(Tag::Heading {
            level: self.level,
            id: Some(id.into()),
            classes: self.classes,
            attrs: self.attrs,
        }));
        out.extend(self.events);
        out.push(Event::End(TagEnd::Heading(level)));
    }
}

/// Unique heading ids within one page: `faq`, `faq-1`, `faq-2`.
#[derive(Default)]
struct HeadingIds {
    used: HashSet<String>,
}

impl HeadingIds {
    fn assign(&mut self, explicit: Option<&str>, text: &str) -> String {
        let base = match explicit {
            Some(id) => id.to_string(),
            None => heading_slug(text),
        };
        let mut id = base.clone();
        let mut n = 0;
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.used.insert(id.clone());
        id
    }
}

/// The id of a heading from its text: lowercase letters and digits of any
/// script, words joined by `-`.
pub(crate) fn heading_slug(text: &str) -> String {
    let slug = crate::base::url::slugify(text);
    if slug.is_empty() {
        "section".to_string()
    } else {
        slug
    }
}

/// File positions of byte offsets in a body, in O(log lines) each: a page
/// with thousands of links must not rescan its body for every one of them.
pub(crate) struct LineIndex<'a> {
    body: &'a str,
    body_line: usize,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// The last position asked for (offset, line index, column), so
    /// positions asked in order along one long line are counted from there,
    /// not from the line's start each time.
    last: Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `body`, whose first line is line `body_line` of its file.
    pub(crate) fn new(body: &'a str, body_line: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            body,
            body_line,
            starts,
            last: Cell::new((0, 0, 1)),
        }
    }

    pub(crate) fn position(&self, offset: usize) -> Pos {
        let offset = offset.min(self.body.len());
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let (last_offset, last_line, last_column) = self.last.get();
        let (from, column) = if last_line == line && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (self.starts[line], 1)
        };
        let column = column + self.body[from..offset].chars().count();
        self.last.set((offset, line, column));
        Pos::new(self.body_line + line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_what_a_reader_can_act_on_and_the_words_before_it() {
        // Smart quotes split "don't" into three text events, and `*really*.`
        // into three more: two words.
        let body = "Don't wait, *really*.\n\n<!--fc:3-----><!--/fc:3-->\n\nThen [go](https://x.y) or [back](#top) <!--fc:12-->\n";
        let scan = scan(body, 5);
        let found: Vec<_> = (scan.actions.iter())
            .map(|a| (a.what.clone(), a.words_before))
            .collect();
        let link = |dest: &str, column| Actionable::Link {
            dest: dest.into(),
            pos: Pos::new(9, column),
        };
        assert_eq!(
            found,
            [
                (Actionable::Call(3), 3),
                (link("https://x.y", 6), 4),
                (link("#top", 27), 6),
                (Actionable::Call(12), 7),
            ]
        );
        assert_eq!(scan.words, 7);
    }

    #[test]
    fn scans_headings_and_internal_links() {
        let body = "# Hello world\n\nSee [kit](@/offers/kit.md#faq) and [privacy](/privacy/).\n\n## Hello world\n\n[ext](https://x.y)\n";
        let scan = scan(body, 5);
        let ids: Vec<&str> = scan.headings.iter().collect();
        assert_eq!(ids, ["hello-world", "hello-world-1"]);
        assert_eq!(scan.links.len(), 2);
        assert_eq!(
            scan.links[0].content_target(),
            Some(("offers/kit.md", Some("faq")))
        );
        assert_eq!(scan.links[0].pos, Pos::new(7, 5));
        assert_eq!(scan.links[1].pos, Pos::new(7, 36));
        let index = LineIndex::new(body, 5);
        assert_eq!(index.position(0), Pos::new(5, 1));
        assert_eq!(index.position(14), Pos::new(6, 1));
        assert_eq!(index.position(body.len()), Pos::new(12, 1));
        assert_eq!(scan.links[1].dest, "/privacy/");
    }

    #[test]
    fn renders_ids_links_and_extensions() {
        let body = "# Intro {#start}\n\n## Café & \"quotes\"\n\n[a](@/b.md#x) [c](@/gone.md)\n\n| a |\n|---|\n| 1 |\n\n- [x] done\n\n~~old~~ \"smart\"[^1]\n\n[^1]: note\n";
        let html = render(body, &|p| (p == "b.md").then(|| "/b/".to_string()));
        assert!(html.contains("<h1 id=\"start\">Intro</h1>"), "{html}");
        assert!(html.contains("<h2 id=\"café-quotes\">"), "{html}");
        assert!(html.contains("<a href=\"/b/#x\">a</a>"), "{html}");
        assert!(html.contains("<a href=\"@/gone.md\">c</a>"), "{html}");
        assert!(html.contains("<table>"));
        assert!(html.contains("checked=\"\""));
        assert!(html.contains("<del>old</del>"));
        assert!(html.contains("“smart”"));
        assert!(html.contains("footnote-definition"));
    }

    #[test]
    fn scans_images_with_their_alt_text() {
        let body =
            "Intro\n\n![Lotte *weighing*](a.jpg) ![](b.jpg)\n![](c.jpg \"\") ![x](/i/d.png)\n";
        let images = scan(body, 3).images;
        let found: Vec<(&str, Option<&str>, Pos)> = images
            .iter()
            .map(|i| (i.dest.as_str(), i.alt.as_deref(), i.pos))
            .collect();
        assert_eq!(
            found,
            [
                ("a.jpg", Some("Lotte weighing"), Pos::new(5, 1)),
                ("b.jpg", None, Pos::new(5, 28)),
                ("c.jpg", Some(""), Pos::new(6, 1)),
                ("/i/d.png", Some("x"), Pos::new(6, 15)),
            ]
        );
        let html = render_with_images(body, &|_| None, &mut |src, alt| {
            (src != "b.jpg").then(|| format!("<p-{src}|{alt}>"))
        });
        assert!(html.contains("<p-a.jpg|Lotte weighing>"), "{html}");
        assert!(html.contains("<img src=\"b.jpg\" alt=\"\""), "{html}");
    }

    #[test]
    fn scan_and_render_agree_on_ids() {
        let body = "# A\n# A\n# `code` b {#b}\n# B\n";
        let html = render(body, &|_| None);
        let headings = scan(body, 1).headings;
        let ids: Vec<&str> = headings.iter().collect();
        assert_eq!(ids, ["a", "a-1", "b", "b-1"]);
        assert!(headings.contains("b-1") && !headings.contains("b-"));
        for id in &ids {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} in {html}");
        }
    }
}
