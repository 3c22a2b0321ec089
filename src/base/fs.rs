//! File system helpers whose errors name the path they failed on.
//!
//! Every read and write of the pipeline goes through these few wrappers, so
//! an I/O failure always says which file it was about.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An I/O error with the path and the operation that failed.
#[derive(Debug)]
pub(crate) struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for FsError {}

pub(crate) type FsResult<T> = Result<T, FsError>;

fn wrap<T>(action: &'static str, path: &Path, result: io::Result<T>) -> FsResult<T> {
    result.map_err(|source| FsError {
        action,
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn read(path: &Path) -> FsResult<Vec<u8>> {
    wrap("read", path, std::fs::read(path))
}

pub(crate) fn read_to_string(path: &Path) -> FsResult<String> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|_| FsError {
        action: "read",
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text"),
    })
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> FsResult<()> {
    wrap("write", path, std::fs::write(path, bytes))
}

/// Writes a new file at `path`, creating the folders above it if they are
/// missing; `Ok(false)`, writing nothing, when a file is already there.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> FsResult<bool> {
    use std::io::Write;
    let create = || std::fs::File::create_new(path);
    let file = match create() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                create_dir_all(parent)?;
            }
            create()
        }
        other => other,
    };
    match file {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => wrap("write", path, Err(e)),
        Ok(mut file) => wrap("write", path, file.write_all(bytes)).map(|()| true),
    }
}

pub(crate) fn create_dir_all(path: &Path) -> FsResult<()> {
    wrap("create folder", path, std::fs::create_dir_all(path))
}

pub(crate) fn create_dir(path: &Path) -> FsResult<()> {
    wrap("create folder", path, std::fs::create_dir(path))
}

pub(crate) fn rename(from: &Path, to: &Path) -> FsResult<()> {
    wrap("move into place", to, std::fs::rename(from, to))
}

pub(crate) fn remove_dir_all(path: &Path) -> FsResult<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => wrap("remove folder", path, other),
    }
}

/// True when the file at `path` already holds exactly `bytes`; a cheap size
/// check first, so most changed files are never read.
pub(crate) fn has_contents(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            std::fs::read(path).is_ok_and(|existing| existing == bytes)
        }
        _ => false,
    }
}

/// Hidden files, editor swap and backup files: never part of a site.
pub(crate) fn is_editor_junk(name: &std::ffi::OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.starts_with('#')
        || name == "4913"
}

/// Absolute, normalised form of `path` without touching the disk for parts
/// that do not exist yet (an output folder may not exist). Each `..` is
/// applied to the path as resolved so far, symlinks included, so it goes
/// where the operating system would go; after a part that does not exist it
/// simply drops that part (`site/public/..` is `site` before `public/` exists).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut result = PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                result = resolve_existing(&result);
                result.pop();
            }
            other => result.push(other),
        }
    }
    resolve_existing(&result)
}

/// Canonicalises the longest existing prefix of `path` (which holds no
/// `..`) so symlinks cannot hide that two paths are the same folder, and
/// appends the parts that do not exist yet.
fn resolve_existing(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => break,
        }
    }
    let mut result = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.into_iter().rev() {
        result.push(name);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_goes_where_the_operating_system_goes() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("site/content")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere/inner")).unwrap();
        let cases = [
            ("site/public/..", "site"),
            ("missing/../site", "site"),
            ("site/x/../content", "site/content"),
            ("site/./content/../../site", "site"),
            ("new/a/b/../c", "new/a/c"),
        ];
        for (path, expected) in cases {
            assert_eq!(absolute(&root.join(path)), root.join(expected), "{path}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("elsewhere/inner"), root.join("site/link"))
                .unwrap();
            // `..` after a link leaves the folder it points at, as the OS does.
            assert_eq!(absolute(&root.join("site/link/..")), root.join("elsewhere"));
            assert_eq!(
                absolute(&root.join("site/link/x/..")),
                root.join("elsewhere/inner")
            );
        }
    }
}
