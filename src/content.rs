//! `content/` into a `Vec<Page>`: the second stage of the pipeline.
//!
//! Every `.md` file under `content/` is read (in parallel), its front matter
//! parsed and its Markdown scanned for headings and links, and it is given a
//! clean URL. Drafts are dropped here unless `--drafts` is set. Pages are
//! returned sorted by URL so that every later stage is deterministic.

use crate::components::{self, Call};
use crate::config::Config;
use crate::diagnostics::{display_path, Diagnostic, Diagnostics};
use crate::front_matter::{self, FrontMatter};
use crate::fs;
use crate::markdown::{self, Scan};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const CONTENT_DIR: &str = "content";

/// One Markdown page of the site.
#[derive(Debug, Clone)]
pub struct Page {
    /// Path relative to the site folder, e.g. `content/offers/kit.md`.
    pub file: String,
    /// Path relative to `content/`, as written in `next:` and `@/` links.
    pub content_path: String,
    /// Site-relative URL path, e.g. `/offers/kit/` (not percent-encoded).
    pub path: String,
    pub meta: FrontMatter,
    /// The Markdown body, with component calls replaced by markers (see
    /// [`crate::components`]); lines and columns are those of the file.
    pub body: String,
    /// File line of the first body line.
    pub body_line: usize,
    pub scan: Scan,
    /// Component calls in the body, in document order.
    pub calls: Vec<Call>,
}

impl Page {
    /// Output file relative to OUT, e.g. `offers/kit/index.html`.
    pub fn output_file(&self) -> String {
        format!("{}index.html", self.path.trim_start_matches('/'))
    }
}

/// The pages of a build, and the drafts left out of it.
#[derive(Debug)]
pub struct Loaded {
    /// Sorted by URL path.
    pub pages: Vec<Page>,
    /// Content paths of drafts left out, so references to them can say why
    /// they do not resolve.
    pub drafts: Vec<String>,
}

/// Reads every page under `SITE/content`; all problems are reported.
pub fn load(site: &Path, config: &Config, include_drafts: bool) -> Result<Loaded, Diagnostics> {
    let content_dir = site.join(CONTENT_DIR);
    if !content_dir.is_dir() {
        let message = "the site has no `content/` folder";
        let hint = "create `content/index.md` with front matter `---\\ntitle: Home\\n---`";
        return Err(Diagnostics::from_iter([Diagnostic::error(
            "missing-content",
            CONTENT_DIR,
            message,
        )
        .with_hint(hint)]));
    }
    let files = markdown_files(site, &content_dir)?;
    let results: Vec<Result<Page, Vec<Diagnostic>>> = files
        .par_iter()
        .map(|path| load_page(site, &content_dir, path, config))
        .collect();

    let mut diagnostics = Diagnostics::new();
    let mut pages = Vec::with_capacity(results.len());
    let mut drafts = Vec::new();
    for result in results {
        match result {
            Ok(page) if page.meta.draft && !include_drafts => drafts.push(page.content_path),
            Ok(page) => pages.push(page),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    check_duplicate_urls(&pages, &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    pages.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Loaded { pages, drafts })
}

fn markdown_files(site: &Path, content_dir: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    let mut files = Vec::new();
    let mut diagnostics = Diagnostics::new();
    let walker = walkdir::WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !fs::is_editor_junk(e.file_name()))
    {
        match entry {
            Ok(e) if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md") => {
                files.push(e.into_path());
            }
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| display_path(site, p))
                    .unwrap_or_else(|| CONTENT_DIR.into());
                diagnostics.push(Diagnostic::error("io", path, format!("cannot read: {err}")));
            }
        }
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(files)
    }
}

pub(crate) fn load_page(
    site: &Path,
    content_dir: &Path,
    path: &Path,
    config: &Config,
) -> Result<Page, Vec<Diagnostic>> {
    let file = display_path(site, path);
    let content_path = display_path(content_dir, path);
    let text = fs::read_to_string(path)
        .map_err(|e| vec![Diagnostic::error("io", &file, e.to_string())])?;
    let split = front_matter::split(&text, &file).map_err(|d| vec![d])?;
    let meta = front_matter::parse(&split, &file, config)?;
    let path = url_path(&content_path, meta.slug.as_deref()).map_err(|message| {
        vec![Diagnostic::error("invalid-slug", &file, message)
            .at(1, 1)
            .with_hint("set `slug:` in the front matter")]
    })?;
    let (body, calls, links) = match components::parse(split.body, split.body_line, &file)? {
        Some(parsed) => (parsed.text, parsed.calls, parsed.links),
        None => (split.body.to_string(), Vec::new(), Vec::new()),
    };
    let mut scan = markdown::scan(&body);
    scan.links.extend(links);
    Ok(Page {
        body,
        calls,
        body_line: split.body_line,
        file,
        content_path,
        path,
        meta,
        scan,
    })
}

/// Maps a content path to its URL path: `index.md` is `/`, `a/b.md` is
/// `/a/b/`, `a/index.md` is `/a/`; `slug` replaces the last segment.
pub fn url_path(content_path: &str, slug: Option<&str>) -> Result<String, String> {
    let without_ext = content_path.strip_suffix(".md").unwrap_or(content_path);
    let mut segments: Vec<&str> = without_ext.split('/').collect();
    if segments.last() == Some(&"index") {
        segments.pop();
    }
    let mut slugs = Vec::with_capacity(segments.len());
    for segment in &segments {
        let slug = slugify(segment);
        if slug.is_empty() {
            return Err(format!(
                "the name \"{segment}\" in `{content_path}` gives an empty URL segment"
            ));
        }
        slugs.push(slug);
    }
    if let Some(slug) = slug {
        match slugs.last_mut() {
            Some(last) => *last = slug.to_string(),
            None => slugs.push(slug.to_string()),
        }
    }
    if slugs.is_empty() {
        Ok("/".to_string())
    } else {
        Ok(format!("/{}/", slugs.join("/")))
    }
}

/// A readable URL segment: lowercase, Unicode letters and digits kept (so
/// Persian and Greek names stay readable), spaces and dots turned into `-`,
/// everything that needs escaping in a URL dropped. Text is normalized to
/// NFC first, so a name saved decomposed (as macOS does) gets the same URL
/// as the composed one, and two such files collide loudly, never silently.
pub fn slugify(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::with_capacity(text.len());
    for c in text.nfc() {
        if c.is_alphanumeric() || c == '_' || is_combining_mark(c) {
            slug.extend(c.to_lowercase());
        } else if (c == '-' || c.is_whitespace() || c == '.' || c == '\u{200c}')
            && !slug.ends_with('-')
        {
            // U+200C (zero-width non-joiner) separates parts of Persian words.
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

/// Combining marks (Greek tonos, Arabic harakat) belong to their letter.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED)
}

fn check_duplicate_urls(pages: &[Page], diagnostics: &mut Diagnostics) {
    let mut seen: HashMap<&str, &Page> = HashMap::with_capacity(pages.len());
    let mut sorted: Vec<&Page> = pages.iter().collect();
    sorted.sort_by(|a, b| a.file.cmp(&b.file));
    for page in sorted {
        if let Some(first) = seen.insert(&page.path, page) {
            let message = format!(
                "{} and {} both have the URL {}",
                first.file, page.file, page.path
            );
            let diagnostic = Diagnostic::error("duplicate-url", &page.file, message)
                .at(1, 1)
                .with_hint("give one of them another `slug:` or rename the file");
            diagnostics.push(diagnostic);
            seen.insert(&first.path, first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_urls() {
        assert_eq!(url_path("index.md", None).unwrap(), "/");
        assert_eq!(url_path("a/index.md", None).unwrap(), "/a/");
        assert_eq!(url_path("a/b.md", None).unwrap(), "/a/b/");
        assert_eq!(url_path("a/b.md", Some("c")).unwrap(), "/a/c/");
        assert_eq!(url_path("a/index.md", Some("x")).unwrap(), "/x/");
        assert_eq!(
            url_path("Offers/Starter Kit.md", None).unwrap(),
            "/offers/starter-kit/"
        );
        assert!(url_path("a/!!!.md", None).is_err());
    }

    #[test]
    fn slugs_keep_non_latin_letters() {
        assert_eq!(slugify("Οδηγός Καφέ"), "οδηγός-καφέ");
        assert_eq!(slugify("راهنما"), "راهنما");
        assert_eq!(slugify("می\u{200c}خواهم"), "می-خواهم");
        assert_eq!(slugify("v1.2 -- notes?"), "v1-2-notes");
        assert_eq!(slugify("roasting_guide"), "roasting_guide");
        // "καφέ" with a combining acute accent (NFD) is the same slug as the
        // precomposed one (NFC).
        assert_eq!(slugify("καφε\u{301}"), slugify("καφέ"));
        assert_eq!(slugify("καφε\u{301}"), "καφέ");
    }
}
