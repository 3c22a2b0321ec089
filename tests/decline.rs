//! An offer's way out: the "No thanks" link of a page with `decline:`,
//! once, right after the buy action whichever way the page sells (the
//! layout's button, the `checkout` component, plans with checkouts), in
//! both themes and translated; and the phones' sticky bar, which points at
//! the buy action (a jump to the plans where plans sell). In headless
//! Chromium on a phone: the bar jumps to the plans and the link is seen.

mod support;

use std::path::Path;
use std::time::Duration;
use support::{build_ok, build_serve_browse, build_site, copy_fixture, edit_file, read};

const NO_THANKS: &str =
    "<p class=\"cta cta-decline\"><a class=\"checkout-decline\" href=\"/welcome/done/\">No thanks</a></p>";

/// What follows the last match of `marker` on the page, up to the decline
/// link (which must come after it), with blank lines dropped.
fn between(html: &str, marker: &str, link: &str) -> String {
    let from = html.rfind(marker).unwrap_or_else(|| panic!("no {marker}"));
    let to = html[from..].find(link).expect("the decline link after it") + from;
    html[from..to].to_string()
}

/// The `<div class="sticky-cta">` bar's link, as written.
fn sticky_link(html: &str) -> &str {
    let bar = html
        .find("<div class=\"sticky-cta\"")
        .expect("a sticky bar");
    let start = bar + html[bar..].find("<a ").unwrap();
    let end = start + html[start..].find("</a>").unwrap() + 4;
    &html[start..end]
}

fn check_once_each(out: &Path, link: &str) {
    for page in ["button", "component", "plans"] {
        let html = read(out, &format!("offers/{page}/index.html"));
        assert_eq!(html.matches("checkout-decline").count(), 1, "{page}");
        assert_eq!(html.matches(link).count(), 1, "{page}: {link}");
    }
}

#[test]
fn the_decline_link_follows_each_way_of_selling_once() {
    let (_dir, out) = build_ok("decline");
    check_once_each(&out, NO_THANKS);
    // The layout's button: in the hero, straight after it; the closing
    // button that repeats it goes without.
    let button = read(&out, "offers/button/index.html");
    let hero = between(&button, "</h1>", NO_THANKS);
    assert!(hero.trim_end().ends_with("\">Buy now</a></p>"), "{hero}");
    assert!(!hero.contains("<div class=\"content\">"), "{hero}");
    // The component: after the one in the body, not the hero's copy.
    let component = read(&out, "offers/component/index.html");
    let body = between(&component, "<div class=\"content\">", NO_THANKS);
    assert!(
        body.trim_end().ends_with("\">Add the scale</a></p>"),
        "{body}"
    );
    // Plans: after the last plan, inside the pricing section; the page's
    // secondary `cta` button carries no decline.
    let plans = read(&out, "offers/plans/index.html");
    let after = between(&plans, "data-checkout-plan=\"Electric grinder\"", NO_THANKS);
    assert!(after.trim_end().ends_with("</article>\n</div>"), "{after}");
    assert!(plans.contains(&format!("{NO_THANKS}\n</section>")));
}

#[test]
fn the_sticky_bar_points_at_the_buy_action() {
    let (_dir, out) = build_ok("decline");
    let plans = read(&out, "offers/plans/index.html");
    assert_eq!(
        sticky_link(&plans),
        "<a class=\"button\" href=\"#pricing-plans\">See the offers</a>",
        "a jump to the plans, not the page's secondary link"
    );
    assert!(plans.contains("<section class=\"pricing\" id=\"pricing-plans\">"));
    let button = read(&out, "offers/button/index.html");
    assert!(sticky_link(&button).starts_with(
        "<a class=\"button button-checkout\" href=\"https://buy.stripe.com/test_frother?client_reference_id=offers_button\""
    ));
}

#[test]
fn the_launch_theme_shows_the_link_once_too() {
    let (dir, site) = copy_fixture("decline");
    edit_file(&site.join("site.yaml"), |c| format!("{c}theme: launch\n"));
    let out = build_site(&site, dir.path().join("out"));
    check_once_each(&out, NO_THANKS);
    let plans = read(&out, "offers/plans/index.html");
    assert!(sticky_link(&plans).contains("href=\"#pricing-plans\""));
}

#[test]
fn the_decline_link_and_the_jump_are_translated() {
    let (dir, site) = copy_fixture("decline");
    edit_file(&site.join("site.yaml"), |c| format!("{c}language: fa\n"));
    let out = build_site(&site, dir.path().join("out"));
    check_once_each(
        &out,
        "<a class=\"checkout-decline\" href=\"/welcome/done/\">نه، ممنون</a>",
    );
    let plans = read(&out, "offers/plans/index.html");
    assert_eq!(
        sticky_link(&plans),
        "<a class=\"button\" href=\"#pricing-plans\">دیدن پیشنهادها</a>"
    );
}

#[test]
fn on_a_phone_the_bar_jumps_to_the_plans_and_the_decline_link_is_seen() {
    let mut site = build_serve_browse("decline").phone();
    site.open("/offers/plans/");
    let bar = "document.getElementById('sticky-cta')";
    site.browser
        .wait_until(&format!("!{bar}.hidden"), Duration::from_secs(10));
    site.browser.click("#sticky-cta a");
    site.browser.wait_until(
        "location.hash === '#pricing-plans' && Math.abs(document.getElementById('pricing-plans').getBoundingClientRect().top) < 2",
        Duration::from_secs(10),
    );
    // Scrolling on through the plans, the link comes into view and the
    // bar gets out of its way.
    site.browser
        .eval("document.querySelector('.checkout-decline').scrollIntoView({block: 'center'})");
    site.browser
        .wait_until(&format!("{bar}.hidden"), Duration::from_secs(10));
    let seen = site.browser.eval(
        "(() => { const a = document.querySelector('.checkout-decline'), r = a.getBoundingClientRect(); \
         return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight \
         && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === a })()",
    );
    assert_eq!(seen, true, "{}", site.browser.eval("(() => { const a = document.querySelector('.checkout-decline'), r = a.getBoundingClientRect(); const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return JSON.stringify([r, innerHeight, e && e.outerHTML.slice(0, 80)]) })()"));
    assert_eq!(
        site.browser
            .eval("document.querySelector('.checkout-decline').href"),
        format!("{}/welcome/done/", site.server.url)
    );
}

#[test]
fn a_site_rewords_the_link_in_its_own_strings() {
    let (dir, site) = copy_fixture("decline");
    std::fs::create_dir_all(site.join("i18n")).unwrap();
    std::fs::write(
        site.join("i18n/en.yaml"),
        "no_thanks: \"No thanks, I'll grind by hand\"\n",
    )
    .unwrap();
    let out = build_site(&site, dir.path().join("out"));
    check_once_each(
        &out,
        "<a class=\"checkout-decline\" href=\"/welcome/done/\">No thanks, I&#39;ll grind by hand</a>",
    );
}
