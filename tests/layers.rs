//! The folders of `src/` are the pipeline, in order: a module may use its
//! own folder and the folders before it, never a later one. This test reads
//! every source file and fails on a backward `crate::` path, so the import
//! graph cannot grow a cycle between stages again.

use std::path::Path;

/// Each top-level module of the crate with its place in the pipeline.
const LAYERS: &[(&str, u8)] = &[
    ("base", 0),
    ("input", 1),
    ("page", 2),
    ("funnel", 3),
    ("render", 4),
    ("output", 5),
    ("site", 6),
    ("scaffold", 6),
    ("serve", 7),
    ("lib", 8),
    ("main", 8),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level module a source file belongs to: its folder under `src/`,
/// or its own name for a file directly in `src/`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// The code of a file without comments and without its `#[cfg(test)]`
/// module (tests may build whole sites through later stages).
fn code(text: &str) -> Vec<(usize, String)> {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end]
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or("").to_string()))
        .collect()
}

/// Every top-level module a line names through `crate::`, grouped
/// `use crate::{a::X, b}` included.
fn named_modules(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.push(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn ident(text: &str) -> String {
    text.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn backward_imports(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap();
        let module = module_of(relative);
        let Some(own) = layer(&module) else {
            problems.push(format!(
                "{}: `{module}` has no place in LAYERS",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for (line_no, line) in code(&text) {
            for used in named_modules(&line) {
                match layer(&used) {
                    Some(l) if l > own => problems.push(format!(
                        "src/{}:{line_no}: `{module}` uses `{used}`, a later stage",
                        relative.display()
                    )),
                    Some(_) => {}
                    None => problems.push(format!(
                        "src/{}:{line_no}: `crate::{used}` is not a module in LAYERS",
                        relative.display()
                    )),
                }
            }
        }
    }
    problems
}

#[test]
fn no_module_uses_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = backward_imports(&src);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_backward_paths_plain_and_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("base")).unwrap();
    std::fs::create_dir_all(src.join("page")).unwrap();
    let base = "use crate::base::fs;\nuse crate::{page::content::Page, base::url};\n\
                // crate::serve in a comment is fine\n\
                fn f() { crate::render::x(); }\n\
                #[cfg(test)]\nmod tests { use crate::serve::Session; }\n";
    std::fs::write(src.join("base/url.rs"), base).unwrap();
    std::fs::write(src.join("page/content.rs"), "use crate::base::url;\n").unwrap();
    let problems = backward_imports(src);
    assert_eq!(
        problems,
        [
            "src/base/url.rs:2: `base` uses `page`, a later stage",
            "src/base/url.rs:4: `base` uses `render`, a later stage",
        ]
    );
}
