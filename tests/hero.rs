//! The page's `image` as the hero of the built-in themes' landing, opt-in
//! and offer layouts (markup per layout and theme, and where it sits in a
//! browser at desktop and phone width; there, the largest contentful
//! paint, not lazy, high priority, at the width the screen needs), the
//! testimonial photo and the logo as pictures, and no hero markup on a
//! page without an image.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::browser::Browser;
use support::{build_and_serve, build_site, copy_fixture, edit_file, read};

const THEMES: [&str; 2] = ["starter", "launch"];

/// Builds the `hero` fixture in `theme`; returns its temp dir and OUT.
fn built(theme: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, site) = copy_fixture("hero");
    use_theme(&site, theme);
    let out = build_site(&site, dir.path().join("out"));
    (dir, out)
}

fn use_theme(site: &Path, theme: &str) {
    edit_file(&site.join("site.yaml"), |t| {
        t.replace(
            "theme: starter",
            &format!("theme: {theme}\ntheme_options: {{ logo: /logo.png }}"),
        )
    });
}

/// The `<div class="hero-image">…</div>` of `html`.
fn hero_of(html: &str) -> &str {
    let start = html
        .find("<div class=\"hero-image\">")
        .expect("a hero image");
    let end = start + html[start..].find("</div>").unwrap();
    &html[start..end]
}

#[test]
fn each_layout_places_the_hero_with_priority_sizes_and_dimensions() {
    for theme in THEMES {
        let (_dir, out) = built(theme);
        let aside = if theme == "starter" { "23rem" } else { "26rem" };
        let pages = [
            ("index.html", "30rem"),
            ("offer/index.html", "30rem"),
            ("optin/index.html", aside),
            ("inline/index.html", "30rem"),
        ];
        for (page, width) in pages {
            let html = read(&out, page);
            assert!(
                html.contains("class=\"hero has-hero\"") || html.contains("has-hero\""),
                "{theme} {page}"
            );
            let hero = hero_of(&html);
            let sizes = format!("sizes=\"(min-width: 60rem) {width}, 100vw\"");
            assert_eq!(hero.matches(&sizes).count(), 2, "{theme} {page}: {hero}");
            assert!(
                hero.contains("<source type=\"image/webp\" srcset=\"/img/hero.40."),
                "{hero}"
            );
            assert!(hero.contains(" width=\"80\" height=\"53\" alt=\"A cup of coffee\" fetchpriority=\"high\" decoding=\"async\"></picture>"), "{theme} {page}: {hero}");
            assert!(
                !hero.contains("loading="),
                "{theme} {page}: the hero is not lazy"
            );
            // The hero is the page's one high-priority image.
            assert_eq!(html.matches("fetchpriority").count(), 1, "{theme} {page}");
        }
    }
}

#[test]
fn a_page_without_image_has_no_hero_markup() {
    for theme in THEMES {
        let (_dir, out) = built(theme);
        let html = read(&out, "plain/index.html");
        for absent in [
            "has-hero",
            "hero-image",
            "hero-text",
            "fetchpriority",
            "testimonial-photo",
        ] {
            assert!(!html.contains(absent), "{theme}: {absent} in {html}");
        }
        assert!(
            html.contains("<figcaption><span class=\"testimonial-name\">Tom</span></figcaption>")
        );
    }
}

#[test]
fn testimonial_photo_and_logo_are_lazy_pictures() {
    for theme in THEMES {
        let (_dir, out) = built(theme);
        let html = read(&out, "index.html");
        let photo = "<figcaption><picture><source type=\"image/webp\" srcset=\"/img/face.40.";
        assert!(html.contains(photo), "{theme}: {html}");
        assert!(html.contains(" sizes=\"3.5rem\" width=\"64\" height=\"64\" alt=\"Maria smiling\" class=\"testimonial-photo\" loading=\"lazy\" decoding=\"async\"></picture><span class=\"testimonial-name\">Maria</span>"), "{theme}: {html}");
        let logo = "<a class=\"brand\" href=\"/\"><picture><source type=\"image/webp\" srcset=\"/img/logo.40.";
        assert!(html.contains(logo), "{theme}: {html}");
        assert!(html.contains(" sizes=\"12rem\" width=\"80\" height=\"20\" alt=\"Hero Fixture\" loading=\"lazy\" decoding=\"async\"></picture></a>"), "{theme}: {html}");
    }
}

/// The boxes of the hero image and the h1 at a viewport size:
/// [left, top, right, bottom] each.
fn boxes(browser: &mut Browser, url: &str, width: u32, height: u32) -> (Vec<f64>, Vec<f64>) {
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
    );
    browser.navigate(url);
    let rect = |selector: &str| {
        format!("(r => [r.left, r.top, r.right, r.bottom])(document.querySelector('{selector}').getBoundingClientRect())")
    };
    let parse = |v: serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("a box")
            .iter()
            .map(|n| n.as_f64().unwrap())
            .collect()
    };
    let image = parse(browser.eval(&rect(".hero-image img")));
    let heading = parse(browser.eval(&rect("h1")));
    (image, heading)
}

#[test]
fn the_hero_is_beside_the_heading_on_desktop_and_above_it_on_phones() {
    let mut browser = Browser::launch();
    for theme in THEMES {
        let dir = tempfile::tempdir().unwrap();
        let (_fixture, site) = copy_fixture("hero");
        use_theme(&site, theme);
        let server = build_and_serve(&site, dir.path());
        for page in ["/", "/optin/", "/offer/"] {
            let url = format!("{}{page}", server.url);
            let (image, h1) = boxes(&mut browser, &url, 1280, 800);
            // Wholly to the inline-end side, and level with it.
            assert!(
                image[0] >= h1[2],
                "{theme} {page} desktop: image {image:?}, h1 {h1:?}"
            );
            assert!(
                image[1] < h1[3] + 200.0 && image[3] > h1[1] - 200.0,
                "{theme} {page}: {image:?} {h1:?}"
            );
            assert!(
                image[2] - image[0] > 300.0,
                "{theme} {page}: the image is shown large: {image:?}"
            );
            let (image, h1) = boxes(&mut browser, &url, 390, 844);
            assert!(
                image[3] <= h1[1],
                "{theme} {page} phone: image {image:?}, h1 {h1:?}"
            );
        }
    }
}

/// What the browser says of the hero `<img>` of the page at `url` at a
/// viewport size and pixel ratio: its `loading`, `fetchPriority`, rendered
/// width in CSS pixels, the width in the name of the file it chose
/// (`hero.WIDTH.HASH.webp`), and whether it is the page's last
/// largest-contentful-paint candidate.
fn hero_in_browser(browser: &mut Browser, url: &str, viewport: (u32, u32), ratio: u32) -> Value {
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": viewport.0, "height": viewport.1, "deviceScaleFactor": ratio, "mobile": viewport.0 < 600 }),
    );
    browser.navigate(url);
    // LCP entries come after the image is painted, which may be after
    // the load event: collect them until one is the hero, or for 5 s.
    let script = r#"new Promise(resolve => {
        const img = document.querySelector('.hero-image img');
        const entries = [];
        const report = () => {
            const last = entries[entries.length - 1];
            resolve({
                loading: img.loading,
                priority: img.fetchPriority,
                rendered: img.getBoundingClientRect().width,
                chosen: Number(img.currentSrc.split('/').pop().split('.')[1]),
                lcp: !!last && last.element === img,
                entries: entries.map(e => [e.size, e.element && e.element.tagName]),
            });
        };
        new PerformanceObserver(list => {
            entries.push(...list.getEntries());
            if (entries.some(e => e.element === img)) report();
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        setTimeout(report, 5000);
    })"#;
    let result = browser.call(
        "Runtime.evaluate",
        json!({ "expression": script, "awaitPromise": true, "returnByValue": true }),
    );
    result["result"]["value"].clone()
}

#[test]
fn the_hero_is_the_eager_high_priority_lcp_image_at_the_width_the_screen_needs() {
    // A 1600 px photo offered at 400, 800, 1200 and 1600 px.
    let widths = [400.0, 800.0, 1200.0, 1600.0];
    for theme in THEMES {
        let dir = tempfile::tempdir().unwrap();
        let (_fixture, site) = copy_fixture("hero");
        use_theme(&site, theme);
        edit_file(&site.join("site.yaml"), |t| {
            t.replace("widths: [40, 80]", "widths: [400, 800, 1200, 1600]")
        });
        // Noise, as in a real photo: Chromium leaves images of very few
        // bytes per pixel out of LCP.
        let photo = image::RgbImage::from_fn(1600, 1067, |x, y| {
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 24;
            image::Rgb([(x / 7) as u8, (y / 5) as u8, noise as u8])
        });
        photo.save(site.join("content/hero.jpg")).unwrap();
        let server = build_and_serve(&site, dir.path());
        for (viewport, ratio) in [((390, 844), 3), ((1280, 800), 1)] {
            // A browser of its own: one that has a wider file cached uses it.
            let mut browser = Browser::launch();
            let url = format!("{}/", server.url);
            let hero = hero_in_browser(&mut browser, &url, viewport, ratio);
            let at = format!("{theme} {viewport:?}x{ratio}: {hero}");
            // Not lazy: loaded at once (no `loading` attribute reads "auto").
            assert_ne!(hero["loading"], "lazy", "{at}");
            assert_eq!(hero["priority"], "high", "{at}");
            assert_eq!(hero["lcp"], true, "{at}");
            // The candidate chosen is one of the two around the pixels the
            // box needs: the widest not above them or the narrowest not
            // below them (browsers differ in which they take).
            let needed = hero["rendered"].as_f64().unwrap() * f64::from(ratio);
            let below = widths
                .iter()
                .copied()
                .filter(|w| *w <= needed)
                .fold(0.0, f64::max);
            let above = widths
                .iter()
                .copied()
                .find(|w| *w >= needed)
                .unwrap_or(1600.0);
            let chosen = hero["chosen"].as_f64().unwrap();
            assert!(chosen == below || chosen == above, "needed {needed}, {at}");
        }
    }
}
