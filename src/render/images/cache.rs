//! The image cache, `SITE/.funnelcake/cache/images/`: one file per encoded
//! variant, named by the hash of everything that makes its bytes (source
//! bytes, width, format, quality, [`ENGINE`]), and one small file per
//! source with its upright dimensions, so a cached build decodes nothing.
//! A changed source or setting gives a new name, so a stale entry is never
//! read. Every write is a temporary file renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use xxhash_rust::xxh3::xxh3_128;

/// Changes whenever the engine would make different bytes for the same
/// input (an encoder setting, a crate upgrade): old entries are then unused.
pub(crate) const ENGINE: &str = "funnelcake-images-5";

/// The cache folder under a site.
pub(crate) fn folder(site: &Path) -> PathBuf {
    site.join(".funnelcake").join("cache").join("images")
}

/// A hex hash of `parts`, each length-prefixed so no two inputs collide.
pub(crate) fn key(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for part in parts {
        all.extend_from_slice(&(part.len() as u64).to_le_bytes());
        all.extend_from_slice(part);
    }
    format!("{:032x}", xxh3_128(&all))
}

/// Reads a cache entry, `None` when there is none.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// Writes a cache entry atomically: readers see the old file, none, or the
/// whole new one. A failure to write the cache is not a build error.
pub(crate) fn write(path: &Path, bytes: &[u8]) {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let Some(folder) = path.parent() else {
        return;
    };
    if std::fs::create_dir_all(folder).is_err() {
        return;
    }
    let unique = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let temp = folder.join(format!(".tmp-{}-{unique}", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| file.write_all(bytes));
    if written.is_err() || std::fs::rename(&temp, path).is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

/// The dimensions file's text: `WIDTH HEIGHT ALPHA`.
pub(crate) fn dimensions_text(width: u32, height: u32, alpha: bool) -> String {
    format!("{width} {height} {}", u8::from(alpha))
}

/// Parses [`dimensions_text`].
pub(crate) fn parse_dimensions(text: &[u8]) -> Option<(u32, u32, bool)> {
    let text = std::str::from_utf8(text).ok()?;
    let mut parts = text.split(' ');
    let width = parts.next()?.parse().ok()?;
    let height = parts.next()?.parse().ok()?;
    let alpha = parts.next()? == "1";
    Some((width, height, alpha))
}
