//! Writing the build to OUT: the last stage, and the only one that touches
//! the disk.
//!
//! Output is written in two phases so that a build that fails half way
//! leaves OUT exactly as it was. While rendering, each file whose bytes
//! differ from what OUT already holds is written into a staging folder
//! inside OUT (unchanged files are skipped: on a slow disk, writes cost far
//! more than rendering). Only when every page rendered does [`Writer::commit`]
//! move the staged files into place, one rename each (so no reader ever sees
//! a half-written file), and remove the files the new build no longer makes.
//! [`Writer::abort`] throws the staging folder away.

use crate::base::fs::{self, FsResult};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const STAGING_DIR: &str = ".funnelcake-staging";

/// Folders inside OUT that a build never removes: version control of a
/// deploy checkout, and our own staging folder.
const PRESERVED: &[&str] = &[".git", STAGING_DIR];

/// What happened to one output file while staging.
#[derive(Debug)]
pub(crate) struct Staged {
    path: String,
    /// The staged copy, or `None` when OUT already holds these bytes.
    staged: Option<PathBuf>,
}

/// Counts of a commit, for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Stages output files and commits or aborts them as one.
#[derive(Debug)]
pub(crate) struct Writer {
    out: PathBuf,
    staging: PathBuf,
    created_out: bool,
    counter: AtomicUsize,
}

impl Writer {
    pub(crate) fn new(out: &Path) -> FsResult<Writer> {
        let created_out = !out.exists();
        let staging = out.join(STAGING_DIR);
        fs::remove_dir_all(&staging)?;
        fs::create_dir_all(&staging)?;
        Ok(Writer {
            out: out.to_path_buf(),
            staging,
            created_out,
            counter: AtomicUsize::new(0),
        })
    }

    /// Stages one file; safe to call from many threads.
    pub(crate) fn stage(&self, path: &str, bytes: &[u8]) -> FsResult<Staged> {
        if fs::has_contents(&self.out.join(path), bytes) {
            return Ok(Staged {
                path: path.to_string(),
                staged: None,
            });
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let staged = self.staging.join(n.to_string());
        fs::write(&staged, bytes)?;
        Ok(Staged {
            path: path.to_string(),
            staged: Some(staged),
        })
    }

    /// Moves every staged file into place and removes stale files.
    pub(crate) fn commit(self, files: Vec<Staged>) -> FsResult<WriteStats> {
        let mut stats = WriteStats::default();
        let keep: HashSet<PathBuf> = files.iter().map(|f| self.out.join(&f.path)).collect();
        for file in files {
            let Some(staged) = file.staged else {
                stats.unchanged += 1;
                continue;
            };
            let target = self.out.join(&file.path);
            make_room(&self.out, &target)?;
            fs::rename(&staged, &target)?;
            stats.written += 1;
        }
        fs::remove_dir_all(&self.staging)?;
        stats.removed = remove_stale(&self.out, &keep)?;
        Ok(stats)
    }

    /// Throws away everything staged; OUT is left as it was before the build.
    pub(crate) fn abort(self) {
        // Best effort: the build already failed, and this error would hide its cause.
        let _ = fs::remove_dir_all(&self.staging);
        if self.created_out {
            let _ = std::fs::remove_dir(&self.out);
        }
    }
}

/// Creates the parent folders of `target`, replacing any file that stands
/// where a folder must go (or a folder where the file must go).
fn make_room(out: &Path, target: &Path) -> FsResult<()> {
    let parent = target.parent().unwrap_or(out);
    let mut ancestor = parent;
    while ancestor.starts_with(out) && ancestor != out {
        if ancestor.is_file() {
            fs::remove_file(ancestor)?;
        }
        ancestor = ancestor.parent().unwrap_or(out);
    }
    fs::create_dir_all(parent)?;
    if target.is_dir() {
        fs::remove_dir_all(target)?;
    }
    Ok(())
}

/// Removes files under `out` that are not in `keep`, then empty folders.
fn remove_stale(out: &Path, keep: &HashSet<PathBuf>) -> FsResult<usize> {
    let mut removed = 0;
    let mut dirs = Vec::new();
    let walker = walkdir::WalkDir::new(out).min_depth(1).contents_first(true);
    let entries = walker.into_iter().filter_entry(|e| {
        !(e.depth() == 1
            && e.file_name()
                .to_str()
                .is_some_and(|n| PRESERVED.contains(&n)))
    });
    for entry in entries.flatten() {
        if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        } else if !keep.contains(entry.path()) {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    for dir in dirs {
        // Only empty folders go; a failure means the folder still holds output.
        let _ = std::fs::remove_dir(&dir);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage_all(writer: &Writer, files: &[(&str, &str)]) -> Vec<Staged> {
        files
            .iter()
            .map(|(p, b)| writer.stage(p, b.as_bytes()).unwrap())
            .collect()
    }

    #[test]
    fn commit_writes_changed_files_and_removes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let writer = Writer::new(&out).unwrap();
        let staged = stage_all(
            &writer,
            &[
                ("index.html", "home"),
                ("a/index.html", "a"),
                ("old.txt", "x"),
            ],
        );
        assert_eq!(writer.commit(staged).unwrap().written, 3);

        let writer = Writer::new(&out).unwrap();
        let staged = stage_all(&writer, &[("index.html", "home"), ("a/index.html", "A")]);
        let stats = writer.commit(staged).unwrap();
        assert_eq!(
            stats,
            WriteStats {
                written: 1,
                unchanged: 1,
                removed: 1
            }
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A"
        );
        assert!(!out.join("old.txt").exists());
        assert!(!out.join(STAGING_DIR).exists());
    }

    #[test]
    fn abort_leaves_out_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("index.html"), "old").unwrap();
        let writer = Writer::new(&out).unwrap();
        stage_all(&writer, &[("index.html", "new")]);
        writer.abort();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);

        let fresh = dir.path().join("fresh");
        Writer::new(&fresh).unwrap().abort();
        assert!(!fresh.exists());
    }

    #[test]
    fn a_file_can_become_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let writer = Writer::new(&out).unwrap();
        let staged = stage_all(&writer, &[("a", "file")]);
        writer.commit(staged).unwrap();
        let writer = Writer::new(&out).unwrap();
        let staged = stage_all(&writer, &[("a/index.html", "page")]);
        writer.commit(staged).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "page"
        );
    }
}
