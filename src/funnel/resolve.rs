//! Pages into a [`Funnel`]: the third stage of the pipeline.
//!
//! Resolves every reference between pages (`next`, `form.thank_you`,
//! `checkout.success`, `decline` and `@/` links in bodies, anchors included), reports the ones that point
//! nowhere at their line and column, and records the resulting link graph:
//! who leads where, and who leads here. The render stage reads the journey
//! context of each page from here.

use crate::base::diagnostics::{suggestion, Diagnostic, Diagnostics, Pos};
use crate::base::url::normalize;
use crate::base::yaml::Located;
use crate::funnel::checks::inherits_cause;
use crate::input::config::Config;
use crate::page::checkout::Checkout;
use crate::page::content::Page;
use crate::page::experiment::{self, VariantOf};
use crate::page::front_matter::PageKind;
use crate::page::markdown;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// How one page leads to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LinkKind {
    /// The opt-in form's thank-you page.
    Form,
    /// The page's `next` step.
    Next,
    /// An internal link in the body.
    Link,
    /// The hosted checkout's success page, where the buyer lands after paying.
    Checkout,
    /// An upsell's "no thanks" path.
    Decline,
}

/// A resolved link between two pages (indexes into [`Funnel::pages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Link {
    pub to: usize,
    pub kind: LinkKind,
}

/// The pages with every reference resolved.
#[derive(Debug)]
pub(crate) struct Funnel {
    /// Sorted by URL path. Shared, so the dev server can swap one page
    /// without copying the others.
    pub pages: Vec<Arc<Page>>,
    /// Content path (`offers/kit.md`) to page index; shared with the dev
    /// server's next build, whose pages are the same.
    by_content_path: Arc<FxHashMap<String, usize>>,
    /// Outgoing links of each page, sorted and without duplicates.
    pub links: Vec<Vec<Link>>,
    /// Pages leading to each page, sorted.
    pub incoming: Vec<Vec<usize>>,
    /// The warnings about each page's links, kept so that re-linking one
    /// edited page can reuse the others' (boxed: most pages have none or
    /// one, and a vector's spare room, times every page, adds up).
    link_warnings: Vec<Box<[Diagnostic]>>,
}

impl Funnel {
    /// Lets go of each page's link warnings, kept for the dev server's next
    /// build, once they are in the build's list: a build that links its
    /// funnel once need not hold them twice.
    pub(crate) fn forget_link_warnings(&mut self) {
        self.link_warnings = Vec::new();
    }

    /// Lets go of each page's scan of its body, which only checking and
    /// rendering read: for a build whose pages are rendered. A page
    /// shared with another funnel keeps its scan.
    pub(crate) fn forget_scans(&mut self) {
        for page in &mut self.pages {
            if let Some(page) = Arc::get_mut(page) {
                page.scan = Default::default();
            }
        }
    }

    pub(crate) fn page(&self, content_path: &str) -> Option<&Page> {
        self.index_of(content_path).map(|i| &*self.pages[i])
    }

    pub(crate) fn index_of(&self, content_path: &str) -> Option<usize> {
        self.by_content_path.get(normalize(content_path)).copied()
    }

    /// The page at a site path (`/guide/`; `/guide` also finds it).
    pub(crate) fn index_at(&self, path: &str) -> Option<usize> {
        let found = |path: &str| {
            self.pages
                .binary_search_by(|p| p.path.as_str().cmp(path))
                .ok()
        };
        if path.ends_with('/') {
            found(path)
        } else {
            found(&format!("{path}/"))
        }
    }

    /// The target of the first link of `kind` from page `from`.
    pub(crate) fn link_target(&self, from: usize, kind: LinkKind) -> Option<usize> {
        self.links[from]
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| l.to)
    }

    /// The success page of page `from`'s own `checkout:`, when it resolved
    /// (its data plans' checkouts lead elsewhere with the same link kind).
    pub(crate) fn checkout_success(&self, from: usize) -> Option<usize> {
        self.success_of(from, self.pages[from].meta.checkout.as_ref()?)
    }

    /// The success page of `checkout`, one of page `from`'s (its own or a
    /// data plan's), when it resolved.
    pub(crate) fn success_of(&self, from: usize, checkout: &Checkout) -> Option<usize> {
        let to = self.index_of(&checkout.success.value)?;
        let kind = LinkKind::Checkout;
        self.links[from].contains(&Link { to, kind }).then_some(to)
    }
}

/// Everything outside the pages that a root-relative link may point at:
/// static files and generated files, as output paths (`favicon.svg`).
pub(crate) type OtherOutputs = HashSet<String>;

/// Resolves all references; errors for every one that points nowhere,
/// except into `broken` (content paths of files that are not pages because
/// of their own errors, already reported). The funnel comes back even with
/// errors, without the links that did not resolve, so later checks can
/// still run. When `previous` holds the funnel these pages replace and the indexes of
/// the pages that changed, only those pages' links are resolved again. The caller guarantees that no page was added,
/// removed or moved, and that no changed page's headings changed, so the
/// other pages' links still resolve the same way.
pub(crate) fn relink(
    config: &Config,
    pages: Vec<Arc<Page>>,
    drafts: &[String],
    broken: &[String],
    others: &OtherOutputs,
    previous: Option<(&Funnel, &[usize])>,
) -> (Funnel, Diagnostics) {
    let by_content_path = match previous {
        Some((old, _)) => Arc::clone(&old.by_content_path),
        None => Arc::new(index_by_content_path(&pages)),
    };
    let mut funnel = Funnel {
        pages,
        by_content_path,
        links: Vec::new(),
        incoming: Vec::new(),
        link_warnings: Vec::new(),
    };
    let resolver = Resolver {
        config,
        funnel: &funnel,
        drafts,
        broken,
        others,
        base_path: config.base_path(),
    };
    let resolve_page = |i: usize| resolver.resolve(i);
    // A funnel that let its link warnings go (a build's) cannot lend them.
    let previous = previous.filter(|(old, _)| old.link_warnings.len() == old.links.len());
    let per_page: Vec<PageLinks> = match previous {
        Some((old, changed)) => {
            let mut per_page = kept_links(old);
            for &i in changed {
                per_page[i] = resolve_page(i);
            }
            per_page
        }
        None => (0..funnel.pages.len())
            .into_par_iter()
            .map(resolve_page)
            .collect(),
    };
    let mut diagnostics = Diagnostics::new();
    let mut links = Vec::with_capacity(per_page.len());
    let mut link_warnings = Vec::with_capacity(per_page.len());
    for (page_links, page_diagnostics) in per_page {
        links.push(page_links);
        diagnostics.extend(page_diagnostics.iter().cloned());
        link_warnings.push(page_diagnostics);
    }
    funnel.incoming = incoming(&links);
    funnel.links = links;
    funnel.link_warnings = link_warnings;
    let diagnostics = fold_inherited(&funnel.pages, diagnostics);
    (funnel, diagnostics)
}

/// Each page's index by its content path.
fn index_by_content_path(pages: &[Arc<Page>]) -> FxHashMap<String, usize> {
    (pages.iter().enumerate())
        .map(|(i, p)| (p.content_path.clone(), i))
        .collect()
}

/// A page's resolved links and the diagnostics resolving them gave.
type PageLinks = (Vec<Link>, Box<[Diagnostic]>);

/// Every page's links as `old` resolved them.
fn kept_links(old: &Funnel) -> Vec<PageLinks> {
    (old.links.iter().cloned())
        .zip(old.link_warnings.iter().cloned())
        .collect()
}

/// For each page, the pages that link to it (not itself), in index order.
fn incoming(links: &[Vec<Link>]) -> Vec<Vec<usize>> {
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); links.len()];
    for (from, outgoing) in links.iter().enumerate() {
        for link in outgoing.iter().filter(|l| l.to != from) {
            incoming[link.to].push(from);
        }
    }
    // Pushed in index order: sorted already, with a page that links twice
    // listed twice in a row.
    for from in &mut incoming {
        from.dedup();
        from.shrink_to_fit();
    }
    incoming
}

/// A variant inherits the fields it does not set from its control, and an
/// inherited field's error has no line in the variant's file: the same
/// error is reported at the control's line, where the user can fix it.
/// Such an error is folded into the control's, which names the variant.
/// The journey warnings are folded the same way (an inherited checkout's
/// `success`, say), and so are those that have no line anywhere (an
/// upsell without `decline`) when the variant inherits their cause.
pub(crate) fn fold_inherited(pages: &[Arc<Page>], diagnostics: Diagnostics) -> Diagnostics {
    let control_file: FxHashMap<&str, (&str, &VariantOf)> = pages
        .iter()
        .filter_map(|p| Some((p.file.as_str(), p.variant.as_deref()?)))
        .filter_map(|(file, variant)| {
            let control = pages.iter().find(|p| p.content_path == variant.control)?;
            Some((file, (control.file.as_str(), variant)))
        })
        .collect();
    if control_file.is_empty() {
        return diagnostics;
    }
    let mut items: Vec<Diagnostic> = diagnostics.into_iter().collect();
    let mut inheritors: Vec<Vec<String>> = vec![Vec::new(); items.len()];
    let mut keep = vec![true; items.len()];
    for (i, d) in items.iter().enumerate().filter(|(_, d)| d.line.is_none()) {
        let Some(&(control, variant)) = control_file.get(d.file.as_str()) else {
            continue;
        };
        // A warning that has no line at the control either is the same
        // one only when the variant sets nothing that causes it.
        let inherited = |c: &Diagnostic| c.line.is_some() || inherits_cause(c.code, variant);
        let same = items.iter().position(|c| {
            c.file == control && c.code == d.code && c.message == d.message && inherited(c)
        });
        if let Some(c) = same {
            inheritors[c].push(d.file.clone());
            keep[i] = false;
        }
    }
    for (item, files) in items.iter_mut().zip(&inheritors) {
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        experiment::name_inheritors(item, &files);
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(d, keep)| keep.then_some(d))
        .collect()
}

/// The site path of a root-relative URL: without query, fragment and the
/// base path (`/shop/guide/?a#b` → `/guide/` under `/shop`).
fn site_path<'a>(url: &'a str, base_path: &str) -> &'a str {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    path.strip_prefix(base_path)
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

struct Resolver<'a> {
    config: &'a Config,
    funnel: &'a Funnel,
    drafts: &'a [String],
    broken: &'a [String],
    others: &'a OtherOutputs,
    base_path: &'a str,
}

impl Resolver<'_> {
    /// Page `index`'s links, with the diagnostics resolving them gave.
    fn resolve(&self, index: usize) -> PageLinks {
        let mut diagnostics = Diagnostics::new();
        let links = self.page_links(index, &mut diagnostics);
        (links, diagnostics.into_iter().collect())
    }

    fn page_links(&self, index: usize, diagnostics: &mut Diagnostics) -> Vec<Link> {
        let page = &self.funnel.pages[index];
        let mut links = BTreeSet::new();
        if let Some(next) = &page.meta.next {
            if let Some(to) = self.reference(page, "next", next, diagnostics) {
                links.insert(Link {
                    to,
                    kind: LinkKind::Next,
                });
            }
        }
        if let Some(to) = self.form_target(page, diagnostics) {
            links.insert(Link {
                to,
                kind: LinkKind::Form,
            });
        }
        let offer_links = [
            (
                LinkKind::Checkout,
                "checkout.success",
                page.meta.checkout.as_ref().map(|c| &c.success),
            ),
            (LinkKind::Decline, "decline", page.meta.decline.as_ref()),
            // Where an evergreen offer sends a visitor past their deadline:
            // a plain link on the map.
            (
                LinkKind::Link,
                "expires.then",
                (page.meta.evergreen.as_ref()).and_then(|e| e.then.as_ref()),
            ),
        ];
        for (kind, field, target) in offer_links {
            let Some(target) = target else { continue };
            if let Some(to) = self.reference(page, field, target, diagnostics) {
                links.insert(Link { to, kind });
            }
        }
        for to in self.plan_successes(page, diagnostics) {
            links.insert(Link {
                to,
                kind: LinkKind::Checkout,
            });
        }
        for link in &page.scan.links {
            if let Some(to) = self.body_link(page, link, diagnostics) {
                links.insert(Link {
                    to,
                    kind: LinkKind::Link,
                });
            }
        }
        links.into_iter().collect()
    }

    fn form_target(&self, page: &Page, diagnostics: &mut Diagnostics) -> Option<usize> {
        let is_optin = page.meta.kind() == PageKind::Optin;
        let Some(form) = &page.meta.form else {
            if is_optin {
                let hint = "add `form:` with `fields: [name, email]` and `thank_you: thanks.md`";
                let error =
                    Diagnostic::error("missing-form", &page.file, "an opt-in page needs a `form:`");
                diagnostics.push(error.at_pos(page.meta.layout.pos).with_hint(hint));
            }
            return None;
        };
        if let Err(error) = crate::page::form::resolve_action(self.config, page, form) {
            diagnostics.push(error);
        }
        if let Some(problem) = crate::page::form::host_check(self.config, page, form) {
            diagnostics.push(problem);
        }
        match &form.thank_you {
            Some(thank_you) => self.reference(page, "form.thank_you", thank_you, diagnostics),
            None => {
                let message = "the form has no `thank_you:` page to land on after submit";
                let hint = "add `thank_you: some-thanks-page.md` under `form:`";
                diagnostics.push(
                    Diagnostic::error("missing-thank-you", &page.file, message)
                        .at_pos(form.pos)
                        .with_hint(hint),
                );
                None
            }
        }
    }

    /// The success pages of the checkouts of the page's data plans; one
    /// that is not a page is an error at its line in the data file.
    fn plan_successes(&self, page: &Page, diagnostics: &mut Diagnostics) -> Vec<usize> {
        let mut found = Vec::new();
        for plan in &page.plan_checkouts {
            let mut problems = Diagnostics::new();
            let success = &plan.checkout.success;
            found.extend(self.reference(page, "checkout.success", success, &mut problems));
            diagnostics.extend(problems.into_iter().map(|mut problem| {
                problem.file = plan.file.clone();
                problem.message = format!("{}: {}", plan.label(), problem.message);
                problem
            }));
        }
        found
    }

    /// Resolves a content path written in the front matter.
    fn reference(
        &self,
        page: &Page,
        field: &str,
        target: &Located<String>,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        match self.funnel.index_of(&target.value) {
            Some(i) => self.not_a_variant(page, i, target.pos, diagnostics),
            None if self.is_broken(&target.value) => None,
            None => {
                let message = format!(
                    "`{field}` points at \"{}\", which is not a page",
                    target.value
                );
                diagnostics.push(
                    self.missing(page, &target.value, message)
                        .at_pos(target.pos),
                );
                None
            }
        }
    }

    fn body_link(
        &self,
        page: &Page,
        link: &markdown::BodyLink,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        let pos = link.pos;
        match link.content_target() {
            Some((path, anchor)) => self.content_link(page, path, anchor, pos, diagnostics),
            None => self.root_relative_link(page, &link.dest, pos, diagnostics),
        }
    }

    fn content_link(
        &self,
        page: &Page,
        path: &str,
        anchor: Option<&str>,
        pos: Pos,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        let Some(to) = self.funnel.index_of(path) else {
            if self.is_broken(path) {
                return None;
            }
            let message = format!("link to \"@/{path}\", which is not a page");
            diagnostics.push(self.missing(page, path, message).at_pos(Some(pos)));
            return None;
        };
        let to = self.not_a_variant(page, to, Some(pos), diagnostics)?;
        let target = &self.funnel.pages[to];
        if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
            if !target.scan.headings.contains(anchor) {
                let ids = target.scan.headings.iter();
                let message = format!(
                    "{} has no heading with the id \"{anchor}\"{}",
                    target.file,
                    suggestion(anchor, ids)
                );
                let hint = "heading ids are the heading text in lowercase, words joined by `-`, or an explicit `{#id}`";
                diagnostics.push(
                    Diagnostic::error("broken-anchor", &page.file, message)
                        .at_pos(Some(pos))
                        .with_hint(hint),
                );
            }
        }
        Some(to)
    }

    /// A link like `/privacy/`: a page of the funnel, or a file of the output.
    fn root_relative_link(
        &self,
        page: &Page,
        dest: &str,
        pos: Pos,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        let path = site_path(dest, self.base_path);
        if let Some(i) = self.funnel.index_at(path) {
            return self.not_a_variant(page, i, Some(pos), diagnostics);
        }
        let file = path.trim_start_matches('/');
        if !self.others.contains(file) && !self.others.contains(&format!("{file}index.html")) {
            let message =
                format!("link to \"{dest}\", which is neither a page nor a file of the site");
            let hint =
                "link pages as `@/path/to/page.md`, which is checked and follows slug changes";
            diagnostics.push(
                Diagnostic::warning("broken-link", &page.file, message)
                    .at_pos(Some(pos))
                    .with_hint(hint),
            );
        }
        None
    }

    /// `to`, unless it is an A/B variant: visitors reach a variant through
    /// its control, which assigns them, so a link to one is an error.
    fn not_a_variant(
        &self,
        page: &Page,
        to: usize,
        pos: Option<Pos>,
        diagnostics: &mut Diagnostics,
    ) -> Option<usize> {
        let Some(variant) = &self.funnel.pages[to].variant else {
            return Some(to);
        };
        let target = &self.funnel.pages[to];
        let message = format!(
            "link to {}, which is variant \"{}\" of content/{}",
            target.file, variant.id, variant.control
        );
        let hint = format!(
            "link to the control, `{}`: it sends each visitor to their variant",
            variant.control
        );
        diagnostics.push(
            Diagnostic::error("link-to-variant", &page.file, message)
                .at_pos(pos)
                .with_hint(hint),
        );
        None
    }

    /// Whether `target` names a file that is not a page because of its own
    /// errors: a reference to it is not one more error.
    fn is_broken(&self, target: &str) -> bool {
        let target = normalize(target);
        self.broken.iter().any(|b| b == target)
    }

    /// The error for a reference to a content path that is not a page.
    fn missing(&self, page: &Page, target: &str, message: String) -> Diagnostic {
        let target = normalize(target);
        let error = Diagnostic::error("broken-reference", &page.file, message);
        if self.drafts.iter().any(|d| d == target) {
            return error.with_hint(format!(
                "content/{target} is a draft: build with --drafts, or remove `draft: true`"
            ));
        }
        let known = self.funnel.pages.iter().map(|p| p.content_path.as_str());
        match crate::base::diagnostics::did_you_mean(target, known) {
            Some(close) => error.with_hint(format!("did you mean \"{close}\"? (paths are relative to content/)")),
            None if !target.ends_with(".md") => error.with_hint("content paths end in `.md` and are relative to content/, like `offers/starter-kit.md`"),
            None => error.with_hint("content paths are relative to content/, like `offers/starter-kit.md`"),
        }
    }
}

/// Resolves `forms.privacy_url` from site.yaml: a content path (`@/privacy.md`)
/// or a root-relative URL must name a page of the site; an `https:` URL is
/// taken as it is. Returns the href to put in forms and the page it names.
pub(crate) fn resolve_privacy_url(
    config: &Config,
    config_text: &str,
    funnel: &Funnel,
    broken: &[String],
) -> Result<Option<(String, Option<usize>)>, Diagnostic> {
    let Some(url) = config.forms.privacy_url.as_deref() else {
        return Ok(None);
    };
    if url.starts_with("https://") {
        return Ok(Some((url.to_string(), None)));
    }
    // A page that failed to load has its own error; naming it is no second one.
    if names_broken(url, config.base_path(), broken) {
        return Ok(None);
    }
    let index = if url.starts_with("@/") {
        funnel.index_of(url)
    } else if url.starts_with('/') && !url.starts_with("//") {
        funnel.index_at(site_path(url, config.base_path()))
    } else {
        None
    };
    match index {
        Some(i) => Ok(Some((config.href(&funnel.pages[i].path), Some(i)))),
        None => {
            let pos =
                crate::base::yaml::Source::new(config_text, crate::input::config::CONFIG_FILE, 1)
                    .locate(&["forms", "privacy_url"]);
            let message = format!("`forms.privacy_url` \"{url}\" is not a page of the site");
            let known = funnel.pages.iter().map(|p| p.path.as_str());
            let hint = match crate::base::diagnostics::did_you_mean(url, known) {
                Some(close) => format!("did you mean \"{close}\"?"),
                None => "write the privacy page's content path (`@/privacy.md`), its URL (`/privacy/`), or an https: URL".into(),
            };
            Err(Diagnostic::error(
                "broken-privacy-url",
                crate::input::config::CONFIG_FILE,
                message,
            )
            .at_pos(pos)
            .with_hint(hint))
        }
    }
}

/// Whether `url`, a content path (`@/privacy.md`) or a root-relative URL
/// (`/privacy/`), names a file that failed to load as a page.
fn names_broken(url: &str, base_path: &str, broken: &[String]) -> bool {
    let path = site_path(url, base_path);
    broken.iter().any(|file| {
        file == normalize(url)
            || crate::base::url::url_path(file, None).is_ok_and(|own| own == path)
    })
}
