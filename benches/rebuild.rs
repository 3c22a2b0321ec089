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
//!
//! For a profile, `EDITS=200` times more text edits and `NO_TITLE=1`
//! leaves out the title edit (which renders every page).

mod common;

use funnelcake::serve::Session;
use funnelcake::BuildOptions;
use std::path::Path;
use std::time::Instant;

fn main() {
    for pages in common::sizes() {
        bench(&common::site(pages), pages);
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
    let page = common::first_page(site);
    let original = std::fs::read_to_string(&page).unwrap();
    let mut times = Vec::new();
    let edits: usize = std::env::var("EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for n in 0..edits {
        std::fs::write(&page, format!("{original}\nEdit number {n}.\n")).unwrap();
        let t = Instant::now();
        let rebuilt = session
            .rebuild(std::slice::from_ref(&page))
            .expect("rebuild");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(rebuilt.pages, 1, "a text edit renders one page");
    }
    let (median, worst) = common::median_and_worst(times);
    print!(
        "{pages:>7} pages  first build {:7.1} ms  text edit: median {:5.1} ms, worst {:5.1} ms",
        first.as_secs_f64() * 1000.0,
        median,
        worst,
    );
    if std::env::var("NO_TITLE").is_ok() {
        std::fs::write(&page, &original).unwrap();
        println!();
        return;
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
    println!("  title edit: {title_ms:6.1} ms ({} pages)", rebuilt.pages);
}
