//! Social cards: the 1200×630 share image drawn from the theme's
//! `social.svg` for indexable pages without an image of their own.

mod support;

use funnelcake::{BuildOptions, BuildReport};
use std::path::{Path, PathBuf};
use support::{copy_fixture, edit_file, lines, read};

/// The reviewed card of the fixture's home page.
const SNAPSHOT: &str = "tests/snapshots/cards__home.png";
/// Mean absolute difference per channel (0–255) a card may have from its
/// snapshot: anti-aliasing changes of a new rasteriser stay far under it,
/// a missing title (see `a_missing_title_is_far_from_the_snapshot`) is
/// well over it.
const TOLERANCE: f64 = 0.75;

fn build(site: &Path, out: &Path) -> BuildReport {
    let options = BuildOptions {
        out: Some(out.to_path_buf()),
        ..BuildOptions::new(site)
    };
    funnelcake::build(&options).unwrap_or_else(|e| panic!("{}", lines(&e).join("\n")))
}

/// The card URL a page's `og:image` names, relative to OUT.
fn card_of(out: &Path, page: &str) -> String {
    let html = read(out, page);
    let start = html
        .find(r#"<meta property="og:image" content="https://cards.example/"#)
        .unwrap_or_else(|| panic!("{page} has no og:image"));
    let rest = &html[start..];
    let url = rest.split('"').nth(3).unwrap();
    url.trim_start_matches("https://cards.example/").to_string()
}

/// Width, height and RGB pixels of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // A card of few colours has a palette: read as RGB all the same.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as u64).sum();
    sum as f64 / a.len() as f64
}

fn built_cards() -> (tempfile::TempDir, PathBuf, PathBuf, BuildReport) {
    let (dir, site) = copy_fixture("cards");
    let out = dir.path().join("out");
    let report = build(&site, &out);
    (dir, site, out, report)
}

#[test]
fn indexable_pages_get_a_card_and_noindex_pages_none() {
    let (_dir, _site, out, report) = built_cards();
    assert_eq!(report.cards_drawn, 2, "the home page and the opt-in");
    let home = card_of(&out, "index.html");
    assert!(
        home.starts_with("social/index.") && home.ends_with(".png"),
        "{home}"
    );
    let optin = card_of(&out, "optin/index.html");
    assert!(optin.starts_with("social/optin."), "{optin}");
    let html = read(&out, "index.html");
    for tag in [
        r#"<meta property="og:image:width" content="1200">"#.to_string(),
        r#"<meta property="og:image:height" content="630">"#.to_string(),
        r#"<meta property="og:image:alt" content="Roast your own coffee at home · Bean &amp; Brew Roasters">"#.to_string(),
        r#"<meta name="twitter:card" content="summary_large_image">"#.to_string(),
        format!(r#"<meta name="twitter:image" content="https://cards.example/{home}">"#),
    ] {
        assert!(html.contains(&tag), "{tag}\n{html}");
    }
    for page in [&home, &optin] {
        let bytes = std::fs::read(out.join(page)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, after the chunk's length and type.
        assert_eq!(&bytes[16..24], [0, 0, 4, 176, 0, 0, 2, 118]);
    }
    // A thank-you page (noindex by default) and a noindex page: no card.
    for page in ["thanks/index.html", "members/index.html"] {
        let html = read(&out, page);
        assert!(!html.contains("og:image"), "{page}");
        assert!(html.contains(r#"<meta name="twitter:card" content="summary">"#));
    }
    let social: Vec<_> = walkdir::WalkDir::new(out.join("social"))
        .into_iter()
        .filter_map(|e| e.ok().filter(|e| e.file_type().is_file()))
        .collect();
    assert_eq!(social.len(), 2);
    // The cards are the build's own files: in its manifest.
    let manifest = read(&out, ".funnelcake-manifest");
    assert!(manifest.contains(&format!("\"{home}\"")), "{manifest}");
}

#[test]
fn cards_have_the_same_bytes_on_every_build() {
    let (dir, site, out, _) = built_cards();
    let first = std::fs::read(out.join(card_of(&out, "index.html"))).unwrap();
    std::fs::remove_dir_all(site.join(".funnelcake")).unwrap();
    let again = dir.path().join("again");
    let report = build(&site, &again);
    assert_eq!(report.cards_drawn, 2, "drawn again, without the cache");
    let second = std::fs::read(again.join(card_of(&again, "index.html"))).unwrap();
    assert!(first == second, "the same card drawn twice differs");
}

#[test]
fn a_rebuild_draws_only_the_cards_that_changed() {
    let (_dir, site, out, _) = built_cards();
    let old = card_of(&out, "index.html");
    assert!(
        site.join(".funnelcake/cache/cards")
            .read_dir()
            .unwrap()
            .count()
            == 2
    );
    assert_eq!(build(&site, &out).cards_drawn, 0);
    edit_file(&site.join("content/index.md"), |page| {
        page.replace(
            "title: Roast your own coffee at home",
            "title: Roast coffee at home",
        )
    });
    assert_eq!(build(&site, &out).cards_drawn, 1);
    let new = card_of(&out, "index.html");
    assert_ne!(old, new, "a changed card gets a new name");
    assert!(out.join(&new).is_file());
    assert!(!out.join(&old).exists(), "the old card is removed from OUT");
    // A changed accent colour changes every card.
    edit_file(&site.join("site.yaml"), |config| {
        config.replace("#b3541e", "#1f5f99")
    });
    assert_eq!(build(&site, &out).cards_drawn, 2);
}

#[test]
fn a_corrupt_cache_entry_is_drawn_again() {
    let (_dir, site, out, _) = built_cards();
    for entry in site.join(".funnelcake/cache/cards").read_dir().unwrap() {
        std::fs::write(entry.unwrap().path(), b"not a png").unwrap();
    }
    assert_eq!(build(&site, &out).cards_drawn, 2);
    let (width, height, _) = decode(&out.join(card_of(&out, "index.html")));
    assert_eq!((width, height), (1200, 630));
}

#[test]
fn no_card_when_turned_off_or_when_the_site_has_an_image() {
    let (dir, site) = copy_fixture("cards");
    edit_file(&site.join("site.yaml"), |c| {
        format!("{c}social_cards: false\n")
    });
    let out = dir.path().join("off");
    assert_eq!(build(&site, &out).cards_drawn, 0);
    assert!(!read(&out, "index.html").contains("og:image"));
    assert!(!out.join("social").exists());

    let (dir, site) = copy_fixture("cards");
    std::fs::create_dir_all(site.join("static")).unwrap();
    std::fs::write(site.join("static/share.png"), b"png").unwrap();
    edit_file(&site.join("site.yaml"), |c| {
        format!("{c}image: /share.png\n")
    });
    let out = dir.path().join("image");
    assert_eq!(build(&site, &out).cards_drawn, 0);
    let html = read(&out, "index.html");
    assert!(
        html.contains(r#"<meta property="og:image" content="https://cards.example/share.png">"#)
    );
    assert!(
        !html.contains("og:image:width"),
        "a site image is not a card"
    );
}

#[test]
fn a_theme_without_social_svg_draws_no_card() {
    let (dir, site) = copy_fixture("cards");
    let theme = site.join("themes/plain/templates");
    std::fs::create_dir_all(&theme).unwrap();
    let page = "<!doctype html><title>{{ page.title }}</title>{% if page.image %}<meta property=\"og:image\" content=\"{{ page.image }}\">{% endif %}{{ page.content | safe }}";
    for layout in ["landing", "optin", "thankyou", "page"] {
        std::fs::write(theme.join(format!("{layout}.html")), page).unwrap();
    }
    edit_file(&site.join("site.yaml"), |c| {
        c.replace("theme: starter", "theme: plain")
            .replace("theme_options: { accent: \"#b3541e\" }\n", "")
    });
    assert!(lines(&funnelcake::check(&BuildOptions::new(&site)))
        .iter()
        .all(|l| !l.starts_with("error")));
    let out = dir.path().join("out");
    assert_eq!(build(&site, &out).cards_drawn, 0);
    assert!(!read(&out, "index.html").contains("og:image"));
    assert!(!out.join("social").exists());
}

#[test]
fn a_social_svg_template_error_is_at_its_line() {
    let (_dir, site) = copy_fixture("cards");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1200 630\">\n<text x=\"80\" y=\"200\">\n{{ page.subtitle }}</text>\n</svg>\n";
    std::fs::write(site.join("templates/social.svg"), svg).unwrap();
    let errors = lines(&funnelcake::check(&BuildOptions::new(&site)));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("error: templates/social.svg:3:9: Field `subtitle` is not defined."),
        "{errors:?}"
    );
}

#[test]
fn a_social_svg_that_is_not_svg_is_an_error() {
    let (dir, site) = copy_fixture("cards");
    std::fs::create_dir_all(site.join("templates")).unwrap();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1200 630\">\n<text>{{ page.title }}</txet>\n</svg>\n";
    std::fs::write(site.join("templates/social.svg"), svg).unwrap();
    let options = BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    };
    for errors in [
        funnelcake::check(&options),
        funnelcake::build(&options).unwrap_err(),
    ] {
        let errors = lines(&errors);
        assert!(!errors.is_empty());
        assert!(
            errors[0].starts_with("error: templates/social.svg: the social card is not valid SVG"),
            "{errors:?}"
        );
    }
    assert!(
        !dir.path().join("out").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn the_home_card_matches_its_reviewed_snapshot() {
    let (_dir, _site, out, _) = built_cards();
    let card = out.join(card_of(&out, "index.html"));
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var_os("UPDATE_CARD_SNAPSHOT").is_some() {
        std::fs::copy(&card, &snapshot).unwrap();
    }
    let (_, _, expected) = decode(&snapshot);
    let (width, height, actual) = decode(&card);
    assert_eq!((width, height), (1200, 630));
    let difference = mean_difference(&expected, &actual);
    assert!(
        difference < TOLERANCE,
        "the card differs from {SNAPSHOT} by {difference:.3} on average; look at both, and if the new one is right, run with UPDATE_CARD_SNAPSHOT=1"
    );
}

#[test]
fn a_missing_title_is_far_from_the_snapshot() {
    // The same card without its title: the comparison must fail it.
    let (dir, site) = copy_fixture("cards");
    let starter = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/starter/templates/social.svg");
    let template = std::fs::read_to_string(starter).unwrap();
    let untitled = template.replace(
        "fill=\"#1b1b1f\">{{ line }}</text>",
        "fill=\"#1b1b1f\"></text>",
    );
    assert_ne!(template, untitled);
    std::fs::create_dir_all(site.join("templates")).unwrap();
    std::fs::write(site.join("templates/social.svg"), untitled).unwrap();
    let out = dir.path().join("out");
    build(&site, &out);
    let (_, _, expected) = decode(&Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT));
    let (_, _, actual) = decode(&out.join(card_of(&out, "index.html")));
    let difference = mean_difference(&expected, &actual);
    assert!(difference > 4.0 * TOLERANCE, "{difference:.3}");
}

/// Columns (x) of the title's dark pixels in the title band of a card.
fn title_columns(pixels: &[u8], rows: std::ops::Range<usize>) -> Vec<usize> {
    let mut columns = Vec::new();
    for y in rows {
        for x in 0..1200 {
            let p = &pixels[(y * 1200 + x) * 3..][..3];
            if p.iter().all(|&c| c < 80) {
                columns.push(x);
            }
        }
    }
    columns
}

#[test]
fn persian_titles_run_right_to_left_and_greek_ones_render() {
    let (dir, site) = copy_fixture("cards");
    edit_file(&site.join("site.yaml"), |c| format!("{c}language: fa\n"));
    edit_file(&site.join("content/index.md"), |page| {
        page.replace(
            "title: Roast your own coffee at home",
            "title: قهوه را در خانه برشته کنید",
        )
    });
    edit_file(&site.join("content/optin.md"), |page| {
        page.replace(
            "title: The home roaster's starter guide",
            "title: Ο οδηγός του καφέ",
        )
    });
    let out = dir.path().join("out");
    build(&site, &out);
    let (_, _, persian) = decode(&out.join(card_of(&out, "index.html")));
    let columns = title_columns(&persian, 190..270);
    assert!(columns.len() > 2000, "the Persian title is drawn");
    // Right to left: the title ends at the right margin, far from the left.
    let (left, right) = (columns.iter().min().unwrap(), columns.iter().max().unwrap());
    assert!(*right > 1100 && *left > 300, "{left}..{right}");
    let (_, _, greek) = decode(&out.join(card_of(&out, "optin/index.html")));
    let columns = title_columns(&greek, 190..270);
    assert!(columns.len() > 2000, "the Greek title is drawn");
}
