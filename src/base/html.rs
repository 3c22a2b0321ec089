//! Escaping for the places funnelcake writes user text into by hand (the
//! fallback map page, sitemaps, JSON inside `<script>`); templates escape
//! through Tera.

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for XML content and attributes (sitemaps).
pub(crate) fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JSON with `<` escaped, so it can never close the `<script>` it sits in.
pub(crate) fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// The WCAG 2 relative luminance (0 to 1) of a `#rrggbb` colour, for
/// themes choosing dark or light text on a site's accent colour.
pub(crate) fn relative_luminance(colour: &str) -> Option<f64> {
    let hex = colour.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |at: usize| -> Option<f64> {
        let value = u8::from_str_radix(hex.get(at..at + 2)?, 16).ok()?;
        let c = f64::from(value) / 255.0;
        Some(if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;'");
        assert_eq!(
            escape_xml("a<b & \"c\"'"),
            "a&lt;b &amp; &quot;c&quot;&apos;"
        );
    }

    #[test]
    fn script_json_cannot_close_its_script() {
        let value = serde_json::json!({ "t": "</script><b>" });
        assert_eq!(script_json(&value), r#"{"t":"\u003c/script>\u003cb>"}"#);
    }

    #[test]
    fn luminance_of_hex_colours() {
        assert_eq!(relative_luminance("#000000"), Some(0.0));
        assert!((relative_luminance("#FFFFFF").unwrap() - 1.0).abs() < 1e-9);
        // The starter accent: dark enough for white text (below 0.179).
        let accent = relative_luminance("#1f5f99").unwrap();
        assert!((accent - 0.1077).abs() < 1e-3, "{accent}");
        for bad in ["1f5f99", "#1f5f9", "#zzzzzz", "red", "#1f5f99ff"] {
            assert_eq!(relative_luminance(bad), None, "{bad}");
        }
    }
}
