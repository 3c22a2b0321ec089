//! The funnel map of an eight-stage journey with two pages outside it, in
//! headless Chromium, in both built-in themes: at 1280 px it needs no
//! sideways scroll (the other pages sit in a band below), every A/B
//! badge lies wholly inside its card, a long word on a card is hyphenated
//! in the site's language, and printed landscape it fills one page.

mod support;

use serde_json::json;
use support::browser::Browser;
use support::{build_and_serve, copy_fixture, set_theme};

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
        let clipped = browser.eval(
            "(() => { const out = []; const badges = document.querySelectorAll('.map-ab'); \
             for (const b of badges) { const r = b.getBoundingClientRect(); \
             const c = b.closest('.map-card').getBoundingClientRect(); \
             if (r.width === 0 || r.left < c.left || r.right > c.right || r.top < c.top || r.bottom > c.bottom) \
             out.push(b.textContent); } return [badges.length, out]; })()",
        );
        assert_eq!(clipped, json!([1, []]), "{theme}: A/B badges clipped");
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
