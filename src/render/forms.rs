//! Opt-in forms: a page's `form:` merged with the site's `forms:` defaults
//! into the [`FormContext`] a theme renders.
//!
//! Every provider gets the same visible fields, labels and hidden funnel
//! fields; what differs is where the form posts and how the provider sends
//! the visitor on to the thank-you page. The form works with JavaScript off.

use crate::base::diagnostics::Diagnostic;
use crate::input::config::{Config, Mailchimp, Provider};
use crate::input::i18n::Strings;
use crate::page::content::Page;
use crate::page::form::{mailchimp_list, resolve_action};
use crate::page::front_matter::{FieldType, FormSpec};
use crate::render::experiments::ExperimentContext;
use serde::Serialize;

pub(crate) const UTM_FIELDS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// One visible field, ready for a template.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FieldContext {
    pub name: String,
    /// The `id` of the input, unique on the page, for the `<label for>`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: String,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
    /// The choices of a `select`, after its empty "choose…" option.
    pub options: Vec<String>,
}

/// A hidden `name=value` input.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HiddenField {
    pub name: String,
    pub value: String,
    /// The UTM parameter this field holds when the provider renames it
    /// (`UTMSOURCE`, `fields[utm_source]`), for `_utm.html` to fill it:
    /// the theme writes it as `data-utm`.
    pub utm: Option<String>,
}

/// Everything a theme needs to render an opt-in form.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FormContext {
    pub provider: Provider,
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

/// The funnel step a form is on.
pub(crate) struct Step<'a> {
    pub page: &'a Page,
    /// The step's URL path: the page's own, or its control's for an A/B
    /// variant, so that leads from every arm land in one form.
    pub path: &'a str,
    pub experiment: Option<&'a ExperimentContext>,
}

/// Builds the form of a step, whose thank-you page has `thank_you_url`
/// (root-relative) and `thank_you_permalink` (absolute).
pub(crate) fn build(
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
        (provider, action.as_deref().unwrap_or_default()),
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
            .map(|f| field_context(f, provider, strings))
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
        privacy_url: config.forms.privacy_href.clone(),
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
        provider: (Provider, &str),
        name: &str,
        mut hidden: Vec<HiddenField>,
        thank_you_permalink: &str,
    ) -> Mechanism {
        let mut attributes = Vec::new();
        let mut honeypot = "company_website".to_string();
        let mut consent_field = ("consent".to_string(), "yes".to_string());
        match provider.0 {
            Provider::Netlify => {
                attributes.push(field("data-netlify", "true"));
                attributes.push(field("data-netlify-honeypot", &honeypot));
                hidden.insert(0, field("form-name", name));
            }
            Provider::Formspree => {
                honeypot = "_gotcha".into();
                hidden.push(field("_next", thank_you_permalink));
            }
            Provider::Mailchimp => {
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
            Provider::Kit => {
                hidden = hidden.into_iter().map(kit_hidden).collect();
                consent_field.0 = "fields[consent]".into();
            }
            Provider::Custom => hidden.push(field("redirect", thank_you_permalink)),
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

fn field_context(
    spec: &crate::page::front_matter::FormField,
    provider: Provider,
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
        kind: spec.kind,
        label,
        required: spec.required,
        autocomplete,
        options: spec.options.clone(),
    }
}

/// The field names each provider expects for the common fields.
fn provider_field_name(provider: Provider, name: &str) -> String {
    let mapped = match (provider, name) {
        (Provider::Mailchimp, "email") => "EMAIL",
        (Provider::Mailchimp, "name" | "first_name") => "FNAME",
        (Provider::Mailchimp, "last_name") => "LNAME",
        (Provider::Mailchimp, "phone") => "PHONE",
        (Provider::Kit, "email") => "email_address",
        (Provider::Kit, "name" | "first_name") => "fields[first_name]",
        // Kit drops every other top-level name; custom fields post as
        // `fields[KEY]`.
        (Provider::Kit, other) => return format!("fields[{other}]"),
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
    use crate::page::form::decode_entities;

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
        assert_eq!(
            provider_field_name(Provider::Kit, "name"),
            "fields[first_name]"
        );
        assert_eq!(
            provider_field_name(Provider::Kit, "last_name"),
            "fields[last_name]"
        );
        assert_eq!(provider_field_name(Provider::Kit, "email"), "email_address");
    }
}
