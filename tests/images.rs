//! The image pipeline on the `images` fixture: every path form (beside the
//! page, in a page folder, under static/, a web address), the `<picture>`
//! markup, the hero, orientation, stripped metadata, the errors and
//! warnings, the cache and determinism.

mod support;

use funnelcake::BuildOptions;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{copy_fixture, edit_file, lines, read};

/// Builds `site` into `out`; the report's warnings as text, and how many
/// image variants the build encoded.
fn build(site: &Path, out: &Path) -> (Vec<String>, usize) {
    let options = BuildOptions {
        out: Some(out.to_path_buf()),
        ..BuildOptions::new(site)
    };
    match funnelcake::build(&options) {
        Ok(report) => (lines(&report.diagnostics), report.images_encoded),
        Err(errors) => panic!("should build:\n{}", lines(&errors).join("\n")),
    }
}

fn build_errors(site: &Path, out: &Path) -> Vec<String> {
    let options = BuildOptions {
        out: Some(out.to_path_buf()),
        ..BuildOptions::new(site)
    };
    let errors = funnelcake::build(&options).expect_err("the build should fail");
    lines(&errors)
}

/// Every file under `out/img/`, by name.
fn image_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out.join("img")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        files.insert(name, std::fs::read(entry.path()).unwrap());
    }
    files
}

/// The one file of `files` whose name starts with `prefix` and ends with `suffix`.
fn one<'a>(
    files: &'a BTreeMap<String, Vec<u8>>,
    prefix: &str,
    suffix: &str,
) -> (&'a str, &'a [u8]) {
    let found: Vec<_> = files
        .iter()
        .filter(|(name, _)| name.starts_with(prefix) && name.ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{prefix}*{suffix} in {:?}", files.keys());
    (found[0].0, found[0].1)
}

fn built() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, site) = copy_fixture("images");
    let out = dir.path().join("out");
    build(&site, &out);
    (dir, site, out)
}

#[test]
fn images_become_pictures_with_every_size_and_format() {
    let (_dir, _site, out) = built();
    let files = image_files(&out);
    let guide = read(&out, "guide/index.html");
    // A page folder's `img/chart.png` (200 px wide, with alpha): three
    // widths, AVIF and WebP, PNG as the fallback; the first image of a page
    // without a hero is its main image.
    let (avif40, _) = one(&files, "chart.40.", ".avif");
    let (avif80, _) = one(&files, "chart.80.", ".avif");
    let (avif160, _) = one(&files, "chart.160.", ".avif");
    let (webp40, _) = one(&files, "chart.40.", ".webp");
    let (webp80, _) = one(&files, "chart.80.", ".webp");
    let (webp160, _) = one(&files, "chart.160.", ".webp");
    let (png40, _) = one(&files, "chart.40.", ".png");
    let (png80, _) = one(&files, "chart.80.", ".png");
    let (png160, _) = one(&files, "chart.160.", ".png");
    let sizes = "(min-width: 60rem) 60rem, 100vw";
    let chart = format!(
        "<picture><source type=\"image/avif\" srcset=\"/img/{avif40} 40w, /img/{avif80} 80w, /img/{avif160} 160w\" sizes=\"{sizes}\"><source type=\"image/webp\" srcset=\"/img/{webp40} 40w, /img/{webp80} 80w, /img/{webp160} 160w\" sizes=\"{sizes}\"><img src=\"/img/{png160}\" srcset=\"/img/{png40} 40w, /img/{png80} 80w, /img/{png160} 160w\" sizes=\"{sizes}\" width=\"160\" height=\"80\" alt=\"Half yellow chart\" fetchpriority=\"high\" decoding=\"async\"></picture>"
    );
    assert!(guide.contains(&chart), "{guide}");
    // `step.jpg` beside the page folder's index.md, narrower than every
    // width: one size, its own; lazy, since it is not the first.
    let (step, _) = one(&files, "step.30.", ".jpg");
    assert!(
        guide.contains(&format!("<img src=\"/img/{step}\" srcset=\"/img/{step} 30w\" sizes=\"{sizes}\" width=\"30\" height=\"20\" alt=\"\" loading=\"lazy\" decoding=\"async\"></picture>")),
        "{guide}"
    );
    // A web address is left as Markdown writes it.
    assert!(
        guide.contains("<img src=\"https://cdn.example.com/x.jpg\" alt=\"Remote\" />"),
        "{guide}"
    );
    assert_eq!(files.keys().filter(|n| n.starts_with("chart.")).count(), 9);
}

#[test]
fn static_images_gif_and_svg_and_the_hero() {
    let (_dir, _site, out) = built();
    let files = image_files(&out);
    let home = read(&out, "index.html");
    // GIF and SVG are copied as they are, under a content-hashed name.
    let (gif, gif_bytes) = one(&files, "anim.", ".gif");
    let source = std::fs::read(support::fixture("images").join("content/anim.gif")).unwrap();
    assert_eq!(gif_bytes, &source[..]);
    assert!(home.contains(&format!("<img src=\"/img/{gif}\" width=\"16\" height=\"8\" alt=\"A moving dot\" loading=\"lazy\" decoding=\"async\">")), "{home}");
    let (svg, _) = one(&files, "logo.", ".svg");
    assert!(
        home.contains(&format!(
            "<img src=\"/img/{svg}\" alt=\"\" loading=\"lazy\" decoding=\"async\">"
        )),
        "{home}"
    );
    // `/images/photo.jpg` from static/ (50 px): the width under 50 and its
    // own (see `an_image_between_widths_also_gets_its_own_width`).
    let (photo, _) = one(&files, "photo.50.", ".jpg");
    assert!(
        home.contains("width=\"50\" height=\"50\" alt=\"Grey square\" loading=\"lazy\""),
        "{home}"
    );
    // The hero (front matter `image`) is the page's main image, placed by
    // the layout from `page.hero`; body images are then all lazy.
    let (hero40, _) = one(&files, "hero.40.", ".jpg");
    let (hero, _) = one(&files, "hero.60.", ".jpg");
    assert!(
        home.contains(&format!("data-src=\"/img/{hero}\" data-size=\"60x120\"")),
        "{home}"
    );
    assert!(home.contains(&format!("<img src=\"/img/{hero}\" srcset=\"/img/{hero40} 40w, /img/{hero} 60w\" sizes=\"(min-width: 60rem) 60rem, 100vw\" width=\"60\" height=\"120\" alt=\"Red over blue\" fetchpriority=\"high\" decoding=\"async\"></picture>")), "{home}");
    assert_eq!(home.matches("fetchpriority").count(), 1, "{home}");
    // A theme's `image()` function gives the same markup.
    let (avif, _) = one(&files, "photo.50.", ".avif");
    let (webp, _) = one(&files, "photo.50.", ".webp");
    let (avif40, _) = one(&files, "photo.40.", ".avif");
    let (webp40, _) = one(&files, "photo.40.", ".webp");
    let (photo40, _) = one(&files, "photo.40.", ".jpg");
    assert!(home.contains(&format!("<footer><picture><source type=\"image/avif\" srcset=\"/img/{avif40} 40w, /img/{avif} 50w\" sizes=\"50vw\"><source type=\"image/webp\" srcset=\"/img/{webp40} 40w, /img/{webp} 50w\" sizes=\"50vw\"><img src=\"/img/{photo}\" srcset=\"/img/{photo40} 40w, /img/{photo} 50w\" sizes=\"50vw\" width=\"50\" height=\"50\" alt=\"Grey &amp; square\" class=\"logo\" loading=\"lazy\" decoding=\"async\"></picture></footer>")), "{home}");
    // Link previews get the processed fallback, not the camera original.
    assert!(
        home.contains(&format!("content=\"https://fixture.example/img/{hero}\"")),
        "{home}"
    );
    assert!(!out.join("hero.jpg").exists());
}

#[test]
fn an_image_between_widths_also_gets_its_own_width() {
    // widths [40, 80, 160]: the 50 px photo is offered at 40 and at 50,
    // not only at 40, and never enlarged to 80; the 200 px chart, wider
    // than every width, is not offered at 200.
    let (_dir, _site, out) = built();
    let files = image_files(&out);
    let home = read(&out, "index.html");
    let (photo40, _) = one(&files, "photo.40.", ".jpg");
    let (photo50, bytes) = one(&files, "photo.50.", ".jpg");
    assert_eq!(image::load_from_memory(bytes).unwrap().width(), 50);
    let markup = format!("<img src=\"/img/{photo50}\" srcset=\"/img/{photo40} 40w, /img/{photo50} 50w\" sizes=\"(min-width: 60rem) 60rem, 100vw\" width=\"50\" height=\"50\" alt=\"Grey square\"");
    assert!(home.contains(&markup), "{home}");
    let photos: Vec<&String> = files.keys().filter(|n| n.starts_with("photo.")).collect();
    assert_eq!(photos.len(), 6, "{photos:?}");
    assert!(!files
        .keys()
        .any(|n| n.starts_with("photo.80.") || n.starts_with("chart.200.")));
}

#[test]
fn orientation_is_applied_and_metadata_dropped() {
    let (_dir, _site, out) = built();
    let files = image_files(&out);
    let (_, jpeg) = one(&files, "hero.40.", ".jpg");
    // Stored 120x60 with red on the left, EXIF orientation 6: upright it
    // is 60x120 with red on top, so 40x80 here.
    let image = image::load_from_memory(jpeg).unwrap().into_rgb8();
    assert_eq!(image.dimensions(), (40, 80));
    let top = image.get_pixel(20, 10);
    let bottom = image.get_pixel(20, 70);
    assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");
    for (name, bytes) in files.iter().filter(|(n, _)| n.starts_with("hero.")) {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("Exif"), "{name} has EXIF");
        assert!(
            !text.contains("SECRET-CAMERA-NOTE"),
            "{name} has the camera's text"
        );
    }
}

#[test]
fn missing_alt_is_a_warning_and_an_empty_alt_is_decorative() {
    let (dir, site) = copy_fixture("images");
    let (warnings, _) = build(&site, &dir.path().join("out"));
    let alt: Vec<&String> = warnings.iter().filter(|w| w.contains("alt text")).collect();
    assert_eq!(
        alt,
        ["warning: content/guide/index.md:8:1: image \"step.jpg\" has no alt text\n  = help: describe the image for people who cannot see it (`![…](…)`), or write an empty alt text (`\"\"`) if it is only decoration"],
        "{warnings:?}"
    );
    edit_file(&site.join("content/index.md"), |t| {
        t.replace("image_alt: Red over blue\n", "")
    });
    let (warnings, _) = build(&site, &dir.path().join("out"));
    assert!(
        warnings
            .iter()
            .any(|w| w
                .starts_with("warning: content/index.md:4:8: image \"hero.jpg\" has no alt text")),
        "{warnings:?}"
    );
    edit_file(&site.join("content/index.md"), |t| {
        t.replace("image: hero.jpg\n", "image: hero.jpg\nimage_alt: \"\"\n")
    });
    let (warnings, _) = build(&site, &dir.path().join("out"));
    assert!(
        !warnings.iter().any(|w| w.contains("hero.jpg")),
        "{warnings:?}"
    );
}

#[test]
fn a_missing_image_beside_the_page_is_an_error_at_its_line_in_build_and_check() {
    let (dir, site) = copy_fixture("images");
    edit_file(&site.join("content/guide/index.md"), |t| {
        t.replace("![](step.jpg)", "Text ![Gone](gone.png)")
    });
    let expected = [
        "error: content/guide/index.md:8:6: image \"gone.png\" is not a file beside the page\n  = help: put gone.png in the page's folder, or write `/images/...` for a file under static/",
    ];
    assert_eq!(build_errors(&site, &dir.path().join("out")), expected);
    let checked = funnelcake::check(&BuildOptions::new(&site));
    let errors: Vec<String> = checked
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert_eq!(errors, expected);
}

/// A Markdown image from the site's root that static/ lacks may be served
/// by the host (as a link to `/signup/` may): a warning at its line, and
/// the page keeps the image as written.
#[test]
fn a_missing_image_from_the_root_is_a_warning_and_stays_as_written() {
    let (dir, site) = copy_fixture("images");
    edit_file(&site.join("content/index.md"), |t| {
        t.replace("/images/photo.jpg", "/images/nope.jpg")
    });
    let expected = "warning: content/index.md:13:1: image \"/images/nope.jpg\" is not a file of static/\n  = help: put the file at static/images/nope.jpg, or correct the path; until then it is left in the page as written, for a host that serves it";
    let out = dir.path().join("out");
    let (warnings, _) = build(&site, &out);
    let missing: Vec<&String> = warnings.iter().filter(|w| w.contains("nope.jpg")).collect();
    assert_eq!(missing, [expected]);
    let checked = funnelcake::check(&BuildOptions::new(&site));
    assert!(
        checked.iter().any(|d| d.to_string() == expected),
        "{checked:?}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains(r#"<img src="/images/nope.jpg" alt="Grey square""#),
        "{html}"
    );
    // The other images of the page are still processed.
    assert!(html.contains("<picture>"), "{html}");
}

#[test]
fn a_corrupt_image_is_an_error_naming_it() {
    let (dir, site) = copy_fixture("images");
    std::fs::write(
        site.join("content/guide/step.jpg"),
        b"\xff\xd8\xff\xe0 not really a JPEG",
    )
    .unwrap();
    let errors = build_errors(&site, &dir.path().join("out"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "error: content/guide/index.md:8:1: image \"content/guide/step.jpg\" cannot be used: "
        ),
        "{errors:?}"
    );
}

#[test]
fn check_encodes_nothing() {
    let (_dir, site) = copy_fixture("images");
    let checked = funnelcake::check(&BuildOptions::new(&site));
    assert!(!checked.has_errors(), "{:?}", lines(&checked));
    let cache = site.join(".funnelcake/cache/images");
    let encoded = std::fs::read_dir(&cache)
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".size"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(encoded, 0);
}

#[test]
fn the_cache_makes_a_rebuild_encode_nothing_and_a_change_invalidates_it() {
    let (dir, site) = copy_fixture("images");
    let first = dir.path().join("first");
    let (_, encoded) = build(&site, &first);
    // chart 3 widths x 3 formats, step 1 x 3, photo 2 x 3, hero 2 x 3.
    assert_eq!(encoded, 24);
    let cached = dir.path().join("cached");
    let (_, encoded) = build(&site, &cached);
    assert_eq!(encoded, 0);
    assert_eq!(image_files(&first), image_files(&cached));
    // Without the cache, the same bytes again: encoding is deterministic.
    std::fs::remove_dir_all(site.join(".funnelcake/cache")).unwrap();
    let fresh = dir.path().join("fresh");
    let (_, encoded) = build(&site, &fresh);
    assert_eq!(encoded, 24);
    assert_eq!(image_files(&first), image_files(&fresh));
    // A changed source is encoded again, under new names.
    let old = image_files(&fresh);
    let (old_step, _) = one(&old, "step.30.", ".jpg");
    let pixels = image::RgbImage::from_pixel(30, 20, image::Rgb([200, 10, 10]));
    pixels.save(site.join("content/guide/step.jpg")).unwrap();
    let (_, encoded) = build(&site, &fresh);
    assert_eq!(encoded, 3);
    let new = image_files(&fresh);
    let (new_step, _) = one(&new, "step.30.", ".jpg");
    assert_ne!(old_step, new_step);
    // A changed setting is encoded again too.
    edit_file(&site.join("site.yaml"), |t| {
        t.replace("quality: 60", "quality: 61")
    });
    let (_, encoded) = build(&site, &fresh);
    assert_eq!(encoded, 24);
}

/// Builds `site` into `out` with the funnelcake binary, rayon's global
/// pool at `threads` threads (the machine's cores when `None`). A build
/// that has not finished after `HANG` is taken to hang: it is killed and
/// the test fails (a hang detector, not a timing: a build of the `photos`
/// fixture takes seconds).
fn build_in_child(site: &Path, out: &Path, threads: Option<usize>) {
    const HANG: std::time::Duration = std::time::Duration::from_secs(300);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_funnelcake"));
    command.arg("build").arg(site).arg("-o").arg(out);
    command.env_remove("RAYON_NUM_THREADS");
    if let Some(threads) = threads {
        command.env("RAYON_NUM_THREADS", threads.to_string());
    }
    let log = out.with_extension("log");
    let stderr = std::fs::File::create(&log).unwrap();
    let mut child = (command.stdout(std::process::Stdio::null()).stderr(stderr))
        .spawn()
        .expect("the binary starts");
    let log = || std::fs::read_to_string(&log).unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "the build with {threads:?} threads hung (killed after {HANG:?}):\n{}",
                log()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "the build failed ({status}):\n{}", log());
}

/// The AVIF files under `out/img/`, by name.
fn avif_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = image_files(out);
    files.retain(|name, _| name.ends_with(".avif"));
    files
}

#[test]
fn an_avif_has_the_same_bytes_whatever_the_cores() {
    // rav1e splits an AVIF into tiles, and ravif made one tile per thread
    // of the rayon pool it ran on: one per core. A 480 px photo made
    // different bytes on 1, 2 and 4 threads (a 240 px one did not), under
    // the same name: names hash the source and the settings. Each build
    // starts with an empty image cache of its own.
    let built = |threads| {
        let (dir, site) = copy_fixture("photos");
        edit_file(&site.join("site.yaml"), |text| {
            text.replace("widths: [120, 240]", "widths: [480]")
                .replace("formats: [avif, webp]", "formats: [avif]")
        });
        let out = dir.path().join("out");
        build_in_child(&site, &out, Some(threads));
        (dir, avif_files(&out))
    };
    let (_one, on_one) = built(1);
    let (_four, on_four) = built(4);
    // Three photographs at 480 px, two narrower at their own widths.
    assert_eq!(on_one.len(), 5, "{:?}", on_one.keys());
    assert_eq!(
        on_one.keys().collect::<Vec<_>>(),
        on_four.keys().collect::<Vec<_>>()
    );
    let differ: Vec<&String> = (on_one.iter())
        .filter(|(name, bytes)| on_four[*name] != **bytes)
        .map(|(name, _)| name)
        .collect();
    assert!(
        differ.is_empty(),
        "different bytes on 1 and 4 threads: {differ:?}"
    );
}

#[test]
fn a_first_build_with_an_empty_image_cache_finishes() {
    // Every page of the fixture names three of its five photographs, so
    // pages wait for an image another thread is encoding. With rav1e on a
    // thread pool of its own per encode, such a build once hung, every
    // thread waiting.
    let (dir, site) = copy_fixture("photos");
    let out = dir.path().join("out");
    build_in_child(&site, &out, None);
    assert_eq!(avif_files(&out).len(), 10);
    let (second, site) = copy_fixture("photos");
    build_in_child(&site, &second.path().join("out"), Some(8));
}
