//! What the dev-server benchmarks share: a generated site of a given size
//! (made once by `benches/gen_site.py`, kept in the temp folder) and a page
//! of it to edit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The sizes named on the command line, or 1,000 and 10,000 pages.
pub(crate) fn sizes() -> Vec<usize> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        vec![1000, 10000]
    } else {
        sizes
    }
}

/// The site folder of a generated site with `pages` pages.
pub(crate) fn site(pages: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site_root = std::env::temp_dir()
        .join("funnelcake-rebuild-bench")
        .join(format!("site{pages}"));
    if !site_root.join("funnelcake").exists() {
        let status = Command::new("python3")
            .arg(root.join("benches/gen_site.py"))
            .arg(pages.to_string())
            .arg(&site_root)
            .stdout(Stdio::null())
            .status()
            .expect("python3 runs");
        assert!(status.success(), "gen_site.py failed");
    }
    site_root.join("funnelcake")
}

/// A page of the generated site that is not a section index.
pub(crate) fn first_page(site: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(site.join("content"))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("index.md"))
        .collect();
    files.sort();
    files.swap_remove(0)
}

/// The median and the worst of some timings, in ms.
pub(crate) fn median_and_worst(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1])
}
