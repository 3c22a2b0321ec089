//! A page's opt-in form as far as the page and site.yaml decide it: the
//! provider (the page's, else `forms.provider`, else Netlify), whether that
//! provider works on the site's host, and the URL the form posts to,
//! decoded and checked. The markup itself is made in [`crate::render::forms`].

use crate::base::diagnostics::{Diagnostic, Pos};
use crate::base::yaml::Choice;
use crate::input::config::{Config, Deploy, Provider, CONFIG_FILE};
use crate::page::content::Page;
use crate::page::front_matter::FormSpec;

/// The provider of a form and where it posts, checked: a provider that
/// needs an `action` has one, and the action is safe. Netlify posts to the
/// thank-you page itself, so it needs none.
pub(crate) fn resolve_action(
    config: &Config,
    page: &Page,
    spec: &FormSpec,
) -> Result<(Provider, Option<String>), Diagnostic> {
    let provider = provider(config, spec);
    if provider == Provider::Netlify {
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
        let message = format!("the {} form needs an `action` URL", provider.name());
        let hint = "set `action:` under `form:`, or `forms.action` in site.yaml";
        return Err(
            Diagnostic::error("missing-form-action", &page.file, message)
                .at_pos(pos)
                .with_hint(hint),
        );
    };
    check_action(&action, page, pos)?;
    if provider == Provider::Mailchimp && mailchimp_list(&action).is_none() {
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
pub(crate) fn provider(config: &Config, spec: &FormSpec) -> Provider {
    spec.provider.or(config.forms.provider).unwrap_or_default()
}

/// Netlify Forms are collected by Netlify's hosting: the form posts to the
/// thank-you page, which any other host answers with 405, and the lead is
/// lost. An error when site.yaml deploys elsewhere, a warning when it
/// names no host. Said at the line that picks the provider, or at
/// `deploy` when the provider is the default.
pub(crate) fn host_check(config: &Config, page: &Page, spec: &FormSpec) -> Option<Diagnostic> {
    if provider(config, spec) != Provider::Netlify || config.deploy == Deploy::Netlify {
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
    let diagnostic = match config.deploy {
        Deploy::None => Diagnostic::warning(
            "netlify-forms-host",
            file,
            "Netlify Forms need Netlify hosting: only Netlify turns the form's post into a submission",
        )
        .with_hint(format!(
            "set `deploy: netlify` in site.yaml if Netlify hosts the site; on any other host, set {key} to {others}"
        )),
        deploy => {
            let host = if deploy == Deploy::Cloudflare { "Cloudflare Pages" } else { "GitHub Pages" };
            let deploy = deploy.name();
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

/// Only `https:` URLs and root-relative paths may be a form's action; a
/// `javascript:` or plain-http URL would leak or run whatever it holds.
pub(crate) fn check_action(action: &str, page: &Page, pos: Option<Pos>) -> Result<(), Diagnostic> {
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
pub(crate) fn mailchimp_list(action: &str) -> Option<(String, String)> {
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
pub(crate) fn decode_entities(text: &str) -> String {
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
