//! A/B experiments and analytics: the variant pages, `experiments.json`, the
//! Cloudflare adapter and the checks on fixture sites; then in headless
//! Chromium, the assignment (sticky, split by weight, no paint of the
//! control before a redirect, `?variant=` previews), the variant id in the
//! form post, UTM parameters over three hops, and no request leaving the
//! machine unless site.yaml asks for one.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use support::browser::Browser;
use support::{
    build_and_serve, build_errors, build_ok, build_site, copy_fixture, edit_file, field,
    form_pairs, lines, read, SiteServer,
};

const COOKIE: &str = "fc_exp_guide-headline";

#[test]
fn a_variant_is_built_under_its_control_with_the_control_as_canonical() {
    let (_dir, out) = build_ok("experiment");
    let control = read(&out, "guide/index.html");
    let variant = read(&out, "guide/b/index.html");
    assert!(
        !out.join("guide-b").exists(),
        "a variant is no page of its own"
    );

    assert!(variant.contains("<title>Roast like a pro in 7 days · Split Roasters</title>"));
    assert!(variant.contains("Seven days to your best cup"));
    assert!(variant.contains(r#"<link rel="canonical" href="https://split.example/guide/">"#));
    assert!(variant.contains(r#"<meta name="robots" content="noindex">"#));
    // What the variant does not set comes from the control.
    assert!(variant.contains(
        r#"<meta name="description" content="A free 7-day guide to roasting at home.">"#
    ));
    assert!(control.contains(r#"<link rel="canonical" href="https://split.example/guide/">"#));
    assert!(!control.contains("noindex"));

    // Leads from both arms land in one form, told apart by the variant.
    for (html, arm) in [(&control, "a"), (&variant, "b")] {
        assert!(html.contains(r#"name="guide""#), "{arm}");
        assert!(html.contains(r#"<input type="hidden" name="funnel_page" value="/guide/">"#));
        assert!(html.contains(r#"<input type="hidden" name="funnel_stage" value="subscribe">"#));
        assert!(html
            .contains(r#"<input type="hidden" name="funnel_experiment" value="guide-headline">"#));
        assert!(html.contains(&format!(
            r#"<input type="hidden" name="funnel_variant" value="{arm}">"#
        )));
    }

    // The assignment script comes first in <head>, before anything paints.
    for html in [&control, &variant] {
        let head = &html[..html.find("</head>").unwrap()];
        let script = head.find("funnelcake: A/B assignment").unwrap();
        assert!(script < head.find("<link rel=\"stylesheet\"").unwrap());
        assert!(script < head.find("<title>").unwrap());
    }
    let data = r#"{"arms":[{"id":"a","url":"/guide/","weight":50},{"id":"b","url":"/guide/b/","weight":50}],"cookie":"fc_exp_guide-headline","id":"guide-headline""#;
    assert!(control.contains(&format!(r#"{data},"variant":"a"}})"#)));
    assert!(variant.contains(&format!(r#"{data},"variant":"b"}})"#)));

    // Pages without an experiment have no script and no variant fields.
    let home = read(&out, "index.html");
    assert!(!home.contains("A/B assignment"));
    assert!(!home.contains("funnel_variant"));
}

#[test]
fn variants_stay_out_of_sitemaps_and_the_journey_and_sit_under_their_control_in_funnel_json() {
    let (_dir, out) = build_ok("experiment");
    let sitemaps: String = [
        "sitemap.xml",
        "sitemaps/subscribe.xml",
        "sitemaps/aware.xml",
    ]
    .iter()
    .map(|f| read(&out, f))
    .collect();
    assert!(sitemaps.contains("https://split.example/guide/"));
    assert!(!sitemaps.contains("/guide/b/"));

    let map: Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let urls: Vec<&str> = map["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert!(!urls.contains(&"/guide/b/"), "{urls:?}");
    let subscribe = &map["stages"][1];
    assert_eq!(subscribe["pages"], json!(["/guide/", "/thanks/"]));
    let guide = map["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["url"] == "/guide/")
        .unwrap();
    assert_eq!(
        guide["experiment"],
        json!({
            "id": "guide-headline",
            "weight": 50,
            "variants": [{
                "id": "b",
                "url": "/guide/b/",
                "source": "content/guide-b.md",
                "title": "Roast like a pro in 7 days",
                "weight": 50,
                "links": [{ "to": "/thanks/", "kind": "form" }]
            }]
        })
    );
    // The journey a theme shows lists the control only.
    let html = read(&out, "funnel/index.html");
    assert!(
        !html.contains("Roast like a pro"),
        "the map's columns hold no variant"
    );
}

#[test]
fn experiments_json_lists_every_arm_for_analytics_pipelines() {
    let (_dir, out) = build_ok("experiment");
    let manifest: Value = serde_json::from_str(&read(&out, "experiments.json")).unwrap();
    assert_eq!(
        manifest,
        json!({
            "assignment": "script",
            "experiments": [{
                "id": "guide-headline",
                "cookie": COOKIE,
                "control": { "id": "a", "url": "/guide/", "source": "content/guide.md", "weight": 50 },
                "variants": [{ "id": "b", "url": "/guide/b/", "source": "content/guide-b.md", "weight": 50 }]
            }]
        })
    );
    // Without experiments the manifest is there, and empty.
    let (_dir, out) = build_ok("full");
    let manifest: Value = serde_json::from_str(&read(&out, "experiments.json")).unwrap();
    assert_eq!(manifest["experiments"], json!([]));
    assert!(!out.join("_worker.js").exists());
}

#[test]
fn the_cloudflare_adapter_emits_a_worker_for_the_controls_only() {
    let (dir, site) = copy_fixture("experiment");
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}deploy: cloudflare\nexperiments:\n  adapter: cloudflare\n")
    });
    let out = build_site(&site, dir.path().join("out"));

    let routes: Value = serde_json::from_str(&read(&out, "_routes.json")).unwrap();
    assert_eq!(
        routes,
        json!({ "version": 1, "include": ["/guide", "/guide/"], "exclude": [] })
    );
    let worker = read(&out, "_worker.js");
    assert!(worker.contains("export default {"));
    assert!(
        worker.contains(r#""cookie": "fc_exp_guide-headline""#),
        "{worker}"
    );
    assert!(worker.contains(r#""path": "/guide/b/""#));
    assert!(worker.contains("env.ASSETS.fetch"));
    assert!(worker.contains("Set-Cookie"));
    let headers = read(&out, "_headers");
    assert!(
        headers.contains("/guide/b/\n  X-Robots-Tag: noindex"),
        "{headers}"
    );
    let manifest: Value = serde_json::from_str(&read(&out, "experiments.json")).unwrap();
    assert_eq!(manifest["assignment"], "cloudflare");
    // The worker is valid JavaScript (checked with Node when it is there).
    if let Ok(status) = std::process::Command::new("node")
        .args(["--check", "--input-type=module"])
        .stdin(std::fs::File::open(out.join("_worker.js")).unwrap())
        .status()
    {
        assert!(status.success(), "node --check rejects _worker.js");
    }
}

#[test]
fn bad_experiments_are_errors_at_their_line() {
    insta::assert_snapshot!(build_errors("experiment-errors"));
}

#[test]
fn an_experiment_on_a_thank_you_page_is_a_warning() {
    let (_dir, site) = copy_fixture("experiment");
    edit_file(&site.join("content/thanks.md"), |text| {
        text.replace(
            "layout: thankyou\n",
            "layout: thankyou\nexperiment:\n  id: thanks-copy\n  variants: { b: thanks-b.md }\n",
        )
    });
    std::fs::write(
        site.join("content/thanks-b.md"),
        "---\ntitle: Look in your inbox\n---\n",
    )
    .unwrap();
    let diagnostics = funnelcake::check(&funnelcake::BuildOptions::new(&site));
    let warnings = lines(&diagnostics);
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "warning: content/thanks.md:5:1: experiment \"thanks-copy\" runs on a thank-you page"
        )),
        "{warnings:#?}"
    );
    assert!(!diagnostics.has_errors(), "{warnings:#?}");
}

/// Serves the experiment fixture (with `edit` applied to its site.yaml).
fn serve_fixture(
    name: &str,
    edit: impl FnOnce(String) -> String,
) -> (tempfile::TempDir, SiteServer) {
    let (dir, site) = copy_fixture(name);
    edit_file(&site.join("site.yaml"), edit);
    let server = build_and_serve(&site, dir.path());
    (dir, server)
}

/// A fresh visitor: no cookies (the assignment's only memory).
fn forget_visitor(browser: &mut Browser) {
    browser.call("Network.clearBrowserCookies", json!({}));
}

fn path_of(browser: &mut Browser) -> String {
    browser
        .eval("location.pathname")
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn browser_assignment_is_sticky_split_by_weight_and_previewable() {
    let (_dir, server) = serve_fixture("experiment", |c| c);
    let mut browser = Browser::launch();
    let guide = format!("{}/guide/", server.url);

    // 400 fresh visitors split 50/50 land within 40/60.
    let mut to_b = 0;
    for _ in 0..400 {
        forget_visitor(&mut browser);
        browser.navigate(&guide);
        match path_of(&mut browser).as_str() {
            "/guide/b/" => to_b += 1,
            "/guide/" => {}
            other => panic!("a visitor landed on {other}"),
        }
    }
    assert!((160..=240).contains(&to_b), "{to_b} of 400 saw variant b");

    // Each visitor sees the same arm on every visit, from either URL.
    for _ in 0..6 {
        forget_visitor(&mut browser);
        browser.navigate(&guide);
        let first = path_of(&mut browser);
        let cookie = browser
            .eval("document.cookie")
            .as_str()
            .unwrap()
            .to_string();
        let arm = if first == "/guide/b/" { "b" } else { "a" };
        assert!(cookie.contains(&format!("{COOKIE}={arm}")), "{cookie}");
        for url in [&guide, &guide, &format!("{guide}b/"), &guide] {
            browser.navigate(url);
            assert_eq!(path_of(&mut browser), first);
        }
    }

    // `?variant=` previews an arm, whatever the cookie says, and keeps it.
    forget_visitor(&mut browser);
    browser.navigate(&format!("{guide}?variant=b"));
    assert_eq!(path_of(&mut browser), "/guide/b/");
    assert_eq!(browser.eval("location.search"), json!("?variant=b"));
    browser.navigate(&format!("{guide}b/?variant=a"));
    assert_eq!(path_of(&mut browser), "/guide/");
    assert_eq!(
        browser.eval("document.cookie"),
        json!(""),
        "a preview assigns nobody"
    );

    // A crawler gets the control, from the variant URL too.
    browser.call(
        "Network.setUserAgentOverride",
        json!({ "userAgent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }),
    );
    for _ in 0..5 {
        forget_visitor(&mut browser);
        browser.navigate(&guide);
        assert_eq!(path_of(&mut browser), "/guide/");
    }
    browser.navigate(&format!("{guide}b/"));
    assert_eq!(path_of(&mut browser), "/guide/");

    // Without JavaScript, a visitor sees the page asked for.
    browser.call(
        "Network.setUserAgentOverride",
        json!({ "userAgent": "Mozilla/5.0" }),
    );
    browser.disable_javascript();
    forget_visitor(&mut browser);
    browser.navigate(&guide);
    assert_eq!(path_of(&mut browser), "/guide/");
}

/// Loads `url` and returns the (URL, paint events) of every document the
/// frame committed on the way, from Chromium's own lifecycle events.
fn paints_while_loading(browser: &mut Browser, url: &str) -> Vec<(String, Vec<String>)> {
    // Paint events may follow the load event.
    let events = browser.navigate_recording(url, Duration::from_millis(500));
    let mut documents: Vec<(String, String, Vec<String>)> = Vec::new();
    for event in &events {
        match event["method"].as_str() {
            Some("Page.frameNavigated") => {
                let frame = &event["params"]["frame"];
                documents.push((
                    frame["loaderId"].as_str().unwrap().to_string(),
                    frame["url"].as_str().unwrap().to_string(),
                    Vec::new(),
                ));
            }
            Some("Page.lifecycleEvent") => {
                let params = &event["params"];
                let name = params["name"].as_str().unwrap();
                if name.contains("Paint") {
                    let loader = params["loaderId"].as_str().unwrap();
                    if let Some(doc) = documents.iter_mut().find(|d| d.0 == loader) {
                        doc.2.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    documents.into_iter().map(|(_, url, p)| (url, p)).collect()
}

#[test]
fn browser_never_paints_the_control_before_sending_a_visitor_to_the_variant() {
    let (_dir, server) = serve_fixture("experiment", |c| c);
    let mut browser = Browser::launch();
    browser.call("Page.setLifecycleEventsEnabled", json!({ "enabled": true }));
    let guide = format!("{}/guide/", server.url);

    // The check sees paints: the control painted when it is the arm shown.
    forget_visitor(&mut browser);
    browser.call(
        "Network.setCookie",
        json!({ "name": COOKIE, "value": "a", "url": server.url }),
    );
    let documents = paints_while_loading(&mut browser, &guide);
    assert_eq!(documents.len(), 1, "{documents:?}");
    assert!(
        documents[0].1.iter().any(|p| p == "firstContentfulPaint"),
        "{documents:?}"
    );

    // A visitor in arm b: the control's document commits and is replaced
    // before it paints anything; only the variant paints.
    for _ in 0..5 {
        forget_visitor(&mut browser);
        browser.call(
            "Network.setCookie",
            json!({ "name": COOKIE, "value": "b", "url": server.url }),
        );
        let documents = paints_while_loading(&mut browser, &guide);
        let urls: Vec<&str> = documents.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(
            urls,
            [guide.as_str(), &format!("{guide}b/")],
            "{documents:?}"
        );
        assert!(
            documents[0].1.is_empty(),
            "the control painted before the redirect: {documents:?}"
        );
        assert!(documents[1].1.iter().any(|p| p == "firstContentfulPaint"));
    }
}

#[test]
fn browser_posts_the_variant_and_carries_utm_parameters_over_three_hops() {
    let (_dir, server) = serve_fixture("experiment", |c| c);
    let mut browser = Browser::launch();
    for arm in ["a", "b"] {
        forget_visitor(&mut browser);
        server.posts.lock().unwrap().clear();
        browser.call(
            "Network.setCookie",
            json!({ "name": COOKIE, "value": arm, "url": server.url }),
        );
        // Hop 1: the home page, from a campaign link, to the opt-in.
        browser.navigate(&format!(
            "{}/?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
            server.url
        ));
        browser.clear_events();
        browser.click(".cta a");
        let arm_path = if arm == "a" { "/guide/" } else { "/guide/b/" };
        browser.wait_until(
            &format!("location.pathname === '{arm_path}' && document.readyState === 'complete'"),
            Duration::from_secs(10),
        );
        assert!(
            browser
                .eval("location.search")
                .as_str()
                .unwrap()
                .contains("utm_campaign=spring"),
            "the CTA carried the UTM parameters"
        );
        // Hop 2: the form, to the thank-you page.
        browser.type_into("input[type=email]", "ada@example.com");
        browser.click("input[name=consent]");
        browser.click(".optin-form button[type=submit]");
        browser.wait_until(
            "location.pathname === '/thanks/' && document.readyState === 'complete'",
            Duration::from_secs(10),
        );
        let posts = server.posts.lock().unwrap().clone();
        assert_eq!(posts.len(), 1);
        let pairs = form_pairs(&posts[0]);
        assert_eq!(field(&pairs, "funnel_variant"), arm);
        assert_eq!(field(&pairs, "funnel_experiment"), "guide-headline");
        assert_eq!(field(&pairs, "funnel_page"), "/guide/");
        assert_eq!(field(&pairs, "utm_source"), "newsletter");
        assert_eq!(field(&pairs, "utm_medium"), "email");
        assert_eq!(field(&pairs, "utm_campaign"), "spring");
        // Hop 3: the thank-you page's next step.
        browser.click(".cta a");
        browser.wait_until(
            "location.pathname === '/kit/' && document.readyState === 'complete'",
            Duration::from_secs(10),
        );
        let search = browser
            .eval("location.search")
            .as_str()
            .unwrap()
            .to_string();
        for part in [
            "utm_source=newsletter",
            "utm_medium=email",
            "utm_campaign=spring",
        ] {
            assert!(search.contains(part), "{search}");
        }
    }
}

/// Every URL the page asked for while loading `path` and what it runs.
fn requests_of(browser: &mut Browser, url: &str) -> BTreeSet<String> {
    let mut urls = BTreeSet::new();
    for event in browser.navigate_recording(url, Duration::from_millis(300)) {
        if event["method"] == "Network.requestWillBeSent" {
            urls.insert(
                event["params"]["request"]["url"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    urls
}

#[test]
fn browser_sends_no_request_off_the_machine_unless_analytics_are_set() {
    let (_dir, server) = serve_fixture("experiment", |c| c);
    let mut browser = Browser::launch();
    browser.call("Network.enable", json!({}));
    let mut seen = BTreeSet::new();
    for path in [
        "/",
        "/guide/",
        "/guide/b/",
        "/thanks/",
        "/kit/",
        "/privacy/",
    ] {
        seen.extend(requests_of(&mut browser, &format!("{}{path}", server.url)));
    }
    let away: Vec<&String> = seen
        .iter()
        .filter(|u| !u.starts_with(&server.url) && !u.starts_with("data:"))
        .collect();
    assert!(away.is_empty(), "requests left the machine: {away:?}");
    assert!(
        seen.len() > 6,
        "the check saw the site's own requests: {seen:?}"
    );

    // With analytics set, the official snippets do ask their hosts (the
    // requests fail here, offline, but they are made).
    let (_dir, server) = serve_fixture("experiment", |c| {
        format!("{c}analytics:\n  gtm: GTM-ABC1234\n  plausible: split.example\n")
    });
    let mut browser = Browser::launch();
    browser.call("Network.enable", json!({}));
    let seen = requests_of(&mut browser, &format!("{}/guide/", server.url));
    assert!(
        seen.iter()
            .any(|u| u.starts_with("https://www.googletagmanager.com/gtm.js?id=GTM-ABC1234")),
        "{seen:?}"
    );
    assert!(
        seen.contains("https://plausible.io/js/script.js"),
        "{seen:?}"
    );
}

#[test]
fn analytics_markup_consent_defaults_and_events() {
    let (_dir, out) = build_ok("analytics");
    let guide = read(&out, "guide/index.html");
    let head = &guide[..guide.find("</head>").unwrap()];

    // Consent Mode v2: everything denied before any Google tag loads.
    let consent = head
        .find(r#"gtag("consent","default",{ad_storage:"denied",analytics_storage:"denied",ad_user_data:"denied",ad_personalization:"denied""#)
        .expect("consent defaults");
    let gtm = head
        .find("https://www.googletagmanager.com/gtm.js?id=")
        .unwrap();
    let ga4 = head
        .find(r#"<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST1234"></script>"#)
        .unwrap();
    assert!(consent < gtm && consent < ga4);
    assert!(head.contains("'dataLayer','GTM-TEST123'"));
    assert!(head.contains(r#"gtag("config","G-TEST1234")"#));
    assert!(head.contains(r#"fbq("consent","revoke")"#));
    assert!(head.contains(r#"fbq("init","1234567890")"#));
    assert!(head.contains(r#"<script defer data-domain="analytics.example" src="https://plausible.io/js/script.js"></script>"#));

    // The banner, and the footer button that opens it again.
    assert!(guide.contains(
        r#"<section class="consent-banner" id="consent" aria-labelledby="consent-title" hidden>"#
    ));
    assert!(guide.contains(r#"data-consent="granted">Accept</button>"#));
    assert!(guide.contains(r#"data-consent="denied">Decline</button>"#));
    assert!(guide.contains(r#"<a href="/privacy/">Privacy policy</a>"#));
    assert!(guide.contains("data-consent-open hidden>Cookie settings</button>"));

    // The events: the page's data and the site's names.
    assert!(guide.contains(r#"({"experiment":"","form":true,"offer":"free_trial","page":"/guide/","stage":"subscribe","title":"Start your free trial","trial":true,"variant":""},{"funnel_step_view":"funnel_step_view","generate_lead":"lead_submitted","sign_up":"sign_up","view_item":"view_item"});"#), "{guide}");
    let kit = read(&out, "kit/index.html");
    assert!(
        kit.contains(r#""price":{"currency":"EUR","value":19.0}"#),
        "{kit}"
    );
    // A page without a stage sends no step view, but still loads the tools.
    let privacy = read(&out, "privacy/index.html");
    assert!(privacy.contains(r#""stage":"""#));

    // The banner is off when the site handles consent itself.
    let (dir, site) = copy_fixture("analytics");
    edit_file(&site.join("site.yaml"), |config| {
        config.replace("analytics:\n", "analytics:\n  consent_banner: false\n")
    });
    let out = build_site(&site, dir.path().join("out"));
    let guide = read(&out, "guide/index.html");
    assert!(!guide.contains("consent-banner"));
    assert!(!guide.contains("data-consent-open"));
    assert!(
        guide.contains(r#"analytics_storage:"denied""#),
        "the defaults stay"
    );
}

#[test]
fn without_analytics_pages_carry_no_tracking_code() {
    let (_dir, out) = build_ok("experiment");
    for page in ["index.html", "guide/index.html", "kit/index.html"] {
        let html = read(&out, page);
        for needle in [
            "dataLayer",
            "gtag",
            "fbq",
            "plausible",
            "consent-title",
            "funnel events",
        ] {
            assert!(!html.contains(needle), "{page} has {needle}");
        }
    }
}

#[test]
fn bad_analytics_settings_are_errors() {
    insta::assert_snapshot!(build_errors("analytics-errors"));
}

#[test]
fn browser_consent_banner_grants_denies_and_remembers() {
    let (_dir, out) = build_ok("analytics");
    let server = SiteServer::bind();
    server.serve(&out);
    let mut browser = Browser::launch();
    let guide = format!("{}/guide/", server.url);
    browser.navigate(&guide);
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        json!(false)
    );
    let consent_updates = "dataLayer.filter(function(e){return e[0]==='consent'}).map(function(e){return e[1]+':'+e[2].analytics_storage}).join(',')";
    assert_eq!(browser.eval(consent_updates), json!("default:denied"));
    browser.click("[data-consent=granted]");
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        json!(true)
    );
    assert_eq!(
        browser.eval(consent_updates),
        json!("default:denied,update:granted")
    );
    // The choice is remembered on the next page, and applied before the tags.
    browser.navigate(&format!("{}/kit/", server.url));
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        json!(true)
    );
    assert_eq!(
        browser.eval(consent_updates),
        json!("default:denied,update:granted")
    );
    // The footer button opens the banner again; declining is remembered too.
    browser.click("[data-consent-open]");
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        json!(false)
    );
    browser.click("[data-consent=denied]");
    browser.navigate(&guide);
    assert_eq!(
        browser.eval("document.getElementById('consent').hidden"),
        json!(true)
    );
    assert_eq!(browser.eval(consent_updates), json!("default:denied"));

    // The events reach dataLayer, under the site's names.
    let events = "dataLayer.filter(function(e){return e.event&&e.event.indexOf('gtm')!==0}).map(function(e){return e.event+':'+(e.stage||'')+':'+(e.page||'')}).join(',')";
    assert_eq!(
        browser.eval(events),
        json!("funnel_step_view:subscribe:/guide/")
    );
    browser.type_into("input[type=email]", "ada@example.com");
    browser.eval("document.querySelector('.optin-form').addEventListener('submit',function(e){e.preventDefault()})");
    browser.click(".optin-form button[type=submit]");
    assert_eq!(
        browser.eval(events),
        json!("funnel_step_view:subscribe:/guide/,lead_submitted:subscribe:/guide/,sign_up:subscribe:/guide/")
    );
    browser.navigate(&format!("{}/kit/", server.url));
    let items = "dataLayer.filter(function(e){return e.event==='view_item'}).map(function(e){return e.currency+e.value+':'+e.items[0].item_name}).join(',')";
    assert_eq!(browser.eval(items), json!("EUR19:The starter kit"));
}

#[test]
fn a_variant_can_reuse_the_control_body() {
    let (dir, site) = copy_fixture("experiment");
    std::fs::write(
        site.join("content/guide-b.md"),
        "---\ntitle: A shorter headline\n---\n\n",
    )
    .unwrap();
    let out = build_site(&site, dir.path().join("out"));
    let variant = read(&out, "guide/b/index.html");
    assert!(variant.contains("<title>A shorter headline · Split Roasters</title>"));
    assert!(variant.contains("Roast your first batch this week"));
    assert!(variant.contains(r#"<button class="button" type="submit">Send me the guide</button>"#));
}

#[test]
fn a_link_to_a_variant_is_an_error() {
    let (_dir, site) = copy_fixture("experiment");
    edit_file(&site.join("content/index.md"), |text| {
        text.replace("(@/guide.md)", "(@/guide-b.md)")
    });
    let errors = lines(&funnelcake::check(&funnelcake::BuildOptions::new(&site)));
    assert_eq!(
        errors[0].lines().next().unwrap(),
        "error: content/index.md:11:12: link to content/guide-b.md, which is variant \"b\" of content/guide.md",
        "{errors:#?}"
    );
    assert!(errors[0].contains("link to the control, `guide.md`"));
}

#[test]
fn a_layout_without_the_assignment_script_is_an_error() {
    let (_dir, site) = copy_fixture("experiment");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(
        site.join("templates/optin.html"),
        "<!doctype html><title>{{ page.title }}</title>{{ page.content | safe }}\n",
    )
    .unwrap();
    let errors = lines(&funnelcake::check(&funnelcake::BuildOptions::new(&site)));
    let control = errors
        .iter()
        .find(|e| e.starts_with("error: content/guide.md:11:1: the layout `optin.html` does not include the A/B assignment script"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(control.contains(r#"{% include "_experiment.html" %}"#));
    assert!(errors
        .iter()
        .any(|e| e.starts_with("error: content/guide-b.md: the layout")));
}

/// The errors of `check` on a copy of the experiment fixture after `edit`.
fn errors_after(edit: impl FnOnce(&std::path::Path)) -> Vec<String> {
    let (_dir, site) = support::copy_fixture("experiment");
    edit(&site);
    support::lines(&funnelcake::check(&funnelcake::BuildOptions::new(&site)))
}

#[test]
fn an_inherited_fields_error_is_at_the_controls_line_naming_the_variant() {
    let errors = errors_after(|site| {
        let guide = site.join("content/guide.md");
        let text = std::fs::read_to_string(&guide).unwrap();
        std::fs::write(
            &guide,
            text.replace("layout: optin\n", "layout: optin\nnext: nope.md\n"),
        )
        .unwrap();
    });
    assert_eq!(
        errors,
        ["error: content/guide.md:7:7: `next` points at \"nope.md\", which is not a page (also in content/guide-b.md, a variant that inherits it)\n  = help: content paths are relative to content/, like `offers/starter-kit.md`"]
    );
}

#[test]
fn a_url_clash_with_a_variant_suggests_what_can_change() {
    let errors = errors_after(|site| {
        std::fs::create_dir_all(site.join("content/guide")).unwrap();
        std::fs::write(site.join("content/guide/b.md"), "---\ntitle: Clash\n---\n").unwrap();
    });
    assert_eq!(
        errors,
        ["error: content/guide/b.md:1:1: content/guide-b.md and content/guide/b.md both have the URL /guide/b/\n  = help: give content/guide/b.md another `slug:` or rename it, or change the variant id \"b\" in the `experiment:` of content/guide.md"]
    );
}

#[cfg(unix)]
#[test]
fn a_backslash_file_name_clash_names_both_files() {
    let errors = errors_after(|site| {
        std::fs::create_dir_all(site.join("content/a")).unwrap();
        std::fs::write(site.join("content/a\\b.md"), "---\ntitle: X\n---\n").unwrap();
        std::fs::write(site.join("content/a/b.md"), "---\ntitle: Y\n---\n").unwrap();
    });
    assert_eq!(
        errors,
        ["error: content/a\\b.md:1:1: content/a/b.md and content/a\\b.md both have the URL /a/b/\n  = help: give one of them another `slug:` or rename the file"]
    );
}
