//! Evergreen deadlines (`expires: { after_first_visit, then }`) on fixture
//! sites: the built page (no date without JavaScript, no
//! `priceValidUntil`), the errors at their line, and in headless Chromium
//! the visitor's own deadline: the first visit starts the clock, a visit
//! past it goes to `then` (or says the offer has ended), and with
//! JavaScript off the offer shows with no deadline.

mod support;

use std::time::Duration;
use support::browser::Browser;
use support::{build_and_serve, build_errors, build_ok, fixture, read};

#[test]
fn an_evergreen_offer_has_no_date_in_its_html_or_json_ld() {
    let (_dir, out) = build_ok("evergreen");
    let kit = read(&out, "offers/kit/index.html");
    assert!(kit.contains("\"offers\":{\"@type\":\"Offer\",\"availability\":\"https://schema.org/InStock\",\"price\":\"9.00\",\"priceCurrency\":\"EUR\","));
    assert!(
        !kit.contains("priceValidUntil"),
        "no date is valid for every visitor"
    );
    assert!(
        kit.contains("<div class=\"countdown\" data-evergreen data-ends=\"Offer ends {date}\" hidden data-left="),
        "without JavaScript the countdown stays hidden"
    );
    assert!(kit.contains("<p class=\"countdown-deadline\" aria-live=\"polite\"></p>"));
    assert!(kit.contains("<script data-cookie=\"funnelcake_deadline_offers_kit\" data-seconds=\"259200\" data-then=\"/offers/kit-expired/\" data-ended=\"This offer has ended.\" data-calendar=\"gregorian\">"));
    let mug = read(&out, "offers/mug/index.html");
    assert!(mug.contains("<script data-cookie=\"funnelcake_deadline_offers_mug\" data-seconds=\"5400\" data-ended=\"This offer has ended.\" data-calendar=\"gregorian\">"));
    // `then` is a link of the funnel.
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let kit = (json["pages"].as_array().unwrap().iter())
        .find(|p| p["url"] == "/offers/kit/")
        .unwrap();
    assert!(
        kit["links"].to_string().contains("/offers/kit-expired/"),
        "{}",
        kit["links"]
    );
}

#[test]
fn evergreen_errors_are_at_their_line() {
    let errors = build_errors("evergreen-errors");
    let lines: Vec<&str> = errors.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        lines,
        [
            "error: content/index.md:5:22: `expires.after_first_visit` \"72 hours\" is not a duration",
            "error: content/missing-then.md:6:9: `expires.then` points at \"offers/gone.md\", which is not a page",
            "error: content/no-duration.md:4:1: missing required field `expires.after_first_visit`",
            "error: content/no-duration.md:6:3: unknown key `expires.after`",
        ]
    );
    assert!(errors
        .contains("= help: write a whole number of minutes, hours or days: `90m`, `72h`, `3d`"));
}

/// The visitor's deadline cookie for the kit, in ms since the epoch (0 when unset).
const DEADLINE: &str =
    "+(document.cookie.match(/funnelcake_deadline_offers_kit=(\\d+)/) || [0, 0])[1]";

#[test]
fn the_first_visit_starts_the_clock_and_a_later_one_past_it_goes_to_then() {
    let dir = tempfile::tempdir().unwrap();
    let server = build_and_serve(&fixture("evergreen"), dir.path());
    let mut browser = Browser::launch();
    let kit = format!("{}/offers/kit/", server.url);
    browser.navigate(&kit);
    let hours = browser.eval(&format!("Math.round(({DEADLINE} - Date.now()) / 36e5)"));
    assert_eq!(hours, 72, "the first visit sets a deadline 72 hours ahead");
    browser.wait_until(
        "!document.querySelector('.countdown').hidden",
        Duration::from_secs(10),
    );
    let clock = browser.eval("document.querySelector('.countdown-clock').textContent");
    assert!(clock.as_str().unwrap().starts_with("2 d 23 h"), "{clock}");
    let line = browser.eval("document.querySelector('.countdown-deadline').textContent");
    assert!(line.as_str().unwrap().starts_with("Offer ends "), "{line}");

    // A second visit keeps the first deadline.
    browser.eval(&format!(
        "document.cookie = 'funnelcake_deadline_offers_kit=' + ({DEADLINE} - 36e5) + ';path=/'"
    ));
    let kept = browser.eval(DEADLINE);
    browser.navigate(&kit);
    assert_eq!(browser.eval(DEADLINE), kept);

    // Past the deadline, the page sends the visitor to `then`.
    browser.eval(
        "document.cookie = 'funnelcake_deadline_offers_kit=' + (Date.now() - 1000) + ';path=/'",
    );
    browser.navigate(&kit);
    browser.wait_until(
        "location.pathname === '/offers/kit-expired/'",
        Duration::from_secs(10),
    );

    // Without `then`, the buy button gives way to "offer ended".
    let mug = format!("{}/offers/mug/", server.url);
    browser.navigate(&mug);
    assert!(browser.eval("document.querySelector('a[data-checkout]') !== null") == true);
    browser.eval(
        "document.cookie = 'funnelcake_deadline_offers_mug=' + (Date.now() - 1000) + ';path=/'",
    );
    browser.navigate(&mug);
    assert_eq!(browser.eval("location.pathname"), "/offers/mug/");
    assert_eq!(
        browser.eval("[document.querySelector('a[data-checkout]'), document.querySelector('.offer-ended').textContent, document.querySelector('.countdown-deadline').textContent]"),
        serde_json::json!([null, "This offer has ended.", "This offer has ended."])
    );
}

#[test]
fn without_javascript_the_offer_shows_with_no_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = build_and_serve(&fixture("evergreen"), dir.path());
    let mut browser = Browser::launch();
    browser.disable_javascript();
    browser.navigate(&format!("{}/offers/kit/", server.url));
    assert_eq!(browser.eval("location.pathname"), "/offers/kit/");
    assert_eq!(browser.eval(DEADLINE), 0, "no cookie is set");
    assert_eq!(
        browser.eval("[!!document.querySelector('a[data-checkout]').offsetParent, document.querySelector('.countdown').offsetParent, document.body.innerText.includes('Offer ends')]"),
        serde_json::json!([true, null, false]),
        "the buy button shows; the countdown and any date do not"
    );
}
