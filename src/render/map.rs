//! The funnel map, three ways: `funnel.json` for machines, `funnel/index.html`
//! for people, and the text of `funnelcake funnel` for the terminal.
//!
//! All three read the same [`FunnelMap`]: the stages in journey order, each
//! with its pages in URL order, then the pages without a stage; the links
//! of each page in kind order (form, next, link, checkout, decline), then by URL; and which
//! stages are gaps and which pages are dead ends. Everything is sorted, so
//! the output is deterministic.
//!
//! The page for people is the theme's `funnel.html`, rendered with the
//! board laid out here ([`MapContext`]: every card placed and every arrow
//! drawn, so the template only prints); a theme without that template gets
//! the standalone page of [`FunnelMap::to_html`].

use crate::base::diagnostics::Diagnostic;
use crate::funnel::{Funnel, LinkKind};
use crate::input::config::{Config, CONVERSION_CODES};
use crate::input::i18n::Strings;
use crate::page::checkout::Provider;
use crate::page::content::Page;
use layout::{Layout, CARD_H, HEAD_H};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

mod fit;
mod layout;

/// `map` in the theme's `funnel.html`: the funnel map as a board of
/// columns (stages) and cards (pages) with arrows (links) between them.
/// Sizes and positions are CSS pixels, `x` from the start of the line: a
/// right-to-left page mirrors the board, arrows included, in CSS.
#[derive(Debug, Serialize)]
pub(crate) struct MapContext<'a> {
    /// How many stages the journey has.
    pub stages: usize,
    /// How many pages the map shows.
    pub pages: usize,
    /// How many stages no page serves.
    pub gaps: usize,
    /// How many pages have a stage and no way onward.
    pub dead_ends: usize,
    /// The most cards a column draws (see `hidden`).
    pub limit: usize,
    /// How many pages the board leaves out because their column has more
    /// than `limit`; usually 0. Each such column says how many in `more`.
    pub hidden: usize,
    pub board: Board,
    /// The stages in journey order, then the pages without a stage, if
    /// any, as a band below them (see [`ColumnContext::band`]).
    pub columns: Vec<ColumnContext<'a>>,
    /// One arrow per link (self-links left out), to draw in one `<svg>` of
    /// the board's size.
    pub arrows: Vec<ArrowContext>,
}

/// `map.board`: the board's size, and the size its cards must have for the
/// arrows to meet them (a theme sets them as CSS custom properties; a
/// card's own `height` may be more).
#[derive(Debug, Serialize)]
pub(crate) struct Board {
    pub width: usize,
    pub height: usize,
    /// The width of a column and of its cards.
    pub column_width: usize,
    pub card_height: usize,
    /// Where the first card of a column starts; the headings are above it.
    pub top: usize,
    /// How much print shrinks the board (`zoom`, at most 1) so that the
    /// map fits one landscape page of A4 or US Letter; see
    /// [`layout::print_scale`].
    pub print_scale: String,
}

/// An entry of `map.columns`.
#[derive(Debug, Serialize)]
pub(crate) struct ColumnContext<'a> {
    /// The stage's id; none for the column of pages without a stage.
    pub id: Option<&'a str>,
    /// The stage's title in the site's language, as in `journey`; none for
    /// the pages without a stage (`t.map_other_pages` names them).
    pub title: Option<String>,
    /// The stage's 1-based position in the journey.
    pub index: Option<usize>,
    /// True for a stage that no page serves.
    pub gap: bool,
    /// True for the pages without a stage: not a column but a band as
    /// wide as the board, below the stages' columns (so a journey of eight
    /// stages still fits a laptop), its heading at `y` and its cards at
    /// their own `x`.
    pub band: bool,
    /// Where the column starts; the band starts with the first column.
    pub x: usize,
    /// Where the band's heading goes; 0 for a stage's column, whose
    /// heading is at the top of the board.
    pub y: usize,
    /// How many pages the stage has.
    pub pages: usize,
    /// How many of them are past the limit and have no card.
    pub more: usize,
    /// Where a line saying so goes: below the last card of a column, in
    /// the next place of the band.
    pub more_x: usize,
    pub more_y: usize,
    /// Its pages in URL order, at most `map.limit`.
    pub cards: Vec<CardContext<'a>>,
}

/// An entry of a column's `cards`: one page.
#[derive(Debug, Serialize)]
pub(crate) struct CardContext<'a> {
    /// A number unique on the map, for the card's element id; `links` name
    /// cards by it.
    pub id: usize,
    pub title: &'a str,
    /// Root-relative href, percent-encoded, with the base path.
    pub url: String,
    /// Site path as written on disk (`/offers/kit/`).
    pub path: &'a str,
    /// The offer type's title in the site's language.
    pub offer: Option<String>,
    pub layout: &'a str,
    /// The layout's badge in the site's language (`map_layout_ID` in the
    /// strings), or its id for a layout the strings do not name.
    pub layout_title: String,
    pub draft: bool,
    pub noindex: bool,
    /// True for a page with a stage and no way onward.
    pub dead_end: bool,
    /// The A/B experiment the page runs: its id and every arm's share,
    /// such as `guide-headline: a 50% · b 50%`.
    pub experiment: Option<String>,
    /// The start of the card from the start of its column: 0 in a
    /// stage's column, the place under a stage's column in the band. It is
    /// as wide as a column.
    pub x: usize,
    /// The top of the card.
    pub y: usize,
    /// The card's height: `map.board.card_height`, or more for a row
    /// with a card whose badges need more room. Every card of a row has
    /// the row's height, which the arrows were routed for.
    pub height: usize,
    /// The codes of the page's conversion warnings (`form-length`, …).
    pub warnings: Vec<&'static str>,
    /// Where the page leads, by kind (form, next, link, checkout, decline), then URL; links
    /// to pages without a card (see `map.hidden`) are left out.
    pub links: Vec<LinkContext<'a>>,
}

/// An entry of a card's `links`.
#[derive(Debug, Serialize)]
pub(crate) struct LinkContext<'a> {
    /// The `id` of the card it leads to.
    pub to: usize,
    /// The title of that page.
    pub title: &'a str,
    /// `form`, `next` or `link`.
    pub kind: LinkKind,
}

/// An entry of `map.arrows`.
#[derive(Debug, Serialize)]
pub(crate) struct ArrowContext {
    /// The `id`s of the cards it leaves and reaches.
    pub from: usize,
    pub to: usize,
    /// `form`, `next` or `link`.
    pub kind: LinkKind,
    /// True when the link goes back to an earlier stage.
    pub back: bool,
    /// `d`: the SVG path data, from the side of one card to the side of
    /// the other, in straight segments around the cards.
    #[serde(rename = "d", serialize_with = "layout::serialize_path")]
    pub points: layout::Polyline,
}

/// The journey with its pages, ready to print.
pub(crate) struct FunnelMap<'a> {
    config: &'a Config,
    funnel: &'a Funnel,
    /// The UI strings of the site's language, for stage and offer titles.
    strings: &'a Strings,
    /// One column per stage in journey order, then "other pages" when any
    /// page has no stage: (id, title, page indexes in URL order).
    columns: Vec<Column<'a>>,
    /// Outgoing links of each page, self-links left out, in kind then URL
    /// order: (page index, kind).
    links: Vec<Vec<(usize, LinkKind)>>,
    /// The codes of each page's conversion warnings, each once, in the
    /// order of `CONVERSION_CODES` (see [`FunnelMap::with_warnings`]).
    warnings: Vec<Vec<&'static str>>,
}

struct Column<'a> {
    id: Option<&'a str>,
    /// In the site's language.
    title: String,
    pages: Vec<usize>,
}

impl<'a> FunnelMap<'a> {
    pub(crate) fn new(config: &'a Config, funnel: &'a Funnel, strings: &'a Strings) -> Self {
        let mut columns: Vec<Column> = config
            .journey
            .iter()
            .map(|stage| Column {
                id: Some(stage.id.as_str()),
                title: strings.stage_title(stage),
                pages: Vec::new(),
            })
            .collect();
        let mut others = Vec::new();
        // A/B variants are shown with their control, not in a column.
        for (i, page) in funnel.pages.iter().enumerate() {
            if page.variant.is_some() {
                continue;
            }
            match page
                .meta
                .stage
                .as_deref()
                .and_then(|s| config.stage_index(s))
            {
                Some(stage) => columns[stage].pages.push(i),
                None => others.push(i),
            }
        }
        if !others.is_empty() {
            columns.push(Column {
                id: None,
                title: strings
                    .get("map_other_pages")
                    .unwrap_or("Other pages")
                    .into(),
                pages: others,
            });
        }
        let links = (0..funnel.pages.len())
            .map(|i| {
                let mut links: Vec<(usize, LinkKind)> = funnel.links[i]
                    .iter()
                    .filter(|l| l.to != i)
                    .map(|l| (l.to, l.kind))
                    .collect();
                links.sort_by_key(|&(to, kind)| (kind, to));
                links
            })
            .collect();
        FunnelMap {
            config,
            funnel,
            strings,
            columns,
            links,
            warnings: vec![Vec::new(); funnel.pages.len()],
        }
    }

    /// The map with the conversion warnings of `diagnostics` on the cards
    /// of their pages, so a marketer sees which step needs work.
    pub(crate) fn with_warnings<'d>(
        mut self,
        diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
    ) -> Self {
        let index: FxHashMap<&str, usize> = (self.funnel.pages.iter().enumerate())
            .map(|(i, page)| (page.file.as_str(), i))
            .collect();
        for warning in diagnostics.into_iter().filter(|d| !d.is_error()) {
            if let Some(&i) = index.get(warning.file.as_str()) {
                self.warnings[i].push(warning.code);
            }
        }
        for codes in &mut self.warnings {
            codes.retain(|code| CONVERSION_CODES.contains(code));
            codes.sort_by_key(|code| CONVERSION_CODES.iter().position(|c| c == code));
            codes.dedup();
        }
        self
    }

    fn page(&self, index: usize) -> &'a Page {
        &self.funnel.pages[index]
    }

    /// Outgoing links of a page, self-links left out, in kind then URL order.
    fn links(&self, index: usize) -> &[(usize, LinkKind)] {
        &self.links[index]
    }

    /// `guide-headline: a 50% · b 50%` for a page that runs an experiment.
    fn experiment_summary(&self, index: usize) -> Option<String> {
        let experiment = self.page(index).meta.experiment.as_ref()?;
        let arms: Vec<String> = experiment
            .arms()
            .map(|(id, weight)| format!("{id} {weight}%"))
            .collect();
        Some(format!("{}: {}", experiment.id, arms.join(" · ")))
    }

    /// The variants of the experiment page `index` runs, with their
    /// weights, in arm order.
    fn variants(&self, index: usize) -> Vec<(usize, u32)> {
        let page = self.page(index);
        let Some(experiment) = &page.meta.experiment else {
            return Vec::new();
        };
        experiment
            .variants
            .iter()
            .zip(experiment.weights.iter().skip(1))
            .filter_map(|(v, &weight)| Some((self.funnel.index_of(&v.file.value)?, weight)))
            .collect()
    }

    /// A page with a stage and no way onward.
    fn is_dead_end(&self, index: usize) -> bool {
        self.page(index).meta.stage.is_some() && self.links(index).is_empty()
    }

    /// The page's offer type's title in the site's language.
    fn offer_title(&self, page: &Page) -> Option<String> {
        let offer = self.config.offer(page.meta.offer.as_deref()?)?;
        Some(self.strings.offer_title(offer))
    }

    /// The page's stage's title in the site's language.
    fn stage_title(&self, page: &Page) -> Option<String> {
        let stage = self.config.stage_index(page.meta.stage.as_deref()?)?;
        Some(self.columns[stage].title.clone())
    }

    /// `funnel.json`, in the schema of SPEC.md.
    pub(crate) fn to_json(&self) -> String {
        let json = Json {
            site: SiteJson {
                title: &self.config.title,
                base_url: &self.config.base_url,
            },
            stages: self
                .columns
                .iter()
                .filter_map(|c| self.stage_json(c))
                .collect(),
            pages: AllPages(self),
        };
        // Written into a buffer reserved for 2 KB a page (a page takes
        // under 1 KB unless it has dozens of links): a growing buffer holds
        // its old and new copies at once, 190 MB for the 72 MB of 100,000
        // pages, at the build's peak. The part never written costs address
        // space only: the system gives memory to the pages a process
        // touches.
        let mut bytes = Vec::with_capacity(4096 + 2048 * self.funnel.pages.len());
        serde_json::to_writer_pretty(&mut bytes, &json).expect("the map always serializes");
        bytes.push(b'\n');
        String::from_utf8(bytes).expect("serde_json writes UTF-8")
    }

    fn stage_json(&self, column: &Column<'a>) -> Option<StageJson<'a>> {
        Some(StageJson {
            id: column.id?,
            title: column.title.clone(),
            pages: column
                .pages
                .iter()
                .map(|&i| self.page(i).path.as_str())
                .collect(),
        })
    }

    fn page_json(&self, index: usize) -> PageJson<'a> {
        let page = self.page(index);
        PageJson {
            url: &page.path,
            source: &page.file,
            title: &page.meta.title,
            stage: page.meta.stage.as_deref(),
            stage_title: self.stage_title(page),
            offer: page.meta.offer.as_deref(),
            offer_title: self.offer_title(page),
            layout: &page.meta.layout.value,
            indexable: !page.is_noindex() && !page.meta.draft,
            links: self.links_json(index),
            checkout: self.checkout_json(index),
            plan_checkouts: self.plan_checkouts_json(index),
            experiment: page
                .meta
                .experiment
                .as_ref()
                .map(|experiment| ExperimentJson {
                    id: &experiment.id,
                    weight: experiment.weights[0],
                    variants: self
                        .variants(index)
                        .into_iter()
                        .map(|(v, weight)| self.variant_json(v, weight))
                        .collect(),
                }),
        }
    }

    /// The checkout of a page whose success page resolved.
    fn checkout_json(&self, index: usize) -> Option<CheckoutJson<'a>> {
        let checkout = self.page(index).meta.checkout.as_ref()?;
        let success = self.funnel.checkout_success(index)?;
        Some(CheckoutJson {
            provider: checkout.provider.id(),
            url: &checkout.url,
            success_url: self.config.permalink(&self.page(success).path)
                + transaction_query(checkout.provider),
        })
    }

    /// The checkouts of the page's data plans whose success page resolved,
    /// in the order the page shows them.
    fn plan_checkouts_json(&self, index: usize) -> Vec<PlanCheckoutJson<'a>> {
        let page = self.page(index);
        (page.plan_checkouts.iter())
            .filter_map(|plan| {
                let success = self.funnel.success_of(index, &plan.checkout)?;
                Some(PlanCheckoutJson {
                    plan: &plan.plan,
                    source: &plan.file,
                    data: &plan.path,
                    provider: plan.checkout.provider.id(),
                    url: &plan.checkout.url,
                    success_url: self.config.permalink(&self.page(success).path)
                        + transaction_query(plan.checkout.provider),
                })
            })
            .collect()
    }

    fn variant_json(&self, index: usize, weight: u32) -> VariantJson<'a> {
        let variant = self.page(index);
        VariantJson {
            id: variant.variant.as_ref().map_or("", |of| of.id.as_str()),
            url: &variant.path,
            source: &variant.file,
            title: &variant.meta.title,
            weight,
            links: self.links_json(index),
            checkout: self.checkout_json(index),
        }
    }

    fn links_json(&self, index: usize) -> Vec<LinkJson<'a>> {
        self.links(index)
            .iter()
            .map(|&(to, kind)| LinkJson {
                to: &self.page(to).path,
                kind,
            })
            .collect()
    }

    /// The text of `funnelcake funnel`; ANSI colour when `colour` is set.
    pub(crate) fn to_text(&self, colour: bool) -> String {
        let paint = Paint(colour);
        let mut out = String::new();
        let pages = self.columns.iter().map(|c| c.pages.len()).sum::<usize>();
        let _ = writeln!(
            out,
            "{}: {} stages, {pages} page{}",
            paint.on("1", &self.config.title),
            self.config.journey.len(),
            if pages == 1 { "" } else { "s" }
        );
        for (n, column) in self.columns.iter().enumerate() {
            let heading = match column.id {
                Some(id) => format!("{}. {} ({id})", n + 1, column.title),
                None => column.title.clone(),
            };
            let _ = writeln!(out, "\n{}", paint.on("1;36", &heading));
            if column.pages.is_empty() {
                let _ = writeln!(
                    out,
                    "  {}",
                    paint.on("33", "(no page: a gap in the journey)")
                );
            }
            for &i in &column.pages {
                self.page_text(i, paint, &mut out);
            }
        }
        out
    }

    /// One page of `funnelcake funnel`: its line, its links, its A/B arms
    /// and whether it is a dead end.
    fn page_text(&self, i: usize, paint: Paint, out: &mut String) {
        let page = self.page(i);
        let mut about = vec![page.meta.layout.value.clone()];
        about.extend(self.offer_title(page));
        let _ = writeln!(
            out,
            "  {} {}  {}",
            paint.on("1", &page.path),
            page.meta.title,
            paint.on("2", &format!("[{}]", about.join(", ")))
        );
        for &(to, kind) in self.links(i) {
            let arrow = paint.on("2", "→");
            let _ = writeln!(
                out,
                "    {arrow} {} ({})",
                self.page(to).path,
                kind_name(kind)
            );
        }
        if let Some(checkout) = self.checkout_json(i) {
            let _ = writeln!(
                out,
                "    $ {} checkout; set its success URL in the provider: {}",
                checkout.provider, checkout.success_url
            );
        }
        for plan in self.plan_checkouts_json(i) {
            let _ = writeln!(
                out,
                "    $ {} checkout of plan \"{}\" ({}); set its success URL in the provider: {}",
                plan.provider, plan.plan, plan.data, plan.success_url
            );
        }
        self.experiment_text(i, paint, out);
        if self.is_dead_end(i) {
            let _ = writeln!(out, "    {}", paint.on("33", "✗ dead end: no way onward"));
        }
    }

    /// The A/B arms of page `i` in `funnelcake funnel`: each variant's
    /// line, and under it the success URL of a checkout the control does
    /// not already list (a variant that sells through its own link or to
    /// its own success page needs its own redirect in the provider).
    fn experiment_text(&self, i: usize, paint: Paint, out: &mut String) {
        let Some(experiment) = &self.page(i).meta.experiment else {
            return;
        };
        let fork = paint.on("35", "⑂");
        let (id, control) = (&experiment.id, experiment.weights[0]);
        let _ = writeln!(out, "    {fork} experiment {id}: a {control}%");
        let control_checkout = self.checkout_json(i);
        for (v, weight) in self.variants(i) {
            let variant = self.page(v);
            let id = variant.variant.as_ref().map_or("", |of| of.id.as_str());
            let path = paint.on("1", &variant.path);
            let _ = writeln!(out, "      {id} {weight}%  {path} {}", variant.meta.title);
            let Some(checkout) = self.checkout_json(v) else {
                continue;
            };
            if control_checkout.as_ref() != Some(&checkout) {
                let _ = writeln!(
                    out,
                    "        $ {} checkout of arm {id}; set its success URL in the provider: {}",
                    checkout.provider, checkout.success_url
                );
            }
        }
    }

    fn gaps(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| c.id.is_some() && c.pages.is_empty())
            .count()
    }

    fn dead_ends(&self) -> usize {
        self.columns
            .iter()
            .flat_map(|c| &c.pages)
            .filter(|&&i| self.is_dead_end(i))
            .count()
    }

    /// The pages on the map: every page but the A/B variants, which are
    /// shown on their control's card.
    fn page_count(&self) -> usize {
        self.columns.iter().map(|c| c.pages.len()).sum()
    }

    /// `map` for the theme's `funnel.html`: the board with its cards placed
    /// and its arrows drawn, at most [`COLUMN_LIMIT`] cards a column;
    /// titles of stages and offers in the site's language from `strings`.
    pub(crate) fn context(&self, strings: &Strings) -> MapContext<'a> {
        self.context_limited(strings, COLUMN_LIMIT)
    }

    fn context_limited(&self, strings: &Strings, limit: usize) -> MapContext<'a> {
        let stages: Vec<Vec<usize>> = (self.columns.iter())
            .filter(|c| c.id.is_some())
            .map(|c| c.pages.clone())
            .collect();
        let others = (self.columns.iter().find(|c| c.id.is_none())).map_or(&[][..], |c| &c.pages);
        let offers: HashMap<&str, String> = self
            .config
            .offers
            .iter()
            .map(|o| (o.id.as_str(), strings.offer_title(o)))
            .collect();
        let layout = Layout::new(&stages, others, self.funnel.pages.len(), limit);
        let col_w = layout.col_w;
        let layout = layout.fit_rows(|i| {
            let badges = self.badges(i, (strings, &offers));
            fit::card_height(col_w, &self.page(i).meta.title, &badges)
        });
        let columns = (0..self.columns.len())
            .map(|c| self.column(c, strings, &offers, &layout))
            .collect();
        let arrows = self.arrows(&layout);
        let hidden = self
            .columns
            .iter()
            .map(|c| c.pages.len().saturating_sub(limit))
            .sum();
        MapContext {
            stages: self.config.journey.len(),
            pages: self.page_count(),
            gaps: self.gaps(),
            dead_ends: self.dead_ends(),
            limit,
            hidden,
            board: Board {
                width: layout.width,
                height: layout.height,
                column_width: layout.col_w,
                card_height: CARD_H,
                top: HEAD_H,
                print_scale: format!("{:.3}", layout::print_scale(layout.width, layout.height)),
            },
            columns,
            arrows,
        }
    }

    fn column(
        &self,
        c: usize,
        strings: &Strings,
        offers: &HashMap<&str, String>,
        layout: &Layout,
    ) -> ColumnContext<'a> {
        let column = &self.columns[c];
        let stage = column.id.and_then(|id| self.config.stage_index(id));
        let drawn = &column.pages[..column.pages.len().min(layout.limit)];
        let band = column.id.is_none();
        // A card's place from the start of its column; the band's column
        // spans the board's columns.
        let start = layout.column_x(0);
        let place = |r: usize| match layout.band_place(r).filter(|_| band) {
            Some(cell) => (layout.column_x(cell.0) - start, cell.1),
            None => (0, r),
        };
        let (more_x, more_row) = place(drawn.len());
        ColumnContext {
            id: column.id,
            title: stage.map(|s| strings.stage_title(&self.config.journey[s])),
            index: stage.map(|s| s + 1),
            gap: !band && column.pages.is_empty(),
            band,
            x: layout.column_x(if band { 0 } else { c }),
            y: layout.band_y().filter(|_| band).unwrap_or(0),
            pages: column.pages.len(),
            more: column.pages.len() - drawn.len(),
            more_x,
            more_y: layout.row_y(more_row),
            cards: (drawn.iter().enumerate())
                .map(|(r, &i)| self.card(i, (strings, offers), layout, place(r)))
                .collect(),
        }
    }

    fn card(
        &self,
        index: usize,
        (strings, offers): (&Strings, &HashMap<&str, String>),
        layout: &Layout,
        (x, row): (usize, usize),
    ) -> CardContext<'a> {
        let page = self.page(index);
        CardContext {
            id: index,
            title: &page.meta.title,
            url: self.config.href(&page.path),
            path: &page.path,
            offer: offer_badge(page, offers),
            layout: &page.meta.layout.value,
            layout_title: layout_badge(page, strings),
            draft: page.meta.draft,
            noindex: page.is_noindex(),
            dead_end: self.is_dead_end(index),
            experiment: self.experiment_summary(index),
            warnings: self.warnings[index].clone(),
            x,
            y: layout.row_y(row),
            height: layout.row_h(row),
            links: self
                .links(index)
                .iter()
                .filter(|&&(to, _)| layout.cells[to].is_some())
                .map(|&(to, kind)| LinkContext {
                    to,
                    title: &self.page(to).meta.title,
                    kind,
                })
                .collect(),
        }
    }

    /// The texts of the badges the card of page `index` shows, as
    /// `_map_card.html` writes them, to size the card for them.
    fn badges(
        &self,
        index: usize,
        (strings, offers): (&Strings, &HashMap<&str, String>),
    ) -> Vec<String> {
        let page = self.page(index);
        let t = |key: &str| strings.get(key).unwrap_or(key).to_string();
        let mut badges: Vec<String> = offer_badge(page, offers).into_iter().collect();
        badges.push(layout_badge(page, strings));
        let flags = [
            (page.meta.draft, "map_draft"),
            (page.is_noindex(), "map_noindex"),
            (self.is_dead_end(index), "map_dead_end"),
        ];
        badges.extend(flags.iter().filter(|(on, _)| *on).map(|(_, key)| t(key)));
        if let Some(experiment) = self.experiment_summary(index) {
            badges.push(format!("{} {experiment}", t("map_ab")));
        }
        let warnings = self.warnings[index].iter();
        badges.extend(warnings.map(|code| t(&format!("check_{code}"))));
        badges
    }

    /// One arrow per link between drawn cards, routed around the cards
    /// (see [`Layout::route`]), each with its kind and whether it goes
    /// back to an earlier stage.
    fn arrows(&self, layout: &Layout) -> Vec<ArrowContext> {
        let mut links = Vec::new();
        let mut kinds = Vec::new();
        for (from, cell) in layout.cells.iter().enumerate() {
            let Some(a) = *cell else { continue };
            for &(to, kind) in self.links(from) {
                if let Some(b) = layout.cells[to] {
                    links.push((a, b));
                    // Only a link between stages goes back; the band's
                    // places say nothing of the journey.
                    let stages = !layout.in_band(a) && !layout.in_band(b);
                    kinds.push((from, to, kind, stages && b.0 < a.0));
                }
            }
        }
        let routes = layout.route(&links);
        kinds
            .into_iter()
            .zip(routes)
            .map(|((from, to, kind, back), points)| ArrowContext {
                from,
                to,
                kind,
                back,
                points,
            })
            .collect()
    }
}

/// The most cards a column of the theme's map page draws. A stage with
/// more pages shows its first ones (by URL) and how many more it has:
/// past a few thousand cards a browser struggles and nobody can follow the
/// arrows, and drawing 100,000 pages through a template would slow a big
/// build down. `funnel.json` and `funnelcake funnel` list every page.
pub(crate) const COLUMN_LIMIT: usize = 2_000;

/// A card's offer badge: the offer type's title in the site's language.
fn offer_badge(page: &Page, offers: &HashMap<&str, String>) -> Option<String> {
    let id = page.meta.offer.as_deref()?;
    offers.get(id).cloned()
}

/// A card's layout badge (`map_layout_ID` in the strings), or the
/// layout's id for a layout the strings do not name.
fn layout_badge(page: &Page, strings: &Strings) -> String {
    let layout = &page.meta.layout.value;
    let key = format!("map_layout_{layout}");
    strings.get(&key).unwrap_or(layout).to_string()
}

fn kind_name(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Form => "form",
        LinkKind::Next => "next",
        LinkKind::Link => "link",
        LinkKind::Checkout => "checkout",
        LinkKind::Decline => "decline",
    }
}

/// ANSI colour for the terminal, or plain text.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn on(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `funnel.json`: the site, its stages in order, and every page (A/B
/// variants under their control).
#[derive(Serialize)]
struct Json<'m, 'a> {
    site: SiteJson<'a>,
    stages: Vec<StageJson<'a>>,
    pages: AllPages<'m, 'a>,
}

/// The pages of `funnel.json`, each made as it is written: a list of them
/// all held 40 MB more at 100,000 pages.
struct AllPages<'m, 'a>(&'m FunnelMap<'a>);

impl Serialize for AllPages<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        let controls = (0..map.funnel.pages.len()).filter(|&i| map.page(i).variant.is_none());
        serializer.collect_seq(controls.map(|i| map.page_json(i)))
    }
}

#[derive(Serialize)]
struct SiteJson<'a> {
    title: &'a str,
    base_url: &'a str,
}

#[derive(Serialize)]
struct StageJson<'a> {
    id: &'a str,
    /// In the site's language.
    title: String,
    pages: Vec<&'a str>,
}

#[derive(Serialize)]
struct PageJson<'a> {
    url: &'a str,
    source: &'a str,
    title: &'a str,
    stage: Option<&'a str>,
    /// The stage's and the offer type's titles in the site's language.
    stage_title: Option<String>,
    offer: Option<&'a str>,
    offer_title: Option<String>,
    layout: &'a str,
    indexable: bool,
    links: Vec<LinkJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    experiment: Option<ExperimentJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutJson<'a>>,
    /// The checkouts of the plans the page takes from data files, beside
    /// its own `checkout` (which keeps its shape).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    plan_checkouts: Vec<PlanCheckoutJson<'a>>,
}

/// What the success URL asks the provider to fill in: the transaction id,
/// for the success page's `purchase` event (its dedupe key, and GA4's
/// `transaction_id`). Stripe Payment Links replace `{CHECKOUT_SESSION_ID}`
/// in their redirect; Lemon Squeezy replaces `[order_id]` in a product's
/// button links. Paddle's hosted checkouts and Gumroad document no such
/// placeholder.
fn transaction_query(provider: Provider) -> &'static str {
    match provider {
        Provider::Stripe => "?transaction_id={CHECKOUT_SESSION_ID}",
        Provider::LemonSqueezy => "?transaction_id=[order_id]",
        Provider::Paddle | Provider::Gumroad | Provider::Link => "",
    }
}

/// A page's hosted checkout, with the success URL to set in the provider.
#[derive(Serialize, PartialEq)]
struct CheckoutJson<'a> {
    provider: &'static str,
    url: &'a str,
    success_url: String,
}

/// The checkout of a plan from a data file: which plan, where it is
/// written, and the success URL to set in the provider.
#[derive(Serialize)]
struct PlanCheckoutJson<'a> {
    /// The plan's `name`.
    plan: &'a str,
    /// The data file (`data/plans.yaml`).
    source: &'a str,
    /// The plan as a page reaches it: `data.plans.club.0`.
    data: &'a str,
    provider: &'static str,
    url: &'a str,
    success_url: String,
}

#[derive(Serialize)]
struct ExperimentJson<'a> {
    id: &'a str,
    weight: u32,
    variants: Vec<VariantJson<'a>>,
}

#[derive(Serialize)]
struct VariantJson<'a> {
    id: &'a str,
    url: &'a str,
    source: &'a str,
    title: &'a str,
    weight: u32,
    links: Vec<LinkJson<'a>>,
    /// The arm's checkout, its own or the control's it inherits, in the
    /// shape of a page's.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutJson<'a>>,
}

#[derive(Serialize)]
struct LinkJson<'a> {
    to: &'a str,
    kind: LinkKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_past_the_limit_draws_its_first_cards_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path();
        std::fs::create_dir_all(site.join("content")).unwrap();
        let journey = "journey:\n  - { id: a, title: A }\n  - { id: b, title: B }\n";
        let config = format!("title: t\nbase_url: https://t.example\n{journey}");
        std::fs::write(site.join("site.yaml"), config).unwrap();
        for (name, stage, next) in [
            ("p1", "a", "p4"),
            ("p2", "a", "p3"),
            ("p3", "a", ""),
            ("p4", "b", ""),
        ] {
            let next = if next.is_empty() {
                String::new()
            } else {
                format!("next: {next}.md\n")
            };
            let page = format!("---\ntitle: {name}\nstage: {stage}\n{next}---\n");
            std::fs::write(site.join(format!("content/{name}.md")), page).unwrap();
        }
        let prepared = crate::site::prepare(&crate::site::BuildOptions::new(site)).unwrap();
        let strings = prepared.renderer.strings();
        let map = FunnelMap::new(&prepared.config, &prepared.funnel, strings);

        let whole = map.context(strings);
        assert_eq!((whole.hidden, whole.columns[0].cards.len()), (0, 3));

        let limited = map.context_limited(strings, 2);
        assert_eq!((limited.pages, limited.hidden, limited.limit), (4, 1, 2));
        assert_eq!(limited.dead_ends, 2, "counted over every page");
        let a = &limited.columns[0];
        let titles: Vec<&str> = a.cards.iter().map(|c| c.title).collect();
        assert_eq!(titles, ["p1", "p2"]);
        assert_eq!(
            (a.pages, a.more, a.more_y),
            (3, 1, layout::HEAD_H + 2 * (CARD_H + layout::GAP_Y))
        );
        // p2 leads to p3, which has no card: no arrow, no entry in its list.
        assert!(a.cards[1].links.is_empty());
        assert_eq!(limited.arrows.len(), 1);
        assert_eq!(limited.arrows[0].kind, LinkKind::Next);
        // Two cards and the line saying how many more.
        assert_eq!(
            limited.board.height,
            HEAD_H + 3 * (CARD_H + layout::GAP_Y) + layout::PAD
        );
    }

    /// The cards' rectangles on the board, by card id, and the rectangles
    /// of the gap and "more" boxes, which are cards too.
    fn rectangles(map: &MapContext) -> (HashMap<usize, layout::Rect>, Vec<layout::Rect>) {
        let (w, h) = (map.board.column_width, map.board.card_height);
        let at = |x, y| layout::Rect { x, y, w, h };
        let mut cards = HashMap::new();
        let mut boxes = Vec::new();
        for column in &map.columns {
            for card in &column.cards {
                let rect = at(column.x + card.x, card.y);
                cards.insert(
                    card.id,
                    layout::Rect {
                        h: card.height,
                        ..rect
                    },
                );
            }
            if column.gap {
                boxes.push(at(column.x, map.board.top));
            }
            if column.more > 0 {
                boxes.push(at(column.x + column.more_x, column.more_y));
            }
        }
        (cards, boxes)
    }

    /// True when `point` lies on the start or end side of `rect`.
    fn on_side((x, y): (usize, usize), rect: layout::Rect) -> bool {
        (x == rect.x || x == rect.x + rect.w) && y > rect.y && y < rect.y + rect.h
    }

    /// Checks the arrows of the map of `site`, with the warnings `check`
    /// finds on its cards; returns how many of its cards are taller than
    /// usual, to hold their badges.
    fn assert_arrows_go_around_cards(site: &std::path::Path, min_arrows: usize) -> usize {
        let prepared = crate::site::prepare(&crate::site::BuildOptions::new(site)).unwrap();
        let strings = prepared.renderer.strings();
        let map = FunnelMap::new(&prepared.config, &prepared.funnel, strings)
            .with_warnings(prepared.diagnostics.iter());
        let context = map.context(strings);
        assert!(
            context.arrows.len() >= min_arrows,
            "{}",
            context.arrows.len()
        );
        assert!(context.arrows.iter().any(|a| a.back), "a back link");
        let (cards, boxes) = rectangles(&context);
        // The band's heading: no arrow runs along it (they only cross it
        // in the channels between columns, under its text's background).
        let band = context.columns.iter().find(|c| c.band);
        let band = band.expect("pages outside the journey, in the band");
        let strip = (band.y + 1, layout::BAND_H - 2);
        for arrow in &context.arrows {
            for pair in arrow.points.windows(2).filter(|p| p[0].1 == p[1].1) {
                let y = pair[0].1;
                assert!(
                    y < strip.0 || y > strip.0 + strip.1,
                    "{arrow:?} runs along the band's heading"
                );
            }
        }
        let all: Vec<layout::Rect> = cards.values().copied().chain(boxes).collect();
        for arrow in &context.arrows {
            let points = &arrow.points;
            let (first, last) = (points[0], points[points.len() - 1]);
            assert!(
                on_side(first, cards[&arrow.from]),
                "{arrow:?} leaves its card"
            );
            assert!(
                on_side(last, cards[&arrow.to]),
                "{arrow:?} reaches its card"
            );
            for pair in points.windows(2) {
                assert!(
                    pair[0].0 == pair[1].0 || pair[0].1 == pair[1].1,
                    "{arrow:?}"
                );
                for rect in &all {
                    assert!(
                        !layout::tests::crosses(pair[0], pair[1], *rect),
                        "{arrow:?} crosses {rect:?}"
                    );
                }
            }
        }
        cards.values().filter(|rect| rect.h > CARD_H).count()
    }

    #[test]
    fn no_arrow_crosses_a_card_on_the_example_site_or_an_eight_stage_journey_with_warnings() {
        // Both have pages outside the journey, in the band below the stages.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_arrows_go_around_cards(&root.join("example-site"), 9);
        assert_arrows_go_around_cards(&root.join("tests/fixtures/map-eight"), 14);
        // Cards grown to hold their warnings: the arrows go between them too.
        let warnings = root.join("tests/fixtures/map-warnings");
        let tall = assert_arrows_go_around_cards(&warnings, 14);
        assert!(tall >= 8, "{tall} cards taller than {CARD_H} px");
    }
}
