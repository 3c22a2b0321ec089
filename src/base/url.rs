//! URLs of the site: content paths to clean URL paths, slugs that keep the
//! letters of every script, percent-encoding, and links under the base path.
//!
//! The slug rules are written here by hand on purpose: no slug crate keeps
//! Persian, Arabic and Greek letters (with their combining marks and the
//! zero-width non-joiner) while dropping everything that needs escaping.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes left as they are in a URL path: ASCII letters and digits, `/` and
/// the unreserved marks; every other byte is percent-encoded.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a URL path, leaving `/` and unreserved ASCII as they are.
pub(crate) fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// The root-relative href of site path `path` under `base_path` (`/shop`).
pub(crate) fn href(base_path: &str, path: &str) -> String {
    format!("{base_path}{}", encode_path(path))
}

/// The absolute URL of site path `path`, for a site at `base_url` whose
/// path part is `base_path`.
pub(crate) fn permalink(base_url: &str, base_path: &str, path: &str) -> String {
    let host = base_url.strip_suffix(base_path).unwrap_or(base_url);
    format!("{host}{}", href(base_path, path))
}

/// The scheme of a URL that would run code or smuggle a document when
/// followed (`javascript:`, `vbscript:`, `data:`), as browsers read it:
/// case does not matter, and spaces and control characters are dropped.
pub(crate) fn unsafe_scheme(url: &str) -> Option<&'static str> {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .into_iter()
        .find(|scheme| squeezed.starts_with(scheme))
}

/// `@/a.md`, `/a.md` and `./a.md` all mean `a.md` in a content path.
pub(crate) fn normalize(content_path: &str) -> &str {
    let path = content_path.trim();
    let path = path.strip_prefix("@/").unwrap_or(path);
    let path = path.strip_prefix("./").unwrap_or(path);
    path.trim_start_matches('/')
}

/// Maps a content path to its URL path: `index.md` is `/`, `a/b.md` is
/// `/a/b/`, `a/index.md` is `/a/`; `slug` replaces the last segment.
pub(crate) fn url_path(content_path: &str, slug: Option<&str>) -> Result<String, String> {
    let without_ext = content_path.strip_suffix(".md").unwrap_or(content_path);
    // A `\\` in a file name (possible on Unix) parts URL segments as on
    // Windows, so the URL is the same on every system.
    let mut segments: Vec<&str> = without_ext.split(['/', '\\']).collect();
    if segments.last() == Some(&"index") {
        segments.pop();
    }
    let mut slugs = Vec::with_capacity(segments.len());
    for segment in &segments {
        let slug = slugify(segment);
        if slug.is_empty() {
            return Err(format!(
                "the name \"{segment}\" in `{content_path}` gives an empty URL segment"
            ));
        }
        slugs.push(slug);
    }
    if let Some(slug) = slug {
        match slugs.last_mut() {
            Some(last) => *last = slug.to_string(),
            None => slugs.push(slug.to_string()),
        }
    }
    if slugs.is_empty() {
        Ok("/".to_string())
    } else {
        Ok(format!("/{}/", slugs.join("/")))
    }
}

/// A readable URL segment: lowercase, Unicode letters and digits kept (so
/// Persian and Greek names stay readable), spaces and dots turned into `-`,
/// everything that needs escaping in a URL dropped. Text is normalized to
/// NFC first, so a name saved decomposed (as macOS does) gets the same URL
/// as the composed one, and two such files collide loudly, never silently.
pub(crate) fn slugify(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::with_capacity(text.len());
    let mut push = |c: char| {
        if c.is_alphanumeric() || c == '_' || is_combining_mark(c) {
            slug.extend(c.to_lowercase());
        } else if (c == '-' || c.is_whitespace() || c == '.' || c == '\u{200c}')
            && !slug.ends_with('-')
        {
            // U+200C (zero-width non-joiner) separates parts of Persian words.
            slug.push('-');
        }
    };
    // ASCII is already NFC; most names are ASCII, and normalizing costs.
    if text.is_ascii() {
        text.chars().for_each(&mut push);
    } else {
        text.nfc().for_each(&mut push);
    }
    slug.trim_matches('-').to_string()
}

/// Combining marks (Greek tonos, Arabic harakat) belong to their letter.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_urls() {
        assert_eq!(url_path("index.md", None).unwrap(), "/");
        assert_eq!(url_path("a/index.md", None).unwrap(), "/a/");
        assert_eq!(url_path("a/b.md", None).unwrap(), "/a/b/");
        assert_eq!(url_path("a/b.md", Some("c")).unwrap(), "/a/c/");
        assert_eq!(url_path("a/index.md", Some("x")).unwrap(), "/x/");
        assert_eq!(
            url_path("Offers/Starter Kit.md", None).unwrap(),
            "/offers/starter-kit/"
        );
        assert!(url_path("a/!!!.md", None).is_err());
    }

    #[test]
    fn slugs_keep_non_latin_letters() {
        assert_eq!(slugify("Οδηγός Καφέ"), "οδηγός-καφέ");
        assert_eq!(slugify("راهنما"), "راهنما");
        assert_eq!(slugify("می\u{200c}خواهم"), "می-خواهم");
        assert_eq!(slugify("v1.2 -- notes?"), "v1-2-notes");
        assert_eq!(slugify("roasting_guide"), "roasting_guide");
        // "καφέ" with a combining acute accent (NFD) is the same slug as the
        // precomposed one (NFC).
        assert_eq!(slugify("καφε\u{301}"), slugify("καφέ"));
        assert_eq!(slugify("καφε\u{301}"), "καφέ");
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("/a b/"), "/a%20b/");
        assert_eq!(
            encode_path("/راهنما/"),
            "/%D8%B1%D8%A7%D9%87%D9%86%D9%85%D8%A7/"
        );
        assert_eq!(encode_path("/a-b_c.d~e/?#%"), "/a-b_c.d~e/%3F%23%25");
    }

    #[test]
    fn urls_carry_the_base_path() {
        assert_eq!(href("/shop", "/kit/"), "/shop/kit/");
        assert_eq!(
            permalink("https://u.github.io/shop", "/shop", "/kit/"),
            "https://u.github.io/shop/kit/"
        );
        assert_eq!(
            permalink("https://t.example", "", "/"),
            "https://t.example/"
        );
    }

    #[test]
    fn content_paths_lose_their_prefix() {
        assert_eq!(normalize(" @/a.md "), "a.md");
        assert_eq!(normalize("./a/b.md"), "a/b.md");
        assert_eq!(normalize("/a.md"), "a.md");
    }
}
