//! A page's YAML front matter into a checked [`FrontMatter`].
//!
//! [`split`] finds the `---` block and the line where the Markdown body
//! starts; [`parse`] reads every field of SPEC.md and checks what can be
//! checked against the config alone (stage, offer, slug, price, dates).
//! Fields that point at other pages (`next`, `form.thank_you`,
//! `checkout.success`, `decline`, `expires.then`) and `layout`
//! keep their position, so the funnel and render stages can report them at
//! the right line.

use crate::base::diagnostics::{suggestion, Diagnostic, Pos};
use crate::base::yaml::{describe, Choice, Fields, Located, Source};
use crate::base::yaml::{Mapping, Value};
use crate::input::config::{self, Config, Provider};
use crate::page::checkout::{self, Checkout};
use crate::page::evergreen::{self, Evergreen};
use crate::page::experiment::{self, Experiment};
use serde::{Deserialize, Serialize};

const KNOWN_KEYS: &[&str] = &[
    "title",
    "description",
    "stage",
    "offer",
    "layout",
    "slug",
    "next",
    "cta",
    "form",
    "price",
    "date",
    "expires",
    "draft",
    "noindex",
    "experiment",
    "image",
    "checkout",
    "decline",
    "image_alt",
    "extra",
];
const FORM_KEYS: &[&str] = &[
    "fields",
    "submit",
    "thank_you",
    "consent",
    "provider",
    "action",
    "mailchimp",
];
const FIELD_KEYS: &[&str] = &["name", "type", "label", "required", "options"];

/// The `type` of a form field: the HTML input type, a `textarea` or a
/// `select` (a drop-down of `options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FieldType {
    Text,
    Email,
    Tel,
    Url,
    Number,
    Textarea,
    Select,
    Checkbox,
    Hidden,
}

impl Choice for FieldType {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("text", FieldType::Text),
        ("email", FieldType::Email),
        ("tel", FieldType::Tel),
        ("url", FieldType::Url),
        ("number", FieldType::Number),
        ("textarea", FieldType::Textarea),
        ("select", FieldType::Select),
        ("checkbox", FieldType::Checkbox),
        ("hidden", FieldType::Hidden),
    ];
}

/// One visible field of an opt-in form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FormField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Option<String>,
    pub required: bool,
    /// The choices of a `select`, each posted as written; empty for the
    /// other types.
    pub options: Vec<String>,
}

/// The `form:` block of an opt-in page, before site defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormSpec {
    pub fields: Vec<FormField>,
    pub submit: Option<String>,
    pub thank_you: Option<Located<String>>,
    pub consent: Option<String>,
    pub provider: Option<Provider>,
    /// Where `provider` is written, for errors about the provider.
    pub provider_pos: Option<Pos>,
    pub action: Option<Located<String>>,
    /// The page's Mailchimp settings, over the site's `forms.mailchimp`.
    pub mailchimp: Option<config::Mailchimp>,
    /// Position of the `form:` key, for errors about the form as a whole.
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Price {
    pub amount: f64,
    pub currency: String,
}

/// What a page is in the funnel, from its `layout`: the built-in layouts
/// the checks and forms care about, or a template of the site's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageKind {
    Landing,
    Optin,
    ThankYou,
    Page,
    /// The funnel map's own layout, which no content page may take.
    Map,
    /// Any other template in `templates/`.
    Custom,
}

impl PageKind {
    pub(crate) fn of(layout: &str) -> PageKind {
        match layout {
            "landing" => PageKind::Landing,
            "optin" => PageKind::Optin,
            "thankyou" => PageKind::ThankYou,
            "page" => PageKind::Page,
            "funnel" => PageKind::Map,
            _ => PageKind::Custom,
        }
    }
}

/// Everything a page says about itself. The parts few pages have are
/// boxed: a site holds every page's front matter for the whole build, and
/// inline they made each one over 1 KB (over 100 MB at 100,000 pages).
#[derive(Debug, Clone)]
pub(crate) struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub stage: Option<String>,
    pub offer: Option<String>,
    pub layout: Located<String>,
    pub slug: Option<String>,
    pub next: Option<Located<String>>,
    pub cta: Option<String>,
    pub form: Option<Box<FormSpec>>,
    pub price: Option<Price>,
    pub date: Option<String>,
    pub expires: Option<Located<String>>,
    /// `expires: { after_first_visit: 72h }`: a deadline per visitor
    /// instead of a date (then `expires` is `None`).
    pub evergreen: Option<Box<Evergreen>>,
    pub draft: bool,
    pub noindex: Option<bool>,
    pub experiment: Option<Box<Experiment>>,
    /// The social image (`og:image`): a path under `static/`
    /// (`/images/x.jpg`), checked when the build knows the files.
    pub image: Option<Located<String>>,
    /// The hosted checkout of an offer page.
    pub checkout: Option<Box<Checkout>>,
    /// On an upsell: the "no thanks" page (a content path).
    pub decline: Option<Located<String>>,
    /// The alt text of `image`: `None` when not written (a `missing-alt`
    /// warning), `""` for a decorative image.
    pub image_alt: Option<String>,
    pub extra: Value,
}

/// Keys a variant takes from its control and may not set itself: what
/// places the page (its URL, stage and whether it is built) and the
/// experiment itself.
const VARIANT_FIXED: &[(&str, &str)] = &[
    ("experiment", "a variant is part of its control's experiment and cannot run its own"),
    ("slug", "a variant's URL is its control's URL plus the variant id"),
    ("stage", "a variant serves its control's stage"),
    ("draft", "a variant is built when its control is; make the control a draft, or drop the variant from `variants`"),
];

/// The parts of a page file: its YAML text and its Markdown body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    pub yaml: &'a str,
    /// File line of the first YAML line.
    pub yaml_line: usize,
    pub body: &'a str,
    /// File line of the first body line.
    pub body_line: usize,
}

/// Separates the `---` front matter from the body.
pub(crate) fn split<'a>(text: &'a str, file: &str) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_line_end].trim_end() != "---" {
        let hint = "start the file with a `---` line, then `title: ...` and the other fields, then another `---` line";
        return Err(Diagnostic::error(
            "missing-front-matter",
            file,
            "the page has no front matter",
        )
        .at(1, 1)
        .with_hint(hint));
    }
    let mut offset = first_line_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let current = text[offset..end].trim_end();
        if current == "---" || current == "..." {
            return Ok(Split {
                yaml: &text[first_line_end..offset],
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err(Diagnostic::error(
        "unclosed-front-matter",
        file,
        "the front matter is never closed",
    )
    .at(1, 1)
    .with_hint("add a `---` line after the last front-matter field"))
}

/// Reads and checks the front matter; returns every problem found.
#[cfg(test)]
pub(crate) fn parse(
    split: &Split,
    file: &str,
    config: &Config,
) -> Result<FrontMatter, Vec<Diagnostic>> {
    let (front, errors) = parse_partial(split, file, config)?;
    if errors.is_empty() {
        Ok(front)
    } else {
        Err(errors)
    }
}

/// Reads the front matter as far as it goes: what parsed (a bad field left
/// at its default), with every problem found. `Err` when the YAML itself
/// does not parse.
pub(crate) fn parse_partial(
    split: &Split,
    file: &str,
    config: &Config,
) -> Result<(FrontMatter, Vec<Diagnostic>), Vec<Diagnostic>> {
    let source = Source::new(split.yaml, file, split.yaml_line);
    let map = source.parse_mapping("front matter").map_err(|d| vec![d])?;
    Ok(read(&map, source, config, Vec::new()))
}

/// The front matter of a variant page: `control` (its control's front
/// matter, as a mapping) with the variant's own keys over it, key by key;
/// and the keys the variant sets itself, in its file's order.
pub(crate) fn parse_variant(
    split: &Split,
    file: &str,
    config: &Config,
    control: &Mapping,
) -> Result<(FrontMatter, Vec<String>), Vec<Diagnostic>> {
    let source = Source::new(split.yaml, file, split.yaml_line);
    let own = source.parse_mapping("front matter").map_err(|d| vec![d])?;
    let own_keys = (own.keys().filter_map(|k| k.as_str()))
        .map(str::to_string)
        .collect();
    let mut errors = Vec::new();
    let mut merged = control.clone();
    merged.remove("experiment");
    for (key, value) in own {
        let fixed = VARIANT_FIXED.iter().find(|(k, _)| key.as_str() == Some(*k));
        match fixed {
            Some((key, why)) => {
                let message = format!("a variant page cannot set `{key}`");
                let diagnostic = Diagnostic::error("invalid-variant", file, message)
                    .at_pos(source.locate_key(&[key]))
                    .with_hint(*why);
                errors.push(diagnostic);
            }
            None => {
                merged.insert(key, value);
            }
        }
    }
    let (front, errors) = read(&merged, source, config, errors);
    if errors.is_empty() {
        Ok((front, own_keys))
    } else {
        Err(errors)
    }
}

/// `checkout:`, and an error at its `price_id` when the site opens
/// checkouts in overlays but has no Paddle token to open this one with.
fn read_checkout(fields: &mut Fields, config: &Config) -> Option<Checkout> {
    let checkout = checkout::read_page(fields)?;
    let price = checkout.price_id.as_ref();
    if let Some(price) = price.filter(|_| config.checkout_overlay && config.paddle_token.is_none())
    {
        let message =
            "`checkout.price_id` opens Paddle's overlay, which needs the site's `paddle_token`";
        let hint = "add `paddle_token: test_...` (a client-side token from Paddle > Developer tools > Authentication) to site.yaml, or remove `price_id` to keep the plain link";
        let error = fields.error("missing-paddle-token", "checkout", message);
        if let Some(pos) = price.pos {
            (error.line, error.column) = (Some(pos.line), Some(pos.column));
        }
        error.hint = Some(hint.into());
    }
    Some(checkout)
}

/// Reads every field of `map`, whose positions are those of `source`.
fn read(
    map: &Mapping,
    source: Source,
    config: &Config,
    errors: Vec<Diagnostic>,
) -> (FrontMatter, Vec<Diagnostic>) {
    let mut fields = Fields::new(map, source);
    fields.errors = errors;
    fields.reject_unknown(KNOWN_KEYS);

    let title = fields.required_string(
        "title",
        "add a line like `title: The 7-day home roasting guide`",
    );
    let front = FrontMatter {
        title: title.unwrap_or_default(),
        description: fields.get("description", "text"),
        stage: read_stage(&mut fields, config),
        offer: read_offer(&mut fields, config),
        layout: read_layout(&mut fields),
        slug: read_slug(&mut fields),
        next: read_located(&mut fields, "next"),
        cta: fields.get("cta", "text"),
        form: read_form(&mut fields).map(Box::new),
        price: read_price(&mut fields),
        date: read_date(&mut fields, "date"),
        expires: read_expires(&mut fields),
        evergreen: evergreen_expires(&mut fields).map(Box::new),
        draft: fields.get("draft", "true or false").unwrap_or(false),
        noindex: fields.get("noindex", "true or false"),
        experiment: experiment::read(&mut fields).map(Box::new),
        image: read_image(&mut fields),
        checkout: read_checkout(&mut fields, config).map(Box::new),
        decline: read_located(&mut fields, "decline"),
        image_alt: fields.get("image_alt", "text"),
        extra: config::read_extra(&mut fields, "extra"),
    };
    (front, fields.errors)
}

fn read_stage(fields: &mut Fields, config: &Config) -> Option<String> {
    let stage: String = fields.get("stage", "a journey stage id")?;
    if config.stage_index(&stage).is_some() {
        return Some(stage);
    }
    let ids: Vec<&str> = config.journey.iter().map(|s| s.id.as_str()).collect();
    let message = format!(
        "unknown stage \"{stage}\"{}",
        suggestion(&stage, ids.iter().copied())
    );
    fields.error("unknown-stage", "stage", message).hint =
        Some(format!("the journey's stages are: {}", ids.join(", ")).into());
    None
}

fn read_offer(fields: &mut Fields, config: &Config) -> Option<String> {
    let offer: String = fields.get("offer", "an offer type id")?;
    if config.offer(&offer).is_some() {
        return Some(offer);
    }
    let ids: Vec<&str> = config.offers.iter().map(|o| o.id.as_str()).collect();
    let message = format!(
        "unknown offer \"{offer}\"{}",
        suggestion(&offer, ids.iter().copied())
    );
    let hint = format!(
        "known offers: {}; add your own under `offers:` in site.yaml",
        ids.join(", ")
    );
    fields.error("unknown-offer", "offer", message).hint = Some(hint.into());
    None
}

impl FrontMatter {
    /// What the page's layout makes it.
    pub(crate) fn kind(&self) -> PageKind {
        PageKind::of(&self.layout.value)
    }
}

fn read_layout(fields: &mut Fields) -> Located<String> {
    let pos = fields.pos("layout");
    let value: Option<String> = fields.get(
        "layout",
        "a template name such as `landing`, `optin` or `thankyou`",
    );
    let value = value.unwrap_or_else(|| "landing".into());
    let valid = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/'))
        && !value.starts_with('/');
    if !valid {
        fields.error(
            "invalid-value",
            "layout",
            format!("layout \"{value}\" is not a template name"),
        );
    } else if PageKind::of(&value) == PageKind::Map {
        // funnel.html draws the map, from a context no page has.
        let message =
            "layout \"funnel\" is the funnel map's own: funnelcake builds the map at /funnel/";
        fields.error("invalid-value", "layout", message).hint =
            Some("use `landing`, `page` or a template of your own; `funnel_map: false` in site.yaml turns the map off".into());
    }
    Located { value, pos }
}

fn read_slug(fields: &mut Fields) -> Option<String> {
    let slug: String = fields.get("slug", "a URL segment such as `roasting-guide`")?;
    let suggested = crate::base::url::slugify(&slug);
    if suggested == slug && !slug.is_empty() {
        return Some(slug);
    }
    let message = format!("slug \"{slug}\" is not a single URL segment");
    let hint = if suggested.is_empty() {
        "use letters, digits, `-` and `_`".to_string()
    } else {
        format!("use `slug: {suggested}`")
    };
    fields.error("invalid-slug", "slug", message).hint = Some(hint.into());
    None
}

fn read_located(fields: &mut Fields, key: &'static str) -> Option<Located<String>> {
    let pos = fields.pos(key);
    let value: String = fields.get(key, "a content path such as `offers/starter-kit.md`")?;
    Some(Located { value, pos })
}

fn read_form(fields: &mut Fields) -> Option<FormSpec> {
    let pos = fields.source().locate_key(&["form"]);
    let shape = "(fields, submit, thank_you, ...)";
    fields.section("form", shape, FORM_KEYS, |form| FormSpec {
        fields: read_form_fields(form),
        submit: form.get("submit", "text"),
        thank_you: read_located(form, "thank_you"),
        consent: form.get("consent", "text"),
        provider_pos: form.pos("provider"),
        provider: read_provider(form),
        action: read_located(form, "action"),
        mailchimp: config::read_mailchimp(form),
        pos,
    })
}

fn read_image(fields: &mut Fields) -> Option<Located<String>> {
    let pos = fields.pos("image");
    let value: String = fields.get("image", "a path such as `/images/cover.jpg`")?;
    // `/images/x.jpg` is under static/; `cover.jpg` is beside the page.
    let valid = !value.is_empty()
        && !value.starts_with("//")
        && !value.contains(['\\', ':', '?', '#'])
        && !value.split('/').any(|part| part == "..")
        && !value.ends_with('/');
    if valid {
        return Some(Located { value, pos });
    }
    let message = format!("image \"{value}\" must be a file under static/ (`/images/cover.jpg`) or beside the page (`cover.jpg`)");
    let hint = "put the file in static/images/ and write `image: /images/cover.jpg`, or next to the page's Markdown file";
    fields.error("invalid-value", "image", message).hint = Some(hint.into());
    None
}

fn read_provider(form: &mut Fields) -> Option<Provider> {
    let provider: String = form.get("provider", "a form provider")?;
    if let Some(known) = Provider::from_name(&provider) {
        return Some(known);
    }
    let names = Provider::names();
    let message = format!(
        "unknown form provider \"{provider}\"{}",
        suggestion(&provider, names.iter().copied())
    );
    form.error("invalid-value", "provider", message).hint =
        Some(format!("choose one of: {}", names.join(", ")).into());
    None
}

fn read_form_fields(form: &mut Fields) -> Vec<FormField> {
    let Some(raw) = form.raw("fields") else {
        return vec![FormField::from_name("email")];
    };
    let Value::Sequence(items) = raw else {
        form.error(
            "invalid-value",
            "fields",
            "`form.fields` must be a list such as `[name, email]`",
        );
        return Vec::new();
    };
    let mut result: Vec<FormField> = Vec::new();
    for item in items {
        let field = match read_form_field(item) {
            Ok(field) => field,
            Err((code, message, hint)) => {
                form.error(code, "fields", message).hint = hint.map(Into::into);
                continue;
            }
        };
        if let Err((message, hint)) = check_form_field(&field, &result) {
            form.error("invalid-value", "fields", message).hint = hint.map(Into::into);
            continue;
        }
        match select_options(item, &field, form) {
            Ok(options) => result.push(FormField { options, ..field }),
            Err(diagnostic) => form.errors.push(diagnostic),
        }
    }
    result
}

/// The `options:` of a `select` field: a list of distinct, non-empty
/// choices, each posted as written. Any other type takes none. Errors are
/// at the option, or the field, they are about.
fn select_options(
    item: &Value,
    field: &FormField,
    form: &Fields,
) -> Result<Vec<String>, Diagnostic> {
    let raw = item.get("options").filter(|v| !v.is_null());
    let source = form.source();
    let field_pos = form
        .pos("fields")
        .and_then(|at| source.find_word(at, &field.name));
    let options_pos = field_pos.and_then(|at| source.find_word(at, "options"));
    let name = &field.name;
    let error = |message: String, pos: Option<Pos>| {
        Diagnostic::error("invalid-value", source.file, message).at_pos(pos.or(field_pos))
    };
    let example = format!("`{{ name: {name}, type: select, options: [Starter, Pro, Agency] }}`");
    if field.kind != FieldType::Select {
        return match raw {
            None => Ok(Vec::new()),
            Some(_) => Err(error(
                format!("`options` is only for a select field, and \"{name}\" is not one"),
                options_pos,
            )
            .with_hint(format!(
                "write `type: select` to make it a drop-down: {example}"
            ))),
        };
    }
    let Some(Value::Sequence(items)) = raw else {
        let message = match raw {
            None => format!("select field \"{name}\" needs `options:`, the choices to pick from"),
            Some(other) => format!(
                "`options` of select field \"{name}\" must be a list of choices, found {}",
                describe(other)
            ),
        };
        return Err(error(message, options_pos).with_hint(format!("list them: {example}")));
    };
    if items.is_empty() {
        let message = format!("select field \"{name}\" has no options to pick from");
        return Err(error(message, options_pos).with_hint(format!("list them: {example}")));
    }
    let list = OptionList {
        field: name,
        source,
        pos: options_pos,
    };
    list.read(items)
        .map_err(|(message, hint, pos)| error(message, pos).with_hint(hint))
}

/// The items of a select's `options:`, and where that list starts.
struct OptionList<'a> {
    field: &'a str,
    source: Source<'a>,
    pos: Option<Pos>,
}

impl OptionList<'_> {
    /// The options as text, or the first bad one's message, hint and place.
    fn read(&self, items: &[Value]) -> Result<Vec<String>, (String, &'static str, Option<Pos>)> {
        let (name, source) = (self.field, self.source);
        let mut options: Vec<String> = Vec::new();
        let mut from = self.pos;
        for (index, item) in items.iter().enumerate() {
            let text = match item {
                Value::String(text) => text.trim().to_string(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                _ => String::new(),
            };
            let pos = from.and_then(|at| source.find_word(at, &text).filter(|_| !text.is_empty()));
            if text.is_empty() {
                let quoted = from.and_then(|at| {
                    (source.find_word(at, "\"\"")).or_else(|| source.find_word(at, "''"))
                });
                let message = format!("option {} of select field \"{name}\" is empty", index + 1);
                let hint =
                    "give every option its text; the theme adds the empty \"choose…\" option itself";
                return Err((message, hint, quoted.or(from)));
            }
            if options.contains(&text) {
                let message =
                    format!("option \"{text}\" of select field \"{name}\" is listed twice");
                return Err((message, "list each choice once", pos.or(from)));
            }
            // The next option is written after this one.
            from = pos
                .map(|p| Pos::new(p.line, p.column + text.chars().count()))
                .or(from);
            options.push(text);
        }
        Ok(options)
    }
}

/// One entry of `fields:`: a name, or `{ name, type, label, required }`
/// over the defaults that name implies. The error is a code, a message
/// and a hint.
fn read_form_field(item: &Value) -> Result<FormField, FieldError> {
    #[derive(Deserialize)]
    struct RawField {
        name: String,
        #[serde(rename = "type")]
        kind: Option<String>,
        label: Option<String>,
        required: Option<bool>,
    }
    let map = match item {
        Value::String(name) => return Ok(FormField::from_name(name)),
        Value::Mapping(map) => map,
        _ => {
            let message = "each form field is a name or `{ name, type, label, required }`";
            return Err(("invalid-value", message.into(), None));
        }
    };
    let unknown = (map.keys().filter_map(Value::as_str)).find(|k| !FIELD_KEYS.contains(k));
    if let Some(key) = unknown {
        let message = format!(
            "unknown key `{key}` in a form field{}",
            suggestion(key, FIELD_KEYS.iter().copied())
        );
        return Err(("unknown-key", message, None));
    }
    let Ok(raw) = crate::base::yaml::from_value::<RawField>(item.clone()) else {
        let message =
            "a form field needs at least `name:`, with optional `type`, `label` and `required`";
        return Err(("invalid-value", message.into(), None));
    };
    let mut field = FormField::from_name(&raw.name);
    if let Some(kind) = raw.kind {
        field.kind = field_type(&raw.name, &kind)?;
    }
    field.label = raw.label.or(field.label);
    field.required = raw.required.unwrap_or(field.required);
    Ok(field)
}

/// A field's name and type are valid, and no earlier field has its name.
fn check_form_field(
    field: &FormField,
    earlier: &[FormField],
) -> Result<(), (String, Option<String>)> {
    if !is_field_name(&field.name) {
        return Err((name_error(&field.name), None));
    }
    if earlier.iter().any(|f| f.name == field.name) {
        return Err((
            format!("form field \"{}\" is listed twice", field.name),
            None,
        ));
    }
    Ok(())
}

/// A form field's error: its code, message and hint.
type FieldError = (&'static str, String, Option<String>);

/// The type a field's `type:` names. A bad name of the field is the error
/// that comes first, as it did when types were checked after names.
fn field_type(name: &str, kind: &str) -> Result<FieldType, FieldError> {
    if let Some(known) = FieldType::from_name(kind) {
        return Ok(known);
    }
    if !is_field_name(name) {
        return Err(("invalid-value", name_error(name), None));
    }
    let names = FieldType::names();
    let message = format!(
        "unknown field type \"{kind}\"{}",
        suggestion(kind, names.iter().copied())
    );
    let hint = format!("field types: {}", names.join(", "));
    Err(("invalid-value", message, Some(hint)))
}

fn name_error(name: &str) -> String {
    format!("form field name \"{name}\" must be letters, digits, `_` or `-`")
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl FormField {
    /// A field from its name alone, with the type and requirement a marketer expects.
    pub(crate) fn from_name(name: &str) -> FormField {
        let (kind, required) = match name {
            "email" => (FieldType::Email, true),
            "phone" | "tel" => (FieldType::Tel, false),
            "website" | "url" => (FieldType::Url, false),
            "message" => (FieldType::Textarea, false),
            _ => (FieldType::Text, false),
        };
        FormField {
            name: name.to_string(),
            kind,
            label: None,
            required,
            options: Vec::new(),
        }
    }
}

fn read_price(fields: &mut Fields) -> Option<Price> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawPrice {
        amount: f64,
        currency: String,
    }
    let expected = "`{ amount: 9, currency: EUR }`";
    let raw: RawPrice = fields.get("price", expected)?;
    if !raw.amount.is_finite() || raw.amount < 0.0 {
        fields.error(
            "invalid-value",
            "price",
            format!("price amount {} must be zero or more", raw.amount),
        );
        return None;
    }
    let currency = raw.currency.trim().to_ascii_uppercase();
    if !ISO_4217.contains(&currency.as_str()) {
        let message = format!(
            "currency \"{}\" is not an ISO 4217 code such as EUR or USD",
            raw.currency
        );
        // Toman is how Iran speaks of prices, but no standard code names it.
        let hint = if currency == "IRT" || currency == "TOMAN" {
            "Persian sites price in rial: `currency: IRR` with the amount in rials (ten rials to the toman); a theme may still show toman".to_string()
        } else {
            format!(
                "use the three-letter code of the currency{}",
                suggestion(&currency, ISO_4217.iter().copied())
            )
        };
        fields.error("invalid-value", "price", message).hint = Some(hint.into());
        return None;
    }
    Some(Price {
        amount: raw.amount,
        currency,
    })
}

/// The active currency codes of ISO 4217 (list one), without the codes
/// for testing (`XTS`) and for no currency (`XXX`): what schema.org's
/// `priceCurrency` and Google's rich results accept.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD",
    "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG",
];

/// `expires:` as a date; the mapping form is [`evergreen_expires`].
fn read_expires(fields: &mut Fields) -> Option<Located<String>> {
    if matches!(fields.raw("expires"), Some(Value::Mapping(_))) {
        return None;
    }
    let pos = fields.pos("expires");
    read_date(fields, "expires").map(|value| Located { value, pos })
}

fn evergreen_expires(fields: &mut Fields) -> Option<Evergreen> {
    if !matches!(fields.raw("expires"), Some(Value::Mapping(_))) {
        return None;
    }
    evergreen::read(fields)
}

fn read_date(fields: &mut Fields, key: &'static str) -> Option<String> {
    let value: String = fields.get(key, "a date such as `2026-11-01` or `2026-12-01T00:00:00Z`")?;
    if crate::base::date::is_date(&value) {
        return Some(value);
    }
    let message = format!("`{key}` \"{value}\" is not a date");
    fields.error("invalid-date", key, message).hint =
        Some("write `2026-11-01` or `2026-12-01T00:00:00Z`".into());
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        config::parse("title: t\nbase_url: https://example.com\n").unwrap()
    }

    fn parse_page(text: &str) -> Result<FrontMatter, Vec<String>> {
        let split = split(text, "content/p.md").map_err(|d| vec![d.to_string()])?;
        parse(&split, "content/p.md", &config())
            .map_err(|ds| ds.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn splits_front_matter_and_counts_body_lines() {
        let s = split("---\ntitle: a\n---\n# Hi\n", "f").unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.body, "# Hi\n");
        assert_eq!(s.body_line, 4);
        let crlf = split("\u{feff}---\r\ntitle: a\r\n---\r\nbody", "f").unwrap();
        assert_eq!(crlf.body, "body");
    }

    #[test]
    fn missing_and_unclosed_front_matter_have_hints() {
        let missing = split("# Hello\n", "content/p.md").unwrap_err();
        assert_eq!(missing.code, "missing-front-matter");
        assert!(missing.hint.unwrap().contains("`---`"));
        let unclosed = split("---\ntitle: a\n# body\n", "content/p.md").unwrap_err();
        assert_eq!(
            unclosed.to_string().lines().next().unwrap(),
            "error: content/p.md:1:1: the front matter is never closed"
        );
    }

    #[test]
    fn reads_every_field() {
        let page = parse_page(
            "---\ntitle: Guide\nstage: subscribe\noffer: lead_magnet\nlayout: optin\nslug: guide\nnext: offers/kit.md\n\
             form:\n  fields: [name, email, { name: company, label: Company, required: true }]\n  thank_you: thanks.md\n\
             price: { amount: 9, currency: eur }\ndate: 2026-11-01\nexpires: 2026-12-01T00:00:00Z\ndraft: true\n---\nBody\n",
        )
        .unwrap();
        assert_eq!(page.stage.as_deref(), Some("subscribe"));
        assert_eq!(page.layout.value, "optin");
        assert_eq!(page.next.as_ref().unwrap().pos, Some(Pos::new(7, 7)));
        let form = page.form.unwrap();
        assert_eq!(form.fields.len(), 3);
        assert_eq!(form.fields[1].kind, FieldType::Email);
        assert!(form.fields[1].required);
        assert!(form.fields[2].required);
        assert_eq!(form.thank_you.unwrap().pos, Some(Pos::new(10, 14)));
        assert_eq!(page.price.unwrap().currency, "EUR");
        assert!(page.draft);
    }

    #[test]
    fn reports_every_bad_field_at_its_position() {
        let errors = parse_page(
            "---\nstage: subscibe\noffer: leadmagnet\nslug: a/b\ndate: 2026-02-30\n---\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors[0].starts_with("error: content/p.md:2:1: missing required field `title`"),
            "{}",
            errors[0]
        );
        assert!(errors[1].starts_with(
            "error: content/p.md:2:8: unknown stage \"subscibe\" (did you mean \"subscribe\"?)"
        ));
        assert!(errors[2].starts_with(
            "error: content/p.md:3:8: unknown offer \"leadmagnet\" (did you mean \"lead_magnet\"?)"
        ));
        assert!(errors[3]
            .starts_with("error: content/p.md:4:7: slug \"a/b\" is not a single URL segment"));
        assert!(
            errors[4].starts_with("error: content/p.md:5:7: `date` \"2026-02-30\" is not a date")
        );
    }

    #[test]
    fn the_map_layout_is_not_a_page_layout() {
        let errors = parse_page("---\ntitle: T\nlayout: funnel\n---\n").unwrap_err();
        assert!(
            errors[0]
                .starts_with("error: content/p.md:3:9: layout \"funnel\" is the funnel map's own"),
            "{errors:?}"
        );
    }

    #[test]
    fn checkout_errors_are_at_their_line() {
        let errors = parse_page(
            "---\ntitle: T\ncheckout:\n  provider: strpe\n  url: https://buy.stripe.com/x\n  success: s.md\n---\n",
        )
        .unwrap_err();
        assert_eq!(
            errors[0].lines().next().unwrap(),
            "error: content/p.md:4:13: unknown checkout provider \"strpe\" (did you mean \"stripe\"?)"
        );
        let errors = parse_page(
            "---\ntitle: T\ncheckout:\n  provider: gumroad\n  url: http://brew.gumroad.com/l/kit\n---\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0].lines().next().unwrap(),
            "error: content/p.md:5:8: checkout URL \"http://brew.gumroad.com/l/kit\" is not an https: URL"
        );
        assert!(
            errors[1]
                .starts_with("error: content/p.md:3:1: missing required field `checkout.success`"),
            "{errors:?}"
        );
        let page = parse_page(
            "---\ntitle: T\ncheckout: { provider: lemonsqueezy, url: \"https://brew.lemonsqueezy.com/buy/1\", success: s.md }\ndecline: d.md\n---\n",
        )
        .unwrap();
        let checkout = page.checkout.unwrap();
        assert_eq!(
            checkout.provider,
            crate::page::checkout::Provider::LemonSqueezy
        );
        assert_eq!(checkout.success.value, "s.md");
        assert_eq!(page.decline.unwrap().pos, Some(Pos::new(4, 10)));
    }

    #[test]
    fn currencies_are_iso_4217() {
        let page = |currency: &str| {
            parse_page(&format!(
                "---\ntitle: T\nprice: {{ amount: 90000, currency: {currency} }}\n---\n"
            ))
        };
        assert_eq!(page("irr").unwrap().price.unwrap().currency, "IRR");
        let errors = page("IRT").unwrap_err();
        assert!(
            errors[0]
                .starts_with("error: content/p.md:3:8: currency \"IRT\" is not an ISO 4217 code")
                && errors[0].contains("`currency: IRR`"),
            "{errors:?}"
        );
        let errors = page("EUX").unwrap_err();
        assert!(errors[0].contains("(did you mean \"EUR\"?)"), "{errors:?}");
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
    }
}
