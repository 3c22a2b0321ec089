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
//! | `theme` | the theme's name, title, description and options: [`ThemeContext`] |
//! | `t` | the UI strings of the site's language (`t.skip_link`) |
//! | `map` | only in `funnel.html`: the funnel map laid out: [`MapContext`] |
//!
//! The funnel map page (`OUT/funnel/index.html`, unless `funnel_map: false`)
//! is the theme's `funnel.html`, rendered with a `page` of layout `funnel`
//! at `/funnel/` (`noindex`, titled `t.funnel_map`) and with `map`. A theme
//! without `funnel.html` (a site-local theme that does not extend a
//! built-in one) gets funnelcake's own standalone map page instead.

use crate::components::{self, ArgValue, Call};
use crate::config::Config;
use crate::content::Page;
use crate::diagnostics::Pos;
use crate::diagnostics::{suggestion, Diagnostic, Diagnostics};
use crate::forms::{self, FormContext};
use crate::funnel::{Funnel, LinkKind};
use crate::i18n::Strings;
use crate::map::MapContext;
use crate::markdown;
use crate::theme::Theme;
use serde::Serialize;
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tera::{Context, ErrorKind, Kwargs, State, Tera};

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
    pub analytics: AnalyticsContext<'a>,
    /// The privacy page's href (`forms.privacy_url`), for forms and the
    /// consent banner.
    pub privacy_url: Option<&'a str>,
    pub funnel_map: bool,
    /// The default social image (`image:` in site.yaml) as an absolute URL.
    pub image: Option<String>,
    /// The Open Graph locale of `language` (`en_US`, `fa_IR`, `el_GR`).
    pub locale: String,
    pub extra: &'a Value,
    /// The generator's name and version, for `<meta name="generator">`.
    pub generator: String,
}

/// `site.analytics`: the tools site.yaml sets (see `_analytics.html`).
#[derive(Debug, Serialize)]
pub struct AnalyticsContext<'a> {
    pub gtm: Option<&'a str>,
    pub ga4: Option<&'a str>,
    pub plausible: Option<&'a str>,
    pub meta_pixel: Option<&'a str>,
    /// True when any tool is set.
    pub enabled: bool,
    /// True when the theme's consent banner is shown: a tool that needs
    /// consent is set and `consent_banner` is not false.
    pub consent_banner: bool,
    /// Event names after the site's renames, by funnelcake's name.
    pub events: &'a BTreeMap<String, String>,
    /// The same as JSON, safe inside a `<script>`.
    pub events_json: String,
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
    /// "Step 3 of 8" in the site's language.
    pub label: String,
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
    /// The price written for the site's language: `€9`, `€9.50`,
    /// `۸٬۹۰۰٬۰۰۰ ریال`; two decimals unless the amount is whole.
    pub text: String,
}

/// `page` in templates.
#[derive(Debug, Serialize)]
pub struct PageContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// Root-relative href, percent-encoded, with the base path.
    pub url: String,
    /// Absolute URL, for Open Graph tags.
    pub permalink: String,
    /// Absolute URL for `<link rel="canonical">`: the permalink, or the
    /// control's for an A/B variant.
    pub canonical: String,
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
    /// `date` written out in the site's language.
    pub date_text: Option<String>,
    pub expires: Option<&'a str>,
    /// `expires` written out in the site's language.
    pub expires_text: Option<String>,
    /// True when `expires` was before the day of the build.
    pub expired: bool,
    pub draft: bool,
    /// True when search engines are told not to index the page.
    pub noindex: bool,
    /// The social image (`og:image`), an absolute URL: the page's
    /// `image`, else the site's.
    pub image: Option<String>,
    /// JSON-LD `Product` whose `offers` is the page's `Offer`, for pages
    /// with a price, safe to put in a `<script>`.
    pub json_ld: Option<String>,
    pub extra: &'a Value,
    /// Names of the components the body calls, sorted, each once: a layout
    /// can leave out the form when the body places it, or add a script
    /// only a component needs.
    pub components: Vec<&'a str>,
    /// The A/B experiment the page takes part in, as control or variant.
    pub experiment: Option<crate::experiments::ExperimentContext>,
    /// What the page reports to analytics, as JSON safe inside a
    /// `<script>`; set only when `analytics:` sets a tool.
    pub tracking: Option<String>,
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

/// A stage's title: a preset's English title in the site's language
/// (`stage_ID` in the strings file); a site's own title as written.
pub(crate) fn stage_title(strings: &Strings, stage: &crate::config::Stage) -> String {
    match crate::config::preset_stage_title(&stage.id) {
        Some(preset) if preset == stage.title => strings
            .get(&format!("stage_{}", stage.id))
            .unwrap_or(preset)
            .to_string(),
        _ => stage.title.clone(),
    }
}

/// An offer type's title in the site's language (`offer_ID` in the strings
/// file), or as the site names it.
pub(crate) fn offer_title(strings: &Strings, offer: &crate::config::OfferType) -> String {
    strings
        .get(&format!("offer_{}", offer.id))
        .unwrap_or(&offer.title)
        .to_string()
}

/// The `journey` variable: every stage in order with its pages.
pub fn journey(config: &Config, strings: &Strings, funnel: &Funnel) -> Vec<StageContext> {
    let total = config.journey.len();
    config
        .journey
        .iter()
        .enumerate()
        .map(|(i, stage)| StageContext {
            id: stage.id.clone(),
            title: stage_title(strings, stage),
            index: i + 1,
            total,
            pages: funnel
                .pages
                .iter()
                .filter(|p| {
                    p.variant.is_none() && p.meta.stage.as_deref() == Some(stage.id.as_str())
                })
                .map(|p| page_ref(config, p))
                .collect(),
        })
        .collect()
}

/// Builds the context of page `index`; `content` is its rendered body.
pub fn page_context<'a>(
    config: &'a Config,
    strings: &Strings,
    funnel: &'a Funnel,
    index: usize,
    content: String,
) -> Result<PageContext<'a>, Diagnostic> {
    let page = &funnel.pages[index];
    let meta = &page.meta;
    let target = |kind| funnel.link_target(index, kind).map(|i| &funnel.pages[i]);
    let experiment = crate::experiments::context(config, funnel, index);
    // A variant is the control's funnel step: its form and canonical URL
    // are the control's.
    let step = page
        .variant
        .as_ref()
        .and_then(|v| funnel.page(&v.control))
        .unwrap_or(page);
    let form = match (&meta.form, target(LinkKind::Form)) {
        (Some(spec), Some(thanks)) => {
            let urls = (href(config, &thanks.path), permalink(config, &thanks.path));
            Some(forms::build(
                config,
                strings,
                forms::Step {
                    page,
                    path: &step.path,
                    experiment: experiment.as_ref(),
                },
                spec,
                (&urls.0, &urls.1),
            )?)
        }
        _ => None,
    };
    let price = meta.price.as_ref().map(|p| PriceContext {
        amount: p.amount,
        currency: p.currency.clone(),
        text: strings.price(p.amount, &p.currency),
    });
    let canonical = permalink(config, &step.path);
    let permalink = permalink(config, &page.path);
    let own_image = meta.image.as_ref().map(|image| match page.local_image() {
        Some((_, path)) => self::permalink(config, &path),
        None => self::permalink(config, &image.value),
    });
    let expired = is_expired(meta);
    let json_ld = price
        .as_ref()
        .map(|price| product_json_ld(meta, price, &canonical, own_image.as_deref(), expired));
    let tracking = config.analytics.enabled().then(|| {
        tracking_json(
            step,
            page,
            experiment.as_ref(),
            price.as_ref(),
            form.is_some(),
        )
    });
    Ok(PageContext {
        title: &meta.title,
        description: meta.description.as_deref(),
        url: href(config, &page.path),
        json_ld,
        image: own_image.or_else(|| site_image(config)),
        permalink,
        canonical,
        path: &page.path,
        source: &page.file,
        layout: &meta.layout.value,
        content,
        stage: stage_ref(config, strings, meta.stage.as_deref()),
        offer: meta
            .offer
            .as_deref()
            .and_then(|id| config.offer(id))
            .map(|o| OfferRef {
                id: o.id.clone(),
                title: offer_title(strings, o),
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
        date_text: meta.date.as_deref().and_then(|d| strings.date(d)),
        expires: meta.expires.as_ref().map(|e| e.value.as_str()),
        expires_text: meta.expires.as_ref().and_then(|e| strings.date(&e.value)),
        expired,
        draft: meta.draft,
        noindex: is_noindex(page),
        extra: &meta.extra,
        components: component_names(&page.calls),
        experiment,
        tracking,
    })
}

/// The page's part of the analytics events: the funnel step
/// (`funnel_step_view`), the item on offer (`view_item`), and whether its
/// form is a lead (`generate_lead`) or a trial sign-up (`sign_up`).
fn tracking_json(
    step: &Page,
    page: &Page,
    experiment: Option<&crate::experiments::ExperimentContext>,
    price: Option<&PriceContext>,
    form: bool,
) -> String {
    let meta = &page.meta;
    let mut data = serde_json::json!({
        "page": step.path,
        "stage": meta.stage.as_deref().unwrap_or(""),
        "offer": meta.offer.as_deref().unwrap_or(""),
        "variant": experiment.map_or("", |e| e.variant.as_str()),
        "experiment": experiment.map_or("", |e| e.id.as_str()),
        "title": meta.title,
        "form": form,
        "trial": meta.offer.as_deref() == Some("free_trial"),
    });
    if let Some(price) = price {
        data["price"] = serde_json::json!({ "value": price.amount, "currency": price.currency });
    }
    script_json(&data)
}

fn component_names(calls: &[Call]) -> Vec<&str> {
    let mut names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Thank-you pages are noindex unless `noindex: false` says otherwise.
pub fn is_noindex(page: &Page) -> bool {
    page.meta
        .noindex
        .unwrap_or(page.meta.layout.value == "thankyou")
}

fn stage_ref(config: &Config, strings: &Strings, id: Option<&str>) -> Option<StageRef> {
    let index = config.stage_index(id?)?;
    let stage = &config.journey[index];
    let total = config.journey.len();
    let label = strings.format(
        "step",
        "Step {index} of {total}",
        &[
            ("index", (index + 1).to_string()),
            ("total", total.to_string()),
        ],
    );
    Some(StageRef {
        id: stage.id.clone(),
        title: stage_title(strings, stage),
        index: index + 1,
        total,
        label: strings.digits(&label),
    })
}

/// JSON with `<` escaped, so it can never close the `<script>` it sits in.
pub fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// True when `expires` was before the day of the build (UTC).
fn is_expired(meta: &crate::front_matter::FrontMatter) -> bool {
    meta.expires
        .as_ref()
        .and_then(|e| e.value.get(..10))
        .is_some_and(|day| day < crate::checks::today().as_str())
}

/// schema.org `Product` with its `Offer`: a standalone `Offer` is not
/// eligible for Google's rich results. An offer past `expires` is no
/// longer in stock. `<` is escaped so it can never close its `<script>`.
fn product_json_ld(
    meta: &crate::front_matter::FrontMatter,
    price: &PriceContext,
    url: &str,
    image: Option<&str>,
    expired: bool,
) -> String {
    let availability = if expired { "OutOfStock" } else { "InStock" };
    let mut offer = serde_json::json!({
        "@type": "Offer",
        "url": url,
        "price": format!("{:.2}", price.amount),
        "priceCurrency": price.currency,
        "availability": format!("https://schema.org/{availability}"),
    });
    if let Some(day) = meta.expires.as_ref().and_then(|e| e.value.get(..10)) {
        offer["priceValidUntil"] = serde_json::Value::String(day.to_string());
    }
    let mut product = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": meta.title,
        "url": url,
    });
    if let Some(description) = &meta.description {
        product["description"] = serde_json::Value::String(description.clone());
    }
    if let Some(image) = image {
        product["image"] = serde_json::Value::String(image.to_string());
    }
    product["offers"] = offer;
    script_json(&product)
}

/// The site's default social image as an absolute URL.
pub fn site_image(config: &Config) -> Option<String> {
    config.image.as_deref().map(|path| permalink(config, path))
}

/// Open Graph locales (`language_TERRITORY`) of languages whose usual
/// territory code is not the language code in capitals.
const LOCALES: &[(&str, &str)] = &[
    ("ar", "ar_AR"),
    ("ca", "ca_ES"),
    ("cs", "cs_CZ"),
    ("da", "da_DK"),
    ("el", "el_GR"),
    ("en", "en_US"),
    ("et", "et_EE"),
    ("fa", "fa_IR"),
    ("he", "he_IL"),
    ("hi", "hi_IN"),
    ("ja", "ja_JP"),
    ("ko", "ko_KR"),
    ("ms", "ms_MY"),
    ("nb", "nb_NO"),
    ("no", "nb_NO"),
    ("sl", "sl_SI"),
    ("sr", "sr_RS"),
    ("sv", "sv_SE"),
    ("uk", "uk_UA"),
    ("ur", "ur_PK"),
    ("vi", "vi_VN"),
    ("zh", "zh_CN"),
];

/// The Open Graph locale of a language tag: its own territory when it has
/// one (`fa-IR` is `fa_IR`), else the table above, else the language code
/// doubled (`de_DE`, `fr_FR`), which is right for most of the rest.
pub fn og_locale(language: &str) -> String {
    let mut parts = language.split(['-', '_']);
    let primary = parts.next().unwrap_or("").to_ascii_lowercase();
    let territory = parts.find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()));
    if let Some(territory) = territory {
        return format!("{primary}_{}", territory.to_ascii_uppercase());
    }
    match LOCALES.iter().find(|(code, _)| *code == primary) {
        Some((_, locale)) => locale.to_string(),
        None if primary.len() == 2 => format!("{primary}_{}", primary.to_ascii_uppercase()),
        None => "en_US".to_string(),
    }
}

/// The template of the funnel map page; a theme without it gets the
/// standalone page of [`crate::map::FunnelMap::to_html`].
pub const MAP_TEMPLATE: &str = "funnel.html";

/// The theme's templates, ready to render pages.
pub struct Renderer {
    tera: Tera,
    strings: Arc<Strings>,
    /// Template name to the file it came from, for error messages.
    origins: HashMap<String, String>,
}

/// `theme` in templates.
#[derive(Debug, Serialize)]
pub struct ThemeContext<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// `theme.yaml` options with the site's `theme_options` over them.
    pub options: &'a Value,
}

/// What every page shares, put once into Tera's global context.
pub struct Globals<'a> {
    pub site: SiteContext<'a>,
    pub theme: &'a Theme,
    pub strings: Strings,
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
        let strings = Arc::new(globals.strings.clone());
        let for_dates = Arc::clone(&strings);
        tera.register_filter("localdate", move |value: &str, _: Kwargs, _: &State| {
            for_dates.date(value).unwrap_or_else(|| value.to_string())
        });
        let for_numbers = Arc::clone(&strings);
        tera.register_filter(
            "localnum",
            move |value: tera::Value, _: Kwargs, _: &State| for_numbers.digits(&value.to_string()),
        );
        tera.register_filter("video_embed", |value: &str, _: Kwargs, _: &State| {
            video_embed(value).ok_or_else(|| {
                tera::Error::message(format!(
                    "\"{value}\" is not a YouTube or Vimeo video address"
                ))
            })
        });
        if let Err(first) = tera.add_raw_templates(templates.iter().map(|(n, t)| (*n, t.as_str())))
        {
            return Err(all_template_errors(&templates, first, &origins));
        }
        let global = tera.global_context();
        global.insert("site", &globals.site);
        global.insert("journey", &globals.journey);
        global.insert("data", globals.data);
        global.insert("css", globals.css);
        global.insert(
            "theme",
            &ThemeContext {
                name: &theme.name,
                title: &theme.title,
                description: &theme.description,
                options: &theme.options,
            },
        );
        global.insert("t", strings.as_value());
        Ok(Renderer {
            tera,
            strings,
            origins,
        })
    }

    /// The UI strings of the site's language.
    pub fn strings(&self) -> &Strings {
        &self.strings
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
            .filter(|n| !matches!(*n, "base" | "404" | "funnel"))
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

    /// Renders the funnel map page: `funnel.html` with `page` and `map`.
    pub fn render_map(&self, page: &PageContext, map: &MapContext) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("page", page);
        context.insert("map", map);
        self.tera
            .render(MAP_TEMPLATE, &context)
            .map_err(|e| self.error(&e, page.source))
    }

    fn error(&self, error: &tera::Error, file: &str) -> Diagnostic {
        let mut diagnostic = template_error(error, &self.origins);
        diagnostic.message = format!("{} (while rendering {file})", diagnostic.message);
        diagnostic
    }

    /// Checks every component call of `page` against the components of the
    /// theme: the name, each argument's name and type, the required
    /// arguments, data references and the page links inside data values.
    pub fn check_calls(&self, page: &Page, data: &Value, funnel: &Funnel) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        for call in &page.calls {
            let error = |pos: Pos, message: String| {
                Diagnostic::error("component", &page.file, message).at(pos.line, pos.column)
            };
            let Some(info) = self.tera.get_component_definition(&call.name) else {
                let mut names: Vec<&str> = self.tera.get_component_names().collect();
                names.sort_unstable();
                let message = format!(
                    "unknown component `{}`{}",
                    call.name,
                    suggestion(&call.name, names.iter().copied())
                );
                let hint = format!(
                    "components of this theme: {}; a site adds its own in templates/components/{}.html",
                    names.join(", "),
                    call.name
                );
                errors.push(error(call.pos, message).with_hint(hint));
                continue;
            };
            let args = match call_args(call, data) {
                Ok(args) => args,
                Err((pos, message)) => {
                    errors.push(error(pos, message).with_hint("data files live in data/NAME.yaml"));
                    continue;
                }
            };
            let declared = info.args();
            for arg in &args {
                let Some(spec) = declared.iter().find(|a| a.name() == arg.name) else {
                    if info.rest_param().is_none() {
                        let names = declared
                            .iter()
                            .filter(|a| !a.is_implicit())
                            .map(|a| a.name());
                        let message = format!(
                            "the `{}` component has no argument `{}`{}",
                            call.name,
                            arg.name,
                            suggestion(&arg.name, names.clone())
                        );
                        let hint =
                            format!("its arguments: {}", names.collect::<Vec<_>>().join(", "));
                        errors.push(error(arg.pos, message).with_hint(hint));
                    }
                    continue;
                };
                if let Some(expected) = spec.arg_type() {
                    if !type_matches(expected, &arg.value) {
                        let message = format!(
                            "`{}` of `{}` must be {} {expected}, not {}",
                            arg.name,
                            call.name,
                            article(expected.as_str()),
                            crate::yaml::describe(&arg.value)
                        );
                        errors.push(error(arg.pos, message));
                    }
                }
                if arg.from_data {
                    components::for_each_link(&arg.value, &mut |dest| {
                        let path = markdown::content_target(dest).map(|(p, _)| p);
                        if path.and_then(|p| funnel.page(p)).is_none() {
                            let message =
                                format!("`{}` links to {dest}, which is not a page", arg.name);
                            errors.push(error(arg.pos, message));
                        }
                    });
                }
            }
            if let Some(message) = needs_front_matter(call, page, &args) {
                errors.push(error(call.pos, message.0.to_string()).with_hint(message.1));
            }
            for spec in declared.iter().filter(|a| a.is_required()) {
                if !args.iter().any(|a| a.name == spec.name()) {
                    let message = format!("the `{}` component needs `{}`", call.name, spec.name());
                    let hint = format!("add `{}=\"...\"` to the call", spec.name());
                    errors.push(error(call.pos, message).with_hint(hint));
                }
            }
        }
        errors
    }

    /// Renders one component call of a page (checked by [`Renderer::check_calls`]).
    pub fn render_call(
        &self,
        call: &Call,
        body: Option<&str>,
        page: &PageContext,
        data: &Value,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, Diagnostic> {
        let args = call_args(call, data).map_err(|(pos, message)| {
            Diagnostic::error("component", page.source, message).at(pos.line, pos.column)
        })?;
        let mut context = Context::new();
        for mut arg in args {
            resolve_links(&mut arg.value, resolve);
            context.insert(arg.name, &arg.value);
        }
        let mut implicits = Context::new();
        implicits.insert("page", page);
        self.tera
            .render_component_with_implicits(&call.name, &context, &implicits, body, true)
            .map_err(|e| {
                let mut diagnostic = template_error(&e, &self.origins);
                diagnostic.message = format!(
                    "{} (in the `{}` component called at {}:{}:{})",
                    diagnostic.message, call.name, page.source, call.pos.line, call.pos.column
                );
                diagnostic
            })
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

/// An argument of a call, with spreads expanded and data looked up.
struct CallArg {
    name: String,
    value: Value,
    pos: Pos,
    from_data: bool,
}

fn call_args(call: &Call, data: &Value) -> Result<Vec<CallArg>, (Pos, String)> {
    let mut args: Vec<CallArg> = Vec::with_capacity(call.args.len());
    let mut push = |arg: CallArg| match args.iter_mut().find(|a| a.name == arg.name) {
        Some(existing) => *existing = arg,
        None => args.push(arg),
    };
    for arg in &call.args {
        let (value, from_data) = match &arg.value {
            ArgValue::Literal(value) => (value.clone(), false),
            ArgValue::Data(path) => (
                components::lookup(data, path)
                    .map_err(|m| (arg.pos, m))?
                    .clone(),
                true,
            ),
        };
        match &arg.name {
            Some(name) => push(CallArg {
                name: name.clone(),
                value,
                pos: arg.pos,
                from_data,
            }),
            None => {
                let Value::Mapping(map) = value else {
                    let message = format!(
                        "only a map can be spread into arguments, and this is {}",
                        crate::yaml::describe(&value)
                    );
                    return Err((arg.pos, message));
                };
                for (key, value) in map {
                    if let Some(name) = key.as_str() {
                        push(CallArg {
                            name: name.to_string(),
                            value,
                            pos: arg.pos,
                            from_data: true,
                        });
                    }
                }
            }
        }
    }
    Ok(args)
}

/// Built-in components that draw on the front matter: `form` places the
/// page's form, and `countdown` counts to `expires` unless given `until`.
fn needs_front_matter(
    call: &Call,
    page: &Page,
    args: &[CallArg],
) -> Option<(&'static str, &'static str)> {
    match call.name.as_str() {
        "form" if page.meta.form.is_none() => Some((
            "the `form` component places the page's form, and this page has no `form:`",
            "add `form:` with `fields` and `thank_you` to the front matter",
        )),
        "countdown" if page.meta.expires.is_none() && !args.iter().any(|a| a.name == "until") => {
            Some((
                "the `countdown` component needs a date: `until=\"2026-12-01\"` or `expires:` in the front matter",
                "add `until=\"YYYY-MM-DD\"` to the call",
            ))
        }
        _ => None,
    }
}

/// The embed URL of a YouTube or Vimeo video page, for a click-to-load
/// player (YouTube's no-cookie host; Vimeo with Do Not Track).
pub fn video_embed(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let (host, path) = rest.split_once('/')?;
    let is_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let youtube = |id: &str| {
        is_id(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"))
    };
    match host {
        "youtube.com" | "m.youtube.com" => {
            if let Some(query) = path.strip_prefix("watch?") {
                let id = query.split('&').find_map(|kv| kv.strip_prefix("v="))?;
                youtube(id)
            } else {
                let id = path
                    .strip_prefix("embed/")
                    .or_else(|| path.strip_prefix("shorts/"))?;
                youtube(id.split(['?', '/']).next()?)
            }
        }
        "youtu.be" => youtube(path.split(['?', '/']).next()?),
        "vimeo.com" | "player.vimeo.com" => {
            let id = path.trim_start_matches("video/").split(['?', '/']).next()?;
            (id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty())
                .then(|| format!("https://player.vimeo.com/video/{id}?autoplay=1&dnt=1"))
        }
        _ => None,
    }
}

fn type_matches(expected: tera::ComponentArgType, value: &Value) -> bool {
    use tera::ComponentArgType as T;
    match expected {
        T::String => value.is_string(),
        T::Bool => value.is_bool(),
        T::Integer => value.is_i64() || value.is_u64(),
        T::Float | T::Number => value.is_number(),
        T::Array => value.is_sequence(),
        T::Map => value.is_mapping(),
        _ => true,
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Turns every `@/path.md#anchor` string into the page's URL.
fn resolve_links(value: &mut Value, resolve: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::String(s) => {
            if let Some(url) = markdown::resolve_content_link(s, resolve) {
                *s = url;
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|v| resolve_links(v, resolve)),
        Value::Mapping(map) => map.values_mut().for_each(|v| resolve_links(v, resolve)),
        _ => {}
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
    let analytics = &config.analytics;
    SiteContext {
        title: &config.title,
        description: config.description.as_deref(),
        base_url: &config.base_url,
        base_path: config.base_path(),
        language: &config.language,
        direction: config.direction.as_str(),
        theme: &config.theme,
        analytics: AnalyticsContext {
            gtm: analytics.gtm.as_deref(),
            ga4: analytics.ga4.as_deref(),
            plausible: analytics.plausible.as_deref(),
            meta_pixel: analytics.meta_pixel.as_deref(),
            enabled: analytics.enabled(),
            consent_banner: analytics.consent_banner && analytics.needs_consent(),
            events: &analytics.events,
            events_json: script_json(&serde_json::to_value(&analytics.events).unwrap_or_default()),
        },
        privacy_url: config.forms.privacy_url.as_deref(),
        funnel_map: config.funnel_map,
        image: site_image(config),
        locale: og_locale(&config.language),
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
    fn open_graph_locales() {
        assert_eq!(og_locale("fa"), "fa_IR");
        assert_eq!(og_locale("el"), "el_GR");
        assert_eq!(og_locale("en"), "en_US");
        assert_eq!(og_locale("en-GB"), "en_GB");
        assert_eq!(og_locale("pt_br"), "pt_BR");
        assert_eq!(og_locale("de"), "de_DE");
        assert_eq!(og_locale("zh-Hant-TW"), "zh_TW");
        assert_eq!(og_locale("ckb"), "en_US");
    }

    #[test]
    fn video_embeds() {
        let yt = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1";
        assert_eq!(
            video_embed("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3").as_deref(),
            Some(yt)
        );
        assert_eq!(
            video_embed("https://youtu.be/dQw4w9WgXcQ").as_deref(),
            Some(yt)
        );
        assert_eq!(
            video_embed("https://vimeo.com/76979871").as_deref(),
            Some("https://player.vimeo.com/video/76979871?autoplay=1&dnt=1")
        );
        assert_eq!(video_embed("https://example.com/v.mp4"), None);
        assert_eq!(video_embed("https://youtu.be/\"><script>"), None);
    }
}
