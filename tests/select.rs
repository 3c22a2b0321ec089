//! Select fields in opt-in forms: the `<select>` both themes render (its
//! label, the empty "choose…" option in the site's language), its name
//! under each provider, the errors of its `options:` at their line, and
//! `form-length`, which counts it and warns about it; and, in headless
//! Chromium, that it has the inputs' height, padding and font.

mod support;

use funnelcake::BuildOptions;
use serde_json::json;
use support::browser::Browser;
use support::{build_and_serve, copy_fixture, edit_file, read, set_theme};

const ROASTER: &str = r#"<p class="field"><label for="field-roaster">Your roaster <span class="required" aria-hidden="true">*</span></label>
<select id="field-roaster" name="roaster" required><option value="">Choose…</option><option value="Popcorn popper">Popcorn popper</option><option value="Drum roaster">Drum roaster</option><option value="Heat gun &amp; bowl">Heat gun &amp; bowl</option></select></p>"#;

const CUPS: &str = r#"<p class="field"><label for="field-cups">Cups</label>
<select id="field-cups" name="cups"><option value="">Choose…</option><option value="1">1</option><option value="2-3">2-3</option><option value="4 or more">4 or more</option></select></p>"#;

fn join_page(site: &std::path::Path, dir: &std::path::Path, name: &str) -> String {
    let out = support::build_site(site, dir.join(name));
    read(&out, "join/index.html")
}

#[test]
fn a_select_is_rendered_with_its_label_and_a_choose_option_in_both_themes() {
    let (dir, site) = copy_fixture("select");
    let html = join_page(&site, dir.path(), "starter");
    assert!(html.contains(ROASTER), "{html}");
    assert!(html.contains(CUPS), "{html}");
    set_theme(&site, "launch");
    let html = join_page(&site, dir.path(), "launch");
    assert!(html.contains(ROASTER), "{html}");
    let css: String = std::fs::read_dir(dir.path().join("launch/css"))
        .unwrap()
        .map(|file| std::fs::read_to_string(file.unwrap().path()).unwrap())
        .collect();
    assert!(
        css.contains(".field select{background-color:var(--card)}")
            || css.contains(".field select { background-color: var(--card); }"),
        "the open list is drawn on the card's colours: {css}"
    );
}

#[test]
fn the_choose_option_is_in_the_sites_language() {
    let (dir, site) = copy_fixture("select");
    for (language, choose) in [("fa", "انتخاب کنید…"), ("el", "Επιλέξτε…")] {
        edit_file(&site.join("site.yaml"), |config| {
            let config: String = (config.lines())
                .filter(|l| !l.starts_with("language:"))
                .map(|l| format!("{l}\n"))
                .collect();
            format!("{config}language: {language}\n")
        });
        let html = join_page(&site, dir.path(), language);
        let option = format!(
            r#"required><option value="">{choose}</option><option value="Popcorn popper">"#
        );
        assert!(html.contains(&option), "{language}: {html}");
    }
}

#[test]
fn a_select_is_named_as_each_provider_keeps_a_field() {
    let (dir, site) = copy_fixture("select");
    let providers = [
        ("netlify", "", r#"name="roaster""#),
        (
            "formspree",
            "https://formspree.io/f/abc",
            r#"name="roaster""#,
        ),
        ("custom", "https://leads.example/in", r#"name="roaster""#),
        (
            "kit",
            "https://app.kit.com/forms/1234567/subscriptions",
            r#"name="fields[roaster]""#,
        ),
        (
            "mailchimp",
            "https://x.us1.list-manage.com/subscribe/post?u=abc&id=def",
            r#"name="roaster""#,
        ),
    ];
    for (provider, action, name) in providers {
        edit_file(&site.join("content/join.md"), |page| {
            let page: String = (page.lines())
                .filter(|l| !l.starts_with("  provider:") && !l.starts_with("  action:"))
                .map(|l| format!("{l}\n"))
                .collect();
            let action = match action {
                "" => String::new(),
                url => format!("  action: {url}\n"),
            };
            page.replace(
                "form:\n",
                &format!("form:\n  provider: {provider}\n{action}"),
            )
        });
        let html = join_page(&site, dir.path(), provider);
        let select = format!(r#"<select id="field-roaster" {name} required>"#);
        assert!(html.contains(&select), "{provider}: {html}");
    }
}

/// The errors of a build of the fixture with `fields:` of join.md
/// replaced by `fields`.
fn errors_with(fields: &str) -> Vec<String> {
    let (_dir, site) = copy_fixture("select");
    edit_file(&site.join("content/join.md"), |page| {
        let start = page.find("  fields:\n").unwrap();
        let end = page.find("  thank_you:").unwrap();
        format!("{}{fields}{}", &page[..start], &page[end..])
    });
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    diagnostics.errors().map(|d| d.to_string()).collect()
}

#[test]
fn select_option_errors_are_at_their_line_and_column() {
    let hint = "list them: `{ name: plan, type: select, options: [Starter, Pro, Agency] }`";
    assert_eq!(
        errors_with("  fields:\n    - email\n    - { name: plan, type: select }\n"),
        [format!("error: content/join.md:10:15: select field \"plan\" needs `options:`, the choices to pick from\n  = help: {hint}")]
    );
    assert_eq!(
        errors_with("  fields:\n    - name: plan\n      type: select\n      options: []\n"),
        [format!("error: content/join.md:11:7: select field \"plan\" has no options to pick from\n  = help: {hint}")]
    );
    assert_eq!(
        errors_with("  fields:\n    - name: plan\n      type: select\n      options: Pro\n"),
        [format!("error: content/join.md:11:7: `options` of select field \"plan\" must be a list of choices, found \"Pro\"\n  = help: {hint}")]
    );
    assert_eq!(
        errors_with("  fields:\n    - { name: plan, type: select, options: [Starter, \"\", Pro] }\n"),
        ["error: content/join.md:9:54: option 2 of select field \"plan\" is empty\n  = help: give every option its text; the theme adds the empty \"choose…\" option itself"]
    );
    assert_eq!(
        errors_with("  fields:\n    - name: plan\n      type: select\n      options:\n        - Professional\n        - Pro\n        - Agency\n        - Pro\n"),
        ["error: content/join.md:15:11: option \"Pro\" of select field \"plan\" is listed twice\n  = help: list each choice once"]
    );
    assert_eq!(
        errors_with("  fields:\n    - { name: goal, options: [More, Less] }\n"),
        ["error: content/join.md:9:21: `options` is only for a select field, and \"goal\" is not one\n  = help: write `type: select` to make it a drop-down: `{ name: goal, type: select, options: [Starter, Pro, Agency] }`"]
    );
}

#[test]
fn form_length_counts_a_select_and_warns_about_it() {
    let (_dir, site) = copy_fixture("select");
    let warnings = |site: &std::path::Path| -> Vec<String> {
        let diagnostics = funnelcake::check(&BuildOptions::new(site));
        assert!(
            !diagnostics.has_errors(),
            "{:?}",
            support::lines(&diagnostics)
        );
        (diagnostics.warnings())
            .filter(|d| d.code == "form-length")
            .map(|d| d.to_string())
            .collect()
    };
    let hint = "  = help: ask for the email (and at most a name) now; ask the rest after the opt-in, on the thank-you page or by email";
    assert_eq!(
        warnings(&site),
        [format!("warning: content/join.md:7:1: the opt-in form has a select (\"roaster\"), one more decision between a visitor and the free offer\n{hint}")]
    );
    // Two more fields make five, the select among them.
    edit_file(&site.join("content/join.md"), |page| {
        page.replace("    - email\n", "    - email\n    - name\n    - company\n")
    });
    assert_eq!(
        warnings(&site),
        [format!("warning: content/join.md:7:1: the opt-in form asks for 5 visible fields; every field past the first few loses sign-ups\n{hint}")]
    );
}

/// The box of a form control on the served page: its height, its paddings
/// (block, then inline at both ends), its border, and its font (not its
/// line height, which Chromium keeps at `normal` in a select).
fn control_box(browser: &mut Browser, selector: &str) -> serde_json::Value {
    browser.eval(&format!(
        "(() => {{ const e = document.querySelector('{selector}'); const s = getComputedStyle(e); \
         return {{ height: e.getBoundingClientRect().height, \
         padding: [s.paddingTop, s.paddingBottom, s.paddingInlineStart, s.paddingInlineEnd], \
         border: s.borderTopWidth, font: [s.fontSize, s.fontFamily, s.fontWeight] }}; }})()"
    ))
}

#[test]
fn a_select_is_as_tall_as_an_input_with_the_same_padding_and_font_in_both_themes_and_directions() {
    let mut browser = Browser::launch();
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
    );
    for theme in ["starter", "launch"] {
        for language in ["en", "fa"] {
            let (dir, site) = copy_fixture("select");
            set_theme(&site, theme);
            edit_file(&site.join("site.yaml"), |c| {
                format!("{c}language: {language}\n")
            });
            edit_file(&site.join("content/join.md"), |page| {
                page.replace(
                    "  thank_you:",
                    "    - { name: message, type: textarea }\n  thank_you:",
                )
            });
            let server = build_and_serve(&site, dir.path());
            browser.navigate(&format!("{}/join/", server.url));
            let input = control_box(&mut browser, "#field-email");
            let select = control_box(&mut browser, "#field-roaster");
            let textarea = control_box(&mut browser, "#field-message");
            let at = format!("{theme}, {language}");
            assert!(
                input["height"].as_f64().unwrap() >= 44.0,
                "{at}: a touch target: {input}"
            );
            assert_eq!(
                select["height"], input["height"],
                "{at}: heights\n{select}\n{input}"
            );
            for (name, other) in [("select", &select), ("textarea", &textarea)] {
                for key in ["padding", "border", "font"] {
                    assert_eq!(other[key], input[key], "{at}: the {name}'s {key}");
                }
            }
        }
    }
}
