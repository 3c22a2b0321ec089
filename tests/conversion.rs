//! The conversion check: one fixture page per rule in
//! tests/fixtures/conversion, reported by `check` as text and JSON, and
//! turned off by `checks:` in site.yaml.

mod support;

use funnelcake::{BuildOptions, Diagnostics};
use support::{copy_fixture, edit_file, fixture, lines};

const CODES: &[&str] = &[
    "attention-ratio",
    "form-length",
    "first-screen",
    "title-length",
    "description-length",
    "social-proof",
    "page-weight",
    "missing-alt",
];

fn check(site: &std::path::Path) -> Diagnostics {
    let diagnostics = funnelcake::check(&BuildOptions::new(site));
    assert!(!diagnostics.has_errors(), "{:?}", lines(&diagnostics));
    diagnostics
}

/// The conversion warnings of `diagnostics`, as `check` prints them.
fn conversion_lines(diagnostics: &Diagnostics) -> Vec<String> {
    (diagnostics.warnings())
        .filter(|d| CODES.contains(&d.code))
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn every_rule_warns_on_its_fixture_page() {
    let warnings = conversion_lines(&check(&fixture("conversion")));
    insta::assert_snapshot!(warnings.join("\n"));
}

#[test]
fn conversion_warnings_in_json_have_code_line_and_hint() {
    let json = check(&fixture("conversion")).to_json();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    let find = |code: &str| {
        (warnings.iter())
            .find(|w| w["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {json}"))
    };
    let attention = find("attention-ratio");
    assert_eq!(attention["file"], "content/attention.md");
    assert_eq!(attention["line"], 9);
    assert_eq!(attention["column"], 1);
    assert!(attention["hint"].as_str().unwrap().contains("one goal"));
    let form = find("form-length");
    assert_eq!(form["file"], "content/signup.md");
    assert_eq!(form["line"], 6);
    let first = find("first-screen");
    assert_eq!(first["file"], "content/longread.md");
    assert_eq!(first["line"], 14);
    assert_eq!(find("title-length")["file"], "content/titles.md");
    assert_eq!(find("title-length")["line"], 2);
    assert_eq!(find("description-length")["line"], 3);
    let proof = find("social-proof");
    assert_eq!(proof["file"], "content/bare-offer.md");
    // The hint's calls are written as the components are called.
    assert!(
        (proof["hint"].as_str().unwrap()).contains(r#"`{{<testimonial quote="…" name="…" />}}`"#),
        "{proof}"
    );
    assert_eq!(find("missing-alt")["file"], "content/photo.md");
    for code in CODES.iter().filter(|c| **c != "page-weight") {
        assert!(find(code)["hint"].is_string(), "{code}");
    }
}

#[test]
fn the_pages_that_follow_the_rules_do_not_warn() {
    let warnings = conversion_lines(&check(&fixture("conversion")));
    // index.md: one link out and an image with alt text; kit.md: an offer
    // with a testimonial; deep-form.md: an opt-in whose layout jumps to the
    // form far down its body; feedback.md: a review form (`offer:
    // content`), which is no lead capture, however long.
    for page in ["index.md", "kit.md", "deep-form.md", "feedback.md"] {
        let file = format!("content/{page}");
        assert!(
            !warnings.iter().any(|w| w.contains(&file)),
            "{page}: {warnings:#?}"
        );
    }
}

#[test]
fn a_form_is_checked_as_an_opt_in_unless_its_offer_is_content_or_paid() {
    let (_dir, site) = copy_fixture("conversion");
    let form_length = |site: &std::path::Path| -> Vec<String> {
        (check(site).warnings())
            .filter(|d| d.code == "form-length" && d.file == "content/feedback.md")
            .map(|d| d.to_string())
            .collect()
    };
    assert_eq!(form_length(&site), Vec::<String>::new());
    for offer in ["lead_magnet", "webinar"] {
        edit_file(&site.join("content/feedback.md"), |page| {
            page.replace("offer: content", &format!("offer: {offer}"))
        });
        assert_eq!(
            form_length(&site),
            ["warning: content/feedback.md:7:1: the opt-in form has a textarea, which few visitors fill in to get a free offer\n  = help: ask for the email (and at most a name) now; ask the rest after the opt-in, on the thank-you page or by email"],
            "{offer}"
        );
        edit_file(&site.join("content/feedback.md"), |page| {
            page.replace(&format!("offer: {offer}"), "offer: content")
        });
    }
}

#[test]
fn a_60_grapheme_persian_title_is_not_too_long() {
    // 62 characters and 117 bytes, but 60 letters: two are joined by a
    // zero-width non-joiner, which is part of the letter before it.
    let warnings = conversion_lines(&check(&fixture("conversion")));
    assert!(
        !warnings.iter().any(|w| w.contains("persian-60.md")),
        "{warnings:?}"
    );
}

#[test]
fn checks_in_site_yaml_turn_each_rule_off() {
    let (_dir, site) = copy_fixture("conversion");
    let off: String = CODES.iter().map(|c| format!("  {c}: false\n")).collect();
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}checks:\n{off}")
    });
    let diagnostics = check(&site);
    assert_eq!(conversion_lines(&diagnostics), Vec::<String>::new());
    // The journey warnings stay.
    assert!(diagnostics.warnings().any(|w| w.code == "orphan-page"));

    edit_file(&site.join("site.yaml"), |config| {
        config.replace("  form-length: false\n", "")
    });
    let warnings = conversion_lines(&check(&site));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.contains("opt-in form")));
}

#[test]
fn an_unknown_check_is_an_error_with_a_suggestion() {
    let (_dir, site) = copy_fixture("conversion");
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}checks:\n  atention-ratio: false\n")
    });
    let diagnostics = funnelcake::check(&BuildOptions::new(&site));
    let errors: Vec<String> = diagnostics.errors().map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("error: site.yaml:8:3: unknown key `checks.atention-ratio` (did you mean \"attention-ratio\"?)"),
        "{errors:?}"
    );
}

#[test]
fn a_heavy_page_is_over_the_budget_in_check_and_build() {
    let (dir, site) = copy_fixture("conversion");
    let body = "Roast. ".repeat(30_000);
    let page = format!("---\ntitle: Heavy\ndescription: A long page.\nstage: discover\nnext: signup.md\n---\n{body}\n");
    std::fs::write(site.join("content/heavy.md"), page).unwrap();
    let weight = |diagnostics: &Diagnostics| -> Vec<String> {
        (diagnostics.warnings())
            .filter(|d| d.code == "page-weight")
            .map(|d| d.to_string())
            .collect()
    };
    let checked = weight(&check(&site));
    assert_eq!(checked.len(), 1, "{checked:?}");
    assert!(
        checked[0].starts_with("warning: content/heavy.md: the page weighs 2"),
        "{checked:?}"
    );
    assert!(
        checked[0].contains("over the budget of 200 kB"),
        "{checked:?}"
    );
    let options = BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    };
    let built = funnelcake::build(&options).unwrap();
    assert_eq!(weight(&built.diagnostics), checked);
    // A bigger budget lets it through.
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}checks:\n  page_weight_kb: 400\n")
    });
    assert_eq!(weight(&check(&site)), Vec::<String>::new());
}

#[test]
fn the_map_cards_show_their_pages_conversion_warnings_translated() {
    let (dir, site) = copy_fixture("conversion");
    let build = |name: &str| {
        let out = support::build_site(&site, dir.path().join(name));
        support::read(&out, "funnel/index.html")
    };
    let card = |html: &str, path: &str| -> String {
        let at = html.find(&format!("<code>{path}</code>")).unwrap();
        let end = at + html[at..].find("</article>").unwrap();
        html[at..end].to_string()
    };
    let html = build("en");
    let offer = card(&html, "/bare-offer/");
    assert!(
        offer.contains(r#"<span class="map-tag map-warn map-check" title="social-proof">no social proof</span>"#),
        "{offer}"
    );
    let signup = card(&html, "/signup/");
    assert!(
        signup.contains(r#"title="form-length">long form</span>"#),
        "{signup}"
    );
    assert!(
        !card(&html, "/").contains("map-check"),
        "the home page is fine"
    );
    // Turned off, a rule leaves the cards too.
    edit_file(&site.join("site.yaml"), |config| {
        format!("{config}language: fa\nchecks:\n  form-length: false\n")
    });
    let html = build("fa");
    assert!(
        card(&html, "/bare-offer/").contains(r#"title="social-proof">بدون گواه اجتماعی</span>"#),
        "{html}"
    );
    assert!(!card(&html, "/signup/").contains("map-check"), "{html}");
}

/// A PNG of `width` × `height` pixels of noise, which no encoder can
/// make small: a photograph at its heaviest.
fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let pixels = image::RgbImage::from_fn(width, height, |_, _| {
        let mut channel = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        };
        image::Rgb([channel(), channel(), channel()])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

#[test]
fn a_page_is_over_the_budget_because_of_its_first_screen_image_and_its_card_says_so() {
    let (dir, site) = copy_fixture("conversion");
    std::fs::write(site.join("content/hero.png"), noise_png(800, 500)).unwrap();
    let page = |image: &str| {
        format!("---\ntitle: Roast at home\ndescription: The guide to roasting.\nstage: discover\nnext: signup.md\n{image}---\nRoast your own beans.\n")
    };
    let with_hero = page("image: hero.png\nimage_alt: Green beans turning brown\n");
    std::fs::write(site.join("content/pictured.md"), with_hero).unwrap();
    std::fs::write(site.join("content/plain.md"), page("")).unwrap();
    edit_file(&site.join("site.yaml"), |config| {
        // WebP only: AVIF's encoder would take a minute over the noise.
        format!("{config}checks:\n  page_weight_kb: 100\nimages: {{ formats: [webp] }}\n")
    });
    let weight = |diagnostics: &Diagnostics| -> Vec<String> {
        (diagnostics.warnings())
            .filter(|d| d.code == "page-weight")
            .map(|d| d.to_string())
            .collect()
    };
    // Before any build, `check` encodes nothing: it weighs the source
    // (800 px, as wide as the file a phone loads), and still warns.
    let estimated = weight(&check(&site));
    assert_eq!(estimated.len(), 1, "{estimated:?}");
    assert!(
        estimated[0].starts_with("warning: content/pictured.md: the page weighs "),
        "{estimated:?}"
    );
    // The same page without its image is under the budget: the image,
    // the 800 px WebP a phone loads, is what puts it over.
    let options = BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    };
    let built = funnelcake::build(&options).unwrap();
    let checked = weight(&built.diagnostics);
    assert_eq!(checked.len(), 1, "{checked:?}");
    assert!(
        checked[0].starts_with("warning: content/pictured.md: the page weighs "),
        "{checked:?}"
    );
    assert!(
        checked[0].contains("over the budget of 100 kB"),
        "{checked:?}"
    );
    let images = checked[0].split("first-screen images ").nth(1).unwrap();
    let images: f64 = images.split(' ').next().unwrap().parse().unwrap();
    // Once a build has cached the files, `check` weighs them to the byte.
    assert_eq!(weight(&check(&site)), checked);
    // The file weighed is the one a phone loads: 800 px (the image's own
    // width, the narrowest at least 780 px), WebP (the first `<source>`).
    let phone_file = (std::fs::read_dir(built.out.join("img")).unwrap())
        .map(|f| f.unwrap())
        .find(|f| {
            f.file_name().to_string_lossy().starts_with("hero.800.")
                && f.file_name().to_string_lossy().ends_with(".webp")
        })
        .expect("the 800 px WebP");
    let bytes = phone_file.metadata().unwrap().len() as f64;
    assert_eq!(
        format!("{:.1}", bytes / 1000.0),
        format!("{images:.1}"),
        "{checked:?}"
    );
    let map = support::read(&built.out, "funnel/index.html");
    let at = map.find("<code>/pictured/</code>").unwrap();
    let card = &map[at..at + map[at..].find("</article>").unwrap()];
    assert!(
        card.contains(r#"title="page-weight">heavy page</span>"#),
        "{card}"
    );
    let at = map.find("<code>/plain/</code>").unwrap();
    let card = &map[at..at + map[at..].find("</article>").unwrap()];
    assert!(!card.contains("page-weight"), "{card}");
}
