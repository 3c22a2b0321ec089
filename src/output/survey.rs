//! What a commit knows of the paths in OUT, asked of the file system at
//! most once per folder.
//!
//! Committing a build checks, for every file, each folder above it (is it
//! a link, a file of the user's, missing?) and then creates the missing
//! ones. Asked file by file, a fresh build of 100,000 pages looks its few
//! section folders up 100,000 times each; here each folder is looked up
//! once, and nothing below a missing folder is looked up at all. The
//! commit tells the survey what it changes, so the answers stay true.

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// What stands at a path in OUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    Nothing,
    Folder,
    /// A folder this commit created: it holds only what the commit placed.
    Made,
    File,
    Link,
}

impl Found {
    /// A folder, or a link that may lead to one, so the file system must
    /// be asked about what is below it.
    pub(super) fn may_hold_things(self) -> bool {
        matches!(self, Found::Folder | Found::Link)
    }
}

pub(super) struct Survey {
    out: PathBuf,
    /// Folders (and OUT itself, as "") looked up or changed so far.
    known: FxHashMap<String, Found>,
}

impl Survey {
    pub(super) fn new(out: &Path) -> Survey {
        Survey {
            out: out.to_path_buf(),
            known: FxHashMap::default(),
        }
    }

    /// What stands at `folder` (relative to OUT, "" for OUT itself),
    /// remembered for the rest of the commit.
    pub(super) fn folder(&mut self, folder: &str) -> Found {
        if let Some(found) = self.known.get(folder) {
            return *found;
        }
        let found = self.look(folder);
        self.known.insert(folder.to_string(), found);
        found
    }

    /// What stands at `path`, not remembered: each file is asked about
    /// once or twice, and a fresh build would fill the map with them.
    pub(super) fn file(&mut self, path: &str) -> Found {
        self.known
            .get(path)
            .copied()
            .unwrap_or_else(|| self.look(path))
    }

    /// Records a folder this commit created.
    pub(super) fn made(&mut self, folder: &str) {
        self.known.insert(folder.to_string(), Found::Made);
    }

    /// Records that the commit moved or removed what stood at `path`.
    pub(super) fn gone(&mut self, path: &str) {
        if let Some(found) = self.known.get_mut(path) {
            *found = Found::Nothing;
        }
    }

    /// Asks the file system, unless the folder above says there is nothing.
    fn look(&mut self, path: &str) -> Found {
        if !path.is_empty() {
            let parent = path.rfind('/').map_or("", |i| &path[..i]);
            if !self.folder(parent).may_hold_things() {
                return Found::Nothing;
            }
        }
        match self.out.join(path).symlink_metadata() {
            Err(_) => Found::Nothing,
            Ok(meta) if meta.file_type().is_symlink() => Found::Link,
            Ok(meta) if meta.is_dir() => Found::Folder,
            Ok(_) => Found::File,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_below_a_missing_folder_and_what_the_commit_changed_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("a/b")).unwrap();
        std::fs::write(out.join("a/f.html"), "x").unwrap();
        let mut survey = Survey::new(&out);
        assert_eq!(survey.folder("a/b"), Found::Folder);
        assert_eq!(survey.file("a/f.html"), Found::File);
        assert_eq!(survey.folder("a/f.html/c"), Found::Nothing);
        assert_eq!(survey.folder("z/y"), Found::Nothing);
        // Created behind the survey's back: below a folder it knows is
        // missing, it is not asked again.
        std::fs::create_dir_all(out.join("z/y")).unwrap();
        assert_eq!(survey.folder("z/y"), Found::Nothing);
        survey.made("z");
        assert_eq!(survey.file("z/index.html"), Found::Nothing);
        survey.gone("a/b");
        assert_eq!(survey.folder("a/b"), Found::Nothing);
    }
}
