//! The HTML of a processed image: a `<picture>` with one `<source>` per
//! format and an `<img>` with the fallback, its dimensions and alt text;
//! and the same as data for a theme's hero slot.

use super::{OutFormat, Processed};
use crate::base::html::escape;
use serde::Serialize;

/// `sizes` when the caller gives none: the built-in themes' content column
/// is at most 60rem wide, and full width below that.
pub(crate) const DEFAULT_SIZES: &str = "(min-width: 60rem) 60rem, 100vw";

/// How one image is placed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Placement<'a> {
    pub alt: &'a str,
    pub sizes: Option<&'a str>,
    pub class: Option<&'a str>,
    /// The page's main image: loaded at once with `fetchpriority="high"`,
    /// not lazily.
    pub priority: bool,
}

/// The formats of `image`'s `<source>` elements, in order: all but the
/// fallback.
fn source_formats(image: &Processed) -> Vec<OutFormat> {
    let mut formats = Vec::new();
    for variant in &image.variants {
        if variant.format != image.fallback && !formats.contains(&variant.format) {
            formats.push(variant.format);
        }
    }
    formats
}

/// A `srcset` of `image`'s variants in `format`.
fn srcset(image: &Processed, format: OutFormat, href: &dyn Fn(&str) -> String) -> String {
    let entries: Vec<String> = image
        .of(format)
        .map(|v| format!("{} {}w", href(&v.path), v.width))
        .collect();
    entries.join(", ")
}

/// The `<picture>` (or, for a GIF or SVG, the `<img>`) of `image`; `href`
/// turns a site path into a link.
pub(crate) fn picture(
    image: &Processed,
    href: &dyn Fn(&str) -> String,
    place: &Placement,
) -> String {
    let largest = image.largest();
    let class = place
        .class
        .map(|c| format!(" class=\"{}\"", escape(c)))
        .unwrap_or_default();
    let loading = if place.priority {
        " fetchpriority=\"high\""
    } else {
        " loading=\"lazy\""
    };
    let size = if largest.width > 0 {
        format!(" width=\"{}\" height=\"{}\"", largest.width, largest.height)
    } else {
        String::new()
    };
    let alt = escape(place.alt);
    let src = escape(&href(&largest.path));
    if matches!(image.fallback, OutFormat::Gif | OutFormat::Svg) {
        return format!(
            "<img src=\"{src}\"{size} alt=\"{alt}\"{class}{loading} decoding=\"async\">"
        );
    }
    let sizes = escape(place.sizes.unwrap_or(DEFAULT_SIZES));
    let mut html = String::from("<picture>");
    for format in source_formats(image) {
        let set = escape(&srcset(image, format, href));
        html.push_str(&format!(
            "<source type=\"{}\" srcset=\"{set}\" sizes=\"{sizes}\">",
            format.mime()
        ));
    }
    let set = escape(&srcset(image, image.fallback, href));
    html.push_str(&format!(
        "<img src=\"{src}\" srcset=\"{set}\" sizes=\"{sizes}\"{size} alt=\"{alt}\"{class}{loading} decoding=\"async\"></picture>"
    ));
    html
}

/// The page's hero image as data, for a theme that places it itself
/// (`page.hero`): the fallback's `src` and `srcset`, the other formats'
/// `sources`, the dimensions, the alt text, and the whole `picture`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Hero {
    pub src: String,
    pub srcset: String,
    pub sizes: String,
    pub sources: Vec<HeroSource>,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub picture: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct HeroSource {
    #[serde(rename = "type")]
    pub mime: &'static str,
    pub srcset: String,
}

impl Hero {
    pub(crate) fn new(image: &Processed, href: &dyn Fn(&str) -> String, alt: &str) -> Self {
        let place = Placement {
            alt,
            priority: true,
            ..Placement::default()
        };
        let sources = source_formats(image)
            .into_iter()
            .map(|f| HeroSource {
                mime: f.mime(),
                srcset: srcset(image, f, href),
            })
            .collect();
        let largest = image.largest();
        Hero {
            src: href(&largest.path),
            srcset: srcset(image, image.fallback, href),
            sizes: DEFAULT_SIZES.into(),
            sources,
            width: largest.width,
            height: largest.height,
            alt: alt.into(),
            picture: picture(image, href, &place),
        }
    }
}
