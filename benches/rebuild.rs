//! Dev-server rebuild benchmark: the work from a saved page edit to the
//! rebuilt output being ready, on sites made by `benches/gen_site.py`.
//!
//!     cargo bench --bench rebuild              # 1,000 and 10,000 pages
//!     cargo bench --bench rebuild -- 100000
//!
//! For each size: the first in-memory build, then 20 edits of one page's
//! text, each timed through `Session::rebuild` (the call the watcher
//! makes after its debounce), median and worst printed. A title edit,
//! which every page sees through `journey`, is timed too.

use funnelcake::serve::Session;
use funnelcake::BuildOptions;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 10000]
    } else {
        sizes
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = std::env::temp_dir().join("funnelcake-rebuild-bench");
    for pages in sizes {
        let site_root = work.join(format!("site{pages}"));
        if !site_root.join("funnelcake").exists() {
            let status = Command::new("python3")
                .arg(root.join("benches/gen_site.py"))
                .arg(pages.to_string())
                .arg(&site_root)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("python3");
            assert!(status.success());
        }
        let site = site_root.join("funnelcake");
        bench(&site, pages);
    }
}

fn bench(site: &Path, pages: usize) {
    let started = Instant::now();
    let options = BuildOptions {
        base_url: Some("http://127.0.0.1:1111".into()),
        dev: true,
        ..BuildOptions::new(site)
    };
    let (mut session, _) = Session::start(options).expect("the site builds");
    let first = started.elapsed();
    let page = first_page(site);
    let original = std::fs::read_to_string(&page).unwrap();
    let mut times = Vec::new();
    for n in 0..20 {
        std::fs::write(&page, format!("{original}\nEdit number {n}.\n")).unwrap();
        let t = Instant::now();
        let rebuilt = session
            .rebuild(std::slice::from_ref(&page))
            .expect("rebuild");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(rebuilt.pages, 1, "a text edit renders one page");
    }
    let retitled = original.replacen("title: ", "title: Retitled ", 1);
    std::fs::write(&page, retitled).unwrap();
    let t = Instant::now();
    let rebuilt = session
        .rebuild(std::slice::from_ref(&page))
        .expect("rebuild");
    let title_ms = t.elapsed().as_secs_f64() * 1000.0;
    std::fs::write(&page, &original).unwrap();
    session
        .rebuild(std::slice::from_ref(&page))
        .expect("rebuild");
    times.sort_by(f64::total_cmp);
    println!(
        "{pages:>7} pages  first build {:7.1} ms  text edit: median {:5.1} ms, worst {:5.1} ms  title edit: {:6.1} ms ({} pages)",
        first.as_secs_f64() * 1000.0,
        times[times.len() / 2],
        times[times.len() - 1],
        title_ms,
        rebuilt.pages
    );
}

/// A page of the generated site that is not a section index.
fn first_page(site: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(site.join("content"))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("index.md"))
        .collect();
    files.sort();
    files.swap_remove(0)
}
