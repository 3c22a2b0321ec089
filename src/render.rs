//! Pages through the theme's Tera templates: the fourth stage.
//!
//! [`Renderer::new`] loads every template of the theme (site overrides
//! included) and puts what all pages share into Tera's global context, once:
//! `site`, `journey`, `data` and `css`. [`page_context`] builds the
//! per-page [`PageContext`]. Template errors, at load or while rendering,
//! are reported at the template's own file, line and column.
//!
//! # The template context (for theme authors)
//!
//! | variable | what it holds |
//! |---|---|
//! | `page` | the page being rendered: [`PageContext`] |
//! | `site` | `site.yaml`: [`SiteContext`] |
//! | `journey` | the stages in order, each with its pages: `[StageContext]` |
//! | `data` | `data/NAME.yaml` as `data.NAME` |
//! | `css` | stylesheet URLs by entry name: `css.main` |

use crate::config::Config;
use crate::content::Page;
use crate::diagnostics::{suggestion, Diagnostic, Diagnostics};
use crate::forms::{self, FormContext};
use crate::funnel::{Funnel, LinkKind};
use crate::theme::Theme;
use serde::Serialize;
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap};
use tera::{Context, ErrorKind, Tera};

/// `site` in templates.
#[derive(Debug, Serialize)]
pub struct SiteContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// Absolute, without a trailing slash.
    pub base_url: &'a str,
    /// The path part of `base_url` (`""` or `/shop`); internal URLs start with it.
    pub base_path: &'a str,
    pub language: &'a str,
    /// `ltr` or `rtl`.
    pub direction: &'static str,
    pub theme: &'a str,
    pub analytics: &'a crate::config::Analytics,
    pub funnel_map: bool,
    pub extra: &'a Value,
    /// The generator's name and version, for `<meta name="generator">`.
    pub generator: String,
}

/// A link to another page.
#[derive(Debug, Clone, Serialize)]
pub struct PageRef {
    pub title: String,
    pub url: String,
    pub stage: Option<String>,
    pub offer: Option<String>,
}

/// A stage of the journey, with its position, as seen from a page.
#[derive(Debug, Clone, Serialize)]
pub struct StageRef {
    pub id: String,
    pub title: String,
    /// 1-based position in the journey ("step 3 of 8").
    pub index: usize,
    pub total: usize,
}

/// An entry of `journey`.
#[derive(Debug, Serialize)]
pub struct StageContext {
    pub id: String,
    pub title: String,
    pub index: usize,
    pub total: usize,
    pub pages: Vec<PageRef>,
}

/// `page.offer`.
#[derive(Debug, Clone, Serialize)]
pub struct OfferRef {
    pub id: String,
    pub title: String,
}

/// `page.price`.
#[derive(Debug, Clone, Serialize)]
pub struct PriceContext {
    pub amount: f64,
    pub currency: String,
    /// `9.00 EUR`-style text, two decimals unless the amount is whole.
    pub text: String,
}

/// `page` in templates.
#[derive(Debug, Serialize)]
pub struct PageContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// Root-relative href, percent-encoded, with the base path.
    pub url: String,
    /// Absolute URL, for canonical and Open Graph tags.
    pub permalink: String,
    /// Site-relative path as written on disk (`/offers/kit/`).
    pub path: &'a str,
    /// Source file relative to the site (`content/offers/kit.md`).
    pub source: &'a str,
    pub layout: &'a str,
    /// The body as HTML.
    pub content: String,
    pub stage: Option<StageRef>,
    pub offer: Option<OfferRef>,
    /// The next step (`next:`), with the label of the main CTA.
    pub next: Option<PageRef>,
    pub cta: Option<&'a str>,
    pub form: Option<FormContext>,
    /// Pages that lead here (by `next`, form or link), in URL order.
    pub incoming: Vec<PageRef>,
    pub price: Option<PriceContext>,
    pub date: Option<&'a str>,
    pub expires: Option<&'a str>,
    pub draft: bool,
    /// True when search engines are told not to index the page.
    pub noindex: bool,
    /// JSON-LD `Offer` for pages with a price, safe to put in a `<script>`.
    pub json_ld: Option<String>,
    pub extra: &'a Value,
}

/// Percent-encodes a URL path, leaving `/` and unreserved ASCII as they are.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn href(config: &Config, path: &str) -> String {
    format!("{}{}", config.base_path(), encode_path(path))
}

pub fn permalink(config: &Config, path: &str) -> String {
    let host = config
        .base_url
        .strip_suffix(config.base_path())
        .unwrap_or(&config.base_url);
    format!("{host}{}", href(config, path))
}

fn page_ref(config: &Config, page: &Page) -> PageRef {
    PageRef {
        title: page.meta.title.clone(),
        url: href(config, &page.path),
        stage: page.meta.stage.clone(),
        offer: page.meta.offer.clone(),
    }
}

/// The `journey` variable: every stage in order with its pages.
pub fn journey(config: &Config, funnel: &Funnel) -> Vec<StageContext> {
    let total = config.journey.len();
    config
        .journey
        .iter()
        .enumerate()
        .map(|(i, stage)| StageContext {
            id: stage.id.clone(),
            title: stage.title.clone(),
            index: i + 1,
            total,
            pages: funnel
                .pages
                .iter()
                .filter(|p| p.meta.stage.as_deref() == Some(stage.id.as_str()))
                .map(|p| page_ref(config, p))
                .collect(),
        })
        .collect()
}

/// Builds the context of page `index`; `content` is its rendered body.
pub fn page_context<'a>(
    config: &'a Config,
    funnel: &'a Funnel,
    index: usize,
    content: String,
) -> Result<PageContext<'a>, Diagnostic> {
    let page = &funnel.pages[index];
    let meta = &page.meta;
    let target = |kind| funnel.link_target(index, kind).map(|i| &funnel.pages[i]);
    let form = match (&meta.form, target(LinkKind::Form)) {
        (Some(spec), Some(thanks)) => {
            let urls = (href(config, &thanks.path), permalink(config, &thanks.path));
            Some(forms::build(config, page, spec, (&urls.0, &urls.1))?)
        }
        _ => None,
    };
    let price = meta.price.as_ref().map(|p| PriceContext {
        amount: p.amount,
        currency: p.currency.clone(),
        text: price_text(p.amount, &p.currency),
    });
    let permalink = permalink(config, &page.path);
    Ok(PageContext {
        title: &meta.title,
        description: meta.description.as_deref(),
        url: href(config, &page.path),
        json_ld: price.as_ref().map(|p| offer_json_ld(meta, p, &permalink)),
        permalink,
        path: &page.path,
        source: &page.file,
        layout: &meta.layout.value,
        content,
        stage: stage_ref(config, meta.stage.as_deref()),
        offer: meta
            .offer
            .as_deref()
            .and_then(|id| config.offer(id))
            .map(|o| OfferRef {
                id: o.id.clone(),
                title: o.title.clone(),
            }),
        next: target(LinkKind::Next).map(|p| page_ref(config, p)),
        cta: meta.cta.as_deref(),
        form,
        incoming: funnel.incoming[index]
            .iter()
            .map(|&i| page_ref(config, &funnel.pages[i]))
            .collect(),
        price,
        date: meta.date.as_deref(),
        expires: meta.expires.as_ref().map(|e| e.value.as_str()),
        draft: meta.draft,
        noindex: is_noindex(page),
        extra: &meta.extra,
    })
}

/// Thank-you pages are noindex unless `noindex: false` says otherwise.
pub fn is_noindex(page: &Page) -> bool {
    page.meta
        .noindex
        .unwrap_or(page.meta.layout.value == "thankyou")
}

fn stage_ref(config: &Config, id: Option<&str>) -> Option<StageRef> {
    let index = config.stage_index(id?)?;
    let stage = &config.journey[index];
    Some(StageRef {
        id: stage.id.clone(),
        title: stage.title.clone(),
        index: index + 1,
        total: config.journey.len(),
    })
}

fn price_text(amount: f64, currency: &str) -> String {
    if amount.fract() == 0.0 {
        format!("{amount:.0} {currency}")
    } else {
        format!("{amount:.2} {currency}")
    }
}

/// schema.org `Offer`, with `<` escaped so it can never close its `<script>`.
fn offer_json_ld(
    meta: &crate::front_matter::FrontMatter,
    price: &PriceContext,
    url: &str,
) -> String {
    let mut offer = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Offer",
        "name": meta.title,
        "url": url,
        "price": format!("{:.2}", price.amount),
        "priceCurrency": price.currency,
        "availability": "https://schema.org/InStock",
    });
    if let Some(expires) = &meta.expires {
        offer["priceValidUntil"] = serde_json::Value::String(expires.value.clone());
    }
    if let Some(description) = &meta.description {
        offer["description"] = serde_json::Value::String(description.clone());
    }
    serde_json::to_string(&offer)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// The theme's templates, ready to render pages.
pub struct Renderer {
    tera: Tera,
    /// Template name to the file it came from, for error messages.
    origins: HashMap<String, String>,
}

/// What every page shares, put once into Tera's global context.
pub struct Globals<'a> {
    pub site: SiteContext<'a>,
    pub journey: Vec<StageContext>,
    pub data: &'a Value,
    pub css: &'a BTreeMap<String, String>,
}

impl Renderer {
    pub fn new(theme: &Theme, globals: &Globals) -> Result<Renderer, Diagnostics> {
        let templates: Vec<(&str, String)> = theme
            .layer("templates")
            .map(|(name, file)| (name, String::from_utf8_lossy(&file.bytes).into_owned()))
            .collect();
        let origins: HashMap<String, String> = theme
            .layer("templates")
            .map(|(name, file)| (name.to_string(), file.origin.clone()))
            .collect();
        let mut tera = Tera::new();
        if let Err(first) = tera.add_raw_templates(templates.iter().map(|(n, t)| (*n, t.as_str())))
        {
            return Err(all_template_errors(&templates, first, &origins));
        }
        let global = tera.global_context();
        global.insert("site", &globals.site);
        global.insert("journey", &globals.journey);
        global.insert("data", globals.data);
        global.insert("css", globals.css);
        Ok(Renderer { tera, origins })
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// Template names usable as a `layout` (top-level `.html` files, no extension).
    pub fn layouts(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tera
            .get_template_names()
            .filter(|n| !n.contains('/') && n.ends_with(".html") && !n.starts_with('_'))
            .map(|n| n.trim_end_matches(".html"))
            .filter(|n| !matches!(*n, "base" | "404"))
            .collect();
        names.sort_unstable();
        names
    }

    /// Renders `template` with `page`; `file` is the page's source, for messages.
    pub fn render(
        &self,
        template: &str,
        page: &PageContext,
        file: &str,
    ) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("page", page);
        self.tera
            .render(template, &context)
            .map_err(|e| self.error(&e, file))
    }

    fn error(&self, error: &tera::Error, file: &str) -> Diagnostic {
        let mut diagnostic = template_error(error, &self.origins);
        diagnostic.message = format!("{} (while rendering {file})", diagnostic.message);
        diagnostic
    }

    /// The error for a page whose layout has no template.
    pub fn missing_layout(&self, page: &Page) -> Diagnostic {
        let layout = &page.meta.layout.value;
        let layouts = self.layouts();
        let message = format!(
            "no template for layout \"{layout}\"{}",
            suggestion(layout, layouts.iter().copied())
        );
        let hint = format!(
            "add templates/{layout}.html, or use one of: {}",
            layouts.join(", ")
        );
        Diagnostic::error("missing-template", &page.file, message)
            .at_pos(page.meta.layout.pos)
            .with_hint(hint)
    }
}

/// Tera stops at the first broken template; this loads each one alone to
/// report the syntax errors of all of them.
fn all_template_errors(
    templates: &[(&str, String)],
    first: tera::Error,
    origins: &HashMap<String, String>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for (name, text) in templates {
        let mut alone = Tera::new();
        if let Err(e) = alone.add_raw_template(name, text) {
            if matches!(e.kind(), ErrorKind::SyntaxError(_)) {
                diagnostics.push(template_error(&e, origins));
            }
        }
    }
    if diagnostics.is_empty() {
        diagnostics.push(template_error(&first, origins));
    }
    diagnostics
}

fn template_error(error: &tera::Error, origins: &HashMap<String, String>) -> Diagnostic {
    let origin = |name: &str| {
        origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("templates/{name}"))
    };
    match error.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let span = report.span();
            Diagnostic::error(
                "template",
                origin(report.filename()),
                report.message().to_string(),
            )
            .at(span.start_line, span.start_col + 1)
        }
        ErrorKind::MissingParent { current, parent } => {
            let message =
                format!("extends \"{parent}\", which is not a template of the theme or the site");
            Diagnostic::error("template", origin(current), message)
        }
        ErrorKind::TemplateNotFound(name) => Diagnostic::error(
            "template",
            origin(name),
            format!("template \"{name}\" not found"),
        ),
        _ => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Diagnostic::error("template", "templates", message)
        }
    }
}

/// `site` for templates.
pub fn site_context(config: &Config) -> SiteContext<'_> {
    SiteContext {
        title: &config.title,
        description: config.description.as_deref(),
        base_url: &config.base_url,
        base_path: config.base_path(),
        language: &config.language,
        direction: config.direction.as_str(),
        theme: &config.theme,
        analytics: &config.analytics,
        funnel_map: config.funnel_map,
        extra: &config.extra,
        generator: format!("funnelcake {}", env!("CARGO_PKG_VERSION")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("/offers/kit/"), "/offers/kit/");
        assert_eq!(
            encode_path("/οδηγός/"),
            "/%CE%BF%CE%B4%CE%B7%CE%B3%CF%8C%CF%82/"
        );
        assert_eq!(encode_path("/a b/"), "/a%20b/");
    }

    #[test]
    fn urls_carry_the_base_path() {
        let config =
            crate::config::parse("title: t\nbase_url: https://u.github.io/shop/\n").unwrap();
        assert_eq!(href(&config, "/kit/"), "/shop/kit/");
        assert_eq!(permalink(&config, "/kit/"), "https://u.github.io/shop/kit/");
    }

    #[test]
    fn prices() {
        assert_eq!(price_text(9.0, "EUR"), "9 EUR");
        assert_eq!(price_text(9.5, "USD"), "9.50 USD");
    }
}
