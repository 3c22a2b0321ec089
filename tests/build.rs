//! Builds the fixture sites under `tests/fixtures/` into temp folders and
//! checks the real output and the exact error messages.

mod support;

use funnelcake::BuildOptions;
use std::path::Path;
use support::{
    build_errors, build_ok, build_site, copy_fixture, edit_file, fixture, lines, read, tree,
};

#[test]
fn full_site_writes_every_page_at_its_clean_url() {
    let (_dir, out) = build_ok("full");
    for file in [
        "index.html",
        "guide/index.html",
        "thanks/index.html",
        "offers/starter-kit/index.html",
        "offers/class/index.html",
        "privacy/index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "favicon.svg",
        "img/logo.svg",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    assert!(!out.join("draft").exists(), "drafts are left out");
    assert!(!out.join(".funnelcake-staging").exists());
}

#[test]
fn markdown_extensions_links_and_anchors() {
    let (_dir, out) = build_ok("full");
    let home = read(&out, "index.html");
    assert!(
        home.contains(r#"<a href="/guide/#what-you-get">the guide</a>"#),
        "{home}"
    );
    assert!(home.contains(r#"<a href="/offers/starter-kit/">kit</a>"#));
    assert!(home.contains("<table>"));
    assert!(home.contains(r#"<input disabled="" type="checkbox" checked=""/>"#));
    assert!(home.contains("<del>old</del>"));
    assert!(home.contains("“quoted”"));
    assert!(home.contains("footnote-definition"));
    assert!(read(&out, "guide/index.html").contains(r#"<h2 id="what-you-get">"#));
}

#[test]
fn base_layout_has_the_head_a_landing_page_needs() {
    let (_dir, out) = build_ok("full");
    let kit = read(&out, "offers/starter-kit/index.html");
    assert!(kit.starts_with("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">"));
    assert!(kit.contains("<title>The kit · Fixture</title>"));
    assert!(kit.contains(r#"<meta name="description" content="A small kit.">"#));
    assert!(kit
        .contains(r#"<link rel="canonical" href="https://fixture.example/offers/starter-kit/">"#));
    assert!(kit.contains(r#"<meta property="og:title" content="The kit">"#));
    assert!(kit.contains(r#"<link rel="icon" href="/favicon.svg""#));
    assert!(
        kit.contains(r#""@type":"Offer""#)
            && kit.contains(r#""price":"9.50","priceCurrency":"EUR""#)
    );
    assert!(kit.contains("€9.50"), "the price in the language: {kit}");
    // The marketer's stage names are not for visitors unless the theme
    // option asks for them.
    assert!(!kit.contains("Step 4 of 8"), "{kit}");
    let css = regex_like_css_href(&kit);
    assert!(out.join(css.trim_start_matches('/')).is_file(), "{css}");
    let (dir, site) = copy_fixture("full");
    edit_file(&site.join("site.yaml"), |text| {
        format!("{text}theme_options: {{ show_step: true }}\n")
    });
    let out = build_site(&site, dir.path().join("out"));
    let kit = read(&out, "offers/starter-kit/index.html");
    assert!(
        kit.contains("Step 4 of 8</span> · Convert · Tripwire"),
        "{kit}"
    );
    assert!(read(&out, "index.html").contains("Step 1 of 8"));
}

fn regex_like_css_href(html: &str) -> String {
    let start = html.find("href=\"/css/main.").expect("main.css link") + 6;
    html[start..].split('"').next().unwrap().to_string()
}

#[test]
fn journey_context_next_step_and_noindex() {
    let (_dir, out) = build_ok("full");
    let home = read(&out, "index.html");
    assert!(
        home.contains(r#"<a class="button" href="/guide/">The guide</a>"#),
        "{home}"
    );
    let thanks = read(&out, "thanks/index.html");
    assert!(thanks.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(thanks.contains(r#"<a class="button" href="/offers/starter-kit/">See the kit</a>"#));
    assert!(!home.contains("noindex"));
}

#[test]
fn template_overrides_data_extra_and_site_css() {
    let (_dir, out) = build_ok("full");
    let class = read(&out, "offers/class/index.html");
    assert!(class.contains(r#"<p class="tagline">Fresh every Monday</p>"#));
    assert!(class.contains("<li>Ana: Great coffee</li><li>Ben: Fast delivery</li>"));
    assert!(
        class.contains("1:aware=1 2:engage=0 3:subscribe=2 4:convert=1 5:excite=0 6:ascend=1"),
        "{class}"
    );
    let css: Vec<_> = std::fs::read_dir(out.join("css"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert!(
        css.iter()
            .any(|n| n.starts_with("extra.") && n.ends_with(".css")),
        "{css:?}"
    );
}

#[test]
fn optin_form_posts_to_the_custom_action_with_funnel_fields() {
    let (_dir, out) = build_ok("full");
    let guide = read(&out, "guide/index.html");
    assert!(
        guide.contains(
            r#"<form class="optin-form" method="post" action="/subscribe" name="guide">"#
        ),
        "{guide}"
    );
    assert!(guide.contains(
        r#"<input type="hidden" name="redirect" value="https://fixture.example/thanks/">"#
    ));
    assert!(guide.contains(r#"<input type="hidden" name="funnel_stage" value="subscribe">"#));
    assert!(guide.contains(r#"<label for="field-email">Email"#));
    assert!(guide.contains(
        r#"<input id="field-email" name="email" type="email" autocomplete="email" required>"#
    ));
    assert!(guide.contains(r#"name="consent" type="checkbox" value="yes" required>"#));
    assert!(guide.contains(r#"<a href="/privacy/">Privacy policy</a>"#));
}

#[test]
fn sitemaps_list_indexable_pages_by_stage() {
    let (_dir, out) = build_ok("full");
    let index = read(&out, "sitemap.xml");
    for stage in ["aware", "subscribe", "convert", "ascend", "pages"] {
        assert!(
            index.contains(&format!(
                "<loc>https://fixture.example/sitemaps/{stage}.xml</loc>"
            )),
            "{stage}: {index}"
        );
    }
    assert!(!index.contains("engage.xml"));
    let subscribe = read(&out, "sitemaps/subscribe.xml");
    assert!(subscribe
        .contains("<loc>https://fixture.example/guide/</loc>\n    <lastmod>2026-11-01</lastmod>"));
    assert!(
        !subscribe.contains("thanks"),
        "thank-you pages are not indexed"
    );
    assert!(read(&out, "robots.txt").contains("Sitemap: https://fixture.example/sitemap.xml"));
}

#[test]
fn output_is_byte_identical_and_unchanged_files_are_not_rewritten() {
    let (_a, first) = build_ok("full");
    let (_b, second) = build_ok("full");
    let files = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(files(&first), files(&second));

    let options = BuildOptions {
        out: Some(first.clone()),
        ..BuildOptions::new(fixture("full"))
    };
    let report = funnelcake::build(&options).unwrap();
    assert_eq!(report.files.written, 0);
    assert_eq!(report.files.removed, 0);
}

#[test]
fn a_build_removes_only_the_files_the_previous_build_wrote() {
    let (dir, site) = support::copy_fixture("full");
    let out = build_site(&site, dir.path().join("out"));
    std::fs::write(out.join("thesis.txt"), "my thesis").unwrap();
    std::fs::write(out.join("offers/class/notes.txt"), "mine").unwrap();
    std::fs::remove_file(site.join("content/offers/class.md")).unwrap();
    let report = funnelcake::build(&BuildOptions {
        out: Some(out.clone()),
        ..BuildOptions::new(&site)
    })
    .unwrap();
    // The page, its stage's sitemap and its social card.
    assert_eq!(report.files.removed, 3);
    assert!(!out.join("offers/class/index.html").exists());
    assert!(
        !out.join("sitemaps/ascend.xml").exists(),
        "its stage had no other page"
    );
    assert_eq!(read(&out, "thesis.txt"), "my thesis");
    assert_eq!(read(&out, "offers/class/notes.txt"), "mine");
    let manifest = read(&out, ".funnelcake-manifest");
    assert!(
        manifest.contains("\"offers/starter-kit/index.html\""),
        "{manifest}"
    );
    assert!(
        !manifest.contains("class") && !manifest.contains("thesis"),
        "{manifest}"
    );
}

#[test]
fn a_folder_of_the_users_files_is_refused_and_force_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("notes")).unwrap();
    std::fs::write(docs.join("thesis.txt"), "my thesis").unwrap();
    std::fs::write(docs.join("notes/a.md"), "a").unwrap();
    let before = tree(&docs);
    let options = BuildOptions {
        out: Some(docs.clone()),
        ..BuildOptions::new(fixture("full"))
    };
    let errors = lines(&funnelcake::build(&options).unwrap_err());
    let expected = format!(
        "error: {0}: the output folder {0} is not empty and has no .funnelcake-manifest, so funnelcake did not build it; it writes only where it can tell its own files from yours\n  = help: choose an empty or new output folder with -o, or build with --force to write into it anyway: same-named files are overwritten, nothing is deleted",
        docs.display()
    );
    assert_eq!(errors, [expected]);
    assert_eq!(tree(&docs), before);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no staging folder is left"
    );

    let forced = BuildOptions {
        force: true,
        ..options.clone()
    };
    let report = funnelcake::build(&forced).unwrap();
    assert_eq!(report.files.removed, 0);
    assert_eq!(read(&docs, "thesis.txt"), "my thesis");
    assert_eq!(read(&docs, "notes/a.md"), "a");
    assert!(docs.join("guide/index.html").is_file());
    funnelcake::build(&options).expect("the forced build wrote a manifest");
    assert_eq!(read(&docs, "thesis.txt"), "my thesis");
}

#[test]
fn an_earlier_funnelcakes_build_is_refused_with_a_hint_to_start_clean() {
    let (_dir, out) = build_ok("full");
    std::fs::remove_file(out.join(".funnelcake-manifest")).unwrap();
    let options = BuildOptions {
        out: Some(out.clone()),
        ..BuildOptions::new(fixture("full"))
    };
    let errors = funnelcake::build(&options).unwrap_err();
    let error = errors.iter().next().unwrap();
    assert_eq!(error.code, "output-not-empty");
    assert!(
        error.hint.as_deref().unwrap().starts_with("it looks like the build of an earlier funnelcake, which kept no manifest: delete the folder's contents"),
        "{error}"
    );
}

#[test]
fn a_failed_write_puts_every_file_of_out_back() {
    let (dir, site) = support::copy_fixture("full");
    let out = build_site(&site, dir.path().join("out"));
    std::fs::write(out.join("offers/class/notes.txt"), "mine").unwrap();
    let before = tree(&out);
    // The page's folder becomes a file of the new build, but a file of the
    // user's keeps the folder there: the write fails half way.
    std::fs::remove_file(site.join("content/offers/class.md")).unwrap();
    std::fs::create_dir_all(site.join("static/offers")).unwrap();
    std::fs::write(site.join("static/offers/class"), "a file").unwrap();
    support::edit_file(&site.join("content/guide.md"), |text| {
        text.replace("Guide", "Guide, changed")
    });
    let options = BuildOptions {
        out: Some(out.clone()),
        ..BuildOptions::new(&site)
    };
    let errors = lines(&funnelcake::build(&options).unwrap_err());
    let expected = format!(
        "error: {0}: cannot write {0}/offers/class: a folder holding files funnelcake did not write stands where this file goes; every file in {0} was put back as it was before this build",
        out.display()
    );
    assert_eq!(errors, [expected]);
    assert_eq!(tree(&out), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "no staging folder is left: {names:?}");
}

#[test]
fn drafts_are_built_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        out: Some(dir.path().join("o")),
        drafts: true,
        ..BuildOptions::new(fixture("full"))
    };
    funnelcake::build(&options).unwrap();
    assert!(dir.path().join("o/draft/index.html").is_file());
}

#[test]
fn base_url_override_and_sub_path() {
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        out: Some(dir.path().join("o")),
        base_url: Some("https://user.github.io/shop/".into()),
        ..BuildOptions::new(fixture("full"))
    };
    funnelcake::build(&options).unwrap();
    let home = read(&dir.path().join("o"), "index.html");
    assert!(
        home.contains(r#"<a href="/shop/guide/#what-you-get">"#),
        "{home}"
    );
    assert!(home.contains(r#"href="https://user.github.io/shop/""#));
    assert!(home.contains(r#"<link rel="stylesheet" href="/shop/css/main."#));
}

#[test]
fn non_latin_file_names_get_readable_urls_and_rtl() {
    let (_dir, out) = build_ok("rtl");
    assert!(out.join("راهنما/index.html").is_file());
    assert!(out.join("οδηγός/index.html").is_file());
    let home = read(&out, "index.html");
    assert!(home.contains(r#"<html lang="fa" dir="rtl">"#));
    assert!(
        home.contains(r#"<a href="/%D8%B1%D8%A7%D9%87%D9%86%D9%85%D8%A7/">a</a>"#),
        "{home}"
    );
    // pulldown-cmark percent-encodes the fragment; browsers decode it to match the id.
    assert!(home.contains("/#%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%AD%CF%81%CE%B1-%CE%BA%CF%8C%CF%83%CE%BC%CE%B5\">b</a>"), "{home}");
    assert!(read(&out, "οδηγός/index.html").contains(r#"<h2 id="καλημέρα-κόσμε">"#));
}

// ---- one fixture per kind of bad input: exact position, nothing written ----

#[test]
fn unknown_stage() {
    insta::assert_snapshot!(build_errors("unknown-stage"));
}

#[test]
fn yaml_syntax_error_is_at_the_file_line() {
    let errors = build_errors("yaml-syntax");
    assert!(errors.starts_with("error: content/index.md:4:"), "{errors}");
    insta::assert_snapshot!(errors);
}

#[test]
fn unknown_config_key() {
    insta::assert_snapshot!(build_errors("unknown-config-key"));
}

#[test]
fn missing_title() {
    insta::assert_snapshot!(build_errors("missing-title"));
}

#[test]
fn broken_content_link_and_anchor() {
    insta::assert_snapshot!(build_errors("broken-link"));
}

#[test]
fn duplicate_url_names_both_files() {
    let errors = build_errors("duplicate-url");
    assert!(
        errors.contains("content/about.md") && errors.contains("content/about/index.md"),
        "{errors}"
    );
    insta::assert_snapshot!(errors);
}

#[test]
fn missing_template() {
    insta::assert_snapshot!(build_errors("missing-template"));
}

#[test]
fn every_error_of_every_file_is_reported() {
    insta::assert_snapshot!(build_errors("many-errors"));
}

#[test]
fn template_runtime_error_is_reported_once_at_the_template() {
    insta::assert_snapshot!(build_errors("template-error"));
}

#[test]
fn template_syntax_errors_of_all_templates() {
    insta::assert_snapshot!(build_errors("template-syntax"));
}

#[test]
fn missing_or_unclosed_front_matter() {
    insta::assert_snapshot!(build_errors("missing-front-matter"));
}

#[test]
fn optin_pages_need_a_form_a_thank_you_page_and_a_safe_action() {
    let errors = build_errors("optin-errors");
    assert!(
        errors.contains(
            "content/b.md:8:11: form action \"javascript:alert(1)\" must be an https: URL"
        ),
        "{errors}"
    );
    insta::assert_snapshot!(errors);
}

#[test]
fn reference_to_a_draft_says_so() {
    insta::assert_snapshot!(build_errors("draft-reference"));
}

#[test]
fn output_folder_inside_the_site_inputs_is_refused() {
    let (dir, site) = support::copy_fixture("full");
    for folder in ["i18n", ".funnelcake", ".git/objects", "themes/mine"] {
        std::fs::create_dir_all(site.join(folder)).unwrap();
        std::fs::write(site.join(folder).join("keep.txt"), "kept").unwrap();
    }
    let before = tree(dir.path());
    let cases = [
        ("", "is the site folder"),
        ("public/..", "is the site folder"),
        ("../missing/../site", "is the site folder"),
        ("..", "is a folder that holds the site"),
        (
            "content",
            "is inside content/, which the site reads or keeps",
        ),
        (
            "x/../content",
            "is inside content/, which the site reads or keeps",
        ),
        (
            "content/x",
            "is inside content/, which the site reads or keeps",
        ),
        (
            "templates",
            "is inside templates/, which the site reads or keeps",
        ),
        ("css", "is inside css/, which the site reads or keeps"),
        (
            "static/img",
            "is inside static/, which the site reads or keeps",
        ),
        ("data", "is inside data/, which the site reads or keeps"),
        ("i18n", "is inside i18n/, which the site reads or keeps"),
        (
            "themes/mine",
            "is inside themes/, which the site reads or keeps",
        ),
        (
            ".funnelcake",
            "is inside .funnelcake/, which the site reads or keeps",
        ),
        (".git", "is inside .git/, which the site reads or keeps"),
        ("site.yaml", "is a file, not a folder"),
    ];
    for (out, rule) in cases {
        let options = BuildOptions {
            out: Some(site.join(out)),
            ..BuildOptions::new(&site)
        };
        let errors = funnelcake::build(&options).expect_err(out);
        let error = errors.iter().next().unwrap();
        assert_eq!(error.code, "invalid-output", "{out}: {error}");
        assert!(error.message.ends_with(rule), "{out}: {error}");
        assert_eq!(tree(dir.path()), before, "{out} changed the site");
    }
}

#[cfg(unix)]
#[test]
fn an_output_folder_that_links_into_the_site_is_refused() {
    let (dir, site) = support::copy_fixture("full");
    std::os::unix::fs::symlink(site.join("content"), dir.path().join("link")).unwrap();
    std::os::unix::fs::symlink(&site, dir.path().join("site-link")).unwrap();
    let before = tree(&site);
    for out in ["link", "link/sub", "site-link/public/../content"] {
        let options = BuildOptions {
            out: Some(dir.path().join(out)),
            ..BuildOptions::new(&site)
        };
        let errors = funnelcake::build(&options).expect_err(out);
        let message = lines(&errors).join("\n");
        assert!(message.contains("is inside content/"), "{out}: {message}");
        assert!(
            message.contains(&format!(
                "(that is, {}",
                site.join("content").canonicalize().unwrap().display()
            )),
            "{message}"
        );
    }
    assert_eq!(tree(&site), before);
}

#[test]
fn thank_you_page_snapshot() {
    let (_dir, out) = build_ok("full");
    let html = read(&out, "thanks/index.html");
    // The stylesheet hash changes with the theme's CSS; the page around it is what is pinned here.
    let start = html.find("/css/main.").unwrap() + "/css/main.".len();
    let hash = &html[start..start + 8];
    insta::assert_snapshot!(html.replace(hash, "HASH"));
}

#[test]
fn deploy_adapters_write_their_host_files() {
    let build_with = |deploy: &str| {
        let (dir, site) = support::copy_fixture("full");
        support::edit_file(&site.join("site.yaml"), |config| {
            format!("{config}deploy: {deploy}\n")
        });
        let out = build_site(&site, dir.path().join("out"));
        (dir, out)
    };
    let (_netlify, out) = build_with("netlify");
    let headers = read(&out, "_headers");
    assert!(
        headers.starts_with(
            "# Written by funnelcake for deploy: netlify\n/*\n  X-Content-Type-Options: nosniff\n"
        ),
        "{headers}"
    );
    let css = std::fs::read_dir(out.join("css"))
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    let css = format!(
        "/css/{}\n  Cache-Control: public, max-age=31536000, immutable\n",
        css.file_name().to_string_lossy()
    );
    assert!(
        headers.contains(&css),
        "every hashed file is cached for a year: {headers}"
    );
    assert!(
        headers.contains("/thanks/\n  X-Robots-Tag: noindex\n"),
        "{headers}"
    );
    assert!(!out.join(".nojekyll").exists());
    let (_cloudflare, out) = build_with("cloudflare");
    assert!(read(&out, "_headers").contains("for deploy: cloudflare"));
    let (_pages, out) = build_with("github-pages");
    assert_eq!(read(&out, ".nojekyll"), "");
    assert!(!out.join("_headers").exists());
    let (_none, out) = build_with("none");
    assert!(!out.join("_headers").exists() && !out.join(".nojekyll").exists());
}

// ---- what search engines and social networks read ----

/// The JSON-LD of a built page.
fn json_ld(html: &str) -> serde_json::Value {
    let start = html
        .find(r#"<script type="application/ld+json">"#)
        .expect("JSON-LD")
        + 35;
    let end = html[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn a_price_is_a_product_with_its_offer() {
    let (_dir, out) = build_ok("full");
    let data = json_ld(&read(&out, "offers/starter-kit/index.html"));
    assert_eq!(
        data,
        serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Product",
            "name": "The kit",
            "description": "A small kit.",
            "url": "https://fixture.example/offers/starter-kit/",
            "offers": {
                "@type": "Offer",
                "url": "https://fixture.example/offers/starter-kit/",
                "price": "9.50",
                "priceCurrency": "EUR",
                "priceValidUntil": "2099-12-31",
                "availability": "https://schema.org/InStock",
            },
        })
    );
    // Past `expires`, the offer is out of stock; with an image, the product shows it.
    let (dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("content/offers/kit.md"), |page| {
        page.replace("2099-12-31T00:00:00Z", "2001-01-01").replace(
            "slug: starter-kit",
            "slug: starter-kit\nimage: /img/logo.svg",
        )
    });
    let out = build_site(&site, dir.path().join("out"));
    let data = json_ld(&read(&out, "offers/starter-kit/index.html"));
    assert_eq!(
        data["offers"]["availability"],
        "https://schema.org/OutOfStock"
    );
    assert_eq!(data["offers"]["priceValidUntil"], "2001-01-01");
    assert_eq!(data["image"], "https://fixture.example/img/logo.svg");
}

#[test]
fn a_currency_must_be_iso_4217() {
    let (_dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("content/offers/kit.md"), |page| {
        page.replace("currency: eur", "currency: IRT")
    });
    let errors = funnelcake::check(&BuildOptions::new(&site));
    assert_eq!(
        lines(&errors),
        ["error: content/offers/kit.md:7:8: currency \"IRT\" is not an ISO 4217 code such as EUR or USD\n  = help: Persian sites price in rial: `currency: IRR` with the amount in rials (ten rials to the toman); a theme may still show toman"]
    );
}

#[test]
fn every_page_has_a_social_image_and_locale() {
    let (dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("site.yaml"), |config| {
        format!("{config}image: /img/logo.svg\n")
    });
    // The kit's image is beside its page: previews get its PNG fallback
    // at the first width of 1200 px or more.
    image::RgbImage::new(1500, 20)
        .save(site.join("content/offers/kit.png"))
        .unwrap();
    support::edit_file(&site.join("content/offers/kit.md"), |page| {
        page.replace(
            "slug: starter-kit",
            "slug: starter-kit\nimage: kit.png\nimage_alt: The kit",
        )
    });
    let out = build_site(&site, dir.path().join("out"));
    let shared: Vec<String> = std::fs::read_dir(out.join("img"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with("kit.1440.") && name.ends_with(".png"))
        .collect();
    assert_eq!(shared.len(), 1, "{shared:?}");
    let shared = format!("/img/{}", shared[0]);
    assert!(!out.join("offers/starter-kit/kit.png").exists());
    let tags = |page: &str, image: &str| {
        let html = read(&out, page);
        for tag in [
            format!(r#"<meta property="og:image" content="https://fixture.example{image}">"#),
            r#"<meta name="twitter:card" content="summary_large_image">"#.to_string(),
            format!(r#"<meta name="twitter:image" content="https://fixture.example{image}">"#),
            r#"<meta property="og:locale" content="en_US">"#.to_string(),
        ] {
            assert!(html.contains(&tag), "{page}: {tag}");
        }
    };
    tags("index.html", "/img/logo.svg");
    tags("404.html", "/img/logo.svg");
    tags("funnel/index.html", "/img/logo.svg");
    tags("offers/starter-kit/index.html", &shared);
    let kit = json_ld(&read(&out, "offers/starter-kit/index.html"));
    assert_eq!(kit["image"], format!("https://fixture.example{shared}"));
    // Without an image, the card funnelcake draws (tests/cards.rs).
    let (_dir, site) = support::copy_fixture("full");
    let out = build_site(&site, site.join("public"));
    let home = read(&out, "index.html");
    assert!(home.contains(r#"<meta name="twitter:card" content="summary_large_image">"#));
    assert!(home
        .contains(r#"<meta property="og:image" content="https://fixture.example/social/index."#));
    // The locale follows the site's language.
    let (_dir, out) = build_ok("rtl");
    assert!(read(&out, "index.html").contains(r#"<meta property="og:locale" content="fa_IR">"#));
}

#[test]
fn a_missing_social_image_is_an_error_at_its_line() {
    let (_dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("site.yaml"), |config| {
        format!("{config}image: /img/share.jpg\n")
    });
    support::edit_file(&site.join("content/offers/kit.md"), |page| {
        page.replace(
            "slug: starter-kit",
            "slug: starter-kit\nimage: /img/kit.png",
        )
    });
    support::edit_file(&site.join("content/guide.md"), |page| {
        page.replacen("title:", "image: cover.jpg\ntitle:", 1)
    });
    let errors = funnelcake::check(&BuildOptions::new(&site));
    insta::assert_snapshot!("missing_social_images", lines(&errors).join("\n"));
    let json: serde_json::Value = serde_json::from_str(&errors.to_json()).unwrap();
    assert_eq!(json["errors"][1]["code"], "missing-image");
    assert_eq!(json["errors"][1]["line"], 7);
}

#[test]
fn robots_txt_under_a_path_is_a_warning() {
    let (dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("site.yaml"), |config| {
        config.replace("https://fixture.example", "https://user.github.io/shop/")
    });
    let report = funnelcake::build(&BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    })
    .unwrap();
    assert!(dir.path().join("out/robots.txt").is_file());
    let warnings: Vec<String> = lines(&report.diagnostics)
        .into_iter()
        .filter(|w| w.contains("robots"))
        .collect();
    assert_eq!(
        warnings,
        ["warning: site.yaml:2:11: base_url https://user.github.io/shop has a path, so robots.txt is written at /shop/robots.txt, where crawlers never read it\n  = help: the sitemap is still found through Search Console; to use robots.txt, add the site's sitemap to the host root's own robots.txt, or serve the site at the root of its own domain"]
    );
    // A site at the root of its host writes robots.txt where it is read.
    let checked = funnelcake::check(&BuildOptions::new(fixture("full")));
    assert!(!lines(&checked).iter().any(|w| w.contains("robots")));
}

/// One page's front matter errors hide neither the other pages' link
/// checks, nor a broken `next` in the same file, nor the templates'
/// errors; a link to a file that is not a page because of its own error is
/// not reported again.
#[test]
fn a_pages_errors_hide_no_other_error() {
    let errors = build_errors("errors-everywhere");
    assert!(
        !errors.contains("notes.md\", which is not a page"),
        "{errors}"
    );
    insta::assert_snapshot!(errors);
}

#[test]
fn a_broken_privacy_page_is_one_error_not_two() {
    let (dir, site) = support::copy_fixture("full");
    support::edit_file(&site.join("content/privacy.md"), |text| {
        text.replace("layout: page", "layout: [page")
    });
    let options = BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    };
    let errors = lines(&funnelcake::build(&options).unwrap_err());
    assert_eq!(
        errors,
        ["error: content/privacy.md:5:1: invalid YAML: did not find expected ',' or ']'"],
        "`forms.privacy_url: /privacy/` names the broken page: no second error"
    );
}

/// The closed sets of forms (providers, field types) are read once into
/// enums; their errors keep their words, hints and places.
#[test]
fn unknown_form_providers_and_field_types() {
    let (dir, site) = copy_fixture("full");
    edit_file(&site.join("site.yaml"), |text| {
        text.replace("provider: custom", "provider: formsprea")
    });
    edit_file(&site.join("content/guide.md"), |text| {
        text.replace(
            "  fields: [name, email]\n",
            "  provider: mailchim\n  fields: [name, { name: email, type: emial }, { name: b c, type: nope }, { name: tel, type: tel }]\n",
        )
    });
    let options = BuildOptions {
        out: Some(dir.path().join("out")),
        ..BuildOptions::new(&site)
    };
    let errors = funnelcake::build(&options).expect_err("the build should fail");
    let choose = "choose one of: netlify, formspree, mailchimp, kit, custom";
    let types = "field types: text, email, tel, url, number, textarea, select, checkbox, hidden";
    assert_eq!(
        lines(&errors),
        [
            format!("error: content/guide.md:8:13: unknown form provider \"mailchim\" (did you mean \"mailchimp\"?)\n  = help: {choose}"),
            "error: content/guide.md:9:11: form field name \"b c\" must be letters, digits, `_` or `-`".to_string(),
            format!("error: content/guide.md:9:11: unknown field type \"emial\" (did you mean \"email\"?)\n  = help: {types}"),
            format!("error: site.yaml:6:13: unknown provider \"formsprea\" (did you mean \"formspree\"?)\n  = help: {choose}"),
        ]
    );
}

#[test]
fn a_missing_parent_and_template_cycles_are_errors_at_their_tag() {
    assert_eq!(
        build_errors("template-missing-parent"),
        "error: templates/landing.html:3:1: extends \"nowhere.html\", which is not a template of the theme or the site\n  = help: name a template of templates/ (or of the theme), or create it"
    );
    assert_eq!(
        build_errors("template-cycle-extends"),
        "error: templates/landing.html:1:1: landing.html extends itself: landing.html → loop.html → landing.html\n  = help: a base template must not extend the templates built on it"
    );
    assert_eq!(
        build_errors("template-cycle-include"),
        "error: templates/_a.html:2:1: _a.html includes itself: _a.html → _b.html → _a.html\n  = help: break the loop: a template cannot include itself, directly or through another"
    );
}

/// The errors of `check` on `site` after writing `bytes` to `file`.
fn errors_after_writing(file: &str, bytes: &[u8]) -> Vec<String> {
    let (_dir, site) = support::copy_fixture("components");
    let path = site.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    lines(&funnelcake::check(&BuildOptions::new(&site)))
}

#[test]
fn templates_strings_and_css_that_are_not_utf8_are_errors_at_the_first_bad_byte() {
    let hint = "\n  = help: save the file with the UTF-8 encoding (most editors offer it under \"Save with encoding\")";
    assert_eq!(
        errors_after_writing("templates/_extra.html", b"<p>\n<b>caf\xe9</b>\n"),
        [format!("error: templates/_extra.html:2:7: the file is not UTF-8 text: byte 0xE9 at offset 10 is not valid UTF-8{hint}")]
    );
    assert_eq!(
        errors_after_writing("i18n/en.yaml", b"skip_link: \"Saltar al contenido\"\ncta: \"Compr\xe1\"\n"),
        [format!("error: i18n/en.yaml:2:12: the file is not UTF-8 text: byte 0xE1 at offset 44 is not valid UTF-8{hint}")]
    );
    assert_eq!(
        errors_after_writing("css/main.css", b"/* \xa9 2026 */\nbody { color: red }\n"),
        [format!("error: css/main.css:1:4: the file is not UTF-8 text: byte 0xA9 at offset 3 is not valid UTF-8{hint}")]
    );
}
