//! `content/` into a `Vec<Page>`: the second stage of the pipeline.
//!
//! Every `.md` file under `content/` is read (in parallel), its front matter
//! parsed and its Markdown scanned for headings and links, and it is given a
//! clean URL. Drafts are dropped here unless `--drafts` is set. Pages are
//! returned sorted by URL so that every later stage is deterministic.
//!
//! A/B variant files, which an `experiment:` names, are read a second time
//! once their control is known: their front matter over the control's, at
//! `/<control>/<id>/` (see [`crate::page::experiment`]).
//!
//! Bodies are not kept: they are most of a site's text (half a gigabyte for
//! 100,000 pages), and between loading and rendering only their scan is
//! needed. A page records where its body is ([`BodySource`]) and the render
//! stage reads it again ([`Page::read_body`]), checking that it is the body
//! that was scanned and checked.

use crate::base::diagnostics::{display_path, Diagnostic, Diagnostics};
use crate::base::fs;
use crate::base::url::url_path;
use crate::input::config::Config;
use crate::page::components::{self, Call};
use crate::page::experiment::{self, VariantOf};
use crate::page::front_matter::{self, FrontMatter, PageKind};
use crate::page::markdown::{self, Scan};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xxhash_rust::xxh3::xxh3_64;

pub(crate) const CONTENT_DIR: &str = "content";

/// The code of the error for a page file that changed between loading and
/// rendering.
pub(crate) const CHANGED_WHILE_BUILDING: &str = "changed-during-build";

/// One Markdown page of the site.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Path relative to the site folder, e.g. `content/offers/kit.md`.
    pub file: String,
    /// Path relative to `content/`, as written in `next:` and `@/` links.
    pub content_path: String,
    /// Site-relative URL path, e.g. `/offers/kit/` (not percent-encoded).
    pub path: String,
    pub meta: FrontMatter,
    /// Where the Markdown body is; [`Page::read_body`] reads it.
    pub body: BodySource,
    /// File line of the first body line.
    pub body_line: usize,
    pub scan: Scan,
    /// Component calls in the body, in document order.
    pub calls: Vec<Call>,
    /// Set when the page is a variant of another page's experiment.
    pub variant: Option<Box<VariantOf>>,
    /// The checkouts of the plans its `pricing` calls take from data
    /// (set once the data is read: see [`crate::page::plans::attach`]).
    pub plan_checkouts: Vec<crate::page::plans::PlanCheckout>,
}

/// Where a page's Markdown body is in its file, and what it was when the
/// page was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodySource {
    /// The file as it was read.
    pub path: PathBuf,
    /// Byte range of the body in the file; it runs to the end of the file.
    pub range: Range<usize>,
    /// xxh3 of the body's bytes.
    pub hash: u64,
}

impl Page {
    /// Thank-you pages are noindex unless `noindex: false` says otherwise.
    pub(crate) fn is_noindex(&self) -> bool {
        self.meta
            .noindex
            .unwrap_or(self.meta.kind() == PageKind::ThankYou)
    }

    /// The page's `image` when it is a file beside the page (`cover.jpg`
    /// next to `content/offers/kit.md`): where it is, and the site path it
    /// is copied to, in the page's own folder (`/offers/kit/cover.jpg`).
    /// `None` for an image under `static/` (`/images/x.jpg`) or no image.
    pub(crate) fn local_image(&self) -> Option<(PathBuf, String)> {
        let image = &self.meta.image.as_ref()?.value;
        if image.starts_with('/') {
            return None;
        }
        let folder = self.body.path.parent()?;
        Some((folder.join(image), format!("{}{image}", self.path)))
    }

    /// Output file relative to OUT, e.g. `offers/kit/index.html`.
    pub(crate) fn output_file(&self) -> String {
        format!("{}index.html", self.path.trim_start_matches('/'))
    }

    /// Reads the Markdown body again, for rendering, with its component
    /// calls replaced by markers (see [`crate::page::components`]); lines and
    /// columns are those of the file. A file that changed since it was
    /// loaded is an error: its new text was never checked.
    pub(crate) fn read_body(&self) -> Result<String, Diagnostic> {
        let source = &self.body;
        let mut text = fs::read_to_string(&source.path)
            .map_err(|e| Diagnostic::error("io", &self.file, e.to_string()))?;
        let unchanged = text.len() == source.range.end
            && text
                .get(source.range.clone())
                .is_some_and(|body| xxh3_64(body.as_bytes()) == source.hash);
        if !unchanged {
            let message = "the file changed while the site was being built";
            return Err(
                Diagnostic::error(CHANGED_WHILE_BUILDING, &self.file, message)
                    .with_hint("build again"),
            );
        }
        if self.calls.is_empty() {
            text.drain(..source.range.start);
            return Ok(text);
        }
        // The same text as when the page was loaded, so the same markers.
        let body = &text[source.range.clone()];
        match components::parse(body, self.body_line, &self.file) {
            Ok(parsed) => Ok(parsed.map_or_else(|| body.to_string(), |p| p.text)),
            Err(mut errors) => Err(errors.swap_remove(0)),
        }
    }
}

/// The pages of a build, the drafts left out of it, and the problems of
/// the pages that were read.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Sorted by URL path. A page whose front matter has errors is kept
    /// with what parsed, so its links and the links to it are still checked.
    pub pages: Vec<Arc<Page>>,
    /// Content paths of drafts left out, so references to them can say why
    /// they do not resolve.
    pub drafts: Vec<String>,
    /// Content paths of files that could not be read as pages at all; a
    /// reference to one is not reported again as pointing nowhere.
    pub broken: Vec<String>,
    /// Every error and warning of the files.
    pub diagnostics: Diagnostics,
}

/// One file, loaded as far as it goes: the page, if there is one, and the
/// file's problems.
type Loading = (Option<Arc<Page>>, Vec<Diagnostic>);

/// Reads every page under `SITE/content`; all problems are reported. `Err`
/// only when there is no `content/` to read.
pub(crate) fn load(
    site: &Path,
    config: &Config,
    include_drafts: bool,
) -> Result<Loaded, Diagnostics> {
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
    let mut results: Vec<Option<Loading>> = files
        .par_iter()
        .map(|path| {
            let (page, errors) = load_page_partial(site, &content_dir, path, config);
            Some((page.map(Arc::new), errors))
        })
        .collect();

    let mut diagnostics = Diagnostics::new();
    let dirs = (site, content_dir.as_path());
    load_variants(
        dirs,
        config,
        include_drafts,
        &files,
        &mut results,
        &mut diagnostics,
    );
    let (mut pages, drafts, broken) = sort_out(
        results,
        &files,
        &content_dir,
        include_drafts,
        &mut diagnostics,
    );
    check_duplicate_urls(&pages, &mut diagnostics);
    pages.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Loaded {
        pages,
        drafts,
        broken,
        diagnostics,
    })
}

/// Reads the variant files again, over their control's front matter, into
/// `results`. An error a variant has only because it inherits the field
/// has no line in its file; its control reports it at its line, so it is
/// reported there once, naming the variant.
fn load_variants(
    (site, content_dir): (&Path, &Path),
    config: &Config,
    include_drafts: bool,
    files: &[PathBuf],
    results: &mut [Option<Loading>],
    diagnostics: &mut Diagnostics,
) {
    let variants = find_variants(files, content_dir, results, diagnostics);
    // (control file, index of its error, the variant file that inherits it)
    let mut inheritors: Vec<(usize, usize, String)> = Vec::new();
    for (file, control_index, id) in variants {
        let Some((Some(control), control_errors)) = &results[control_index] else {
            continue;
        };
        if control.meta.draft && !include_drafts {
            results[file] = None;
            continue;
        }
        let loaded = load_variant(site, content_dir, &files[file], config, control, &id);
        let (page, mut errors) = match loaded {
            Ok((page, errors)) => (Some(Arc::new(page)), errors),
            Err(errors) => (None, errors),
        };
        // An error with a line is in the variant's own file.
        errors.retain(|d| {
            let same =
                |c: &Diagnostic| c.line.is_some() && c.code == d.code && c.message == d.message;
            let at = d
                .line
                .is_none()
                .then(|| control_errors.iter().position(same));
            match at.flatten() {
                Some(at) => inheritors.push((control_index, at, d.file.clone())),
                None => return true,
            }
            false
        });
        results[file] = Some((page, errors));
    }
    name_inheritors(results, inheritors);
}

/// Adds to each control's error the variant files that inherit it.
fn name_inheritors(results: &mut [Option<Loading>], mut inheritors: Vec<(usize, usize, String)>) {
    inheritors.sort();
    inheritors.dedup();
    for group in inheritors.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (control, at, _) = &group[0];
        let files: Vec<&str> = group.iter().map(|(_, _, file)| file.as_str()).collect();
        if let Some((_, errors)) = &mut results[*control] {
            experiment::name_inheritors(&mut errors[*at], &files);
        }
    }
}

/// The pages, the drafts' and the broken files' content paths, from what
/// each file gave; the files' problems go to `diagnostics`.
fn sort_out(
    results: Vec<Option<Loading>>,
    files: &[PathBuf],
    content_dir: &Path,
    include_drafts: bool,
    diagnostics: &mut Diagnostics,
) -> (Vec<Arc<Page>>, Vec<String>, Vec<String>) {
    let mut pages = Vec::with_capacity(results.len());
    let mut drafts = Vec::new();
    let mut broken = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        let Some((page, errors)) = result else {
            continue;
        };
        diagnostics.extend(errors);
        match page {
            Some(page) if page.meta.draft && !include_drafts => {
                drafts.push(page.content_path.clone())
            }
            Some(page) => pages.push(page),
            None => broken.push(display_path(content_dir, &files[i])),
        }
    }
    (pages, drafts, broken)
}

/// The variant files that experiments name: (file index, control index,
/// variant id). A variant file that does not exist, is the control itself,
/// or is claimed twice, is an error at the line that names it.
fn find_variants(
    files: &[PathBuf],
    content_dir: &Path,
    results: &[Option<Loading>],
    diagnostics: &mut Diagnostics,
) -> Vec<(usize, usize, String)> {
    let controls: Vec<(usize, &Page)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Some((Some(page), _)) if page.meta.experiment.is_some() => Some((i, &**page)),
            _ => None,
        })
        .collect();
    if controls.is_empty() {
        return Vec::new();
    }
    let by_path: FxHashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (display_path(content_dir, f), i))
        .collect();
    let mut claimed: FxHashMap<usize, &Page> = FxHashMap::default();
    let mut found = Vec::new();
    for (control_index, control) in controls {
        let experiment = control.meta.experiment.as_ref().expect("filtered");
        for variant in &experiment.variants {
            match claim_variant(&by_path, (control_index, control), variant, &mut claimed) {
                Ok(file) => found.push((file, control_index, variant.id.clone())),
                Err(error) => diagnostics.push(error),
            }
        }
    }
    found
}

/// The index of the file `variant` names, now claimed by `control`; an
/// error when no file has that path, it is the control itself, or another
/// experiment claimed it first.
fn claim_variant<'a>(
    by_path: &FxHashMap<String, usize>,
    (control_index, control): (usize, &'a Page),
    variant: &experiment::VariantSpec,
    claimed: &mut FxHashMap<usize, &'a Page>,
) -> Result<usize, Diagnostic> {
    let wanted = crate::base::url::normalize(&variant.file.value);
    let error = |message: String, hint: &str| {
        Diagnostic::error("invalid-variant", &control.file, message)
            .at_pos(variant.file.pos)
            .with_hint(hint.to_string())
    };
    let Some(&file) = by_path.get(wanted) else {
        let known = by_path.keys().map(String::as_str);
        let message = format!(
            "variant \"{}\" names `{}`, which does not exist{}",
            variant.id,
            variant.file.value,
            crate::base::diagnostics::suggestion(wanted, known)
        );
        return Err(error(message, "the path is relative to `content/`; create the file with the front matter keys that differ from this page"));
    };
    if file == control_index {
        let message = format!("variant \"{}\" is this page itself", variant.id);
        return Err(error(message, "a variant is another file"));
    }
    if let Some(first) = claimed.insert(file, control) {
        let message = format!(
            "`{}` is already a variant of {}",
            variant.file.value, first.file
        );
        return Err(error(
            message,
            "each variant file belongs to one experiment",
        ));
    }
    Ok(file)
}

/// Loads a variant file: its front matter over its control's, its body
/// (or the control's, when its own is blank), at `/<control>/<id>/`.
fn load_variant(
    site: &Path,
    content_dir: &Path,
    path: &Path,
    config: &Config,
    control: &Page,
    id: &str,
) -> Result<(Page, Vec<Diagnostic>), Vec<Diagnostic>> {
    let file = display_path(site, path);
    let text = read_text(path, &file)?;
    let control_text = read_text(&control.body.path, &control.file)?;
    let control_split = front_matter::split(&control_text, &control.file).map_err(|d| vec![d])?;
    let control_map =
        crate::base::yaml::Source::new(control_split.yaml, &control.file, control_split.yaml_line)
            .parse_mapping("front matter")
            .map_err(|d| vec![d])?;
    let split = front_matter::split(&text, &file).map_err(|d| vec![d])?;
    let (mut meta, own_keys) = front_matter::parse_variant(&split, &file, config, &control_map)?;
    meta.noindex = Some(true);
    let own_body = !split.body.trim().is_empty();
    let variant = Some(Box::new(VariantOf {
        control: control.content_path.clone(),
        id: id.to_string(),
        own_keys,
        own_body,
    }));
    let path_of_variant = experiment::variant_path(&control.path, id);
    if !own_body {
        return Ok((
            Page {
                file,
                content_path: display_path(content_dir, path),
                path: path_of_variant,
                meta,
                body: control.body.clone(),
                body_line: control.body_line,
                scan: control.scan.clone(),
                calls: control.calls.clone(),
                variant,
                plan_checkouts: Vec::new(),
            },
            Vec::new(),
        ));
    }
    let (mut page, call_errors) = page_from_parts(file, content_dir, path, &text, &split, meta)?;
    page.path = path_of_variant;
    page.variant = variant;
    Ok((page, call_errors))
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

/// The text of a page file; `file` names it in the error.
fn read_text(path: &Path, file: &str) -> Result<String, Vec<Diagnostic>> {
    fs::read_to_string(path).map_err(|e| vec![Diagnostic::error("io", file, e.to_string())])
}

pub(crate) fn load_page(
    site: &Path,
    content_dir: &Path,
    path: &Path,
    config: &Config,
) -> Result<Page, Vec<Diagnostic>> {
    match load_page_partial(site, content_dir, path, config) {
        (Some(page), errors) if errors.is_empty() => Ok(page),
        (_, errors) => Err(errors),
    }
}

/// Loads a page as far as it goes: a page whose front matter has errors
/// comes back with what parsed, beside its errors; a file with no page in
/// it (unreadable, no front matter, YAML that does not parse, no URL)
/// comes back as `None`.
fn load_page_partial(
    site: &Path,
    content_dir: &Path,
    path: &Path,
    config: &Config,
) -> (Option<Page>, Vec<Diagnostic>) {
    let file = display_path(site, path);
    let text = match read_text(path, &file) {
        Ok(text) => text,
        Err(errors) => return (None, errors),
    };
    let split = match front_matter::split(&text, &file) {
        Ok(split) => split,
        Err(error) => return (None, vec![error]),
    };
    let (meta, mut errors) = match front_matter::parse_partial(&split, &file, config) {
        Ok(parsed) => parsed,
        Err(errors) => return (None, errors),
    };
    match page_from_parts(file, content_dir, path, &text, &split, meta) {
        Ok((page, call_errors)) => {
            errors.extend(call_errors);
            (Some(page), errors)
        }
        Err(more) => {
            errors.extend(more);
            (None, errors)
        }
    }
}

/// A page from its file's text and its front matter: its URL, and its body
/// scanned for links, headings and component calls; with the errors of its
/// malformed calls, which leave the page's other calls in it to be checked.
fn page_from_parts(
    file: String,
    content_dir: &Path,
    path: &Path,
    text: &str,
    split: &front_matter::Split,
    meta: FrontMatter,
) -> Result<(Page, Vec<Diagnostic>), Vec<Diagnostic>> {
    let content_path = display_path(content_dir, path);
    let url = url_path(&content_path, meta.slug.as_deref()).map_err(|message| {
        vec![Diagnostic::error("invalid-slug", &file, message)
            .at(1, 1)
            .with_hint("set `slug:` in the front matter")]
    })?;
    if let Some(pos) = markdown::too_deep(split.body, split.body_line) {
        let message = format!(
            "block quotes and lists nested more than {} levels deep",
            markdown::MAX_NESTING
        );
        return Err(vec![Diagnostic::error("too-deep", &file, message)
            .at(pos.line, pos.column)
            .with_hint("a page nests a few `>` or list levels at most")]);
    }
    let (parsed, call_errors) = components::parse_partial(split.body, split.body_line, &file);
    let (scan, calls) = match parsed {
        Some(parsed) => {
            let mut scan = markdown::scan(&parsed.text, split.body_line);
            scan.links.extend(parsed.links);
            (scan, parsed.calls)
        }
        None => (markdown::scan(split.body, split.body_line), Vec::new()),
    };
    // The body is the end of the file.
    let body = BodySource {
        range: text.len() - split.body.len()..text.len(),
        hash: xxh3_64(split.body.as_bytes()),
        path: path.to_path_buf(),
    };
    Ok((
        Page {
            file,
            content_path,
            path: url,
            meta,
            body,
            body_line: split.body_line,
            scan,
            calls,
            variant: None,
            plan_checkouts: Vec::new(),
        },
        call_errors,
    ))
}

/// How to part two pages with one URL; a variant may not set `slug:`, its
/// URL is its control's URL and its id.
fn duplicate_hint(a: &Page, b: &Page) -> String {
    let (variant, other) = match (&a.variant, &b.variant) {
        (Some(v), None) => (v, b),
        (None, Some(v)) => (v, a),
        (Some(v), Some(_)) => {
            let message = format!(
                "change the variant id \"{}\" in the `experiment:` of content/{}",
                v.id, v.control
            );
            return message;
        }
        (None, None) => return "give one of them another `slug:` or rename the file".into(),
    };
    format!(
        "give {} another `slug:` or rename it, or change the variant id \"{}\" in the `experiment:` of content/{}",
        other.file, variant.id, variant.control
    )
}

fn check_duplicate_urls(pages: &[Arc<Page>], diagnostics: &mut Diagnostics) {
    let mut seen: FxHashMap<&str, &Page> =
        FxHashMap::with_capacity_and_hasher(pages.len(), Default::default());
    let mut sorted: Vec<&Page> = pages.iter().map(|p| &**p).collect();
    sorted.sort_by(|a, b| a.file.cmp(&b.file));
    for page in sorted {
        if let Some(first) = seen.insert(&page.path, page) {
            let message = format!(
                "{} and {} both have the URL {}",
                first.file, page.file, page.path
            );
            let diagnostic = Diagnostic::error("duplicate-url", &page.file, message)
                .at(1, 1)
                .with_hint(duplicate_hint(first, page));
            diagnostics.push(diagnostic);
            seen.insert(&first.path, first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_read_again_and_must_be_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join(CONTENT_DIR);
        std::fs::create_dir_all(&content).unwrap();
        let file = content.join("guide.md");
        std::fs::write(&file, "\u{feff}---\ntitle: Guide\n---\n# Hi\n\n[a](/a/)\n").unwrap();
        let config =
            crate::input::config::parse("title: t\nbase_url: https://t.example\n").unwrap();
        let page = load_page(dir.path(), &content, &file, &config).unwrap();
        assert_eq!(page.read_body().unwrap(), "# Hi\n\n[a](/a/)\n");
        assert_eq!(
            page.scan.links[0].pos,
            crate::base::diagnostics::Pos::new(6, 1)
        );

        std::fs::write(&file, "\u{feff}---\ntitle: Guide\n---\n# Ho\n\n[a](/a/)\n").unwrap();
        let error = page.read_body().unwrap_err();
        assert_eq!(error.code, CHANGED_WHILE_BUILDING);
        assert_eq!(error.file, "content/guide.md");
    }
}
