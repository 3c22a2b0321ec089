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

use crate::base::html::escape;
use crate::funnel::{Funnel, LinkKind};
use crate::input::config::Config;
use crate::input::i18n::Strings;
use crate::page::content::Page;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

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
    /// The stages in journey order, then the pages without a stage, if any.
    pub columns: Vec<ColumnContext<'a>>,
    /// One arrow per link (self-links left out), to draw in one `<svg>` of
    /// the board's size.
    pub arrows: Vec<ArrowContext>,
}

/// `map.board`: the board's size, and the size its cards must have for the
/// arrows to meet them (a theme sets them as CSS custom properties).
#[derive(Debug, Serialize)]
pub(crate) struct Board {
    pub width: usize,
    pub height: usize,
    /// The width of a column and of its cards.
    pub column_width: usize,
    pub card_height: usize,
    /// Where the first card of a column starts; the headings are above it.
    pub top: usize,
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
    /// Where the column starts.
    pub x: usize,
    /// How many pages the stage has.
    pub pages: usize,
    /// How many of them are past the limit and have no card.
    pub more: usize,
    /// Where a line saying so goes, below the last card.
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
    pub draft: bool,
    pub noindex: bool,
    /// True for a page with a stage and no way onward.
    pub dead_end: bool,
    /// The A/B experiment the page runs: its id and every arm's share,
    /// such as `guide-headline: a 50% · b 50%`.
    pub experiment: Option<String>,
    /// The top of the card; it is as wide as its column.
    pub y: usize,
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
    /// `form`, `next` or `link`.
    pub kind: LinkKind,
    /// True when the link goes back to an earlier stage.
    pub back: bool,
    /// The SVG path data, from the side of one card to the side of the other.
    pub d: String,
}

/// The journey with its pages, ready to print.
pub(crate) struct FunnelMap<'a> {
    config: &'a Config,
    funnel: &'a Funnel,
    /// One column per stage in journey order, then "other pages" when any
    /// page has no stage: (id, title, page indexes in URL order).
    columns: Vec<Column<'a>>,
    /// Outgoing links of each page, self-links left out, in kind then URL
    /// order: (page index, kind).
    links: Vec<Vec<(usize, LinkKind)>>,
}

struct Column<'a> {
    id: Option<&'a str>,
    title: &'a str,
    pages: Vec<usize>,
}

impl<'a> FunnelMap<'a> {
    pub(crate) fn new(config: &'a Config, funnel: &'a Funnel) -> Self {
        let mut columns: Vec<Column> = config
            .journey
            .iter()
            .map(|stage| Column {
                id: Some(stage.id.as_str()),
                title: stage.title.as_str(),
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
                title: "Other pages",
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
            columns,
            links,
        }
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

    fn offer_title(&self, page: &Page) -> Option<&'a str> {
        let offer = self.config.offer(page.meta.offer.as_deref()?)?;
        Some(offer.title.as_str())
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
            pages: (0..self.funnel.pages.len())
                .filter(|&i| self.page(i).variant.is_none())
                .map(|i| self.page_json(i))
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("the map always serializes");
        text.push('\n');
        text
    }

    fn stage_json(&self, column: &Column<'a>) -> Option<StageJson<'a>> {
        Some(StageJson {
            id: column.id?,
            title: column.title,
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
            offer: page.meta.offer.as_deref(),
            layout: &page.meta.layout.value,
            indexable: !page.is_noindex() && !page.meta.draft,
            links: self.links_json(index),
            checkout: self.checkout_json(index),
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
        let success = self.funnel.link_target(index, LinkKind::Checkout)?;
        Some(CheckoutJson {
            provider: checkout.provider.id(),
            url: &checkout.url,
            success_url: self.config.permalink(&self.page(success).path),
        })
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
                None => column.title.to_string(),
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
        about.extend(self.offer_title(page).map(String::from));
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
        if let Some(experiment) = &page.meta.experiment {
            let fork = paint.on("35", "⑂");
            let (id, control) = (&experiment.id, experiment.weights[0]);
            let _ = writeln!(out, "    {fork} experiment {id}: a {control}%");
            for (v, weight) in self.variants(i) {
                let variant = self.page(v);
                let id = variant.variant.as_ref().map_or("", |of| of.id.as_str());
                let path = paint.on("1", &variant.path);
                let _ = writeln!(out, "      {id} {weight}%  {path} {}", variant.meta.title);
            }
        }
        if self.is_dead_end(i) {
            let _ = writeln!(out, "    {}", paint.on("33", "✗ dead end: no way onward"));
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
        let layout = Layout::new(&self.columns, self.funnel.pages.len(), limit);
        let offers: HashMap<&str, String> = self
            .config
            .offers
            .iter()
            .map(|o| (o.id.as_str(), strings.offer_title(o)))
            .collect();
        let columns = (0..self.columns.len())
            .map(|c| self.column(c, strings, &offers, &layout))
            .collect();
        let mut arrows = Vec::new();
        self.arrows(&layout, |kind, back, d| {
            arrows.push(ArrowContext { kind, back, d })
        });
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
                column_width: COL_W,
                card_height: CARD_H,
                top: HEAD_H,
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
        ColumnContext {
            id: column.id,
            title: stage.map(|s| strings.stage_title(&self.config.journey[s])),
            index: stage.map(|s| s + 1),
            gap: column.id.is_some() && column.pages.is_empty(),
            x: Layout::column_x(c),
            pages: column.pages.len(),
            more: column.pages.len() - drawn.len(),
            more_y: Layout::row_y(drawn.len()),
            cards: drawn
                .iter()
                .enumerate()
                .map(|(r, &i)| self.card(i, offers, layout, Layout::row_y(r)))
                .collect(),
        }
    }

    fn card(
        &self,
        index: usize,
        offers: &HashMap<&str, String>,
        layout: &Layout,
        y: usize,
    ) -> CardContext<'a> {
        let page = self.page(index);
        CardContext {
            id: index,
            title: &page.meta.title,
            url: self.config.href(&page.path),
            path: &page.path,
            offer: page
                .meta
                .offer
                .as_deref()
                .and_then(|id| offers.get(id))
                .cloned(),
            layout: &page.meta.layout.value,
            draft: page.meta.draft,
            noindex: page.is_noindex(),
            dead_end: self.is_dead_end(index),
            experiment: self.experiment_summary(index),
            y,
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

    /// `funnel/index.html` for a theme without `funnel.html`: the same
    /// board as a standalone page with its own CSS. No script, no external
    /// request; on a narrow screen and in print the columns stack and the
    /// links are listed on each card. `icon` is the site's favicon URL, if
    /// it has one (a page without one makes browsers ask for `/favicon.ico`).
    pub(crate) fn to_html(&self, icon: Option<&str>) -> String {
        let layout = Layout::new(&self.columns, self.funnel.pages.len(), usize::MAX);
        let mut html = String::with_capacity(4096 + self.funnel.pages.len() * 600);
        let config = self.config;
        let _ = write!(
            html,
            "<!doctype html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex\">\n<title>Funnel map · {}</title>\n{}<style>{MAP_CSS}</style>\n</head>\n<body>\n",
            escape(&config.language),
            config.direction.as_str(),
            escape(&config.title),
            icon.map(|href| format!("<link rel=\"icon\" href=\"{}\" type=\"image/svg+xml\">\n", escape(href)))
                .unwrap_or_default()
        );
        let _ = write!(
            html,
            "<header>\n<h1>Funnel map: {}</h1>\n<p>{} stages · {} pages · {} · {}</p>\n\
             <ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"key next\"></span>next step</li>\
             <li><span class=\"key form\"></span>form → thank-you page</li><li><span class=\"key link\"></span>link in the text</li>\
             <li><span class=\"key checkout\"></span>checkout → success page</li><li><span class=\"key decline\"></span>\"no thanks\" (decline)</li></ul>\n</header>\n\
             <main>\n<div class=\"board\" style=\"width:{}px;height:{}px\">\n",
            escape(&config.title),
            config.journey.len(),
            self.page_count(),
            plural(self.gaps(), "gap", "gaps"),
            plural(self.dead_ends(), "dead end", "dead ends"),
            layout.width,
            layout.height,
        );
        self.write_arrows(&mut html, &layout);
        for (c, column) in self.columns.iter().enumerate() {
            let x = Layout::column_x(c);
            let class = if column.id.is_none() { " other" } else { "" };
            let _ = write!(
                html,
                "<section class=\"stage{class}\" aria-labelledby=\"stage-{c}\">\n\
                 <h2 id=\"stage-{c}\" style=\"inset-inline-start:{x}px\">",
            );
            if column.id.is_some() {
                let _ = write!(html, "<span class=\"n\">{}</span> ", c + 1);
            }
            let _ = writeln!(
                html,
                "{} <span class=\"count\">{}</span></h2>",
                escape(column.title),
                plural(column.pages.len(), "page", "pages")
            );
            if column.pages.is_empty() {
                let y = Layout::row_y(0);
                let _ = writeln!(
                    html,
                    "<p class=\"card gap\" style=\"inset-inline-start:{x}px;top:{y}px\"><strong>Gap</strong> no page serves this stage</p>"
                );
            }
            for (r, &i) in column.pages.iter().enumerate() {
                self.write_card(&mut html, i, x, Layout::row_y(r));
            }
            html.push_str("</section>\n");
        }
        html.push_str("</div>\n</main>\n</body>\n</html>\n");
        html
    }
    fn write_card(&self, html: &mut String, index: usize, x: usize, y: usize) {
        let page = self.page(index);
        let dead_end = self.is_dead_end(index);
        let class = if dead_end { "card dead-end" } else { "card" };
        let _ = write!(
            html,
            "<article class=\"{class}\" id=\"p{index}\" style=\"inset-inline-start:{x}px;top:{y}px\">\n\
             <h3><a href=\"{}\">{}</a></h3>\n<p class=\"meta\"><code>{}</code></p>\n<p class=\"tags\">",
            escape(&self.config.href(&page.path)),
            escape(&page.meta.title),
            escape(&page.path),
        );
        if let Some(offer) = self.offer_title(page) {
            let _ = write!(html, "<span class=\"tag offer\">{}</span>", escape(offer));
        }
        let _ = write!(
            html,
            "<span class=\"tag\">{}</span>",
            escape(&page.meta.layout.value)
        );
        if page.is_noindex() {
            html.push_str("<span class=\"tag\">noindex</span>");
        }
        if dead_end {
            html.push_str("<span class=\"tag warn\">dead end</span>");
        }
        if let Some(summary) = self.experiment_summary(index) {
            let _ = write!(html, "<span class=\"tag\">A/B {}</span>", escape(&summary));
        }
        html.push_str("</p>\n");
        let links = self.links(index);
        if !links.is_empty() {
            html.push_str("<ul class=\"leads\">");
            for &(to, kind) in links {
                let _ = write!(
                    html,
                    "<li>→ <a href=\"#p{to}\">{}</a> ({})</li>",
                    escape(&self.page(to).meta.title),
                    kind_name(kind)
                );
            }
            html.push_str("</ul>\n");
        }
        html.push_str("</article>\n");
    }

    /// The arrows of the standalone page, in inline SVG.
    fn write_arrows(&self, html: &mut String, layout: &Layout) {
        let _ = write!(
            html,
            "<svg class=\"arrows\" aria-hidden=\"true\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
             <defs>{}</defs>\n",
            ["next", "form", "link", "checkout", "decline"]
                .map(|k| format!("<marker id=\"arrow-{k}\" class=\"{k}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker>"))
                .concat(),
            w = layout.width,
            h = layout.height,
        );
        self.arrows(layout, |kind, back, d| {
            let name = kind_name(kind);
            let back = if back { " back" } else { "" };
            let _ = writeln!(
                html,
                "<path class=\"{name}{back}\" d=\"{d}\" marker-end=\"url(#arrow-{name})\"/>"
            );
        });
        html.push_str("</svg>\n");
    }

    /// One SVG path per link, from the side of one card to the other, each
    /// handed to `draw` with its kind and whether it goes back to an earlier
    /// stage. Links between the same two pages run side by side; links from
    /// or to a page the board does not draw are left out.
    fn arrows(&self, layout: &Layout, mut draw: impl FnMut(LinkKind, bool, String)) {
        for (from, cell) in layout.cells.iter().enumerate() {
            let Some((c1, r1)) = *cell else { continue };
            let links = self.links(from);
            let mut lanes: HashMap<usize, (usize, usize)> = HashMap::new();
            for &(to, _) in links {
                lanes.entry(to).or_default().1 += 1;
            }
            for &(to, kind) in links {
                let lane = lanes.get_mut(&to).expect("counted above");
                let (nth, same) = *lane;
                lane.0 += 1;
                let shift = (nth * 12) as isize - ((same - 1) * 6) as isize;
                let Some((c2, r2)) = layout.cells[to] else {
                    continue;
                };
                let d = Layout::arrow((c1, r1), (c2, r2), shift);
                draw(kind, c2 < c1, d);
            }
        }
    }
}

/// Keep in step with `inline-size` of `.card` and `.stage h2` in MAP_CSS;
/// themes get them as `map.board`.
const COL_W: usize = 232;
const GAP_X: usize = 64;
const CARD_H: usize = 124;
const GAP_Y: usize = 20;
const HEAD_H: usize = 64;
const PAD: usize = 16;

/// The most cards a column of the theme's map page draws. A stage with
/// more pages shows its first ones (by URL) and how many more it has:
/// past a few thousand cards a browser struggles and nobody can follow the
/// arrows, and drawing 100,000 pages through a template would slow a big
/// build down. `funnel.json` and `funnelcake funnel` list every page.
pub(crate) const COLUMN_LIMIT: usize = 2_000;

/// Where the board puts things, in CSS pixels.
struct Layout {
    width: usize,
    height: usize,
    /// The most cards a column draws.
    limit: usize,
    /// By page index: the (column, row) of its card, or none for a page
    /// past its column's limit.
    cells: Vec<Option<(usize, usize)>>,
}

impl Layout {
    /// Draws at most `limit` cards a column, plus a row saying how many
    /// more there are.
    fn new(columns: &[Column], pages: usize, limit: usize) -> Self {
        let mut cells = vec![None; pages];
        let mut rows = 1;
        for (c, column) in columns.iter().enumerate() {
            for (r, &i) in column.pages.iter().take(limit).enumerate() {
                cells[i] = Some((c, r));
            }
            let more = usize::from(column.pages.len() > limit);
            rows = rows.max(column.pages.len().min(limit) + more);
        }
        let n = columns.len().max(1);
        Layout {
            width: 2 * PAD + n * COL_W + (n - 1) * GAP_X,
            height: HEAD_H + rows * (CARD_H + GAP_Y) + PAD,
            limit,
            cells,
        }
    }

    fn column_x(column: usize) -> usize {
        PAD + column * (COL_W + GAP_X)
    }

    fn row_y(row: usize) -> usize {
        HEAD_H + row * (CARD_H + GAP_Y)
    }

    /// SVG path data of an arrow between two cells, `shift` pixels off
    /// the middle of the cards: forward from the end side of one card to
    /// the start side of the other, a loop on the end side within a
    /// column, and back from start side to end side.
    fn arrow(from: (usize, usize), to: (usize, usize), shift: isize) -> String {
        let middle = |row| (Layout::row_y(row) + CARD_H / 2) as isize + shift;
        let ((c1, r1), (c2, r2)) = (from, to);
        let (x1, y1) = (Layout::column_x(c1), middle(r1));
        let (x2, y2) = (Layout::column_x(c2), middle(r2));
        if c2 > c1 {
            let (sx, ex) = (x1 + COL_W, x2);
            let bend = (ex - sx) / 2;
            format!("M{sx} {y1}C{} {y1} {} {y2} {ex} {y2}", sx + bend, ex - bend)
        } else if c2 == c1 {
            let sx = x1 + COL_W;
            format!("M{sx} {y1}C{} {y1} {} {y2} {sx} {y2}", sx + 36, sx + 36)
        } else {
            let (sx, ex) = (x1, x2 + COL_W);
            format!("M{sx} {y1}C{} {y1} {} {y2} {ex} {y2}", sx - 28, ex + 28)
        }
    }
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

const MAP_CSS: &str = "\
:root{color-scheme:light dark;--bg:#f6f5f2;--card:#fff;--ink:#1d1d1f;--muted:#55555c;--line:#d3d0c8;--next:#1d4ed8;--form:#b4235a;--link:#6b6b73;--checkout:#047857;--decline:#9a3412;--warn:#8a4b00;--warn-bg:#fff3d6}\
@media (prefers-color-scheme:dark){:root{--bg:#18181b;--card:#232327;--ink:#f2f2f3;--muted:#b4b4bb;--line:#3f3f46;--next:#8ab4ff;--form:#ff8fb8;--link:#a1a1aa;--checkout:#6ee7b7;--decline:#fdba74;--warn:#ffcf70;--warn-bg:#3a2a05}}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",\"Noto Sans\",\"Vazirmatn\",Tahoma,sans-serif}\
header{padding:1rem 1rem 0}h1{font-size:1.4rem;margin:0 0 .25rem}header p{margin:0;color:var(--muted)}\
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0 0;color:var(--muted);font-size:.875rem}\
.key{display:inline-block;inline-size:1.5rem;block-size:0;border-block-start:3px solid;vertical-align:middle;margin-inline-end:.35rem}\
.key.next{border-color:var(--next)}.key.form{border-color:var(--form)}.key.link{border-color:var(--link);border-block-start-style:dashed}\
.key.checkout{border-color:var(--checkout);border-block-start-width:5px;border-block-start-style:double}.key.decline{border-color:var(--decline);border-block-start-style:dotted}\
main{overflow-x:auto;padding-block-end:1rem}\
.board{position:relative;margin:0}\
.stage h2{position:absolute;top:16px;inline-size:232px;margin:0;font-size:1rem;padding-block-end:.35rem;border-block-end:2px solid var(--line)}\
.stage h2 .n{display:inline-block;min-inline-size:1.5rem;text-align:center;border-radius:1rem;background:var(--ink);color:var(--bg);font-size:.8rem}\
.count{color:var(--muted);font-weight:400;font-size:.8rem}\
.card{position:absolute;inline-size:232px;block-size:124px;margin:0;padding:.5rem .65rem;background:var(--card);border:1px solid var(--line);border-radius:.5rem;overflow:hidden}\
.card h3{margin:0;font-size:.95rem;line-height:1.3;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}\
.card a{color:inherit}.meta{margin:.2rem 0;font-size:.75rem;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}\
.tags{margin:0;display:flex;flex-wrap:wrap;gap:.25rem}.tag{font-size:.7rem;padding:0 .4rem;border:1px solid var(--line);border-radius:1rem;color:var(--muted)}\
.tag.offer{color:var(--ink)}.tag.warn,.gap strong{color:var(--warn);background:var(--warn-bg);border-color:var(--warn)}\
.dead-end{border-color:var(--warn);border-width:2px}\
.gap{border-style:dashed;border-color:var(--warn);color:var(--warn);display:flex;flex-direction:column;justify-content:center;align-items:center;text-align:center}\
.gap strong{padding:0 .5rem;border-radius:1rem;margin-block-end:.25rem}\
.leads{position:absolute;inline-size:1px;block-size:1px;overflow:hidden;clip-path:inset(50%)}\
.arrows{position:absolute;inset:0;pointer-events:none}\
[dir=rtl] .arrows{transform:scaleX(-1)}\
.arrows path{fill:none;stroke-width:2}.arrows marker path{stroke:none}\
path.next,marker.next path{stroke:var(--next);fill:var(--next)}.arrows path.next{fill:none}\
path.form,marker.form path{stroke:var(--form);fill:var(--form)}.arrows path.form{fill:none}\
path.link,marker.link path{stroke:var(--link);fill:var(--link)}.arrows path.link{fill:none;stroke-dasharray:5 4}\
path.checkout,marker.checkout path{stroke:var(--checkout);fill:var(--checkout)}.arrows path.checkout{fill:none;stroke-width:3.5}\
path.decline,marker.decline path{stroke:var(--decline);fill:var(--decline)}.arrows path.decline{fill:none;stroke-dasharray:1 4;stroke-linecap:round}\
.arrows path.back{stroke-width:2.5}\
@media (max-width:760px),print{\
.board{inline-size:auto!important;block-size:auto!important;padding:0 1rem}\
.arrows{display:none}\
.stage h2,.card{position:static;inline-size:auto;block-size:auto}\
.stage h2{margin:1.25rem 0 .5rem}.card{margin-block-end:.5rem}\
.leads{position:static;inline-size:auto;block-size:auto;clip-path:none;margin:.35rem 0 0;padding:0;list-style:none;font-size:.85rem}}\
@media print{body{background:#fff;color:#000}main{overflow:visible}.card{break-inside:avoid}}";

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
struct Json<'a> {
    site: SiteJson<'a>,
    stages: Vec<StageJson<'a>>,
    pages: Vec<PageJson<'a>>,
}

#[derive(Serialize)]
struct SiteJson<'a> {
    title: &'a str,
    base_url: &'a str,
}

#[derive(Serialize)]
struct StageJson<'a> {
    id: &'a str,
    title: &'a str,
    pages: Vec<&'a str>,
}

#[derive(Serialize)]
struct PageJson<'a> {
    url: &'a str,
    source: &'a str,
    title: &'a str,
    stage: Option<&'a str>,
    offer: Option<&'a str>,
    layout: &'a str,
    indexable: bool,
    links: Vec<LinkJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    experiment: Option<ExperimentJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutJson<'a>>,
}

/// A page's hosted checkout, with the success URL to set in the provider.
#[derive(Serialize)]
struct CheckoutJson<'a> {
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
        let map = FunnelMap::new(&prepared.config, &prepared.funnel);
        let strings = prepared.renderer.strings();

        let whole = map.context(strings);
        assert_eq!((whole.hidden, whole.columns[0].cards.len()), (0, 3));

        let limited = map.context_limited(strings, 2);
        assert_eq!((limited.pages, limited.hidden, limited.limit), (4, 1, 2));
        assert_eq!(limited.dead_ends, 2, "counted over every page");
        let a = &limited.columns[0];
        let titles: Vec<&str> = a.cards.iter().map(|c| c.title).collect();
        assert_eq!(titles, ["p1", "p2"]);
        assert_eq!((a.pages, a.more, a.more_y), (3, 1, Layout::row_y(2)));
        // p2 leads to p3, which has no card: no arrow, no entry in its list.
        assert!(a.cards[1].links.is_empty());
        assert_eq!(limited.arrows.len(), 1);
        assert_eq!(limited.arrows[0].kind, LinkKind::Next);
        // Two cards and the line saying how many more.
        assert_eq!(limited.board.height, HEAD_H + 3 * (CARD_H + GAP_Y) + PAD);
    }
}
