//! `site.yaml` into a [`Config`]: the first stage of the pipeline.
//!
//! Every key of SPEC.md is read and checked here; an unknown key is an error
//! with a "did you mean". The journey preset or custom list becomes the
//! ordered list of [`Stage`]s, and the site's offer types are added to the
//! defaults of DOMAIN.md.

use crate::base::date::Calendar;
use crate::base::diagnostics::{suggestion, Diagnostics, Pos};
use crate::base::yaml::Value;
use crate::base::yaml::{Choice, Fields, Source};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where visitors are assigned to A/B arms (`experiments.adapter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Adapter {
    /// The inline script in each page's `<head>`.
    #[default]
    Script,
    /// The Cloudflare Pages worker (`_worker.js`), with the script as fallback.
    Cloudflare,
}

impl Choice for Adapter {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("script", Adapter::Script),
        ("cloudflare", Adapter::Cloudflare),
    ];
}

/// The host the site is deployed to (`deploy:`), for its host files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Deploy {
    Netlify,
    Cloudflare,
    GithubPages,
    #[default]
    None,
}

impl Choice for Deploy {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("netlify", Deploy::Netlify),
        ("cloudflare", Deploy::Cloudflare),
        ("github-pages", Deploy::GithubPages),
        ("none", Deploy::None),
    ];
}

/// Where an opt-in form's submissions go (`forms.provider`, or a form's
/// own `provider:`); Netlify when neither says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Provider {
    #[default]
    Netlify,
    Formspree,
    Mailchimp,
    Kit,
    Custom,
}

impl Choice for Provider {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("netlify", Provider::Netlify),
        ("formspree", Provider::Formspree),
        ("mailchimp", Provider::Mailchimp),
        ("kit", Provider::Kit),
        ("custom", Provider::Custom),
    ];
}

pub(crate) const CONFIG_FILE: &str = "site.yaml";

const KNOWN_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "direction",
    "calendar",
    "theme",
    "theme_options",
    "journey",
    "offers",
    "forms",
    "analytics",
    "funnel_map",
    "checkout_overlay",
    "paddle_token",
    "deploy",
    "experiments",
    "image",
    "social_cards",
    "images",
    "checks",
    "extra",
];

const FORM_KEYS: &[&str] = &["provider", "action", "privacy_url", "consent", "mailchimp"];
const MAILCHIMP_KEYS: &[&str] = &["gdpr", "merge"];
/// The hidden fields a Mailchimp merge tag may receive: the funnel step,
/// the A/B arm and the UTM parameters.
pub(crate) const MERGE_SOURCES: &[&str] = &[
    "funnel_page",
    "funnel_stage",
    "funnel_offer",
    "funnel_experiment",
    "funnel_variant",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];
const ANALYTICS_KEYS: &[&str] = &[
    "gtm",
    "ga4",
    "plausible",
    "meta_pixel",
    "consent_banner",
    "events",
];
/// The events funnelcake sends, by the names analytics tools know; a site
/// may rename them under `analytics.events`.
pub(crate) const EVENTS: &[&str] = &["funnel_step_view", "generate_lead", "sign_up", "view_item"];
const EXPERIMENTS_KEYS: &[&str] = &["adapter"];
const IMAGES_KEYS: &[&str] = &["widths", "formats", "quality"];

/// A format responsive images are encoded in, besides the original's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ImageFormat {
    Avif,
    Webp,
}

impl Choice for ImageFormat {
    const NAMES: &'static [(&'static str, Self)] =
        &[("avif", ImageFormat::Avif), ("webp", ImageFormat::Webp)];
}

/// The codes of the conversion warnings, which `checks:` in site.yaml can
/// turn off one by one (see the README, "Conversion checks").
pub(crate) const CONVERSION_CODES: &[&str] = &[
    "attention-ratio",
    "form-length",
    "first-screen",
    "title-length",
    "description-length",
    "social-proof",
    "page-weight",
    "missing-alt",
];

/// The key of `checks:` that sets the `page-weight` budget.
const PAGE_WEIGHT_KEY: &str = "page_weight_kb";

/// `checks:` in site.yaml: which conversion warnings are off, and the
/// page weight budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checks {
    /// Codes of [`CONVERSION_CODES`] set to `false`.
    pub off: Vec<&'static str>,
    /// The `page-weight` budget in kilobytes (1000 bytes).
    pub page_weight_kb: u64,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            off: Vec::new(),
            page_weight_kb: 200,
        }
    }
}

impl Checks {
    /// True unless site.yaml turned the warning `code` off.
    pub(crate) fn on(&self, code: &str) -> bool {
        !self.off.contains(&code)
    }
}

/// `images:` in site.yaml: how every raster image is resized and encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ImageSettings {
    /// Target widths in pixels, ascending, without duplicates.
    pub widths: Vec<u32>,
    /// Extra formats, in the order `<source>` elements list them.
    pub formats: Vec<ImageFormat>,
    /// 1 to 100, for every lossy encoder.
    pub quality: u8,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            widths: vec![480, 960, 1440, 1920],
            formats: vec![ImageFormat::Avif, ImageFormat::Webp],
            quality: 75,
        }
    }
}
const RTL_LANGUAGES: &[&str] = &["ar", "fa", "he", "ur", "ps", "sd", "ug", "yi", "ckb", "dv"];

const VALUE_JOURNEY: &[(&str, &str)] = &[
    ("aware", "Awareness"),
    ("engage", "Engagement"),
    ("subscribe", "Subscribe"),
    ("convert", "Convert"),
    ("excite", "Excite"),
    ("ascend", "Ascend"),
    ("advocate", "Advocate"),
    ("promote", "Promote"),
];

const CLASSIC_JOURNEY: &[(&str, &str)] = &[
    ("awareness", "Awareness"),
    ("interest", "Interest"),
    ("consideration", "Consideration"),
    ("purchase", "Purchase"),
    ("loyalty", "Loyalty"),
];

const DEFAULT_OFFERS: &[(&str, &str)] = &[
    ("content", "Content"),
    ("lead_magnet", "Lead magnet"),
    ("webinar", "Webinar"),
    ("free_trial", "Free trial"),
    ("demo", "Demo"),
    ("tripwire", "Tripwire"),
    ("core", "Core offer"),
    ("upsell", "Upsell"),
    ("downsell", "Downsell"),
    ("subscription", "Subscription"),
    ("referral", "Referral"),
];

/// One step of the customer journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Stage {
    pub id: String,
    pub title: String,
}

/// One kind of offer a page can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OfferType {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    /// The value of the HTML `dir` attribute.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// Site-wide defaults for opt-in forms (`forms:` in site.yaml).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct FormDefaults {
    pub provider: Option<Provider>,
    /// Where `forms.provider` is written, for errors about the provider.
    #[serde(skip)]
    pub provider_pos: Option<Pos>,
    /// Where `forms:` is written.
    #[serde(skip)]
    pub pos: Option<Pos>,
    pub action: Option<String>,
    /// The setting as written in site.yaml (`@/privacy.md`, `/privacy/`, an
    /// https: URL); every build resolves it again from this.
    pub privacy_url: Option<String>,
    /// The href `privacy_url` resolved to, set by the build (never read from
    /// site.yaml): kept apart so that a rebuild never resolves an href as if
    /// it were the setting.
    #[serde(skip)]
    pub privacy_href: Option<String>,
    pub consent: Option<String>,
    pub mailchimp: Mailchimp,
}

/// How a Mailchimp form hands consent and the hidden fields to the list
/// (`forms.mailchimp` in site.yaml, or `form.mailchimp` on a page):
/// Mailchimp keeps only merge tags and its GDPR fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Mailchimp {
    /// The id of the list's GDPR "Email" marketing permission: consent
    /// posts as `gdpr[ID]=Y`.
    pub gdpr: Option<String>,
    /// Hidden field (of [`MERGE_SOURCES`]) to the merge tag it posts as.
    pub merge: BTreeMap<String, String>,
}

impl Mailchimp {
    /// `self` (a page's) over `site`, key by key.
    pub(crate) fn over(&self, site: &Mailchimp) -> Mailchimp {
        let mut merge = site.merge.clone();
        merge.extend(self.merge.clone());
        Mailchimp {
            gdpr: self.gdpr.clone().or_else(|| site.gdpr.clone()),
            merge,
        }
    }
}

/// Third-party analytics; nothing is loaded unless a key is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Analytics {
    /// A Google Tag Manager container id (`GTM-XXXXXXX`).
    pub gtm: Option<String>,
    /// A GA4 measurement id (`G-XXXXXXX`), loaded through gtag.js.
    pub ga4: Option<String>,
    /// The site's domain as registered with Plausible.
    pub plausible: Option<String>,
    /// A Meta pixel id (digits).
    pub meta_pixel: Option<String>,
    /// Whether the theme shows its consent banner when a tool that needs
    /// consent (GTM, GA4, the Meta pixel) is set; `false` when the site
    /// handles consent elsewhere.
    pub consent_banner: bool,
    /// Each event of [`EVENTS`] with the name it is sent under.
    pub events: BTreeMap<String, String>,
}

impl Default for Analytics {
    fn default() -> Self {
        Analytics {
            gtm: None,
            ga4: None,
            plausible: None,
            meta_pixel: None,
            consent_banner: true,
            events: EVENTS
                .iter()
                .map(|e| (e.to_string(), e.to_string()))
                .collect(),
        }
    }
}

impl Analytics {
    /// True when any tool is set: only then do pages carry tracking code.
    pub(crate) fn enabled(&self) -> bool {
        self.gtm.is_some()
            || self.ga4.is_some()
            || self.plausible.is_some()
            || self.meta_pixel.is_some()
    }

    /// True when a tool that sets cookies is set, so consent is asked.
    pub(crate) fn needs_consent(&self) -> bool {
        self.gtm.is_some() || self.ga4.is_some() || self.meta_pixel.is_some()
    }
}

/// The parsed and checked `site.yaml`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Config {
    pub title: String,
    /// Absolute URL without a trailing slash, e.g. `https://example.com/shop`.
    pub base_url: String,
    pub description: Option<String>,
    pub language: String,
    pub direction: Direction,
    /// The calendar dates are written in (`calendar:`), Gregorian unless set.
    pub calendar: Calendar,
    pub theme: String,
    /// Values for the theme's options (`theme.yaml` `options:`), checked
    /// against them when the theme loads.
    pub theme_options: Value,
    pub journey: Vec<Stage>,
    pub offers: Vec<OfferType>,
    pub forms: FormDefaults,
    pub analytics: Analytics,
    pub funnel_map: bool,
    /// Open Lemon Squeezy and Gumroad checkouts in the provider's overlay, loading its
    /// script on the click (the plain link stays the fallback).
    pub checkout_overlay: bool,
    /// Paddle's client-side token (`test_...` for the sandbox, `live_...`),
    /// which Paddle.js needs to open its overlay.
    pub paddle_token: Option<String>,
    pub deploy: Deploy,
    /// Where `deploy` is written, if it is.
    #[serde(skip)]
    pub deploy_pos: Option<Pos>,
    /// The default social image (`image:`), a path under `static/` such
    /// as `/images/share.jpg`, checked against the files when the build
    /// knows them.
    pub image: Option<String>,
    #[serde(skip)]
    pub image_pos: Option<Pos>,
    /// `social_cards:`: draw a share card for each indexable page that has
    /// no `image` of its own and no site `image` (default true).
    pub social_cards: bool,
    /// `images:`, the responsive image settings.
    #[serde(skip)]
    pub images: ImageSettings,
    /// `checks:`, the conversion warnings that are on and their budget.
    #[serde(skip)]
    pub checks: Checks,
    /// Where A/B visitors are assigned: `script` (in the page) or
    /// `cloudflare` (at the edge, with the page script as a fallback).
    pub experiments_adapter: Adapter,
    pub extra: Value,
    /// Set by `serve`, never by site.yaml: the pages are rendered for the
    /// dev server (the template context's `dev`, local forms).
    #[serde(skip)]
    pub dev: bool,
}

/// The English title a journey preset gives stage `id`, if any: a stage
/// with that title came from a preset, and themes may translate it.
pub(crate) fn preset_stage_title(id: &str) -> Option<&'static str> {
    VALUE_JOURNEY
        .iter()
        .chain(CLASSIC_JOURNEY)
        .find(|(i, _)| *i == id)
        .map(|(_, title)| *title)
}

impl Config {
    /// The path part of `base_url` (`""` or `/shop`), prefixed to every internal link.
    pub(crate) fn base_path(&self) -> &str {
        let after_scheme = self.base_url.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }

    /// The root-relative href of site path `path`, under the base path.
    pub(crate) fn href(&self, path: &str) -> String {
        crate::base::url::href(self.base_path(), path)
    }

    /// The absolute URL of site path `path`.
    pub(crate) fn permalink(&self, path: &str) -> String {
        crate::base::url::permalink(&self.base_url, self.base_path(), path)
    }

    pub(crate) fn stage_index(&self, id: &str) -> Option<usize> {
        self.journey.iter().position(|s| s.id == id)
    }

    pub(crate) fn offer(&self, id: &str) -> Option<&OfferType> {
        self.offers.iter().find(|o| o.id == id)
    }

    /// Replaces `base_url` (for `build --base-url` and the dev server).
    pub(crate) fn set_base_url(&mut self, url: &str) -> Result<(), String> {
        self.base_url = normalize_base_url(url)?;
        Ok(())
    }
}

/// Parses the text of `site.yaml`; every problem is reported.
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<Config, Diagnostics> {
    let (config, errors) = parse_partial(text)?;
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Parses as much of `site.yaml` as it can: with bad values, the config
/// holds defaults in their place, so the pages can still be checked and the
/// run reports their errors too. Only a YAML syntax error stops it.
pub(crate) fn parse_partial(text: &str) -> Result<(Config, Diagnostics), Diagnostics> {
    let source = Source::new(text, CONFIG_FILE, 1);
    let map = source
        .parse_mapping(CONFIG_FILE)
        .map_err(|d| Diagnostics::from_iter([d]))?;
    let mut fields = Fields::new(&map, source);
    fields.reject_unknown(KNOWN_KEYS);
    let title = fields.required_string("title", "add a line like `title: Bean & Brew Roasters`");
    let base_url = read_base_url(&mut fields);
    let language: String = fields
        .get("language", "a language tag such as `en` or `fa`")
        .unwrap_or_else(|| "en".into());
    let direction = read_direction(&mut fields, &language);
    let journey = read_journey(&mut fields);
    let offers = read_offers(&mut fields);
    let forms = read_forms(&mut fields);
    let analytics = read_analytics(&mut fields);
    let deploy_pos = fields.pos("deploy");
    let deploy = read_enum(&mut fields, "deploy").unwrap_or_default();
    let image_pos = fields.pos("image");
    let image = read_image(&mut fields);
    let experiments_adapter = read_experiments(&mut fields);
    let images = read_images(&mut fields);
    let checks = read_checks(&mut fields);
    let config = Config {
        title: title.unwrap_or_default(),
        base_url: base_url.unwrap_or_else(|| "https://example.com".into()),
        description: fields.get("description", "text"),
        direction,
        calendar: read_enum(&mut fields, "calendar").unwrap_or_default(),
        theme: fields
            .get("theme", "a theme name")
            .unwrap_or_else(|| "starter".into()),
        theme_options: read_extra(&mut fields, "theme_options"),
        journey,
        offers,
        forms,
        analytics,
        funnel_map: fields.get("funnel_map", "true or false").unwrap_or(true),
        checkout_overlay: (fields.get("checkout_overlay", "true or false")).unwrap_or(false),
        paddle_token: read_paddle_token(&mut fields),
        deploy,
        deploy_pos,
        image,
        image_pos,
        social_cards: fields.get("social_cards", "true or false").unwrap_or(true),
        images,
        checks,
        experiments_adapter,
        extra: checked_extra(&mut fields),
        language,
        dev: false,
    };
    Ok((config, fields.errors.into_iter().collect()))
}

/// Paddle.js takes only a client-side token, which is safe to publish; an
/// API key in its place would be published with the site, so it is an
/// error (whose message does not repeat the value).
fn read_paddle_token(fields: &mut Fields) -> Option<String> {
    let token: String = fields.get("paddle_token", "text")?;
    let ok = ["test_", "live_"].iter().any(|p| {
        token
            .strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
    });
    if ok {
        return Some(token);
    }
    let message = "`paddle_token` is not a Paddle client-side token (`test_` or `live_` and letters and digits)";
    fields.error("invalid-value", "paddle_token", message).hint = Some("copy a client-side token from Paddle > Developer tools > Authentication; never an API key, which must stay secret".into());
    None
}

fn read_base_url(fields: &mut Fields) -> Option<String> {
    let url = fields.required_string(
        "base_url",
        "add a line like `base_url: https://example.com`",
    )?;
    match normalize_base_url(&url) {
        Ok(url) => Some(url),
        Err(message) => {
            fields.error("invalid-value", "base_url", message);
            None
        }
    }
}

/// Checks that a base URL is absolute http(s) and drops its trailing slash.
pub(crate) fn normalize_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    // A query or fragment would end up between the base and every path
    // joined to it (`https://a.b/?x=1/css/site.css`), breaking every link.
    if rest.is_some() && url.contains(['?', '#']) {
        return Err(format!(
            "base_url may not have a query (`?`) or a fragment (`#`), found \"{url}\""
        ));
    }
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(format!("base_url must be an absolute http(s) URL such as `https://example.com`, found \"{url}\"")),
    }
}

fn read_direction(fields: &mut Fields, language: &str) -> Direction {
    match read_choice(fields, "direction", &["ltr", "rtl"]).as_deref() {
        Some("rtl") => Direction::Rtl,
        Some(_) => Direction::Ltr,
        None => {
            let primary = language
                .split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if RTL_LANGUAGES.contains(&primary.as_str()) {
                Direction::Rtl
            } else {
                Direction::Ltr
            }
        }
    }
}

/// A string field limited to `choices`, with a suggestion when it is not one of them.
fn read_choice(fields: &mut Fields, key: &'static str, choices: &[&str]) -> Option<String> {
    let value: String = fields.get(key, &format!("one of {}", choices.join(", ")))?;
    if choices.contains(&value.as_str()) {
        return Some(value);
    }
    let message = format!(
        "unknown {key} \"{value}\"{}",
        suggestion(&value, choices.iter().copied())
    );
    let hint = format!("choose one of: {}", choices.join(", "));
    fields.error("invalid-value", key, message).hint = Some(hint.into());
    None
}

/// One of a closed set of names, as its enum.
fn read_enum<T: Choice>(fields: &mut Fields, key: &'static str) -> Option<T> {
    read_choice(fields, key, &T::names()).and_then(|name| T::from_name(&name))
}

fn read_journey(fields: &mut Fields) -> Vec<Stage> {
    let preset = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(id, title)| Stage {
                id: id.to_string(),
                title: title.to_string(),
            })
            .collect()
    };
    match fields.raw("journey") {
        None => preset(VALUE_JOURNEY),
        Some(Value::String(name)) => match name.as_str() {
            "value-journey" => preset(VALUE_JOURNEY),
            "classic" => preset(CLASSIC_JOURNEY),
            other => {
                let message = format!(
                    "unknown journey preset \"{other}\"{}",
                    suggestion(other, ["value-journey", "classic"])
                );
                let hint = "use `value-journey`, `classic`, or a list of `{ id, title }` stages";
                fields.error("invalid-value", "journey", message).hint = Some(hint.into());
                Vec::new()
            }
        },
        Some(Value::Sequence(items)) => read_custom_journey(fields, items),
        Some(_) => {
            fields.error(
                "invalid-value",
                "journey",
                "`journey` must be `value-journey`, `classic`, or a list of `{ id, title }` stages",
            );
            Vec::new()
        }
    }
}

fn read_custom_journey(fields: &mut Fields, items: &[Value]) -> Vec<Stage> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawStage {
        id: String,
        title: Option<String>,
    }
    let mut stages: Vec<Stage> = Vec::new();
    for item in items {
        // A bare string is accepted as shorthand for `{ id: x }`.
        let raw = match item {
            Value::String(id) => Ok(RawStage {
                id: id.clone(),
                title: None,
            }),
            other => crate::base::yaml::from_value::<RawStage>(other.clone()),
        };
        let Ok(raw) = raw else {
            fields.error(
                "invalid-value",
                "journey",
                "each journey stage must be `{ id: ..., title: ... }`",
            );
            continue;
        };
        if !is_identifier(&raw.id) {
            let message = format!(
                "journey stage id \"{}\" must be lowercase letters, digits, `-` or `_`",
                raw.id
            );
            fields.error("invalid-value", "journey", message);
        } else if stages.iter().any(|s| s.id == raw.id) {
            fields.error(
                "invalid-value",
                "journey",
                format!("journey stage \"{}\" is listed twice", raw.id),
            );
        } else {
            let title = raw.title.unwrap_or_else(|| title_case(&raw.id));
            stages.push(Stage { id: raw.id, title });
        }
    }
    if stages.is_empty() && fields.errors.is_empty() {
        fields.error("invalid-value", "journey", "the journey has no stages");
    }
    stages
}

fn read_offers(fields: &mut Fields) -> Vec<OfferType> {
    let mut offers: Vec<OfferType> = DEFAULT_OFFERS
        .iter()
        .map(|(id, title)| OfferType {
            id: id.to_string(),
            title: title.to_string(),
        })
        .collect();
    let extra: Vec<String> = fields
        .get("offers", "a list of offer type ids")
        .unwrap_or_default();
    for id in extra {
        if !is_identifier(&id) {
            let message =
                format!("offer type \"{id}\" must be lowercase letters, digits, `-` or `_`");
            fields.error("invalid-value", "offers", message);
        } else if !offers.iter().any(|o| o.id == id) {
            offers.push(OfferType {
                title: title_case(&id),
                id,
            });
        }
    }
    offers
}

fn read_forms(fields: &mut Fields) -> FormDefaults {
    let pos = fields.source().locate_key(&["forms"]);
    let shape = "(provider, action, privacy_url, consent)";
    let defaults = fields.section("forms", shape, FORM_KEYS, |forms| FormDefaults {
        pos,
        provider_pos: forms.pos("provider"),
        provider: read_enum(forms, "provider"),
        action: forms.get("action", "a URL"),
        privacy_url: forms.get("privacy_url", "a URL such as `/privacy/`"),
        privacy_href: None,
        consent: forms.get("consent", "text"),
        mailchimp: read_mailchimp(forms).unwrap_or_default(),
    });
    defaults.unwrap_or_default()
}

/// `mailchimp:` under `forms:` (site.yaml) or `form:` (a page), checked
/// key by key: `gdpr`, the GDPR field id, and `merge`, hidden field to
/// merge tag.
pub(crate) fn read_mailchimp(form: &mut Fields) -> Option<Mailchimp> {
    let raw = form.raw("mailchimp")?;
    let Value::Mapping(map) = raw else {
        let message = "`mailchimp` must be a mapping such as `{ gdpr: 12345, merge: { utm_source: UTMSOURCE } }`";
        form.error("invalid-value", "mailchimp", message);
        return None;
    };
    let mut fields = form.nested("mailchimp", map);
    fields.reject_unknown(MAILCHIMP_KEYS);
    let gdpr = match fields.raw("gdpr") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => fields.get::<String>("gdpr", "the id of the list's GDPR field"),
    };
    let gdpr = gdpr.filter(|id| {
        let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            let message = format!("GDPR field id \"{id}\" must be letters and digits");
            fields.error("invalid-value", "gdpr", message).hint = Some(GDPR_HINT.into());
        }
        valid
    });
    let merge = read_merge_tags(&mut fields);
    form.errors.append(&mut fields.errors);
    Some(Mailchimp { gdpr, merge })
}

const GDPR_HINT: &str = "in Mailchimp's embedded form code, the consent checkbox is `name=\"gdpr[12345]\"`: the id is the number in brackets";

/// `merge:` of `mailchimp:`: which hidden field posts under which merge tag.
fn read_merge_tags(fields: &mut Fields) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let Some(raw) = fields.raw("merge") else {
        return tags;
    };
    let Value::Mapping(map) = raw else {
        let message =
            "`merge` must map hidden fields to merge tags, such as `{ utm_source: UTMSOURCE }`";
        fields.error("invalid-value", "merge", message);
        return tags;
    };
    let mut merge = fields.nested("merge", map);
    merge.reject_unknown(MERGE_SOURCES);
    for source in MERGE_SOURCES {
        let Some(tag) = merge.get::<String>(source, "a merge tag such as `UTMSOURCE`") else {
            continue;
        };
        let valid = !tag.is_empty()
            && tag
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if valid {
            tags.insert(source.to_string(), tag);
        } else {
            let message = format!("merge tag \"{tag}\" must be uppercase letters, digits and `_`");
            let hint = "Mailchimp lists the tags under Audience → Settings → Audience fields and merge tags";
            merge.error("invalid-value", source, message).hint = Some(hint.into());
        }
    }
    fields.errors.append(&mut merge.errors);
    tags
}

/// `image:`, the default social image: a path under `static/`.
fn read_image(fields: &mut Fields) -> Option<String> {
    let image: String = fields.get("image", "a path under static/ such as `/images/share.jpg`")?;
    if image.starts_with('/') && !image.starts_with("//") && !image.contains("..") {
        return Some(image);
    }
    let message = format!("image \"{image}\" must be a path under static/ starting with `/`");
    let hint = "put the file in static/images/ and write `image: /images/share.jpg`";
    fields.error("invalid-value", "image", message).hint = Some(hint.into());
    None
}

fn read_analytics(fields: &mut Fields) -> Analytics {
    let shape = "(gtm, ga4, plausible, meta_pixel)";
    let analytics = fields.section("analytics", shape, ANALYTICS_KEYS, |analytics| Analytics {
        gtm: read_tool_id(
            analytics,
            "gtm",
            "a container id such as `GTM-XXXXXXX`",
            |t| tagged_id("GTM-", t),
        ),
        ga4: read_tool_id(
            analytics,
            "ga4",
            "a measurement id such as `G-XXXXXXX`",
            |t| tagged_id("G-", t),
        ),
        plausible: read_tool_id(
            analytics,
            "plausible",
            "a domain such as `example.com`",
            |t| {
                !t.is_empty()
                    && t.split(',').all(|d| {
                        !d.is_empty()
                            && d.chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '/'))
                    })
            },
        ),
        meta_pixel: read_tool_id(analytics, "meta_pixel", "a pixel id (digits)", |t| {
            (5..=20).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit())
        }),
        consent_banner: analytics
            .get("consent_banner", "true or false")
            .unwrap_or(true),
        events: read_event_names(analytics),
    });
    analytics.unwrap_or_default()
}

/// One analytics tool's id, checked by `valid`; the hint says where the
/// tool shows it.
fn read_tool_id(
    fields: &mut Fields,
    key: &'static str,
    expected: &str,
    valid: fn(&str) -> bool,
) -> Option<String> {
    // A pixel id written without quotes is a YAML number.
    let value: String = match fields.raw(key) {
        Some(Value::Number(n)) => n.to_string(),
        _ => fields.get(key, expected)?,
    };
    if valid(value.trim()) {
        return Some(value.trim().to_string());
    }
    let message = format!("`analytics.{key}` \"{value}\" is not {expected}");
    let hint = match key {
        "ga4" if value.starts_with("UA-") => "Universal Analytics (UA-) ids stopped collecting data in 2023; use the GA4 measurement id, which starts with G-",
        "ga4" => "the measurement id is under Admin → Data streams in Google Analytics",
        "gtm" => "the container id is at the top of the Tag Manager workspace",
        "plausible" => "write the domain as you added it in Plausible, without https://",
        _ => "the pixel id is in Meta's Events Manager, under Data sources",
    };
    fields.error("invalid-value", key, message).hint = Some(hint.into());
    None
}

/// `GTM-` or `G-` followed by 4 to 16 uppercase letters and digits.
fn tagged_id(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        (4..=16).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// `analytics.events`: new names for the events of [`EVENTS`].
fn read_event_names(analytics: &mut Fields) -> BTreeMap<String, String> {
    let mut names = Analytics::default().events;
    let Some(raw) = analytics.raw("events") else {
        return names;
    };
    let Value::Mapping(map) = raw else {
        let message = "`analytics.events` must map event names to new names, such as `{ generate_lead: lead }`";
        analytics.error("invalid-value", "events", message);
        return names;
    };
    let mut events = analytics.nested("events", map);
    events.reject_unknown(EVENTS);
    for event in EVENTS {
        let Some(name) = events.get::<String>(event, "an event name") else {
            continue;
        };
        let valid = name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            names.insert(event.to_string(), name);
        } else {
            let message = format!(
                "event name \"{name}\" must be letters, digits and `_`, starting with a letter"
            );
            events.error("invalid-value", event, message);
        }
    }
    analytics.errors.append(&mut events.errors);
    names
}

/// `experiments.adapter`: where visitors are assigned to A/B arms.
fn read_experiments(fields: &mut Fields) -> Adapter {
    let shape = "such as `{ adapter: cloudflare }`";
    let adapter = fields.section("experiments", shape, EXPERIMENTS_KEYS, |experiments| {
        read_enum(experiments, "adapter")
    });
    adapter.flatten().unwrap_or_default()
}

/// `images:`; a bad value is an error at its line and the default stands.
fn read_images(fields: &mut Fields) -> ImageSettings {
    let shape = "such as `{ widths: [480, 960], formats: [avif, webp], quality: 75 }`";
    let read = |images: &mut Fields| {
        let mut settings = ImageSettings::default();
        if let Some(widths) = read_widths(images) {
            settings.widths = widths;
        }
        if let Some(formats) = read_formats(images) {
            settings.formats = formats;
        }
        let quality: Option<u32> = images.get("quality", "a whole number from 1 to 100");
        match quality {
            Some(q @ 1..=100) => settings.quality = q as u8,
            Some(q) => {
                let message = format!("`images.quality` must be from 1 to 100, found {q}");
                images.error("invalid-value", "quality", message).hint =
                    Some("75 is a good balance of size and quality".into());
            }
            None => {}
        }
        settings
    };
    fields
        .section("images", shape, IMAGES_KEYS, read)
        .unwrap_or_default()
}

/// `checks:`: a conversion code and `false` turns that warning off;
/// `page_weight_kb` sets the budget. An unknown code is an error with a
/// suggestion.
fn read_checks(fields: &mut Fields) -> Checks {
    let shape = "such as `{ attention-ratio: false, page_weight_kb: 300 }`";
    let mut known = CONVERSION_CODES.to_vec();
    known.push(PAGE_WEIGHT_KEY);
    let read = |checks: &mut Fields| {
        let mut settings = Checks::default();
        for &code in CONVERSION_CODES {
            if checks.get::<bool>(code, "true or false") == Some(false) {
                settings.off.push(code);
            }
        }
        let budget: Option<u64> = checks.get(PAGE_WEIGHT_KEY, "a whole number of kilobytes");
        match budget {
            Some(0) => {
                let message = "`checks.page_weight_kb` must be at least 1";
                checks.error("invalid-value", PAGE_WEIGHT_KEY, message).hint = Some(
                    "200 is the default; write `page-weight: false` to turn the check off".into(),
                );
            }
            Some(kb) => settings.page_weight_kb = kb,
            None => {}
        }
        settings
    };
    fields
        .section("checks", shape, &known, read)
        .unwrap_or_default()
}

fn read_widths(images: &mut Fields) -> Option<Vec<u32>> {
    let mut widths: Vec<u32> =
        images.get("widths", "a list of widths in pixels, such as `[480, 960]`")?;
    if widths.is_empty() || widths.contains(&0) || widths.iter().any(|w| *w > 16384) {
        let message = "`images.widths` must list widths from 1 to 16384 pixels";
        images.error("invalid-value", "widths", message).hint =
            Some("for example `widths: [480, 960, 1440, 1920]`".into());
        return None;
    }
    widths.sort_unstable();
    widths.dedup();
    Some(widths)
}

fn read_formats(images: &mut Fields) -> Option<Vec<ImageFormat>> {
    let names: Vec<String> = images.get("formats", "a list of formats, such as `[avif, webp]`")?;
    let mut formats = Vec::new();
    for name in names {
        match ImageFormat::from_name(&name) {
            Some(format) if !formats.contains(&format) => formats.push(format),
            Some(_) => {}
            None => {
                let choices = ImageFormat::names();
                let message = format!(
                    "unknown image format \"{name}\"{}",
                    suggestion(&name, choices.iter().copied())
                );
                let hint = "choose from avif and webp; the original format (JPEG or PNG) is always the fallback";
                images.error("invalid-value", "formats", message).hint = Some(hint.into());
                return None;
            }
        }
    }
    Some(formats)
}

/// `extra`, whose `footer_links` the built-in themes link from every
/// page: a `javascript:` or `data:` URL there is an error.
fn checked_extra(fields: &mut Fields) -> Value {
    let extra = read_extra(fields, "extra");
    let links = extra.get("footer_links").and_then(Value::as_sequence);
    for link in links.into_iter().flatten() {
        let url = link.get("url").and_then(Value::as_str).unwrap_or_default();
        if let Some(scheme) = crate::base::url::unsafe_scheme(url) {
            let message = format!("footer link \"{url}\" is a {scheme} URL");
            let source = fields.source();
            let pos = source.locate(&["extra", "footer_links"]);
            fields.errors.push(
                crate::base::diagnostics::Diagnostic::error("unsafe-url", source.file, message)
                    .at_pos(pos)
                    .with_hint("footer links must be web addresses or paths"),
            );
        }
    }
    extra
}

/// A free-form mapping passed to templates; must be a mapping if present.
pub(crate) fn read_extra(fields: &mut Fields, key: &'static str) -> Value {
    match fields.raw(key) {
        None => Value::Mapping(Default::default()),
        Some(v @ Value::Mapping(_)) => v.clone(),
        Some(_) => {
            fields.error(
                "invalid-value",
                key,
                format!("`{key}` must be a mapping of `key: value` lines"),
            );
            Value::Mapping(Default::default())
        }
    }
}

/// Ids of stages and offers: lowercase ASCII letters, digits, `-` and `_`.
pub(crate) fn is_identifier(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn title_case(id: &str) -> String {
    let words = id.split(['_', '-']).filter(|w| !w.is_empty());
    let mut title = words.collect::<Vec<_>>().join(" ");
    if let Some(first) = title.get(..1) {
        title.replace_range(..1, &first.to_uppercase());
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse("title: Shop\nbase_url: https://example.com/\n").unwrap();
        assert_eq!(config.base_url, "https://example.com");
        assert_eq!(config.journey.len(), 8);
        assert_eq!(config.journey[2].id, "subscribe");
        assert_eq!(config.offers.len(), 11);
        assert_eq!(config.direction, Direction::Ltr);
        assert_eq!(config.theme, "starter");
        assert!(config.funnel_map);
    }

    #[test]
    fn presets_custom_journeys_and_offers() {
        let classic = parse("title: a\nbase_url: https://a.b\njourney: classic\n").unwrap();
        assert_eq!(
            classic
                .journey
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            [
                "awareness",
                "interest",
                "consideration",
                "purchase",
                "loyalty"
            ]
        );
        let custom = parse(
            "title: a\nbase_url: https://a.b\njourney:\n  - { id: discover, title: Discover }\n  - signup\noffers: [masterclass]\n",
        )
        .unwrap();
        assert_eq!(
            custom.journey[1],
            Stage {
                id: "signup".into(),
                title: "Signup".into()
            }
        );
        assert_eq!(custom.offer("masterclass").unwrap().title, "Masterclass");
    }

    #[test]
    fn images_settings_and_their_errors() {
        let config = parse("title: a\nbase_url: https://a.b\n").unwrap();
        assert_eq!(config.images, ImageSettings::default());
        let text = "title: a\nbase_url: https://a.b\nimages:\n  widths: [960, 480, 960]\n  formats: [webp]\n  quality: 80\n";
        let config = parse(text).unwrap();
        assert_eq!(config.images.widths, [480, 960]);
        assert_eq!(config.images.formats, [ImageFormat::Webp]);
        assert_eq!(config.images.quality, 80);
        let text = "title: a\nbase_url: https://a.b\nimages:\n  widths: [0, 480]\n  formats: [avif, jxl]\n  quality: 101\n";
        let errs = errors(text);
        assert_eq!(
            errs,
            [
                "error: site.yaml:4:11: `images.widths` must list widths from 1 to 16384 pixels\n  = help: for example `widths: [480, 960, 1440, 1920]`",
                "error: site.yaml:5:12: unknown image format \"jxl\"\n  = help: choose from avif and webp; the original format (JPEG or PNG) is always the fallback",
                "error: site.yaml:6:12: `images.quality` must be from 1 to 100, found 101\n  = help: 75 is a good balance of size and quality",
            ]
        );
    }

    #[test]
    fn checks_turn_conversion_warnings_off() {
        let config = parse("title: a\nbase_url: https://a.b\n").unwrap();
        assert_eq!(config.checks, Checks::default());
        assert!(config.checks.on("attention-ratio"));
        let text = "title: a\nbase_url: https://a.b\nchecks:\n  attention-ratio: false\n  missing-alt: true\n  page_weight_kb: 300\n";
        let config = parse(text).unwrap();
        assert_eq!(config.checks.off, ["attention-ratio"]);
        assert!(config.checks.on("missing-alt"));
        assert_eq!(config.checks.page_weight_kb, 300);
        let text = "title: a\nbase_url: https://a.b\nchecks:\n  atention-ratio: false\n  form-length: no\n  page_weight_kb: 0\n";
        assert_eq!(
            errors(text),
            [
                "error: site.yaml:4:3: unknown key `checks.atention-ratio` (did you mean \"attention-ratio\"?)\n  = help: known keys here: attention-ratio, form-length, first-screen, title-length, description-length, social-proof, page-weight, missing-alt, page_weight_kb",
                "error: site.yaml:5:16: `checks.form-length` must be true or false, found \"no\"",
                "error: site.yaml:6:19: `checks.page_weight_kb` must be at least 1\n  = help: 200 is the default; write `page-weight: false` to turn the check off",
            ]
        );
    }

    #[test]
    fn language_implies_direction() {
        let fa = parse("title: a\nbase_url: https://a.b\nlanguage: fa-IR\n").unwrap();
        assert_eq!(fa.direction, Direction::Rtl);
        let forced =
            parse("title: a\nbase_url: https://a.b\nlanguage: fa\ndirection: ltr\n").unwrap();
        assert_eq!(forced.direction, Direction::Ltr);
    }

    #[test]
    fn calendar_is_gregorian_unless_set() {
        let fa = parse("title: a\nbase_url: https://a.b\nlanguage: fa\n").unwrap();
        assert_eq!(fa.calendar, Calendar::Gregorian);
        let persian =
            parse("title: a\nbase_url: https://a.b\nlanguage: fa\ncalendar: persian\n").unwrap();
        assert_eq!(persian.calendar, Calendar::Persian);
        assert_eq!(
            errors("title: a\nbase_url: https://a.b\ncalendar: persain\n"),
            ["error: site.yaml:3:11: unknown calendar \"persain\" (did you mean \"persian\"?)\n  = help: choose one of: gregorian, persian"]
        );
    }

    #[test]
    fn unknown_keys_get_suggestions_with_positions() {
        let errs =
            errors("title: a\nbase_url: https://a.b\ntheem: bold\nforms:\n  privacy_ur: /p/\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0]
                .starts_with("error: site.yaml:3:1: unknown key `theem` (did you mean \"theme\"?)"),
            "{}",
            errs[0]
        );
        assert!(errs[1].starts_with("error: site.yaml:5:3: unknown key `forms.privacy_ur` (did you mean \"privacy_url\"?)"), "{}", errs[1]);
    }

    #[test]
    fn every_problem_is_reported() {
        let errs = errors("description: x\njourney: clasic\ndeploy: netlfy\n");
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs
            .iter()
            .any(|e| e.contains("missing required field `title`")));
        assert!(errs
            .iter()
            .any(|e| e.contains("missing required field `base_url`")));
        assert!(errs.iter().any(|e| e.contains(
            "site.yaml:2:10: unknown journey preset \"clasic\" (did you mean \"classic\"?)"
        )));
        assert!(errs
            .iter()
            .any(|e| e
                .contains("site.yaml:3:9: unknown deploy \"netlfy\" (did you mean \"netlify\"?)")));
    }

    #[test]
    fn base_url_with_query_or_fragment_is_an_error_at_its_line() {
        assert_eq!(
            errors("title: a\nbase_url: https://a.b/?ref=x\n"),
            ["error: site.yaml:2:11: base_url may not have a query (`?`) or a fragment (`#`), found \"https://a.b/?ref=x\""]
        );
        assert!(parse("title: a\nbase_url: https://a.b/#top\n").is_err());
    }

    #[test]
    fn base_path_comes_from_base_url() {
        let mut config = parse("title: a\nbase_url: https://user.github.io/shop/\n").unwrap();
        assert_eq!(config.base_path(), "/shop");
        config.set_base_url("http://127.0.0.1:1111").unwrap();
        assert_eq!(config.base_path(), "");
        assert!(config.set_base_url("example.com").is_err());
        assert!(config.set_base_url("https://a.b/?utm=x").is_err());
        assert!(config.set_base_url("https://a.b/shop#top").is_err());
    }
}
