//! Opt-in forms: a page's `form:` merged with the site's `forms:` defaults
//! into the [`FormContext`] a theme renders.
//!
//! Every provider gets the same visible fields, labels and hidden funnel
//! fields; what differs is where the form posts and how the provider sends
//! the visitor on to the thank-you page. The form works with JavaScript off.

use crate::config::{Config, Mailchimp, CONFIG_FILE};
use crate::content::Page;
use crate::diagnostics::{Diagnostic, Pos};
use crate::experiments::ExperimentContext;
use crate::front_matter::FormSpec;
use crate::i18n::Strings;
use serde::Serialize;

pub const UTM_FIELDS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// One visible field, ready for a template.
#[derive(Debug, Clone, Serialize)]
pub struct FieldContext {
    pub name: String,
    /// The `id` of the input, unique on the page, for the `<label for>`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub label: String,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
}

/// A hidden `name=value` input.
#[derive(Debug, Clone, Serialize)]
pub struct HiddenField {
    pub name: String,
    pub value: String,
    /// The UTM parameter this field holds when the provider renames it
    /// (`UTMSOURCE`, `fields[utm_source]`), for `_utm.html` to fill it:
    /// the theme writes it as `data-utm`.
    pub utm: Option<String>,
}

/// Everything a theme needs to render an opt-in form.
#[derive(Debug, Clone, Serialize)]
pub struct FormContext {
    pub provider: String,
    /// Unique form name (the page path), used by Netlify.
    pub name: String,
    pub action: String,
    pub fields: Vec<FieldContext>,
    pub hidden: Vec<HiddenField>,
    /// Name of the honeypot field that people never see.
    pub honeypot: String,
    pub submit: String,
    pub consent: Option<String>,
    /// The name and value the consent checkbox posts: `consent=yes`, or
    /// what the provider keeps (`gdpr[ID]=Y` for Mailchimp,
    /// `fields[consent]=yes` for Kit).
    pub consent_name: String,
    pub consent_value: String,
    pub privacy_url: Option<String>,
    pub thank_you_url: String,
    /// Extra attributes of the `<form>` element, such as `data-netlify`.
    pub attributes: Vec<HiddenField>,
}

/// The provider of a form and where it posts, checked: a provider that
/// needs an `action` has one, and the action is safe. Netlify posts to the
/// thank-you page itself, so it needs none.
pub fn resolve_action(
    config: &Config,
    page: &Page,
    spec: &FormSpec,
) -> Result<(String, Option<String>), Diagnostic> {
    let provider = provider(config, spec);
    if provider == "netlify" {
        return Ok((provider, None));
    }
    let pos = spec.action.as_ref().and_then(|a| a.pos).or(spec.pos);
    // An action pasted from a provider's embed code is HTML-escaped
    // (`&amp;id=`); the theme escapes it again, so it is decoded here.
    let action = spec
        .action
        .as_ref()
        .map(|a| a.value.clone())
        .or_else(|| config.forms.action.clone())
        .map(|a| decode_entities(&a));
    let Some(action) = action else {
        let message = format!("the {provider} form needs an `action` URL");
        let hint = "set `action:` under `form:`, or `forms.action` in site.yaml";
        return Err(
            Diagnostic::error("missing-form-action", &page.file, message)
                .at_pos(pos)
                .with_hint(hint),
        );
    };
    check_action(&action, page, pos)?;
    if provider == "mailchimp" && mailchimp_list(&action).is_none() {
        let message = format!("\"{action}\" is not a Mailchimp signup URL");
        let hint = "copy the form's action from Mailchimp's embedded form code (Audience → Signup forms → Embedded forms): https://….list-manage.com/subscribe/post?u=…&id=…";
        return Err(
            Diagnostic::error("invalid-form-action", &page.file, message)
                .at_pos(pos)
                .with_hint(hint),
        );
    }
    Ok((provider, Some(action)))
}

/// The provider of a form: the page's, else the site's, else Netlify.
pub fn provider(config: &Config, spec: &FormSpec) -> String {
    spec.provider
        .clone()
        .or_else(|| config.forms.provider.clone())
        .unwrap_or_else(|| "netlify".into())
}

/// Netlify Forms are collected by Netlify's hosting: the form posts to the
/// thank-you page, which any other host answers with 405, and the lead is
/// lost. An error when site.yaml deploys elsewhere, a warning when it
/// names no host. Said at the line that picks the provider, or at
/// `deploy` when the provider is the default.
pub fn host_check(config: &Config, page: &Page, spec: &FormSpec) -> Option<Diagnostic> {
    if provider(config, spec) != "netlify" || config.deploy == "netlify" {
        return None;
    }
    let (file, pos, key) = if spec.provider.is_some() {
        (
            page.file.as_str(),
            spec.provider_pos,
            "the form's `provider:`",
        )
    } else if config.forms.provider.is_some() {
        (CONFIG_FILE, config.forms.provider_pos, "`forms.provider`")
    } else {
        // `deploy: none` is the default, and may not be written at all.
        let pos = config
            .deploy_pos
            .or(config.forms.pos)
            .unwrap_or(Pos::new(1, 1));
        (CONFIG_FILE, Some(pos), "`forms.provider` in site.yaml")
    };
    let others = "formspree, mailchimp, kit or custom (with its `action`)";
    let diagnostic = match config.deploy.as_str() {
        "none" => Diagnostic::warning(
            "netlify-forms-host",
            file,
            "Netlify Forms need Netlify hosting: only Netlify turns the form's post into a submission",
        )
        .with_hint(format!(
            "set `deploy: netlify` in site.yaml if Netlify hosts the site; on any other host, set {key} to {others}"
        )),
        deploy => {
            let host = if deploy == "cloudflare" { "Cloudflare Pages" } else { "GitHub Pages" };
            Diagnostic::error(
                "netlify-forms-host",
                file,
                format!("Netlify Forms do not work on {host} (`deploy: {deploy}`): it answers the form's post with 405 and the lead is lost"),
            )
            .with_hint(format!("on {host}, set {key} to {others}"))
        }
    };
    Some(diagnostic.at_pos(pos))
}

/// The funnel step a form is on.
pub struct Step<'a> {
    pub page: &'a Page,
    /// The step's URL path: the page's own, or its control's for an A/B
    /// variant, so that leads from every arm land in one form.
    pub path: &'a str,
    pub experiment: Option<&'a ExperimentContext>,
}

/// Builds the form of a step, whose thank-you page has `thank_you_url`
/// (root-relative) and `thank_you_permalink` (absolute).
pub fn build(
    config: &Config,
    strings: &Strings,
    step: Step,
    spec: &FormSpec,
    thank_you: (&str, &str),
) -> Result<FormContext, Diagnostic> {
    let page = step.page;
    let (thank_you_url, thank_you_permalink) = thank_you;
    let (provider, action) = resolve_action(config, page, spec)?;
    let name = form_name(step.path);
    let mechanism = Mechanism::new(
        config,
        spec,
        (&provider, action.as_deref().unwrap_or_default()),
        &name,
        funnel_fields(&step),
        thank_you_permalink,
    );
    let Mechanism {
        hidden,
        attributes,
        honeypot,
        consent_field,
    } = mechanism;
    Ok(FormContext {
        fields: spec
            .fields
            .iter()
            .map(|f| field_context(f, &provider, strings))
            .collect(),
        submit: spec
            .submit
            .clone()
            .or_else(|| page.meta.cta.clone())
            .unwrap_or_else(|| strings.get("subscribe").unwrap_or("Subscribe").to_string()),
        consent: spec
            .consent
            .clone()
            .or_else(|| config.forms.consent.clone()),
        consent_name: consent_field.0,
        consent_value: consent_field.1,
        privacy_url: config.forms.privacy_url.clone(),
        thank_you_url: thank_you_url.to_string(),
        action: action.unwrap_or_else(|| thank_you_url.to_string()),
        provider,
        name,
        hidden,
        honeypot,
        attributes,
    })
}

/// What differs between providers: the hidden fields under the names the
/// provider keeps, the `<form>` attributes, the honeypot's name and what
/// the consent checkbox posts.
struct Mechanism {
    hidden: Vec<HiddenField>,
    attributes: Vec<HiddenField>,
    honeypot: String,
    consent_field: (String, String),
}

impl Mechanism {
    /// `provider` is the provider and its action; `hidden` the funnel fields.
    fn new(
        config: &Config,
        spec: &FormSpec,
        provider: (&str, &str),
        name: &str,
        mut hidden: Vec<HiddenField>,
        thank_you_permalink: &str,
    ) -> Mechanism {
        let mut attributes = Vec::new();
        let mut honeypot = "company_website".to_string();
        let mut consent_field = ("consent".to_string(), "yes".to_string());
        match provider.0 {
            "netlify" => {
                attributes.push(field("data-netlify", "true"));
                attributes.push(field("data-netlify-honeypot", &honeypot));
                hidden.insert(0, field("form-name", name));
            }
            "formspree" => {
                honeypot = "_gotcha".into();
                hidden.push(field("_next", thank_you_permalink));
            }
            "mailchimp" => {
                let (u, id) = mailchimp_list(provider.1).unwrap_or_default();
                honeypot = format!("b_{u}_{id}");
                let settings = match &spec.mailchimp {
                    Some(own) => own.over(&config.forms.mailchimp),
                    None => config.forms.mailchimp.clone(),
                };
                hidden = mailchimp_hidden(hidden, &settings);
                if let Some(id) = &settings.gdpr {
                    consent_field = (format!("gdpr[{id}]"), "Y".into());
                }
            }
            "kit" => {
                hidden = hidden.into_iter().map(kit_hidden).collect();
                consent_field.0 = "fields[consent]".into();
            }
            _ => hidden.push(field("redirect", thank_you_permalink)),
        }
        Mechanism {
            hidden,
            attributes,
            honeypot,
            consent_field,
        }
    }
}

fn field(name: &str, value: &str) -> HiddenField {
    HiddenField {
        name: name.to_string(),
        value: value.to_string(),
        utm: None,
    }
}

/// The same hidden field under the name a provider keeps.
fn renamed(hidden: HiddenField, name: String) -> HiddenField {
    let utm = UTM_FIELDS
        .contains(&hidden.name.as_str())
        .then(|| hidden.name.clone());
    HiddenField {
        name,
        utm,
        ..hidden
    }
}

/// Mailchimp drops every field that is not a merge tag of the list: a
/// hidden field is posted only under the merge tag the site maps it to.
fn mailchimp_hidden(hidden: Vec<HiddenField>, settings: &Mailchimp) -> Vec<HiddenField> {
    hidden
        .into_iter()
        .filter_map(|f| {
            let tag = settings.merge.get(&f.name)?.clone();
            Some(renamed(f, tag))
        })
        .collect()
}

/// Kit keeps custom fields only as `fields[KEY]`.
fn kit_hidden(hidden: HiddenField) -> HiddenField {
    let name = format!("fields[{}]", hidden.name);
    renamed(hidden, name)
}

fn form_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "home".into()
    } else {
        trimmed.replace('/', "-")
    }
}

fn funnel_fields(step: &Step) -> Vec<HiddenField> {
    let meta = &step.page.meta;
    let mut fields = vec![
        field("funnel_page", step.path),
        field("funnel_stage", meta.stage.as_deref().unwrap_or("")),
        field("funnel_offer", meta.offer.as_deref().unwrap_or("")),
    ];
    if let Some(experiment) = step.experiment {
        fields.push(field("funnel_experiment", &experiment.id));
        fields.push(field("funnel_variant", &experiment.variant));
    }
    fields.extend(UTM_FIELDS.iter().map(|name| field(name, "")));
    fields
}

/// Only `https:` URLs and root-relative paths may be a form's action; a
/// `javascript:` or plain-http URL would leak or run whatever it holds.
fn check_action(action: &str, page: &Page, pos: Option<Pos>) -> Result<(), Diagnostic> {
    let ok =
        action.starts_with("https://") || (action.starts_with('/') && !action.starts_with("//"));
    if ok && !action.contains(char::is_whitespace) {
        return Ok(());
    }
    let message =
        format!("form action \"{action}\" must be an https: URL or a path starting with `/`");
    Err(Diagnostic::error("invalid-form-action", &page.file, message).at_pos(pos))
}

/// The `u` (account) and `id` (list) of a Mailchimp signup URL,
/// `https://<dc>.list-manage.com/subscribe/post?u=…&id=…`; `None` for any
/// other URL. Mailchimp's honeypot is named `b_<u>_<id>` after them.
fn mailchimp_list(action: &str) -> Option<(String, String)> {
    let rest = action.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let account = host.strip_suffix(".list-manage.com")?;
    let (path, query) = path.split_once('?')?;
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !account.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) || path.trim_end_matches('/') != "subscribe/post"
    {
        return None;
    }
    let param = |key: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .filter(|v| word(v))
            .map(str::to_string)
    };
    Some((param("u")?, param("id")?))
}

/// Decodes the character references an HTML attribute may hold (`&amp;`,
/// `&#38;`, `&#x26;`, `&quot;`, ...). Written by hand: these few are all a
/// pasted URL carries, and no dependency of the build decodes them.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let c = match &rest[1..end] {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                name => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => number.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn field_context(
    spec: &crate::front_matter::FormField,
    provider: &str,
    strings: &Strings,
) -> FieldContext {
    let (label, autocomplete) = match spec.name.as_str() {
        "email" => ("Email", Some("email")),
        "name" => ("Name", Some("name")),
        "first_name" => ("First name", Some("given-name")),
        "last_name" => ("Last name", Some("family-name")),
        "phone" | "tel" => ("Phone", Some("tel")),
        "company" => ("Company", Some("organization")),
        "website" | "url" => ("Website", Some("url")),
        "address" | "street" => ("Street address", Some("address-line1")),
        "postcode" | "postal_code" | "zip" => ("Postcode", Some("postal-code")),
        "city" => ("City", Some("address-level2")),
        "country" => ("Country", Some("country-name")),
        _ => ("", None),
    };
    let translated = strings.get(&format!("field_{}", spec.name));
    let label = spec.label.clone().unwrap_or_else(|| {
        if let Some(text) = translated {
            text.to_string()
        } else if label.is_empty() {
            humanize(&spec.name)
        } else {
            label.to_string()
        }
    });
    FieldContext {
        name: provider_field_name(provider, &spec.name),
        id: format!("field-{}", spec.name),
        kind: spec.kind.clone(),
        label,
        required: spec.required,
        autocomplete,
    }
}

/// The field names each provider expects for the common fields.
fn provider_field_name(provider: &str, name: &str) -> String {
    let mapped = match (provider, name) {
        ("mailchimp", "email") => "EMAIL",
        ("mailchimp", "name" | "first_name") => "FNAME",
        ("mailchimp", "last_name") => "LNAME",
        ("mailchimp", "phone") => "PHONE",
        ("kit", "email") => "email_address",
        ("kit", "name" | "first_name") => "fields[first_name]",
        // Kit drops every other top-level name; custom fields post as
        // `fields[KEY]`.
        ("kit", other) => return format!("fields[{other}]"),
        _ => name,
    };
    mapped.to_string()
}

fn humanize(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailchimp_lists_come_from_the_url() {
        let url = "https://x.us1.list-manage.com/subscribe/post?u=abc123&id=def456";
        let list = Some(("abc123".to_string(), "def456".to_string()));
        assert_eq!(mailchimp_list(url), list);
        let reordered = "https://x.us1.list-manage.com/subscribe/post?id=def456&f_id=00a&u=abc123";
        assert_eq!(mailchimp_list(reordered), list);
        for bad in [
            "https://x/subscribe",
            "https://x.us1.list-manage.com/subscribe/post?u=abc123",
            "https://x.us1.list-manage.com/subscribe/post?u=abc123&amp;id=def456",
            "https://x.us1.list-manage.com/subscribe/post-json?u=abc123&id=def456",
            "https://list-manage.com.evil.example/subscribe/post?u=a&id=b",
            "https://formspree.io/f/abc",
        ] {
            assert_eq!(mailchimp_list(bad), None, "{bad}");
        }
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(decode_entities("a?u=1&amp;id=2"), "a?u=1&id=2");
        assert_eq!(decode_entities("&#38;&#x26;&quot;&lt;"), "&&\"<");
        assert_eq!(
            decode_entities("a & b &unknown; &amp"),
            "a & b &unknown; &amp"
        );
    }

    #[test]
    fn names_and_labels() {
        assert_eq!(form_name("/"), "home");
        assert_eq!(form_name("/guides/roasting/"), "guides-roasting");
        assert_eq!(humanize("favourite_bean"), "Favourite bean");
        assert_eq!(provider_field_name("kit", "name"), "fields[first_name]");
        assert_eq!(provider_field_name("kit", "last_name"), "fields[last_name]");
        assert_eq!(provider_field_name("kit", "email"), "email_address");
    }
}
