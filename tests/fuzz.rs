//! A fuzz harness on stable Rust: a seeded mutator over copies of the
//! example sites. Each case mutates a few of a site's files (site.yaml,
//! front matter, Markdown, component calls, data and strings files) with
//! byte flips, truncation, duplicated and deleted lines, odd Unicode, NUL,
//! BOM, CRLF, deep nesting and YAML aliases, runs `check` on it, and fails
//! on a panic, on an error that names no file, on a check that leaves the
//! site folder changed, or on a catastrophic run (far beyond any linear
//! cost for a site this size; a detector of blow-ups, not a timing test).
//!
//! `FUZZ_CASES` (default 300) and `FUZZ_SEED` set the run, `FUZZ_THREADS`
//! (default: the number of cores) how many cases run at once; case `n` of
//! a seed is the same input whatever the thread count, and failures are
//! reported in case order. It prints the seed, the number of cases run and
//! the rate (`-- --nocapture` to see them). Each thread keeps one working
//! copy of each example site and puts back the files a case changed.
//!
//! Every input that ever broke it is kept under
//! `tests/fixtures/fuzz-corpus/NAME/` (the file `BASE` names the example
//! site; the other files replace its files) and is replayed first; a
//! failing case is written to `target/fuzz-failures/`.

mod support;

use funnelcake::BuildOptions;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::env_number;
use support::rng::Rng;

const SITES: [&str; 2] = ["example-site", "example-site-fa"];

/// Far more than any check of these small sites takes, even in a debug
/// build on a loaded machine; only a blow-up goes past it.
const CATASTROPHE: Duration = Duration::from_secs(20);

/// Text that breaks parsers: odd Unicode, control characters, YAML and
/// component syntax, deep nesting.
fn snippet(rng: &mut Rng) -> Vec<u8> {
    let deep = 1 + rng.below(3000);
    let fixed: &[&str] = &[
        "\0",
        "\u{feff}",
        "\r\n",
        "\r",
        "\t",
        "\u{202e}",
        "\u{200f}",
        "\u{85}",
        "\u{2028}",
        "\u{1b}[2J",
        "é",
        "\u{301}",
        "🙂",
        "ـــ",
        "\u{fffd}",
        "\\",
        "\"",
        "'",
        ":",
        ": ",
        "- ",
        "---\n",
        "\n---\n",
        "#",
        "&a ",
        "*a",
        "<<: *a\n",
        "!!binary ",
        "? [a]\n: b\n",
        "1.5: x\n",
        "~: y\n",
        "null: z\n",
        "true: t\n",
        "{{<",
        "{% <",
        "/>}}",
        "> %}",
        "{{<cta to=\"javascript:alert(1)\" />}}",
        "{% <faq> %}\n",
        "{% </faq> %}\n",
        "{{<countdown until=\"31/01/2027\" />}}",
        "{{<video url=\"https://youtu.be/x\" poster=\"data:x\" />}}",
        "{{<plan name=\"P\" price=\"1\" to=\"@/nope.md\" />}}",
        "{{<cta label={[1, {a: *b}]} />}}",
        "[x](@/missing.md#nope)",
        "<!--fc:0-->",
        "<!--/fc:1-->",
        "```\n",
        "`",
        "$$",
        "| a |\n|---|\n",
        "[^1]\n\n[^1]: x\n",
        "<script>",
        "{{ page.title }}",
        "{% if %}",
        "&a [1, 2]\nb: *a\n",
    ];
    let pattern = |unit: &str| unit.repeat(deep).into_bytes();
    match rng.below(12) {
        0 => pattern("["),
        1 => pattern(">"),
        2 => pattern("- "),
        3 => pattern("{% <faq> %}\n"),
        4 => pattern("*a, "),
        _ => rng.pick(fixed).as_bytes().to_vec(),
    }
}

fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        text.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

/// One random change to `text`.
fn mutate(text: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(text.len() + 1);
    let lines = line_starts(text);
    let line = |rng: &mut Rng| {
        let i = rng.below(lines.len());
        let end = lines.get(i + 1).copied().unwrap_or(text.len());
        lines[i]..end
    };
    match rng.below(9) {
        0 if !text.is_empty() => {
            let i = at.min(text.len() - 1);
            text[i] ^= 1 << rng.below(8);
        }
        1 => text.truncate(at),
        2 => {
            let range = line(rng);
            let copy = text[range.clone()].to_vec();
            text.splice(range.start..range.start, copy);
        }
        3 => {
            let range = line(rng);
            text.drain(range);
        }
        4 => {
            let crlf = String::from_utf8_lossy(text).replace('\n', "\r\n");
            *text = crlf.into_bytes();
        }
        5 => text.splice(0..0, "\u{feff}".bytes()).for_each(drop),
        _ => {
            let insert = snippet(rng);
            text.splice(at..at, insert).for_each(drop);
        }
    }
}

/// The text files of an example site that a case may change.
fn mutable_files(site: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(site)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(site).unwrap().to_path_buf())
        .filter(|p| p.extension().is_some_and(|x| x == "md" || x == "yaml"))
        .collect();
    files.sort();
    files.push(PathBuf::from("i18n/en.yaml"));
    files
}

/// A case: the example site it starts from and the files it replaces.
struct Case {
    base: String,
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn generate(rng: &mut Rng) -> Case {
    let base = rng.pick(&SITES).to_string();
    let root = support::example_site(&base);
    let candidates = mutable_files(&root);
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let file = rng.pick(&candidates);
        let index = match files.iter().position(|(f, _)| *f == file) {
            Some(i) => i,
            None => {
                let text = std::fs::read(root.join(&file))
                    .unwrap_or_else(|_| b"skip_link: Skip\ndigits: \"0123456789\"\n".to_vec());
                files.push((file, text));
                files.len() - 1
            }
        };
        for _ in 0..1 + rng.below(3) {
            mutate(&mut files[index].1, rng);
        }
    }
    Case { base, files }
}

/// Every path under a site with its size (0 for a folder).
type Listing = Vec<(PathBuf, u64)>;

/// The listing of `site`: a case must leave its working copy as it found
/// it, or the next case would not start from the example.
fn listing(site: &Path) -> Listing {
    let mut entries: Listing = walkdir::WalkDir::new(site)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let size = if e.file_type().is_file() {
                e.metadata().unwrap().len()
            } else {
                0
            };
            (e.path().strip_prefix(site).unwrap().to_path_buf(), size)
        })
        .collect();
    entries.sort();
    entries
}

/// One working copy of each example site, made once per thread (copying
/// the photographs for every case cost a third of a case's time): a case
/// writes its files over the copy and puts the example's bytes back after.
struct Workspace {
    _dir: tempfile::TempDir,
    /// Per base: the working copy and its listing as copied.
    sites: Vec<(String, PathBuf, Listing)>,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let sites = SITES
            .iter()
            .map(|base| {
                let site = dir.path().join(base).join("site");
                support::copy_tree(&support::example_site(base), &site);
                let pristine = listing(&site);
                (base.to_string(), site, pristine)
            })
            .collect();
        Workspace { _dir: dir, sites }
    }

    /// Runs `check` on the case; `Err` says what broke.
    fn run(&self, case: &Case) -> Result<(), String> {
        let (_, site, pristine) = self
            .sites
            .iter()
            .find(|(base, _, _)| *base == case.base)
            .unwrap_or_else(|| panic!("no example site {}", case.base));
        let created = write_case(site, case);
        let result = run_in(site, case);
        restore(site, case, &created);
        if listing(site) != *pristine {
            return Err("check left the site folder changed".to_string());
        }
        result
    }
}

/// Writes the case's files over the working copy; returns the folders it
/// had to create, deepest last.
fn write_case(site: &Path, case: &Case) -> Vec<PathBuf> {
    let mut created = Vec::new();
    for (file, bytes) in &case.files {
        let path = site.join(file);
        for folder in path
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if !folder.exists() {
                std::fs::create_dir(folder).unwrap();
                created.push(folder.to_path_buf());
            }
        }
        std::fs::write(path, bytes).unwrap();
    }
    created
}

/// Puts the example's bytes back in place of the case's files, and removes
/// what the example does not have.
fn restore(site: &Path, case: &Case, created: &[PathBuf]) {
    let example = support::example_site(&case.base);
    for (file, _) in &case.files {
        match std::fs::read(example.join(file)) {
            Ok(bytes) => std::fs::write(site.join(file), bytes).unwrap(),
            Err(_) => std::fs::remove_file(site.join(file)).unwrap(),
        }
    }
    for folder in created.iter().rev() {
        std::fs::remove_dir(folder).unwrap();
    }
}

/// Runs `check` on `site`, which holds the case's files.
fn run_in(site: &Path, case: &Case) -> Result<(), String> {
    let size: usize = case.files.iter().map(|(_, bytes)| bytes.len()).sum();
    let start = Instant::now();
    let options = BuildOptions::new(site);
    let result = catch_unwind(AssertUnwindSafe(|| funnelcake::check(&options)));
    let elapsed = start.elapsed();
    let diagnostics = result.map_err(|_| "panicked".to_string())?;
    if let Some(d) = diagnostics.iter().find(|d| d.file.is_empty()) {
        return Err(format!("a diagnostic without a file: {d}"));
    }
    // Output proportional to the input: messages quote a little of it.
    let printed: usize = diagnostics.iter().map(|d| d.to_string().len()).sum();
    if printed > 64 * size + 1_000_000 {
        return Err(format!(
            "{printed} bytes of messages for {size} bytes of input"
        ));
    }
    if elapsed > CATASTROPHE {
        return Err(format!("took {elapsed:?}"));
    }
    Ok(())
}

fn save_failure(case: &Case, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/fuzz-failures")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("BASE"), &case.base).unwrap();
    for (file, bytes) in &case.files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

fn corpus() -> Vec<(String, Case)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-corpus");
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let dir = entry.path();
        let Ok(base) = std::fs::read_to_string(dir.join("BASE")) else {
            continue;
        };
        let files = walkdir::WalkDir::new(&dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.file_name() != "BASE")
            .map(|e| {
                let rel = e.path().strip_prefix(&dir).unwrap().to_path_buf();
                (rel, std::fs::read(e.path()).unwrap())
            })
            .collect();
        let name = entry.file_name().to_string_lossy().into_owned();
        cases.push((
            name,
            Case {
                base: base.trim().to_string(),
                files,
            },
        ));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

#[test]
fn the_corpus_of_past_breaks_stays_fixed() {
    let workspace = Workspace::new();
    let failures: Vec<String> = corpus()
        .iter()
        .filter_map(|(name, case)| {
            let broke = workspace.run(case).err();
            broke.map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Case `n` of the run with `seed`: the same whatever the thread count.
fn case_of(seed: u64, n: u64) -> Case {
    generate(&mut Rng(seed ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d)))
}

/// Runs cases `0..cases` on `threads` threads, each with its own working
/// copies, taking the next case number as it finishes one; returns the
/// failures in case order.
fn run_cases(seed: u64, cases: u64, threads: usize) -> Vec<(u64, String)> {
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let workspace = Workspace::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= cases {
                        break;
                    }
                    let case = case_of(seed, n);
                    if let Err(e) = workspace.run(&case) {
                        let saved = save_failure(&case, &format!("seed-{seed}-case-{n}"));
                        let report = format!(
                            "case {n} ({}): {e}; saved in {}",
                            case.base,
                            saved.display()
                        );
                        failures.lock().unwrap().push((n, report));
                    }
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if finished.is_multiple_of(1000) {
                        let broke = failures.lock().unwrap().len();
                        eprintln!("fuzz: {finished} cases run, {broke} broke");
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    failures
}

#[test]
fn mutated_example_sites_never_panic_or_blow_up() {
    let cases = env_number("FUZZ_CASES").unwrap_or(300);
    let seed = env_number("FUZZ_SEED").unwrap_or(0x5eed);
    let threads = env_number("FUZZ_THREADS").map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n as usize,
    );
    // Printed (visible with `--nocapture`) so a long run shows how far it
    // got and can be repeated.
    eprintln!("fuzz: seed {seed}, {cases} cases, {threads} threads");
    let start = Instant::now();
    let failures: Vec<String> = run_cases(seed, cases, threads.max(1))
        .into_iter()
        .map(|(_, report)| report)
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: ran {cases} cases with seed {seed}, {} broke, in {elapsed:.1} s ({:.1} cases/s)",
        failures.len(),
        cases as f64 / elapsed
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases (seed {seed}) broke:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
