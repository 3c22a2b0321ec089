//! Opt-in forms: a page's `form:` merged with the site's `forms:` defaults
//! into the [`FormContext`] a theme renders.
//!
//! Every provider gets the same visible fields, labels and hidden funnel
//! fields; what differs is where the form posts and how the provider sends
//! the visitor on to the thank-you page. The form works with JavaScript off.

use crate::base::diagnostics::Diagnostic;
use crate::input::config::Config;
use crate::input::i18n::Strings;
use crate::page::content::Page;
use crate::page::front_matter::FormSpec;
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
    pub kind: String,
    pub label: String,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
}

/// A hidden `name=value` input.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HiddenField {
    pub name: String,
    pub value: String,
}

/// Everything a theme needs to render an opt-in form.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FormContext {
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
    let (provider, action) = crate::page::form::resolve_action(config, page, spec)?;
    let name = form_name(step.path);
    let mut hidden = funnel_fields(&step);
    let mut attributes = Vec::new();
    let mut honeypot = "company_website".to_string();
    match provider.as_str() {
        "netlify" => {
            attributes.push(field("data-netlify", "true"));
            attributes.push(field("data-netlify-honeypot", &honeypot));
            hidden.insert(0, field("form-name", &name));
        }
        "formspree" => {
            honeypot = "_gotcha".into();
            hidden.push(field("_next", thank_you_permalink));
        }
        "mailchimp" => {
            let url = action.as_deref().unwrap_or_default();
            honeypot = mailchimp_honeypot(url).unwrap_or_else(|| "b_honeypot".into());
        }
        "kit" => {}
        _ => hidden.push(field("redirect", thank_you_permalink)),
    }
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

fn field(name: &str, value: &str) -> HiddenField {
    HiddenField {
        name: name.to_string(),
        value: value.to_string(),
    }
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

/// Mailchimp's honeypot is named `b_<u>_<id>` after the list's URL.
fn mailchimp_honeypot(action: &str) -> Option<String> {
    let query = action.split_once('?')?.1;
    let param = |key: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    };
    Some(format!("b_{}_{}", param("u")?, param("id")?))
}

fn field_context(
    spec: &crate::page::front_matter::FormField,
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
    fn mailchimp_honeypot_comes_from_the_url() {
        let url = "https://x.us1.list-manage.com/subscribe/post?u=abc123&id=def456";
        assert_eq!(mailchimp_honeypot(url).as_deref(), Some("b_abc123_def456"));
        assert_eq!(mailchimp_honeypot("https://x/subscribe"), None);
    }

    #[test]
    fn names_and_labels() {
        assert_eq!(form_name("/"), "home");
        assert_eq!(form_name("/guides/roasting/"), "guides-roasting");
        assert_eq!(humanize("favourite_bean"), "Favourite bean");
        assert_eq!(provider_field_name("kit", "name"), "fields[first_name]");
    }
}
