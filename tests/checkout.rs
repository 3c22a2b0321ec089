//! Checkouts on fixture sites: each provider's buy button with the
//! attribution it keeps, the `checkout:` and `decline:` errors at their
//! line, the new link kinds in funnel.json, on the map and in
//! `funnelcake funnel`; and in headless Chromium, the click that adds the
//! visitor's e-mail and UTM values and sends `begin_checkout`.

mod support;

use funnelcake::BuildOptions;
use std::path::Path;
use std::time::Duration;
use support::browser::Browser;
use support::{
    build_errors, build_ok, build_serve_browse, build_site, copy_fixture, edit_file, fixture, read,
};

/// Every buy button of a built page (`""` for the home page), as written:
/// each link whose classes include `button-checkout`, the page's own and
/// every plan's, featured or not (`button-secondary`); but for the sticky
/// bar on phones (which repeats the page's main one).
fn buttons(out: &Path, page: &str) -> Vec<String> {
    let file = match page {
        "" => "index.html".to_string(),
        page => format!("{page}/index.html"),
    };
    let mut html = read(out, &file);
    if let Some(start) = html.find("<div class=\"sticky-cta\"") {
        let end = start + html[start..].find("</div>").unwrap();
        html.replace_range(start..end, "");
    }
    let open = "<a class=\"";
    html.match_indices(open)
        .filter(|&(at, _)| {
            let classes = &html[at + open.len()..];
            let classes = &classes[..classes.find('"').unwrap()];
            classes.split(' ').any(|class| class == "button-checkout")
        })
        .map(|(at, _)| {
            let end = html[at..].find("</a>").unwrap() + 4;
            html[at..at + end].to_string()
        })
        .collect()
}

/// The buy button of a built page that sells one thing (a landing page
/// shows it twice: in the first screen and at the end).
fn button(out: &Path, page: &str) -> String {
    let mut found = buttons(out, page);
    assert!(!found.is_empty(), "{page}: no buy button");
    assert!(found.iter().all(|b| *b == found[0]), "{page}: {found:?}");
    found.remove(0)
}

#[test]
fn buttons_finds_every_plans_button_and_nothing_else() {
    let (_dir, out) = build_ok("plan-checkout");
    let found = buttons(&out, "");
    let plans: Vec<&str> = (found.iter())
        .map(|b| b.split("data-checkout-plan=\"").nth(1).unwrap())
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(plans, ["Monthly", "Yearly"], "{found:?}");
    assert!(found[0].starts_with("<a class=\"button button-checkout button-secondary\""));
}

/// The buy button of a built page's sticky bar (on phones).
fn sticky_button(out: &Path, page: &str) -> String {
    let html = read(out, &format!("{page}/index.html"));
    let start = html
        .find("<div class=\"sticky-cta\"")
        .expect("a sticky bar");
    let at = start + html[start..].find("<a ").unwrap();
    let end = at + html[at..].find("</a>").unwrap() + 4;
    html[at..end].to_string()
}

#[test]
fn each_provider_gets_a_plain_link_with_the_attribution_it_keeps() {
    let (_dir, out) = build_ok("checkout");
    let kit = buttons(&out, "offers/kit");
    assert_eq!(kit.len(), 2, "the hero and the closing call to action");
    assert_eq!(
        kit[0],
        "<a class=\"button button-checkout\" href=\"https://buy.stripe.com/test_kit?client_reference_id=offers_kit\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\">Get the kit for €9</a>"
    );
    let club = buttons(&out, "offers/club");
    let lemon = "<a class=\"button button-checkout\" href=\"https://brew.lemonsqueezy.com/checkout/buy/club-1?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2Foffers%2Fclub%2F\" data-checkout=\"lemonsqueezy\" data-checkout-email=\"checkout[email]\" data-checkout-utm=\"checkout[custom][{}]\">";
    assert_eq!(
        club,
        [
            format!("{lemon}Buy now</a>"),
            format!("{lemon}Join the club</a>")
        ],
        "the first screen's button, then the component's with its own label, and no closing one"
    );
    assert_eq!(
        button(&out, "offers/course"),
        "<a class=\"button button-checkout\" href=\"https://sandbox-pay.paddle.io/hsc_01course\" data-checkout=\"paddle\" data-checkout-email=\"user_email\">Buy now</a>"
    );
    assert_eq!(
        button(&out, "offers/ebook"),
        "<a class=\"button button-checkout\" href=\"https://brew.gumroad.com/l/ebook?funnel_page=%2Foffers%2Febook%2F\" data-checkout=\"gumroad\" data-checkout-utm=\"{}\">Buy now</a>"
    );
    assert_eq!(
        button(&out, "offers/mug"),
        "<a class=\"button button-checkout\" href=\"https://shop.example.com/mug?ref=site#buy\" data-checkout=\"link\">Buy now</a>"
    );
    let club = read(&out, "offers/club/index.html");
    assert!(
        club.contains("<a class=\"checkout-decline\" href=\"/welcome/done/\">No thanks</a>"),
        "the upsell's decline link"
    );
    assert!(!read(&out, "welcome/kit/index.html").contains("button-checkout"));
}

#[test]
fn checkout_and_decline_errors_are_at_their_line() {
    let errors = build_errors("checkout-errors");
    let lines: Vec<&str> = errors.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        lines,
        [
            "error: content/http.md:5:8: checkout URL \"http://buy.stripe.com/test_a\" is not an https: URL",
            "error: content/index.md:4:13: unknown checkout provider \"strip\" (did you mean \"stripe\"?)",
            "error: content/lemon.md:3:42: \"https://brew.lemonsqueezy.com/products/kit\" is not a lemonsqueezy checkout link",
            "error: content/missing.md:7:12: `checkout.success` points at \"welcome/thanks.md\", which is not a page",
            "error: content/missing.md:8:10: `decline` points at \"no-thanks\", which is not a page",
            "error: content/wrong-host.md:3:36: \"https://checkout.stripe.com/c/pay/cs_test_1\" is not a stripe checkout link",
        ]
    );
    assert!(
        errors.contains("= help: a Stripe Payment Link looks like `https://buy.stripe.com/...`")
    );
    assert!(errors.contains("= help: a Lemon Squeezy checkout link looks like `https://STORE.lemonsqueezy.com/checkout/buy/...`"));
}

#[test]
fn funnel_json_and_the_map_show_checkout_and_decline_links() {
    let (_dir, out) = build_ok("checkout");
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let page = |url: &str| {
        json["pages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["url"] == url)
            .unwrap()
            .clone()
    };
    let club = page("/offers/club/");
    assert_eq!(
        club["links"],
        serde_json::json!([
            { "to": "/welcome/club/", "kind": "checkout" },
            { "to": "/welcome/done/", "kind": "decline" }
        ])
    );
    assert_eq!(
        club["checkout"],
        serde_json::json!({
            "provider": "lemonsqueezy",
            "url": "https://brew.lemonsqueezy.com/checkout/buy/club-1",
            "success_url": "https://checkout.example/welcome/club/?transaction_id=[order_id]"
        })
    );
    assert!(page("/welcome/kit/").get("checkout").is_none());

    let map = read(&out, "funnel/index.html");
    for kind in ["checkout", "decline"] {
        assert!(
            map.contains(&format!("<path class=\"map-{kind}\"")),
            "a {kind} arrow"
        );
        assert!(
            map.contains(&format!("id=\"map-head-{kind}\"")),
            "its own head"
        );
    }
    assert!(map.contains("(checkout)</li>") && map.contains("(decline)</li>"));
}

#[test]
fn funnel_command_lists_each_success_url_to_set_in_the_provider() {
    let (text, _) =
        funnelcake::funnel_text(&BuildOptions::new(fixture("checkout")), false).unwrap();
    assert!(text.contains(
        "  /offers/club/ Join the coffee club  [landing, Upsell]\n    → /welcome/club/ (checkout)\n    → /welcome/done/ (decline)\n    $ lemonsqueezy checkout; set its success URL in the provider: https://checkout.example/welcome/club/?transaction_id=[order_id]\n"
    ), "{text}");
    assert!(text.contains(
        "    $ stripe checkout; set its success URL in the provider: https://checkout.example/welcome/kit/?transaction_id={CHECKOUT_SESSION_ID}\n"
    ));
}

#[test]
fn the_click_adds_email_and_utm_values_and_sends_begin_checkout_then_purchase() {
    let mut site = build_serve_browse("checkout");
    // The UTM script keeps the first landing's values for the visit.
    site.open("/?utm_source=news&utm_campaign=spring%20sale");
    site.browser
        .eval("sessionStorage.setItem('funnelcake_email', 'ada@example.com')");
    site.open("/offers/kit/");
    assert_eq!(
        clicked_href(&mut site.browser, "a[data-checkout]"),
        "https://buy.stripe.com/test_kit?client_reference_id=offers_kit&prefilled_email=ada%40example.com&utm_source=news",
        "Stripe drops a UTM value with a space, so it is left out"
    );
    let event = site.browser.eval(
        "JSON.stringify(dataLayer.filter(e => e.event === 'begin_checkout').map(e => [e.value, e.currency, e.items[0].item_id]))",
    );
    assert_eq!(event.as_str().unwrap(), "[[9,\"EUR\",\"/offers/kit/\"]]");

    site.open("/offers/club/");
    assert_eq!(
        clicked_href(&mut site.browser, "a[data-checkout]"),
        "https://brew.lemonsqueezy.com/checkout/buy/club-1?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2Foffers%2Fclub%2F&checkout%5Bemail%5D=ada%40example.com&checkout%5Bcustom%5D%5Butm_source%5D=news&checkout%5Bcustom%5D%5Butm_campaign%5D=spring+sale"
    );

    // The success page reports the purchase once per visit.
    let purchases = "JSON.stringify(dataLayer.filter(e => e.event === 'purchase').map(e => [e.value, e.currency, e.items[0].item_id]))";
    site.open("/welcome/kit/");
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        "[[9,\"EUR\",\"/offers/kit/\"]]"
    );
    site.open("/welcome/kit/");
    assert_eq!(site.browser.eval(purchases).as_str().unwrap(), "[]");
    // A page two checkouts lead to cannot tell which was bought.
    site.open("/welcome/done/");
    assert_eq!(site.browser.eval(purchases).as_str().unwrap(), "[]");
}

#[test]
fn the_purchase_carries_the_arm_and_the_transaction_id_once_per_transaction() {
    let mut site = build_serve_browse("checkout-ab");
    // A visitor in arm b of the price test buys there.
    site.open("/");
    site.browser
        .eval("document.cookie = 'fc_exp_kit-price=b; path=/'");
    site.open("/offers/kit/");
    site.browser.wait_until(
        "location.pathname === '/offers/kit/b/' && document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    site.browser
        .eval("document.addEventListener('click', e => e.preventDefault())");
    site.browser.click("a[data-checkout]");
    // The click's record wins over a cookie that changed since.
    site.browser
        .eval("document.cookie = 'fc_exp_kit-price=a; path=/'");
    let purchases = "JSON.stringify(dataLayer.filter(e => e.event === 'purchase').map(e => [e.value, e.currency, e.variant, e.experiment, e.transaction_id || null, e.items[0].item_id]))";
    let success = |query: &str| format!("{}/welcome/kit/{query}", site.server.url);
    // Stripe fills in the session id the success URL asks for.
    site.browser
        .navigate(&success("?transaction_id=cs_test_a1"));
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        r#"[[7,"EUR","b","kit-price","cs_test_a1","/offers/kit/"]]"#,
        "arm b's own price, its arm and the session id"
    );
    site.browser
        .navigate(&success("?transaction_id=cs_test_a1"));
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        "[]",
        "a reload"
    );
    // A second purchase in the same visit is a new transaction.
    site.browser
        .navigate(&success("?transaction_id=cs_test_a2"));
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        r#"[[7,"EUR","b","kit-price","cs_test_a2","/offers/kit/"]]"#
    );
    // Without the click's record (another tab), the experiment's cookie
    // gives the arm; a placeholder the provider left unfilled is no id.
    site.browser
        .eval("sessionStorage.clear(); document.cookie = 'fc_exp_kit-price=b; path=/'");
    site.browser
        .navigate(&success("?transaction_id=%7BCHECKOUT_SESSION_ID%7D"));
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        r#"[[7,"EUR","b","kit-price",null,"/offers/kit/"]]"#
    );
    site.browser.navigate(&success(""));
    assert_eq!(
        site.browser.eval(purchases).as_str().unwrap(),
        "[]",
        "without an id, once per visit"
    );
    // The transaction ids outlive the visit.
    site.browser.eval("sessionStorage.clear()");
    site.browser
        .navigate(&success("?transaction_id=cs_test_a1"));
    assert_eq!(site.browser.eval(purchases).as_str().unwrap(), "[]");
}

#[test]
fn the_ladder_checks_warn_in_text() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("checkout-ladder")));
    let text: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let firsts: Vec<&str> = text.iter().filter_map(|t| t.lines().next()).collect();
    assert_eq!(
        firsts,
        [
            "warning: content/book.md: stage \"convert\" page has no next step (dead end)",
            "warning: content/book.md: the offer page has a price but no checkout, no order form and no next step, so no one can buy",
            "warning: content/club.md: the upsell has no `decline:`, so a buyer who says no has nowhere to go",
            "warning: content/club.md:10:12: `checkout.success` goes back from stage \"ascend\" to the earlier stage \"aware\"",
            "warning: content/club.md:10:12: the checkout's success page content/index.md is neither a thank-you page nor an upsell",
            "warning: content/grinder.md:7:10: `decline` goes back from stage \"ascend\" to the earlier stage \"convert\"",
        ]
    );
}

#[test]
fn the_ladder_checks_have_stable_codes_in_json() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("checkout-ladder")));
    let json: serde_json::Value = serde_json::from_str(&diagnostics.to_json()).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]));
    let codes: Vec<(String, String, Option<u64>)> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap().to_string();
            (text("code"), text("file"), w["line"].as_u64())
        })
        .collect();
    let expect = |code: &str, file: &str, line: Option<u64>| (code.into(), file.into(), line);
    assert_eq!(
        codes,
        [
            expect("dead-end", "content/book.md", None),
            expect("offer-without-checkout", "content/book.md", None),
            expect("upsell-without-decline", "content/club.md", None),
            expect("backward-ladder", "content/club.md", Some(10)),
            expect("success-layout", "content/club.md", Some(10)),
            expect("backward-ladder", "content/grinder.md", Some(7)),
        ]
    );
}

#[test]
fn the_launch_theme_and_a_site_without_analytics_keep_the_plain_button() {
    let (dir, site) = support::copy_fixture("checkout");
    support::edit_file(&site.join("site.yaml"), |config| {
        let config = config.replace(
            "analytics:\n  ga4: G-TEST1234\n  meta_pixel: 1234567890\n",
            "",
        );
        format!("{config}theme: launch\n")
    });
    let out = support::build_site(&site, dir.path().join("out"));
    let kit = read(&out, "offers/kit/index.html");
    assert!(kit.contains("<a class=\"button button-checkout\" href=\"https://buy.stripe.com/test_kit?client_reference_id=offers_kit\""));
    assert!(kit.contains("the opt-in e-mail and first-touch UTM values into the checkout link"));
    assert!(!kit.contains("funnel events"), "no analytics, no events");
    assert!(!read(&out, "welcome/kit/index.html").contains("purchase"));
}

#[test]
fn an_upsell_shows_its_no_thanks_link_without_a_checkout() {
    let (_dir, out) = build_ok("plan-checkout");
    let grinder = read(&out, "offers/grinder/index.html");
    assert!(
        grinder.contains("<p class=\"cta\"><a class=\"button\" href=\"/welcome/grinder/\">Yes, add the grinder</a></p>\n<p class=\"cta cta-decline\"><a class=\"checkout-decline\" href=\"/welcome/done/\">No thanks</a></p>"),
        "after the next step's button"
    );
    assert_eq!(grinder.matches("checkout-decline").count(), 1, "once");
    let scale = read(&out, "offers/scale/index.html");
    assert!(
        scale.contains("<p class=\"cta cta-decline\"><a class=\"checkout-decline\" href=\"/welcome/done/\">No thanks</a></p>"),
        "on its own when the upsell has neither checkout nor next"
    );
}

#[test]
fn a_pricing_plan_takes_a_checkout_of_its_own_with_the_pages_attribution() {
    let (_dir, out) = build_ok("plan-checkout");
    let html = read(&out, "index.html");
    let plans: Vec<&str> = html
        .lines()
        .filter(|l| l.starts_with("<p class=\"plan-cta\">"))
        .collect();
    assert_eq!(
        plans,
        [
            "<p class=\"plan-cta\"><a class=\"button button-checkout button-secondary\" href=\"https://buy.stripe.com/test_monthly?client_reference_id=home\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\" data-checkout-plan=\"Monthly\">Choose Monthly</a></p>",
            "<p class=\"plan-cta\"><a class=\"button button-checkout\" href=\"https://brew.lemonsqueezy.com/buy/yearly?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2F\" data-checkout=\"lemonsqueezy\" data-checkout-email=\"checkout[email]\" data-checkout-utm=\"checkout[custom][{}]\" data-checkout-plan=\"Yearly\">Choose Yearly</a></p>",
            "<p class=\"plan-cta\"><a class=\"button button-secondary\" href=\"/offers/grinder/\">Choose Sampler</a></p>",
        ]
    );
    assert!(html.contains("/* funnelcake: the opt-in e-mail and first-touch UTM values into the checkout link, on the click */"));
}

#[test]
fn a_plans_checkout_is_checked_like_the_front_matters() {
    let errors = build_errors("plan-checkout-errors");
    let lines: Vec<&str> = errors.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        lines,
        [
            "error: content/index.md:6:30: unknown checkout provider \"strip\" (did you mean \"stripe\"?)",
            "error: content/index.md:8:30: checkout URL \"http://buy.stripe.com/test_b\" is not an https: URL",
            "error: content/index.md:10:30: \"https://buy.stripe.com/test_c\" is not a paddle checkout link",
            "error: content/index.md:12:30: `checkout` needs `provider` and `url`, both text",
            "error: content/index.md:14:30: `checkout` of a component takes `provider` and `url`, not `success`",
        ]
    );
    let json = funnelcake::check(&BuildOptions::new(fixture("plan-checkout-errors")));
    let codes: Vec<&str> = json.errors().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "invalid-value",
            "invalid-checkout-url",
            "invalid-checkout-url",
            "invalid-value",
            "invalid-value"
        ]
    );
}

#[test]
fn a_plans_button_gets_the_email_on_the_click_and_sends_begin_checkout_with_its_name() {
    let mut site = build_serve_browse("plan-checkout");
    site.open("/");
    // A choice made keeps the consent banner off the plans.
    site.browser
        .eval("localStorage.setItem('funnelcake_consent', 'denied')");
    site.browser
        .eval("sessionStorage.setItem('funnelcake_email', 'ada@example.com')");
    site.open("/");
    assert_eq!(
        clicked_href(&mut site.browser, "a[data-checkout-plan=Yearly]"),
        "https://brew.lemonsqueezy.com/buy/yearly?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2F&checkout%5Bemail%5D=ada%40example.com"
    );
    let event = site.browser.eval(
        "JSON.stringify(dataLayer.filter(e => e.event === 'begin_checkout').map(e => [e.value, e.items[0].item_id, e.items[0].item_name]))",
    );
    assert_eq!(event.as_str().unwrap(), "[[null,\"/\",\"Yearly\"]]");
}

#[test]
fn the_overlay_is_marked_only_on_lemon_squeezy_and_gumroad_buttons_and_waits_for_consent_with_analytics(
) {
    let (_dir, out) = build_ok("overlay");
    for page in ["club", "gumroad"] {
        let found = button(&out, page);
        assert!(
            found.ends_with(" data-checkout-overlay data-checkout-consent>Buy now</a>"),
            "{found}"
        );
    }
    assert!(!button(&out, "stripe").contains("data-checkout-overlay"));
    // The sticky bar's copy of the button on phones is marked the same way.
    for page in ["club", "gumroad", "stripe"] {
        assert_eq!(sticky_button(&out, page), button(&out, page), "{page}");
    }
    // Nothing of the provider's is loaded with the page.
    assert!(!read(&out, "club/index.html").contains("<script src=\"https://app.lemonsqueezy.com"));
    // Without analytics there is no consent to wait for; without the switch, no overlay.
    let (dir, site) = copy_fixture("overlay");
    edit_file(&site.join("site.yaml"), |s| {
        s.replace("analytics:\n  ga4: G-TEST1234\n", "")
    });
    let out = build_site(&site, dir.path().join("out"));
    assert!(button(&out, "club").ends_with("\" data-checkout-overlay>Buy now</a>"));
    assert_eq!(sticky_button(&out, "club"), button(&out, "club"));
    edit_file(&site.join("site.yaml"), |s| {
        s.replace("checkout_overlay: true\n", "")
    });
    let out = build_site(&site, dir.path().join("out2"));
    assert!(!button(&out, "club").contains("data-checkout-overlay"));
    assert!(!sticky_button(&out, "club").contains("data-checkout-overlay"));
}

#[test]
fn the_overlay_script_is_requested_only_on_a_click_after_consent() {
    let mut site = build_serve_browse("overlay");
    // Every request to Lemon Squeezy stops here, so the test sees it and
    // answers lemon.js with a stand-in that records what it is asked to open.
    site.browser.call(
        "Fetch.enable",
        serde_json::json!({ "patterns": [{ "urlPattern": "*lemonsqueezy.com*" }] }),
    );
    site.open("/club/");
    plain_link_before_consent(&mut site.browser, |b| b.click("a[data-checkout]"));

    site.browser.click("#consent button[data-consent=granted]");
    site.browser.eval("window.__followed = []");
    assert!(
        site.browser.take_events("Fetch.requestPaused").is_empty(),
        "consent alone loads nothing"
    );
    site.browser.click("a[data-checkout]");
    expect_lemon_overlay(&mut site.browser);
}

#[test]
fn on_a_phone_the_sticky_bars_button_opens_the_overlay_only_after_consent() {
    let mut site = build_serve_browse("overlay").phone();
    site.browser.call(
        "Fetch.enable",
        serde_json::json!({ "patterns": [{ "urlPattern": "*lemonsqueezy.com*" }] }),
    );
    site.open("/club/");
    // Before consent (the banner is up, so the bar is hidden: a script's click).
    plain_link_before_consent(&mut site.browser, |b| {
        b.eval("document.querySelector('#sticky-cta a').click()");
    });

    site.browser.click("#consent button[data-consent=granted]");
    site.browser.eval("window.__followed = []");
    // Scrolled past the page's own button, the bar shows; a tap on it
    // loads lemon.js and opens the overlay.
    site.browser.eval(
        "document.body.style.paddingBottom = '3000px'; scrollTo(0, document.body.scrollHeight)",
    );
    let bar = "document.getElementById('sticky-cta')";
    site.browser
        .wait_until(&format!("!{bar}.hidden"), Duration::from_secs(10));
    site.browser.click("#sticky-cta a");
    expect_lemon_overlay(&mut site.browser);
}

#[test]
fn the_gumroad_overlay_loads_gumroad_js_only_on_a_click_after_consent() {
    let mut site = build_serve_browse("overlay");
    site.browser.call("Network.enable", serde_json::json!({}));
    site.browser.call(
        "Fetch.enable",
        serde_json::json!({ "patterns": [{ "urlPattern": "*gumroad.com*" }] }),
    );
    site.open("/gumroad/");
    plain_link_before_consent(&mut site.browser, |b| b.click("a[data-checkout]"));
    site.browser.click("#consent button[data-consent=granted]");
    let server_url = site.server.url.clone();
    let elsewhere = |browser: &mut Browser| -> Vec<String> {
        (browser.take_events("Network.requestWillBeSent").iter())
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(String::from))
            .filter(|url| !url.starts_with(&server_url))
            .collect()
    };
    assert_eq!(
        elsewhere(&mut site.browser),
        Vec::<String>::new(),
        "no request off the site before the click, consent or not"
    );

    site.browser.eval("window.__followed = []");
    site.browser.click("a[data-checkout]");
    // A stand-in for gumroad.js as it behaves: it takes over the page's
    // product links, marking each with its logo, and opens its overlay on
    // their click; it has no call to open one.
    let stand_in = "document.querySelectorAll('a[href*=\\'gumroad.com/l/\\']').forEach(function (a) { var logo = document.createElement('span'); logo.className = 'logo-full'; a.appendChild(logo); a.addEventListener('click', function (e) { e.preventDefault(); window.__opened = a.href }) })";
    answer_script(
        &mut site.browser,
        "https://gumroad.com/js/gumroad.js",
        stand_in,
    );
    site.browser.wait_until(
        "typeof window.__opened === 'string'",
        Duration::from_secs(10),
    );
    assert_eq!(
        site.browser.eval("window.__opened"),
        "https://brew.gumroad.com/l/ebook?funnel_page=%2Fgumroad%2F"
    );
    assert_eq!(
        site.browser.eval("window.__followed.every(f => !f)"),
        true,
        "the overlay opens instead of the link"
    );
    assert_eq!(
        site.browser
            .eval("dataLayer.filter(e => e.event === 'begin_checkout').length"),
        2,
        "one begin_checkout per click of the visitor's, none for the replay"
    );
    assert!(
        site.browser.take_events("Fetch.requestPaused").is_empty(),
        "gumroad.js is asked for once"
    );
}

/// Standard base64, as the DevTools protocol takes a response body.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_pads_as_the_protocol_expects() {
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE=");
    assert_eq!(base64(b"M"), "TQ==");
}

#[test]
fn a_data_plans_checkout_gets_the_same_button_and_links_to_its_success_page() {
    let (_dir, out) = build_ok("data-plan-checkout");
    let home = read(&out, "index.html");
    // The checkout's label, unless the plan has its own.
    assert_eq!(
        buttons(&out, ""),
        [
            "<a class=\"button button-checkout button-secondary\" href=\"https://buy.stripe.com/test_monthly?client_reference_id=home\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\" data-checkout-plan=\"Monthly\">Join monthly</a>",
            "<a class=\"button button-checkout\" href=\"https://brew.lemonsqueezy.com/buy/yearly?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2F\" data-checkout=\"lemonsqueezy\" data-checkout-email=\"checkout[email]\" data-checkout-utm=\"checkout[custom][{}]\" data-checkout-plan=\"Yearly\">Join for a year</a>",
        ]
    );
    // A plan without a checkout keeps its link to the next step; the plans
    // are the sticky bar's target and the click script is on the page.
    assert!(home.contains(
        "<a class=\"button button-secondary\" href=\"/offers/grinder/\">Choose Sampler</a>"
    ));
    assert!(home.contains("<section class=\"pricing\" id=\"pricing-plans\">"));
    assert!(home.contains("funnelcake: the opt-in e-mail and first-touch UTM values"));
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let links = |url: &str| {
        let page = (json["pages"].as_array().unwrap().iter())
            .find(|p| p["url"] == url)
            .unwrap();
        page["links"].to_string()
    };
    assert_eq!(
        links("/"),
        r#"[{"kind":"next","to":"/offers/grinder/"},{"kind":"checkout","to":"/offers/grinder/"},{"kind":"checkout","to":"/welcome/club/"}]"#
    );
    assert_eq!(
        links("/offers/grinder/"),
        r#"[{"kind":"checkout","to":"/"},{"kind":"decline","to":"/welcome/club/"}]"#
    );
    // A success page that plans lead to cannot tell which plan was bought,
    // nor its value.
    assert!(!read(&out, "welcome/club/index.html").contains("\"purchase\":"));
}

#[test]
fn a_data_plans_ladder_is_checked_at_its_line_in_the_data_file() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("data-plan-checkout")));
    let text: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let ladder: Vec<&str> = (text.iter().filter_map(|t| t.lines().next()))
        .filter(|t| t.starts_with("warning: data/"))
        .collect();
    assert_eq!(
        ladder,
        [
            "warning: data/plans.yaml:25:86: `checkout.success` goes back from stage \"ascend\" to the earlier stage \"convert\"",
            "warning: data/plans.yaml:25:86: the checkout's success page content/index.md is neither a thank-you page nor an upsell",
        ]
    );
    assert!(!text.iter().any(|t| t.contains("offer-without-checkout")));
}

#[test]
fn a_data_plans_checkout_errors_are_at_their_line_in_the_data_file() {
    let errors = build_errors("data-plan-checkout-errors");
    let expected = [
        "error: content/index.md:7:12: a plan in `plans` takes a `checkout` only from a data file",
        "  = help: write the plans in data/NAME.yaml and pass them as `plans={data.NAME}`, or use `plan` calls with `checkout={{provider: ..., url: ...}}`",
        "error: data/plans.yaml:5:10: plan \"A\" (`data.plans.0`): checkout URL \"http://buy.stripe.com/test_a\" is not an https: URL",
        "  = help: a checkout takes payments only over https; copy the link from the provider's dashboard",
        "error: data/plans.yaml:11:10: plan \"B\" (`data.plans.1`): \"https://buy.stripe.com/test_b\" is not a paddle checkout link",
        "  = help: a Paddle hosted checkout link looks like `https://pay.paddle.io/hsc_...` (sandbox: `https://sandbox-pay.paddle.io/hsc_...`)",
        "error: data/plans.yaml:18:14: plan \"C\" (`data.plans.2`): `checkout.success` points at \"welcome/nowhere.md\", which is not a page",
        "  = help: content paths are relative to content/, like `offers/starter-kit.md`",
        "error: data/plans.yaml:21:3: plan \"D\" (`data.plans.3`): missing required field `checkout.success`",
        "  = help: add `success: welcome/thanks.md`, the page the provider sends the buyer to after paying",
        // A checkout written as a flow mapping has each error at its field.
        "error: data/plans.yaml:26:38: plan \"Flow\" (`data.plans.4`): checkout URL \"http://buy.stripe.com/test_f\" is not an https: URL",
        "  = help: a checkout takes payments only over https; copy the link from the provider's dashboard",
        "error: data/plans.yaml:29:80: plan \"Flow too\" (`data.plans.5`): `checkout.success` points at \"welcome/gone.md\", which is not a page",
        "  = help: content paths are relative to content/, like `offers/starter-kit.md`",
    ];
    assert_eq!(errors, expected.join("\n"), "{errors}");
}

#[test]
fn funnel_json_and_the_funnel_command_list_each_data_plans_success_url() {
    let (_dir, out) = build_ok("data-plan-checkout");
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let page = |url: &str| {
        (json["pages"].as_array().unwrap().iter())
            .find(|p| p["url"] == url)
            .unwrap()
            .clone()
    };
    let home = page("/");
    assert_eq!(
        home.get("checkout"),
        None,
        "the page has no checkout of its own"
    );
    assert_eq!(
        home["plan_checkouts"],
        serde_json::json!([
            {
                "plan": "Monthly",
                "source": "data/plans.yaml",
                "data": "data.plans.club.0",
                "provider": "stripe",
                "url": "https://buy.stripe.com/test_monthly",
                "success_url": "https://data-plans.example/welcome/club/?transaction_id={CHECKOUT_SESSION_ID}"
            },
            {
                "plan": "Yearly",
                "source": "data/plans.yaml",
                "data": "data.plans.club.1",
                "provider": "lemonsqueezy",
                "url": "https://brew.lemonsqueezy.com/buy/yearly",
                "success_url": "https://data-plans.example/offers/grinder/?transaction_id=[order_id]"
            }
        ])
    );
    assert_eq!(
        page("/offers/grinder/")["plan_checkouts"][0]["success_url"],
        "https://data-plans.example/?transaction_id={CHECKOUT_SESSION_ID}"
    );
    assert_eq!(page("/welcome/club/").get("plan_checkouts"), None);
    let (text, _) =
        funnelcake::funnel_text(&BuildOptions::new(fixture("data-plan-checkout")), false).unwrap();
    let settings: Vec<&str> = text.lines().filter(|l| l.starts_with("    $ ")).collect();
    assert_eq!(
        settings,
        [
            "    $ stripe checkout of plan \"Monthly\" (data.plans.club.0); set its success URL in the provider: https://data-plans.example/welcome/club/?transaction_id={CHECKOUT_SESSION_ID}",
            "    $ lemonsqueezy checkout of plan \"Yearly\" (data.plans.club.1); set its success URL in the provider: https://data-plans.example/offers/grinder/?transaction_id=[order_id]",
            "    $ stripe checkout of plan \"Trial\" (data.plans.trial.0); set its success URL in the provider: https://data-plans.example/?transaction_id={CHECKOUT_SESSION_ID}",
        ],
        "{text}"
    );
}

#[test]
fn plans_spread_from_a_data_map_take_their_checkouts_like_plans_from_data() {
    let (dir, site) = copy_fixture("data-plan-checkout");
    std::fs::write(
        site.join("data/pricing.yaml"),
        "club:\n  title: Plans\n  plans:\n    - name: Monthly\n      price: \"€12\"\n      checkout: { provider: stripe, url: \"https://buy.stripe.com/test_spread\", success: welcome/club.md }\n",
    )
    .unwrap();
    edit_file(&site.join("content/index.md"), |s| {
        s.replace(
            "{{<pricing title=\"Plans\" plans={data.plans.club} />}}",
            "{{<pricing {...data.pricing.club} />}}",
        )
    });
    let out = build_site(&site, dir.path().join("out"));
    assert_eq!(
        buttons(&out, ""),
        ["<a class=\"button button-checkout button-secondary\" href=\"https://buy.stripe.com/test_spread?client_reference_id=home\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\" data-checkout-plan=\"Monthly\">Choose Monthly</a>"]
    );
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let home = &json["pages"][0];
    assert_eq!(home["url"], "/");
    assert_eq!(
        home["links"].to_string(),
        r#"[{"kind":"next","to":"/offers/grinder/"},{"kind":"checkout","to":"/welcome/club/"}]"#
    );
    assert_eq!(
        home["plan_checkouts"][0]["data"],
        "data.pricing.club.plans.0"
    );
    // Its errors are at their line in the data file, like those of `plans={data.NAME}`.
    edit_file(&site.join("data/pricing.yaml"), |s| {
        s.replace("welcome/club.md", "welcome/gone.md")
    });
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    let error = diagnostics.errors().next().unwrap().to_string();
    assert_eq!(
        error.lines().next().unwrap(),
        "error: data/pricing.yaml:6:89: plan \"Monthly\" (`data.pricing.club.plans.0`): `checkout.success` points at \"welcome/gone.md\", which is not a page"
    );
}

/// Waits for the page's request for the script at `url`, held back by
/// the fetch interception, and answers it with `stand_in`.
/// Before consent, `click` on a buy button follows its plain link (no
/// script takes the click over) and asks the provider for nothing. The
/// provider's address must be intercepted (`Fetch.enable`) beforehand.
fn plain_link_before_consent(browser: &mut Browser, click: impl FnOnce(&mut Browser)) {
    let followed = "window.__followed = []; document.addEventListener('click', e => { window.__followed.push(!e.defaultPrevented); e.preventDefault() })";
    browser.eval(followed);
    click(browser);
    assert_eq!(
        browser.eval("window.__followed"),
        serde_json::json!([true]),
        "before consent the plain link is followed"
    );
    assert!(
        browser.take_events("Fetch.requestPaused").is_empty(),
        "no request to the provider before consent"
    );
}

fn answer_script(browser: &mut Browser, url: &str, stand_in: &str) {
    let paused = browser.wait_for_event("Fetch.requestPaused", Duration::from_secs(10));
    assert_eq!(paused["params"]["request"]["url"], url);
    browser.call(
        "Fetch.fulfillRequest",
        serde_json::json!({
            "requestId": paused["params"]["requestId"],
            "responseCode": 200,
            "responseHeaders": [{ "name": "Content-Type", "value": "text/javascript" }],
            "body": base64(stand_in.as_bytes()),
        }),
    );
}

/// After a click on a Lemon Squeezy buy button: lemon.js is asked for
/// (answered with a stand-in), the overlay opens the checkout with the
/// funnel page, and the link itself is not followed.
fn expect_lemon_overlay(browser: &mut Browser) {
    let stand_in = "window.createLemonSqueezy = function () { window.LemonSqueezy = { Url: { Open: function (u) { window.__opened = u } } } }";
    answer_script(
        browser,
        "https://app.lemonsqueezy.com/js/lemon.js",
        stand_in,
    );
    browser.wait_until(
        "typeof window.__opened === 'string'",
        Duration::from_secs(10),
    );
    assert_eq!(
        browser.eval("window.__opened"),
        "https://brew.lemonsqueezy.com/buy/club-1?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2Fclub%2F&embed=1"
    );
    assert_eq!(
        browser.eval("window.__followed"),
        serde_json::json!([false]),
        "the overlay opens instead of the link"
    );
}

/// Clicks the link `selector` with navigation held back, and gives the
/// href the click leaves on it (the checkout scripts fill it in on click).
fn clicked_href(browser: &mut Browser, selector: &str) -> String {
    browser.eval("document.addEventListener('click', e => e.preventDefault())");
    browser.click(selector);
    let href = browser.eval(&format!("document.querySelector('{selector}').href"));
    href.as_str().expect("a link").to_string()
}

#[test]
fn one_checkout_link_with_two_success_pages_warns_at_each_later_use() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("shared-checkout-link")));
    let text: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let stripe = "the checkout link https://buy.stripe.com/test_kit is also used by content/offers/kit.md, which sends buyers to content/welcome/kit.md; a hosted checkout link has one after-payment redirect, so it cannot also send buyers to content/welcome/bundle.md";
    let hint = |link: &str| {
        format!("\n  = help: make a second {link} in the provider for this checkout, or send both to one success page")
    };
    assert_eq!(
        text,
        [
            format!("warning: content/offers/kit-b.md:3:36: {stripe}{}", hint("Payment Link")),
            format!("warning: content/offers/set.md:9:8: {stripe}{}", hint("Payment Link")),
            format!("warning: data/plans.yaml:14:12: plan \"Gift\" (`data.plans.club.1`): the checkout link https://brew.lemonsqueezy.com/buy/club is also used by content/offers/club.md, which sends buyers to content/welcome/club.md; a hosted checkout link has one after-payment redirect, so it cannot also send buyers to content/welcome/kit.md{}", hint("checkout link")),
        ],
        "an arm with its own success page, and a page and a data plan that reuse a link elsewhere, warn; \
         an arm that inherits the control's checkout, a page and a plan that reuse a link with its success page do not"
    );
    let json: serde_json::Value = serde_json::from_str(&diagnostics.to_json()).unwrap();
    let codes: Vec<(&str, &str, u64, u64)> = (json["warnings"].as_array().unwrap().iter())
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap();
            (
                text("code"),
                text("file"),
                w["line"].as_u64().unwrap(),
                w["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("shared-checkout-link", "content/offers/kit-b.md", 3, 36),
            ("shared-checkout-link", "content/offers/set.md", 9, 8),
            ("shared-checkout-link", "data/plans.yaml", 14, 12),
        ]
    );
}

#[test]
fn the_purchase_reports_the_currency_of_the_arm_that_leads_there() {
    // Arm b of the price test sells in dollars through the control's link.
    let (dir, site) = copy_fixture("checkout-ab");
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        text.replace(
            "{ amount: 7, currency: EUR }",
            "{ amount: 8, currency: USD }",
        )
    });
    let server = support::build_and_serve(&site, dir.path());
    let mut browser = Browser::launch();
    let url = |path: &str| format!("{}{path}", server.url);
    browser.navigate(&url("/"));
    browser.eval("document.cookie = 'fc_exp_kit-price=b; path=/'");
    browser.navigate(&url("/offers/kit/"));
    browser.wait_until(
        "location.pathname === '/offers/kit/b/' && document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    browser.eval("document.addEventListener('click', e => e.preventDefault())");
    browser.click("a[data-checkout]");
    let purchases = "JSON.stringify(dataLayer.filter(e => e.event === 'purchase').map(e => [e.value, e.currency, e.items[0].price, e.variant]))";
    browser.navigate(&url("/welcome/kit/?transaction_id=cs_test_b1"));
    assert_eq!(
        browser.eval(purchases).as_str().unwrap(),
        r#"[[8,"USD",8,"b"]]"#,
        "arm b's price in arm b's currency, as the click recorded the arm"
    );
    // Without the click's record, the cookie's arm, in its own currency.
    browser.eval("sessionStorage.clear(); document.cookie = 'fc_exp_kit-price=a; path=/'");
    browser.navigate(&url("/welcome/kit/?transaction_id=cs_test_a1"));
    assert_eq!(
        browser.eval(purchases).as_str().unwrap(),
        r#"[[9,"EUR",9,"a"]]"#
    );
    browser.eval("sessionStorage.clear(); document.cookie = 'fc_exp_kit-price=b; path=/'");
    browser.navigate(&url("/welcome/kit/?transaction_id=cs_test_b2"));
    assert_eq!(
        browser.eval(purchases).as_str().unwrap(),
        r#"[[8,"USD",8,"b"]]"#
    );
}

#[test]
fn a_paddle_button_with_a_price_id_is_marked_for_paddles_overlay() {
    let (_dir, out) = build_ok("overlay");
    assert_eq!(
        button(&out, "paddle"),
        "<a class=\"button button-checkout\" href=\"https://sandbox-pay.paddle.io/hsc_01course\" data-checkout=\"paddle\" data-checkout-email=\"user_email\" data-checkout-overlay data-checkout-consent data-paddle-price=\"pri_01course\" data-paddle-token=\"test_0a1b2c3d4e5f\" data-paddle-custom=\"{&quot;funnel_page&quot;:&quot;/paddle/&quot;}\" data-checkout-success=\"https://overlay.example/welcome/club/\">Buy now</a>",
        "the hosted checkout stays the link; Paddle.js gets the price, the token, the funnel page and the success page"
    );
    assert_eq!(sticky_button(&out, "paddle"), button(&out, "paddle"));
    assert!(!read(&out, "paddle/index.html").contains("<script src=\"https://cdn.paddle.com"));
    // Without the switch, or without a price, the plain link alone.
    let (dir, site) = copy_fixture("overlay");
    edit_file(&site.join("content/paddle.md"), |s| {
        s.replace("  price_id: pri_01course\n", "")
    });
    let out = build_site(&site, dir.path().join("out"));
    assert_eq!(
        button(&out, "paddle"),
        "<a class=\"button button-checkout\" href=\"https://sandbox-pay.paddle.io/hsc_01course\" data-checkout=\"paddle\" data-checkout-email=\"user_email\">Buy now</a>"
    );
    let (dir, site) = copy_fixture("overlay");
    edit_file(&site.join("site.yaml"), |s| {
        s.replace("checkout_overlay: true\n", "")
    });
    let out = build_site(&site, dir.path().join("out"));
    assert!(!button(&out, "paddle").contains("data-paddle"));
}

/// The errors of `check` on `site`, as printed.
fn check_errors(site: &Path) -> String {
    let diagnostics = funnelcake::check(&BuildOptions::new(site));
    support::lines(&diagnostics.errors().cloned().collect()).join("\n")
}

#[test]
fn paddles_overlay_errors_are_at_their_line() {
    let (_dir, site) = copy_fixture("overlay");
    edit_file(&site.join("site.yaml"), |s| {
        s.replace("paddle_token: test_0a1b2c3d4e5f\n", "")
    });
    assert_eq!(
        check_errors(&site),
        "error: content/paddle.md:10:13: `checkout.price_id` opens Paddle's overlay, which needs the site's `paddle_token`\n  = help: add `paddle_token: test_...` (a client-side token from Paddle > Developer tools > Authentication) to site.yaml, or remove `price_id` to keep the plain link"
    );
    edit_file(&site.join("site.yaml"), |s| {
        s.replace(
            "checkout_overlay: true\n",
            "checkout_overlay: true\npaddle_token: pdl_sdbx_apikey_01abc\n",
        )
    });
    edit_file(&site.join("content/paddle.md"), |s| {
        s.replace("pri_01course", "price_01Course")
    });
    edit_file(&site.join("content/stripe.md"), |s| {
        s.replace("  success:", "  price_id: pri_01kit\n  success:")
    });
    assert_eq!(
        check_errors(&site),
        [
            "error: content/paddle.md:10:13: \"price_01Course\" is not a Paddle price ID\n  = help: copy the price's ID (`pri_01...`) from Paddle > Catalog > Products",
            "error: content/stripe.md:10:13: `checkout.price_id` is a Paddle price, for a `paddle` checkout only\n  = help: remove `price_id`, or sell through `provider: paddle`",
            "error: site.yaml:5:15: `paddle_token` is not a Paddle client-side token (`test_` or `live_` and letters and digits)\n  = help: copy a client-side token from Paddle > Developer tools > Authentication; never an API key, which must stay secret",
        ]
        .join("\n"),
        "an API key is refused without being repeated"
    );
}

#[test]
fn paddles_overlay_loads_paddle_js_only_on_a_click_after_consent_and_opens_the_price() {
    let mut site = build_serve_browse("overlay");
    site.browser.call(
        "Fetch.enable",
        serde_json::json!({ "patterns": [{ "urlPattern": "*paddle.com*" }] }),
    );
    // The visit lands with UTM values, which the page's script keeps.
    site.open("/paddle/?utm_source=news&utm_campaign=spring");
    site.browser
        .eval("sessionStorage.setItem('funnelcake_email', 'ada@example.com')");
    site.open("/paddle/");
    plain_link_before_consent(&mut site.browser, |b| b.click("a[data-checkout]"));
    site.browser.click("#consent button[data-consent=granted]");
    site.browser.eval("window.__followed = []");
    site.browser.click("a[data-checkout]");
    // A stand-in for Paddle.js that records each call it gets.
    let stand_in = "window.__paddle = []; window.Paddle = { Environment: { set: function (e) { __paddle.push(['env', e]) } }, Initialize: function (o) { __paddle.push(['init', o]) }, Checkout: { open: function (o) { __paddle.push(['open', o]) } } }";
    answer_script(
        &mut site.browser,
        "https://cdn.paddle.com/paddle/v2/paddle.js",
        stand_in,
    );
    site.browser.wait_until(
        "(window.__paddle || []).length === 3",
        Duration::from_secs(10),
    );
    let success = site.url("/welcome/club/");
    assert_eq!(
        site.browser.eval("window.__paddle"),
        serde_json::json!([
            ["env", "sandbox"],
            ["init", { "token": "test_0a1b2c3d4e5f" }],
            ["open", {
                "items": [{ "priceId": "pri_01course", "quantity": 1 }],
                "customData": { "funnel_page": "/paddle/", "utm_source": "news", "utm_campaign": "spring" },
                "settings": { "displayMode": "overlay", "successUrl": success },
                "customer": { "email": "ada@example.com" }
            }]
        ])
    );
    assert_eq!(
        site.browser.eval("window.__followed"),
        serde_json::json!([false]),
        "the overlay opens instead of the link"
    );
    // Paddle.js is initialized once per page: a second click only opens.
    site.browser.click("a[data-checkout]");
    site.browser
        .wait_until("window.__paddle.length === 4", Duration::from_secs(10));
    assert_eq!(site.browser.eval("window.__paddle[3][0]"), "open");
}

#[test]
fn a_data_plans_checkout_takes_no_paddle_price() {
    let (_dir, site) = copy_fixture("data-plan-checkout");
    edit_file(&site.join("data/plans.yaml"), |s| {
        s.replace(
            "      label: Join monthly\n",
            "      label: Join monthly\n      price_id: pri_01monthly\n",
        )
    });
    assert_eq!(
        check_errors(&site),
        "error: data/plans.yaml:11:7: plan \"Monthly\" (`data.plans.club.0`): unknown key `checkout.price_id`\n  = help: known keys here: provider, url, success, label"
    );
}

#[test]
fn when_paddle_js_cannot_load_the_click_follows_the_plain_link() {
    let mut site = build_serve_browse("overlay");
    site.browser.call(
        "Fetch.enable",
        serde_json::json!({ "patterns": [{ "urlPattern": "*paddle.com*" }, { "urlPattern": "*paddle.io*" }] }),
    );
    site.open("/paddle/");
    site.browser
        .eval("sessionStorage.setItem('funnelcake_email', 'ada@example.com')");
    site.browser.click("#consent button[data-consent=granted]");
    site.browser.click("a[data-checkout]");
    let paused = site
        .browser
        .wait_for_event("Fetch.requestPaused", Duration::from_secs(10));
    assert_eq!(
        paused["params"]["request"]["url"],
        "https://cdn.paddle.com/paddle/v2/paddle.js"
    );
    site.browser.call(
        "Fetch.failRequest",
        serde_json::json!({ "requestId": paused["params"]["requestId"], "errorReason": "ConnectionRefused" }),
    );
    // The hosted checkout, with the e-mail the click added.
    let paused = site
        .browser
        .wait_for_event("Fetch.requestPaused", Duration::from_secs(10));
    assert_eq!(
        paused["params"]["request"]["url"],
        "https://sandbox-pay.paddle.io/hsc_01course?user_email=ada%40example.com"
    );
}
