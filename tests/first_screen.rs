//! What a visitor sees before scrolling, measured in headless Chromium on
//! sites made by `funnelcake new` in both built-in themes: an opt-in page
//! that places its form in the body still offers something to act on (the
//! form or a button that jumps to it) at 1280x800 and 390x844, and a
//! launch offer page with a long title keeps its price on a phone's first
//! screen; and an opt-in with its image above the form beside the
//! headline shows the form's button on a laptop's first screen.

mod support;

use serde_json::json;
use support::browser::Browser;
use support::{build_and_serve, copy_fixture, edit_file, set_theme, SiteServer};

const SIZES: [(u32, u32); 2] = [(1280, 800), (390, 844)];

/// A `funnelcake new` site in `theme`, edited by `change`, built and served.
fn serve_new_site(
    dir: &std::path::Path,
    theme: &str,
    change: impl FnOnce(&std::path::Path),
) -> SiteServer {
    let site = dir.join("site");
    funnelcake::new_site(&site, theme).unwrap();
    change(&site);
    build_and_serve(&site, dir)
}

fn resize(browser: &mut Browser, (width, height): (u32, u32)) {
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
    );
}

/// The first of `selectors` whose box lies wholly inside the first
/// viewport (the page is not scrolled), or null.
fn in_first_screen(browser: &mut Browser, selectors: &[&str]) -> serde_json::Value {
    let list = serde_json::to_string(selectors).unwrap();
    browser.eval(&format!(
        "(() => {{ scrollTo(0, 0); for (const s of {list}) {{ const e = document.querySelector(s); if (!e) continue; \
         const r = e.getBoundingClientRect(); \
         if (r.height > 0 && r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth) return s; }} \
         return null; }})()"
    ))
}

#[test]
fn an_optin_with_its_form_in_the_body_has_something_to_act_on_in_the_first_screen() {
    let mut browser = Browser::launch();
    for theme in ["starter", "launch"] {
        let dir = tempfile::tempdir().unwrap();
        let server = serve_new_site(dir.path(), theme, |_| {});
        for size in SIZES {
            resize(&mut browser, size);
            browser.navigate(&format!("{}/guide/", server.url));
            let found = in_first_screen(
                &mut browser,
                &["#form button[type=submit]", "a.button[href=\"#form\"]"],
            );
            assert!(
                found.is_string(),
                "{theme} at {size:?}: no form or jump link on the first screen"
            );
            // The jump link leads to the body's form.
            let target = browser.eval("document.querySelector('a[href=\"#form\"]') && document.getElementById('form').querySelector('form') !== null");
            assert_eq!(target, json!(true), "{theme} at {size:?}");
        }
    }
}

#[test]
fn launch_keeps_the_lead_centred_under_a_centred_title_when_the_body_holds_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_new_site(dir.path(), "launch", |_| {});
    let mut browser = Browser::launch();
    resize(&mut browser, SIZES[0]);
    browser.navigate(&format!("{}/guide/", server.url));
    let offset = browser.eval(
        "(() => { const c = r => (r.left + r.right) / 2; \
         return Math.abs(c(document.querySelector('.hero .lead').getBoundingClientRect()) - c(document.querySelector('.hero h1').getBoundingClientRect())); })()",
    );
    assert!(
        offset.as_f64().unwrap() < 2.0,
        "lead off-centre by {offset}px"
    );
}

#[test]
fn a_launch_offer_with_a_long_title_shows_its_price_on_a_phone_first_screen() {
    let title = "The complete home roasting starter kit: fresh beans, a scale, a grinder and a tasting card";
    assert_eq!(title.chars().count(), 90);
    let dir = tempfile::tempdir().unwrap();
    let server = serve_new_site(dir.path(), "launch", |site| {
        edit_file(&site.join("content/offer.md"), |page| {
            page.replace("title: The starter kit", &format!("title: \"{title}\""))
        });
    });
    let mut browser = Browser::launch();
    resize(&mut browser, SIZES[1]);
    browser.navigate(&format!("{}/offer/", server.url));
    let h1 = browser.eval("document.querySelector('h1').textContent");
    assert_eq!(h1, json!(title));
    let found = in_first_screen(&mut browser, &[".hero .price-amount"]);
    assert!(found.is_string(), "the price is below the first screen");
}

#[test]
fn the_launch_step_pill_keeps_to_one_line_on_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_new_site(dir.path(), "launch", |site| {
        edit_file(&site.join("site.yaml"), |config| {
            let config = config.replace(
                "title: Subscribe }",
                "title: Subscribe to the weekly letter }",
            );
            format!("{config}theme_options: {{ show_step: true }}\n")
        });
    });
    let mut browser = Browser::launch();
    resize(&mut browser, SIZES[1]);
    browser.navigate(&format!("{}/guide/", server.url));
    let text = browser.eval("document.querySelector('.step').textContent");
    assert_eq!(
        text,
        json!("Step 2 of 3· Subscribe to the weekly letter· Lead magnet")
    );
    // Every piece of text in the pill sits on the same line: the tops of its
    // boxes differ by less than a line (the spans' boxes sit a pixel above
    // their text).
    let spread = browser.eval(
        "(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('.step')); \
         const tops = [...r.getClientRects()].filter(b => b.width > 0).map(b => b.top); \
         return Math.max(...tops) - Math.min(...tops) < 8; })()",
    );
    assert_eq!(spread, json!(true), "the pill wraps onto a second line");
    let pill =
        browser.eval("document.querySelector('.step').getBoundingClientRect().right <= innerWidth");
    assert_eq!(pill, json!(true), "the pill fits the screen");
}

#[test]
fn an_opt_in_shows_its_button_beside_the_headline_under_its_image_on_a_laptop() {
    let mut browser = Browser::launch();
    for theme in ["starter", "launch"] {
        optin_under_an_image(&mut browser, theme);
    }
}

fn optin_under_an_image(browser: &mut Browser, theme: &str) {
    // The example's opt-in: a two-line title, a three-line lead in its
    // serif, a photo and a form of a name, an e-mail and the consent box
    // with its privacy link beside them.
    let (dir, site) = copy_fixture("hero");
    set_theme(&site, theme);
    edit_file(&site.join("site.yaml"), |config| {
        config.replace(
            "  action: /subscribe\n",
            "  action: /subscribe\n  consent: I agree to receive e-mails from Bean & Brew. I can unsubscribe at any time.\n  privacy_url: https://hero.example/privacy/\ntheme_options: { font: serif }\n",
        )
    });
    edit_file(&site.join("content/optin.md"), |page| {
        page.replace("The free roasting guide", "The 7-day home roasting guide")
            .replace("Twelve pages on roasting at home.", "A free 14-page PDF and seven short e-mails that explain what roasting does to a coffee bean, and show you how to roast your first small batch in a frying pan.")
            .replace("fields: [email]", "fields: [name, email]")
    });
    let server = build_and_serve(&site, dir.path());
    resize(browser, (1280, 800));
    browser.navigate(&format!("{}/optin/", server.url));
    // The image is beside the headline, and the form below it.
    let order = browser.eval(
        "(() => { const top = s => document.querySelector(s).getBoundingClientRect().top; \
         return top('.hero-image img') < top('.optin-form') && top('h1') < top('.optin-form'); })()",
    );
    assert_eq!(order, json!(true), "{theme}");
    let fields =
        browser.eval("document.querySelectorAll('.optin-form input:not([type=hidden])').length");
    assert_eq!(
        fields,
        json!(4),
        "{theme}: name, e-mail, consent and the honeypot"
    );
    let found = in_first_screen(browser, &[".optin-form button[type=submit]"]);
    assert_eq!(found, json!(".optin-form button[type=submit]"), "{theme}");
}
