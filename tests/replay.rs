//! Random-edit replay of the dev server: "incremental equals full". A
//! seeded sequence of edits to a copy of the example site (page bodies,
//! front matter, new, deleted, renamed and drafted pages, whole folders
//! moved out and back, broken and fixed YAML and templates, CSS, site.yaml,
//! A/B variants), each handed to a `Session` the way the watcher hands it a
//! burst of events. After every step, everything the session serves (every
//! output file, byte for byte, its errors and warnings as text) must be
//! what a fresh `build` of the same files gives, and `check` must report
//! the same errors. While the files have errors, the session serves the
//! last good build, so that is what it is compared with.
//!
//! `REPLAY_STEPS` (default 40) and `REPLAY_SEED` (default 1) set the run;
//! `cargo test --test replay -- --nocapture` prints them. A failure names
//! the seed, the step and every edit up to it. Seeds that once found a
//! fault are replayed first (`REGRESSIONS`).

mod support;

use funnelcake::serve::session::{scope_of, Scope};
use funnelcake::serve::Session;
use funnelcake::{BuildOptions, Diagnostics};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::env_number;
use support::rng::Rng;

const BASE_URL: &str = "http://127.0.0.1:1111";

/// Seeds and step counts that once made the session differ from a fresh
/// build, replayed on every run (unless the run itself covers them).
const REGRESSIONS: &[(u64, usize)] = &[(1, 11)];

#[test]
fn every_step_serves_what_a_fresh_build_gives() {
    let steps = env_number("REPLAY_STEPS").unwrap_or(40) as usize;
    let seed = env_number("REPLAY_SEED").unwrap_or(1);
    for &(old_seed, old_steps) in REGRESSIONS {
        if old_seed != seed || old_steps > steps {
            replay(old_seed, old_steps);
        }
    }
    println!("replay: seed {seed}, {steps} steps");
    replay(seed, steps);
}

/// Found by seed 1 at step 11: a page's new description gave it a new
/// social card, and the session kept serving the old one beside it.
#[test]
fn a_new_description_leaves_no_stale_social_card() {
    let (_dir, site) = support::copy_example("example-site");
    let (mut session, _) = Session::start(dev_options(&site)).unwrap();
    let mut oracle = Oracle::default();
    oracle.expect(&site).expect("the example site builds");
    let page = PathBuf::from("content/privacy.md");
    support::edit_file(&site.join(&page), |text| {
        set_field(&text, "description", "A new description").unwrap()
    });
    let result = session.rebuild(std::slice::from_ref(&page));
    let expected = oracle.expect(&site);
    let warnings = result.as_ref().map(|r| &*r.warnings);
    let context = || "content/privacy.md: set description".to_string();
    compare(&session, warnings, &expected, &oracle, &context);
}

/// Output files by path.
type Files = BTreeMap<String, Vec<u8>>;

/// The options the dev server builds with.
fn dev_options(site: &Path) -> BuildOptions {
    BuildOptions {
        base_url: Some(BASE_URL.into()),
        dev: true,
        ..BuildOptions::new(site)
    }
}

#[test]
fn a_save_elsewhere_keeps_a_page_s_body_warnings_and_its_own_edit_updates_them() {
    // The dev server checks only the pages read again: the others keep
    // their conversion warnings (attention-ratio, title-length...).
    let (_dir, site) = support::copy_fixture("conversion");
    let (mut session, started) = Session::start(dev_options(&site)).unwrap();
    let mut oracle = Oracle::default();
    let first = oracle.expect(&site);
    compare(&session, Ok(&started.warnings), &first, &oracle, &|| {
        "the first build".to_string()
    });
    type Edit = fn(String) -> String;
    let steps: [(&str, Edit); 3] = [
        ("content/thanks.md", |text| {
            format!("{text}\nSee you soon.\n")
        }),
        ("content/attention.md", |text| {
            (text.replace("https://twitter.com/beans", "@/signup.md"))
                .replace("https://blog.example.com/", "@/signup.md")
                .replace("https://example.com/story", "@/signup.md")
        }),
        // Its own title-length warning goes; the other pages' stay.
        ("content/titles.md", |text| {
            set_field(&text, "title", "Roasting at home").expect("a title line")
        }),
    ];
    for (file, edit) in steps {
        let page = PathBuf::from(file);
        support::edit_file(&site.join(&page), edit);
        let result = session.rebuild(std::slice::from_ref(&page));
        let expected = oracle.expect(&site);
        let warnings = result.as_ref().map(|r| &*r.warnings);
        compare(&session, warnings, &expected, &oracle, &|| {
            format!("{file} edited")
        });
    }
    let warned = |text: &[String]| {
        let away = "calls to action lead away from the page";
        text.iter().filter(|l| l.contains(away)).count()
    };
    let Ok(last) = oracle.expect(&site) else {
        panic!("the fixture builds")
    };
    assert!(
        warned(&first.unwrap()) > 0,
        "the fixture warns attention-ratio"
    );
    assert_eq!(warned(&last), 0, "the edit left one way out at most");
}

fn replay(seed: u64, steps: usize) {
    let (dir, site) = support::copy_example("example-site");
    let mut editor = Editor::new(seed, &site, dir.path().join("aside"));
    let (mut session, started) = Session::start(dev_options(&site)).unwrap_or_else(|e| {
        panic!(
            "the example site builds:\n{}",
            support::lines(&e).join("\n")
        )
    });
    let mut oracle = Oracle::default();
    let first = oracle.expect(&site);
    let context = || format!("seed {seed}, step 0 (the first build)");
    compare(&session, Ok(&started.warnings), &first, &oracle, &context);
    // Steps in a row whose build failed, and in all.
    let (mut failing, mut failed) = (0, 0);
    for step in 1..=steps {
        // Edits that delete pages or break files add up: after a few
        // failed steps in a row the user reverts everything, so that most
        // steps start from a site that builds and exercise the rebuild of
        // a part rather than a whole build.
        let edit = if failing >= 4 {
            editor.revert_all()
        } else {
            editor.edit()
        };
        editor.history.push(format!("{step}: {}", edit.what));
        let paths: Vec<PathBuf> = edit.paths.into_iter().filter(|p| watched(p)).collect();
        let result = session.rebuild(&paths);
        let expected = oracle.expect(&site);
        let context = || {
            format!(
                "seed {seed}, step {step} (REPLAY_SEED={seed} REPLAY_STEPS={step}), paths {paths:?}; edits:\n{}",
                editor.history.join("\n")
            )
        };
        let warnings = result.as_ref().map(|r| &*r.warnings);
        compare(&session, warnings, &expected, &oracle, &context);
        failing = if expected.is_err() { failing + 1 } else { 0 };
        failed += usize::from(expected.is_err());
    }
    println!("replay: seed {seed}: {steps} steps, {failed} with errors");
}

/// A path the watcher passes on to the session (see `serve/watch.rs`).
fn watched(relative: &Path) -> bool {
    let junk = relative
        .iter()
        .any(|p| p.to_str().is_some_and(|p| p.starts_with('.')));
    !junk && scope_of(relative) != Scope::None
}

/// Fresh builds: what the session should serve.
#[derive(Default)]
struct Oracle {
    /// The output of the last fresh build that succeeded.
    last_good: Files,
    /// Every output path any fresh build made: those the session must not
    /// serve when the current build lacks them.
    known: BTreeSet<String>,
}

/// A fresh build's warnings (its files are in `last_good`), or its errors.
type Expected = Result<Vec<String>, Vec<String>>;

impl Oracle {
    /// Builds the site afresh into a new folder: its warnings (Ok) or its
    /// errors (Err), which `check` must report too.
    fn expect(&mut self, site: &Path) -> Expected {
        let out = tempfile::tempdir().unwrap();
        let options = BuildOptions {
            out: Some(out.path().join("out")),
            ..dev_options(site)
        };
        match funnelcake::build(&options) {
            Ok(report) => {
                self.last_good = read_tree(&out.path().join("out"));
                self.known.extend(self.last_good.keys().cloned());
                Ok(support::lines(&report.diagnostics))
            }
            Err(errors) => {
                let errors = errors_of(&errors);
                // `check` runs only where it has errors to report, which
                // keeps a step to about one build's time.
                let checked = errors_of(&funnelcake::check(&dev_options(site)));
                assert_eq!(checked, errors, "check and build disagree");
                Err(errors)
            }
        }
    }
}

fn errors_of(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect()
}

/// Every file under `out` but the build's manifest, which the session
/// does not keep.
fn read_tree(out: &Path) -> Files {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let path = e.path().strip_prefix(out).unwrap();
            let path = path.to_string_lossy().replace('\\', "/");
            (path, std::fs::read(e.path()).unwrap())
        })
        .filter(|(path, _)| path != ".funnelcake-manifest")
        .collect()
}

/// Fails, naming the step, unless the session serves what `expected` says.
fn compare(
    session: &Session,
    result: Result<&Diagnostics, &Diagnostics>,
    expected: &Expected,
    oracle: &Oracle,
    context: &dyn Fn() -> String,
) {
    let got: Expected = match result {
        Ok(warnings) => Ok(support::lines(warnings)),
        Err(errors) => Err(support::lines(errors)),
    };
    if &got != expected {
        panic!(
            "{}\nthe session's result differs from a fresh build's:\nsession: {got:#?}\nfresh build: {expected:#?}",
            context()
        );
    }
    for (path, bytes) in &oracle.last_good {
        let Some(served) = session.file(path) else {
            panic!("{}\nthe session does not serve {path}", context());
        };
        if **served != *bytes {
            panic!(
                "{}\n{path} differs from a fresh build's:\n{}",
                context(),
                first_difference(&served, bytes)
            );
        }
    }
    for path in oracle
        .known
        .iter()
        .filter(|p| !oracle.last_good.contains_key(*p))
    {
        if session.has_file(path) {
            panic!(
                "{}\nthe session still serves {path}, which a fresh build does not make",
                context()
            );
        }
    }
}

/// The first line where `served` and `fresh` differ, for the message.
fn first_difference(served: &[u8], fresh: &[u8]) -> String {
    let served = String::from_utf8_lossy(served);
    let fresh = String::from_utf8_lossy(fresh);
    let mut a = served.lines();
    let mut b = fresh.lines();
    for n in 1.. {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => break,
            (x, y) => {
                let cut =
                    |l: Option<&str>| l.unwrap_or("(end)").chars().take(400).collect::<String>();
                return format!("line {n}:\n  served: {}\n  fresh:  {}", cut(x), cut(y));
            }
        }
    }
    "(same text, different bytes)".into()
}

/// One edit: what it did, for the failure message, and the site-relative
/// paths the watcher would report for it.
struct Edit {
    what: String,
    paths: Vec<PathBuf>,
}

impl Edit {
    fn new(what: impl Into<String>, paths: &[&Path]) -> Edit {
        Edit {
            what: what.into(),
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        }
    }
}

/// Makes seeded random edits to a site and remembers what it needs to
/// undo some of them.
struct Editor {
    rng: Rng,
    site: PathBuf,
    /// Where folders moved out of `content/` wait to move back.
    aside: PathBuf,
    /// Files broken on purpose, with their text before.
    broken: Vec<(PathBuf, String)>,
    /// Folders moved out: their site-relative path.
    moved_out: Vec<PathBuf>,
    /// A counter for new names and values.
    n: usize,
    history: Vec<String>,
}

const STAGES: &[&str] = &[
    "aware",
    "engage",
    "subscribe",
    "convert",
    "excite",
    "ascend",
    "advocate",
    "promote",
    "awareness",
    "purchase",
    "nowhere",
];

impl Editor {
    fn new(seed: u64, site: &Path, aside: PathBuf) -> Editor {
        std::fs::create_dir_all(&aside).unwrap();
        Editor {
            rng: Rng(seed),
            site: site.to_path_buf(),
            aside,
            broken: Vec::new(),
            moved_out: Vec::new(),
            n: 0,
            history: Vec::new(),
        }
    }

    /// One random edit; an edit that does not apply (no page to delete)
    /// gives way to another.
    fn edit(&mut self) -> Edit {
        loop {
            self.n += 1;
            let edit = match self.rng.below(23) {
                0..=3 => self.edit_body(),
                4..=8 => self.edit_front_matter(),
                9 => self.add_page(),
                10 => self.delete_page(),
                11 => self.break_file(),
                12 | 13 => self.fix_file(),
                14 => self.rename_page(),
                15 => self.edit_css(),
                16 => self.edit_template(),
                17 => self.edit_config(),
                18 => self.add_variant(),
                19 => self.remove_variant(),
                20 => self.move_folder(),
                21 => self.delete_folder(),
                _ => self.edit_data(),
            };
            if let Some(edit) = edit {
                return edit;
            }
        }
    }

    /// Puts every file back as in the example site, as `git checkout .`
    /// would: each file that differs is reported.
    fn revert_all(&mut self) -> Edit {
        let original = support::example_site("example-site");
        let mut files = tree(&original);
        files.extend(tree(&self.site));
        let mut paths = Vec::new();
        for file in files {
            let (from, to) = (original.join(&file), self.site.join(&file));
            let before = std::fs::read(&from).ok();
            if before == std::fs::read(&to).ok() {
                continue;
            }
            match before {
                Some(bytes) => {
                    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                    std::fs::write(&to, bytes).unwrap();
                }
                None => std::fs::remove_file(&to).unwrap(),
            }
            paths.push(file);
        }
        self.broken.clear();
        self.moved_out.clear();
        std::fs::remove_dir_all(&self.aside).unwrap();
        std::fs::create_dir_all(&self.aside).unwrap();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        Edit::new(format!("revert all ({} files)", paths.len()), &refs)
    }

    /// The Markdown files under `content/`, site-relative, sorted.
    fn pages(&self) -> Vec<PathBuf> {
        let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(self.site.join("content"))
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
            .map(|e| e.path().strip_prefix(&self.site).unwrap().to_path_buf())
            .collect();
        pages.sort();
        pages
    }

    fn pick_page(&mut self) -> Option<PathBuf> {
        let pages = self.pages();
        (!pages.is_empty()).then(|| self.rng.pick(&pages))
    }

    fn read(&self, relative: &Path) -> String {
        std::fs::read_to_string(self.site.join(relative)).unwrap()
    }

    fn write(&self, relative: &Path, text: &str) {
        let path = self.site.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn edit_body(&mut self) -> Option<Edit> {
        let page = self.pick_page()?;
        let n = self.n;
        let addition = match self.rng.below(4) {
            0 => format!("\nA new paragraph, number {n}.\n"),
            1 => format!("\n## Heading {n}\n\nText under it.\n"),
            2 => {
                let target = self.pick_page()?;
                format!("\nSee [page {n}](@/{}).\n", content_path(&target))
            }
            _ => format!("\n{{{{<cta to=\"/about/\" label=\"Button {n}\" />}}}}\n"),
        };
        let text = self.read(&page) + &addition;
        self.write(&page, &text);
        Some(Edit::new(
            format!("body of {}: append {addition:?}", page.display()),
            &[&page],
        ))
    }

    fn edit_front_matter(&mut self) -> Option<Edit> {
        let page = self.pick_page()?;
        let n = self.n;
        let (key, value) = match self.rng.below(7) {
            0 => ("title", format!("Title number {n}")),
            1 => ("stage", self.rng.pick(STAGES).to_string()),
            2 => {
                let target = self.pick_page()?;
                let next = if self.rng.chance(15) {
                    "missing.md".to_string()
                } else {
                    content_path(&target)
                };
                ("next", next)
            }
            3 => ("cta", format!("Go on, step {n}")),
            4 => (
                "price",
                format!("{{ amount: {}, currency: EUR }}", 1 + n % 50),
            ),
            5 => ("draft", self.rng.pick(&["true", "false"]).to_string()),
            _ => ("description", format!("Description {n}")),
        };
        let text = set_field(&self.read(&page), key, &value)?;
        self.write(&page, &text);
        Some(Edit::new(
            format!("{}: set {key}: {value}", page.display()),
            &[&page],
        ))
    }

    fn add_page(&mut self) -> Option<Edit> {
        let n = self.n;
        let folder = self.rng.pick(&["", "guides/", "extra/"]);
        let page = PathBuf::from(format!("content/{folder}new-{n}.md"));
        let stage = self.rng.pick(STAGES);
        let text = format!("---\ntitle: New page {n}\nstage: {stage}\n---\nThe new page {n}.\n");
        self.write(&page, &text);
        let from = self.pick_page()?;
        let link = format!("\n[New page {n}](@/{})\n", content_path(&page));
        let linking = self.read(&from) + &link;
        self.write(&from, &linking);
        let what = format!(
            "add {} (stage {stage}), linked from {}",
            page.display(),
            from.display()
        );
        Some(Edit::new(what, &[&page, &from]))
    }

    fn delete_page(&mut self) -> Option<Edit> {
        let page = self.pick_page()?;
        std::fs::remove_file(self.site.join(&page)).unwrap();
        self.broken.retain(|(p, _)| p != &page);
        Some(Edit::new(format!("delete {}", page.display()), &[&page]))
    }

    fn rename_page(&mut self) -> Option<Edit> {
        let page = self.pick_page()?;
        let renamed = page.with_file_name(format!("renamed-{}.md", self.n));
        std::fs::rename(self.site.join(&page), self.site.join(&renamed)).unwrap();
        for (p, _) in &mut self.broken {
            if p == &page {
                *p = renamed.clone();
            }
        }
        let what = format!("rename {} to {}", page.display(), renamed.display());
        Some(Edit::new(what, &[&page, &renamed]))
    }

    /// Breaks a page's front matter, a template or site.yaml; `fix_file`
    /// puts the text back.
    fn break_file(&mut self) -> Option<Edit> {
        let (file, text, broken) = match self.rng.below(4) {
            0 => {
                let file = PathBuf::from("templates/page.html");
                let text = self.read(&file);
                let broken = text.replacen("{% endblock main %}", "{% endblock main", 1);
                (file, text, broken)
            }
            1 => {
                let file = PathBuf::from("site.yaml");
                let text = self.read(&file);
                let broken = text.replacen("language: en", "language: [en", 1);
                (file, text, broken)
            }
            _ => {
                let file = self.pick_page()?;
                let text = self.read(&file);
                let broken = text.replacen("---\n", "---\nlayout: [broken\n", 1);
                (file, text, broken)
            }
        };
        if broken == text || self.broken.iter().any(|(p, _)| p == &file) {
            return None;
        }
        self.write(&file, &broken);
        self.broken.push((file.clone(), text));
        Some(Edit::new(format!("break {}", file.display()), &[&file]))
    }

    fn fix_file(&mut self) -> Option<Edit> {
        if self.broken.is_empty() {
            return None;
        }
        let (file, text) = self.broken.remove(self.rng.below(self.broken.len()));
        self.write(&file, &text);
        Some(Edit::new(format!("fix {}", file.display()), &[&file]))
    }

    /// Overrides a partial of the theme's stylesheet, or adds or removes a
    /// stylesheet of the site's own.
    fn edit_css(&mut self) -> Option<Edit> {
        let n = self.n;
        if self.rng.chance(30) {
            let file = PathBuf::from("css/extra.css");
            let path = self.site.join(&file);
            if path.exists() {
                std::fs::remove_file(&path).unwrap();
                return Some(Edit::new("remove css/extra.css", &[&file]));
            }
            self.write(&file, &format!(".extra-{n} {{ color: #123456; }}\n"));
            return Some(Edit::new("add css/extra.css", &[&file]));
        }
        let file = PathBuf::from("css/_base.css");
        let text = if self.site.join(&file).exists() {
            self.read(&file)
        } else {
            let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/starter/css/_base.css");
            std::fs::read_to_string(theme).unwrap()
        };
        self.write(&file, &format!("{text}\n.edit-{n} {{ margin: {n}px; }}\n"));
        Some(Edit::new(format!("css/_base.css: add .edit-{n}"), &[&file]))
    }

    fn edit_template(&mut self) -> Option<Edit> {
        let file = PathBuf::from("templates/page.html");
        let text = self.read(&file);
        let marker = "<div class=\"content\">";
        let edited = text.replacen(
            marker,
            &format!("{marker}<p>Template edit {}</p>", self.n),
            1,
        );
        (edited != text).then(|| {
            self.write(&file, &edited);
            Edit::new("templates/page.html: a line of text", &[&file])
        })
    }

    fn edit_config(&mut self) -> Option<Edit> {
        let file = PathBuf::from("site.yaml");
        let text = self.read(&file);
        let (what, edited) = match self.rng.below(3) {
            0 => (
                "title",
                set_line(&text, "title", &format!("Roasters {}", self.n)),
            ),
            1 => {
                let journey = self.rng.pick(&["value-journey", "classic"]);
                ("journey", set_line(&text, "journey", journey))
            }
            _ => (
                "description",
                set_line(&text, "description", &format!("Described {}", self.n)),
            ),
        };
        let edited = edited?;
        self.write(&file, &edited);
        Some(Edit::new(format!("site.yaml: {what}"), &[&file]))
    }

    fn add_variant(&mut self) -> Option<Edit> {
        let page = self.pick_page()?;
        let text = self.read(&page);
        let n = self.n;
        let name = page.file_stem()?.to_str()?.to_string();
        let variant = page.with_file_name(format!("{name}-v{n}.md"));
        let block = format!(
            "experiment:\n  id: test-{n}\n  variants:\n    b: {}\n",
            content_path(&variant)
        );
        let edited = insert_field(&text, &block)?;
        if text.lines().any(|l| l.starts_with("experiment:")) {
            return None;
        }
        self.write(&variant, &format!("---\ntitle: Variant {n}\n---\n"));
        self.write(&page, &edited);
        let what = format!("add variant {} of {}", variant.display(), page.display());
        Some(Edit::new(what, &[&variant, &page]))
    }

    /// Takes the `experiment:` block out of a control and deletes the
    /// variant files it names.
    fn remove_variant(&mut self) -> Option<Edit> {
        let pages = self.pages();
        let controls: Vec<PathBuf> = pages
            .into_iter()
            .filter(|p| self.read(p).lines().any(|l| l.starts_with("experiment:")))
            .collect();
        if controls.is_empty() {
            return None;
        }
        let page = self.rng.pick(&controls);
        let (kept, block) = remove_block(&self.read(&page), "experiment:");
        self.write(&page, &kept.replacen("\u{0}\n", "", 1));
        let mut paths = vec![page.clone()];
        for word in block.split_whitespace().filter(|w| w.ends_with(".md")) {
            let variant = Path::new("content").join(word);
            if self.site.join(&variant).is_file() {
                std::fs::remove_file(self.site.join(&variant)).unwrap();
                self.broken.retain(|(p, _)| p != &variant);
                paths.push(variant);
            }
        }
        let what = format!(
            "remove the experiment of {} and its variants",
            page.display()
        );
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        Some(Edit::new(what, &refs))
    }

    /// Moves a folder of pages out of `content/` (reported as the folder
    /// alone, as a rename of a folder is) or moves one back.
    fn move_folder(&mut self) -> Option<Edit> {
        if !self.moved_out.is_empty() && self.rng.chance(60) {
            let folder = self.moved_out.remove(self.rng.below(self.moved_out.len()));
            let inside = self.site.join(&folder);
            if inside.exists() {
                return None;
            }
            std::fs::rename(self.aside.join(flat(&folder)), &inside).unwrap();
            return Some(Edit::new(
                format!("move {} back in", folder.display()),
                &[&folder],
            ));
        }
        let folder = self.pick_folder()?;
        let aside = self.aside.join(flat(&folder));
        if aside.exists() {
            // A folder of that name is out already.
            return None;
        }
        std::fs::rename(self.site.join(&folder), aside).unwrap();
        self.broken.retain(|(p, _)| !p.starts_with(&folder));
        self.moved_out.push(folder.clone());
        Some(Edit::new(
            format!("move {} out", folder.display()),
            &[&folder],
        ))
    }

    fn delete_folder(&mut self) -> Option<Edit> {
        let folder = self.pick_folder()?;
        std::fs::remove_dir_all(self.site.join(&folder)).unwrap();
        self.broken.retain(|(p, _)| !p.starts_with(&folder));
        Some(Edit::new(
            format!("delete the folder {}", folder.display()),
            &[&folder],
        ))
    }

    /// A folder under `content/`, site-relative.
    fn pick_folder(&mut self) -> Option<PathBuf> {
        let mut folders: Vec<PathBuf> = std::fs::read_dir(self.site.join("content"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| Path::new("content").join(e.file_name()))
            .collect();
        folders.sort();
        (!folders.is_empty()).then(|| self.rng.pick(&folders))
    }

    fn edit_data(&mut self) -> Option<Edit> {
        let file = PathBuf::from("data/faq.yaml");
        let text = self.read(&file);
        let edited = text.replacen("q: ", &format!("q: Question {}, ", self.n), 1);
        (edited != text).then(|| {
            self.write(&file, &edited);
            Edit::new("data/faq.yaml: a question", &[&file])
        })
    }
}

/// The files of a site, site-relative, but its `.funnelcake/` cache.
fn tree(site: &Path) -> BTreeSet<PathBuf> {
    walkdir::WalkDir::new(site)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(site).unwrap().to_path_buf())
        .filter(|p| !p.starts_with(".funnelcake"))
        .collect()
}

/// `content/guides/a.md` → `guides/a.md`, as `next` and `@/` links name it.
fn content_path(relative: &Path) -> String {
    let inner = relative.strip_prefix("content").unwrap_or(relative);
    inner.to_string_lossy().replace('\\', "/")
}

/// A folder's path as one file name, to park it outside the site.
fn flat(relative: &Path) -> String {
    relative.to_string_lossy().replace(['/', '\\'], "_")
}

/// The front matter's `key:` line set to `value` (added when missing);
/// `None` without front matter.
fn set_field(text: &str, key: &str, value: &str) -> Option<String> {
    let end = front_matter_end(text)?;
    let (head, body) = text.split_at(end);
    let line = format!("{key}: {value}\n");
    let replaced = set_line(head, key, value);
    Some(match replaced {
        Some(head) => head + body,
        None => format!("{head}{line}{body}"),
    })
}

/// Inserts `block` at the end of the front matter.
fn insert_field(text: &str, block: &str) -> Option<String> {
    let end = front_matter_end(text)?;
    Some(format!("{}{block}{}", &text[..end], &text[end..]))
}

/// Where the closing `---` line of the front matter starts.
fn front_matter_end(text: &str) -> Option<usize> {
    let rest = text.strip_prefix("---\n")?;
    let close = rest
        .find("\n---\n")
        .map(|i| i + 1)
        .or_else(|| rest.starts_with("---\n").then_some(0))?;
    Some(4 + close)
}

/// The top-level `key:` line of YAML `text` replaced, with any indented
/// lines under it; `None` when there is none.
fn set_line(text: &str, key: &str, value: &str) -> Option<String> {
    let prefix = format!("{key}:");
    if !text.lines().any(|l| l.starts_with(&prefix)) {
        return None;
    }
    let (kept, _) = remove_block(text, &prefix);
    let mut out = String::new();
    let mut placed = false;
    for line in kept.split_inclusive('\n') {
        if !placed && line == "\u{0}\n" {
            out.push_str(&format!("{key}: {value}\n"));
            placed = true;
        } else {
            out.push_str(line);
        }
    }
    Some(out)
}

/// `text` without the top-level block that starts with `prefix` (its line
/// and the indented lines under it), which is left as a NUL line; and
/// the block.
fn remove_block(text: &str, prefix: &str) -> (String, String) {
    let mut kept = String::new();
    let mut block = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if inside && (line.starts_with(' ') || line.starts_with('\t')) {
            block.push_str(line);
            continue;
        }
        inside = false;
        if block.is_empty() && line.starts_with(prefix) {
            inside = true;
            block.push_str(line);
            kept.push_str("\u{0}\n");
            continue;
        }
        kept.push_str(line);
    }
    (kept, block)
}
