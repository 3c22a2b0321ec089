//! CSS through lightningcss into content-hashed files.
//!
//! Every top-level `css/NAME.css` of the theme or the site (a name starting
//! with `_` is a partial, only imported) is an entry: its `@import`s are
//! bundled, the result is minified and prefixed for [`targets`], and written
//! as `css/NAME.HASH.css`. Templates get the URL as `css.NAME`, so a changed
//! stylesheet gets a new URL and can be cached forever.

use crate::base::diagnostics::{Diagnostic, Diagnostics};
use crate::input::theme::Theme;
use crate::render::OutputFile;
use lightningcss::bundler::{Bundler, ResolveResult, SourceProvider};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions};
use lightningcss::targets::{Browsers, Targets};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The built stylesheets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Css {
    pub files: Vec<OutputFile>,
    /// Entry name (`main`) to its URL (`/css/main.1a2b3c4d.css`).
    pub urls: BTreeMap<String, String>,
}

/// Browsers the CSS is prefixed for: what was current around 2022, which
/// covers more than 95% of visitors; written out because a marketing page
/// must not lose the older phones still in use.
pub(crate) fn targets() -> Targets {
    let version = |major: u32| Some(major << 16);
    Targets::from(Browsers {
        chrome: version(100),
        edge: version(100),
        firefox: version(100),
        safari: version(15),
        ios_saf: version(15),
        samsung: version(18),
        android: version(100),
        opera: version(86),
        ie: None,
    })
}

/// Bundles and minifies every CSS entry; every broken file is reported.
/// `hashed` puts a content hash in each name (`css/main.1a2b3c4d.css`);
/// the dev server turns it off so a CSS edit leaves the pages unchanged.
pub(crate) fn build(theme: &Theme, base_path: &str, hashed: bool) -> Result<Css, Diagnostics> {
    let provider = MemoryFiles::new(theme)?;
    let mut css = Css::default();
    let mut diagnostics = Diagnostics::new();
    let entries = theme
        .layer("css")
        .filter(|(name, _)| is_entry(name))
        .map(|(name, _)| name);
    for name in entries {
        match bundle(&provider, name) {
            Ok(text) => {
                let stem = name.trim_end_matches(".css");
                let path = if hashed {
                    format!("css/{stem}.{}.css", short_hash(text.as_bytes()))
                } else {
                    format!("css/{stem}.css")
                };
                css.urls
                    .insert(stem.to_string(), format!("{base_path}/{path}"));
                css.files.push(OutputFile {
                    path,
                    bytes: text.into_bytes(),
                });
            }
            Err(d) => diagnostics.push(d),
        }
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(css)
    }
}

fn is_entry(name: &str) -> bool {
    name.ends_with(".css") && !name.contains('/') && !name.starts_with('_')
}

/// Eight hex digits of a stable hash: the same bytes always give the same name.
pub(crate) fn short_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))[..8].to_string()
}

fn bundle(provider: &MemoryFiles, name: &str) -> Result<String, Diagnostic> {
    let entry = PathBuf::from("/css").join(name);
    let mut bundler = Bundler::new(provider, None, ParserOptions::default());
    let mut sheet = bundler.bundle(&entry).map_err(|e| {
        let (file, line, column) = match &e.loc {
            Some(loc) => (
                provider.origin(Path::new(&loc.filename)),
                loc.line as usize + 1,
                loc.column as usize,
            ),
            None => (provider.origin(&entry), 0, 0),
        };
        Diagnostic::error("css", file, format!("CSS error: {}", e.kind)).at(line, column)
    })?;
    let error = |message: String| Diagnostic::error("css", provider.origin(&entry), message);
    sheet
        .minify(MinifyOptions {
            targets: targets(),
            ..Default::default()
        })
        .map_err(|e| error(format!("CSS error: {e}")))?;
    let printed = sheet
        .to_css(PrinterOptions {
            minify: true,
            targets: targets(),
            ..Default::default()
        })
        .map_err(|e| error(format!("CSS error: {e}")))?;
    Ok(printed.code)
}

/// The CSS layer of a theme, served to the bundler from memory under `/css/`.
struct MemoryFiles {
    files: BTreeMap<PathBuf, (String, String)>,
}

impl MemoryFiles {
    /// Every CSS file is UTF-8 text, or each one that is not is an error.
    fn new(theme: &Theme) -> Result<Self, Diagnostics> {
        let mut files = BTreeMap::new();
        let mut errors = Diagnostics::new();
        for (name, file) in theme.layer("css") {
            match crate::base::text::utf8(&file.bytes, &file.origin) {
                Ok(text) => {
                    let entry = (text.to_string(), file.origin.clone());
                    files.insert(PathBuf::from("/css").join(name), entry);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.has_errors() {
            return Err(errors);
        }
        Ok(MemoryFiles { files })
    }

    fn origin(&self, path: &Path) -> String {
        self.files
            .get(path)
            .map_or_else(|| path.display().to_string(), |(_, origin)| origin.clone())
    }
}

impl SourceProvider for MemoryFiles {
    type Error = std::io::Error;

    fn read<'a>(&'a self, file: &Path) -> Result<&'a str, Self::Error> {
        self.files
            .get(file)
            .map(|(text, _)| text.as_str())
            .ok_or_else(|| {
                let message = format!(
                    "@import of {} which is not in the css folder",
                    file.display()
                );
                std::io::Error::new(std::io::ErrorKind::NotFound, message)
            })
    }

    fn resolve(
        &self,
        specifier: &str,
        originating_file: &Path,
    ) -> Result<ResolveResult, Self::Error> {
        if specifier.contains("://") || specifier.starts_with("//") {
            return Ok(ResolveResult::External(specifier.to_string()));
        }
        let base = originating_file.parent().unwrap_or(Path::new("/css"));
        let mut path = PathBuf::from("/");
        for part in base.join(specifier).components() {
            match part {
                Component::ParentDir => {
                    path.pop();
                }
                Component::Normal(p) => path.push(p),
                _ => {}
            }
        }
        Ok(ResolveResult::File(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::theme::ThemeFile;
    use std::borrow::Cow;

    fn theme(files: &[(&str, &str)]) -> Theme {
        let files = files
            .iter()
            .map(|(k, v)| {
                let file = ThemeFile {
                    bytes: Cow::Owned(v.as_bytes().to_vec()),
                    origin: k.to_string(),
                };
                (k.to_string(), file)
            })
            .collect();
        Theme {
            name: "t".into(),
            files,
            ..Default::default()
        }
    }

    #[test]
    fn bundles_minifies_and_hashes() {
        let t = theme(&[
            (
                "css/main.css",
                "@import \"_base.css\";\n.a { color: #ff0000; user-select: none }\n",
            ),
            ("css/_base.css", "body { margin: 0 }\n"),
        ]);
        let css = build(&t, "/shop", true).unwrap();
        assert_eq!(css.files.len(), 1);
        let text = String::from_utf8(css.files[0].bytes.clone()).unwrap();
        assert!(text.starts_with("body{margin:0}"), "{text}");
        assert!(text.contains("-webkit-user-select:none"), "{text}");
        assert!(text.contains("color:red"), "{text}");
        assert!(css.urls["main"].starts_with("/shop/css/main."));
        assert_eq!(build(&t, "/shop", true).unwrap().urls, css.urls);
        let dev = build(&t, "/shop", false).unwrap();
        assert_eq!(
            dev.urls["main"], "/shop/css/main.css",
            "dev builds keep names stable"
        );
    }

    #[test]
    fn css_errors_name_file_and_line() {
        let t = theme(&[(
            "css/main.css",
            "/* a */\n/* b */\n@import \"missing.css\";\n",
        )]);
        let err = build(&t, "", true).unwrap_err();
        let d = err.iter().next().unwrap();
        assert_eq!(
            d.to_string(),
            "error: css/main.css:3:1: CSS error: @import of /css/missing.css which is not in the css folder"
        );
    }
}
