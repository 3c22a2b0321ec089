//! A fuzz harness on stable Rust: a seeded mutator over copies of the
//! example sites. Each case mutates a few of a site's files (site.yaml,
//! front matter, Markdown, component calls, data and strings files) with
//! byte flips, truncation, duplicated and deleted lines, odd Unicode, NUL,
//! BOM, CRLF, deep nesting and YAML aliases, runs `check` on it, and fails
//! on a panic, on an error that names no file, or on a catastrophic run
//! (far beyond any linear cost for a site this size; a detector of
//! blow-ups, not a timing test).
//!
//! `FUZZ_CASES` (default 300) and `FUZZ_SEED` set the run; it prints the
//! seed and the number of cases run (`-- --nocapture` to see them). Every input that
//! ever broke it is kept under `tests/fixtures/fuzz-corpus/NAME/` (the file
//! `BASE` names the example site; the other files replace its files) and is
//! replayed first; a failing case is written to `target/fuzz-failures/`.

mod support;

use funnelcake::BuildOptions;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
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

/// Runs `check` on the case; `Err` says what broke.
fn run(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    support::copy_tree(&support::example_site(&case.base), &site);
    let mut size = 0;
    for (file, bytes) in &case.files {
        let path = site.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        size += bytes.len();
    }
    let start = Instant::now();
    let options = BuildOptions::new(&site);
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
    let failures: Vec<String> = corpus()
        .iter()
        .filter_map(|(name, case)| run(case).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutated_example_sites_never_panic_or_blow_up() {
    let cases = env_number("FUZZ_CASES").unwrap_or(300);
    let seed = env_number("FUZZ_SEED").unwrap_or(0x5eed);
    let mut failures = Vec::new();
    // Printed (visible with `--nocapture`) so a long run shows how far it
    // got and can be repeated.
    eprintln!("fuzz: seed {seed}, {cases} cases");
    for n in 0..cases {
        if n > 0 && n % 1000 == 0 {
            eprintln!("fuzz: {n} cases run, {} broke", failures.len());
        }
        let mut rng = Rng(seed ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let case = generate(&mut rng);
        if let Err(e) = run(&case) {
            let saved = save_failure(&case, &format!("seed-{seed}-case-{n}"));
            failures.push(format!(
                "case {n} ({}): {e}; saved in {}",
                case.base,
                saved.display()
            ));
        }
    }
    eprintln!(
        "fuzz: ran {cases} cases with seed {seed}, {} broke",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases (seed {seed}) broke:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
