//! The files a build renders with: theme templates, CSS and static files,
//! with the site's own files laid over them.
//!
//! Built-in themes (the repository's `themes/` folder) are compiled into the
//! binary, so funnelcake works from any folder. A site-local `themes/NAME`
//! replaces the built-in theme of that name. Then the site's `templates/`,
//! `css/` and `static/` override theme files of the same name. The result is
//! one map from a logical path (`templates/landing.html`) to bytes, each
//! remembering where it came from for error messages.

use crate::base::diagnostics::{display_path, suggestion, Diagnostic, Diagnostics};
use crate::base::fs;
use crate::base::yaml::{Fields, Source};
use crate::base::yaml::{Mapping, Value};
use crate::input::config::{Config, CONFIG_FILE};
use include_dir::{include_dir, Dir};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

static BUILTIN: Dir = include_dir!("$CARGO_MANIFEST_DIR/themes");

/// The folders of a theme (and of a site) that a build uses. `i18n` files
/// are merged key by key rather than replaced (see [`Theme::strings`]).
const LAYERS: &[&str] = &["templates", "css", "static", "i18n"];

/// The file that describes a theme.
pub(crate) const THEME_FILE: &str = "theme.yaml";

/// How deep `extends:` may chain, so a cycle cannot loop.
const MAX_EXTENDS: usize = 4;

/// One file of the theme or of the site.
#[derive(Debug, Clone)]
pub(crate) struct ThemeFile {
    pub bytes: Cow<'static, [u8]>,
    /// Where it came from, relative to the site, for messages; built-in
    /// files are marked as such.
    pub origin: String,
}

/// All the files a build renders with, keyed by logical path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Theme {
    /// The name a site gives in `theme:`.
    pub name: String,
    /// The theme's display name (`theme.yaml` `name:`).
    pub title: String,
    pub description: String,
    /// The theme's options (`theme.yaml` `options:`), with the site's
    /// `theme_options` laid over them.
    pub options: Value,
    pub files: BTreeMap<String, ThemeFile>,
    /// UI string files (`i18n/LANG.yaml`) of the parent theme, the theme
    /// and the site, lowest precedence first: (language, file).
    pub strings: Vec<(String, ThemeFile)>,
}

impl Theme {
    /// Files under one layer (`templates`, `css`, `static`), with the layer prefix removed.
    pub(crate) fn layer<'a>(
        &'a self,
        layer: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a ThemeFile)> + 'a {
        let prefix = format!("{layer}/");
        self.files
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(move |(k, f)| (&k[layer.len() + 1..], f))
    }

    /// The file at `path` of `layer` (`static`, `templates`...).
    pub(crate) fn file(&self, layer: &str, path: &str) -> Option<&ThemeFile> {
        self.files.get(&format!("{layer}/{path}"))
    }
}

/// Names of the themes compiled into the binary.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BUILTIN
        .dirs()
        .filter_map(|d| d.path().file_name()?.to_str())
        .collect();
    names.sort_unstable();
    names
}

/// Where a theme's files come from.
enum Origin {
    Local(std::path::PathBuf),
    Builtin(&'static Dir<'static>),
}

/// What `theme.yaml` says.
struct Manifest {
    name: String,
    description: String,
    extends: Option<String>,
    options: Mapping,
    /// `option_types:`: option name to the kind of value it must hold
    /// (`color`), so a bad value is an error at its line in site.yaml, not
    /// a template or CSS error inside the theme.
    option_types: Mapping,
}

/// The kinds of value `option_types:` may name.
const OPTION_TYPES: &[&str] = &["color"];

/// Loads the configured theme (and the themes it extends) and lays the
/// site's own files over it.
pub(crate) fn load(site: &Path, config: &Config, config_text: &str) -> Result<Theme, Diagnostics> {
    let chain = chain(site, config, config_text).map_err(|e| Diagnostics::from_iter([e]))?;
    let mut diagnostics = Diagnostics::new();
    let mut files = BTreeMap::new();
    let mut strings = Vec::new();
    let mut options = Mapping::new();
    let mut types = Mapping::new();
    for (name, origin, manifest) in chain.iter().rev() {
        let mut own = BTreeMap::new();
        match origin {
            Origin::Local(dir) => {
                for layer in LAYERS {
                    read_folder(site, &dir.join(layer), layer, &mut own, &mut diagnostics);
                }
            }
            Origin::Builtin(dir) => add_builtin(dir, name, &mut own),
        }
        split_strings(own, &mut files, &mut strings);
        for (key, value) in &manifest.options {
            options.insert(key.clone(), value.clone());
        }
        types.extend(manifest.option_types.clone());
    }
    if !files.contains_key(MAP_FALLBACK_FOR) {
        add_map_fallback(&mut files, &mut strings);
    }
    let mut own = BTreeMap::new();
    for layer in LAYERS {
        read_folder(site, &site.join(layer), layer, &mut own, &mut diagnostics);
    }
    split_strings(own, &mut files, &mut strings);
    let defaults = options.clone();
    apply_site_options(config, config_text, &mut options, &mut diagnostics);
    check_option_types(config_text, &options, &defaults, &types, &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let manifest = &chain[0].2;
    Ok(Theme {
        name: config.theme.clone(),
        title: manifest.name.clone(),
        description: manifest.description.clone(),
        options: Value::Mapping(options),
        files,
        strings,
    })
}

/// The configured theme and the themes it extends, the configured one
/// first.
fn chain(
    site: &Path,
    config: &Config,
    config_text: &str,
) -> Result<Vec<(String, Origin, Manifest)>, Diagnostic> {
    let mut chain: Vec<(String, Origin, Manifest)> = Vec::new();
    let mut next = Some((config.theme.clone(), None::<String>));
    while let Some((name, required_by)) = next.take() {
        let Some(origin) = find(site, &name) else {
            return Err(unknown_theme(&name, required_by, config_text));
        };
        let manifest = read_manifest(site, &name, &origin)?;
        if let Some(parent) = &manifest.extends {
            if chain.len() >= MAX_EXTENDS
                || chain.iter().any(|(n, ..)| n == parent)
                || *parent == name
            {
                let file = manifest_origin(site, &name, &origin);
                let message = format!("theme \"{name}\" extends \"{parent}\", which makes a loop or a chain deeper than {MAX_EXTENDS}");
                return Err(Diagnostic::error("theme", file, message));
            }
            next = Some((parent.clone(), Some(manifest_origin(site, &name, &origin))));
        }
        chain.push((name, origin, manifest));
    }
    Ok(chain)
}

/// No theme of that name: at `theme:` in site.yaml, or at the top of the
/// `theme.yaml` whose `extends` names it.
fn unknown_theme(name: &str, required_by: Option<String>, config_text: &str) -> Diagnostic {
    let names = builtin_names();
    let message = format!(
        "unknown theme \"{name}\"{}",
        suggestion(name, names.iter().copied())
    );
    let hint = format!(
        "built-in themes: {}; or put your own in themes/{name}/",
        names.join(", ")
    );
    let diagnostic = match &required_by {
        None => Diagnostic::error("unknown-theme", CONFIG_FILE, message)
            .at_pos(Source::new(config_text, CONFIG_FILE, 1).locate(&["theme"])),
        Some(file) => Diagnostic::error("unknown-theme", file, message).at(1, 1),
    };
    diagnostic.with_hint(hint)
}

fn find(site: &Path, name: &str) -> Option<Origin> {
    let local = site.join("themes").join(name);
    if local.is_dir() {
        return Some(Origin::Local(local));
    }
    if name.is_empty() || name.contains(['/', '\\']) {
        return None;
    }
    BUILTIN.get_dir(name).map(Origin::Builtin)
}

fn manifest_origin(site: &Path, name: &str, origin: &Origin) -> String {
    match origin {
        Origin::Local(dir) => display_path(site, &dir.join(THEME_FILE)),
        Origin::Builtin(_) => format!("themes/{name}/{THEME_FILE} (built-in)"),
    }
}

/// Reads `theme.yaml`; a theme without one has its folder name and no options.
fn read_manifest(site: &Path, name: &str, origin: &Origin) -> Result<Manifest, Diagnostic> {
    let file = manifest_origin(site, name, origin);
    let text = match origin {
        Origin::Local(dir) => {
            let path = dir.join(THEME_FILE);
            if !path.is_file() {
                None
            } else {
                let bytes =
                    fs::read(&path).map_err(|e| Diagnostic::error("io", &file, e.to_string()))?;
                Some(crate::base::text::utf8(&bytes, &file)?.to_string())
            }
        }
        Origin::Builtin(dir) => dir
            .get_file(dir.path().join(THEME_FILE))
            .and_then(|f| f.contents_utf8())
            .map(str::to_string),
    };
    let Some(text) = text else {
        return Ok(Manifest {
            name: name.to_string(),
            description: String::new(),
            extends: None,
            options: Mapping::new(),
            option_types: Mapping::new(),
        });
    };
    let source = Source::new(&text, &file, 1);
    let map = source.parse_mapping(THEME_FILE)?;
    let mut fields = Fields::new(&map, source);
    fields.reject_unknown(&["name", "description", "extends", "options", "option_types"]);
    let manifest = Manifest {
        name: fields
            .get("name", "text")
            .unwrap_or_else(|| name.to_string()),
        description: fields.get("description", "text").unwrap_or_default(),
        extends: fields.get("extends", "a theme name"),
        options: fields
            .get("options", "a mapping of option names to default values")
            .unwrap_or_default(),
        option_types: read_option_types(&mut fields),
    };
    match fields.errors.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(manifest),
    }
}

/// Moves `i18n/` files into `strings`, and the rest over `files`.
fn split_strings(
    own: BTreeMap<String, ThemeFile>,
    files: &mut BTreeMap<String, ThemeFile>,
    strings: &mut Vec<(String, ThemeFile)>,
) {
    for (key, file) in own {
        match key.strip_prefix("i18n/") {
            Some(name) => {
                if let Some(language) = name
                    .strip_suffix(".yaml")
                    .or_else(|| name.strip_suffix(".yml"))
                {
                    strings.push((language.to_string(), file));
                }
            }
            None => {
                files.insert(key, file);
            }
        }
    }
}

/// Lays `theme_options` from site.yaml over the theme's options; a name the
/// theme does not have is an error.
fn apply_site_options(
    config: &Config,
    config_text: &str,
    options: &mut Mapping,
    diagnostics: &mut Diagnostics,
) {
    let Value::Mapping(site_options) = &config.theme_options else {
        return;
    };
    let source = Source::new(config_text, CONFIG_FILE, 1);
    for (key, value) in site_options {
        let Some(name) = key.as_str() else { continue };
        if options.contains_key(name) {
            options.insert(key.clone(), value.clone());
            continue;
        }
        let known: Vec<&str> = options.keys().filter_map(Value::as_str).collect();
        let message = format!(
            "theme \"{}\" has no option `{name}`{}",
            config.theme,
            suggestion(name, known.iter().copied())
        );
        let hint = if known.is_empty() {
            "this theme has no options".to_string()
        } else {
            format!("its options: {}", known.join(", "))
        };
        diagnostics.push(
            Diagnostic::error("unknown-key", CONFIG_FILE, message)
                .at_pos(source.locate_key(&["theme_options", name]))
                .with_hint(hint),
        );
    }
}

/// `option_types:` of a theme.yaml: each a name from [`OPTION_TYPES`].
fn read_option_types(fields: &mut Fields) -> Mapping {
    let types: Mapping = fields
        .get(
            "option_types",
            "a mapping of option names to types such as `color`",
        )
        .unwrap_or_default();
    for (name, kind) in &types {
        if !kind.as_str().is_some_and(|k| OPTION_TYPES.contains(&k)) {
            let name = name.as_str().unwrap_or_default().to_string();
            let message = format!(
                "option type of `{name}` must be one of: {}",
                OPTION_TYPES.join(", ")
            );
            fields.error("invalid-value", "option_types", message);
        }
    }
    types
}

/// Checks the site's `theme_options` against the theme's `option_types`;
/// an option left at the theme's default is the theme's business.
fn check_option_types(
    config_text: &str,
    options: &Mapping,
    defaults: &Mapping,
    types: &Mapping,
    diagnostics: &mut Diagnostics,
) {
    let source = Source::new(config_text, CONFIG_FILE, 1);
    for (key, kind) in types {
        let (Some(name), Some(value)) = (key.as_str(), options.get(key)) else {
            continue;
        };
        if defaults.get(key) == Some(value) || kind.as_str() != Some("color") {
            continue;
        }
        let empty_default = defaults.get(key).and_then(Value::as_str) == Some("");
        let ok = value
            .as_str()
            .is_some_and(|v| is_css_color(v) || (v.is_empty() && empty_default));
        if !ok {
            let message = format!(
                "theme option `{name}` must be a colour such as \"#1f5f99\", found {}",
                crate::base::yaml::describe(value)
            );
            diagnostics.push(
                Diagnostic::error("invalid-value", CONFIG_FILE, message)
                    .at_pos(source.locate(&["theme_options", name]))
                    .with_hint("write a CSS colour: `#rrggbb`, `#rgb`, a name like `teal`, or `rgb(31 95 153)`"),
            );
        }
    }
}

/// A CSS colour: `#` and 3, 4, 6 or 8 hex digits, a keyword (`teal`), or a
/// colour function (`rgb(...)`, `oklch(...)`) of numbers, units and commas.
fn is_css_color(text: &str) -> bool {
    if let Some(hex) = text.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphabetic()) {
        return true;
    }
    let Some((function, rest)) = text.split_once('(') else {
        return false;
    };
    let Some(args) = rest.strip_suffix(')') else {
        return false;
    };
    !function.is_empty()
        && function.chars().all(|c| c.is_ascii_alphabetic())
        && args
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " .,%/+-".contains(c))
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

/// The template a theme draws its funnel map with.
const MAP_FALLBACK_FOR: &str = "templates/funnel.html";

/// The standalone map page for a theme without `funnel.html` (a site-local
/// theme that extends no built-in one). It draws the board with starter's
/// map partials, strings and board CSS, so there is one drawing of the
/// map, not a second one for such themes.
const MAP_FALLBACK: &str = include_str!("map_fallback.html");

/// Adds [`MAP_FALLBACK`] as `funnel.html`, with what it needs from starter
/// that the theme lacks: the `_map_*` partials, the board CSS as the
/// template `_map_board.css`, and starter's strings under the theme's own.
fn add_map_fallback(
    files: &mut BTreeMap<String, ThemeFile>,
    strings: &mut Vec<(String, ThemeFile)>,
) {
    let builtin = |bytes: &'static [u8], origin: &str| ThemeFile {
        bytes: Cow::Borrowed(bytes),
        origin: format!("{origin} (built-in)"),
    };
    let fallback = builtin(MAP_FALLBACK.as_bytes(), "the standalone funnel map");
    files.insert(MAP_FALLBACK_FOR.to_string(), fallback);
    let starter = BUILTIN.get_dir("starter").expect("starter is built in");
    let mut starter_files = BTreeMap::new();
    add_builtin(starter, "starter", &mut starter_files);
    for (key, file) in starter_files {
        let name = key.rsplit('/').next().unwrap_or(&key).to_string();
        if key.starts_with("templates/_map_") {
            files.entry(key).or_insert(file);
        } else if key == "css/_map-board.css" {
            files.insert("templates/_map_board.css".to_string(), file);
        } else if let Some(language) = key
            .strip_prefix("i18n/")
            .and_then(|_| name.strip_suffix(".yaml"))
        {
            strings.insert(0, (language.to_string(), file));
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
