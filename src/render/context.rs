//! The documented template context: what themes see of the site, the
//! journey and each page. [`page_context`] builds the per-page
//! [`PageContext`]; [`crate::render::renderer`] renders with it.
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
//! | `dev` | only in pages `serve` renders, else none: [`DevContext`] |
//!
//! The funnel map page (`OUT/funnel/index.html`, unless `funnel_map: false`)
//! is the theme's `funnel.html`, rendered with a `page` of layout `funnel`
//! at `/funnel/` (`noindex`, titled `t.funnel_map`) and with `map`. A theme
//! without `funnel.html` (a site-local theme that does not extend a
//! built-in one) gets funnelcake's own standalone map page instead.

use crate::base::diagnostics::Diagnostic;
use crate::base::html::script_json;
use crate::base::yaml::{Choice, Value};
use crate::funnel::{Funnel, LinkKind};
use crate::input::config::Config;
use crate::input::i18n::Strings;
use crate::page::components::Call;
use crate::page::content::Page;
use crate::page::experiment::CONTROL;
use crate::page::front_matter::FrontMatter;
use crate::render::experiments::ExperimentContext;
use crate::render::forms::{self, FormContext};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where the dev server answers: the live-reload script, the form
/// endpoint, and the hidden field that tells it a form's page. Served pages
/// are rendered with these (see [`DevContext`]); built pages never are.
pub(crate) const DEV_SCRIPT_PATH: &str = "/__funnelcake/live.js";
pub(crate) const DEV_SUBMIT_PATH: &str = "/__funnelcake/submit";
pub(crate) const DEV_PAGE_FIELD: &str = "__funnelcake_page";

/// `dev` in templates: set only when `serve` renders, so a theme places the
/// live-reload script and the preview bar itself (`{% if dev %}`) and no
/// HTML is rewritten after rendering. In a build `dev` is none, so no built
/// file can hold them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DevContext {
    /// The live-reload script's URL: `<script src="{{ dev.script }}"></script>`.
    pub script: &'static str,
}

impl DevContext {
    pub(crate) fn new() -> DevContext {
        DevContext {
            script: DEV_SCRIPT_PATH,
        }
    }
}

/// `site` in templates.
#[derive(Debug, Serialize)]
pub(crate) struct SiteContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// Absolute, without a trailing slash.
    pub base_url: &'a str,
    /// The path part of `base_url` (`""` or `/shop`); internal URLs start with it.
    pub base_path: &'a str,
    pub language: &'a str,
    /// `ltr` or `rtl`.
    pub direction: &'static str,
    /// `gregorian` or `persian`, as site.yaml's `calendar`.
    pub calendar: &'static str,
    pub theme: &'a str,
    pub analytics: AnalyticsContext<'a>,
    /// The privacy page's href (`forms.privacy_url`), for forms and the
    /// consent banner.
    pub privacy_url: Option<&'a str>,
    pub funnel_map: bool,
    /// `checkout_overlay:` in site.yaml: Lemon Squeezy and Gumroad buttons open the
    /// provider's overlay.
    pub checkout_overlay: bool,
    /// True when the overlay's script waits for analytics consent (the
    /// site sets a tool that needs it).
    pub checkout_overlay_consent: bool,
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
pub(crate) struct AnalyticsContext<'a> {
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
pub(crate) struct PageRef {
    pub title: String,
    pub url: String,
    pub stage: Option<String>,
    pub offer: Option<String>,
}

/// A stage of the journey, with its position, as seen from a page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageRef {
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
pub(crate) struct StageContext {
    pub id: String,
    pub title: String,
    pub index: usize,
    pub total: usize,
    pub pages: Vec<PageRef>,
}

/// `page.offer`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OfferRef {
    pub id: String,
    pub title: String,
}

/// `page.price`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PriceContext {
    pub amount: f64,
    pub currency: String,
    /// The price written for the site's language: `€9`, `€9.50`,
    /// `۸٬۹۰۰٬۰۰۰ ریال`; two decimals unless the amount is whole.
    pub text: String,
}

/// `page.card`: the page's drawn social card.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CardContext {
    pub width: u32,
    pub height: u32,
    /// What the card shows, for `og:image:alt`: the title and the site's.
    pub alt: String,
}

/// `page` in templates.
#[derive(Debug, Serialize)]
pub(crate) struct PageContext<'a> {
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
    /// The funnel step's path: the control's for an A/B variant (what a
    /// component's checkout link reports as the funnel page).
    #[serde(skip)]
    pub step_path: &'a str,
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
    /// The hosted checkout of an offer page, when its success page resolved.
    pub checkout: Option<CheckoutContext>,
    /// An upsell's "no thanks" page.
    pub decline: Option<PageRef>,
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
    /// The per-visitor deadline of `expires: { after_first_visit }`.
    pub evergreen: Option<EvergreenContext>,
    pub draft: bool,
    /// True when search engines are told not to index the page.
    pub noindex: bool,
    /// The social image (`og:image`), an absolute URL: the page's
    /// `image`, else the site's.
    pub image: Option<String>,
    /// Set when `image` is the card funnelcake drew for the page (see
    /// `social.svg`): its size and the text it shows, for `og:image:*`.
    pub card: Option<CardContext>,
    /// The page's `image` as a responsive hero, for the layout to place:
    /// `src`, `srcset`, `sizes`, `sources` (`type`, `srcset`), `width`,
    /// `height`, `alt`, and the whole `picture` HTML.
    pub hero: Option<crate::render::images::markup::Hero>,
    /// JSON-LD `Product` whose `offers` is the page's `Offer`, for pages
    /// with a price, safe to put in a `<script>`.
    pub json_ld: Option<String>,
    pub extra: &'a Value,
    /// Names of the components the body calls, sorted, each once: a layout
    /// can leave out the form when the body places it, or add a script
    /// only a component needs.
    pub components: Vec<&'a str>,
    /// The A/B experiment the page takes part in, as control or variant.
    pub experiment: Option<crate::render::experiments::ExperimentContext>,
    /// What the page reports to analytics, as JSON safe inside a
    /// `<script>`; set only when `analytics:` sets a tool.
    pub tracking: Option<String>,
}

fn page_ref(config: &Config, page: &Page) -> PageRef {
    PageRef {
        title: page.meta.title.clone(),
        url: config.href(&page.path),
        stage: page.meta.stage.clone(),
        offer: page.meta.offer.clone(),
    }
}

/// The `journey` variable: every stage in order with its pages.
pub(crate) fn journey(config: &Config, strings: &Strings, funnel: &Funnel) -> Vec<StageContext> {
    let total = config.journey.len();
    config
        .journey
        .iter()
        .enumerate()
        .map(|(i, stage)| StageContext {
            id: stage.id.clone(),
            title: strings.stage_title(stage),
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

/// Builds the context of page `index`; `content` is its rendered body,
/// `share` the site path of the processed `image` for link previews.
pub(crate) fn page_context<'a>(
    config: &'a Config,
    strings: &Strings,
    funnel: &'a Funnel,
    index: usize,
    content: String,
    share: Option<&str>,
) -> Result<PageContext<'a>, Diagnostic> {
    let page = &funnel.pages[index];
    let meta = &page.meta;
    let experiment = crate::render::experiments::context(config, funnel, index);
    let step = step_of(funnel, index);
    let own_image = (share.map(|path| config.permalink(path))).or_else(|| page_image(config, page));
    let link = |kind| {
        funnel
            .link_target(index, kind)
            .map(|i| page_ref(config, &funnel.pages[i]))
    };
    let mut context = PageContext {
        title: &meta.title,
        description: meta.description.as_deref(),
        url: config.href(&page.path),
        json_ld: None,
        image: own_image.clone().or_else(|| site_image(config)),
        card: None,
        hero: None,
        permalink: config.permalink(&page.path),
        canonical: config.permalink(&step.path),
        path: &page.path,
        step_path: &step.path,
        source: &page.file,
        layout: &meta.layout.value,
        content,
        stage: stage_ref(config, strings, meta.stage.as_deref()),
        offer: offer_ref(config, strings, meta.offer.as_deref()),
        next: link(LinkKind::Next),
        cta: meta.cta.as_deref(),
        form: form_context(config, strings, funnel, index, step, experiment.as_ref())?,
        checkout: checkout_context(config, funnel, index, step, experiment.as_ref()),
        decline: link(LinkKind::Decline),
        incoming: page_refs(config, funnel, &funnel.incoming[index]),
        price: price_context(strings, meta),
        date: meta.date.as_deref(),
        date_text: meta.date.as_deref().and_then(|d| strings.date(d)),
        expires: meta.expires.as_ref().map(|e| e.value.as_str()),
        expires_text: meta.expires.as_ref().and_then(|e| strings.date(&e.value)),
        expired: is_expired(meta),
        evergreen: evergreen_context(config, funnel, step, meta),
        draft: meta.draft,
        noindex: page.is_noindex(),
        extra: &meta.extra,
        components: component_names(&page.calls),
        experiment,
        tracking: None,
    };
    add_scripts(&mut context, config, funnel, index, own_image.as_deref());
    Ok(context)
}

/// The page's data for scripts: the JSON-LD of its product (which names
/// the page's own image, not the site's) and, when `analytics:` sets a
/// tool, what it reports to analytics.
fn add_scripts(
    context: &mut PageContext,
    config: &Config,
    funnel: &Funnel,
    index: usize,
    own_image: Option<&str>,
) {
    let meta = &funnel.pages[index].meta;
    context.json_ld = (context.price.as_ref())
        .map(|price| product_json_ld(meta, price, &context.canonical, own_image, context.expired));
    if config.analytics.enabled() {
        context.tracking = Some(page_tracking(funnel, index, context));
    }
}

/// What page `index` reports to analytics, as JSON for a `<script>`:
/// its step, experiment, price and form, and a purchase on a thank-you page.
fn page_tracking(funnel: &Funnel, index: usize, context: &PageContext) -> String {
    let page = &funnel.pages[index];
    let mut data = tracking_json(
        (step_of(funnel, index), page),
        context.experiment.as_ref(),
        context.price.as_ref(),
        context.form.is_some(),
    );
    if let Some(purchase) = purchase_json(funnel, index) {
        data["purchase"] = purchase;
    }
    script_json(&data)
}

/// The funnel step page `index` is: the page itself, or for an A/B variant
/// its control, whose form and canonical URL the variant shares.
fn step_of(funnel: &Funnel, index: usize) -> &Page {
    let page = &funnel.pages[index];
    (page.variant.as_ref())
        .and_then(|v| funnel.page(&v.control))
        .unwrap_or(page)
}

/// The pages at `indexes`, as templates see them.
fn page_refs(config: &Config, funnel: &Funnel, indexes: &[usize]) -> Vec<PageRef> {
    (indexes.iter())
        .map(|&i| page_ref(config, &funnel.pages[i]))
        .collect()
}

/// The page's `price` with its text in the site's language.
fn price_context(strings: &Strings, meta: &FrontMatter) -> Option<PriceContext> {
    let price = meta.price.as_ref()?;
    Some(PriceContext {
        amount: price.amount,
        currency: price.currency.clone(),
        text: strings.price(price.amount, &price.currency),
    })
}

/// The buy button of a page with a `checkout:`. Its `href` works without
/// JavaScript and carries what the provider keeps of the funnel page and
/// A/B arm; the click script adds the visitor's e-mail and UTM values
/// under the parameter names given here (`{}` stands for `utm_source`...).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckoutContext {
    pub provider: &'static str,
    pub href: String,
    pub label: Option<String>,
    pub email_param: Option<&'static str>,
    pub utm_param: Option<&'static str>,
    /// The success page's absolute URL, to set in the provider's dashboard.
    pub success: String,
    /// What Paddle's overlay opens, on a site with `checkout_overlay:` and
    /// a `paddle_token`, for a checkout with a `price_id`.
    pub paddle: Option<PaddleOverlay>,
}

/// A Paddle checkout opened in Paddle.js's overlay: `Paddle.Initialize`
/// with the site's client-side token, then `Paddle.Checkout.open` with the
/// price, the success page as `successUrl`, and the funnel page and A/B
/// arm as custom data (the click script adds the UTM values and e-mail).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PaddleOverlay {
    pub price_id: String,
    pub token: String,
    /// `{"funnel_page": "/offers/kit/", "funnel_arm": "b"}`, as JSON.
    pub custom_data: String,
}

fn paddle_overlay(
    config: &Config,
    checkout: &crate::page::checkout::Checkout,
    step: &Page,
    arm: Option<&str>,
) -> Option<PaddleOverlay> {
    let token = config
        .paddle_token
        .as_ref()
        .filter(|_| config.checkout_overlay)?;
    let price = checkout.price_id.as_ref()?;
    let mut custom = serde_json::json!({ "funnel_page": step.path });
    if let Some(arm) = arm {
        custom["funnel_arm"] = arm.into();
    }
    Some(PaddleOverlay {
        price_id: price.value.clone(),
        token: token.clone(),
        custom_data: custom.to_string(),
    })
}

fn checkout_context(
    config: &Config,
    funnel: &Funnel,
    index: usize,
    step: &Page,
    experiment: Option<&ExperimentContext>,
) -> Option<CheckoutContext> {
    let checkout = funnel.pages[index].meta.checkout.as_ref()?;
    let success = funnel.checkout_success(index)?;
    let provider = checkout.provider;
    let arm = experiment.map(|e| e.variant.as_str());
    let params = provider.static_params(&step.path, arm);
    let dynamic = provider.dynamic();
    Some(CheckoutContext {
        provider: provider.id(),
        href: crate::page::checkout::href(&checkout.url, &params),
        label: checkout.label.clone(),
        email_param: dynamic.email,
        utm_param: dynamic.utm,
        success: config.permalink(&funnel.pages[success].path),
        paddle: paddle_overlay(config, checkout, step, arm),
    })
}

/// The opt-in form of page `index` as its template sees it, for the dev
/// server to check what a submission of it holds.
pub(crate) fn page_form(
    config: &Config,
    strings: &Strings,
    funnel: &Funnel,
    index: usize,
) -> Option<FormContext> {
    let experiment = crate::render::experiments::context(config, funnel, index);
    let step = step_of(funnel, index);
    form_context(config, strings, funnel, index, step, experiment.as_ref())
        .ok()
        .flatten()
}

/// An evergreen deadline, kept per funnel page: the cookie is named after
/// the control's path, so an A/B variant shares its control's deadline,
/// and two offers keep two deadlines.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EvergreenContext {
    /// The offer's length from the first visit, in seconds.
    pub seconds: u64,
    /// The first-party cookie that keeps the visitor's deadline.
    pub cookie: String,
    /// Where a visitor past their deadline is sent.
    pub then: Option<PageRef>,
}

fn evergreen_context(
    config: &Config,
    funnel: &Funnel,
    step: &Page,
    meta: &FrontMatter,
) -> Option<EvergreenContext> {
    let evergreen = meta.evergreen.as_ref()?;
    let then = (evergreen.then.as_ref()).and_then(|then| funnel.index_of(&then.value));
    Some(EvergreenContext {
        seconds: evergreen.seconds,
        cookie: format!(
            "funnelcake_deadline_{}",
            crate::page::checkout::reference_id(&step.path, None)
        ),
        then: then.map(|i| page_ref(config, &funnel.pages[i])),
    })
}

/// The page's opt-in form, when it has one whose thank-you page resolved.
fn form_context(
    config: &Config,
    strings: &Strings,
    funnel: &Funnel,
    index: usize,
    step: &Page,
    experiment: Option<&ExperimentContext>,
) -> Result<Option<FormContext>, Diagnostic> {
    let page = &funnel.pages[index];
    let (Some(spec), Some(to)) = (&page.meta.form, funnel.link_target(index, LinkKind::Form))
    else {
        return Ok(None);
    };
    let thanks = &funnel.pages[to];
    let urls = (config.href(&thanks.path), config.permalink(&thanks.path));
    let step = forms::Step {
        page,
        path: &step.path,
        experiment,
    };
    let mut form = forms::build(config, strings, step, spec, (&urls.0, &urls.1))?;
    if config.dev {
        // The dev server records the form and goes on to the thank-you page.
        form.action = DEV_SUBMIT_PATH.to_string();
        form.hidden.push(forms::HiddenField {
            name: DEV_PAGE_FIELD.to_string(),
            value: page.path.clone(),
            utm: None,
        });
    }
    Ok(Some(form))
}

/// The page's own `image` as an absolute URL: a file beside the page is
/// published in the page's folder, a path from `static/` as it is.
fn page_image(config: &Config, page: &Page) -> Option<String> {
    let image = page.meta.image.as_ref()?;
    Some(match page.local_image() {
        Some((_, path)) => config.permalink(&path),
        None => config.permalink(&image.value),
    })
}

fn offer_ref(config: &Config, strings: &Strings, id: Option<&str>) -> Option<OfferRef> {
    let offer = config.offer(id?)?;
    Some(OfferRef {
        id: offer.id.clone(),
        title: strings.offer_title(offer),
    })
}

/// The page's part of the analytics events: the funnel step
/// (`funnel_step_view`), the item on offer (`view_item`), and whether its
/// form is a lead (`generate_lead`) or a trial sign-up (`sign_up`).
/// `pages` are the funnel step and the page itself (a variant of it, or the same).
fn tracking_json(
    (step, page): (&Page, &Page),
    experiment: Option<&crate::render::experiments::ExperimentContext>,
    price: Option<&PriceContext>,
    form: bool,
) -> serde_json::Value {
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
    data
}

/// What a buyer landing on success page `index` paid for: the price of the
/// one offer page whose checkout leads here (an A/B test's arms count as
/// that one page, each with its own price and currency; without the arm, the price of
/// the first arm leading here). With several, the page cannot
/// tell which was bought, so it reports no purchase. With an experiment,
/// its id and cookie let the script find the arm when the click did not
/// record one.
fn purchase_json(funnel: &Funnel, index: usize) -> Option<serde_json::Value> {
    let leads_here =
        |c: &crate::page::checkout::Checkout| funnel.index_of(&c.success.value) == Some(index);
    let incoming = funnel.incoming[index].iter().map(|&i| &funnel.pages[i]);
    // A data plan's price is text, and with another checkout beside it the
    // page cannot tell which was bought.
    if (incoming.flat_map(|p| &p.plan_checkouts)).any(|p| leads_here(&p.checkout)) {
        return None;
    }
    let offers: Vec<usize> = (funnel.incoming[index].iter().copied())
        .filter(|&i| {
            funnel.pages[i]
                .meta
                .checkout
                .as_deref()
                .is_some_and(leads_here)
        })
        .collect();
    let control = step_of(funnel, *offers.first()?);
    if offers
        .iter()
        .any(|&i| step_of(funnel, i).path != control.path)
    {
        return None;
    }
    // The price of the first offer leading here: the control's when it
    // does, else that of the arm whose own checkout does (a variant that
    // sells at another price through its own link and success page).
    let price = funnel.pages[offers[0]].meta.price.as_ref()?;
    let mut data = serde_json::json!({
        "value": price.amount,
        "currency": price.currency,
        "item_id": control.path,
        "item_name": control.meta.title,
    });
    if let Some(experiment) = &control.meta.experiment {
        data["experiment"] = experiment.id.clone().into();
        data["cookie"] = experiment.cookie().into();
        data["arms"] = arm_values(funnel, &offers).into();
    }
    Some(data)
}

/// Each arm's price among the offer pages `offers` (a control and its
/// variants), value and currency, for the purchase of whichever arm the
/// buyer came through: an arm may sell in another currency.
fn arm_values(funnel: &Funnel, offers: &[usize]) -> serde_json::Map<String, serde_json::Value> {
    (offers.iter().map(|&i| &funnel.pages[i]))
        .filter_map(|page| {
            let arm = page.variant.as_ref().map_or(CONTROL, |v| v.id.as_str());
            let price = page.meta.price.as_ref()?;
            let value = serde_json::json!({ "value": price.amount, "currency": price.currency });
            Some((arm.to_string(), value))
        })
        .collect()
}

fn component_names(calls: &[Call]) -> Vec<&str> {
    let mut names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
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
        title: strings.stage_title(stage),
        index: index + 1,
        total,
        label: strings.digits(&label),
    })
}

/// True when `expires` was before the day of the build (UTC).
fn is_expired(meta: &FrontMatter) -> bool {
    meta.expires
        .as_ref()
        .and_then(|e| e.value.get(..10))
        .is_some_and(|day| day < crate::base::date::today().as_str())
}

/// schema.org `Product` with its `Offer`: a standalone `Offer` is not
/// eligible for Google's rich results. An offer past `expires` is no
/// longer in stock. `<` is escaped so it can never close its `<script>`.
fn product_json_ld(
    meta: &FrontMatter,
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
pub(crate) fn site_image(config: &Config) -> Option<String> {
    config.image.as_deref().map(|path| config.permalink(path))
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
pub(crate) fn og_locale(language: &str) -> String {
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

/// `site` for templates.
pub(crate) fn site_context(config: &Config) -> SiteContext<'_> {
    let analytics = &config.analytics;
    SiteContext {
        title: &config.title,
        description: config.description.as_deref(),
        base_url: &config.base_url,
        base_path: config.base_path(),
        language: &config.language,
        direction: config.direction.as_str(),
        calendar: config.calendar.name(),
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
        privacy_url: config.forms.privacy_href.as_deref(),
        funnel_map: config.funnel_map,
        checkout_overlay: config.checkout_overlay,
        checkout_overlay_consent: config.checkout_overlay && config.analytics.needs_consent(),
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
}
