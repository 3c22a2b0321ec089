//! The conversion check: warnings about a page that builds but will not
//! convert, each a rule of conversion-centred design that a build can see.
//!
//! Every code can be turned off in site.yaml (`checks: { code: false }`);
//! the README, "Conversion checks", names the source of each rule.
//!
//! | code | what it means |
//! |---|---|
//! | `attention-ratio` | a landing or opt-in page with more than one call to action besides its next step and form |
//! | `form-length` | a lead-capture opt-in form with more than four visible fields, or a textarea or select |
//! | `first-screen` | a landing, opt-in or offer (priced) page with nothing to act on in its first ~150 words |
//! | `title-length` | a title over 60 characters |
//! | `description-length` | a description over 160 characters |
//! | `social-proof` | an offer (priced) or `convert`-stage page with no testimonial, logos or stats |
//! | `page-weight` | a page whose HTML and stylesheets are over the budget |
//!
//! `missing-alt` (images, found where the images are checked) shares the
//! switch: [`switched_off`] drops the warnings whose code is off.

use crate::base::diagnostics::{Diagnostic, Diagnostics, Pos};
use crate::funnel::{Funnel, LinkKind};
use crate::input::config::{Config, CONVERSION_CODES};
use crate::page::content::Page;
use crate::page::front_matter::{FieldType, PageKind};
use crate::page::markdown::Actionable;
use memchr::memmem;
use rustc_hash::FxHashSet;
use unicode_segmentation::UnicodeSegmentation;

/// Google shows about this many characters of a title in its results.
const TITLE_LIMIT: usize = 60;
/// ... and of a description.
const DESCRIPTION_LIMIT: usize = 160;
/// About a first screen of body text, at the themes' sizes, on a laptop.
const FIRST_SCREEN_WORDS: usize = 150;
/// Visible fields an opt-in form may ask for.
const FORM_FIELDS: usize = 4;
/// Components a visitor acts on: a button, a form, a buy box.
const ACTION_COMPONENTS: &[&str] = &["cta", "form", "checkout", "pricing", "plan", "hero"];
/// Components that show social proof.
const PROOF_COMPONENTS: &[&str] = &["testimonial", "logos", "stats"];

/// The conversion warnings of page `index` that are on, except
/// `page-weight`, which needs the rendered page (see [`page_weight`]), and
/// `missing-alt`, found with the images. They depend on the page and its
/// links alone.
pub(crate) fn page_warnings(config: &Config, funnel: &Funnel, index: usize) -> Vec<Diagnostic> {
    let mut warnings = all_page_warnings(funnel, index);
    warnings.retain(|w| config.checks.on(w.code));
    warnings
}

fn all_page_warnings(funnel: &Funnel, index: usize) -> Vec<Diagnostic> {
    let page = &funnel.pages[index];
    if page.meta.draft || page.meta.kind() == PageKind::Map {
        return Vec::new();
    }
    let mut warnings: Vec<Diagnostic> = [
        title_length(page),
        description_length(page),
        form_length(page),
        social_proof(page),
    ]
    .into_iter()
    .flatten()
    .collect();
    if matters_for_action(page) {
        let scan = BodyScan::new(funnel, index);
        warnings.extend(attention_ratio(page, &scan));
        warnings.extend(first_screen(page, &scan));
    }
    warnings
}

/// `warnings` without those whose conversion code site.yaml turned off.
pub(crate) fn switched_off(config: &Config, warnings: Diagnostics) -> Diagnostics {
    warnings
        .into_iter()
        .filter(|w| !CONVERSION_CODES.contains(&w.code) || config.checks.on(w.code))
        .collect()
}

/// Landing, opt-in and offer pages are the ones that ask for an action.
fn matters_for_action(page: &Page) -> bool {
    matches!(page.meta.kind(), PageKind::Landing | PageKind::Optin) || sells(page)
}

/// An offer page: one with a `price:` or a `checkout:`. (`offer:` alone
/// does not make one: a blog post is `offer: content`.)
fn sells(page: &Page) -> bool {
    page.meta.price.is_some() || page.meta.checkout.is_some()
}

fn title_length(page: &Page) -> Option<Diagnostic> {
    let count = longer_than(&page.meta.title, TITLE_LIMIT)?;
    if page.is_noindex() {
        return None;
    }
    let message =
        format!("the title is {count} characters long; search results show about {TITLE_LIMIT}");
    let hint = "shorten `title:` to 60 characters or fewer, with the words that sell first";
    Some(
        Diagnostic::warning("title-length", &page.file, message)
            .at_pos(front_matter_pos(page, "title"))
            .with_hint(hint),
    )
}

fn description_length(page: &Page) -> Option<Diagnostic> {
    let description = page.meta.description.as_deref()?;
    let count = longer_than(description, DESCRIPTION_LIMIT)?;
    if page.is_noindex() {
        return None;
    }
    let message = format!(
        "the description is {count} characters long; search results cut it at about {DESCRIPTION_LIMIT}"
    );
    let hint = "shorten `description:` to 160 characters or fewer";
    Some(
        Diagnostic::warning("description-length", &page.file, message)
            .at_pos(front_matter_pos(page, "description"))
            .with_hint(hint),
    )
}

/// The length of `text` in user-perceived characters, when over `limit`.
/// Counting graphemes is slow; a text with no more bytes, or chars, than
/// the limit cannot have more graphemes.
fn longer_than(text: &str, limit: usize) -> Option<usize> {
    if text.len() <= limit || text.chars().nth(limit).is_none() {
        return None;
    }
    Some(text.graphemes(true).count()).filter(|&count| count > limit)
}

/// Where top-level key `key` of the page's front matter is written.
fn front_matter_pos(page: &Page, key: &str) -> Option<Pos> {
    let text = std::fs::read_to_string(&page.body.path).ok()?;
    let prefix = format!("{key}:");
    let head = text.lines().take(page.body_line.saturating_sub(1));
    head.enumerate()
        .find(|(_, line)| line.starts_with(&prefix))
        .map(|(i, line)| {
            let value = line[prefix.len()..].trim_start();
            let column = line.chars().count() - value.chars().count() + 1;
            Pos::new(i + 1, column)
        })
}

/// Offers that are not a lead capture: `content` gives nothing for the
/// details (a review, feedback or contact form asks for what it needs),
/// and the paid offers sell rather than capture.
const NOT_LEAD_OFFERS: &[&str] = &[
    "content",
    "tripwire",
    "core",
    "upsell",
    "downsell",
    "subscription",
];

/// True when the page's form trades contact details for a free offer: an
/// opt-in page with no offer or a lead offer (`lead_magnet`, `webinar`,
/// `free_trial`, `demo`, `referral`, or a site's own). The provider does
/// not tell: a Netlify or Formspree form can be either.
fn captures_leads(page: &Page) -> bool {
    let offer = page.meta.offer.as_deref();
    page.meta.kind() == PageKind::Optin && !offer.is_some_and(|o| NOT_LEAD_OFFERS.contains(&o))
}

fn form_length(page: &Page) -> Option<Diagnostic> {
    let form = page.meta.form.as_ref().filter(|_| captures_leads(page))?;
    let visible: Vec<_> = (form.fields.iter())
        .filter(|f| f.kind != FieldType::Hidden)
        .collect();
    let textarea = visible.iter().any(|f| f.kind == FieldType::Textarea);
    let select = visible.iter().find(|f| f.kind == FieldType::Select);
    if visible.len() <= FORM_FIELDS && !textarea && select.is_none() {
        return None;
    }
    let message = if textarea {
        "the opt-in form has a textarea, which few visitors fill in to get a free offer".to_string()
    } else if let Some(select) = select.filter(|_| visible.len() <= FORM_FIELDS) {
        format!(
            "the opt-in form has a select (\"{}\"), one more decision between a visitor and the free offer",
            select.name
        )
    } else {
        format!(
            "the opt-in form asks for {} visible fields; every field past the first few loses sign-ups",
            visible.len()
        )
    };
    let hint = "ask for the email (and at most a name) now; ask the rest after the opt-in, on the thank-you page or by email";
    Some(
        Diagnostic::warning("form-length", &page.file, message)
            .at_pos(form.pos)
            .with_hint(hint),
    )
}

fn social_proof(page: &Page) -> Option<Diagnostic> {
    let meta = &page.meta;
    let selling = sells(page) || meta.stage.as_deref() == Some("convert");
    if !selling || meta.kind() == PageKind::ThankYou {
        return None;
    }
    let proof = (page.calls.iter()).any(|c| PROOF_COMPONENTS.contains(&c.name.as_str()));
    if proof {
        return None;
    }
    let message =
        "the page sells but shows no social proof (no testimonial, logos or stats component)";
    let hint = "add `{{<testimonial quote=\"…\" name=\"…\" />}}`, `{{<logos items={…} />}}` or `{{<stats items={…} />}}` with what real customers said or did";
    Some(Diagnostic::warning("social-proof", &page.file, message).with_hint(hint))
}

/// What a body offers to act on and where it leads away.
struct BodyScan {
    /// Words of body text before the first thing to act on (all of them
    /// when there is none), and where that thing is.
    words_before_action: usize,
    first_action: Option<Pos>,
    /// Distinct targets of the calls to action that lead elsewhere than
    /// the next step, the form's thank-you page or the checkout, in
    /// document order, with where each first appears.
    away: Vec<(String, Pos)>,
    /// The targets of `away` without their trailing `/`: a page that
    /// lists 12,500 others compared each link with every one before it.
    seen: FxHashSet<String>,
}

impl BodyScan {
    /// From what the page's scan noted of its body while loading.
    fn new(funnel: &Funnel, index: usize) -> Self {
        let page = &funnel.pages[index];
        let onward = Onward::of(funnel, index);
        let mut scan = BodyScan {
            words_before_action: page.scan.words,
            first_action: None,
            away: Vec::new(),
            seen: FxHashSet::default(),
        };
        for action in &page.scan.actions {
            let acts = match &action.what {
                Actionable::Call(i) => {
                    let Some(call) = page.calls.get(*i) else {
                        continue;
                    };
                    if let Some(to) = cta_target(call).filter(|to| !onward.is(to)) {
                        scan.leads_away(to, call.pos);
                    }
                    ACTION_COMPONENTS
                        .contains(&call.name.as_str())
                        .then_some(call.pos)
                }
                Actionable::Link { dest, pos } => {
                    let onward = onward.is(dest);
                    if !onward && !dest.starts_with('#') {
                        scan.leads_away(dest.clone(), *pos);
                    }
                    onward.then_some(*pos)
                }
            };
            if let (Some(pos), None) = (acts, scan.first_action) {
                scan.first_action = Some(pos);
                scan.words_before_action = action.words_before;
            }
        }
        scan
    }

    fn leads_away(&mut self, target: String, pos: Pos) {
        if self.seen.insert(target.trim_end_matches('/').to_string()) {
            self.away.push((target, pos));
        }
    }
}

/// The page's own way onward: its next step, its form's thank-you page
/// and its checkout, as any link to them may be written.
struct Onward {
    /// Content paths (`offers/kit.md`) and site paths (`/offers/kit/`).
    paths: Vec<String>,
    checkout: Option<String>,
}

impl Onward {
    fn of(funnel: &Funnel, index: usize) -> Self {
        let mut paths = Vec::new();
        for kind in [LinkKind::Next, LinkKind::Form, LinkKind::Checkout] {
            if let Some(to) = funnel.link_target(index, kind) {
                let page = &funnel.pages[to];
                paths.push(page.content_path.clone());
                paths.push(page.path.clone());
            }
        }
        let checkout = (funnel.pages[index].meta.checkout.as_ref()).map(|c| c.url.clone());
        Onward { paths, checkout }
    }

    fn is(&self, dest: &str) -> bool {
        let dest = dest.split('#').next().unwrap_or_default();
        let content = dest.strip_prefix("@/").unwrap_or(dest);
        let site = |p: &String| p.trim_end_matches('/') == dest.trim_end_matches('/');
        self.checkout.as_deref() == Some(dest) || self.paths.iter().any(|p| p == content || site(p))
    }
}

/// The `to` of a `cta` call: where the button leads (`None`: the next step).
fn cta_target(call: &crate::page::components::Call) -> Option<String> {
    use crate::page::components::ArgValue;
    if call.name != "cta" {
        return None;
    }
    let to = call.args.iter().find(|a| a.name.as_deref() == Some("to"))?;
    match &to.value {
        ArgValue::Literal(crate::base::yaml::Value::String(to)) if !to.is_empty() => {
            Some(to.clone())
        }
        _ => None,
    }
}

/// The home page is exempt: it is the site's hub, which the attention
/// ratio contrasts campaign pages with, not one of them.
fn attention_ratio(page: &Page, scan: &BodyScan) -> Option<Diagnostic> {
    let campaign = matches!(page.meta.kind(), PageKind::Landing | PageKind::Optin);
    if !campaign || page.path == "/" || scan.away.len() <= 1 {
        return None;
    }
    let targets: Vec<&str> = scan.away.iter().map(|(t, _)| t.as_str()).collect();
    let message = format!(
        "{} calls to action lead away from the page besides its next step: {}",
        targets.len(),
        targets.join(", ")
    );
    let hint = "a landing page has one goal: keep one link out at most, or move the others to a content page";
    Some(
        Diagnostic::warning("attention-ratio", &page.file, message)
            .at_pos(Some(scan.away[1].1))
            .with_hint(hint),
    )
}

fn first_screen(page: &Page, scan: &BodyScan) -> Option<Diagnostic> {
    if layout_acts_first(page) || scan.words_before_action <= FIRST_SCREEN_WORDS {
        return None;
    }
    let message = match scan.first_action {
        Some(_) => format!(
            "the first thing to act on comes after {} words, below the first screen",
            scan.words_before_action
        ),
        None => "the page has nothing to act on in its first screen".to_string(),
    };
    let hint = "put the call to action, form or buy button within the first 150 words, or let the layout show it above the body";
    Some(
        Diagnostic::warning("first-screen", &page.file, message)
            .at_pos(scan.first_action)
            .with_hint(hint),
    )
}

/// True when the built-in layout shows something to act on above the
/// body: `landing` puts the buy button or the next-step button in its
/// header unless the body holds a form or pricing table, and `optin` puts
/// its form beside the headline, or, when the body holds the form, a
/// button under the lead that jumps to it.
fn layout_acts_first(page: &Page) -> bool {
    let meta = &page.meta;
    let calls = |name: &str| page.calls.iter().any(|c| c.name == name);
    match meta.kind() {
        PageKind::Landing => {
            (meta.checkout.is_some() || meta.next.is_some()) && !calls("form") && !calls("pricing")
        }
        PageKind::Optin => meta.form.is_some(),
        _ => false,
    }
}

/// The sizes a page's weight is made of, looked up by URL: a stylesheet's
/// by its href, an image file's by its `src` or `srcset` URL (`None` for
/// one the build does not make, such as an image on another site).
pub(crate) struct Sizes<C, I> {
    pub css: C,
    pub image: I,
}

/// One `page-weight` warning when a rendered page's HTML plus the
/// stylesheets it links plus the images it loads in its first screen (see
/// [`first_screen_images`]) weigh more than the budget.
pub(crate) fn page_weight(
    config: &Config,
    file: &str,
    html: &str,
    sizes: Sizes<impl Fn(&str) -> Option<usize>, impl Fn(&str) -> Option<usize>>,
) -> Option<Diagnostic> {
    if !config.checks.on("page-weight") {
        return None;
    }
    let styles: usize = stylesheet_hrefs(html).filter_map(&sizes.css).sum();
    let images: usize = (first_screen_images(html).into_iter())
        .filter_map(&sizes.image)
        .sum();
    let total = html.len() + styles + images;
    let budget = config.checks.page_weight_kb.saturating_mul(1000);
    if (total as u64) <= budget {
        return None;
    }
    let message = format!(
        "the page weighs {} kB (HTML {} kB, CSS {} kB, first-screen images {} kB), over the budget of {} kB",
        kb(total),
        kb(html.len()),
        kb(styles),
        kb(images),
        config.checks.page_weight_kb
    );
    let hint = "split a long page, drop inline images or scripts, use a smaller first image (or a lower `images.quality`), or raise `checks.page_weight_kb` in site.yaml";
    Some(Diagnostic::warning("page-weight", file, message).with_hint(hint))
}

/// A phone's screen in device pixels: 390 CSS pixels at a density of 2.
/// `page-weight` weighs a first-screen image as a phone loads it.
const PHONE_PIXELS: u32 = 780;

/// The file each image of the first screen loads on a phone, by URL. An
/// image of the first screen is an `<img>` loaded at once (not
/// `loading="lazy"`: the hero, a logo); its file is a candidate of the
/// first `<source>` of its `<picture>` (the format browsers take first,
/// AVIF when the site makes it), else of its own `srcset`: the narrowest
/// at least [`PHONE_PIXELS`] wide, else the widest. Without a `srcset`,
/// its `src`.
fn first_screen_images(html: &str) -> Vec<&str> {
    let mut files = Vec::new();
    for at in memmem::find_iter(html.as_bytes(), "<img ") {
        let Some(end) = html[at..].find('>') else {
            continue;
        };
        let tag = &html[at..at + end];
        if tag.contains("loading=\"lazy\"") {
            continue;
        }
        let before = &html[..at];
        let picture = before
            .rfind("<picture")
            .filter(|&p| before.rfind("</picture>").is_none_or(|closed| closed < p));
        let source = picture.and_then(|p| {
            let start = p + before[p..].find("<source ")?;
            let end = start + before[start..].find('>')?;
            attribute(&before[start..end], "srcset")
        });
        let srcset = source.or_else(|| attribute(tag, "srcset"));
        if let Some(file) = srcset
            .and_then(phone_candidate)
            .or_else(|| attribute(tag, "src"))
        {
            files.push(file);
        }
    }
    files
}

/// The candidate of a `srcset` (`a.avif 480w, b.avif 960w`) a phone
/// picks: the narrowest at least [`PHONE_PIXELS`] wide, else the widest.
fn phone_candidate(srcset: &str) -> Option<&str> {
    let candidates = srcset.split(',').filter_map(|entry| {
        let mut parts = entry.split_whitespace();
        let url = parts.next()?;
        let width = parts
            .next()
            .and_then(|w| w.strip_suffix('w')?.parse::<u32>().ok());
        Some((url, width.unwrap_or(0)))
    });
    let mut sorted: Vec<(&str, u32)> = candidates.collect();
    sorted.sort_by_key(|&(_, width)| width);
    (sorted.iter().find(|&&(_, width)| width >= PHONE_PIXELS))
        .or(sorted.last())
        .map(|&(url, _)| url)
}

/// The value of attribute `name` in the start tag `tag`, written `name="…"`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')?;
    Some(&tag[start..start + end])
}

fn kb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

/// The hrefs of `<link rel="stylesheet" href="…">` elements of `html`.
fn stylesheet_hrefs(html: &str) -> impl Iterator<Item = &str> {
    // `memmem` (SIMD) rather than `str::split`'s search: every page of a
    // build is searched.
    memmem::find_iter(html.as_bytes(), "<link ").filter_map(|at| {
        let tag = &html[at + "<link ".len()..];
        let tag = &tag[..tag.find('>')?];
        if !tag.contains("stylesheet") {
            return None;
        }
        let start = tag.find("href=\"")? + 6;
        let end = tag[start..].find('"')?;
        Some(&tag[start..start + end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_what_a_reader_sees() {
        assert_eq!(longer_than(&"a".repeat(60), 60), None);
        assert_eq!(longer_than(&"a".repeat(61), 60), Some(61));
        // 61 letters with a combining accent each: 122 chars, 61 graphemes.
        assert_eq!(longer_than(&"e\u{301}".repeat(61), 60), Some(61));
        assert_eq!(longer_than(&"e\u{301}".repeat(60), 60), None);
        // 40 Greek letters: 80 bytes, 40 chars.
        assert_eq!(longer_than(&"α".repeat(40), 60), None);
    }

    #[test]
    fn finds_stylesheets() {
        let page =
            "<link rel=\"stylesheet\" href=\"/css/main.1.css\"><link rel=\"icon\" href=\"/f.svg\">";
        assert_eq!(
            stylesheet_hrefs(page).collect::<Vec<_>>(),
            ["/css/main.1.css"]
        );
    }

    #[test]
    fn a_phone_loads_the_narrowest_first_screen_file_of_780_px_or_more() {
        let html = concat!(
            r#"<img src="/logo.svg" alt="Logo" width="160" height="40">"#,
            r#"<picture><source type="image/avif" srcset="/h.480.avif 480w, /h.960.avif 960w, /h.1440.avif 1440w" sizes="100vw">"#,
            r#"<source type="image/webp" srcset="/h.480.webp 480w, /h.960.webp 960w">"#,
            r#"<img src="/h.1440.jpg" srcset="/h.480.jpg 480w, /h.960.jpg 960w" alt="" fetchpriority="high"></picture>"#,
            r#"<picture><img src="/small.600.jpg" srcset="/small.480.jpg 480w, /small.600.jpg 600w" alt=""></picture>"#,
            r#"<picture><source type="image/avif" srcset="/late.960.avif 960w"><img src="/late.960.jpg" alt="" loading="lazy"></picture>"#,
        );
        assert_eq!(
            first_screen_images(html),
            ["/logo.svg", "/h.960.avif", "/small.600.jpg"]
        );
    }

    #[test]
    fn lengths_count_graphemes_not_bytes() {
        // 60 Persian letters are 120 bytes, and 60 characters.
        let title = "ب".repeat(60);
        assert_eq!(title.len(), 120);
        assert_eq!(title.graphemes(true).count(), TITLE_LIMIT);
        // A Greek letter with a combining accent is one character.
        assert_eq!("ά".graphemes(true).count(), 1);
    }
}
