//! Checkbox fields in opt-in forms: a `type: checkbox` field is drawn as
//! the consent box is, a small box at the start of the line with its label
//! beside it (not as a wide bordered text box under its label), in both
//! themes, left to right and right to left, on a phone and a laptop; in
//! headless Chromium.

mod support;

use serde_json::json;
use support::browser::Browser;
use support::{build_and_serve, copy_fixture, edit_file, read, set_theme};

const WEEKLY: &str = r#"<p class="field field-check"><input id="field-weekly" name="weekly" type="checkbox"> <label for="field-weekly">Also send me the weekly roast notes, one short e-mail each Tuesday</label></p>"#;
const ADULT: &str = r#"<p class="field field-check"><input id="field-adult" name="adult" type="checkbox" required> <label for="field-adult">I am 18 or older <span class="required" aria-hidden="true">*</span></label></p>"#;

#[test]
fn a_checkbox_field_comes_before_its_label_as_the_consent_box_does() {
    let (dir, site) = copy_fixture("checkbox");
    for theme in ["starter", "launch"] {
        set_theme(&site, theme);
        let out = support::build_site(&site, dir.path().join(theme));
        let html = read(&out, "join/index.html");
        assert!(html.contains(WEEKLY), "{theme}: {html}");
        assert!(html.contains(ADULT), "{theme}: {html}");
        assert!(html.contains(r#"<p class="consent"><input id="consent-join""#));
    }
}

/// Where a checkbox and its label are on the served page: the box's
/// size, the label's first line against the box, and the label's side.
fn measure(browser: &mut Browser, id: &str) -> serde_json::Value {
    browser.eval(&format!(
        "(() => {{ const box = document.getElementById('{id}'); \
         const label = document.querySelector('label[for={id}]'); \
         const b = box.getBoundingClientRect(); \
         const range = document.createRange(); range.selectNodeContents(label); \
         const line = range.getClientRects()[0]; const l = label.getBoundingClientRect(); \
         const rtl = getComputedStyle(box).direction === 'rtl'; \
         return {{ width: b.width, height: b.height, \
           centres: Math.abs((line.top + line.bottom) / 2 - (b.top + b.bottom) / 2), \
           beside: rtl ? l.right <= b.left : l.left >= b.right, \
           inside: b.left >= 0 && b.right <= innerWidth }}; }})()"
    ))
}

#[test]
fn a_checkbox_field_is_a_small_box_with_its_label_beside_it_in_both_themes_directions_and_sizes() {
    let mut browser = Browser::launch();
    for theme in ["starter", "launch"] {
        for language in ["en", "fa"] {
            let (dir, site) = copy_fixture("checkbox");
            set_theme(&site, theme);
            edit_file(&site.join("site.yaml"), |c| {
                format!("{c}language: {language}\n")
            });
            let server = build_and_serve(&site, dir.path());
            for (width, height) in [(390, 844), (1280, 800)] {
                browser.call(
                    "Emulation.setDeviceMetricsOverride",
                    json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500 }),
                );
                browser.navigate(&format!("{}/join/", server.url));
                for id in ["field-weekly", "field-adult", "consent-join"] {
                    let at = format!("{theme}, {language}, {width} px, #{id}");
                    let seen = measure(&mut browser, id);
                    for side in ["width", "height"] {
                        let size = seen[side].as_f64().unwrap();
                        assert!((16.0..=28.0).contains(&size), "{at}: {seen}");
                    }
                    // The label's first line is centred on the box, within
                    // a few pixels, and the label is beside it.
                    assert!(seen["centres"].as_f64().unwrap() <= 4.0, "{at}: {seen}");
                    assert_eq!(seen["beside"], true, "{at}: {seen}");
                    assert_eq!(seen["inside"], true, "{at}: {seen}");
                }
            }
        }
    }
}
