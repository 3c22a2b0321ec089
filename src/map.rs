//! The funnel map, three ways: `funnel.json` for machines, `funnel/index.html`
//! for people, and the text of `funnelcake funnel` for the terminal.
//!
//! All three read the same [`FunnelMap`]: the stages in journey order, each
//! with its pages in URL order, then the pages without a stage; the links
//! of each page in kind order (form, next, link), then by URL; and which
//! stages are gaps and which pages are dead ends. Everything is sorted, so
//! the output is deterministic.

use crate::config::Config;
use crate::content::Page;
use crate::funnel::{Funnel, LinkKind};
use crate::render::{href, is_noindex};
use serde::Serialize;
use std::fmt::Write;

/// The journey with its pages, ready to print.
pub struct FunnelMap<'a> {
    config: &'a Config,
    funnel: &'a Funnel,
    /// One column per stage in journey order, then "other pages" when any
    /// page has no stage: (id, title, page indexes in URL order).
    columns: Vec<Column<'a>>,
}

struct Column<'a> {
    id: Option<&'a str>,
    title: &'a str,
    pages: Vec<usize>,
}

impl<'a> FunnelMap<'a> {
    pub fn new(config: &'a Config, funnel: &'a Funnel) -> Self {
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
        FunnelMap {
            config,
            funnel,
            columns,
        }
    }

    fn page(&self, index: usize) -> &'a Page {
        &self.funnel.pages[index]
    }

    /// Outgoing links of a page, self-links left out, in kind then URL order.
    fn links(&self, index: usize) -> Vec<(usize, LinkKind)> {
        let mut links: Vec<(usize, LinkKind)> = self.funnel.links[index]
            .iter()
            .filter(|l| l.to != index)
            .map(|l| (l.to, l.kind))
            .collect();
        links.sort_by_key(|&(to, kind)| (kind, to));
        links
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
    pub fn to_json(&self) -> String {
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
        let link_json = |i: usize| {
            self.links(i)
                .into_iter()
                .map(|(to, kind)| LinkJson {
                    to: &self.page(to).path,
                    kind,
                })
                .collect::<Vec<_>>()
        };
        let json =
            Json {
                site: SiteJson {
                    title: &self.config.title,
                    base_url: &self.config.base_url,
                },
                stages: self
                    .columns
                    .iter()
                    .filter_map(|c| {
                        Some(StageJson {
                            id: c.id?,
                            title: c.title,
                            pages: c
                                .pages
                                .iter()
                                .map(|&i| self.page(i).path.as_str())
                                .collect(),
                        })
                    })
                    .collect(),
                pages: self
                    .funnel
                    .pages
                    .iter()
                    .enumerate()
                    .filter(|(_, page)| page.variant.is_none())
                    .map(|(i, page)| PageJson {
                        url: &page.path,
                        source: &page.file,
                        title: &page.meta.title,
                        stage: page.meta.stage.as_deref(),
                        offer: page.meta.offer.as_deref(),
                        layout: &page.meta.layout.value,
                        indexable: !is_noindex(page) && !page.meta.draft,
                        links: link_json(i),
                        experiment: page.meta.experiment.as_ref().map(|experiment| {
                            ExperimentJson {
                                id: &experiment.id,
                                weight: experiment.weights[0],
                                variants: self
                                    .variants(i)
                                    .into_iter()
                                    .map(|(v, weight)| {
                                        let variant = self.page(v);
                                        VariantJson {
                                            id: variant
                                                .variant
                                                .as_ref()
                                                .map_or("", |of| of.id.as_str()),
                                            url: &variant.path,
                                            source: &variant.file,
                                            title: &variant.meta.title,
                                            weight,
                                            links: link_json(v),
                                        }
                                    })
                                    .collect(),
                            }
                        }),
                    })
                    .collect(),
            };
        let mut text = serde_json::to_string_pretty(&json).expect("the map always serializes");
        text.push('\n');
        text
    }

    /// The text of `funnelcake funnel`; ANSI colour when `colour` is set.
    pub fn to_text(&self, colour: bool) -> String {
        let paint = |code: &str, text: &str| {
            if colour {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let mut out = String::new();
        let pages = self.columns.iter().map(|c| c.pages.len()).sum::<usize>();
        let _ = writeln!(
            out,
            "{}: {} stages, {pages} page{}",
            paint("1", &self.config.title),
            self.config.journey.len(),
            if pages == 1 { "" } else { "s" }
        );
        for (n, column) in self.columns.iter().enumerate() {
            let heading = match column.id {
                Some(id) => format!("{}. {} ({id})", n + 1, column.title),
                None => column.title.to_string(),
            };
            let _ = writeln!(out, "\n{}", paint("1;36", &heading));
            if column.pages.is_empty() {
                let _ = writeln!(out, "  {}", paint("33", "(no page: a gap in the journey)"));
            }
            for &i in &column.pages {
                let page = self.page(i);
                let mut about = vec![page.meta.layout.value.clone()];
                about.extend(self.offer_title(page).map(String::from));
                let _ = writeln!(
                    out,
                    "  {} {}  {}",
                    paint("1", &page.path),
                    page.meta.title,
                    paint("2", &format!("[{}]", about.join(", ")))
                );
                for (to, kind) in self.links(i) {
                    let _ = writeln!(
                        out,
                        "    {} {} ({})",
                        paint("2", "→"),
                        self.page(to).path,
                        kind_name(kind)
                    );
                }
                if let Some(experiment) = &page.meta.experiment {
                    let _ = writeln!(
                        out,
                        "    {} experiment {}: a {}%",
                        paint("35", "⑂"),
                        experiment.id,
                        experiment.weights[0]
                    );
                    for (v, weight) in self.variants(i) {
                        let variant = self.page(v);
                        let id = variant.variant.as_ref().map_or("", |of| of.id.as_str());
                        let _ = writeln!(
                            out,
                            "      {id} {weight}%  {} {}",
                            paint("1", &variant.path),
                            variant.meta.title
                        );
                    }
                }
                if self.is_dead_end(i) {
                    let _ = writeln!(out, "    {}", paint("33", "✗ dead end: no way onward"));
                }
            }
        }
        out
    }

    /// `funnel/index.html`: stages as columns, pages as cards, links as
    /// arrows drawn in inline SVG. No script, no external request; on a
    /// narrow screen and in print the columns stack and the links are
    /// listed on each card.
    /// The map page; `icon` is the site's favicon URL, if it has one (a
    /// page without one makes browsers ask for `/favicon.ico`).
    pub fn to_html(&self, icon: Option<&str>) -> String {
        let geometry = Geometry::new(&self.columns);
        let mut cells = vec![(0usize, 0usize); self.funnel.pages.len()];
        for (c, column) in self.columns.iter().enumerate() {
            for (r, &i) in column.pages.iter().enumerate() {
                cells[i] = (c, r);
            }
        }
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
        let gaps = self
            .columns
            .iter()
            .filter(|c| c.id.is_some() && c.pages.is_empty())
            .count();
        let dead_ends = (0..self.funnel.pages.len())
            .filter(|&i| self.is_dead_end(i))
            .count();
        let _ = write!(
            html,
            "<header>\n<h1>Funnel map: {}</h1>\n<p>{} stages · {} pages · {} · {}</p>\n\
             <ul class=\"legend\" aria-label=\"Legend\"><li><span class=\"key next\"></span>next step</li>\
             <li><span class=\"key form\"></span>form → thank-you page</li><li><span class=\"key link\"></span>link in the text</li></ul>\n</header>\n\
             <main>\n<div class=\"board\" style=\"width:{}px;height:{}px\">\n",
            escape(&config.title),
            config.journey.len(),
            self.funnel.pages.len(),
            plural(gaps, "gap", "gaps"),
            plural(dead_ends, "dead end", "dead ends"),
            geometry.width,
            geometry.height,
        );
        self.write_arrows(&mut html, &geometry, &cells);
        for (c, column) in self.columns.iter().enumerate() {
            let x = geometry.column_x(c);
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
                let y = geometry.row_y(0);
                let _ = writeln!(
                    html,
                    "<p class=\"card gap\" style=\"inset-inline-start:{x}px;top:{y}px\"><strong>Gap</strong> no page serves this stage</p>"
                );
            }
            for (r, &i) in column.pages.iter().enumerate() {
                self.write_card(&mut html, i, geometry.column_x(c), geometry.row_y(r));
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
            escape(&href(self.config, &page.path)),
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
        if is_noindex(page) {
            html.push_str("<span class=\"tag\">noindex</span>");
        }
        if dead_end {
            html.push_str("<span class=\"tag warn\">dead end</span>");
        }
        html.push_str("</p>\n");
        let links = self.links(index);
        if !links.is_empty() {
            html.push_str("<ul class=\"leads\">");
            for (to, kind) in links {
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

    /// One SVG path per link, from the side of one card to the other.
    fn write_arrows(&self, html: &mut String, geometry: &Geometry, cells: &[(usize, usize)]) {
        let _ = write!(
            html,
            "<svg class=\"arrows\" aria-hidden=\"true\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
             <defs>{}</defs>\n",
            ["next", "form", "link"]
                .map(|k| format!("<marker id=\"arrow-{k}\" class=\"{k}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker>"))
                .concat(),
            w = geometry.width,
            h = geometry.height,
        );
        for (from, &(c1, r1)) in cells.iter().enumerate() {
            let links = self.links(from);
            for (k, &(to, kind)) in links.iter().enumerate() {
                // Links between the same two pages run side by side.
                let same: Vec<usize> = (0..links.len()).filter(|&j| links[j].0 == to).collect();
                let nth = same.iter().position(|&j| j == k).unwrap_or(0);
                let shift = (nth * 12) as isize - ((same.len() - 1) * 6) as isize;
                let middle = |row| (geometry.row_y(row) + CARD_H / 2) as isize + shift;
                let (c2, r2) = cells[to];
                let (x1, y1) = (geometry.column_x(c1), middle(r1));
                let (x2, y2) = (geometry.column_x(c2), middle(r2));
                let d = if c2 > c1 {
                    let (sx, ex) = (x1 + COL_W, x2);
                    let bend = (ex - sx) / 2;
                    format!("M{sx} {y1}C{} {y1} {} {y2} {ex} {y2}", sx + bend, ex - bend)
                } else if c2 == c1 {
                    let sx = x1 + COL_W;
                    format!("M{sx} {y1}C{} {y1} {} {y2} {sx} {y2}", sx + 36, sx + 36)
                } else {
                    let (sx, ex) = (x1, x2 + COL_W);
                    format!("M{sx} {y1}C{} {y1} {} {y2} {ex} {y2}", sx - 28, ex + 28)
                };
                let name = kind_name(kind);
                let back = if c2 < c1 { " back" } else { "" };
                let _ = writeln!(
                    html,
                    "<path class=\"{name}{back}\" d=\"{d}\" marker-end=\"url(#arrow-{name})\"/>"
                );
            }
        }
        html.push_str("</svg>\n");
    }
}

/// Keep in step with `inline-size` of `.card` and `.stage h2` in MAP_CSS.
const COL_W: usize = 232;
const GAP_X: usize = 64;
const CARD_H: usize = 124;
const GAP_Y: usize = 20;
const HEAD_H: usize = 64;
const PAD: usize = 16;

/// Where columns and rows of the board are, in CSS pixels.
struct Geometry {
    width: usize,
    height: usize,
}

impl Geometry {
    fn new(columns: &[Column]) -> Self {
        let rows = columns
            .iter()
            .map(|c| c.pages.len().max(1))
            .max()
            .unwrap_or(1);
        let n = columns.len().max(1);
        Geometry {
            width: 2 * PAD + n * COL_W + (n - 1) * GAP_X,
            height: HEAD_H + rows * (CARD_H + GAP_Y) + PAD,
        }
    }

    fn column_x(&self, column: usize) -> usize {
        PAD + column * (COL_W + GAP_X)
    }

    fn row_y(&self, row: usize) -> usize {
        HEAD_H + row * (CARD_H + GAP_Y)
    }
}

fn kind_name(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Form => "form",
        LinkKind::Next => "next",
        LinkKind::Link => "link",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const MAP_CSS: &str = "\
:root{color-scheme:light dark;--bg:#f6f5f2;--card:#fff;--ink:#1d1d1f;--muted:#55555c;--line:#d3d0c8;--next:#1d4ed8;--form:#b4235a;--link:#6b6b73;--warn:#8a4b00;--warn-bg:#fff3d6}\
@media (prefers-color-scheme:dark){:root{--bg:#18181b;--card:#232327;--ink:#f2f2f3;--muted:#b4b4bb;--line:#3f3f46;--next:#8ab4ff;--form:#ff8fb8;--link:#a1a1aa;--warn:#ffcf70;--warn-bg:#3a2a05}}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",\"Noto Sans\",\"Vazirmatn\",Tahoma,sans-serif}\
header{padding:1rem 1rem 0}h1{font-size:1.4rem;margin:0 0 .25rem}header p{margin:0;color:var(--muted)}\
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0 0;color:var(--muted);font-size:.875rem}\
.key{display:inline-block;inline-size:1.5rem;block-size:0;border-block-start:3px solid;vertical-align:middle;margin-inline-end:.35rem}\
.key.next{border-color:var(--next)}.key.form{border-color:var(--form)}.key.link{border-color:var(--link);border-block-start-style:dashed}\
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
.arrows path.back{stroke-width:2.5}\
@media (max-width:760px),print{\
.board{inline-size:auto!important;block-size:auto!important;padding:0 1rem}\
.arrows{display:none}\
.stage h2,.card{position:static;inline-size:auto;block-size:auto}\
.stage h2{margin:1.25rem 0 .5rem}.card{margin-block-end:.5rem}\
.leads{position:static;inline-size:auto;block-size:auto;clip-path:none;margin:.35rem 0 0;padding:0;list-style:none;font-size:.85rem}}\
@media print{body{background:#fff;color:#000}main{overflow:visible}.card{break-inside:avoid}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
