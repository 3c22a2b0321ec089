//! Funnel semantics on fixture sites: each provider's form markup, consent
//! and honeypot, noindex thank-you pages, sitemaps, funnel.json, the map,
//! the journey warnings; and in headless Chromium, a form that posts with
//! JavaScript off and the example site's opt-in clicked through end to end.

mod support;

use funnelcake::BuildOptions;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use support::browser::Browser;
use support::{
    build_and_serve, build_errors, build_ok, build_site, copy_fixture, edit_file, field, fixture,
    form_pairs, lines, read,
};

/// The `<form>...</form>` of a built page.
fn form_of(out: &Path, page: &str) -> String {
    let html = read(out, page);
    let start = html
        .find("<form")
        .unwrap_or_else(|| panic!("{page} has no form"));
    let end = html[start..].find("</form>").unwrap() + start + "</form>".len();
    html[start..end].to_string()
}

#[test]
fn each_provider_gets_its_own_mechanism() {
    let (_dir, out) = build_ok("providers");
    for provider in ["netlify", "formspree", "mailchimp", "kit", "custom"] {
        let form = form_of(&out, &format!("{provider}/index.html"));
        insta::assert_snapshot!(format!("form_{provider}"), form);
    }

    let netlify = form_of(&out, "netlify/index.html");
    assert!(netlify.contains(r#"action="/thanks/""#), "{netlify}");
    assert!(netlify
        .contains(r#"name="netlify" data-netlify="true" data-netlify-honeypot="company_website""#));
    assert!(netlify.contains(r#"<input type="hidden" name="form-name" value="netlify">"#));

    let formspree = form_of(&out, "formspree/index.html");
    assert!(formspree.contains(r#"action="https://formspree.io/f/xyzabcd""#));
    assert!(formspree.contains(r#"name="_next" value="https://providers.example/thanks/""#));
    assert!(formspree.contains(r#"name="_gotcha""#));

    // The action is pasted from Mailchimp's embed code, `&amp;` and all:
    // escaped once in the page, so the browser posts `&id=`.
    let mailchimp = form_of(&out, "mailchimp/index.html");
    assert!(mailchimp.contains(
        r#"action="https://example.us21.list-manage.com/subscribe/post?u=1a2b3c&amp;id=4d5e6f""#
    ));
    for name in ["EMAIL", "FNAME", "LNAME", "PHONE", "b_1a2b3c_4d5e6f"] {
        assert!(mailchimp.contains(&format!(r#"name="{name}""#)), "{name}");
    }
    // Consent reaches the list's GDPR field; hidden fields only under the
    // merge tags site.yaml maps them to (Mailchimp drops any other name).
    assert!(mailchimp.contains(r#"name="gdpr[12345]" type="checkbox" value="Y" required>"#));
    assert!(mailchimp
        .contains(r#"<input type="hidden" name="UTMSOURCE" value="" data-utm="utm_source">"#));
    assert!(mailchimp.contains(r#"<input type="hidden" name="FPAGE" value="/mailchimp/">"#));
    for dropped in ["utm_medium", "funnel_stage", "consent"] {
        assert!(
            !mailchimp.contains(&format!(r#"name="{dropped}""#)),
            "{dropped}"
        );
    }

    // Kit keeps `email_address` and `fields[KEY]` only.
    let kit = form_of(&out, "kit/index.html");
    assert!(kit.contains(r#"action="https://app.kit.com/forms/1234567/subscriptions""#));
    assert!(kit.contains(r#"name="email_address" type="email""#));
    for name in [
        "first_name",
        "last_name",
        "phone",
        "funnel_page",
        "funnel_offer",
    ] {
        assert!(kit.contains(&format!(r#"name="fields[{name}]""#)), "{name}");
    }
    assert!(kit.contains(
        r#"<input type="hidden" name="fields[utm_source]" value="" data-utm="utm_source">"#
    ));
    assert!(!kit.contains(r#"name="utm_source""#) && !kit.contains(r#"name="phone""#));

    let custom = form_of(&out, "custom/index.html");
    assert!(custom.contains(r#"action="/api/subscribe""#));
    assert!(custom.contains(r#"name="redirect" value="https://providers.example/thanks/""#));
}

#[test]
fn every_form_has_labels_funnel_fields_consent_and_a_honeypot() {
    let (_dir, out) = build_ok("providers");
    // Mailchimp and Kit rename these fields: see each_provider_gets_its_own_mechanism.
    for provider in ["netlify", "formspree", "custom"] {
        let form = form_of(&out, &format!("{provider}/index.html"));
        assert!(form.contains(r#"method="post""#));
        for (name, value) in [
            ("funnel_page", format!("/{provider}/")),
            ("funnel_stage", "subscribe".into()),
            ("funnel_offer", "lead_magnet".into()),
            ("utm_source", String::new()),
            ("utm_medium", String::new()),
            ("utm_campaign", String::new()),
            ("utm_term", String::new()),
            ("utm_content", String::new()),
        ] {
            let input = format!(r#"<input type="hidden" name="{name}" value="{value}">"#);
            assert!(form.contains(&input), "{provider}: {input}");
        }
        // Every visible input has a real label pointing at it.
        for id in form.split(r#"<input id=""#).skip(1) {
            let id = id.split('"').next().unwrap();
            assert!(
                form.contains(&format!(r#"<label for="{id}">"#)),
                "{provider}: label for {id}"
            );
        }
        // An unticked, required consent box linking the privacy page.
        assert!(form.contains(r#"<input id="consent-"#));
        let consent = form.split(r#"name="consent""#).nth(1).unwrap();
        assert!(
            consent.starts_with(r#" type="checkbox" value="yes" required>"#),
            "{consent}"
        );
        assert!(!consent.split('>').next().unwrap().contains("checked"));
        assert!(
            form.contains(r#"<a href="/privacy/">Privacy policy</a>"#),
            "{provider}"
        );
        // The honeypot is hidden from people and screen readers, and skipped by Tab.
        assert!(form.contains(r#"<div class="hp" aria-hidden="true">"#));
        assert!(form.contains(r#"tabindex="-1" autocomplete="off""#));
    }
    // A form whose consent text is empty has no consent box.
    assert!(!form_of(&out, "kit/index.html").contains("consent"));
    // Field types and autocomplete.
    let custom = form_of(&out, "custom/index.html");
    assert!(custom.contains(r#"name="email" type="email" autocomplete="email" required>"#));
    assert!(custom.contains(r#"name="company" type="text" autocomplete="organization">"#));
    assert!(custom.contains(r#"<textarea id="field-goal" name="goal""#));
    assert!(custom.contains(r#"<label for="field-goal">What do you want to roast?</label>"#));
    assert!(custom.contains(">Send me the guide</button>"));
    // The UTM script is on the page, small and dependency-free.
    let page = read(&out, "custom/index.html");
    let script = page
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    assert!(script.len() < 1024, "{} bytes", script.len());
    assert!(script.contains("sessionStorage") && !script.contains("src="));
}

#[test]
fn thank_you_pages_are_noindex_unless_told_otherwise_and_not_in_sitemaps() {
    let (_dir, out) = build_ok("providers");
    let noindex = r#"<meta name="robots" content="noindex">"#;
    assert!(read(&out, "thanks/index.html").contains(noindex));
    assert!(!read(&out, "thanks-indexed/index.html").contains(noindex));
    assert!(!read(&out, "custom/index.html").contains(noindex));

    let subscribe = read(&out, "sitemaps/subscribe.xml");
    let locs: Vec<&str> = subscribe
        .split("<loc>")
        .skip(1)
        .map(|l| l.split("</loc>").next().unwrap())
        .collect();
    let expected: Vec<String> = [
        "",
        "custom/",
        "formspree/",
        "kit/",
        "mailchimp/",
        "netlify/",
    ]
    .iter()
    .map(|p| format!("https://providers.example/{p}"))
    .collect();
    assert_eq!(locs, expected);
    let pages = read(&out, "sitemaps/pages.xml");
    assert!(pages.contains("<loc>https://providers.example/privacy/</loc>"));
    assert!(pages.contains("<loc>https://providers.example/thanks-indexed/</loc>"));
    assert!(!pages.contains("/thanks/<"));
    let index = read(&out, "sitemap.xml");
    assert_eq!(index.matches("<sitemap>").count(), 2, "{index}");
}

#[test]
fn funnel_json_follows_the_schema_with_every_link_kind() {
    let (_dir, out) = build_ok("full");
    let text = read(&out, "funnel.json");
    insta::assert_snapshot!("funnel_json_full", text);
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["site"]["title"], "Fixture");
    assert_eq!(json["site"]["base_url"], "https://fixture.example");
    let stages: Vec<&str> = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "aware",
            "engage",
            "subscribe",
            "convert",
            "excite",
            "ascend",
            "advocate",
            "promote"
        ]
    );
    let pages = json["pages"].as_array().unwrap();
    let urls: Vec<&str> = pages.iter().map(|p| p["url"].as_str().unwrap()).collect();
    let mut sorted = urls.clone();
    sorted.sort();
    assert_eq!(urls, sorted, "pages are sorted by url");
    let mut kinds = std::collections::BTreeSet::new();
    for page in pages {
        let keys: Vec<&str> = page
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // serde_json sorts keys; the file itself keeps SPEC's order (see the snapshot).
        let expected = [
            "indexable",
            "layout",
            "links",
            "offer",
            "offer_title",
            "source",
            "stage",
            "stage_title",
            "title",
            "url",
        ];
        assert_eq!(keys, expected);
        for link in page["links"].as_array().unwrap() {
            let to = link["to"].as_str().unwrap();
            assert!(urls.contains(&to), "link to a page of the site: {to}");
            kinds.insert(link["kind"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["form", "link", "next"]
    );
    let guide = pages.iter().find(|p| p["url"] == "/guide/").unwrap();
    assert_eq!(guide["links"][0]["to"], "/thanks/");
    assert_eq!(guide["links"][0]["kind"], "form");
    let thanks = pages.iter().find(|p| p["url"] == "/thanks/").unwrap();
    assert_eq!(thanks["indexable"], false);
    assert_eq!(thanks["source"], "content/thanks.md");
}

/// Builds a copy of fixture `name` with `theme:` set to `theme`; returns
/// the temp folder and the output folder in it.
fn build_with_theme(name: &str, theme: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, site) = support::copy_fixture(name);
    support::set_theme(&site, theme);
    let out = build_site(&site, dir.path().join("out"));
    (dir, out)
}

#[test]
fn funnel_map_page_is_a_theme_layout_with_columns_cards_arrows_gaps_and_dead_ends() {
    for theme in ["starter", "launch"] {
        let (_dir, out) = build_with_theme("journey-warnings", theme);
        let html = read(&out, "funnel/index.html");
        let has = |text: &str| assert!(html.contains(text), "{theme}: {text}\n{html}");
        // The theme's frame: base.html with its stylesheets, landmarks and favicon.
        has(r#"<html lang="en" dir="ltr">"#);
        has("<title>Funnel map · Warnings</title>");
        has(r#"<meta name="robots" content="noindex">"#);
        has(r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml">"#);
        for css in ["main", "map"] {
            let link = format!(r#"<link rel="stylesheet" href="/css/{css}."#);
            has(&link);
            let file = html.split(&link).nth(1).unwrap().split('"').next().unwrap();
            assert!(
                out.join(format!("css/{css}.{file}")).is_file(),
                "{css}.{file}"
            );
        }
        has(r##"<a class="skip-link" href="#main">Skip to content</a>"##);
        has(r#"<header class="site-header">"#);
        has(r#"<main id="main" class="page">"#);
        has(r#"<footer class="site-footer">"#);
        has(r#"<body class="layout-funnel">"#);
        has(r#"<h1 id="map-title">Funnel map</h1>"#);
        assert!(!html.contains("<script"), "{theme}: no script on the map");
        assert!(
            !html.contains(r#"src="http"#) && !html.contains(r#"stylesheet" href="http"#),
            "{theme}: no external request"
        );
        // The summary, then the stages in journey order, as columns.
        has("5 stages · 6 pages · <span class=\"map-warn\">1 gap</span> · <span class=\"map-warn\">1 dead end</span>");
        let order: Vec<usize> = ["Discover", "Consider", "Sign up", "Buy", "Refer"]
            .iter()
            .map(|t| {
                html.find(&format!("</span> {t} <span class=\"map-count\">"))
                    .unwrap()
            })
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "stages in journey order"
        );
        has(r#"<span class="map-count">2 pages</span>"#);
        has(r#"<span class="map-count">1 page</span>"#);
        // The stage no page serves is a gap; the page with no way onward a dead end.
        has(r#"<p class="map-card map-gap"><strong>Gap</strong> no page serves this stage</p>"#);
        assert_eq!(
            html.matches(r#"<article class="map-card map-dead-end""#)
                .count(),
            1
        );
        assert_eq!(
            html.matches(r#"<span class="map-tag map-warn">dead end</span>"#)
                .count(),
            1
        );
        // Cards: title, path, layout; the thank-you page's badge.
        has(r#"<h3><a href="/early/">Still thinking?</a></h3>"#);
        has(r#"<p class="map-path"><code>/early/</code></p>"#);
        has(r#"<span class="map-tag">opt-in</span>"#);
        // Each link is an arrow, told apart by its line and head, and is
        // listed on its card for screen readers, phones and print.
        let arrows = html.split(r#"<svg class="map-arrows""#).nth(1).unwrap();
        let arrows = arrows.split("</svg>").next().unwrap();
        assert_eq!(arrows.matches(r#"<path class="map-next"#).count(), 3);
        assert_eq!(arrows.matches(r#"<path class="map-form""#).count(), 1);
        assert_eq!(arrows.matches(r#"<path class="map-link"#).count(), 2);
        assert!(arrows.contains(r#"<path class="map-next map-back""#));
        assert!(arrows.contains(r#"<path class="map-link map-back""#));
        has(r#"marker-start="url(#map-dot-form)" marker-end="url(#map-head-form)"/>"#);
        for marker in [
            "map-head-next",
            "map-head-form",
            "map-dot-form",
            "map-head-link",
        ] {
            has(&format!(r#"<marker id="{marker}""#));
        }
        has("(next step)</li>");
        has("(form)</li>");
        has("(link)</li>");
        has(r#"<ul class="map-legend" aria-label="Legend">"#);
        has("form → thank-you page</li>");
        // Every card a link points at exists.
        for target in html.split(r##"<a href="#p"##).skip(1) {
            let id = target.split('"').next().unwrap();
            has(&format!(r#"id="p{id}""#));
        }
        let board = html
            .split(r#"<div class="map-board" style=""#)
            .nth(1)
            .unwrap();
        assert!(
            board.starts_with(
                "--map-w:1237px;--map-h:372px;--map-col:213px;--map-card:124px;--map-top:64px;--map-print:0.792\""
            ),
            "{board}"
        );
        assert!(!read(&out, "sitemap.xml").contains("funnel"));
    }
    let (_dir, out) = build_with_theme("journey-warnings", "launch");
    let html = read(&out, "funnel/index.html");
    assert!(
        html.contains(r#"<header class="hero hero-slim map-head">"#),
        "launch's own frame"
    );
}

#[test]
fn funnel_map_works_with_a_sites_own_older_base_template() {
    // A base.html written before the map was a layout: no `head` block.
    let (dir, site) = support::copy_fixture("journey-warnings");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    let base =
        "<!doctype html>\n<html lang=\"{{ site.language }}\" dir=\"{{ site.direction }}\">\n\
        <head><meta charset=\"utf-8\"><title>{{ page.title }}</title>\n\
        <link rel=\"stylesheet\" href=\"{{ css.main }}\"></head>\n\
        <body><main id=\"main\">{% block main %}{% endblock main %}</main>\n\
        {% include \"_utm.html\" %}</body>\n</html>\n";
    std::fs::write(site.join("templates/base.html"), base).unwrap();
    let out = build_site(&site, dir.path().join("out"));
    let html = read(&out, "funnel/index.html");
    assert!(html.contains(r#"<main id="main">"#), "{html}");
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/css/map."#),
        "{html}"
    );
    assert!(html.contains(r#"<svg class="map-arrows""#), "{html}");
}

#[test]
fn funnel_map_in_a_right_to_left_site_is_mirrored_and_translated() {
    let (_dir, out) = build_ok("map-fa");
    let html = read(&out, "funnel/index.html");
    let has = |text: &str| assert!(html.contains(text), "{text}\n{html}");
    has(r#"<html lang="fa" dir="rtl">"#);
    has("<title>نقشهٔ قیف · قهوهٔ تازه</title>");
    has(r#"<meta name="robots" content="noindex">"#);
    has(r##"<a class="skip-link" href="#main">رفتن به محتوا</a>"##);
    // Counts in Persian digits and words; stage and offer titles translated.
    has("۵ مرحله · ۴ صفحه · <span class=\"map-warn\">۲ شکاف</span> · <span class=\"map-warn\">۱ بن‌بست</span>");
    has(r#"<span class="map-n">۱</span> آگاهی <span class="map-count">۱ صفحه</span>"#);
    has(r#"<span class="map-n">۳</span> بررسی <span class="map-count">۰ صفحه</span>"#);
    has(r#"<span class="map-tag map-offer">هدیهٔ رایگان</span>"#);
    has(
        r#"<p class="map-card map-gap"><strong>شکاف</strong> هیچ صفحه‌ای به این مرحله نمی‌پردازد</p>"#,
    );
    has(r#"<span class="map-tag map-warn">بن‌بست</span>"#);
    has(r#"<ul class="map-legend" aria-label="راهنمای نقشه">"#);
    has("(فرم)</li>");
    has("(گام بعدی)</li>");
    let arrows = html.split(r#"<svg class="map-arrows""#).nth(1).unwrap();
    let arrows = arrows.split("</svg>").next().unwrap();
    assert_eq!(arrows.matches("<path class=\"map-next\"").count(), 2);
    assert_eq!(arrows.matches("<path class=\"map-form\"").count(), 1);
    // The theme's stylesheet mirrors the board, arrows included.
    let css = std::fs::read_dir(out.join("css"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("map."))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .unwrap();
    assert!(css.contains(r#"[dir=rtl] .map-arrows"#), "{css}");
    assert!(css.contains("scaleX(-1)"), "{css}");
}

#[test]
fn a_theme_without_a_funnel_layout_gets_the_standalone_map() {
    let (_dir, out) = build_ok("map-own-theme");
    let html = read(&out, "funnel/index.html");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">"));
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(html.contains("<title>Funnel map · Own theme</title>"));
    assert!(
        html.contains(r#"<h1 id="map-title">Funnel map</h1>"#),
        "{html}"
    );
    // The same board as the built-in themes draw, with its CSS inlined:
    // no request leaves the page.
    assert!(html.contains("<style>") && html.contains(".map-board {"));
    assert!(!html.contains("<link rel=\"stylesheet\""), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(r#"<svg class="map-arrows""#), "{html}");
    assert!(html.contains(r#"<path class="map-next""#), "{html}");
    assert!(html.contains(r#"<span class="map-tag map-warn">dead end</span>"#));
    assert!(html.contains(r#"<ul class="map-legend" aria-label="Legend">"#));
    assert!(!html.contains("favicon"), "the theme has no favicon");
    // A theme that extends a built-in one inherits its funnel layout.
    let (_dir, out) = build_ok("greek");
    let html = read(&out, "funnel/index.html");
    assert!(
        html.contains(r#"<h1 id="map-title">Χάρτης διαδρομής</h1>"#),
        "{html}"
    );
    assert!(html.contains("3 στάδια · 3 σελίδες"), "{html}");
}

#[test]
fn funnel_map_can_be_turned_off() {
    let (_dir, site) = support::copy_fixture("journey-warnings");
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}funnel_map: false\n")
    });
    funnelcake::build(&BuildOptions::new(&site)).unwrap();
    assert!(!site.join("public/funnel").exists());
    assert!(site.join("public/funnel.json").is_file());
}

#[test]
fn journey_warnings_in_text() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("journey-warnings")));
    assert!(!diagnostics.has_errors());
    insta::assert_snapshot!("journey_warnings", lines(&diagnostics).join("\n"));
    // `build` prints the same warnings and still succeeds.
    let dir = tempfile::tempdir().unwrap();
    let report = funnelcake::build(&BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(fixture("journey-warnings"))
    })
    .unwrap();
    assert_eq!(lines(&report.diagnostics), lines(&diagnostics));
}

/// `check` on the providers fixture after `change` to `file`.
fn check_providers(edits: &[(&str, &dyn Fn(String) -> String)]) -> funnelcake::Diagnostics {
    let (_dir, site) = copy_fixture("providers");
    for (file, change) in edits {
        edit_file(&site.join(file), change);
    }
    funnelcake::check(&BuildOptions::new(&site))
}

#[test]
fn netlify_forms_need_netlify_hosting() {
    // On Cloudflare Pages the page that picks Netlify is wrong, at its line.
    let cloudflare = check_providers(&[("site.yaml", &|c| {
        c.replace("deploy: netlify", "deploy: cloudflare")
    })]);
    insta::assert_snapshot!("netlify_forms_on_cloudflare", lines(&cloudflare).join("\n"));
    // When Netlify is the default provider, the error is at `deploy`.
    let pages = check_providers(&[
        ("site.yaml", &|c| {
            c.replace("deploy: netlify", "deploy: github-pages")
        }),
        ("content/netlify.md", &|c| {
            c.replace("  provider: netlify\n", "")
        }),
    ]);
    insta::assert_snapshot!("netlify_forms_on_github_pages", lines(&pages).join("\n"));
    // With no host named, a warning with a stable code.
    let none = check_providers(&[("site.yaml", &|c| c.replace("deploy: netlify\n", ""))]);
    assert!(!none.has_errors());
    let json: Value = serde_json::from_str(&none.to_json()).unwrap();
    insta::assert_snapshot!(
        "netlify_forms_without_a_host",
        serde_json::to_string_pretty(&json["warnings"]).unwrap()
    );
}

#[test]
fn mailchimp_settings_are_checked_where_they_are_written() {
    let errors = check_providers(&[("site.yaml", &|c| {
        c.replace("gdpr: 12345", "gdpr: \"12-345\"").replace(
            "utm_campaign: UTMCAMP",
            "utm_campain: UTMCAMP, utm_medium: utm-medium",
        )
    })]);
    insta::assert_snapshot!("mailchimp_setting_errors", lines(&errors).join("\n"));
    // An action that is not a list's signup URL loses every signup.
    let errors = check_providers(&[("content/mailchimp.md", &|c| {
        c.replace(
            "https://example.us21.list-manage.com/subscribe/post?u=1a2b3c&amp;id=4d5e6f",
            "https://example.us21.list-manage.com/subscribe/post?u=1a2b3c",
        )
    })]);
    insta::assert_snapshot!("mailchimp_action_error", lines(&errors).join("\n"));
}

#[test]
fn a_page_overrides_the_sites_mailchimp_settings_key_by_key() {
    let (dir, site) = copy_fixture("providers");
    edit_file(&site.join("content/mailchimp.md"), |c| {
        c.replace(
            "  thank_you: thanks.md",
            "  thank_you: thanks.md\n  mailchimp: { gdpr: 777, merge: { utm_medium: UTMMED } }",
        )
    });
    let out = build_site(&site, dir.path().join("out"));
    let form = form_of(&out, "mailchimp/index.html");
    assert!(
        form.contains(r#"name="gdpr[777]" type="checkbox" value="Y""#),
        "{form}"
    );
    assert!(form.contains(r#"name="UTMSOURCE" value="" data-utm="utm_source""#));
    assert!(form.contains(r#"name="UTMMED" value="" data-utm="utm_medium""#));
    // The funnel fields keep the site's merge tags too.
    assert!(form.contains(r#"name="FPAGE" value="/mailchimp/""#));
}

#[test]
fn journey_warnings_in_json_have_stable_codes() {
    let diagnostics = funnelcake::check(&BuildOptions::new(fixture("journey-warnings")));
    let json: Value = serde_json::from_str(&diagnostics.to_json()).unwrap();
    assert_eq!(json["errors"], Value::Array(vec![]));
    let warnings = json["warnings"].as_array().unwrap();
    let mut codes: Vec<(&str, &str)> = warnings
        .iter()
        .map(|w| (w["code"].as_str().unwrap(), w["file"].as_str().unwrap()))
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            ("backward-next", "content/offer.md"),
            ("dead-end", "content/early.md"),
            ("expired", "content/sale.md"),
            ("missing-description", "content/early.md"),
            ("orphan-page", "content/optin.md"),
            ("thank-you-layout", "content/optin.md"),
            ("unserved-stage", "site.yaml"),
        ]
    );
    for warning in warnings {
        for key in ["file", "line", "column", "code", "message"] {
            assert!(warning.get(key).is_some(), "{key} in {warning}");
        }
    }
    let backward = warnings
        .iter()
        .find(|w| w["code"] == "backward-next")
        .unwrap();
    assert_eq!(
        (backward["line"].as_u64(), backward["column"].as_u64()),
        (Some(5), Some(7))
    );
}

#[test]
fn privacy_url_must_name_a_page() {
    insta::assert_snapshot!(build_errors("broken-privacy"));
}

#[test]
fn utm_fields_a_provider_renames_are_filled_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = build_and_serve(&fixture("providers"), dir.path());
    let mut browser = Browser::launch();
    let value = |browser: &mut Browser, name: &str| -> String {
        let script = format!("document.querySelector('input[name=\"{name}\"]').value");
        browser.eval(&script).as_str().unwrap().to_string()
    };
    browser.navigate(&format!(
        "{}/kit/?utm_source=newsletter&utm_campaign=autumn",
        server.url
    ));
    assert_eq!(value(&mut browser, "fields[utm_source]"), "newsletter");
    assert_eq!(value(&mut browser, "fields[utm_campaign]"), "autumn");
    // Kept for the session: the Mailchimp page fills its merge tags too.
    browser.navigate(&format!("{}/mailchimp/", server.url));
    assert_eq!(value(&mut browser, "UTMSOURCE"), "newsletter");
    assert_eq!(value(&mut browser, "UTMCAMP"), "autumn");
}

#[test]
fn a_form_posts_its_fields_with_javascript_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = build_and_serve(&fixture("providers"), dir.path());
    let mut browser = Browser::launch();
    browser.disable_javascript();
    browser.navigate(&format!("{}/custom/?utm_source=ignored", server.url));
    browser.type_into("#field-email", "ada@example.com");
    browser.type_into("#field-company", "Analytical Engines");
    browser.type_into("#field-goal", "Ethiopian beans");
    browser.click("input[name=consent]");
    browser.click(".optin-form button[type=submit]");
    browser.wait_until("location.pathname === '/thanks/'", Duration::from_secs(10));

    let posts = server.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    let pairs = form_pairs(&posts[0]);
    assert_eq!(field(&pairs, "email"), "ada@example.com");
    assert_eq!(field(&pairs, "company"), "Analytical Engines");
    assert_eq!(field(&pairs, "goal"), "Ethiopian beans");
    assert_eq!(field(&pairs, "consent"), "yes");
    assert_eq!(field(&pairs, "funnel_page"), "/custom/");
    assert_eq!(field(&pairs, "funnel_stage"), "subscribe");
    assert_eq!(field(&pairs, "funnel_offer"), "lead_magnet");
    assert_eq!(
        field(&pairs, "company_website"),
        "",
        "the honeypot stays empty"
    );
    assert_eq!(
        field(&pairs, "utm_source"),
        "",
        "without JavaScript the UTM fields are empty"
    );
    assert_eq!(field(&pairs, "redirect"), format!("{}/thanks/", server.url));
    assert_eq!(browser.url(), format!("{}/thanks/", server.url));
}

#[test]
fn example_site_opt_in_works_end_to_end_with_the_custom_provider() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    support::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site"),
        &site,
    );
    std::fs::remove_dir_all(site.join("public")).ok();
    edit_file(&site.join("site.yaml"), |config| {
        config.replace(
            "provider: netlify",
            "provider: custom\n  action: /api/subscribe",
        )
    });
    let server = build_and_serve(&site, dir.path());

    let mut browser = Browser::launch();
    // A visitor arrives from a newsletter, then follows the funnel.
    browser.navigate(&format!(
        "{}/?utm_source=newsletter&utm_campaign=autumn",
        server.url
    ));
    let cta: String = browser
        .eval("document.querySelector('.cta a').href")
        .as_str()
        .unwrap()
        .into();
    assert!(
        cta.contains("utm_source=newsletter"),
        "internal links carry the UTM parameters: {cta}"
    );
    browser.clear_events();
    browser.click(".cta a");
    browser.wait_for_event("Page.loadEventFired", Duration::from_secs(10));
    browser.wait_until(
        "!!document.querySelector('.optin-form')",
        Duration::from_secs(10),
    );
    browser.type_into("input[type=email]", "grace@example.com");
    browser.click("input[name=consent]");
    browser.click(".optin-form button[type=submit]");
    browser.wait_until(
        "location.pathname === '/guides/roasting-guide-thanks/'",
        Duration::from_secs(10),
    );
    let posts = server.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    let pairs = form_pairs(&posts[0]);
    assert_eq!(field(&pairs, "email"), "grace@example.com");
    assert_eq!(field(&pairs, "utm_source"), "newsletter");
    assert_eq!(field(&pairs, "utm_campaign"), "autumn");
    assert_eq!(field(&pairs, "funnel_page"), "/guides/roasting-guide/");
    browser.wait_until(
        "document.querySelector('h1')?.textContent === 'Your guide is on its way'",
        Duration::from_secs(10),
    );
}

#[test]
fn an_unserved_preset_stage_says_how_to_drop_it() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path();
    std::fs::create_dir_all(site.join("content")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        "title: T\nbase_url: https://t.example\njourney: classic\ndeploy: netlify\n",
    )
    .unwrap();
    std::fs::write(
        site.join("content/index.md"),
        "---\ntitle: Home\ndescription: D.\nstage: awareness\noffer: content\nnext: buy.md\n---\nHi\n",
    )
    .unwrap();
    std::fs::write(
        site.join("content/buy.md"),
        "---\ntitle: Buy\ndescription: D.\nstage: purchase\noffer: core\n---\nBuy\n",
    )
    .unwrap();
    let diagnostics = funnelcake::check(&BuildOptions::new(site));
    let lines = support::lines(&diagnostics);
    let interest = lines
        .iter()
        .find(|l| l.contains("journey stage \"interest\""))
        .unwrap_or_else(|| panic!("no warning for the unserved preset stage: {lines:#?}"));
    assert_eq!(
        interest,
        "warning: site.yaml:3:1: journey stage \"interest\" has no page (a gap in the funnel)\n  = help: add a page with `stage: interest`, or drop the stage: write `journey:` out as a list of the preset's stages without it (see the README, site.yaml)"
    );
}

#[test]
fn map_badges_are_translated_on_persian_and_greek_sites() {
    let (_dir, out) = build_ok("map-fa");
    let html = read(&out, "funnel/index.html");
    for badge in ["فرود", "عضویت", "سپاس", "بیرون از جست‌وجو"] {
        let tag = format!(r#"<span class="map-tag">{badge}</span>"#);
        assert!(html.contains(&tag), "{tag}\n{html}");
    }
    for english in [">landing<", ">optin<", ">thankyou<", ">noindex<"] {
        assert!(!html.contains(english), "{english}");
    }
    let (_dir, out) = build_ok("map-eight");
    let html = read(&out, "funnel/index.html");
    for badge in ["προσγείωση", "εγγραφή", "ευχαριστώ", "εκτός ευρετηρίου"]
    {
        let tag = format!(r#"<span class="map-tag">{badge}</span>"#);
        assert!(html.contains(&tag), "{tag}\n{html}");
    }
    assert!(html
        .contains(r#"<span class="map-tag map-ab">τεστ A/B guide-headline: a 50% · b 50%</span>"#));
    assert!(html.contains(r#"<ul class="map-legend" aria-label="Υπόμνημα">"#));
}

#[test]
fn funnel_text_and_json_use_the_translated_stage_and_offer_titles() {
    let options = BuildOptions::new(fixture("map-eight"));
    let (text, _) = funnelcake::funnel_text(&options, false).unwrap();
    assert!(text.contains("\n1. Επίγνωση (aware)\n"), "{text}");
    assert!(text.contains("[optin, Δωρεάν υλικό]"), "{text}");
    let (_dir, out) = build_ok("map-eight");
    let json: Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    assert_eq!(json["stages"][0]["id"], "aware");
    assert_eq!(json["stages"][0]["title"], "Επίγνωση");
    let guide = json["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["url"] == "/guide/")
        .unwrap();
    assert_eq!(guide["stage"], "engage");
    assert_eq!(guide["stage_title"], "Αλληλεπίδραση");
    assert_eq!(guide["offer"], "lead_magnet");
    assert_eq!(guide["offer_title"], "Δωρεάν υλικό");
}
