//! The build, from a site folder to files in OUT: one function that calls
//! each stage of the pipeline in order.
//!
//! `build` and `check` share everything up to rendering; `check` renders
//! into nothing, so it reports exactly the errors a build would, and writes
//! nothing. Independent stages (theme, data, content) all run even when one
//! fails, so a run reports every error it can find.

use crate::base::diagnostics::{display_path, Diagnostic, Diagnostics};
use crate::base::fs;
use crate::base::yaml::Value;
use crate::funnel::{self, Funnel, OtherOutputs, Previous};
use crate::funnel::{checks, conversion};
use crate::input::config::{self, Adapter, Config, CONFIG_FILE};
use crate::input::data;
use crate::input::i18n::Strings;
use crate::input::theme::{self, Theme};
use crate::output::{WriteStats, Writer};
use crate::page::components;
use crate::page::content::{self, Page};
use crate::page::markdown;
use crate::render::assets::{self, Css};
use crate::render::cards::{self, Cards};
use crate::render::context::{self, PageContext};
use crate::render::images::markup::{self, Hero, Placement};
use crate::render::images::{ImageUse, Images, Processed};
use crate::render::map::FunnelMap;
use crate::render::renderer::{self, Globals, Renderer};
use crate::render::sitemap;
use crate::render::OutputFile;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

/// The files rendered so far, and the errors that kept others from being
/// rendered or written.
struct Rendered<T> {
    files: Vec<T>,
    errors: Vec<Diagnostic>,
}

impl<T> Rendered<T> {
    fn extend(&mut self, results: Vec<Result<T, Diagnostic>>) {
        for result in results {
            match result {
                Ok(file) => self.files.push(file),
                Err(error) => self.errors.push(error),
            }
        }
    }

    /// The files, or every error when there is one.
    fn finish(self) -> Result<Vec<T>, Diagnostics> {
        let errors: Diagnostics = self.errors.into_iter().collect();
        if errors.has_errors() {
            return Err(dedup_template_errors(errors));
        }
        Ok(self.files)
    }
}

/// Where the funnel map page is written, relative to OUT.
const MAP_FILE: &str = "funnel/index.html";

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub site: PathBuf,
    /// Output folder; `SITE/public` when `None`.
    pub out: Option<PathBuf>,
    /// Replaces `base_url` from site.yaml.
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Dev-server build: CSS file names without a content hash.
    pub dev: bool,
    /// Build into a non-empty OUT that funnelcake did not build, writing
    /// same-named files and deleting nothing.
    pub force: bool,
}

impl BuildOptions {
    pub fn new(site: impl Into<PathBuf>) -> Self {
        BuildOptions {
            site: site.into(),
            ..Default::default()
        }
    }

    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| self.site.join("public"))
    }
}

/// The result of a successful build.
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    pub files: WriteStats,
    pub out: PathBuf,
    /// Warnings only: a build with errors returns `Err`.
    pub diagnostics: Diagnostics,
    /// Social cards drawn by this build; the others came from the cache.
    pub cards_drawn: usize,
    /// Image variants encoded by this build: 0 when every one was cached.
    pub images_encoded: usize,
}

/// Builds the site into OUT. With any error, OUT is left as it was.
pub fn build(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    build_unsorted(options).map_err(sorted)
}

fn build_unsorted(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    let out = options.out_dir();
    let resolved =
        check_output_dir(&options.site, &out).map_err(|d| Diagnostics::from_iter([d]))?;
    let mut prepared = prepare(options)?;
    // The warnings page by page are for the dev server's next rebuild; a
    // build keeps only the sorted list (a second copy of 100,000 warnings
    // is over 50 MB).
    prepared.found = funnel::Found::default();
    let writer = Writer::new(&resolved, options.force).map_err(|d| Diagnostics::from_iter([d]))?;
    prepared.weigh_pages();
    let staged = prepared.render_all_once(|path, bytes, origin| {
        writer
            .stage(&path, &bytes)
            .map_err(|e| Diagnostic::error("io", origin, e.to_string()))
    });
    let weights = prepared.take_weights();
    match staged {
        Ok(staged) => {
            let files = writer
                .commit(staged)
                .map_err(|d| Diagnostics::from_iter([d]))?;
            let warnings = std::mem::take(&mut prepared.diagnostics);
            let report = BuildReport {
                pages: prepared.funnel.pages.len(),
                files,
                out,
                images_encoded: prepared.images.encoded(),
                diagnostics: sorted(Diagnostics::from_iter(
                    Arc::unwrap_or_clone(warnings).into_iter().chain(weights),
                )),
                cards_drawn: prepared.cards.drawn(),
            };
            free_later(prepared);
            Ok(report)
        }
        Err(errors) => {
            writer.abort();
            Err(errors)
        }
    }
}

/// Frees what a build held on a thread of its own: 100,000 pages take
/// 0.4 s to free, which the report need not wait for (and the command
/// exits right after it). Without a thread, they are freed here.
fn free_later<T: Send + 'static>(held: T) {
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(held));
}

/// Validates everything `build` validates and renders every page, writing
/// nothing; returns every error and warning.
pub fn check(options: &BuildOptions) -> Diagnostics {
    let result = prepare_for(options, "check").and_then(|mut prepared| {
        // `check` writes nothing: each card's SVG is read, none is drawn.
        prepared.cards = Cards::new(None, false);
        // `check` reads every image's header but encodes nothing.
        prepared.images.without_encoding();
        prepared.weigh_pages();
        prepared.render_all(|_, _, _| Ok(()))?;
        let weights = prepared.take_weights();
        let mut diagnostics = Arc::unwrap_or_clone(prepared.diagnostics);
        diagnostics.extend(weights);
        Ok(diagnostics)
    });
    let mut diagnostics = result.unwrap_or_else(|errors| errors);
    diagnostics.sort();
    diagnostics
}

/// The journey map as text for the terminal (`funnelcake funnel`), with
/// the site's warnings; ANSI colour when `colour` is set.
pub fn funnel_text(
    options: &BuildOptions,
    colour: bool,
) -> Result<(String, Diagnostics), Diagnostics> {
    let prepared = prepare_for(options, "funnel")?;
    let strings = prepared.renderer.strings();
    let text = FunnelMap::new(&prepared.config, &prepared.funnel, strings).to_text(colour);
    Ok((text, Arc::unwrap_or_clone(prepared.diagnostics)))
}

/// Everything a build knows once the input is read and checked.
pub(crate) struct Prepared {
    pub(crate) config: Config,
    pub(crate) config_text: String,
    pub(crate) theme: Theme,
    pub(crate) data: data::Data,
    pub(crate) drafts: Vec<String>,
    pub(crate) funnel: Funnel,
    pub(crate) renderer: Renderer,
    pub(crate) css: Css,
    pub(crate) cards: Cards,
    pub(crate) images: Arc<Images>,
    /// Warnings only.
    /// Shared: the dev server hands them on after each save, and keeps
    /// the same ones when a save changes none.
    pub(crate) diagnostics: Arc<Diagnostics>,
    /// The same warnings as found, for the dev server's next build.
    pub(crate) found: funnel::Found,
    /// The `page-weight` warnings of the pages rendered so far, which only
    /// the rendered pages can give, when the build weighs its pages (see
    /// [`Prepared::weigh_pages`]).
    pub(crate) weights: Option<Mutex<Vec<Diagnostic>>>,
}

/// [`prepare`], for the command `command`, which the hint of a missing
/// site.yaml names.
fn prepare_for(options: &BuildOptions, command: &str) -> Result<Prepared, Diagnostics> {
    prepare(options).map_err(|errors| {
        errors
            .into_iter()
            .map(|mut error| {
                if error.code == "missing-config" {
                    error.hint = Some(missing_config_hint(command).into());
                }
                error
            })
            .collect()
    })
}

fn missing_config_hint(command: &str) -> String {
    format!("run funnelcake in a site folder, pass the folder (`funnelcake {command} my-site`), or create one with `funnelcake new my-site`")
}

pub(crate) fn prepare(options: &BuildOptions) -> Result<Prepared, Diagnostics> {
    prepare_after(options, None)
}

/// [`prepare`] for the build after `earlier`'s, taking over the images it
/// processed (see [`Images::next`]).
pub(crate) fn prepare_after(
    options: &BuildOptions,
    earlier: Option<&Images>,
) -> Result<Prepared, Diagnostics> {
    let site = options.site.as_path();
    let (mut config, config_text, mut errors) = load_config(site, options.base_url.as_deref())?;
    config.dev = options.dev;

    let theme = collect(theme::load(site, &config, &config_text), &mut errors);
    let data = collect(data::load(site), &mut errors);
    let content = collect(content::load(site, &config, options.drafts), &mut errors);
    let (Some(theme), Some(data), Some(content)) = (theme, data, content) else {
        return Err(sorted(errors));
    };
    // A page's errors do not stop the others' checks, nor the templates'.
    errors.extend(content.diagnostics);
    let css = match assets::build(&theme, config.base_path(), !options.dev) {
        Ok(css) => css,
        Err(more) => {
            errors.extend(more);
            return Err(sorted(errors));
        }
    };
    let images = match earlier {
        Some(earlier) => earlier.next(site, config.images.clone()),
        None => Images::new(site, config.images.clone()),
    };
    let images = Arc::new(images);
    let inputs = Inputs {
        config,
        config_text,
        theme,
        data,
        css,
        images,
        drafts: content.drafts,
        broken: content.broken,
        cards: Cards::new(Some(site.join(cards::CACHE_DIR)), true),
    };
    let linked = link(inputs, content.pages, None, None);
    match linked {
        Ok(prepared) if !errors.has_errors() => Ok(prepared),
        Ok(_) => Err(sorted(errors)),
        // Warnings about a site whose pages are missing would be noise.
        Err((_, _, more)) if errors.has_errors() => {
            errors.extend(more.into_iter().filter(Diagnostic::is_error));
            Err(sorted(errors))
        }
        Err((_, _, more)) => Err(more),
    }
}

/// What a build reads besides the pages.
pub(crate) struct Inputs {
    pub(crate) config: Config,
    pub(crate) config_text: String,
    pub(crate) theme: Theme,
    pub(crate) data: data::Data,
    pub(crate) css: Css,
    /// The image service, kept across the dev server's rebuilds.
    pub(crate) images: Arc<Images>,
    pub(crate) drafts: Vec<String>,
    /// Content paths of files that are not pages because of their own
    /// errors (see [`content::Loaded::broken`]).
    pub(crate) broken: Vec<String>,
    pub(crate) cards: Cards,
}

/// Resolves the pages into a funnel, checks the journey and readies the
/// templates (or reuses `renderer`, when the journey context is unchanged).
/// Every stage runs even when an earlier one found errors, so all of them
/// are reported; on error the inputs come back (with the renderer, when
/// the templates compiled), so the dev server can keep its last build.
/// `previous` is the build these pages replace, with the changed pages,
/// when only their links need resolving again (see [`funnel::relink`]).
pub(crate) fn link(
    inputs: Inputs,
    pages: Vec<Arc<Page>>,
    renderer: Option<Renderer>,
    previous: Option<Previous<'_>>,
) -> Result<Prepared, (Inputs, Option<Renderer>, Diagnostics)> {
    let others = linkable_outputs(&inputs);
    let images = missing_images(&inputs.config, &inputs.theme, &pages);
    let mut diagnostics = conversion::switched_off(&inputs.config, images);
    let (pages, plan_errors) = crate::page::plans::attach(pages, &inputs.data);
    diagnostics.extend(plan_errors);
    let (mut funnel, link_diagnostics) = funnel::relink(
        &inputs.config,
        pages,
        &inputs.drafts,
        &inputs.broken,
        &others,
        previous.as_ref().map(|p| (p.funnel, p.touched)),
    );
    diagnostics.extend(link_diagnostics);
    if !inputs.config.dev {
        funnel.forget_link_warnings();
    }
    let (inputs, privacy_page) = with_privacy(inputs, &funnel, &mut diagnostics);
    let renderer = ready_renderer(renderer, &inputs, &funnel, &mut diagnostics);
    let renderer = match renderer {
        Some(renderer) if !diagnostics.has_errors() => renderer,
        renderer => return Err((inputs, renderer, sorted(diagnostics))),
    };
    // Journey warnings over a funnel with broken links would be noise.
    let mut found = funnel_warnings(
        &inputs,
        &funnel,
        privacy_page,
        previous.as_ref(),
        diagnostics,
    );
    let diagnostics = match &previous {
        // A save that changes no warning: the same list, by the pointer.
        Some(previous) if found.same_as(previous.found) => Arc::clone(previous.all),
        // Only the dev server's next rebuild asks for them page by page.
        _ if inputs.config.dev => Arc::new(found.all(&funnel.pages)),
        _ => Arc::new(found.take_all(&funnel.pages)),
    };
    Ok(Prepared {
        config: inputs.config,
        config_text: inputs.config_text,
        theme: inputs.theme,
        data: inputs.data,
        drafts: inputs.drafts,
        funnel,
        renderer,
        css: inputs.css,
        cards: inputs.cards,
        images: inputs.images,
        diagnostics,
        found,
        weights: None,
    })
}

/// The files besides the pages that a link may name, and the pages that
/// failed to load: a link to a page with its own errors is not one more
/// error.
fn linkable_outputs(inputs: &Inputs) -> std::collections::HashSet<String> {
    let mut others = other_outputs(&inputs.theme, &inputs.css, &inputs.config);
    others.extend(inputs.broken.iter().filter_map(|path| {
        let url = crate::base::url::url_path(path, None).ok()?;
        Some(format!("{}index.html", url.trim_start_matches('/')))
    }));
    others
}

/// `inputs` with the forms' privacy link resolved into the config, and
/// the index of the privacy page when it is one of the site's; a privacy
/// URL that names no page is an error in `diagnostics`.
fn with_privacy(
    mut inputs: Inputs,
    funnel: &Funnel,
    diagnostics: &mut Diagnostics,
) -> (Inputs, Option<usize>) {
    let resolved =
        funnel::resolve_privacy_url(&inputs.config, &inputs.config_text, funnel, &inputs.broken);
    let privacy = resolved.unwrap_or_else(|error| {
        diagnostics.push(error);
        None
    });
    inputs.config.forms.privacy_href = privacy.as_ref().map(|(href, _)| href.clone());
    (inputs, privacy.and_then(|(_, page)| page))
}

/// The journey and conversion warnings of a funnel whose links resolve,
/// with the `rest` found before them.
fn funnel_warnings(
    inputs: &Inputs,
    funnel: &Funnel,
    privacy_page: Option<usize>,
    earlier: Option<&Previous>,
    mut rest: Diagnostics,
) -> funnel::Found {
    let today = crate::base::date::today();
    let journey = checks::Journey {
        config: &inputs.config,
        config_text: &inputs.config_text,
        funnel,
        privacy_page,
        today: &today,
    };
    rest.extend(checks::site_warnings(&journey));
    funnel::Found {
        by_page: funnel::page_warnings(&journey, earlier),
        rest,
        today,
        privacy_page,
    }
}

impl Prepared {
    /// From now on, [`Prepared::render_all`] weighs every page it renders
    /// (`page-weight`), and the map it draws after them shows the result.
    /// `build` and `check` do; the dev server, whose images are still being
    /// encoded as it renders, does not.
    pub(crate) fn weigh_pages(&mut self) {
        self.weights = Some(Mutex::default());
    }

    /// The `page-weight` warnings found so far.
    pub(crate) fn take_weights(&mut self) -> Vec<Diagnostic> {
        let weights = self
            .weights
            .as_mut()
            .map(|w| w.get_mut().map(std::mem::take));
        weights.and_then(Result::ok).unwrap_or_default()
    }

    /// Weighs `page`'s rendered `html` when the build weighs its pages.
    pub(crate) fn weigh(&self, page: &Page, html: &str) {
        let Some(weights) = &self.weights else {
            return;
        };
        let css = |href: &str| {
            let file = self.css.files.iter().find(|f| href.ends_with(&f.path))?;
            Some(file.bytes.len())
        };
        let image = |url: &str| {
            let path = url.strip_prefix(self.config.base_path()).unwrap_or(url);
            self.images.weight(path).or_else(|| {
                let path = path.strip_prefix('/')?;
                Some(self.theme.file("static", path)?.bytes.len())
            })
        };
        let sizes = conversion::Sizes { css, image };
        if let Some(warning) = conversion::page_weight(&self.config, &page.file, html, sizes) {
            weights
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(warning);
        }
    }

    /// The `page-weight` warnings found so far, sorted, without taking
    /// them (the dev server compares them with the last rebuild's).
    pub(crate) fn weights(&self) -> Vec<Diagnostic> {
        let Some(weights) = &self.weights else {
            return Vec::new();
        };
        let mut found = weights.lock().unwrap_or_else(|e| e.into_inner()).clone();
        found.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
        found
    }

    /// Takes the prepared build apart again, keeping what is read from disk.
    pub(crate) fn into_parts(self) -> (Inputs, Funnel, Renderer) {
        let inputs = Inputs {
            config: self.config,
            config_text: self.config_text,
            theme: self.theme,
            data: self.data,
            css: self.css,
            images: self.images,
            drafts: self.drafts,
            broken: Vec::new(),
            cards: self.cards,
        };
        (inputs, self.funnel, self.renderer)
    }
}

/// `renderer`, or a new one for `funnel`, with the component calls of
/// every page checked against it; `None` when the templates do not compile.
fn ready_renderer(
    renderer: Option<Renderer>,
    inputs: &Inputs,
    funnel: &Funnel,
    diagnostics: &mut Diagnostics,
) -> Option<Renderer> {
    let renderer = match renderer {
        Some(renderer) => renderer,
        None => {
            let made = make_renderer(
                &inputs.images,
                &inputs.config,
                &inputs.theme,
                funnel,
                &inputs.data.value,
                &inputs.css,
            );
            made.map_err(|errors| diagnostics.extend(errors)).ok()?
        }
    };
    let call_errors: Vec<Diagnostic> = funnel
        .pages
        .par_iter()
        .filter(|p| !p.calls.is_empty())
        .flat_map_iter(|p| renderer.check_calls(p, &inputs.data.value, funnel))
        .collect();
    diagnostics.extend(call_errors);
    Some(renderer)
}

/// Images must exist: `image:` in site.yaml (a file of `static/`), a
/// page's `image` and its Markdown images (beside the page, or `/...` from
/// `static/`). An image without alt text is a warning (`missing-alt`).
fn missing_images(config: &Config, theme: &Theme, pages: &[Arc<Page>]) -> Diagnostics {
    let exists = |path: &str| theme.file("static", path.trim_start_matches('/')).is_some();
    let mut found = Diagnostics::new();
    if let Some(path) = config.image.as_deref().filter(|p| !exists(p)) {
        found.push(missing_image(CONFIG_FILE, path, config.image_pos));
    }
    for page in pages {
        let present = |at: &ImageAt| match at {
            ImageAt::Remote => true,
            ImageAt::Static(path) => exists(path),
            ImageAt::Beside(path, _) => path.is_file(),
        };
        let found_at = |dest: &str| present(&locate_image(page, dest));
        if let Some(image) = &page.meta.image {
            if !found_at(&image.value) {
                found.push(missing_image(&page.file, &image.value, image.pos));
            } else if page.meta.image_alt.is_none() {
                found.push(missing_alt(
                    &page.file,
                    &image.value,
                    image.pos,
                    "image_alt: …",
                ));
            }
        }
        let image_args = (page.calls.iter())
            .flat_map(|call| &call.args)
            .filter(|arg| {
                let name = arg.name.as_deref().unwrap_or("");
                crate::render::renderer::IMAGE_ARGS.contains(&name)
            });
        for arg in image_args {
            if let components::ArgValue::Literal(Value::String(source)) = &arg.value {
                // A `javascript:` or `data:` value is its own error.
                let code = crate::base::url::unsafe_scheme(source).is_some();
                if !code && !found_at(source) {
                    found.push(missing_image(&page.file, source, Some(arg.pos)));
                }
            }
        }
        for image in &page.scan.images {
            let at = locate_image(page, &image.dest);
            if !present(&at) {
                let error = missing_image(&page.file, &image.dest, Some(image.pos));
                found.push(match at {
                    ImageAt::Static(_) => served_elsewhere(error),
                    _ => error,
                });
            } else if image.alt.is_none() {
                found.push(missing_alt(
                    &page.file,
                    &image.dest,
                    Some(image.pos),
                    "![…](…)",
                ));
            }
        }
    }
    found
}

fn missing_image(file: &str, path: &str, pos: Option<crate::base::diagnostics::Pos>) -> Diagnostic {
    let (message, hint) = if path.starts_with('/') {
        let message = format!("image \"{path}\" is not a file of static/");
        (
            message,
            format!("put the file at static{path}, or correct the path"),
        )
    } else {
        let message = format!("image \"{path}\" is not a file beside the page");
        (
            message,
            format!(
                "put {path} in the page's folder, or write `/images/...` for a file under static/"
            ),
        )
    };
    Diagnostic::error("missing-image", file, message)
        .at_pos(pos)
        .with_hint(hint)
}

/// A Markdown image from the site's root that `static/` lacks is a
/// warning, left in the page as written: like a link to `/signup/`, the
/// host may serve it from elsewhere (another app or a CDN on the same
/// domain). An image beside the page, a page's `image` and a component's
/// image stay errors: only the site can have those, and they must be read
/// for their size.
fn served_elsewhere(error: Diagnostic) -> Diagnostic {
    let hint = error.hint.clone().unwrap_or_default();
    Diagnostic {
        severity: crate::base::diagnostics::Severity::Warning,
        hint: Some(
            format!(
                "{hint}; until then it is left in the page as written, for a host that serves it"
            )
            .into(),
        ),
        ..error
    }
}

fn missing_alt(
    file: &str,
    path: &str,
    pos: Option<crate::base::diagnostics::Pos>,
    how: &str,
) -> Diagnostic {
    let message = format!("image \"{path}\" has no alt text");
    let hint = format!("describe the image for people who cannot see it (`{how}`), or write an empty alt text (`\"\"`) if it is only decoration");
    Diagnostic::warning("missing-alt", file, message)
        .at_pos(pos)
        .with_hint(hint)
}

/// Where an image that a page names is.
enum ImageAt {
    /// A web address (`https://…`, `//…`, `data:`), left as written.
    Remote,
    /// A file of `static/` (of the site or its theme), by its path there.
    Static(String),
    /// A file beside the page: where it is, and the path messages show.
    Beside(PathBuf, String),
}

fn locate_image(page: &Page, dest: &str) -> ImageAt {
    if dest.contains("://") || dest.starts_with("//") || dest.starts_with("data:") {
        return ImageAt::Remote;
    }
    if let Some(path) = dest.strip_prefix('/') {
        return ImageAt::Static(path.to_string());
    }
    let folder = page.body.path.parent().unwrap_or(Path::new(""));
    let shown = Path::new(&page.file).parent().unwrap_or(Path::new(""));
    let shown = shown.join(dest).to_string_lossy().replace('\\', "/");
    ImageAt::Beside(folder.join(dest), shown)
}

fn collect<T>(result: Result<T, Diagnostics>, errors: &mut Diagnostics) -> Option<T> {
    result.map_err(|e| errors.extend(e)).ok()
}

fn sorted(mut diagnostics: Diagnostics) -> Diagnostics {
    diagnostics.sort();
    diagnostics
}

/// Reads site.yaml; its errors come back with a best-effort config so the
/// rest of the site can still be checked.
fn load_config(
    site: &Path,
    base_url: Option<&str>,
) -> Result<(Config, String, Diagnostics), Diagnostics> {
    let path = site.join(CONFIG_FILE);
    if !path.is_file() {
        let message = format!("no {CONFIG_FILE} in {}", site.display());
        let hint = missing_config_hint("build");
        return Err(Diagnostics::from_iter([Diagnostic::error(
            "missing-config",
            CONFIG_FILE,
            message,
        )
        .with_hint(hint)]));
    }
    let text = fs::read_to_string(&path).map_err(|e| {
        Diagnostics::from_iter([Diagnostic::error("io", CONFIG_FILE, e.to_string())])
    })?;
    let (mut config, mut errors) = config::parse_partial(&text)?;
    if let Some(url) = base_url {
        if let Err(message) = config.set_base_url(url) {
            errors.push(Diagnostic::error("invalid-base-url", "--base-url", message));
        }
    }
    Ok((config, text, errors))
}

/// Output paths that are not pages, which root-relative links may point at.
fn other_outputs(theme: &Theme, css: &Css, config: &Config) -> OtherOutputs {
    let mut others: OtherOutputs = theme.layer("static").map(|(p, _)| p.to_string()).collect();
    others.extend(css.files.iter().map(|f| f.path.clone()));
    others.extend(
        [
            "404.html",
            "robots.txt",
            "sitemap.xml",
            "funnel.json",
            "experiments.json",
        ]
        .map(String::from),
    );
    if config.funnel_map {
        others.insert(MAP_FILE.into());
    }
    others
}

fn make_renderer(
    images: &Arc<Images>,
    config: &Config,
    theme: &Theme,
    funnel: &Funnel,
    data: &Value,
    css: &Css,
) -> Result<Renderer, Diagnostics> {
    let strings = Strings::load(theme, &config.language, config.calendar).map_err(sorted)?;
    let globals = Globals {
        site: context::site_context(config),
        journey: if renderer::uses_journey(theme) {
            context::journey(config, &strings, funnel)
        } else {
            // Every page of the site as a template value: 90 MB at
            // 100,000 pages, for templates that never read it.
            Vec::new()
        },
        strings,
        data,
        css: &css.urls,
        dev: config.dev.then(context::DevContext::new),
        images: Arc::clone(images),
    };
    let renderer = Renderer::new(theme, &globals)?;
    let missing: Diagnostics = funnel
        .pages
        .iter()
        .filter(|p| !renderer.has_template(&format!("{}.html", p.meta.layout.value)))
        .map(|p| renderer.missing_layout(p))
        .collect();
    if missing.has_errors() {
        return Err(sorted(missing));
    }
    Ok(renderer)
}

impl Prepared {
    /// Renders every output file and hands each to `emit` (path, bytes,
    /// origin for messages), in parallel; every error is collected.
    pub(crate) fn render_all<T: Send, E>(&self, emit: E) -> Result<Vec<T>, Diagnostics>
    where
        E: Fn(String, Vec<u8>, &str) -> Result<T, Diagnostic> + Sync,
    {
        let results = self.render_pages(&emit)?;
        self.render_rest(results, &emit)
    }

    /// [`Prepared::render_all`] for a build, which renders its pages once:
    /// what only their rendering reads (each page's scan of its body, 90 MB
    /// at 100,000 pages) is let go before the map is drawn, the build's
    /// peak.
    pub(crate) fn render_all_once<T: Send, E>(&mut self, emit: E) -> Result<Vec<T>, Diagnostics>
    where
        E: Fn(String, Vec<u8>, &str) -> Result<T, Diagnostic> + Sync,
    {
        let results = self.render_pages(&emit)?;
        self.funnel.forget_scans();
        self.render_rest(results, &emit)
    }

    /// The pages, and beside them the files that are neither the map nor
    /// images.
    fn render_pages<T: Send, E>(&self, emit: &E) -> Result<Rendered<T>, Diagnostics>
    where
        E: Fn(String, Vec<u8>, &str) -> Result<T, Diagnostic> + Sync,
    {
        let render_pages = || -> Rendered<T> {
            // Kept apart as they come: a list of results holds each file's
            // room for an error too (128 bytes for a 48-byte staged file,
            // times every file of the site).
            let (files, errors) = (0..self.funnel.pages.len())
                .into_par_iter()
                .flat_map_iter(|i| {
                    let page = &self.funnel.pages[i];
                    let (html, card) = match self.render_page(i) {
                        Ok(rendered) => (rendered.html, rendered.card),
                        Err(error) => return vec![Err(error)],
                    };
                    self.weigh(page, &html);
                    let mut results = vec![emit(page.output_file(), html.into_bytes(), &page.file)];
                    if let Some(card) = card {
                        results.push(emit(card.path, card.bytes, &page.file));
                    }
                    results
                })
                .partition_map(|result| match result {
                    Ok(file) => rayon::iter::Either::Left(file),
                    Err(error) => rayon::iter::Either::Right(error),
                });
            Rendered { files, errors }
        };
        // The sitemaps and the map of a big site take a while: build them
        // beside the pages, not before, and write each as soon as it is made
        // (the map of 100,000 pages is over 100 MB).
        let (mut rendered, others) = rayon::join(render_pages, || self.files_beside_pages(emit));
        rendered.extend(others.map_err(|e| Diagnostics::from_iter([e]))?);
        Ok(rendered)
    }

    /// After the pages: the map, whose cards show the pages' weights, and
    /// the images the pages asked for while rendering.
    fn render_rest<T: Send, E>(
        &self,
        mut rendered: Rendered<T>,
        emit: &E,
    ) -> Result<Vec<T>, Diagnostics>
    where
        E: Fn(String, Vec<u8>, &str) -> Result<T, Diagnostic> + Sync,
    {
        let map = self.map_files(emit);
        rendered.extend(map.map_err(|e| Diagnostics::from_iter([e]))?);
        let images = self.image_files(|_| false, |path, bytes| emit(path, bytes, "images"));
        rendered.extend(images.map_err(|e| Diagnostics::from_iter([e]))?);
        rendered.finish()
    }

    /// Hands every image variant the rendered pages use to `emit`, in
    /// parallel, reading each from the cache only as it is handed over;
    /// those whose path (relative to OUT) `skip` names are left out.
    pub(crate) fn image_files<T: Send>(
        &self,
        skip: impl Fn(&str) -> bool + Sync,
        emit: impl Fn(String, Vec<u8>) -> T + Sync,
    ) -> Result<Vec<T>, Diagnostic> {
        let read_error = |e| Diagnostic::error("io", ".funnelcake/cache", e);
        (self.images.files().into_par_iter())
            .filter(|file| !skip(&file.path))
            .map(|file| {
                let bytes = file.bytes().map_err(read_error)?;
                Ok(emit(file.path, bytes))
            })
            .collect()
    }

    /// The image `dest` that `page` names, processed; `None` for a web
    /// address. A file that cannot be read or decoded is an error at
    /// `pos` of the page, naming the image.
    fn image(
        &self,
        page: &Page,
        dest: &str,
        pos: Option<crate::base::diagnostics::Pos>,
    ) -> Result<Option<Arc<Processed>>, Diagnostic> {
        let (id, read) = match locate_image(page, dest) {
            ImageAt::Remote => return Ok(None),
            ImageAt::Static(path) => {
                let file = self.theme.file("static", &path);
                let bytes = file.map(|f| f.bytes.to_vec());
                (
                    format!("static/{path}"),
                    bytes.ok_or_else(|| "no such file".to_string()),
                )
            }
            ImageAt::Beside(path, shown) => (shown, fs::read(&path).map_err(|e| e.to_string())),
        };
        let name = Path::new(&id)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let used = ImageUse {
            file: page.file.clone(),
            pos,
            id,
        };
        match read.and_then(|bytes| self.images.get(&name, bytes)) {
            Ok(processed) => {
                processed.used_at(used);
                Ok(Some(processed))
            }
            Err(reason) => Err(used.error(&reason)),
        }
    }

    /// The page's `image` as its hero, with the site path of its share
    /// (Open Graph) variant when the image is beside the page (a file of
    /// `static/` is published as it is, and previews keep linking it).
    fn hero(&self, page: &Page) -> Result<Option<(Hero, Option<String>)>, Diagnostic> {
        let Some(image) = &page.meta.image else {
            return Ok(None);
        };
        let Some(processed) = self.image(page, &image.value, image.pos)? else {
            return Ok(None);
        };
        let alt = page.meta.image_alt.as_deref().unwrap_or("");
        let href = |path: &str| self.config.href(path);
        let hero = Hero::new(&processed, &href, alt);
        let beside = !image.value.starts_with('/');
        Ok(Some((hero, beside.then(|| processed.share().path.clone()))))
    }

    /// The body's HTML with each image as a `<picture>`; the first is the
    /// page's main image when the page has no hero.
    fn render_body(
        &self,
        page: &Page,
        body: &str,
        has_hero: bool,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, Diagnostic> {
        let href = |path: &str| self.config.href(path);
        let mut priority = !has_hero;
        let mut failure = None;
        let mut image = |dest: &str, alt: &str| {
            if let ImageAt::Static(path) = locate_image(page, dest) {
                // Not a file of static/: warned about as `missing-image`,
                // and left as written.
                self.theme.file("static", &path)?;
            }
            let pos = (page.scan.images.iter())
                .find(|i| i.dest == dest)
                .map(|i| i.pos);
            match self.image(page, dest, pos) {
                Ok(processed) => processed.map(|processed| {
                    let place = Placement {
                        alt,
                        priority: std::mem::take(&mut priority),
                        ..Placement::default()
                    };
                    markup::picture(&processed, &href, &place)
                }),
                Err(error) => {
                    failure.get_or_insert(error);
                    None
                }
            }
        };
        let html = markdown::render_with_images(body, resolve, &mut image);
        match failure {
            Some(error) => Err(error),
            None => Ok(html),
        }
    }

    /// Renders page `index`: its HTML, and its social card when it gets one.
    pub(crate) fn render_page(&self, index: usize) -> Result<RenderedPage, Diagnostic> {
        let page = &self.funnel.pages[index];
        let resolve = |path: &str| self.funnel.page(path).map(|p| self.config.href(&p.path));
        let hero = self.hero(page)?;
        let content = self.render_body(page, &page.read_body()?, hero.is_some(), &resolve)?;
        let mut context = context::page_context(
            &self.config,
            self.renderer.strings(),
            &self.funnel,
            index,
            String::new(),
            hero.as_ref().and_then(|(_, share)| share.as_deref()),
        )?;
        // Before the body goes in: the card template never needs it.
        let card = self.social_card(index, &mut context)?;
        context.hero = hero.map(|(hero, _)| hero);
        context.content = if page.calls.is_empty() {
            content
        } else {
            let image = |source: &str, pos| {
                let processed = self.image(page, source, Some(pos))?;
                Ok(processed.map(|p| self.config.href(&p.largest().path)))
            };
            let mut render_call = |i: usize, body: Option<&str>| {
                let call = &page.calls[i];
                self.renderer
                    .render_call(call, body, &context, &self.data.value, &resolve, &image)
            };
            components::expand(&content, &page.calls, &mut render_call).map_err(|mut errors| {
                let mut first = errors.swap_remove(0);
                if first.file.is_empty() {
                    first.file = page.file.clone();
                }
                first
            })?
        };
        let layout = format!("{}.html", page.meta.layout.value);
        let html = self.renderer.render(&layout, &context, &page.file)?;
        // A theme that leaves out the assignment script would split no one.
        if let Some(experiment) = &context.experiment {
            if !html.contains(&experiment.cookie) {
                let message = format!(
                    "the layout `{layout}` does not include the A/B assignment script, so experiment \"{}\" would never send anyone to a variant",
                    experiment.id
                );
                let hint = "add `{% include \"_experiment.html\" %}` first in the layout's <head> (themes that extend `starter` have it)";
                return Err(
                    Diagnostic::error("missing-experiment-script", &page.file, message)
                        .at_pos(page.meta.experiment.as_ref().and_then(|e| e.pos))
                        .with_hint(hint),
                );
            }
        }
        Ok(RenderedPage { html, card })
    }

    /// The page's social card, when it needs one: an indexable page with
    /// no image of its own and no site `image`, in a theme with
    /// `social.svg`, unless `social_cards: false`. Sets the page's `image`
    /// and `card` to it.
    fn social_card(
        &self,
        index: usize,
        context: &mut PageContext,
    ) -> Result<Option<OutputFile>, Diagnostic> {
        let page = &self.funnel.pages[index];
        if !self.config.social_cards
            || context.image.is_some()
            || page.is_noindex()
            || !self.renderer.has_template(cards::TEMPLATE)
        {
            return Ok(None);
        }
        let svg = self.renderer.render_card(context)?;
        let key = cards::key(&svg);
        let path = cards::file_path(&page.path, key);
        context.image = Some(self.config.permalink(&format!("/{path}")));
        context.card = Some(context::CardContext {
            width: cards::WIDTH,
            height: cards::HEIGHT,
            alt: format!("{} · {}", page.meta.title, self.config.title),
        });
        let origin = self.renderer.origin(cards::TEMPLATE);
        let bytes = self.cards.png(&path, svg, key, &origin)?;
        Ok(bytes.map(|bytes| OutputFile { path, bytes }))
    }

    /// Makes every output file that is not a page and hands each to `emit`
    /// (path, bytes, origin for messages) as soon as it is made, so no big
    /// file waits for the others; returns what `emit` returned. If the 404
    /// page fails, nothing is emitted; if the map fails, the error comes
    /// back and the files emitted before it are the caller's to drop.
    pub(crate) fn other_files<T>(
        &self,
        mut emit: impl FnMut(String, Vec<u8>, &str) -> T,
    ) -> Result<Vec<T>, Diagnostic> {
        let mut results = self.files_beside_pages(&mut emit)?;
        results.extend(self.map_files(&mut emit)?);
        Ok(results)
    }

    /// `funnel.json` and the map page, whose cards show the warnings
    /// found so far.
    fn map_files<T>(
        &self,
        mut emit: impl FnMut(String, Vec<u8>, &str) -> T,
    ) -> Result<Vec<T>, Diagnostic> {
        // The map's badges: the build's warnings and the pages' weights, read
        // in place (a copy of 100,000 warnings is over 50 MB).
        let weights = (self.weights.as_ref()).map(|w| w.lock().unwrap_or_else(|e| e.into_inner()));
        let warnings = self
            .diagnostics
            .iter()
            .chain(weights.iter().flat_map(|w| w.iter()));
        let map = FunnelMap::new(&self.config, &self.funnel, self.renderer.strings())
            .with_warnings(warnings);
        drop(weights);
        // One after the other, each written before the next is made: both
        // together held another 100 MB at 100,000 pages, for a few
        // milliseconds saved at 1,000.
        let json = map.to_json().into_bytes();
        let mut results = vec![emit("funnel.json".into(), json, "funnel.json")];
        if self.config.funnel_map {
            let html = self.render_map(&map)?.into_bytes();
            results.push(emit(MAP_FILE.into(), html, MAP_FILE));
        }
        Ok(results)
    }

    /// The files besides the pages, the map and the images: static files,
    /// stylesheets, sitemaps, the host's files, the experiments and 404.
    fn files_beside_pages<T>(
        &self,
        mut emit: impl FnMut(String, Vec<u8>, &str) -> T,
    ) -> Result<Vec<T>, Diagnostic> {
        let not_found = if self.renderer.has_template("404.html") {
            Some(self.render_not_found()?)
        } else {
            None
        };
        let mut results = Vec::new();
        let mut emit = |path: String, bytes: Vec<u8>, origin: &str| {
            results.push(emit(path, bytes, origin));
        };
        for (path, file) in self.theme.layer("static") {
            emit(path.to_string(), file.bytes.to_vec(), &file.origin);
        }
        for file in &self.css.files {
            emit(file.path.clone(), file.bytes.clone(), "css");
        }
        for file in sitemap::build(&self.config, &self.funnel.pages) {
            emit(file.path, file.bytes, "sitemap");
        }
        let css_paths: Vec<&str> = self.css.files.iter().map(|f| f.path.as_str()).collect();
        for file in crate::render::deploy::files(&self.config, &self.funnel.pages, &css_paths) {
            emit(file.path, file.bytes, "deploy");
        }
        let manifest =
            crate::render::experiments::manifest(&self.config, &self.funnel).into_bytes();
        emit("experiments.json".into(), manifest, "experiments.json");
        if self.config.experiments_adapter == Adapter::Cloudflare {
            let mut assets: Vec<&str> = self.theme.layer("static").map(|(path, _)| path).collect();
            assets.extend(&css_paths);
            let files =
                crate::render::experiments::cloudflare_files(&self.config, &self.funnel, &assets);
            for (path, text) in files {
                emit(path, text.into_bytes(), "experiments");
            }
        }
        if let Some(html) = not_found {
            emit("404.html".into(), html.into_bytes(), "404.html");
        }
        Ok(results)
    }

    fn render_not_found(&self) -> Result<String, Diagnostic> {
        let title = self
            .renderer
            .strings()
            .get("not_found_title")
            .unwrap_or("Page not found");
        let context = self.synthetic_page(title, "/404.html", "404.html", "404");
        self.renderer.render("404.html", &context, "404.html")
    }

    /// The funnel map page: the theme's `funnel.html`, or for a theme
    /// without one the built-in standalone page (see `input::theme`), which
    /// links the site's favicon when the theme has one (a page without one
    /// makes browsers ask for `/favicon.ico`).
    fn render_map(&self, map: &FunnelMap) -> Result<String, Diagnostic> {
        let icon = (self.theme.file("static", "favicon.svg"))
            .map(|_| format!("{}/favicon.svg", self.config.base_path()));
        let strings = self.renderer.strings();
        let title = strings.get("funnel_map").unwrap_or("Funnel map");
        let page = self.synthetic_page(title, "/funnel/", MAP_FILE, "funnel");
        self.renderer
            .render_map(&page, &map.context(strings), icon.as_deref())
    }

    /// The context of a page that no Markdown file makes (404, the map):
    /// no body, no stage, not indexable.
    fn synthetic_page<'a>(
        &self,
        title: &'a str,
        path: &'a str,
        source: &'a str,
        layout: &'a str,
    ) -> PageContext<'a> {
        static EMPTY: LazyLock<Value> = LazyLock::new(|| Value::Mapping(Default::default()));
        PageContext {
            title,
            description: None,
            url: self.config.href(path),
            permalink: self.config.permalink(path),
            canonical: self.config.permalink(path),
            path,
            step_path: path,
            source,
            layout,
            content: String::new(),
            stage: None,
            offer: None,
            next: None,
            cta: None,
            form: None,
            checkout: None,
            decline: None,
            incoming: Vec::new(),
            price: None,
            date: None,
            date_text: None,
            expires: None,
            expires_text: None,
            expired: false,
            evergreen: None,
            draft: false,
            noindex: true,
            image: context::site_image(&self.config),
            card: None,
            hero: None,
            json_ld: None,
            extra: &EMPTY,
            components: Vec::new(),
            experiment: None,
            tracking: None,
        }
    }
}

/// A rendered page: its HTML, and the PNG of its social card when it has
/// one and the run draws cards.
pub(crate) struct RenderedPage {
    pub(crate) html: String,
    pub(crate) card: Option<OutputFile>,
}

/// The values, or every error (template errors counted once).
pub(crate) fn collect_results<T>(
    results: Vec<Result<T, Diagnostic>>,
) -> Result<Vec<T>, Diagnostics> {
    let mut rendered = Rendered {
        files: Vec::with_capacity(results.len()),
        errors: Vec::new(),
    };
    rendered.extend(results);
    rendered.finish()
}

/// A template error hit by many pages is reported once, with a count.
fn dedup_template_errors(errors: Diagnostics) -> Diagnostics {
    let mut seen: Vec<(Diagnostic, usize)> = Vec::new();
    for error in errors {
        let key = |d: &Diagnostic| {
            (
                d.file.clone(),
                d.line,
                d.column,
                d.message
                    .split(" (while rendering")
                    .next()
                    .map(String::from),
            )
        };
        match seen
            .iter_mut()
            .find(|(d, _)| d.code == "template" && key(d) == key(&error))
        {
            Some((_, count)) => *count += 1,
            None => seen.push((error, 1)),
        }
    }
    let result = seen.into_iter().map(|(mut d, count)| {
        if count > 1 {
            let others = match count - 1 {
                1 => "1 other page".to_string(),
                n => format!("{n} other pages"),
            };
            d.message = format!("{} and {others})", d.message.trim_end_matches(')'));
        }
        d
    });
    sorted(result.collect())
}

/// Folders of the site that OUT may not be or be inside: what the build
/// reads, and what the site keeps (dev-server data, version control).
const PROTECTED: &[&str] = &[
    "content",
    "templates",
    "css",
    "static",
    "data",
    "i18n",
    "themes",
    ".funnelcake",
    ".git",
];

/// OUT may never be the site folder, a folder that holds it, a file, or a
/// folder the site reads or keeps (or one inside them). Both paths are
/// compared once `..` and symlinks are resolved; returns OUT resolved.
pub(crate) fn check_output_dir(site: &Path, out: &Path) -> Result<PathBuf, Diagnostic> {
    let site_abs = fs::absolute(site);
    let out_abs = fs::absolute(out);
    let clash = if site_abs == out_abs {
        Some("the site folder".to_string())
    } else if site_abs.starts_with(&out_abs) {
        Some("a folder that holds the site".to_string())
    } else {
        PROTECTED
            .iter()
            .find(|name| out_abs.starts_with(site_abs.join(name)))
            .map(|name| format!("inside {name}/, which the site reads or keeps"))
    };
    let invalid = |message: String, hint: String| {
        Diagnostic::error("invalid-output", out.display().to_string(), message).with_hint(hint)
    };
    let shown = if out_abs == out {
        String::new()
    } else {
        format!(" (that is, {})", out_abs.display())
    };
    if let Some(what) = clash {
        let message = format!("the output folder {}{shown} is {what}", out.display());
        let hint = format!(
            "the output folder may not be the site folder, a folder that holds it, or inside {}; choose another, such as {}",
            folder_list(),
            display_path(Path::new(""), &site.join("public"))
        );
        return Err(invalid(message, hint));
    }
    if out_abs.exists() && !out_abs.is_dir() {
        let message = format!(
            "the output folder {}{shown} is a file, not a folder",
            out.display()
        );
        return Err(invalid(
            message,
            "name a folder with -o (it is created if it does not exist)".into(),
        ));
    }
    Ok(out_abs)
}

/// `content/, templates/, …, .funnelcake/ or .git/`, for the hint.
fn folder_list() -> String {
    let names: Vec<String> = PROTECTED.iter().map(|n| format!("{n}/")).collect();
    let (last, rest) = names.split_last().expect("the list is not empty");
    format!("{} or {last}", rest.join(", "))
}
