//! Save-to-served benchmark: how long after a page is saved the dev server
//! answers its URL with the new text, end to end through the real
//! `funnelcake serve` (file watching, the rebuild, the HTTP server).
//!
//!     cargo bench --bench served               # 1,000 and 10,000 pages
//!     cargo bench --bench served -- 100000
//!
//! For each size it starts `funnelcake serve` on the generated site, then
//! 20 times writes one page with a new sentence and asks for the page's URL
//! every half millisecond until the answer holds that sentence. It prints
//! the median and the worst time from the write to that answer.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    for pages in common::sizes() {
        bench(&common::site(pages), pages);
    }
}

/// `funnelcake serve`, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bench(site: &Path, pages: usize) {
    let port = free_port();
    let started = Instant::now();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_funnelcake"))
            .args(["serve", "--port", &port.to_string()])
            .arg(site)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("funnelcake serve starts"),
    );
    let page = common::first_page(site);
    let url = url_of(site, &page);
    while get(port, &url).is_none_or(|body| body.is_empty()) {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the server did not answer {url}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = started.elapsed();
    let original = std::fs::read_to_string(&page).unwrap();
    let mut times = Vec::new();
    for n in 0..20 {
        let marker = format!("Edit number {n} of the served benchmark.");
        std::fs::write(&page, format!("{original}\n{marker}\n")).unwrap();
        let saved = Instant::now();
        while !get(port, &url).is_some_and(|body| body.contains(&marker)) {
            assert!(
                saved.elapsed() < Duration::from_secs(60),
                "edit {n} was never served"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        times.push(saved.elapsed().as_secs_f64() * 1000.0);
        // Let the watcher go quiet, as between two real saves.
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::write(&page, &original).unwrap();
    let (median, worst) = common::median_and_worst(times);
    println!(
        "{pages:>7} pages  serving after {:7.1} ms  save to served: median {median:5.1} ms, worst {worst:5.1} ms",
        first.as_secs_f64() * 1000.0,
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

/// `content/aware/p1.md` is served at `/aware/p1/`.
fn url_of(site: &Path, page: &Path) -> String {
    let relative = page.strip_prefix(site.join("content")).unwrap();
    let stem = relative.with_extension("");
    format!("/{}/", stem.to_string_lossy().replace('\\', "/"))
}

/// The body of a 200 answer for `path`, or `None`.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}
