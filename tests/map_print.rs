//! The funnel map of an eight-stage journey with two pages outside it, in
//! headless Chromium, in both built-in themes: at 1280 px it needs no
//! sideways scroll (the other pages sit in a band below), every badge
//! lies wholly inside its card, a long word on a card is hyphenated in
//! the site's language, and printed landscape it fills one page. Cards
//! with many conversion warnings grow to show them all, left to right and
//! right to left, in the built-in themes and the standalone map.

mod support;

use serde_json::json;
use support::browser::Browser;
use support::{build_and_serve, copy_fixture, copy_tree, edit_file, fixture, set_theme};

#[test]
fn an_eight_stage_map_fits_a_laptop_keeps_its_badges_and_prints_on_one_landscape_page() {
    let mut browser = Browser::launch();
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
    );
    for theme in ["starter", "launch"] {
        let (dir, site) = copy_fixture("map-eight");
        set_theme(&site, theme);
        let server = build_and_serve(&site, dir.path());
        browser.navigate(&format!("{}/funnel/", server.url));
        let scroll = browser.eval(
            "[document.documentElement.scrollWidth, innerWidth, \
             document.querySelector('.map-scroll').scrollWidth, \
             document.querySelector('.map-scroll').clientWidth]",
        );
        let [page, window, board, room] = [0, 1, 2, 3].map(|i| scroll[i].as_u64().unwrap());
        assert!(page <= window && board <= room, "{theme}: {scroll}");
        // The pages outside the journey (about, privacy) sit in a band
        // below every stage's cards, within the board's width, not in a
        // ninth column beside them.
        let band = browser.eval(
            "(() => { const board = document.querySelector('.map-board').getBoundingClientRect(); \
             const rects = s => [...document.querySelectorAll(s)].map(e => e.getBoundingClientRect()); \
             const stages = rects('.map-column:not(.map-other) .map-card'); \
             const others = rects('.map-other .map-card'); \
             const low = Math.max(...stages.map(r => r.bottom)); \
             return [others.length, others.every(r => r.top > low && r.left >= board.left && r.right <= board.right)]; })()",
        );
        assert_eq!(band, json!([2, true]), "{theme}: the band of other pages");
        let (badges, clipped) = badges_outside_their_cards(&mut browser);
        assert!(badges >= 12, "{theme}: {badges} badges");
        assert_eq!(clipped, json!([]), "{theme}: badges clipped");
        let ab = browser.eval("document.querySelectorAll('.map-card .map-ab').length");
        assert_eq!(ab, 1, "{theme}");
        // A long word on a compact card is hyphenated in the page's
        // language where the browser has its dictionary, and broken
        // anywhere only where it has none.
        let breaking = browser.eval(
            "(() => { const h = document.querySelector('.map-card h3'); const s = getComputedStyle(h); \
             return [h.closest('[lang]').lang, s.hyphens, s.overflowWrap]; })()",
        );
        assert_eq!(breaking, json!(["el", "auto", "anywhere"]), "{theme}");
        let pdf = browser.call(
            "Page.printToPDF",
            json!({ "landscape": true, "preferCSSPageSize": true, "printBackground": true }),
        );
        let pdf = base64_decode(pdf["data"].as_str().unwrap());
        let pages = count(&pdf, b"/Type /Page") - count(&pdf, b"/Type /Pages");
        assert_eq!(pages, 1, "{theme}: pages printed");
    }
}

#[test]
fn cards_with_many_warnings_grow_to_hold_every_badge_in_both_directions() {
    let mut browser = Browser::launch();
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
    );
    for (theme, language) in [
        ("starter", "el"),
        ("starter", "fa"),
        ("launch", "el"),
        ("launch", "fa"),
        ("plain", "fa"),
    ] {
        let (dir, site) = copy_fixture("map-warnings");
        set_language(&site, language);
        if theme == "plain" {
            add_theme_without_a_map(&site);
        }
        set_theme(&site, theme);
        let server = build_and_serve(&site, dir.path());
        browser.navigate(&format!("{}/funnel/", server.url));
        let seen = browser.eval(
            "[document.documentElement.dir, document.querySelectorAll('.map-check').length, \
             !!document.querySelector('link[rel=stylesheet]')]",
        );
        let dir = if language == "fa" { "rtl" } else { "ltr" };
        assert_eq!(seen[0], dir, "{theme} {language}");
        // The bare theme's pages carry no stylesheet, so none is heavy.
        let checks = seen[1].as_u64().unwrap();
        let least = if theme == "plain" { 8 } else { 20 };
        assert!(checks >= least, "{theme} {language}: {seen}");
        assert_eq!(
            seen[2],
            theme != "plain",
            "{theme}: the standalone map inlines its CSS"
        );
        let (badges, clipped) = badges_outside_their_cards(&mut browser);
        // Each of the 12 cards also has its layout's badge.
        assert!(badges >= checks + 12, "{theme} {language}: {badges} badges");
        assert_eq!(clipped, json!([]), "{theme} {language}: badges clipped");
        // The board still fits a laptop's width.
        let wide = browser.eval("document.documentElement.scrollWidth <= innerWidth");
        assert_eq!(wide, true, "{theme} {language}");
        // Taller cards make a taller board, still on one landscape page
        // of A4 (the shorter) or US Letter.
        for (paper, width, height) in [("A4", 8.27, 11.69), ("Letter", 8.5, 11.0)] {
            let pdf = browser.call(
                "Page.printToPDF",
                json!({ "landscape": true, "paperWidth": width, "paperHeight": height,
                        "preferCSSPageSize": true, "printBackground": true }),
            );
            let pdf = base64_decode(pdf["data"].as_str().unwrap());
            let pages = count(&pdf, b"/Type /Page") - count(&pdf, b"/Type /Pages");
            assert_eq!(pages, 1, "{theme} {language}: pages printed on {paper}");
        }
    }
}

/// How many badges the map's cards have, and the texts of those that do
/// not lie wholly inside their card (or are not drawn at all).
fn badges_outside_their_cards(browser: &mut Browser) -> (u64, serde_json::Value) {
    let found = browser.eval(
        "(() => { const out = []; const badges = document.querySelectorAll('.map-card .map-tag'); \
         for (const b of badges) { const r = b.getBoundingClientRect(); \
         const c = b.closest('.map-card').getBoundingClientRect(); \
         if (r.width === 0 || r.left < c.left || r.right > c.right || r.top < c.top || r.bottom > c.bottom) \
         out.push(b.textContent); } return [badges.length, out]; })()",
    );
    (found[0].as_u64().unwrap(), found[1].clone())
}

/// Sets the site's `language:` (Greek in the fixture; Persian turns the
/// map right to left).
fn set_language(site: &std::path::Path, language: &str) {
    edit_file(&site.join("site.yaml"), |config| {
        config.replace("language: el\n", &format!("language: {language}\n"))
    });
}

/// Adds `themes/plain`: a theme of the site's own with a bare template
/// for each layout the fixture uses and no `funnel.html`, so the map is
/// funnelcake's standalone page. Its bare opt-in layout cannot run an
/// A/B test, so the guide's experiment goes.
fn add_theme_without_a_map(site: &std::path::Path) {
    edit_file(&site.join("content/guide.md"), |page| {
        let (head, rest) = page.split_once("experiment:").unwrap();
        format!("{head}---{}", rest.split_once("---").unwrap().1)
    });
    let own = fixture("map-own-theme").join("themes");
    copy_tree(&own, &site.join("themes"));
    let templates = site.join("themes/plain/templates");
    for layout in ["optin", "thankyou", "page"] {
        std::fs::copy(
            templates.join("landing.html"),
            templates.join(format!("{layout}.html")),
        )
        .unwrap();
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
