//! The layout blocks of the built-in themes (`section`, `columns`,
//! `steps`, `stats`, `logos`, `comparison`), their argument errors, right
//! to left, and the sticky call to action on phones.

mod support;

use std::time::Duration;
use support::{
    build_errors, build_ok, build_serve_browse, build_site, copy_fixture, edit_file, fixture, read,
};

fn has(html: &str, part: &str) {
    assert!(html.contains(part), "missing {part:?} in:\n{html}");
}

#[test]
fn blocks_render_their_markup() {
    let (_dir, out) = build_ok("blocks");
    let home = read(&out, "index.html");
    has(
        &home,
        "<div class=\"band band-dark\" id=\"how\">\n<h2 id=\"in-a-band\">In a band</h2>",
    );
    has(
        &home,
        "<section class=\"steps\">\n<h2>How it works</h2>\n<ol class=\"step-list\">",
    );
    has(
        &home,
        "<li class=\"step-item\"><h3>Pick</h3>\n<p>Choose <em>one</em>.</p>\n</li>",
    );
    has(&home, "<div class=\"columns columns-start\">\n<div class=\"column\">\n<p>Left <strong>text</strong>.</p>\n</div>");
    has(&home, "<li class=\"stat\"><span class=\"stat-value\">3 days</span> <span class=\"stat-label\">to your door</span></li>");
    has(&home, "<li class=\"stat\"><span class=\"stat-value\">12</span> <span class=\"stat-label\">coffees</span></li>");
    has(&home, "<h2 class=\"logos-title\">Trusted by</h2>");
    has(
        &home,
        "<li><a href=\"https://acme.example\"><img src=\"/img/acme.",
    );
    has(
        &home,
        ".svg\" alt=\"Acme\" class=\"logo\" loading=\"lazy\" decoding=\"async\"></a></li>",
    );
    has(
        &home,
        "<li><picture><source type=\"image/webp\" srcset=\"/img/press.",
    );
    has(&home, "alt=\"The Press\" class=\"logo\"");
    has(&home, "<caption>How we compare</caption>\n<thead><tr><th scope=\"col\">Feature</th><th scope=\"col\" class=\"comparison-us\">Us</th><th scope=\"col\">Them</th></tr></thead>");
    has(&home, "<tr><th scope=\"row\">Fresh</th><td class=\"comparison-us\"><span class=\"mark mark-yes\" aria-hidden=\"true\">✓</span><span class=\"visually-hidden\">Yes</span></td><td><span class=\"mark mark-no\" aria-hidden=\"true\">✕</span><span class=\"visually-hidden\">No</span></td></tr>");
    has(
        &home,
        "<tr><th scope=\"row\">Price</th><td class=\"comparison-us\">€9</td><td>€4</td></tr>",
    );
    // The sticky bar carries the page's main call to action, hidden until
    // its script shows it; a page with nowhere to go has none.
    has(&home, "<div class=\"sticky-cta\" id=\"sticky-cta\" hidden>\n<a class=\"button\" href=\"/next/\">Go on</a>\n</div>");
    assert!(!read(&out, "next/index.html").contains("sticky-cta"));
}

#[test]
fn blocks_are_styled_in_both_themes_with_logical_properties_only() {
    for theme in ["starter", "launch"] {
        let (dir, site) = copy_fixture("blocks");
        support::set_theme(&site, theme);
        let out = build_site(&site, dir.path().join("out"));
        let css_dir = std::fs::read_dir(out.join("css")).unwrap();
        let css: String = css_dir
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        for rule in [
            ".band-dark{",
            ".step-list{",
            ".stats{",
            ".logo-list{",
            ".comparison caption{",
            ".sticky-cta{display:none}",
        ] {
            assert!(css.contains(rule), "{theme}: no {rule} in its CSS");
        }
    }
    let source = std::fs::read_to_string(fixture("../../themes/starter/css/_blocks.css")).unwrap();
    // The rules without their comments.
    let source: String = source
        .split("/*")
        .map(|part| part.split_once("*/").map_or(part, |(_, rule)| rule))
        .collect();
    // Physical sides and sizes (media queries still measure the width).
    for physical in [
        " left", " right", "-left", "-right", "left:", "right:", "-top", "-bottom", "top:",
        "bottom:", " width:", " height:",
    ] {
        // The phone's safe area is named by its side.
        let found =
            (source.lines()).find(|l| l.replace("safe-area-inset-bottom", "").contains(physical));
        assert!(
            found.is_none(),
            "a physical property in _blocks.css: {found:?}"
        );
    }
}

#[test]
fn the_sticky_cta_is_a_theme_option() {
    let (dir, site) = copy_fixture("blocks");
    edit_file(&site.join("site.yaml"), |t| {
        format!("{t}theme_options: {{ sticky_cta: false }}\n")
    });
    let out = build_site(&site, dir.path().join("out"));
    assert!(!read(&out, "index.html").contains("sticky-cta"));
}

#[test]
fn blocks_in_a_persian_page_run_right_to_left_in_persian() {
    let (_dir, out) = build_ok("blocks-fa");
    let home = read(&out, "index.html");
    has(&home, "<html lang=\"fa\" dir=\"rtl\">");
    has(&home, "<div class=\"band band-accent\">");
    has(&home, "<li class=\"step-item\"><h3>انتخاب</h3>");
    has(
        &home,
        "<caption>مقایسه</caption>\n<thead><tr><th scope=\"col\">ویژگی</th>",
    );
    has(&home, "<span class=\"visually-hidden\">بله</span>");
    has(&home, "<span class=\"visually-hidden\">خیر</span>");
    let css_dir = std::fs::read_dir(out.join("css")).unwrap();
    let css: String = css_dir
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        css.contains(":lang(fa) .step-item:before{content:counter(step, persian)}"),
        "steps count in Persian digits"
    );
}

#[test]
fn block_argument_errors_are_at_their_call_or_argument() {
    let errors = build_errors("blocks-errors");
    let expected = [
        "error: content/index.md:5:13: `tone` of `section` must be one of plain, muted, accent, dark, not \"blue\"",
        "error: content/index.md:9:1: `columns` holds 1 `column`, and it takes 2 to 4",
        "  = help: write each one as `{% <column> %}` … `{% </column> %}` inside it",
        "error: content/index.md:15:1: a `column` belongs inside `columns`",
        "  = help: wrap it in `{% <columns> %}` … `{% </columns> %}`",
        "error: content/index.md:19:10: item 2 of `items` of `stats` needs `label`",
        "error: content/index.md:21:10: item 1 of `items` of `logos` needs `logo`",
        "error: content/index.md:23:35: item 1 of `rows` of `comparison` needs `us` as true, false or text, not a list",
        "error: content/index.md:25:1: the `comparison` component needs `them`",
        "  = help: add `them=\"...\"` to the call",
        "error: content/index.md:27:1: a `step` belongs inside `steps`",
        "  = help: wrap it in `{% <steps> %}` … `{% </steps> %}`",
    ];
    assert_eq!(errors, expected.join("\n"), "{errors}");
}

#[test]
fn the_sticky_cta_shows_on_a_phone_and_hides_while_the_form_is_in_view() {
    let mut site = build_serve_browse("blocks").phone();
    site.open("/signup/");
    let bar = "document.getElementById('sticky-cta')";
    let shown = format!("!{bar}.hidden && getComputedStyle({bar}).position === 'fixed' && {bar}.getBoundingClientRect().bottom <= innerHeight + 1 && {bar}.getBoundingClientRect().height > 0");
    site.browser.wait_until(&shown, Duration::from_secs(10));
    assert_eq!(
        site.browser
            .eval(&format!("{bar}.querySelector('a').getAttribute('href')")),
        "/next/"
    );
    site.browser
        .eval("document.querySelector('form').scrollIntoView({block: 'center'})");
    site.browser.wait_until(
        &format!("{bar}.hidden && getComputedStyle({bar}).display === 'none'"),
        Duration::from_secs(10),
    );
    // Away from the form again, it comes back.
    site.browser.eval("scrollTo(0, 0)");
    site.browser.wait_until(&shown, Duration::from_secs(10));
    // On a desktop screen it never shows.
    site.browser.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
    );
    site.browser.wait_until(
        &format!("getComputedStyle({bar}).display === 'none'"),
        Duration::from_secs(10),
    );
}

/// The example site's press logos are SVG text in a system font: the
/// text, laid out in the font this machine picks for its family (Liberation
/// Sans for Arial, metric for metric), stays inside the logo's viewBox, so
/// no letter is cut off at its edge ("FILTER weekly" lost its "y").
#[test]
fn the_example_logos_text_fits_inside_their_viewbox() {
    use resvg::usvg;
    let mut options = usvg::Options::default();
    load_system_fonts(options.fontdb_mut());
    let folder = support::example_site("example-site").join("static/logos");
    let mut checked = 0;
    for file in std::fs::read_dir(folder).unwrap() {
        let path = file.unwrap().path();
        let tree = usvg::Tree::from_data(&std::fs::read(&path).unwrap(), &options).unwrap();
        let drawn = tree.root().abs_bounding_box();
        let width = tree.size().width();
        assert!(drawn.width() > 0.0, "{}: nothing drawn", path.display());
        assert!(
            drawn.right() <= width && drawn.left() >= 0.0,
            "{}: drawn from {} to {}, the viewBox is {width} wide",
            path.display(),
            drawn.left(),
            drawn.right()
        );
        checked += 1;
    }
    assert_eq!(checked, 5);
}

/// The machine's fonts, with the generic families set to what fontconfig
/// picks for them (and so for a family it lacks, such as Arial), as a
/// browser on this machine draws them.
fn load_system_fonts(db: &mut resvg::usvg::fontdb::Database) {
    let mut folders = vec![std::path::PathBuf::from("/usr/share/fonts")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten() {
            let path = entry.unwrap().path();
            let font = path.extension().is_some_and(|e| e == "ttf" || e == "otf");
            if path.is_dir() {
                folders.push(path);
            } else if font {
                db.load_font_data(std::fs::read(&path).unwrap());
            }
        }
    }
    let family = |generic: &str| {
        let out = std::process::Command::new("fc-match")
            .args([generic, "-f", "%{family[0]}"])
            .output()
            .expect("fontconfig's fc-match");
        String::from_utf8(out.stdout).unwrap()
    };
    db.set_sans_serif_family(family("Arial"));
    db.set_serif_family(family("Georgia"));
}
