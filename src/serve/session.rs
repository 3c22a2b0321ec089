//! A build kept in memory and brought up to date file by file: what the
//! dev server serves. It runs the same pipeline as `build` (there is no
//! second way to build) and redoes only what a change affects:
//!
//! - a page's Markdown: that page is read again and the funnel re-linked;
//!   the page is rendered again, with the pages whose links to or from it
//!   changed; everything when its title, URL, stage or offer changed, since
//!   every page sees those through `journey`;
//! - CSS: only the stylesheets (their names carry no hash in dev builds,
//!   so the pages stay as they are);
//! - a static file: only the static files;
//! - a template, data file, theme or site.yaml: everything.
//!
//! A change that fails leaves the last good build in place.
//!
//! Pages are rendered from their files, read again (see [`Page::read_body`]);
//! a file saved between reading and rendering makes the rebuild start over
//! from the files, so the next good build has every change.

use crate::base::diagnostics::{Diagnostic, Diagnostics};
use crate::funnel::{Funnel, LinkKind};
use crate::input::theme;
use crate::page::content::{self, Page, CONTENT_DIR};
use crate::render::assets;
use crate::render::cards::{self, Cards};
use crate::render::forms::FormContext;
pub use crate::render::images::PendingImage;
use crate::render::renderer::Renderer;
use crate::site::{self, BuildOptions, Prepared};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What kind of rebuild a set of changed files needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Nothing the build reads (a README, the output folder).
    None,
    Static,
    Css,
    Content,
    Everything,
}

/// Which part of the site a path (relative to the site folder) belongs to.
pub fn scope_of(relative: &Path) -> Scope {
    let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
    match parts.as_slice() {
        ["site.yaml"] => Scope::Everything,
        [CONTENT_DIR, .., last] if last.ends_with(".md") => Scope::Content,
        // A folder moved in or out (or deleted) reports only itself, and
        // may have a dot in its name (`v1.2`): only a known kind of file
        // beside the pages is left out. When unsure, the content is read
        // again, which is never stale.
        [CONTENT_DIR, .., last] if !is_known_file(last) => Scope::Content,
        // An image may be on any page, processed into new file names.
        [CONTENT_DIR, .., last] if is_image(last) => Scope::Everything,
        [CONTENT_DIR, ..] => Scope::None,
        ["css", ..] | ["themes", _, "css", ..] => Scope::Css,
        ["static", .., last] | ["themes", _, "static", .., last] if is_image(last) => {
            Scope::Everything
        }
        ["static", ..] | ["themes", _, "static", ..] => Scope::Static,
        ["templates", ..] | ["data", ..] | ["themes", ..] => Scope::Everything,
        _ => Scope::None,
    }
}

/// A name with the extension of a file that sits beside pages and is not
/// one (an image, a download), so not a folder of pages.
fn is_known_file(name: &str) -> bool {
    const FILES: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "pdf", "txt", "zip", "mp4",
        "webm", "mp3", "ogg", "wav", "csv", "json", "yaml", "yml", "toml", "html", "css", "js",
        "woff", "woff2", "swp", "tmp", "bak",
    ];
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| FILES.contains(&ext.to_ascii_lowercase().as_str()))
}

/// A file name the image pipeline reads.
fn is_image(name: &str) -> bool {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        extension.as_deref(),
        Some("jpg" | "jpeg" | "png" | "webp" | "gif" | "svg")
    )
}

/// The outcome of a rebuild, for the terminal and the browsers.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Output paths whose bytes changed, were added or removed.
    pub changed: Vec<String>,
    /// Pages rendered again.
    pub pages: usize,
    /// Only stylesheets changed: browsers can swap them without a reload.
    pub css_only: bool,
    /// Warnings of the new build, `page-weight` included, sorted as
    /// `build` and `check` print them: the very same `Arc` as the last
    /// rebuild's when a save changed none.
    pub warnings: Arc<Diagnostics>,
    /// Image variants this rebuild encodes, in the background (see
    /// [`Session::image`]): 0 unless an image is new or changed, since the
    /// images of the last build are kept.
    pub images_encoded: usize,
    /// Social cards this rebuild drew: none, since the dev server draws a
    /// card only when its file is asked for (see [`Session::card`]).
    pub cards_drawn: usize,
}

pub struct Session {
    options: BuildOptions,
    prepared: Option<Prepared>,
    /// Ordered, so a page's cards are found by their name's prefix.
    files: Served,
    /// The last rebuild failed: the files are the last good build, and the
    /// next rebuild starts from the files, whatever changed, so that its
    /// errors are those of a fresh build and a save elsewhere cannot hide
    /// them.
    failed: bool,
    /// The warnings last handed to the terminal, and what they were made of.
    listed: Listed,
}

/// The warning list of a build for the terminal: its journey and
/// conversion warnings with the pages' `page-weight` ones, which the dev
/// server finds as it renders, in the order `build` prints them. Kept with
/// the two lists it was made from, so that a save changing neither hands
/// back the same `Arc` and the list is not copied and sorted again.
#[derive(Default)]
struct Listed {
    diagnostics: Arc<Diagnostics>,
    weights: Vec<Diagnostic>,
    all: Arc<Diagnostics>,
}

impl Session {
    /// Builds the whole site into memory.
    pub fn start(options: BuildOptions) -> Result<(Session, Rebuilt), Diagnostics> {
        let mut session = Session {
            options,
            prepared: None,
            files: Served::new(),
            failed: false,
            listed: Listed::default(),
        };
        let mut rebuilt = session.rebuild_everything()?;
        rebuilt.warnings = session.listed_warnings();
        Ok((session, rebuilt))
    }

    /// The bytes of an output file (`guide/index.html`); for an image
    /// still being encoded, once it is (see [`Session::image`]); for a
    /// social card not drawn yet, drawn now (see [`Session::card`]).
    pub fn file(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        if let Some(card) = self.card(path) {
            return card.png().ok();
        }
        match self.files.get(path) {
            Some(bytes) => Some(Arc::clone(bytes)),
            None => Some(Arc::new(self.image(path)?.wait().ok()?)),
        }
    }

    /// A social card the pages name (`social/guide.1a2b3c4d.png`): pages
    /// are rendered with its URL, and it is drawn the first time it is
    /// asked for, then kept in memory and in the card cache. Draw it
    /// without holding the session.
    pub fn card(&self, path: &str) -> Option<PendingCard> {
        // Rendering leaves an empty placeholder under a card's name.
        if !self.files.get(path)?.is_empty() {
            return None;
        }
        let card = self.prepared.as_ref()?.cards.deferred(path)?;
        Some(PendingCard(card))
    }

    /// How many social cards were drawn since the last whole rebuild
    /// (each on the first request for it).
    pub fn cards_drawn(&self) -> usize {
        self.prepared.as_ref().map_or(0, |p| p.cards.drawn())
    }

    /// How many social cards the session keeps in memory, drawn or still
    /// to draw: one per page that names a card, however often it changed.
    pub fn cards_kept(&self) -> usize {
        self.prepared
            .as_ref()
            .map_or(0, |p| p.cards.deferred_count())
    }

    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.image(path).is_some()
    }

    /// An image file (`img/hero.960.1a2b3c4d.avif`) the pages name that is
    /// not among the files yet because it was being encoded when they were
    /// rendered: wait for it without holding the session.
    pub fn image(&self, path: &str) -> Option<PendingImage> {
        if self.files.contains_key(path) {
            return None;
        }
        (self.prepared.as_ref()?.images).file(path)
    }

    /// The root-relative URL of the thank-you page of the form on `path`.
    pub fn thank_you_url(&self, path: &str) -> Option<String> {
        let prepared = self.prepared.as_ref()?;
        let funnel = &prepared.funnel;
        let from = funnel.index_at(path)?;
        let to = funnel.link_target(from, crate::funnel::LinkKind::Form)?;
        Some(prepared.config.href(&funnel.pages[to].path))
    }

    /// The opt-in form of the page at `path`, as rendered.
    pub(crate) fn form(&self, path: &str) -> Option<FormContext> {
        let prepared = self.prepared.as_ref()?;
        let funnel = &prepared.funnel;
        let index = funnel.index_at(path)?;
        let strings = prepared.renderer.strings();
        crate::render::context::page_form(&prepared.config, strings, funnel, index)
    }

    /// Brings the build up to date with `changed` (absolute or site-relative
    /// paths). On error the previous build stays.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Rebuilt, Diagnostics> {
        let result = self.rebuild_changed(changed);
        self.failed = result.is_err();
        let mut rebuilt = result?;
        rebuilt.warnings = self.listed_warnings();
        Ok(rebuilt)
    }

    /// The build's warnings for the terminal (see [`Listed`]); none before
    /// a build succeeds.
    fn listed_warnings(&mut self) -> Arc<Diagnostics> {
        let Some(prepared) = &self.prepared else {
            return Arc::default();
        };
        let weights = prepared.weights();
        let listed = &mut self.listed;
        if !Arc::ptr_eq(&prepared.diagnostics, &listed.diagnostics) || weights != listed.weights {
            let mut all = (*prepared.diagnostics).clone();
            all.extend(weights.iter().cloned());
            all.sort();
            *listed = Listed {
                diagnostics: Arc::clone(&prepared.diagnostics),
                weights,
                all: Arc::new(all),
            };
        }
        Arc::clone(&listed.all)
    }

    fn rebuild_changed(&mut self, changed: &[PathBuf]) -> Result<Rebuilt, Diagnostics> {
        let relative: Vec<PathBuf> = changed
            .iter()
            .map(|p| {
                p.strip_prefix(&self.options.site)
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|_| p.clone())
            })
            .collect();
        let scope = relative
            .iter()
            .map(|p| scope_of(p))
            .max()
            .unwrap_or(Scope::None);
        if self.prepared.is_none() || self.failed {
            return self.rebuild_everything();
        }
        match scope {
            Scope::None => Ok(Rebuilt::default()),
            Scope::Static | Scope::Css => self.rebuild_assets(scope),
            Scope::Content => {
                let pages: Vec<&PathBuf> = relative
                    .iter()
                    .filter(|p| scope_of(p) == Scope::Content)
                    .collect();
                match self.rebuild_pages(&pages)? {
                    Some(rebuilt) => Ok(rebuilt),
                    None => self.rebuild_everything(),
                }
            }
            Scope::Everything => self.rebuild_everything(),
        }
    }

    fn rebuild_everything(&mut self) -> Result<Rebuilt, Diagnostics> {
        let mut attempts = 1;
        let earlier = self.prepared.as_ref().map(|p| Arc::clone(&p.images));
        let (prepared, files) = loop {
            let mut prepared = site::prepare_after(&self.options, earlier.as_deref())?;
            // A page edit never waits for a card: each is drawn on request.
            let cache = self.options.site.join(cards::CACHE_DIR);
            prepared.cards = Cards::on_request(Some(cache));
            // A page edit never waits for an image encoder.
            prepared.images.in_background();
            // The map's cards show the pages' weights, as a build's do.
            prepared.weigh_pages();
            match render_files(&prepared, None, &self.files) {
                Ok(files) => break (prepared, files),
                Err(errors) if changed_while_building(&errors) && attempts < 3 => attempts += 1,
                Err(errors) => return Err(errors),
            }
        };
        let pages = prepared.funnel.pages.len();
        let changed = self.replace_files(files, true);
        let images_encoded = prepared.images.encoded();
        let cards_drawn = prepared.cards.drawn();
        self.prepared = Some(prepared);
        Ok(Rebuilt {
            changed,
            pages,
            css_only: false,
            images_encoded,
            cards_drawn,
            ..Rebuilt::default()
        })
    }

    /// CSS or static files changed: reload the theme's files and redo those.
    fn rebuild_assets(&mut self, scope: Scope) -> Result<Rebuilt, Diagnostics> {
        let prepared = self.prepared.as_mut().expect("a build to update");
        let site = self.options.site.as_path();
        let theme = theme::load(site, &prepared.config, &prepared.config_text)?;
        let css = assets::build(&theme, prepared.config.base_path(), !self.options.dev)?;
        if css.urls != prepared.css.urls {
            // A stylesheet was added or removed: the pages link others now.
            return self.rebuild_everything();
        }
        let mut files: Vec<(String, Vec<u8>)> = css
            .files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect();
        files.extend(
            theme
                .layer("static")
                .map(|(path, file)| (path.to_string(), file.bytes.to_vec())),
        );
        let old_assets: Vec<String> = prepared
            .theme
            .layer("static")
            .map(|(p, _)| p.to_string())
            .collect();
        prepared.theme = theme;
        prepared.css = css;
        files.extend(reweigh(prepared, &self.files).map_err(|e| Diagnostics::from_iter([e]))?);
        let mut changed = Vec::new();
        let fresh: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for path in old_assets {
            if !fresh.contains(path.as_str()) && self.files.remove(&path).is_some() {
                changed.push(path);
            }
        }
        changed.extend(self.replace_files(files, false));
        changed.sort();
        let css_only = scope == Scope::Css && changed.iter().all(|p| p.ends_with(".css"));
        Ok(Rebuilt {
            changed,
            pages: 0,
            css_only,
            ..Rebuilt::default()
        })
    }

    /// Some pages' Markdown changed. `None` when the change adds, removes or
    /// moves a page, which needs a whole build.
    fn rebuild_pages(&mut self, changed: &[&PathBuf]) -> Result<Option<Rebuilt>, Diagnostics> {
        let Some((pages, touched)) = self.reread_pages(changed)? else {
            return Ok(None);
        };
        let (inputs, old_renderer, old) = Replaced::of(self.prepared.take().expect("a build"));
        let journey_changed = touched
            .iter()
            .any(|&i| journey_ref(&old.funnel.pages[i]) != journey_ref(&pages[i]));
        // The old renderer is reused when the journey context is the same,
        // and kept aside otherwise, to restore the last good build.
        let (reuse, mut kept) = if journey_changed {
            (None, Some(old_renderer))
        } else {
            (Some(old_renderer), None)
        };
        let previous = old.previous(&touched, &pages);
        let mut prepared = match site::link(inputs, pages, reuse, previous) {
            Ok(prepared) => prepared,
            Err((inputs, returned, errors)) => {
                self.restore(inputs, &old.funnel, kept.take().or(returned));
                return Err(errors);
            }
        };
        let warnings_changed = keep_same_warnings(&mut prepared, old.warnings);
        let targets = (!journey_changed).then(|| relinked(&touched, &prepared.funnel, &old.funnel));
        let others_changed = journey_changed
            || warnings_changed
            || shared_parts_changed(&prepared, &old.funnel, &touched);
        keep_weights(&mut prepared, &old.weights, targets.as_ref());
        let only = targets.as_ref().map(|t| Only {
            pages: t,
            others: others_changed,
            old_weights: &old.weights,
        });
        let files = match render_files(&prepared, only, &self.files) {
            Ok(files) => files,
            Err(errors) => {
                let (inputs, _, renderer) = prepared.into_parts();
                self.restore(inputs, &old.funnel, Some(kept.take().unwrap_or(renderer)));
                // Another page was saved since it was read: start over.
                return if changed_while_building(&errors) {
                    Ok(None)
                } else {
                    Err(errors)
                };
            }
        };
        let mut rebuilt = self.take_pages(prepared, files, targets);
        rebuilt.images_encoded = rebuilt.images_encoded.saturating_sub(old.counts.0);
        // A request may draw a card meanwhile: a count, not an identity.
        rebuilt.cards_drawn = rebuilt.cards_drawn.saturating_sub(old.counts.1);
        // The old links and warnings are a few allocations per page: a
        // worker frees them, and the save is served sooner.
        rayon::spawn(move || drop((old.funnel, old.found)));
        Ok(Some(rebuilt))
    }

    /// After a failed page rebuild: the last good build again, from its
    /// pages and a renderer (none when the templates no longer compile).
    fn restore(&mut self, inputs: site::Inputs, old: &Funnel, renderer: Option<Renderer>) {
        self.prepared =
            renderer.and_then(|r| site::link(inputs, old.pages.clone(), Some(r), None).ok());
    }

    /// The pages with the `changed` files read again, and the indexes of
    /// those read; `None` when a change needs a whole build (a page added,
    /// removed, moved, drafted, or part of an experiment).
    fn reread_pages(&self, changed: &[&PathBuf]) -> Result<Option<Reread>, Diagnostics> {
        let site = self.options.site.as_path();
        let content_dir = site.join(CONTENT_DIR);
        let prepared = self.prepared.as_ref().expect("a build to update");
        let mut pages = prepared.funnel.pages.clone();
        let mut touched = Vec::new();
        let mut errors = Diagnostics::new();
        for relative in changed {
            let path = site.join(relative);
            let content_path = relative
                .strip_prefix(CONTENT_DIR)
                .unwrap_or(relative)
                .to_string_lossy()
                .replace('\\', "/");
            let Some(index) = prepared.funnel.index_of(&content_path) else {
                return Ok(None);
            };
            // Variants take their control's front matter: an experiment's
            // pages are rebuilt together.
            let old = &pages[index];
            if !path.is_file() || old.variant.is_some() || old.meta.experiment.is_some() {
                return Ok(None);
            }
            match content::load_page(site, &content_dir, &path, &prepared.config) {
                Ok(page) => {
                    if page.path != pages[index].path
                        || (page.meta.draft && !self.options.drafts)
                        || page.meta.experiment.is_some()
                    {
                        return Ok(None);
                    }
                    pages[index] = Arc::new(page);
                    touched.push(index);
                }
                Err(page_errors) => errors.extend(page_errors),
            }
        }
        if errors.has_errors() {
            errors.sort();
            return Err(errors);
        }
        Ok(Some((pages, touched)))
    }

    /// Keeps the rendered `files` of a page rebuild and the new build;
    /// the counts of images encoded and cards drawn are the build's totals.
    fn take_pages(
        &mut self,
        prepared: Prepared,
        files: Vec<(String, Vec<u8>)>,
        targets: Option<BTreeSet<usize>>,
    ) -> Rebuilt {
        let pages = targets
            .as_ref()
            .map_or(prepared.funnel.pages.len(), BTreeSet::len);
        let mut changed = Vec::new();
        if let Some(targets) = &targets {
            for path in stale_cards(&self.files, &prepared, targets, &files) {
                self.files.remove(&path);
                changed.push(path);
            }
        }
        changed.extend(self.replace_files(files, targets.is_none()));
        changed.sort();
        // Each new title names a new card: forget those no page names, the
        // files this rebuild removed.
        let removed = changed
            .iter()
            .filter(|path| !self.files.contains_key(*path));
        prepared.cards.forget(removed);
        let (images_encoded, cards_drawn) = (prepared.images.encoded(), prepared.cards.drawn());
        self.prepared = Some(prepared);
        Rebuilt {
            changed,
            pages,
            css_only: false,
            images_encoded,
            cards_drawn,
            ..Rebuilt::default()
        }
    }

    /// Puts new files in; with `complete`, files not among them go.
    /// Returns the paths whose bytes changed.
    fn replace_files(&mut self, files: Vec<(String, Vec<u8>)>, complete: bool) -> Vec<String> {
        let mut changed = Vec::new();
        if complete {
            let fresh: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            let stale: Vec<String> = self
                .files
                .keys()
                .filter(|p| !fresh.contains(p.as_str()))
                .cloned()
                .collect();
            for path in stale {
                self.files.remove(&path);
                changed.push(path);
            }
        }
        for (path, bytes) in files {
            if self.files.get(&path).is_none_or(|old| **old != bytes) {
                self.files.insert(path.clone(), Arc::new(bytes));
                changed.push(path);
            }
        }
        changed.sort();
        changed
    }
}

/// A social card of the dev server, drawn when it is first asked for.
pub struct PendingCard(Arc<cards::Deferred>);

impl PendingCard {
    /// The card's PNG; the error, at the theme's `social.svg`, when its
    /// SVG cannot be drawn.
    pub fn png(&self) -> Result<Arc<Vec<u8>>, Diagnostic> {
        self.0.png()
    }
}

/// Every page, with the edited ones read again, and the indexes of those.
type Reread = (Vec<Arc<Page>>, Vec<usize>);

/// Pages to render again after an edit that kept the journey: the edited
/// ones, and those whose links or incoming links changed.
fn relinked(touched: &[usize], funnel: &Funnel, old: &Funnel) -> BTreeSet<usize> {
    let mut set: BTreeSet<usize> = touched.iter().copied().collect();
    // A success page reports the price of the offer whose checkout leads there.
    set.extend(
        (touched.iter())
            .flat_map(|&i| &funnel.links[i])
            .filter(|l| l.kind == LinkKind::Checkout)
            .map(|l| l.to),
    );
    for i in 0..funnel.pages.len() {
        if funnel.links[i] != old.links[i] || funnel.incoming[i] != old.incoming[i] {
            set.insert(i);
        }
    }
    set
}

/// What a page rebuild keeps of the build it replaces.
struct Replaced {
    funnel: Funnel,
    /// Taken, not cloned: a site's warnings may number thousands.
    warnings: Arc<Diagnostics>,
    found: crate::funnel::Found,
    weights: Vec<Diagnostic>,
    /// Images encoded and cards drawn by then.
    counts: (usize, usize),
}

impl Replaced {
    /// `old` taken apart: what it read, its renderer, and the rest.
    fn of(mut old: Prepared) -> (site::Inputs, Renderer, Replaced) {
        let counts = (old.images.encoded(), old.cards.drawn());
        let warnings = std::mem::take(&mut old.diagnostics);
        let found = std::mem::take(&mut old.found);
        let weights = old.weights();
        let (inputs, funnel, renderer) = old.into_parts();
        let replaced = Replaced {
            funnel,
            warnings,
            found,
            weights,
            counts,
        };
        (inputs, renderer, replaced)
    }

    /// This build as the one the `touched` `pages` replace (see
    /// [`site::link`]); `None` when a heading of a touched page changed,
    /// which other pages' links may point at.
    fn previous<'a>(
        &'a self,
        touched: &'a [usize],
        pages: &[Arc<Page>],
    ) -> Option<crate::funnel::Previous<'a>> {
        let old = &self.funnel.pages;
        let same = (touched.iter()).all(|&i| old[i].scan.headings == pages[i].scan.headings);
        same.then_some(crate::funnel::Previous {
            funnel: &self.funnel,
            touched,
            found: &self.found,
            all: &self.warnings,
        })
    }
}

/// True when `prepared`'s warnings differ from `old`; when they do not, it
/// takes `old` itself, so the server sees that by the pointer. A page
/// rebuild hands the same list back already; a whole link (after a heading
/// changed) makes a new one, which may still be equal.
fn keep_same_warnings(prepared: &mut Prepared, old: Arc<Diagnostics>) -> bool {
    let changed = !Arc::ptr_eq(&prepared.diagnostics, &old) && *prepared.diagnostics != *old;
    if !changed {
        prepared.diagnostics = old;
    }
    changed
}

/// The social cards of the re-rendered `pages` that the new `files` no
/// longer hold: a card's name carries its hash, so a new title or
/// description (or `noindex`) leaves the old card behind otherwise.
fn stale_cards(
    served: &Served,
    prepared: &Prepared,
    pages: &BTreeSet<usize>,
    files: &[(String, Vec<u8>)],
) -> Vec<String> {
    let fresh: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    // `social/offers/kit.` + 8 hex digits + `.png`.
    let prefixes: Vec<String> = (pages.iter())
        .map(|&i| cards::file_path(&prepared.funnel.pages[i].path, 0))
        .map(|p| p.trim_end_matches("00000000.png").to_string())
        .collect();
    let is_card_of = |path: &str, prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".png"))
            .is_some_and(|hash| hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut stale = Vec::new();
    for prefix in &prefixes {
        let under = (served.range::<String, _>(prefix..)).map(|(path, _)| path);
        for path in under.take_while(|path| path.starts_with(prefix.as_str())) {
            if is_card_of(path, prefix) && !fresh.contains(path.as_str()) {
                stale.push(path.clone());
            }
        }
    }
    stale
}

/// The files the dev server serves, by output path.
type Served = BTreeMap<String, Arc<Vec<u8>>>;

/// True when a page file changed between reading and rendering.
fn changed_while_building(errors: &Diagnostics) -> bool {
    errors
        .iter()
        .any(|e| e.code == content::CHANGED_WHILE_BUILDING)
}

/// What other pages see of a page through `journey`, `next` and `incoming`.
fn journey_ref(page: &Page) -> (&str, &str, Option<&str>, Option<&str>) {
    (
        &page.meta.title,
        &page.path,
        page.meta.stage.as_deref(),
        page.meta.offer.as_deref(),
    )
}

/// What the sitemaps, funnel.json and the map show of a page.
type MapRef<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<bool>,
    bool,
    Option<(&'a str, &'a str)>,
);

fn map_ref(page: &Page) -> MapRef<'_> {
    (
        &page.meta.layout.value,
        page.meta.date.as_deref().unwrap_or(""),
        page.meta.description.as_deref(),
        page.meta.noindex,
        page.meta.draft,
        (page.meta.checkout.as_ref()).map(|c| (c.provider.id(), c.url.as_str())),
    )
}

/// Starts `prepared`'s `page-weight` warnings with those of the last
/// rebuild that still hold: of the pages it does not render again
/// (`targets`; none when it renders every page).
fn keep_weights(prepared: &mut Prepared, old: &[Diagnostic], targets: Option<&BTreeSet<usize>>) {
    let rendered: HashSet<&str> = (targets.into_iter().flatten())
        .map(|&i| prepared.funnel.pages[i].file.as_str())
        .collect();
    let kept = (old.iter())
        .filter(|w| targets.is_some() && !rendered.contains(w.file.as_str()))
        .cloned()
        .collect();
    prepared.weights = Some(Mutex::new(kept));
}

/// After a stylesheet or static file changed, which the pages' weights
/// count: every page weighed again from its served HTML, and the map and
/// funnel.json drawn again when a page became heavy or light (none
/// otherwise).
fn reweigh(prepared: &mut Prepared, served: &Served) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    let old = prepared.weights();
    prepared.weigh_pages();
    for page in &prepared.funnel.pages {
        if let Some(html) = served.get(&page.output_file()) {
            prepared.weigh(page, &String::from_utf8_lossy(html));
        }
    }
    if prepared.weights() == old {
        return Ok(Vec::new());
    }
    prepared.other_files(|path, bytes, _| (path, bytes))
}

/// What a page rebuild renders: `pages`, and the files drawn from every
/// page (the map, funnel.json) when `others` says they changed or the
/// pages' weights are no longer `old_weights`.
struct Only<'a> {
    pages: &'a BTreeSet<usize>,
    others: bool,
    old_weights: &'a [Diagnostic],
}

/// Renders the output files into memory: every file, or only some pages
/// (see [`Only`]) with the images not `served` yet (an image's name
/// carries its hash, so a served one has the same bytes and is not read
/// again).
fn render_files(
    prepared: &Prepared,
    only: Option<Only>,
    served: &Served,
) -> Result<Vec<(String, Vec<u8>)>, Diagnostics> {
    use rayon::prelude::*;
    let Some(only) = only else {
        return prepared.render_all(|path, bytes, _| Ok((path, bytes)));
    };
    let mut results: Vec<Result<(String, Vec<u8>), Diagnostic>> = (only.pages.par_iter())
        .flat_map_iter(|&i| match prepared.render_page(i) {
            Ok(rendered) => {
                prepared.weigh(&prepared.funnel.pages[i], &rendered.html);
                let page = (
                    prepared.funnel.pages[i].output_file(),
                    rendered.html.into_bytes(),
                );
                let card = rendered.card.map(|card| Ok((card.path, card.bytes)));
                std::iter::once(Ok(page)).chain(card).collect::<Vec<_>>()
            }
            Err(error) => vec![Err(error)],
        })
        .collect();
    // Images a re-rendered page now uses (the others are served already).
    let skip = |path: &str| served.contains_key(path);
    match prepared.image_files(skip, |path, bytes| Ok((path, bytes))) {
        Ok(files) => results.extend(files),
        Err(e) => results.push(Err(e)),
    }
    // The map's cards show the pages' weights: a page that became heavy
    // or light redraws it.
    if only.others || prepared.weights() != only.old_weights {
        match prepared.other_files(|path, bytes, _| Ok((path, bytes))) {
            Ok(files) => results.extend(files),
            Err(e) => results.push(Err(e)),
        }
    }
    site::collect_results(results)
}

/// Whether the files drawn from every page (the map, funnel.json) must be
/// made again, besides when the warnings changed (the map's cards show
/// them too): the links changed, or a touched page's card did.
fn shared_parts_changed(prepared: &Prepared, old_funnel: &Funnel, touched: &[usize]) -> bool {
    prepared.funnel.links != old_funnel.links
        || touched
            .iter()
            .any(|&i| map_ref(&old_funnel.pages[i]) != map_ref(&prepared.funnel.pages[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site with an empty `content/` in a temp folder: the folder and
    /// the content path.
    fn empty_site() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join(CONTENT_DIR);
        std::fs::create_dir_all(&content).unwrap();
        let config = "title: t\nbase_url: https://t.example\n";
        std::fs::write(dir.path().join("site.yaml"), config).unwrap();
        (dir, content)
    }

    #[test]
    fn a_page_saved_after_it_was_read_is_read_again() {
        let (dir, content) = empty_site();
        let site = dir.path();
        let write = |name: &str, text: &str| std::fs::write(content.join(name), text).unwrap();
        write("index.md", "---\ntitle: Home\n---\nHome.\n");
        write("b.md", "---\ntitle: B\n---\nOld text.\n");
        let (mut session, _) = Session::start(BuildOptions::new(site)).unwrap();

        // b.md is saved, but its event has not come yet, when the edit of
        // index.md links to b.md, so b must be rendered again.
        write("b.md", "---\ntitle: B\n---\nNew text.\n");
        write("index.md", "---\ntitle: Home\n---\nSee [b](@/b.md).\n");
        let rebuilt = session.rebuild(&[content.join("index.md")]).unwrap();
        let b = session.file("b/index.html").unwrap();
        assert!(String::from_utf8_lossy(&b).contains("New text."));
        assert!(rebuilt.changed.contains(&"b/index.html".to_string()));
    }

    #[test]
    fn edits_to_an_experiment_rebuild_its_control_and_variants() {
        let (dir, content) = empty_site();
        let site = dir.path();
        let write = |name: &str, text: &str| std::fs::write(content.join(name), text).unwrap();
        let control = |title: &str| {
            format!("---\ntitle: {title}\nexperiment:\n  id: t\n  variants: {{ b: g-b.md }}\n---\nBody.\n")
        };
        write("index.md", "---\ntitle: Home\n---\n[g](@/g.md)\n");
        write("g.md", &control("Control"));
        write("g-b.md", "---\ndescription: Variant b\n---\n");
        let (mut session, _) = Session::start(BuildOptions::new(site)).unwrap();
        let page = |session: &Session, path: &str| {
            String::from_utf8_lossy(&session.file(path).unwrap()).into_owned()
        };
        assert!(page(&session, "g/b/index.html").contains("<title>Control · t</title>"));

        // The control's new title reaches the variant, which inherits it.
        write("g.md", &control("New control"));
        session.rebuild(&[content.join("g.md")]).unwrap();
        assert!(page(&session, "g/b/index.html").contains("<title>New control · t</title>"));

        // The variant's own edit, which a lone page load could not read.
        write("g-b.md", "---\ntitle: Variant\n---\n");
        session.rebuild(&[content.join("g-b.md")]).unwrap();
        assert!(page(&session, "g/b/index.html").contains("<title>Variant · t</title>"));
        assert!(!session.has_file("g-b/index.html"));
    }

    #[test]
    fn an_offers_edit_reaches_its_success_page_and_funnel_json() {
        let (dir, content) = empty_site();
        let site = dir.path();
        let config = "title: t\nbase_url: https://t.example\nanalytics: { ga4: G-TEST1234 }\n";
        std::fs::write(site.join("site.yaml"), config).unwrap();
        let write = |name: &str, text: &str| std::fs::write(content.join(name), text).unwrap();
        let offer = |amount: u32, link: &str| {
            format!("---\ntitle: Kit\noffer: tripwire\nprice: {{ amount: {amount}, currency: EUR }}\ncheckout: {{ provider: stripe, url: \"https://buy.stripe.com/{link}\", success: thanks.md }}\n---\n")
        };
        write("index.md", "---\ntitle: Home\n---\n[kit](@/kit.md)\n");
        write("kit.md", &offer(9, "test_a"));
        write("thanks.md", "---\ntitle: Thanks\nlayout: thankyou\n---\n");
        let (mut session, _) = Session::start(BuildOptions::new(site)).unwrap();
        let file = |session: &Session, path: &str| {
            String::from_utf8_lossy(&session.file(path).unwrap()).into_owned()
        };
        assert!(file(&session, "thanks/index.html").contains("\"value\":9.0"));

        write("kit.md", &offer(12, "test_b"));
        session.rebuild(&[content.join("kit.md")]).unwrap();
        let thanks = file(&session, "thanks/index.html");
        assert!(thanks.contains("\"value\":12.0"), "{thanks}");
        assert!(file(&session, "funnel.json").contains("https://buy.stripe.com/test_b"));
    }

    /// The warnings after a save are those a whole build finds, though
    /// only the pages the save can affect are checked again; and a save
    /// that changes none hands on the very same list.
    #[test]
    fn a_save_changes_the_warnings_of_the_pages_linked_with_it() {
        let (dir, content) = empty_site();
        let site = dir.path();
        let write = |name: &str, text: &str| std::fs::write(content.join(name), text).unwrap();
        // A page of `stage` whose next step is `next` (none when empty).
        let page = |stage: &str, next: &str| {
            let next = if next.is_empty() {
                String::new()
            } else {
                format!("next: {next}\n")
            };
            format!("---\ntitle: T\ndescription: D\nstage: {stage}\n{next}---\nBody.\n")
        };
        let journey = [
            ("index.md", "aware", "a.md"),
            ("a.md", "engage", "b.md"),
            ("b.md", "subscribe", "c.md"),
            ("c.md", "convert", "d.md"),
            ("d.md", "excite", ""),
        ];
        for (name, stage, next) in journey {
            write(name, &page(stage, next));
        }
        let options = BuildOptions::new(site);
        let (mut session, first) = Session::start(options.clone()).unwrap();
        let codes = |warnings: &Diagnostics, file: &str| -> Vec<&'static str> {
            let of_file = warnings.iter().filter(|w| w.file == file);
            of_file.map(|w| w.code).collect()
        };
        assert_eq!(codes(&first.warnings, "content/a.md"), Vec::<&str>::new());
        let mut last = first.warnings;
        let edits = [
            // a.md's `next` now goes back: a links to the saved page.
            ("b.md", page("aware", "c.md")),
            // c.md loses its only link in: the saved page linked to it.
            ("b.md", page("aware", "")),
            // A body edit changes no warning.
            ("b.md", page("aware", "").replace("Body.", "New body.")),
            ("b.md", page("subscribe", "c.md")),
        ];
        for (step, (file, text)) in edits.iter().enumerate() {
            write(file, text);
            let rebuilt = session.rebuild(&[content.join(file)]).unwrap();
            let whole = site::prepare(&options).unwrap().diagnostics;
            assert_eq!(*rebuilt.warnings, *whole, "after edit {step}");
            let same = Arc::ptr_eq(&rebuilt.warnings, &last);
            assert_eq!(same, step == 2, "after edit {step}");
            last = rebuilt.warnings;
            let a = codes(&last, "content/a.md");
            let orphan_c = codes(&last, "content/c.md").contains(&"orphan-page");
            let expected = match step {
                0 => (vec!["backward-next"], false),
                1 | 2 => (vec!["backward-next"], true),
                _ => (vec![], false),
            };
            assert_eq!((a, orphan_c), expected, "after edit {step}");
        }
    }

    #[test]
    fn scopes_of_paths() {
        assert_eq!(scope_of(Path::new("site.yaml")), Scope::Everything);
        assert_eq!(scope_of(Path::new("content/a/b.md")), Scope::Content);
        assert_eq!(
            scope_of(Path::new("content/a/photo.JPG")),
            Scope::Everything
        );
        assert_eq!(scope_of(Path::new("content/a/notes.txt")), Scope::None);
        assert_eq!(scope_of(Path::new("content/a")), Scope::Content);
        // A folder with a dot in its name, moved or deleted whole.
        assert_eq!(scope_of(Path::new("content/v1.2")), Scope::Content);
        assert_eq!(scope_of(Path::new("content/docs/v2.0")), Scope::Content);
        assert_eq!(scope_of(Path::new("css/main.css")), Scope::Css);
        assert_eq!(scope_of(Path::new("themes/x/css/_a.css")), Scope::Css);
        assert_eq!(scope_of(Path::new("static/img/a.png")), Scope::Everything);
        assert_eq!(scope_of(Path::new("static/robots.txt")), Scope::Static);
        assert_eq!(
            scope_of(Path::new("templates/base.html")),
            Scope::Everything
        );
        assert_eq!(scope_of(Path::new("data/a.yaml")), Scope::Everything);
        assert_eq!(scope_of(Path::new("README.md")), Scope::None);
        assert_eq!(scope_of(Path::new("public/index.html")), Scope::None);
    }
}
