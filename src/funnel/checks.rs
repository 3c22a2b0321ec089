//! The journey check: warnings about a funnel that builds but leaks.
//!
//! A build with these is still a valid site; `check` and `build` both print
//! them. Each kind has a stable code, documented in the README:
//!
//! | code | what it means |
//! |---|---|
//! | `unserved-stage` | a journey stage that no page serves (a gap) |
//! | `orphan-page` | a page that nothing links to (the home page excepted) |
//! | `dead-end` | a page with a stage but no way onward |
//! | `backward-next` | a `next` that goes back to an earlier stage |
//! | `thank-you-layout` | an opt-in whose thank-you page is not a `thankyou` page |
//! | `missing-description` | an indexable page without a description |
//! | `expired` | an `expires` date in the past |
//! | `thank-you-experiment` | an A/B experiment on a thank-you page |
//! | `offer-without-checkout` | a priced offer page with no checkout, form or next step |
//! | `upsell-without-decline` | an upsell with no `decline:` "no thanks" path |
//! | `success-layout` | a checkout's success page that is neither a thank-you nor an upsell page |
//! | `backward-ladder` | a checkout's `success` or a `decline` that goes back to an earlier stage |
//! | `shared-checkout-link` | one checkout link used with two different `success` pages |
//! | `robots-under-path` | a `base_url` with a path: robots.txt is written where crawlers never read it |

use crate::base::diagnostics::{Diagnostic, Diagnostics, Pos};
use crate::base::yaml::Located;
use crate::funnel::{Funnel, LinkKind};
use crate::input::config::{Config, CONFIG_FILE};
use crate::page::checkout::{Checkout, Provider};
use crate::page::content::Page;
use crate::page::experiment::VariantOf;
use crate::page::front_matter::PageKind;

/// Everything the journey check looks at.
pub(crate) struct Journey<'a> {
    pub config: &'a Config,
    pub config_text: &'a str,
    pub funnel: &'a Funnel,
    /// The page `forms.privacy_url` names, which the forms link to.
    pub privacy_page: Option<usize>,
    /// `YYYY-MM-DD`, to compare `expires` with.
    pub today: &'a str,
}

/// The funnel warnings about the site as a whole, not one page of it.
pub(crate) fn site_warnings(journey: &Journey) -> Diagnostics {
    let mut warnings = Diagnostics::new();
    unserved_stages(journey, &mut warnings);
    robots_under_path(journey, &mut warnings);
    shared_checkout_links(journey, &mut warnings);
    warnings
}

/// One use of a hosted checkout link with a success page: where its `url`
/// is written, and who uses it, as a message names them.
struct LinkUse<'a> {
    file: &'a str,
    /// A data plan's label (`plan "Monthly" (`data.plans.club.0`)`).
    plan: Option<String>,
    checkout: &'a Checkout,
    success: usize,
}

/// Every use of a checkout link, in page order: each page's own checkout
/// (not a variant's inherited one, which is its control's use) and its
/// data plans' (a plan on several pages once).
fn link_uses(funnel: &Funnel) -> Vec<LinkUse<'_>> {
    let mut uses: Vec<LinkUse> = Vec::new();
    for page in &funnel.pages {
        let inherited = (page.variant.as_ref()).is_some_and(|v| !v.sets("checkout"));
        let own = (page.meta.checkout.as_ref())
            .filter(|_| !inherited)
            .map(|c| (page.file.as_str(), None, &**c));
        let plans =
            (page.plan_checkouts.iter()).map(|p| (p.file.as_str(), Some(p.label()), &p.checkout));
        for (file, plan, checkout) in own.into_iter().chain(plans) {
            let Some(success) = funnel.index_of(&checkout.success.value) else {
                continue;
            };
            let seen = |u: &LinkUse| u.file == file && u.checkout.url_pos == checkout.url_pos;
            if !uses.iter().any(seen) {
                uses.push(LinkUse {
                    file,
                    plan,
                    checkout,
                    success,
                });
            }
        }
    }
    uses
}

/// A hosted checkout link sends every buyer to the one redirect set in
/// the provider: two uses of it with different `success` pages cannot
/// both be right. Warned at each use after the first that disagrees.
fn shared_checkout_links(journey: &Journey, warnings: &mut Diagnostics) {
    let pages = &journey.funnel.pages;
    let uses = link_uses(journey.funnel);
    for (i, this) in uses.iter().enumerate() {
        let url = &this.checkout.url;
        let Some(first) = uses[..i].iter().find(|u| u.checkout.url == *url) else {
            continue;
        };
        if first.success == this.success {
            continue;
        }
        let first_one = match &first.plan {
            Some(plan) => format!("{plan} in {}", first.file),
            None => first.file.to_string(),
        };
        let message = format!(
            "{}the checkout link {url} is also used by {first_one}, which sends buyers to {}; a hosted checkout link has one after-payment redirect, so it cannot also send buyers to {}",
            this.plan.as_ref().map_or(String::new(), |p| format!("{p}: ")),
            pages[first.success].file,
            pages[this.success].file
        );
        let link = match this.checkout.provider {
            Provider::Stripe => "Payment Link",
            _ => "checkout link",
        };
        let hint = format!("make a second {link} in the provider for this checkout, or send both to one success page");
        warnings.push(
            Diagnostic::warning("shared-checkout-link", this.file, message)
                .at_pos(this.checkout.url_pos)
                .with_hint(hint),
        );
    }
}

fn unserved_stages(journey: &Journey, warnings: &mut Diagnostics) {
    let config = journey.config;
    let mut served = vec![false; config.journey.len()];
    let mut unserved = served.len();
    // One pass, which stops once every stage has its page.
    for page in &journey.funnel.pages {
        if unserved == 0 {
            break;
        }
        let stage = page.meta.stage.as_deref();
        if let Some(index) = stage.and_then(|s| config.stage_index(s)) {
            unserved -= usize::from(!std::mem::replace(&mut served[index], true));
        }
    }
    for (stage, _) in config.journey.iter().zip(served).filter(|(_, s)| !s) {
        let message = format!(
            "journey stage \"{}\" has no page (a gap in the funnel)",
            stage.id
        );
        let pos = stage_position(journey.config_text, &stage.id);
        // A preset's stages are not written in site.yaml: at most the
        // `journey:` line is (column 1), and there is no line to remove.
        let hint = if pos.is_none_or(|p| p.column == 1) {
            format!("add a page with `stage: {}`, or drop the stage: write `journey:` out as a list of the preset's stages without it (see the README, site.yaml)", stage.id)
        } else {
            format!(
                "add a page with `stage: {}`, or remove the stage from `journey:`",
                stage.id
            )
        };
        warnings.push(
            Diagnostic::warning("unserved-stage", CONFIG_FILE, message)
                .at_pos(pos)
                .with_hint(hint),
        );
    }
}

/// Crawlers read robots.txt only at the root of a host; a site under a
/// path (`https://user.github.io/shop/`) writes it at `/shop/robots.txt`,
/// and the host's root is not the site's to write.
fn robots_under_path(journey: &Journey, warnings: &mut Diagnostics) {
    let config = journey.config;
    let path = config.base_path();
    if path.is_empty() {
        return;
    }
    let source = crate::base::yaml::Source::new(journey.config_text, CONFIG_FILE, 1);
    let message = format!(
        "base_url {} has a path, so robots.txt is written at {path}/robots.txt, where crawlers never read it",
        config.base_url
    );
    let hint = "the sitemap is still found through Search Console; to use robots.txt, add the site's sitemap to the host root's own robots.txt, or serve the site at the root of its own domain";
    warnings.push(
        Diagnostic::warning("robots-under-path", CONFIG_FILE, message)
            .at_pos(source.locate(&["base_url"]))
            .with_hint(hint),
    );
}

/// Where a custom journey names a stage in site.yaml, or the `journey:` key.
fn stage_position(text: &str, id: &str) -> Option<Pos> {
    let mut in_journey = false;
    let mut journey_pos = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with('#') {
            in_journey = trimmed.starts_with("journey:");
            if in_journey {
                journey_pos = Some(Pos::new(index + 1, 1));
            }
            continue;
        }
        if !in_journey {
            continue;
        }
        for pattern in [
            format!("id: {id}"),
            format!("id: \"{id}\""),
            format!("- {id}"),
        ] {
            if let Some(at) = line.find(&pattern) {
                let column = line[..at].chars().count() + 1;
                let column = if pattern.starts_with('-') {
                    column + 2
                } else {
                    column + 4
                };
                return Some(Pos::new(index + 1, column));
            }
        }
    }
    journey_pos
}

/// The funnel warnings of page `index`. They depend on the page, its links,
/// the pages that link to it and the pages it links to, the privacy page
/// and the day: nothing else (the dev server relies on this to keep the
/// warnings of the pages a save cannot have changed).
pub(crate) fn page_warnings(journey: &Journey, index: usize) -> Vec<Diagnostic> {
    let mut warnings: Vec<Diagnostic> = (PAGE_RULES.iter())
        .filter_map(|rule| rule(journey, index))
        .collect();
    warnings.extend(checkout_ladder(journey, index));
    warnings
}

/// One journey rule over one page: the warning it gives, if any.
type PageRule = fn(&Journey, usize) -> Option<Diagnostic>;

/// Every rule a page is checked against, in the order they are reported.
const PAGE_RULES: &[PageRule] = &[
    orphan_page,
    dead_end,
    backward_next,
    offer_without_checkout,
    upsell_without_decline,
    backward_decline,
    thank_you_layout,
    thank_you_experiment,
    missing_description,
    expired,
];

/// What each warning a page gets without a line looks at: the front-matter
/// keys, and whether the body counts (its links, its pricing plans). A
/// variant whose file sets none of them, and which shows its control's
/// body where that counts, has its control's warning for its control's
/// reason: it is reported once, at the control (see
/// [`crate::funnel::fold_inherited`]).
const LINELESS_CAUSES: &[(&str, &[&str], bool)] = &[
    (
        "dead-end",
        &["next", "form", "checkout", "decline", "expires"],
        true,
    ),
    (
        "offer-without-checkout",
        &["offer", "price", "checkout", "next", "form"],
        true,
    ),
    ("upsell-without-decline", &["offer", "decline"], false),
];

/// True when `variant` has warning `code` only because of what it inherits
/// from its control; false for a code with a line, which says itself
/// whose file it is in.
pub(crate) fn inherits_cause(code: &str, variant: &VariantOf) -> bool {
    LINELESS_CAUSES.iter().any(|&(c, keys, body)| {
        c == code && !keys.iter().any(|k| variant.sets(k)) && !(body && variant.own_body)
    })
}

fn orphan_page(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    // Visitors reach a variant through its control.
    let linked = !journey.funnel.incoming[index].is_empty()
        || journey.privacy_page == Some(index)
        || page.variant.is_some();
    if page.path == "/" || linked {
        return None;
    }
    let hint = "link it with `next:`, a form's `thank_you:` or `[text](@/path.md)` from another page, or delete it";
    let message = format!("no page links to {} (an orphan page)", page.path);
    Some(Diagnostic::warning("orphan-page", &page.file, message).with_hint(hint))
}

fn dead_end(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    let stage = page.meta.stage.as_ref()?;
    if journey.funnel.links[index].iter().any(|l| l.to != index) {
        return None;
    }
    let hint = "add `next:`, a form, or a link to the next step";
    let message = format!("stage \"{stage}\" page has no next step (dead end)");
    Some(Diagnostic::warning("dead-end", &page.file, message).with_hint(hint))
}

fn backward_next(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let (config, funnel) = (journey.config, journey.funnel);
    let page = &funnel.pages[index];
    let next = page.meta.next.as_ref()?;
    let to = funnel.link_target(index, LinkKind::Next)?;
    let stage_of = |p: &Page| p.meta.stage.as_deref().and_then(|s| config.stage_index(s));
    let (here, there) = (stage_of(page)?, stage_of(&funnel.pages[to])?);
    if there >= here {
        return None;
    }
    let message = format!(
        "`next` goes back from stage \"{}\" to the earlier stage \"{}\"",
        config.journey[here].id, config.journey[there].id
    );
    let hint = "a funnel moves forward: point `next` at a page of this or a later stage";
    Some(
        Diagnostic::warning("backward-next", &page.file, message)
            .at_pos(next.pos)
            .with_hint(hint),
    )
}

/// A price says "buy me"; without a checkout, an order form or a next step
/// there is no way to.
fn offer_without_checkout(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    let meta = &page.meta;
    let sells = meta.checkout.is_some() || !page.plan_checkouts.is_empty();
    let onward = sells || meta.next.is_some() || meta.form.is_some();
    if meta.offer.is_none() || meta.price.is_none() || onward {
        return None;
    }
    let message =
        "the offer page has a price but no checkout, no order form and no next step, so no one can buy";
    let hint = "add `checkout:` with the provider's link and a `success:` page, or `next:` to the page that sells it";
    Some(Diagnostic::warning("offer-without-checkout", &page.file, message).with_hint(hint))
}

fn upsell_without_decline(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    if page.meta.offer.as_deref() != Some("upsell") || page.meta.decline.is_some() {
        return None;
    }
    let message = "the upsell has no `decline:`, so a buyer who says no has nowhere to go";
    let hint = "add `decline: some-page.md`: the downsell, or the next step for buyers who pass";
    Some(Diagnostic::warning("upsell-without-decline", &page.file, message).with_hint(hint))
}

/// Every checkout of page `index` whose success page resolved: the page's
/// own (in the page's file) and its data plans' (in their data file), as
/// the file, the `success` as written, and the success page.
fn checkouts<'a>(
    journey: &Journey<'a>,
    index: usize,
) -> Vec<(&'a str, &'a Located<String>, usize)> {
    let funnel = journey.funnel;
    let page = &funnel.pages[index];
    let own = (page.meta.checkout.as_ref()).map(|c| (page.file.as_str(), &c.success));
    let plans = (page.plan_checkouts.iter()).map(|p| (p.file.as_str(), &p.checkout.success));
    (own.into_iter().chain(plans))
        .filter_map(|(file, success)| Some((file, success, funnel.index_of(&success.value)?)))
        .collect()
}

/// The success and backward-ladder warnings of each checkout of a page.
fn checkout_ladder(journey: &Journey, index: usize) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for (file, success, to) in checkouts(journey, index) {
        warnings.extend(success_layout(journey, file, success, to));
        let field = "checkout.success";
        warnings.extend(backward_ladder(journey, index, to, (file, field), success));
    }
    warnings
}

/// A buyer lands on the success page: it confirms the order or offers the
/// next step up, and stays out of search.
fn success_layout(
    journey: &Journey,
    file: &str,
    success: &Located<String>,
    to: usize,
) -> Option<Diagnostic> {
    let target = &journey.funnel.pages[to];
    if target.meta.kind() == PageKind::ThankYou || target.meta.offer.as_deref() == Some("upsell") {
        return None;
    }
    let message = format!(
        "the checkout's success page {} is neither a thank-you page nor an upsell",
        target.file
    );
    let hint = format!(
        "set `layout: thankyou` (or `offer: upsell` for a one-click upsell) in {}",
        target.file
    );
    Some(
        Diagnostic::warning("success-layout", file, message)
            .at_pos(success.pos)
            .with_hint(hint),
    )
}

fn backward_decline(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    let decline = page.meta.decline.as_ref()?;
    let to = journey.funnel.link_target(index, LinkKind::Decline)?;
    let at = (page.file.as_str(), "decline");
    backward_ladder(journey, index, to, at, decline)
}

/// A warning when the link of page `index` to page `to`, written as
/// `field` in `file`, goes to an earlier stage.
fn backward_ladder(
    journey: &Journey,
    index: usize,
    to: usize,
    (file, field): (&str, &str),
    target: &Located<String>,
) -> Option<Diagnostic> {
    let (config, funnel) = (journey.config, journey.funnel);
    let page = &funnel.pages[index];
    let stage_of = |p: &Page| p.meta.stage.as_deref().and_then(|s| config.stage_index(s));
    let (here, there) = (stage_of(page)?, stage_of(&funnel.pages[to])?);
    if there >= here {
        return None;
    }
    let message = format!(
        "`{field}` goes back from stage \"{}\" to the earlier stage \"{}\"",
        config.journey[here].id, config.journey[there].id
    );
    let hint = "after a purchase or a \"no thanks\" the ladder moves on: point it at a page of this or a later stage";
    Some(
        Diagnostic::warning("backward-ladder", file, message)
            .at_pos(target.pos)
            .with_hint(hint),
    )
}

fn thank_you_layout(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let funnel = journey.funnel;
    let page = &funnel.pages[index];
    let thank_you = page.meta.form.as_ref()?.thank_you.as_ref()?;
    let target = &funnel.pages[funnel.link_target(index, LinkKind::Form)?];
    if target.meta.kind() == PageKind::ThankYou {
        return None;
    }
    let message = format!(
        "the form's thank-you page {} has layout \"{}\", not \"thankyou\"",
        target.file, target.meta.layout.value
    );
    let hint = format!(
        "set `layout: thankyou` in {}, so it is kept out of search and sitemaps",
        target.file
    );
    Some(
        Diagnostic::warning("thank-you-layout", &page.file, message)
            .at_pos(thank_you.pos)
            .with_hint(hint),
    )
}

fn thank_you_experiment(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    let experiment = page.meta.experiment.as_ref()?;
    if page.meta.kind() != PageKind::ThankYou {
        return None;
    }
    let message = format!(
        "experiment \"{}\" runs on a thank-you page, which only people who already opted in see",
        experiment.id
    );
    let hint = "test the opt-in page that leads here instead: that is where the split changes what visitors do";
    Some(
        Diagnostic::warning("thank-you-experiment", &page.file, message)
            .at_pos(experiment.pos)
            .with_hint(hint),
    )
}

fn missing_description(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    if page.meta.description.is_some() || page.is_noindex() || page.meta.draft {
        return None;
    }
    let hint = "add `description:`, one or two sentences for search results and link previews";
    let message = "the page has no description";
    Some(Diagnostic::warning("missing-description", &page.file, message).with_hint(hint))
}

fn expired(journey: &Journey, index: usize) -> Option<Diagnostic> {
    let page = &journey.funnel.pages[index];
    let expires = page.meta.expires.as_ref()?;
    let day = expires.value.get(..10)?;
    if day >= journey.today {
        return None;
    }
    let message = format!("the offer expired on {day}");
    let hint = "update or remove `expires:`, or take the page down";
    Some(
        Diagnostic::warning("expired", &page.file, message)
            .at_pos(expires.pos)
            .with_hint(hint),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_positions() {
        let text = "title: x\njourney:\n  - { id: discover, title: D }\n  - id: signup\n    title: S\nforms: {}\n";
        assert_eq!(stage_position(text, "discover"), Some(Pos::new(3, 11)));
        assert_eq!(stage_position(text, "signup"), Some(Pos::new(4, 9)));
        assert_eq!(stage_position(text, "other"), Some(Pos::new(2, 1)));
        assert_eq!(stage_position("title: x\n", "aware"), None);
    }
}
