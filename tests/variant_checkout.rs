//! A/B variants that sell through checkouts of their own, on the
//! `variant-checkout` fixture: an offer whose arm `b` has its own Lemon
//! Squeezy link and success page, arm `c` inherits the control's Stripe
//! link, and arm `d` sells through Paddle to a page that is no success page.
//! Each arm's checkout in `funnel.json` and `funnelcake funnel`, its buy
//! button with the arm in the attribution, and the ladder checks on it.

mod support;

use funnelcake::BuildOptions;
use support::{build_ok, copy_fixture, edit_file, fixture, lines, read};

/// The checkout buttons of a built page, each once, in page order.
fn buttons(out: &std::path::Path, page: &str) -> Vec<String> {
    let html = read(out, &format!("{page}/index.html"));
    let mut found: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("<a class=\"button button-checkout\"") {
        let end = at + html[at..].find("</a>").unwrap() + 4;
        let button = html[at..end].to_string();
        if !found.contains(&button) {
            found.push(button);
        }
    }
    found
}

#[test]
fn each_variants_checkout_is_in_its_entry_of_funnel_json() {
    let (_dir, out) = build_ok("variant-checkout");
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let kit = (json["pages"].as_array().unwrap().iter())
        .find(|p| p["url"] == "/offers/kit/")
        .unwrap();
    let stripe = serde_json::json!({
        "provider": "stripe",
        "url": "https://buy.stripe.com/test_kit",
        "success_url": "https://variant-checkout.example/welcome/kit/?transaction_id={CHECKOUT_SESSION_ID}"
    });
    assert_eq!(kit["checkout"], stripe);
    let arms: Vec<(&str, &serde_json::Value, &serde_json::Value)> =
        (kit["experiment"]["variants"].as_array().unwrap().iter())
            .map(|v| (v["id"].as_str().unwrap(), &v["links"], &v["checkout"]))
            .collect();
    assert_eq!(
        arms,
        [
            (
                "b",
                &serde_json::json!([{ "to": "/welcome/kit-five/", "kind": "checkout" }]),
                &serde_json::json!({
                    "provider": "lemonsqueezy",
                    "url": "https://brew.lemonsqueezy.com/buy/kit-five",
                    "success_url": "https://variant-checkout.example/welcome/kit-five/?transaction_id=[order_id]"
                })
            ),
            (
                "c",
                &serde_json::json!([{ "to": "/welcome/kit/", "kind": "checkout" }]),
                &stripe,
            ),
            (
                "d",
                &serde_json::json!([{ "to": "/", "kind": "checkout" }]),
                &serde_json::json!({
                    "provider": "paddle",
                    "url": "https://sandbox-pay.paddle.io/hsc_01kit",
                    "success_url": "https://variant-checkout.example/"
                })
            ),
        ]
    );
}

#[test]
fn a_variant_without_a_checkout_has_no_checkout_entry() {
    let (dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit-d.md"), |text| {
        text.replace(
            "checkout: { provider: paddle, url: \"https://sandbox-pay.paddle.io/hsc_01kit\", success: index.md }",
            "checkout: ~\nnext: welcome/kit.md",
        )
    });
    let out = support::build_site(&site, dir.path().join("out"));
    let json: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let d = &json["pages"][1]["experiment"]["variants"][2];
    assert_eq!(
        (&d["id"], &d["url"]),
        (&"d".into(), &"/offers/kit/d/".into())
    );
    assert!(d.get("checkout").is_none(), "{d}");
    assert!(buttons(&out, "offers/kit/d").is_empty());
}

#[test]
fn the_funnel_command_lists_each_arms_own_checkout_under_the_arm() {
    let (text, _) =
        funnelcake::funnel_text(&BuildOptions::new(fixture("variant-checkout")), false).unwrap();
    let start = text.find("  /offers/kit/").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    assert_eq!(
        &text[start..end],
        "  /offers/kit/ The tasting kit  [landing, Tripwire]
    → /welcome/kit/ (checkout)
    $ stripe checkout; set its success URL in the provider: https://variant-checkout.example/welcome/kit/?transaction_id={CHECKOUT_SESSION_ID}
    ⑂ experiment kit-offer: a 25%
      b 25%  /offers/kit/b/ The tasting kit, bigger
        $ lemonsqueezy checkout of arm b; set its success URL in the provider: https://variant-checkout.example/welcome/kit-five/?transaction_id=[order_id]
      c 25%  /offers/kit/c/ The tasting kit, shorter
      d 25%  /offers/kit/d/ The tasting kit, from Paddle
        $ paddle checkout of arm d; set its success URL in the provider: https://variant-checkout.example/",
        "arm c sells through the control's checkout, which is listed once"
    );
}

#[test]
fn each_arms_button_goes_to_its_own_checkout_with_the_arm_in_the_attribution() {
    let (_dir, out) = build_ok("variant-checkout");
    assert_eq!(
        buttons(&out, "offers/kit"),
        ["<a class=\"button button-checkout\" href=\"https://buy.stripe.com/test_kit?client_reference_id=offers_kit__a\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\">Buy now</a>"]
    );
    assert_eq!(
        buttons(&out, "offers/kit/b"),
        ["<a class=\"button button-checkout\" href=\"https://brew.lemonsqueezy.com/buy/kit-five?checkout%5Bcustom%5D%5Bfunnel_page%5D=%2Foffers%2Fkit%2F&amp;checkout%5Bcustom%5D%5Bfunnel_arm%5D=b\" data-checkout=\"lemonsqueezy\" data-checkout-email=\"checkout[email]\" data-checkout-utm=\"checkout[custom][{}]\">Get five for €14</a>"],
        "the control's page and arm b's own link and label"
    );
    assert_eq!(
        buttons(&out, "offers/kit/c"),
        ["<a class=\"button button-checkout\" href=\"https://buy.stripe.com/test_kit?client_reference_id=offers_kit__c\" data-checkout=\"stripe\" data-checkout-email=\"prefilled_email\" data-checkout-utm=\"{}\">Buy now</a>"],
        "the inherited link, with arm c"
    );
    assert_eq!(
        buttons(&out, "offers/kit/d"),
        ["<a class=\"button button-checkout\" href=\"https://sandbox-pay.paddle.io/hsc_01kit\" data-checkout=\"paddle\" data-checkout-email=\"user_email\">Buy now</a>"],
        "Paddle's hosted checkout keeps nothing of the funnel"
    );
}

/// The first line of each diagnostic of the site's `check`.
fn check_lines(site: &std::path::Path) -> Vec<String> {
    first_lines(&funnelcake::check(&BuildOptions::new(site)))
}

fn first_lines(diagnostics: &funnelcake::Diagnostics) -> Vec<String> {
    (lines(diagnostics).iter())
        .map(|d| d.lines().next().unwrap().to_string())
        .collect()
}

#[test]
fn a_variants_own_checkout_gets_the_ladder_warnings_at_its_line() {
    assert_eq!(
        check_lines(&fixture("variant-checkout")),
        [
            "warning: content/offers/kit-d.md:4:88: `checkout.success` goes back from stage \"convert\" to the earlier stage \"aware\"",
            "warning: content/offers/kit-d.md:4:88: the checkout's success page content/index.md is neither a thank-you page nor an upsell",
        ]
    );
}

#[test]
fn an_inherited_checkouts_warnings_are_reported_once_at_the_controls_line() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit.md"), |text| {
        text.replace("success: welcome/kit.md", "success: index.md")
    });
    // Nothing else leads to the control's old success page now.
    edit_file(&site.join("content/welcome/kit-five.md"), |text| {
        text + "\n[The three-coffee kit's page](@/welcome/kit.md)\n"
    });
    let also = "(also in content/offers/kit-c.md, a variant that inherits it)";
    assert_eq!(
        check_lines(&site),
        [
            "warning: content/offers/kit-d.md:4:88: `checkout.success` goes back from stage \"convert\" to the earlier stage \"aware\"".to_string(),
            "warning: content/offers/kit-d.md:4:88: the checkout's success page content/index.md is neither a thank-you page nor an upsell".to_string(),
            format!("warning: content/offers/kit.md:7:80: `checkout.success` goes back from stage \"convert\" to the earlier stage \"aware\" {also}"),
            format!("warning: content/offers/kit.md:7:80: the checkout's success page content/index.md is neither a thank-you page nor an upsell {also}"),
        ]
    );
}

#[test]
fn a_priced_variant_that_drops_the_checkout_warns_that_no_one_can_buy() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        let block = "checkout:\n  provider: lemonsqueezy\n  url: https://brew.lemonsqueezy.com/buy/kit-five\n  success: welcome/kit-five.md\n  label: Get five for €14\n";
        assert!(text.contains(block));
        text.replace(block, "checkout: ~\n")
    });
    let found = check_lines(&site);
    assert!(
        found.contains(&"warning: content/offers/kit-b.md: the offer page has a price but no checkout, no order form and no next step, so no one can buy".to_string()),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|l| l.contains("content/offers/kit.md:")),
        "{found:#?}"
    );
}

#[test]
fn a_variants_checkout_errors_are_at_its_own_line() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        text.replace("success: welcome/kit-five.md", "success: welcome/kit-5.md")
    });
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    assert_eq!(
        lines(&diagnostics)[0],
        "error: content/offers/kit-b.md:8:12: `checkout.success` points at \"welcome/kit-5.md\", which is not a page\n  = help: did you mean \"welcome/kit.md\"? (paths are relative to content/)"
    );
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        text.replace("kit-5.md", "kit-five.md")
            .replace("/buy/kit-five", "/products/kit-five")
    });
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    assert_eq!(
        first_lines(&diagnostics),
        ["error: content/offers/kit-b.md:7:8: \"https://brew.lemonsqueezy.com/products/kit-five\" is not a lemonsqueezy checkout link"]
    );
}

/// The `purchase` a built success page reports, as its tracking data says.
fn purchase(out: &std::path::Path, page: &str) -> serde_json::Value {
    let html = read(out, &format!("{page}/index.html"));
    let at = html.find("\"purchase\":").expect("a purchase") + "\"purchase\":".len();
    let mut values = serde_json::Deserializer::from_str(&html[at..]).into_iter();
    values.next().unwrap().unwrap()
}

#[test]
fn a_success_page_only_a_variant_leads_to_reports_that_variants_price() {
    let (_dir, out) = build_ok("variant-checkout");
    let expect = |arms: serde_json::Value, value: f64| {
        serde_json::json!({
            "arms": arms,
            "cookie": "fc_exp_kit-offer",
            "currency": "EUR",
            "experiment": "kit-offer",
            "item_id": "/offers/kit/",
            "item_name": "The tasting kit",
            "value": value
        })
    };
    assert_eq!(
        purchase(&out, "welcome/kit-five"),
        expect(
            serde_json::json!({ "b": { "value": 14.0, "currency": "EUR" } }),
            14.0
        ),
        "without the arm (another tab, no cookie), arm b's price, not the control's"
    );
    assert_eq!(
        purchase(&out, "welcome/kit"),
        expect(
            serde_json::json!({
                "a": { "value": 9.0, "currency": "EUR" },
                "c": { "value": 9.0, "currency": "EUR" }
            }),
            9.0
        )
    );
}

#[test]
fn a_variants_own_decline_is_checked_at_its_line() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        text.replace(
            "  label: Get five for €14\n",
            "  label: Get five for €14\ndecline: index.md\n",
        )
    });
    let found = check_lines(&site);
    assert!(
        found.contains(&"warning: content/offers/kit-b.md:10:10: `decline` goes back from stage \"convert\" to the earlier stage \"aware\"".to_string()),
        "{found:#?}"
    );
}

/// The `(code, file, message)` of each warning of the site's
/// `check --format json` with one of `codes`.
fn json_warnings(site: &std::path::Path, codes: &[&str]) -> Vec<(String, String, String)> {
    let json = funnelcake::check(&BuildOptions::new(site)).to_json();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    (json["warnings"].as_array().unwrap().iter())
        .filter(|w| codes.contains(&w["code"].as_str().unwrap()))
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap().to_string();
            (text("code"), text("file"), text("message"))
        })
        .collect()
}

#[test]
fn an_upsell_without_decline_that_variants_inherit_is_one_warning_at_the_control() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit.md"), |text| {
        text.replace("offer: tripwire", "offer: upsell")
    });
    let message = "the upsell has no `decline:`, so a buyer who says no has nowhere to go (also in content/offers/kit-b.md, content/offers/kit-c.md, content/offers/kit-d.md, a variant that inherits it)";
    let found = check_lines(&site);
    let upsell: Vec<&String> = (found.iter())
        .filter(|l| l.contains("the upsell has no `decline:`"))
        .collect();
    assert_eq!(
        upsell,
        [&format!("warning: content/offers/kit.md: {message}")],
        "arms b and d sell through checkouts of their own, but their offer and its missing decline are the control's"
    );
    assert_eq!(
        json_warnings(&site, &["upsell-without-decline"]),
        [(
            "upsell-without-decline".to_string(),
            "content/offers/kit.md".to_string(),
            message.to_string()
        )]
    );
}

#[test]
fn a_variant_that_makes_its_own_upsell_without_decline_gets_its_own_warning() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit.md"), |text| {
        text.replace("offer: tripwire", "offer: upsell\ndecline: welcome/kit.md")
    });
    // Arm b drops the control's way out; arm c writes the control's offer
    // out again and keeps its decline.
    edit_file(&site.join("content/offers/kit-b.md"), |text| {
        text.replace("price:", "decline: ~\nprice:")
    });
    edit_file(&site.join("content/offers/kit-c.md"), |text| {
        text.replace("title:", "offer: upsell\ntitle:")
    });
    let message = "the upsell has no `decline:`, so a buyer who says no has nowhere to go";
    let warning = |file: &str, message: &str| {
        let code = "upsell-without-decline";
        (code.to_string(), file.to_string(), message.to_string())
    };
    assert_eq!(
        json_warnings(&site, &["upsell-without-decline"]),
        [warning("content/offers/kit-b.md", message)]
    );
    // With no decline anywhere, arm c's own `offer: upsell` is an upsell
    // of its own without a decline, as arm b's `decline: ~` is; arm d
    // inherits both from the control.
    edit_file(&site.join("content/offers/kit.md"), |text| {
        text.replace("decline: welcome/kit.md\n", "")
    });
    let also = format!("{message} (also in content/offers/kit-d.md, a variant that inherits it)");
    assert_eq!(
        json_warnings(&site, &["upsell-without-decline"]),
        [
            warning("content/offers/kit-b.md", message),
            warning("content/offers/kit-c.md", message),
            warning("content/offers/kit.md", &also),
        ]
    );
}

#[test]
fn a_dead_end_that_a_variant_inherits_is_one_warning_at_the_control() {
    let (_dir, site) = copy_fixture("variant-checkout");
    // The control loses its way onward; arms b and d keep their own
    // checkouts, arm c inherits the dead end.
    edit_file(&site.join("content/offers/kit.md"), |text| {
        let line = "checkout: { provider: stripe, url: \"https://buy.stripe.com/test_kit\", success: welcome/kit.md }\n";
        assert!(text.contains(line));
        text.replace(line, "")
    });
    let dead_end = "stage \"convert\" page has no next step (dead end)";
    let also = "(also in content/offers/kit-c.md, a variant that inherits it)";
    let codes = ["dead-end", "offer-without-checkout"];
    let found: Vec<(String, String)> = (json_warnings(&site, &codes).into_iter())
        .map(|(_, file, message)| (file, message))
        .filter(|(file, _)| file.starts_with("content/offers/"))
        .collect();
    let at = |file: &str, message: String| (file.to_string(), message);
    assert_eq!(
        found,
        [
            at("content/offers/kit.md", format!("{dead_end} {also}")),
            at("content/offers/kit.md", format!("the offer page has a price but no checkout, no order form and no next step, so no one can buy {also}")),
        ]
    );
    // A body of its own, with no link onward either, is arm c's own dead end.
    edit_file(&site.join("content/offers/kit-c.md"), |text| {
        text + "Three coffees, in fewer words.\n"
    });
    let found = check_lines(&site);
    for line in [
        format!("warning: content/offers/kit-c.md: {dead_end}"),
        format!("warning: content/offers/kit.md: {dead_end}"),
    ] {
        assert!(found.contains(&line), "{line}\n{found:#?}");
    }
}

#[test]
fn an_error_in_the_controls_checkout_that_a_variant_inherits_is_reported_once() {
    let (_dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("content/offers/kit.md"), |text| {
        text.replace(
            "https://buy.stripe.com/test_kit",
            "https://buy.strip.com/test_kit",
        )
    });
    // Arm c inherits the link; arms b and d have checkouts of their own.
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    assert_eq!(
        first_lines(&diagnostics),
        ["error: content/offers/kit.md:7:36: \"https://buy.strip.com/test_kit\" is not a stripe checkout link (also in content/offers/kit-c.md, a variant that inherits it)"]
    );
    // An error of the variant's own stays its own, at its line.
    edit_file(&site.join("content/offers/kit-c.md"), |text| {
        text.replace("title:", "price: { amount: nine, currency: EUR }\ntitle:")
    });
    let found = first_lines(&funnelcake::check(&BuildOptions::new(&site)));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("error: content/offers/kit-c.md:2:"),
        "{found:#?}"
    );
    assert!(found[1].ends_with("(also in content/offers/kit-c.md, a variant that inherits it)"));
}

#[test]
fn a_variants_paddle_overlay_carries_the_control_page_and_its_arm() {
    let (dir, site) = copy_fixture("variant-checkout");
    edit_file(&site.join("site.yaml"), |text| {
        text + "checkout_overlay: true\npaddle_token: test_0a1b2c3d4e5f\n"
    });
    edit_file(&site.join("content/offers/kit-d.md"), |text| {
        text.replace(
            "success: index.md }",
            "success: index.md, price_id: pri_01kit }",
        )
    });
    let out = support::build_site(&site, dir.path().join("out"));
    let found = buttons(&out, "offers/kit/d");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(" data-paddle-price=\"pri_01kit\" data-paddle-token=\"test_0a1b2c3d4e5f\" data-paddle-custom=\"{&quot;funnel_arm&quot;:&quot;d&quot;,&quot;funnel_page&quot;:&quot;/offers/kit/&quot;}\" data-checkout-success=\"https://variant-checkout.example/\""),
        "{}",
        found[0]
    );
}
