//! The files a build renders with: theme templates, CSS and static files,
//! with the site's own files laid over them.
//!
//! Built-in themes (the repository's `themes/` folder) are compiled into the
//! binary, so funnelcake works from any folder. A site-local `themes/NAME`
//! replaces the built-in theme of that name. Then the site's `templates/`,
//! `css/` and `static/` override theme files of the same name. The result is
//! one map from a logical path (`templates/landing.html`) to bytes, each
//! remembering where it came from for error messages.

use crate::config::{Config, CONFIG_FILE};
use crate::diagnostics::{display_path, suggestion, Diagnostic, Diagnostics};
use crate::fs;
use crate::yaml::Source;
use include_dir::{include_dir, Dir};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

static BUILTIN: Dir = include_dir!("$CARGO_MANIFEST_DIR/themes");

/// The folders of a theme (and of a site) that a build uses.
const LAYERS: &[&str] = &["templates", "css", "static"];

/// One file of the theme or of the site.
#[derive(Debug, Clone)]
pub struct ThemeFile {
    pub bytes: Cow<'static, [u8]>,
    /// Where it came from, relative to the site, for messages; built-in
    /// files are marked as such.
    pub origin: String,
}

/// All the files a build renders with, keyed by logical path.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub files: BTreeMap<String, ThemeFile>,
}

impl Theme {
    /// Files under one layer (`templates`, `css`, `static`), with the layer prefix removed.
    pub fn layer<'a>(
        &'a self,
        layer: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a ThemeFile)> + 'a {
        let prefix = format!("{layer}/");
        self.files
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(move |(k, f)| (&k[layer.len() + 1..], f))
    }
}

/// Names of the themes compiled into the binary.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN
        .dirs()
        .filter_map(|d| d.path().file_name()?.to_str())
        .collect()
}

/// Loads the configured theme and lays the site's own files over it.
pub fn load(site: &Path, config: &Config, config_text: &str) -> Result<Theme, Diagnostics> {
    let mut files = BTreeMap::new();
    let mut diagnostics = Diagnostics::new();
    let local = site.join("themes").join(&config.theme);
    if local.is_dir() {
        for layer in LAYERS {
            read_folder(
                site,
                &local.join(layer),
                layer,
                &mut files,
                &mut diagnostics,
            );
        }
    } else if let Some(dir) = BUILTIN.get_dir(&config.theme) {
        add_builtin(dir, &config.theme, &mut files);
    } else {
        let mut names = builtin_names();
        names.sort_unstable();
        let message = format!(
            "unknown theme \"{}\"{}",
            config.theme,
            suggestion(&config.theme, names.iter().copied())
        );
        let pos = Source::new(config_text, CONFIG_FILE, 1).locate(&["theme"]);
        let hint = format!(
            "built-in themes: {}; or put your own in themes/{}/",
            names.join(", "),
            config.theme
        );
        diagnostics.push(
            Diagnostic::error("unknown-theme", CONFIG_FILE, message)
                .at_pos(pos)
                .with_hint(hint),
        );
        return Err(diagnostics);
    }
    for layer in LAYERS {
        read_folder(site, &site.join(layer), layer, &mut files, &mut diagnostics);
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(Theme {
        name: config.theme.clone(),
        files,
    })
}

fn add_builtin(theme: &'static Dir, name: &str, files: &mut BTreeMap<String, ThemeFile>) {
    let mut stack = vec![theme];
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            let rel = file
                .path()
                .strip_prefix(theme.path())
                .unwrap_or(file.path());
            let key = rel.to_string_lossy().replace('\\', "/");
            if LAYERS.iter().any(|l| key.starts_with(&format!("{l}/"))) {
                let origin = format!("themes/{name}/{key} (built-in)");
                files.insert(
                    key,
                    ThemeFile {
                        bytes: Cow::Borrowed(file.contents()),
                        origin,
                    },
                );
            }
        }
    }
}

/// Reads every file under `folder` into `files` as `layer/relative/path`.
fn read_folder(
    site: &Path,
    folder: &Path,
    layer: &str,
    files: &mut BTreeMap<String, ThemeFile>,
    diagnostics: &mut Diagnostics,
) {
    if !folder.is_dir() {
        return;
    }
    let walker = walkdir::WalkDir::new(folder)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker
        .into_iter()
        .filter_entry(|e| !fs::is_editor_junk(e.file_name()))
    {
        let entry = match entry {
            Ok(e) if e.file_type().is_file() => e,
            Ok(_) => continue,
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| display_path(site, p))
                    .unwrap_or_else(|| display_path(site, folder));
                diagnostics.push(Diagnostic::error("io", path, format!("cannot read: {err}")));
                continue;
            }
        };
        let origin = display_path(site, entry.path());
        if entry.path_is_symlink() || entry.path().ancestors().any(|a| a.is_symlink()) {
            // A link to a file outside the site would publish it (a key, a
            // password file): only links that stay inside are followed.
            let inside = match (entry.path().canonicalize(), site.canonicalize()) {
                (Ok(target), Ok(root)) => target.starts_with(root),
                _ => false,
            };
            if !inside {
                let message = "is a symbolic link to a file outside the site folder";
                let hint = "copy the file into the site instead of linking to it";
                diagnostics
                    .push(Diagnostic::error("outside-link", &origin, message).with_hint(hint));
                continue;
            }
        }
        match fs::read(entry.path()) {
            Ok(bytes) => {
                let key = format!("{layer}/{}", display_path(folder, entry.path()));
                files.insert(
                    key,
                    ThemeFile {
                        bytes: Cow::Owned(bytes),
                        origin,
                    },
                );
            }
            Err(e) => diagnostics.push(Diagnostic::error("io", origin, e.to_string())),
        }
    }
}
