//! A page's opt-in form as far as the page and site.yaml decide it: the
//! provider (the page's, else `forms.provider`, else Netlify) and the URL it
//! posts to, checked for safety. The markup itself is made in
//! [`crate::render::forms`].

use crate::base::diagnostics::{Diagnostic, Pos};
use crate::input::config::Config;
use crate::page::content::Page;
use crate::page::front_matter::FormSpec;

/// The provider of a form and where it posts, checked: a provider that
/// needs an `action` has one, and the action is safe. Netlify posts to the
/// thank-you page itself, so it needs none.
pub(crate) fn resolve_action(
    config: &Config,
    page: &Page,
    spec: &FormSpec,
) -> Result<(String, Option<String>), Diagnostic> {
    let provider = spec
        .provider
        .clone()
        .or_else(|| config.forms.provider.clone())
        .unwrap_or_else(|| "netlify".into());
    if provider == "netlify" {
        return Ok((provider, None));
    }
    let pos = spec.action.as_ref().and_then(|a| a.pos).or(spec.pos);
    let action = spec
        .action
        .as_ref()
        .map(|a| a.value.clone())
        .or_else(|| config.forms.action.clone());
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
    Ok((provider, Some(action)))
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
