//! Writing the build to OUT: the last stage, and the only one that touches
//! the disk.
//!
//! funnelcake only ever deletes files it wrote. OUT holds a manifest
//! ([`MANIFEST`]) of the files and folders funnelcake wrote there; a new
//! build removes the files of the old manifest that it no longer makes, and
//! the folders funnelcake created once they are empty. Anything else in OUT
//! is the user's and stays. A non-empty OUT without a manifest is refused,
//! unless `force`, which writes same-named files and deletes nothing.
//!
//! Output is written in two phases so that a build that fails half way
//! leaves OUT exactly as it was. While rendering, each file whose bytes
//! differ from what OUT already holds is written into a staging folder
//! beside OUT (unchanged files are skipped: on a slow disk, writes cost far
//! more than rendering). Only when every page rendered does [`Writer::commit`]
//! move the staged files into place, one rename each (so no reader ever sees
//! a half-written file; an OUT that does not exist yet arrives whole, in
//! one rename of the staged tree), moving each file it replaces or removes into the
//! staging folder first; if any step fails, every step is undone, so OUT is
//! the old build again, or the error names the files that could not be put
//! back. The staging folder holds a lock file, so a second build into the
//! same OUT is refused while one is running; it is removed on every path.

use crate::base::diagnostics::Diagnostic;
use crate::base::fs::{self, FsError, FsResult};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use survey::{Found, Survey};

mod survey;

/// The manifest in OUT: the files and folders funnelcake wrote there.
pub(crate) const MANIFEST: &str = ".funnelcake-manifest";

/// The staging folder's name inside OUT, used only when OUT is a mount
/// point (a rename cannot cross file systems, so staging must be on OUT's).
const STAGING_INSIDE: &str = ".funnelcake-staging";

/// Top-level entries of OUT that are not the user's files: version control
/// of a deploy checkout (never touched), our manifest and staging folder.
const NOT_USER_FILES: &[&str] = &[".git", MANIFEST, STAGING_INSIDE];

/// The staging folder's folders: the new files, staged as the tree they
/// make in OUT; a second file staged for one path; the old files a commit
/// replaced or removed, kept until it is done.
const TREE: &str = "new";
const ASIDE: &str = "aside";
const BACKUPS: &str = "old";

/// How many conflicting files an error lists before it says "and N more".
const LISTED: usize = 10;

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

/// The manifest's content: paths relative to OUT with `/` separators,
/// sorted, so the same build always writes the same bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    /// Says what the file is to whoever opens it; not read back.
    #[serde(default)]
    about: String,
    files: BTreeSet<String>,
    /// Folders funnelcake created (never one the user made); removed once
    /// no file of the build needs them and they are empty.
    folders: BTreeSet<String>,
}

const ABOUT: &str = "Written by funnelcake: the files and folders it wrote into this folder. A build deletes only these; keep this file.";

/// Stages output files and commits or aborts them as one.
#[derive(Debug)]
pub(crate) struct Writer {
    out: PathBuf,
    staging: PathBuf,
    /// Held for the whole build: the lock that keeps a second build out.
    lock: Option<std::fs::File>,
    /// The manifest of the build in OUT, if there is one.
    previous: Option<Manifest>,
    force: bool,
    /// Names the files staged aside (see `stage`).
    counter: AtomicUsize,
    /// After a commit whose undo failed, the staging folder keeps the old
    /// files that could not be put back.
    keep_backups: bool,
}

impl Writer {
    /// Locks OUT for this build and reads its manifest. `out` must be
    /// absolute and normalised ([`fs::absolute`]). Refuses a non-empty OUT
    /// that funnelcake did not build, unless `force`.
    pub(crate) fn new(out: &Path, force: bool) -> Result<Writer, Diagnostic> {
        let staging = staging_folder(out);
        let lock = take_lock(out, &staging)?;
        let mut writer = Writer {
            out: out.to_path_buf(),
            staging,
            lock: Some(lock),
            previous: None,
            force,
            counter: AtomicUsize::new(0),
            keep_backups: false,
        };
        // A build that was killed leaves its staged files: they are ours.
        fs::remove_dir_all(&writer.staging.join(ASIDE)).map_err(io)?;
        for sub in [TREE, BACKUPS] {
            let folder = writer.staging.join(sub);
            fs::remove_dir_all(&folder).map_err(io)?;
            fs::create_dir_all(&folder).map_err(io)?;
        }
        writer.previous = read_manifest(out, force)?;
        if writer.previous.is_none() && !force {
            refuse_unmanaged(out)?;
        }
        Ok(writer)
    }

    /// Stages one file; safe to call from many threads.
    pub(crate) fn stage(&self, path: &str, bytes: &[u8]) -> FsResult<Staged> {
        if fs::has_contents(&self.out.join(path), bytes) {
            return Ok(Staged {
                path: path.to_string(),
                staged: None,
            });
        }
        // Staged where it goes in OUT, so that an OUT that does not exist
        // yet arrives whole (see `apply`). A second file for the same path
        // (a static file named like a page, say) goes aside: which one wins
        // is decided in `commit`, in the build's order, not by which thread
        // wrote first.
        let mut staged = self.staging.join(TREE).join(path);
        if !fs::write_new(&staged, bytes)? {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            staged = self.staging.join(ASIDE).join(n.to_string());
            fs::write_new(&staged, bytes)?;
        }
        Ok(Staged {
            path: path.to_string(),
            staged: Some(staged),
        })
    }

    /// Moves every staged file into place and removes the files of the
    /// previous build that this one no longer makes. On failure every step
    /// is undone, or the error names what could not be.
    pub(crate) fn commit(mut self, files: Vec<Staged>) -> Result<WriteStats, Diagnostic> {
        let files = self.last_of_each_path(files).map_err(io)?;
        let old = self.previous.take().unwrap_or_default();
        let mut survey = Survey::new(&self.out);
        let plan = Plan::new(&self.out, &old, &files, self.force, &mut survey);
        self.check_conflicts(&old, &files, &mut survey)?;
        let mut journal = Journal {
            steps: Vec::new(),
            backups: self.staging.join(BACKUPS),
            count: 0,
        };
        match self.apply(&old, &plan, files, &mut journal, &mut survey) {
            Ok(stats) => Ok(stats),
            Err(error) => Err(self.roll_back(journal, error)),
        }
    }

    /// Keeps, of several files for one path, the last in the build's
    /// order, and puts its bytes where that path is staged.
    fn last_of_each_path(&self, files: Vec<Staged>) -> FsResult<Vec<Staged>> {
        let mut last: FxHashMap<&str, usize> =
            FxHashMap::with_capacity_and_hasher(files.len(), Default::default());
        for (i, file) in files.iter().enumerate() {
            last.insert(&file.path, i);
        }
        if last.len() == files.len() {
            return Ok(files);
        }
        let keep: FxHashSet<usize> = last.into_values().collect();
        let mut kept = Vec::with_capacity(keep.len());
        for (i, mut file) in files.into_iter().enumerate() {
            if !keep.contains(&i) {
                continue;
            }
            // A copy of the path left in the tree by a file not kept is
            // never placed; an OUT that does not exist, which gets the
            // whole tree, has no unchanged files, so none is kept there.
            let tree = self.staging.join(TREE).join(&file.path);
            if let Some(aside) = file.staged.take_if(|staged| *staged != tree) {
                fs::rename(&aside, &tree)?;
                file.staged = Some(tree);
            }
            kept.push(file);
        }
        Ok(kept)
    }

    /// Throws away everything staged; OUT is left as it was before the build.
    pub(crate) fn abort(self) {}

    fn apply(
        &self,
        old: &Manifest,
        plan: &Plan,
        files: Vec<Staged>,
        journal: &mut Journal,
        survey: &mut Survey,
    ) -> FsResult<WriteStats> {
        let mut stats = WriteStats::default();
        let manifest = manifest_bytes(&plan.manifest);
        if !survey.folder("").may_hold_things() {
            if files.iter().all(|f| f.staged.is_some()) {
                return self.arrive_whole(&manifest, files.len(), journal);
            }
            journal.create_dir(&self.out)?;
            survey.made("");
        }
        let manifest_changes = !fs::has_contents(&self.out.join(MANIFEST), manifest.as_bytes());
        let adds = !plan.manifest.files.is_subset(&old.files)
            || !plan.manifest.folders.is_subset(&old.folders);
        if manifest_changes && adds {
            // First record every file this commit may leave in OUT, so
            // that even a build killed half way leaves only files a
            // manifest names.
            let intent = Manifest {
                about: ABOUT.into(),
                files: old.files.union(&plan.manifest.files).cloned().collect(),
                folders: old.folders.union(&plan.manifest.folders).cloned().collect(),
            };
            self.place_manifest(&manifest_bytes(&intent), journal, survey)?;
        }
        stats.removed = self.remove_stale(old, plan, journal, survey)?;
        for file in files {
            match file.staged {
                Some(staged) => {
                    self.place(&file.path, &staged, journal, survey)?;
                    stats.written += 1;
                }
                None => stats.unchanged += 1,
            }
        }
        if manifest_changes {
            self.place_manifest(&manifest, journal, survey)?;
        }
        Ok(stats)
    }

    /// An OUT that does not exist yet (a host's fresh checkout) gets the
    /// staged tree, with its manifest, in one rename: nobody sees it half
    /// made, and 100,000 pages cost one move instead of a folder and a move
    /// each.
    fn arrive_whole(
        &self,
        manifest: &str,
        written: usize,
        journal: &mut Journal,
    ) -> FsResult<WriteStats> {
        let tree = self.staging.join(TREE);
        fs::write(&tree.join(MANIFEST), manifest.as_bytes())?;
        rename(&tree, &self.out)?;
        journal.steps.push(Step::Arrived {
            out: self.out.clone(),
            tree,
        });
        Ok(WriteStats {
            written,
            ..WriteStats::default()
        })
    }

    /// Moves one staged file to `path` in OUT, the file it replaces into
    /// the staging folder.
    fn place(
        &self,
        path: &str,
        staged: &Path,
        journal: &mut Journal,
        survey: &mut Survey,
    ) -> FsResult<()> {
        self.make_parents(path, journal, survey)?;
        let target = self.out.join(path);
        match survey.file(path) {
            // Only a folder funnelcake created and emptied may be here
            // (see check_conflicts); one that still holds files is the user's.
            Found::Folder | Found::Made => {
                let source = std::io::Error::other(
                    "a folder holding files funnelcake did not write stands where this file goes",
                );
                return Err(FsError {
                    action: "write",
                    path: target,
                    source,
                });
            }
            Found::File | Found::Link => journal.back_up(&target)?,
            Found::Nothing => {}
        }
        rename(staged, &target)?;
        journal.steps.push(Step::Placed(target));
        Ok(())
    }

    /// Writes a manifest into OUT through the staging folder, in one rename.
    fn place_manifest(
        &self,
        bytes: &str,
        journal: &mut Journal,
        survey: &mut Survey,
    ) -> FsResult<()> {
        let staged = self.staging.join(TREE).join(MANIFEST);
        fs::write(&staged, bytes.as_bytes())?;
        self.place(MANIFEST, &staged, journal, survey)
    }

    /// Moves the previous build's files that this one does not make out of
    /// OUT, then removes the folders funnelcake created that are now empty
    /// and unneeded. `force` deletes nothing.
    fn remove_stale(
        &self,
        old: &Manifest,
        plan: &Plan,
        journal: &mut Journal,
        survey: &mut Survey,
    ) -> FsResult<usize> {
        if self.force {
            return Ok(0);
        }
        let mut removed = 0;
        for path in old.files.difference(&plan.manifest.files) {
            let is_file = matches!(survey.file(path), Found::File | Found::Link);
            if is_file && !through_link(path, survey) {
                journal.back_up(&self.out.join(path))?;
                survey.gone(path);
                removed += 1;
            }
        }
        // Reverse order puts every folder after the folders inside it.
        let unneeded: Vec<&String> = old.folders.difference(&plan.manifest.folders).collect();
        for folder in unneeded.into_iter().rev() {
            let dir = self.out.join(folder);
            if !through_link(folder, survey) && std::fs::remove_dir(&dir).is_ok() {
                journal.steps.push(Step::RemovedDir(dir));
                survey.gone(folder);
            }
        }
        Ok(removed)
    }

    /// Creates the missing folders above `path`, one by one, so each can be
    /// undone. The conflict check has made sure nothing else stands there.
    fn make_parents(&self, path: &str, journal: &mut Journal, survey: &mut Survey) -> FsResult<()> {
        for folder in ancestors(path) {
            if let Found::Nothing | Found::File = survey.folder(folder) {
                journal.create_dir(&self.out.join(folder))?;
                survey.made(folder);
            }
        }
        Ok(())
    }

    /// Refuses, before anything changes, a commit that would overwrite or
    /// go through something in OUT that funnelcake did not write.
    fn check_conflicts(
        &self,
        old: &Manifest,
        files: &[Staged],
        survey: &mut Survey,
    ) -> Result<(), Diagnostic> {
        let mut conflicts = BTreeSet::new();
        for file in files.iter().filter(|f| f.staged.is_some()) {
            for folder in ancestors(&file.path) {
                match survey.folder(folder) {
                    Found::Link => {
                        conflicts.insert(format!(
                            "{folder} (a symbolic link, where funnelcake needs a folder)"
                        ));
                    }
                    Found::File if self.force || !old.files.contains(folder) => {
                        conflicts.insert(format!(
                            "{folder} (a file, where funnelcake needs a folder)"
                        ));
                    }
                    Found::Folder | Found::Made | Found::File => continue,
                    Found::Nothing => {}
                }
                break;
            }
            let is_dir = match survey.file(&file.path) {
                Found::Nothing => continue,
                found => matches!(found, Found::Folder | Found::Made),
            };
            let ours = if is_dir {
                !self.force && old.folders.contains(&file.path)
            } else {
                self.force || old.files.contains(&file.path)
            };
            if !ours {
                let what = if is_dir {
                    "a folder"
                } else {
                    "a file funnelcake did not write"
                };
                conflicts.insert(format!("{} ({what})", file.path));
            }
        }
        if conflicts.is_empty() {
            return Ok(());
        }
        Err(conflict_error(&self.out, &conflicts))
    }

    /// Undoes a failed commit and says what happened.
    fn roll_back(&mut self, journal: Journal, error: FsError) -> Diagnostic {
        let out = self.out.display();
        let left = journal.undo(&self.out);
        if left.is_empty() {
            let message =
                format!("{error}; every file in {out} was put back as it was before this build");
            return Diagnostic::error("io", out.to_string(), message);
        }
        self.keep_backups = true;
        let message = format!(
            "{error}; and these files could not be put back, so {out} is part old build, part new: {}",
            listed(left.iter())
        );
        let hint = format!(
            "the previous versions are in {} until the next build; fix the cause above and build again",
            self.staging.join(BACKUPS).display()
        );
        Diagnostic::error("output-partial", out.to_string(), message).with_hint(hint)
    }
}

impl Drop for Writer {
    /// Removes the staging folder on every path (its lock file last), and
    /// then releases the lock.
    fn drop(&mut self) {
        // Best effort: an error here would hide the build's own result.
        let _ = std::fs::remove_dir_all(self.staging.join(TREE));
        let _ = std::fs::remove_dir_all(self.staging.join(ASIDE));
        if !self.keep_backups {
            let _ = std::fs::remove_dir_all(self.staging.join(BACKUPS));
            let _ = std::fs::remove_file(self.staging.join(LOCK));
            let _ = std::fs::remove_dir(&self.staging);
        }
        drop(self.lock.take());
    }
}

/// What OUT holds after a successful commit.
struct Plan {
    manifest: Manifest,
}

impl Plan {
    /// With `force` nothing is deleted, so the previous build's files and
    /// folders that are still there stay in the manifest.
    fn new(out: &Path, old: &Manifest, files: &[Staged], force: bool, survey: &mut Survey) -> Plan {
        let mut paths: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
        let needed: BTreeSet<&str> = paths.iter().flat_map(|p| ancestors(p)).collect();
        // A folder is ours if we created it before, or will create it now
        // (a link to a folder is not ours to create; the conflict check
        // refuses it).
        let mut folders: BTreeSet<String> = needed
            .into_iter()
            .filter(|f| old.folders.contains(*f) || !survey.folder(f).may_hold_things())
            .map(String::from)
            .collect();
        if force {
            let left = |p: &&String| out.join(p).symlink_metadata().is_ok();
            paths.extend(old.files.iter().filter(left).cloned());
            folders.extend(old.folders.iter().filter(left).cloned());
        }
        Plan {
            manifest: Manifest {
                about: ABOUT.into(),
                files: paths,
                folders,
            },
        }
    }
}

/// One undoable change to OUT.
#[derive(Debug)]
enum Step {
    CreatedDir(PathBuf),
    /// A file moved out of OUT into the staging folder.
    Moved {
        from: PathBuf,
        backup: PathBuf,
    },
    Placed(PathBuf),
    RemovedDir(PathBuf),
    /// OUT did not exist and arrived whole from the staged tree.
    Arrived {
        out: PathBuf,
        tree: PathBuf,
    },
}

/// The changes a commit made so far, to undo them if a later one fails.
struct Journal {
    steps: Vec<Step>,
    backups: PathBuf,
    count: usize,
}

impl Journal {
    fn back_up(&mut self, from: &Path) -> FsResult<()> {
        self.count += 1;
        let backup = self.backups.join(self.count.to_string());
        rename(from, &backup)?;
        self.steps.push(Step::Moved {
            from: from.to_path_buf(),
            backup,
        });
        Ok(())
    }

    fn create_dir(&mut self, dir: &Path) -> FsResult<()> {
        fs::create_dir(dir)?;
        self.steps.push(Step::CreatedDir(dir.to_path_buf()));
        Ok(())
    }

    /// Undoes every step, last first; returns the paths (relative to
    /// `out`) that could not be put back.
    fn undo(self, out: &Path) -> Vec<String> {
        let mut left = Vec::new();
        for step in self.steps.into_iter().rev() {
            let (path, result) = match step {
                Step::CreatedDir(dir) => {
                    let result = std::fs::remove_dir(&dir);
                    (dir, result)
                }
                Step::Moved { from, backup } => {
                    let result = rename(&backup, &from).map_err(|e| e.source);
                    (from, result)
                }
                Step::Placed(path) => {
                    let result = std::fs::remove_file(&path);
                    (path, result)
                }
                Step::RemovedDir(dir) => {
                    let result = std::fs::create_dir(&dir);
                    (dir, result)
                }
                Step::Arrived { out, tree } => {
                    let result = rename(&out, &tree).map_err(|e| e.source);
                    (out, result)
                }
            };
            if result.is_err() {
                let relative = path.strip_prefix(out).unwrap_or(&path);
                left.push(relative.display().to_string());
            }
        }
        left.sort();
        left.dedup();
        left
    }
}

/// The lock file's name inside the staging folder.
const LOCK: &str = "lock";

/// Where a build into `out` stages its files: beside OUT, so nothing of it
/// is ever left inside OUT, unless OUT is a mount point.
fn staging_folder(out: &Path) -> PathBuf {
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    if is_mount_point(out) {
        return out.join(STAGING_INSIDE);
    }
    out.with_file_name(format!(".{name}.funnelcake-staging"))
}

#[cfg(unix)]
fn is_mount_point(out: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let device = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    match (device(out), out.parent().and_then(device)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_mount_point(_out: &Path) -> bool {
    false
}

/// Locks the staging folder's lock file (an OS lock: a killed build
/// releases it). The holder removes the file when it finishes, so a lock
/// taken on a file that is no longer at its path is tried again.
fn take_lock(out: &Path, staging: &Path) -> Result<std::fs::File, Diagnostic> {
    let path = staging.join(LOCK);
    for _ in 0..3 {
        fs::create_dir_all(staging).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| {
                io(FsError {
                    action: "open",
                    path: path.clone(),
                    source,
                })
            })?;
        match file.try_lock() {
            Ok(()) if is_same_file(&file, &path) => return Ok(file),
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => break,
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(io(FsError {
                    action: "lock",
                    path,
                    source,
                }));
            }
        }
    }
    let message = format!("another funnelcake build is writing into {}", out.display());
    Err(
        Diagnostic::error("output-busy", out.display().to_string(), message)
            .with_hint("wait for it to finish, then build again"),
    )
}

#[cfg(unix)]
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_file: &std::fs::File, path: &Path) -> bool {
    // An open file cannot be removed on Windows, so it is still there.
    path.exists()
}

/// The manifest in `out`, `None` when there is none (or, with `force`,
/// when it cannot be read). Entries that could reach outside OUT are
/// dropped: the manifest decides what is deleted.
fn read_manifest(out: &Path, force: bool) -> Result<Option<Manifest>, Diagnostic> {
    let path = out.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => Err(FsError {
            action: "read",
            path: path.clone(),
            source,
        }
        .to_string()),
        Ok(text) => Ok(text),
    };
    let parsed = text.and_then(|text| {
        serde_json::from_str::<Manifest>(&text)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
    });
    match parsed {
        Ok(mut manifest) => {
            manifest.files.retain(|p| is_plain_path(p));
            manifest.folders.retain(|p| is_plain_path(p));
            Ok(Some(manifest))
        }
        Err(_) if force => Ok(None),
        Err(message) => Err(Diagnostic::error("output-manifest", path.display().to_string(), message)
            .with_hint("funnelcake deletes only the files its manifest names, so it will not guess; restore the file, or build with --force, which deletes nothing")),
    }
}

/// A relative path of plain names: no `..`, no root, no empty part.
fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !matches!(part, "" | "." | "..") && !part.contains(['\\', '\0']))
        && Path::new(path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Refuses an OUT that holds files but no manifest: funnelcake did not
/// build it, or an older version did, and it cannot tell which files are
/// the user's.
fn refuse_unmanaged(out: &Path) -> Result<(), Diagnostic> {
    let entries = match std::fs::read_dir(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(|source| {
            io(FsError {
                action: "read folder",
                path: out.to_path_buf(),
                source,
            })
        })?,
    };
    let user_files = entries
        .flatten()
        .any(|e| !NOT_USER_FILES.iter().any(|n| e.file_name() == *n));
    if !user_files {
        return Ok(());
    }
    let message = format!(
        "the output folder {} is not empty and has no {MANIFEST}, so funnelcake did not build it; it writes only where it can tell its own files from yours",
        out.display()
    );
    let older = out.join("funnel.json").is_file() && out.join("sitemap.xml").is_file();
    let hint = if older {
        "it looks like the build of an earlier funnelcake, which kept no manifest: delete the folder's contents (keep `.git` in a deploy checkout) and build again, or build once with --force (it overwrites same-named files and deletes nothing)"
    } else {
        "choose an empty or new output folder with -o, or build with --force to write into it anyway: same-named files are overwritten, nothing is deleted"
    };
    Err(Diagnostic::error("output-not-empty", out.display().to_string(), message).with_hint(hint))
}

fn conflict_error(out: &Path, conflicts: &BTreeSet<String>) -> Diagnostic {
    let message = format!(
        "the build would overwrite what funnelcake did not write in {}: {}",
        out.display(),
        listed(conflicts.iter())
    );
    Diagnostic::error("output-conflict", out.display().to_string(), message).with_hint(
        "move these out of the output folder; a same-named file is overwritten with --force",
    )
}

/// The first few items, then how many more.
fn listed<'a>(items: impl ExactSizeIterator<Item = &'a String>) -> String {
    let total = items.len();
    let mut text = items.take(LISTED).cloned().collect::<Vec<_>>().join(", ");
    if total > LISTED {
        text += &format!(" and {} more", total - LISTED);
    }
    text
}

fn manifest_bytes(manifest: &Manifest) -> String {
    let json = serde_json::to_string_pretty(manifest).expect("a manifest always serializes");
    json + "\n"
}

/// True when a folder between OUT and `path` is a symbolic link: files
/// there are not in OUT, so funnelcake neither writes nor deletes them.
fn through_link(path: &str, survey: &mut Survey) -> bool {
    ancestors(path).any(|folder| survey.folder(folder) == Found::Link)
}

/// The folders above `path`, outermost first: `a/b/c.html` gives `a`, `a/b`.
fn ancestors(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

fn io(error: FsError) -> Diagnostic {
    Diagnostic::error("io", error.path.display().to_string(), error.to_string())
}

/// [`fs::rename`]; tests make chosen renames fail, to undo a commit.
fn rename(from: &Path, to: &Path) -> FsResult<()> {
    #[cfg(test)]
    if tests::fails(to) {
        let source = std::io::Error::other("injected failure");
        return Err(FsError {
            action: "move into place",
            path: to.to_path_buf(),
            source,
        });
    }
    fs::rename(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// Renames to these paths fail, each after letting `n` through.
        static FAULTS: RefCell<Vec<(PathBuf, usize)>> = const { RefCell::new(Vec::new()) };
    }

    /// Makes the rename to `path` fail after `after` renames to it succeeded.
    fn inject(path: PathBuf, after: usize) {
        FAULTS.with(|f| f.borrow_mut().push((path, after)));
    }

    pub(super) fn fails(to: &Path) -> bool {
        FAULTS.with(|faults| {
            let mut faults = faults.borrow_mut();
            let Some(i) = faults.iter().position(|(p, _)| p == to) else {
                return false;
            };
            if faults[i].1 == 0 {
                faults.remove(i);
                return true;
            }
            faults[i].1 -= 1;
            false
        })
    }

    fn build(out: &Path, force: bool, files: &[(&str, &str)]) -> Result<WriteStats, Diagnostic> {
        let writer = Writer::new(out, force)?;
        let staged = files
            .iter()
            .map(|(p, b)| writer.stage(p, b.as_bytes()).unwrap())
            .collect();
        writer.commit(staged)
    }

    /// Every file under `dir` with its text, sorted.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut all: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.depth() > 0)
            .map(|e| {
                let path = e.path().strip_prefix(dir).unwrap().display().to_string();
                let text = std::fs::read_to_string(e.path()).unwrap_or_else(|_| "/".into());
                (path, text)
            })
            .collect();
        all.sort();
        all
    }

    fn out_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let out = fs::absolute(&dir.path().join("public"));
        (dir, out)
    }

    #[test]
    fn commit_writes_changed_files_and_removes_stale_ones() {
        let (dir, out) = out_dir();
        let first = [
            ("index.html", "home"),
            ("a/index.html", "a"),
            ("old.txt", "x"),
        ];
        assert_eq!(build(&out, false, &first).unwrap().written, 3);
        let stats = build(
            &out,
            false,
            &[("index.html", "home"), ("a/index.html", "A")],
        )
        .unwrap();
        let expected = WriteStats {
            written: 1,
            unchanged: 1,
            removed: 1,
        };
        assert_eq!(stats, expected);
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "A"
        );
        assert!(!out.join("old.txt").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["public"], "no staging folder is left beside OUT");
    }

    #[test]
    fn files_the_user_put_into_out_stay() {
        let (_dir, out) = out_dir();
        build(
            &out,
            false,
            &[("index.html", "home"), ("a/index.html", "a")],
        )
        .unwrap();
        std::fs::write(out.join("thesis.txt"), "mine").unwrap();
        std::fs::write(out.join("a/notes.txt"), "mine too").unwrap();
        std::fs::create_dir(out.join("uploads")).unwrap();
        let stats = build(&out, false, &[("index.html", "home")]).unwrap();
        assert_eq!(stats.removed, 1);
        assert_eq!(
            std::fs::read_to_string(out.join("thesis.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a/notes.txt")).unwrap(),
            "mine too"
        );
        assert!(!out.join("a/index.html").exists());
        assert!(
            out.join("uploads").is_dir(),
            "an empty folder of the user's stays"
        );
    }

    #[test]
    fn folders_funnelcake_created_go_when_empty_and_the_users_stay() {
        let (_dir, out) = out_dir();
        std::fs::create_dir_all(out.join("img")).unwrap();
        // OUT holds a folder of the user's and no manifest, so: --force.
        build(&out, true, &[("img/a.svg", "a"), ("b/c/index.html", "c")]).unwrap();
        let manifest = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
        assert!(
            manifest.contains("\"folders\": [\n    \"b\",\n    \"b/c\"\n  ]"),
            "{manifest}"
        );
        build(&out, false, &[("index.html", "home")]).unwrap();
        assert!(out.join("img").is_dir(), "img/ was there before funnelcake");
        assert!(!out.join("b").exists(), "b/ and b/c/ were funnelcake's");
    }

    #[test]
    fn a_non_empty_folder_without_a_manifest_is_refused_unless_forced() {
        let (_dir, out) = out_dir();
        std::fs::create_dir_all(out.join(".git")).unwrap();
        build(&out, false, &[("index.html", "home")]).expect(".git alone is not a user's file");
        std::fs::remove_file(out.join(MANIFEST)).unwrap();
        let error = build(&out, false, &[("index.html", "new")]).unwrap_err();
        assert_eq!(error.code, "output-not-empty", "{error}");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "home"
        );

        std::fs::write(out.join("thesis.txt"), "mine").unwrap();
        let stats = build(&out, true, &[("index.html", "new"), ("a.txt", "a")]).unwrap();
        assert_eq!((stats.written, stats.removed), (2, 0));
        assert_eq!(
            std::fs::read_to_string(out.join("thesis.txt")).unwrap(),
            "mine"
        );
        build(&out, false, &[("a.txt", "a")]).expect("the forced build wrote a manifest");
        assert!(!out.join("index.html").exists(), "it was in the manifest");
        assert!(out.join("thesis.txt").exists() && out.join(".git").is_dir());
    }

    #[test]
    fn a_file_of_the_user_is_not_overwritten_without_force() {
        let (_dir, out) = out_dir();
        build(&out, false, &[("index.html", "home")]).unwrap();
        std::fs::write(out.join("robots.txt"), "mine").unwrap();
        std::fs::write(out.join("a"), "mine").unwrap();
        let files = [
            ("index.html", "new"),
            ("robots.txt", "ours"),
            ("a/index.html", "a"),
        ];
        let error = build(&out, false, &files).unwrap_err();
        assert_eq!(error.code, "output-conflict");
        assert!(error.message.ends_with(": a (a file, where funnelcake needs a folder), robots.txt (a file funnelcake did not write)"), "{error}");
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "home"
        );
    }

    #[test]
    fn a_second_build_into_the_same_folder_is_refused_while_one_runs() {
        let (_dir, out) = out_dir();
        let first = Writer::new(&out, false).unwrap();
        let error = Writer::new(&out, false).unwrap_err();
        assert_eq!(error.code, "output-busy");
        assert_eq!(
            error.message,
            format!("another funnelcake build is writing into {}", out.display())
        );
        first.abort();
        Writer::new(&out, false).expect("the lock is released");
    }

    #[test]
    fn a_failed_commit_puts_every_file_back() {
        let (_dir, out) = out_dir();
        build(
            &out,
            false,
            &[
                ("index.html", "home"),
                ("a/index.html", "a"),
                ("old.txt", "x"),
            ],
        )
        .unwrap();
        let before = tree(&out);
        inject(out.join("b/index.html"), 0);
        let files = [
            ("index.html", "HOME"),
            ("a/index.html", "A"),
            ("b/index.html", "b"),
        ];
        let error = build(&out, false, &files).unwrap_err();
        assert_eq!(error.code, "io", "{error}");
        assert!(
            error
                .message
                .ends_with("was put back as it was before this build"),
            "{error}"
        );
        assert_eq!(tree(&out), before);
        assert!(!staging_folder(&out).exists());
    }

    #[test]
    fn an_out_that_did_not_exist_arrives_whole_or_not_at_all() {
        let (_dir, out) = out_dir();
        let files = [("index.html", "home"), ("a/b/index.html", "b")];
        inject(out.clone(), 0);
        let error = build(&out, false, &files).unwrap_err();
        assert_eq!(error.code, "io", "{error}");
        assert!(!out.exists() && !staging_folder(&out).exists());
        let stats = build(&out, false, &files).unwrap();
        assert_eq!(stats.written, 2);
        let manifest = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
        let names = ["\"a\"", "\"a/b\"", "\"a/b/index.html\"", "\"index.html\""];
        assert!(names.iter().all(|n| manifest.contains(n)), "{manifest}");
        assert_eq!(tree(&out).len(), 5, "{:?}", tree(&out));
        assert!(!staging_folder(&out).exists());
    }

    #[test]
    fn of_two_files_for_one_path_the_last_in_build_order_wins_whoever_wrote_first() {
        for existing in [false, true] {
            let (_dir, out) = out_dir();
            if existing {
                build(&out, false, &[("x.html", "old")]).unwrap();
            }
            let writer = Writer::new(&out, false).unwrap();
            // A thread wrote the later file of the build first.
            let later = writer.stage("x.html", b"later").unwrap();
            let earlier = writer.stage("x.html", b"earlier").unwrap();
            let page = writer.stage("a/index.html", b"page").unwrap();
            writer.commit(vec![earlier, page, later]).unwrap();
            let text = std::fs::read_to_string(out.join("x.html")).unwrap();
            assert_eq!(text, "later", "existing OUT: {existing}");
            assert!(!staging_folder(&out).exists());
        }
    }

    #[test]
    fn a_commit_that_cannot_be_undone_names_the_files_left_new() {
        let (_dir, out) = out_dir();
        build(
            &out,
            false,
            &[("index.html", "home"), ("a/index.html", "a")],
        )
        .unwrap();
        inject(out.join("b/index.html"), 0);
        // The first rename to a/index.html places the new file; the second,
        // putting the old one back, fails.
        inject(out.join("a/index.html"), 1);
        let files = [
            ("a/index.html", "A"),
            ("b/index.html", "b"),
            ("index.html", "HOME"),
        ];
        let error = build(&out, false, &files).unwrap_err();
        assert_eq!(error.code, "output-partial");
        assert!(
            error
                .message
                .ends_with("part old build, part new: a/index.html"),
            "{error}"
        );
        let backups = staging_folder(&out).join(BACKUPS);
        assert!(error
            .hint
            .as_deref()
            .unwrap()
            .contains(&backups.display().to_string()));
        assert_eq!(
            std::fs::read_to_string(backups.join("2")).unwrap(),
            "a",
            "the old file is kept"
        );
    }

    #[test]
    fn manifest_entries_outside_out_are_never_deleted() {
        let (dir, out) = out_dir();
        build(&out, false, &[("index.html", "home")]).unwrap();
        std::fs::write(dir.path().join("site.yaml"), "mine").unwrap();
        let manifest =
            r#"{"files": ["../site.yaml", "/etc/hostname", "index.html"], "folders": [".."]}"#;
        std::fs::write(out.join(MANIFEST), manifest).unwrap();
        build(&out, false, &[("new.html", "x")]).unwrap();
        assert!(dir.path().join("site.yaml").exists());
        assert!(!out.join("index.html").exists());
    }

    #[test]
    fn a_file_can_become_a_folder() {
        let (_dir, out) = out_dir();
        build(&out, false, &[("a", "file")]).unwrap();
        build(&out, false, &[("a/index.html", "page")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "page"
        );
        build(&out, false, &[("a", "file again")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a")).unwrap(),
            "file again"
        );
    }

    #[test]
    fn abort_leaves_out_untouched() {
        let (dir, out) = out_dir();
        build(&out, false, &[("index.html", "old")]).unwrap();
        let before = tree(&out);
        let writer = Writer::new(&out, false).unwrap();
        writer.stage("index.html", b"new").unwrap();
        writer.abort();
        assert_eq!(tree(&out), before);
        let fresh = dir.path().join("fresh");
        Writer::new(&fresh, false).unwrap().abort();
        assert!(!fresh.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["public"]);
    }

    #[test]
    fn a_second_build_into_the_same_folder_is_refused_while_one_writes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let running = Writer::new(&fs::absolute(&out), false).unwrap();
        let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/full");
        let options = crate::BuildOptions {
            out: Some(out.clone()),
            ..crate::BuildOptions::new(site)
        };
        let errors: Vec<String> = crate::build(&options)
            .unwrap_err()
            .iter()
            .map(|d| d.to_string())
            .collect();
        let expected = format!(
            "error: {0}: another funnelcake build is writing into {0}\n  = help: wait for it to finish, then build again",
            fs::absolute(&out).display()
        );
        assert_eq!(errors, [expected]);
        running.abort();
        crate::build(&options).expect("the first build is done");
    }
}
