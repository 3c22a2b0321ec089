//! `funnelcake new DIR`: a site that builds and checks clean at once.
//!
//! The skeleton (in `src/skeleton/`) is compiled into the binary: a
//! three-stage journey with a landing page, an opt-in with its thank-you
//! page, a tripwire offer, and a privacy page. It uses components, so a new
//! user sees the syntax in working pages.

use crate::input::theme;
use include_dir::{include_dir, Dir};
use std::path::{Path, PathBuf};

static SKELETON: Dir = include_dir!("$CARGO_MANIFEST_DIR/src/skeleton");

const GITIGNORE: &str = "# Build output, its staging folder while a build runs, and dev-server form submissions\n/public/\n/.public.funnelcake-staging/\n/.funnelcake/\n";

/// Writes a new site into `dir`, which must not exist or be empty; returns
/// the files written, relative to `dir`.
pub fn new_site(dir: &Path, theme_name: &str) -> Result<Vec<PathBuf>, String> {
    let themes = theme::builtin_names();
    if !themes.contains(&theme_name) {
        return Err(format!(
            "unknown theme \"{theme_name}\"{}; built-in themes: {}",
            crate::base::diagnostics::suggestion(theme_name, themes.iter().copied()),
            themes.join(", ")
        ));
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            if entries.into_iter().next().is_some() {
                return Err(format!(
                    "{} already exists and is not empty; choose a new folder",
                    dir.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    }
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut stack = vec![&SKELETON];
    while let Some(folder) = stack.pop() {
        stack.extend(folder.dirs());
        for file in folder.files() {
            let mut bytes = file.contents().to_vec();
            if file.path() == Path::new("site.yaml") {
                let text = String::from_utf8_lossy(&bytes)
                    .replace("theme: starter", &format!("theme: {theme_name}"));
                bytes = text.into_bytes();
            }
            files.push((file.path().to_path_buf(), bytes));
        }
    }
    files.push((PathBuf::from(".gitignore"), GITIGNORE.as_bytes().to_vec()));
    files.sort();
    for (path, bytes) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}
