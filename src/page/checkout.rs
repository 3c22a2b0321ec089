//! The `checkout:` block of an offer page: a hosted checkout (Stripe
//! Payment Links, Lemon Squeezy, Paddle, Gumroad, or any `https:` link),
//! read from the front matter with its URL checked against the forms each
//! provider's links take, and the attribution each provider keeps.
//!
//! The `success` page is only kept with its position here; the funnel
//! stage resolves it like `next`.

use crate::base::diagnostics::{suggestion, Pos};
use crate::base::yaml::{describe, Fields, Located, Value};
use serde::Serialize;

/// The providers `checkout.provider` takes, as written.
pub(crate) const CHECKOUT_PROVIDERS: &[&str] =
    &["stripe", "lemonsqueezy", "paddle", "gumroad", "link"];
const CHECKOUT_KEYS: &[&str] = &["provider", "url", "success", "label"];
/// A page's checkout also takes Paddle's `price_id`, for the overlay.
const PAGE_CHECKOUT_KEYS: &[&str] = &["provider", "url", "success", "label", "price_id"];

/// Who hosts the checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Provider {
    Stripe,
    LemonSqueezy,
    Paddle,
    Gumroad,
    /// Any other hosted checkout: the link is used as it is.
    Link,
}

/// A page's hosted checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkout {
    pub provider: Provider,
    pub url: String,
    /// Where `url` is written; `None` in a variant that inherits it.
    pub url_pos: Option<Pos>,
    /// Where the provider sends the buyer after paying (a content path).
    pub success: Located<String>,
    pub label: Option<String>,
    /// Paddle's price ID (`pri_...`), which its overlay opens.
    pub price_id: Option<Located<String>>,
}

/// How the click script adds what only the visitor's browser knows: the
/// query parameter for the opt-in e-mail, and the one for each UTM value
/// (`{}` stands for `utm_source` and the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dynamic {
    pub email: Option<&'static str>,
    pub utm: Option<&'static str>,
}

impl Provider {
    fn parse(id: &str) -> Option<Provider> {
        Some(match id {
            "stripe" => Provider::Stripe,
            "lemonsqueezy" => Provider::LemonSqueezy,
            "paddle" => Provider::Paddle,
            "gumroad" => Provider::Gumroad,
            "link" => Provider::Link,
            _ => return None,
        })
    }

    pub(crate) fn id(self) -> &'static str {
        CHECKOUT_PROVIDERS[self as usize]
    }

    /// Whether `host` and `path` (of an `https:` URL) are one of the
    /// provider's checkout links.
    fn accepts(self, host: &str, path: &str) -> bool {
        let rest = |prefix: &str| path.strip_prefix(prefix).is_some_and(|r| !r.is_empty());
        let store = |domain: &str| {
            host.strip_suffix(domain)
                .is_some_and(|s| s.len() > 1 && s.ends_with('.') && !s[..s.len() - 1].contains('.'))
        };
        match self {
            Provider::Stripe => host == "buy.stripe.com" && rest("/"),
            Provider::LemonSqueezy => {
                store("lemonsqueezy.com") && (rest("/checkout/buy/") || rest("/buy/"))
            }
            Provider::Paddle => {
                matches!(host, "pay.paddle.io" | "sandbox-pay.paddle.io") && rest("/hsc_")
            }
            Provider::Gumroad => (host == "gumroad.com" || store("gumroad.com")) && rest("/l/"),
            Provider::Link => !host.is_empty(),
        }
    }

    /// The link forms [`Provider::accepts`], for the hint of an error.
    fn forms(self) -> &'static str {
        match self {
            Provider::Stripe => "a Stripe Payment Link looks like `https://buy.stripe.com/...` (test mode: `https://buy.stripe.com/test_...`); for a Payment Link on your own domain use `provider: link`",
            Provider::LemonSqueezy => "a Lemon Squeezy checkout link looks like `https://STORE.lemonsqueezy.com/checkout/buy/...` or `https://STORE.lemonsqueezy.com/buy/...`",
            Provider::Paddle => "a Paddle hosted checkout link looks like `https://pay.paddle.io/hsc_...` (sandbox: `https://sandbox-pay.paddle.io/hsc_...`)",
            Provider::Gumroad => "a Gumroad product link looks like `https://NAME.gumroad.com/l/...` or `https://gumroad.com/l/...`",
            Provider::Link => "any `https://` checkout link",
        }
    }

    /// The attribution that goes into the link itself: the funnel page
    /// and A/B arm, as the provider keeps them.
    pub(crate) fn static_params(self, page: &str, arm: Option<&str>) -> Vec<(String, String)> {
        let mut params = Vec::new();
        match self {
            Provider::Stripe => {
                params.push(("client_reference_id".into(), reference_id(page, arm)))
            }
            Provider::LemonSqueezy | Provider::Gumroad => {
                let key = |name: &str| match self {
                    Provider::LemonSqueezy => format!("checkout[custom][{name}]"),
                    _ => name.to_string(),
                };
                params.push((key("funnel_page"), page.to_string()));
                if let Some(arm) = arm {
                    params.push((key("funnel_arm"), arm.to_string()));
                }
            }
            Provider::Paddle | Provider::Link => {}
        }
        params
    }

    /// What the click script may add.
    pub(crate) fn dynamic(self) -> Dynamic {
        let (email, utm) = match self {
            Provider::Stripe => (Some("prefilled_email"), Some("{}")),
            Provider::LemonSqueezy => (Some("checkout[email]"), Some("checkout[custom][{}]")),
            Provider::Paddle => (Some("user_email"), None),
            Provider::Gumroad => (None, Some("{}")),
            Provider::Link => (None, None),
        };
        Dynamic { email, utm }
    }
}

/// A buy button's link as templates see it (a pricing `plan`'s
/// `checkout`): what the page's own checkout gives them, less the label
/// and success page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ButtonLink {
    pub provider: &'static str,
    pub href: String,
    pub email_param: Option<&'static str>,
    pub utm_param: Option<&'static str>,
}

/// The button link of `url` at funnel page `page` (the control's path)
/// and A/B `arm`, with the attribution `provider` keeps.
pub(crate) fn button_link(
    provider: Provider,
    url: &str,
    page: &str,
    arm: Option<&str>,
) -> ButtonLink {
    let dynamic = provider.dynamic();
    ButtonLink {
        provider: provider.id(),
        href: href(url, &provider.static_params(page, arm)),
        email_param: dynamic.email,
        utm_param: dynamic.utm,
    }
}

/// Stripe's `client_reference_id`: letters, digits, `-` and `_`, at most
/// 200 characters, or Stripe drops it. The page path's segments are joined
/// by `_` and the arm follows after `__` (`offers_tasting-kit__b`).
pub(crate) fn reference_id(page: &str, arm: Option<&str>) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let path = page.trim_matches('/');
    let mut id = if path.is_empty() {
        "home".to_string()
    } else {
        clean(path)
    };
    if let Some(arm) = arm {
        id.push_str("__");
        id.push_str(&clean(arm));
    }
    id.chars().take(200).collect()
}

/// The `href` of the buy button: `url` with `params` added to its query.
pub(crate) fn href(url: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return url.to_string();
    }
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(params);
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{}{fragment}", query.finish())
}

/// Reads a data plan's `checkout:`; `None` (with errors) when it cannot
/// be used.
pub(crate) fn read(fields: &mut Fields) -> Option<Checkout> {
    read_keys(fields, "(provider, url, success, label)", CHECKOUT_KEYS)
}

/// Reads a page's `checkout:`, which may also name a Paddle `price_id`.
pub(crate) fn read_page(fields: &mut Fields) -> Option<Checkout> {
    let shape = "(provider, url, success, label, price_id)";
    read_keys(fields, shape, PAGE_CHECKOUT_KEYS)
}

fn read_keys(fields: &mut Fields, shape: &str, keys: &[&str]) -> Option<Checkout> {
    fields
        .section("checkout", shape, keys, |checkout| {
            let provider = read_provider(checkout);
            let url = provider.and_then(|p| read_url(checkout, p));
            let url_pos = checkout.pos("url");
            let pos = checkout.pos("success");
            let hint = "add `success: welcome/thanks.md`, the page the provider sends the buyer to after paying";
            let success = checkout.required_string("success", hint);
            let label = checkout.get("label", "text");
            let price_id = (keys.contains(&"price_id"))
                .then(|| read_price_id(checkout, provider))
                .flatten();
            Some(Checkout {
                provider: provider?,
                url: url?,
                url_pos,
                success: Located { value: success?, pos },
                label,
                price_id,
            })
        })
        .flatten()
}

/// `price_id`: a Paddle price ID (`pri_` and lowercase letters and digits),
/// on a `paddle` checkout only.
fn read_price_id(checkout: &mut Fields, provider: Option<Provider>) -> Option<Located<String>> {
    let pos = checkout.pos("price_id");
    let id: String = checkout.get("price_id", "text")?;
    if provider.is_some_and(|p| p != Provider::Paddle) {
        let message = "`checkout.price_id` is a Paddle price, for a `paddle` checkout only";
        checkout.error("invalid-value", "price_id", message).hint =
            Some("remove `price_id`, or sell through `provider: paddle`".into());
        return None;
    }
    let rest = id.strip_prefix("pri_").unwrap_or_default();
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        let message = format!("\"{id}\" is not a Paddle price ID");
        checkout.error("invalid-value", "price_id", message).hint =
            Some("copy the price's ID (`pri_01...`) from Paddle > Catalog > Products".into());
        return None;
    }
    Some(Located { value: id, pos })
}

fn read_provider(checkout: &mut Fields) -> Option<Provider> {
    let hint = format!("add `provider:`, one of {}", CHECKOUT_PROVIDERS.join(", "));
    let id = checkout.required_string("provider", &hint)?;
    match parse_provider(&id) {
        Ok(provider) => Some(provider),
        Err(problem) => {
            checkout
                .error(problem.code, "provider", problem.message)
                .hint = Some(problem.hint.into());
            None
        }
    }
}

fn read_url(checkout: &mut Fields, provider: Provider) -> Option<String> {
    let hint = "add `url:`, the checkout link from the provider's dashboard";
    let url = checkout.required_string("url", hint)?;
    match check_url(provider, &url) {
        Ok(()) => Some(url),
        Err(problem) => {
            checkout.error(problem.code, "url", problem.message).hint = Some(problem.hint.into());
            None
        }
    }
}

/// Why a provider or checkout URL cannot be used: the error's code,
/// message and hint, wherever it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

fn parse_provider(id: &str) -> Result<Provider, Problem> {
    Provider::parse(id).ok_or_else(|| Problem {
        code: "invalid-value",
        message: format!(
            "unknown checkout provider \"{id}\"{}",
            suggestion(id, CHECKOUT_PROVIDERS.iter().copied())
        ),
        hint: format!(
            "choose one of: {}; `link` takes any https checkout URL",
            CHECKOUT_PROVIDERS.join(", ")
        ),
    })
}

/// Whether `url` is an `https:` link of one of `provider`'s forms.
fn check_url(provider: Provider, url: &str) -> Result<(), Problem> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(Problem {
            code: "invalid-checkout-url",
            message: format!("checkout URL \"{url}\" is not an https: URL"),
            hint: "a checkout takes payments only over https; copy the link from the provider's dashboard".into(),
        });
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(end);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if provider.accepts(&host.to_ascii_lowercase(), path) {
        return Ok(());
    }
    Err(Problem {
        code: "invalid-checkout-url",
        message: format!("\"{url}\" is not a {} checkout link", provider.id()),
        hint: provider.forms().into(),
    })
}

/// The provider of a checkout already checked (a data plan's, see
/// [`crate::page::plans`]), `None` when it does not pass.
pub(crate) fn checked(id: &str, url: &str) -> Option<Provider> {
    let provider = Provider::parse(id)?;
    check_url(provider, url).ok().map(|()| provider)
}

/// A checkout given to a component (a pricing `plan`'s
/// `checkout={{provider: stripe, url: ...}}`), checked like the front
/// matter's: the provider and the link, with no success page of its own
/// (that is set in the provider).
pub(crate) fn from_arg(value: &Value) -> Result<(Provider, String), Problem> {
    let shape = |message: String| Problem {
        code: "invalid-value",
        message,
        hint: "write `checkout={{provider: stripe, url: https://buy.stripe.com/...}}`".into(),
    };
    let Value::Mapping(map) = value else {
        return Err(shape(format!(
            "`checkout` must be a map, not {}",
            describe(value)
        )));
    };
    if let Some(key) = (map.keys()).find(|k| !matches!(k.as_str(), Some("provider" | "url"))) {
        return Err(shape(format!(
            "`checkout` of a component takes `provider` and `url`, not `{}`",
            key.as_str().unwrap_or("?")
        )));
    }
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let (Some(id), Some(url)) = (text("provider"), text("url")) else {
        return Err(shape(
            "`checkout` needs `provider` and `url`, both text".into(),
        ));
    };
    let provider = parse_provider(id)?;
    check_url(provider, url)?;
    Ok((provider, url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(provider: Provider, url: &str) -> bool {
        let rest = url.strip_prefix("https://").unwrap();
        let end = rest.find('/').unwrap_or(rest.len());
        provider.accepts(&rest[..end], &rest[end..])
    }

    #[test]
    fn each_provider_takes_its_own_link_forms() {
        use Provider::*;
        let cases: &[(Provider, &str, bool)] = &[
            (Stripe, "https://buy.stripe.com/test_3cs14s", true),
            (Stripe, "https://buy.stripe.com/", false),
            (Stripe, "https://checkout.stripe.com/c/pay/cs_1", false),
            (
                LemonSqueezy,
                "https://brew.lemonsqueezy.com/checkout/buy/0f2a",
                true,
            ),
            (LemonSqueezy, "https://brew.lemonsqueezy.com/buy/0f2a", true),
            (LemonSqueezy, "https://lemonsqueezy.com/buy/0f2a", false),
            (LemonSqueezy, "https://a.b.lemonsqueezy.com/buy/0f2a", false),
            (
                LemonSqueezy,
                "https://brew.lemonsqueezy.com/products/0f2a",
                false,
            ),
            (Paddle, "https://pay.paddle.io/hsc_01abc", true),
            (Paddle, "https://sandbox-pay.paddle.io/hsc_01abc", true),
            (Paddle, "https://pay.paddle.io/other", false),
            (Gumroad, "https://brew.gumroad.com/l/kit", true),
            (Gumroad, "https://gumroad.com/l/kit", true),
            (Gumroad, "https://evilgumroad.com/l/kit", false),
            (Gumroad, "https://brew.gumroad.com/kit", false),
            (Link, "https://shop.example.com/pay", true),
        ];
        for (provider, url, expected) in cases {
            assert_eq!(accepts(*provider, url), *expected, "{provider:?} {url}");
        }
    }

    #[test]
    fn reference_ids_keep_to_stripes_characters() {
        assert_eq!(
            reference_id("/offers/tasting-kit/", Some("b")),
            "offers_tasting-kit__b"
        );
        assert_eq!(reference_id("/", None), "home");
        assert_eq!(reference_id("/café/", None), "caf_");
        assert_eq!(reference_id(&"/x".repeat(300), None).len(), 200);
    }

    #[test]
    fn params_join_an_existing_query_before_the_fragment() {
        let params = [("a".to_string(), "x y".to_string())];
        assert_eq!(
            href("https://s.com/p#f", &params),
            "https://s.com/p?a=x+y#f"
        );
        assert_eq!(
            href("https://s.com/p?q=1", &params),
            "https://s.com/p?q=1&a=x+y"
        );
        assert_eq!(href("https://s.com/p", &[]), "https://s.com/p");
    }
}
