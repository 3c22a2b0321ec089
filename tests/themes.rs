//! Components from Markdown, UI strings per language, theme options and
//! themes that extend others: fixture sites built into temp folders.

mod support;

use support::{build_errors, build_ok, lines, read};

/// Builds `site` (a temp copy, edited by the caller) and returns its errors.
fn errors_of(site: &std::path::Path) -> String {
    let options = funnelcake::BuildOptions {
        out: Some(site.join("out")),
        ..funnelcake::BuildOptions::new(site)
    };
    let errors = funnelcake::build(&options).expect_err("the build should fail");
    lines(&errors).join("\n")
}

#[test]
fn components_render_in_place_with_markdown_bodies_data_and_links() {
    let (_dir, out) = build_ok("components");
    let home = read(&out, "index.html");
    // An inline call stays inside its paragraph.
    assert!(
        home.contains("<p>Intro with an inline <q>short</q> <cite>Bo</cite> quote.</p>"),
        "{home}"
    );
    // A block call replaces its paragraph; `@/` arguments become URLs; YAML
    // values are typed and escaped.
    assert!(home.contains(
        "<section class=\"box box-info\" data-count=\"3\"><h2>Plain</h2><a href=\"/next/#later\">go</a><ul><li>a</li><li>b &lt;c&gt;</li></ul><p class=\"from\">on Home</p></section>"
    ), "{home}");
    // A body is Markdown, links resolved, with nested calls and a data spread.
    assert!(home.contains("<div class=\"box-body\"><p>Some <strong>bold</strong> text and a <a href=\"/next/\">link</a>.</p>\n<q>The freshest beans in town</q> <cite>Ana, Barista</cite></div>"), "{home}");
    // Calls in code are text; nothing of the markers is left.
    assert!(home.contains("<code>{{&lt;box title=\"in code\" /&gt;}}</code>"));
    assert!(!home.contains("<!--fc"), "{home}");
    assert!(!home.contains("<p><section"), "no block inside a paragraph");
    // Links in component arguments are funnel links.
    let map: serde_json::Value = serde_json::from_str(&read(&out, "funnel.json")).unwrap();
    let links = &map["pages"][0]["links"];
    assert!(
        links
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["to"] == "/next/"),
        "{links}"
    );
}

#[test]
fn component_call_errors_are_at_their_call_or_argument() {
    insta::assert_snapshot!(build_errors("component-errors"));
}

#[test]
fn malformed_component_tags_are_all_reported() {
    insta::assert_snapshot!(build_errors("component-syntax"));
}

#[test]
fn a_component_link_to_a_missing_page_is_an_error_at_the_argument() {
    let (_dir, site) = support::copy_fixture("components");
    let page = site.join("content/next.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("{text}\n{{{{<box title=\"x\" to=\"@/gone.md\" />}}}}\n"),
    )
    .unwrap();
    let errors = errors_of(&site);
    assert!(
        errors.starts_with(
            "error: content/next.md:11:18: link to \"@/gone.md\", which is not a page"
        ),
        "{errors}"
    );
}

#[test]
fn strings_dates_and_options_follow_the_language_and_the_site() {
    let (_dir, out) = build_ok("greek");
    let home = read(&out, "index.html");
    assert!(home.contains(r#"<html lang="el" dir="ltr">"#), "{home}");
    // Theme strings in Greek; the site's i18n/el.yaml wins for `continue`.
    assert!(
        home.contains(r#"<dd id="step">Βήμα 1 από 3</dd>"#),
        "{home}"
    );
    assert!(
        home.contains(r#"<dd id="expires">1 Δεκεμβρίου 2099</dd>"#),
        "{home}"
    );
    assert!(
        home.contains(r#"<dd id="date">5 Μαρτίου 2026</dd>"#),
        "{home}"
    );
    assert!(home.contains(r#"<dd id="continue">Πάμε</dd>"#), "{home}");
    // A site-local theme extends the built-in one: its own layout and
    // options, the starter's base template; site.yaml's option wins.
    assert!(
        home.contains(r#"<dd id="theme">Mine #8a2be2 Καλό ψήσιμο</dd>"#),
        "{home}"
    );
    // Greek file names keep their letters in URLs, percent-encoded in links.
    let guide = read(&out, "οδηγός/index.html");
    assert!(
        guide.contains(">Όνομα"),
        "form labels are translated: {guide}"
    );
    assert!(
        home.contains("href=\"/%CE%BF%CE%B4%CE%B7%CE%B3%CF%8C%CF%82/\""),
        "{home}"
    );
    assert!(out.join("ευχαριστούμε/index.html").is_file());
}

#[test]
fn a_persian_calendar_site_writes_solar_hijri_dates_in_persian_digits() {
    let (_dir, out) = build_ok("calendar-fa");
    let home = read(&out, "index.html");
    for expected in [
        // date: 2026-03-21 is Nowruz, 1 Farvardin 1405.
        r#"<dd id="date">۱ فروردین ۱۴۰۵</dd>"#,
        r#"<dd id="expires">۲۹ اسفند ۱۴۰۵</dd>"#,
        r#"<dd id="localdate">۱۰ آذر ۱۴۰۵</dd>"#,
        // The countdown's deadline text; the machine-readable date stays ISO.
        r#"<time datetime="2027-03-21">۱ فروردین ۱۴۰۶</time>"#,
        r#"data-until="2027-03-21""#,
    ] {
        assert!(home.contains(expected), "{expected} in {home}");
    }
    assert!(!home.contains("مارس"), "no Gregorian month name: {home}");
}

#[test]
fn a_persian_site_keeps_gregorian_dates_unless_it_asks() {
    let (dir, site) = support::copy_fixture("calendar-fa");
    support::edit_file(&site.join("site.yaml"), |c| {
        c.replace("calendar: persian\n", "")
    });
    let out = support::build_site(&site, dir.path().join("out"));
    let home = read(&out, "index.html");
    assert!(
        home.contains(r#"<dd id="date">۲۱ مارس ۲۰۲۶</dd>"#),
        "{home}"
    );
}

#[test]
fn the_persian_example_sells_its_tripwire_through_a_stripe_link_in_persian() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site-fa");
    let dir = tempfile::tempdir().unwrap();
    let out = support::build_site(&example, dir.path().join("out"));
    let kit = read(&out, "جعبه-آشنایی/index.html");
    assert!(
        kit.contains(r#"href="https://buy.stripe.com/test_8wM5lq?client_reference_id="#),
        "{kit}"
    );
    assert!(kit.contains(">سفارش و پرداخت جعبهٔ آشنایی<"), "{kit}");
    assert!(
        !kit.contains("<form"),
        "the tripwire takes no order by form"
    );
    // Its deadline in the Solar Hijri calendar: the end of Esfand 1405.
    assert!(
        kit.contains(r#"<time datetime="2027-03-20T20:30:00Z">۲۹ اسفند ۱۴۰۵</time>"#),
        "{kit}"
    );
}

#[test]
fn an_unknown_calendar_is_an_error_at_its_line() {
    let (_dir, site) = support::copy_fixture("calendar-fa");
    support::edit_file(&site.join("site.yaml"), |c| {
        c.replace("calendar: persian", "calendar: jalali")
    });
    assert_eq!(
        errors_of(&site),
        "error: site.yaml:4:11: unknown calendar \"jalali\"\n  = help: choose one of: gregorian, persian"
    );
}

#[test]
fn an_unknown_theme_option_is_an_error_with_a_suggestion() {
    let (_dir, site) = support::copy_fixture("greek");
    support::edit_file(&site.join("site.yaml"), |config| {
        config.replace("  accent:", "  acent:")
    });
    let errors = errors_of(&site);
    assert!(
        errors.starts_with(
            "error: site.yaml:7:3: theme \"mine\" has no option `acent` (did you mean \"accent\"?)"
        ),
        "{errors}"
    );
}

#[test]
fn slugs_that_look_alike_collide_loudly() {
    let (_dir, site) = support::copy_fixture("rtl");
    // The same word decomposed (as macOS saves names) and capitalised.
    std::fs::write(
        site.join("content/Οδηγο\u{301}ς.md"),
        "---\ntitle: Twin\n---\n",
    )
    .unwrap();
    let errors = errors_of(&site);
    assert!(errors.contains("both have the URL /οδηγός/"), "{errors}");
}

#[test]
fn the_accent_picks_dark_or_light_text_by_its_luminance() {
    for (theme, accent, ink) in [
        ("starter", "#1f5f99", "--accent-ink:#fff;"),
        (
            "starter",
            "#FFE066",
            "--accent-ink:#121417;--accent-text:#1c2026;",
        ),
        ("launch", "#2a1d6e", "--accent-ink:#fff;"),
        ("launch", "#ffe066", "--accent-ink:#0d0b14;"),
    ] {
        let (dir, site) = support::copy_fixture("full");
        support::edit_file(&site.join("site.yaml"), |c| {
            format!("{c}theme: {theme}\ntheme_options:\n  accent: \"{accent}\"\n")
        });
        let out = support::build_site(&site, dir.path().join("out"));
        let page = read(&out, "index.html");
        let style = format!("--accent:{accent};{ink}");
        assert!(page.contains(&style), "{theme} {accent}: {style}");
    }
}

#[test]
fn a_malformed_call_hides_none_of_its_files_other_calls() {
    insta::assert_snapshot!(build_errors("component-recovery"));
}
