//! Helpers shared by the integration tests: fixture sites built into temp
//! folders, and the diagnostics they produce as text.
#![allow(dead_code)]

pub(crate) mod browser;
pub(crate) mod rng;

use funnelcake::{BuildOptions, Diagnostics};
use std::path::{Path, PathBuf};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of fixture `name` in a fresh temp folder, to edit: the folder
/// and the site's path in it.
pub(crate) fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_tree(&fixture(name), &site);
    (dir, site)
}

/// Builds a good fixture into a fresh temp folder.
pub(crate) fn build_ok(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = build_site(&fixture(name), dir.path().join("out"));
    (dir, out)
}

/// Builds a site that must build into `out`, and returns `out`.
pub(crate) fn build_site(site: &Path, out: PathBuf) -> PathBuf {
    let options = BuildOptions {
        out: Some(out.clone()),
        ..BuildOptions::new(site)
    };
    if let Err(errors) = funnelcake::build(&options) {
        panic!(
            "{} should build:\n{}",
            site.display(),
            lines(&errors).join("\n")
        );
    }
    out
}

pub(crate) fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub(crate) fn lines(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics.iter().map(|d| d.to_string()).collect()
}

/// Builds a broken fixture into an output folder holding an old file, and
/// checks that the build failed and left that folder exactly as it was.
pub(crate) fn build_errors(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("index.html"), "previous build").unwrap();
    let manifest = r#"{"files": ["index.html"], "folders": []}"#;
    std::fs::write(out.join(".funnelcake-manifest"), manifest).unwrap();
    let options = BuildOptions {
        out: Some(out.clone()),
        ..BuildOptions::new(fixture(name))
    };
    let errors = funnelcake::build(&options).expect_err("the build should fail");
    assert!(errors.has_errors());
    let mut left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [".funnelcake-manifest", "index.html"],
        "the failed build of {name} changed the output folder"
    );
    assert_eq!(read(&out, "index.html"), "previous build");
    assert_eq!(read(&out, ".funnelcake-manifest"), manifest);
    // `check` reports the same errors and writes nothing either.
    let checked = funnelcake::check(&BuildOptions::new(fixture(name)));
    assert_eq!(
        lines(&checked.errors().cloned().collect()),
        lines(&errors.errors().cloned().collect())
    );
    assert!(!fixture(name).join("public").exists());
    lines(&errors).join("\n")
}

/// Builds `site` for `server`'s address and serves it.
pub(crate) fn build_and_serve(site: &Path, dir: &Path) -> SiteServer {
    let server = SiteServer::bind();
    let out = dir.join("out");
    let options = BuildOptions {
        out: Some(out.clone()),
        base_url: Some(server.url.clone()),
        ..BuildOptions::new(site)
    };
    if let Err(errors) = funnelcake::build(&options) {
        panic!("{}", lines(&errors).join("\n"));
    }
    server.serve(&out);
    server
}

/// A fixture built into a temp folder, served on a free port, and a
/// headless Chromium to look at it: the setup of every browser test of a
/// fixture site. Fields drop in order: the browser, then the server, then
/// the folder.
pub(crate) struct Browsing {
    pub browser: browser::Browser,
    pub server: SiteServer,
    _dir: tempfile::TempDir,
}

/// Builds fixture `name` with the server's URL as `base_url`, serves it
/// and launches Chromium (a 1024 × 768 window; see [`Browsing::phone`]).
pub(crate) fn build_serve_browse(name: &str) -> Browsing {
    let dir = tempfile::tempdir().unwrap();
    let server = build_and_serve(&fixture(name), dir.path());
    Browsing {
        browser: browser::Browser::launch(),
        server,
        _dir: dir,
    }
}

impl Browsing {
    /// The window as a 390 × 844 phone, where the sticky bar shows.
    pub(crate) fn phone(mut self) -> Browsing {
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        );
        self
    }

    /// The absolute URL of `path` (`/offers/kit/`) on the server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// Loads `path` and waits for its load event.
    pub(crate) fn open(&mut self, path: &str) {
        let url = self.url(path);
        self.browser.navigate(&url);
    }
}

pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {pairs:?}"))
}

/// Rewrites a file of a test's site with `change`.
pub(crate) fn edit_file(path: &Path, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::fs::write(path, change(text)).unwrap();
}

/// Copies a folder tree (a site to edit in a test).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Decodes an `application/x-www-form-urlencoded` body into pairs.
pub(crate) fn form_pairs(body: &str) -> Vec<(String, String)> {
    funnelcake::serve::parse_form(body).unwrap_or_else(|| panic!("not a form body: {body}"))
}

/// A stand-in for a hosting platform and a form backend: serves a built
/// site from OUT and takes form posts at `/api/subscribe`, answering each
/// with a 303 to the post's `redirect` field, as a custom endpoint would.
pub(crate) struct SiteServer {
    pub url: String,
    pub posts: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    server: std::sync::Arc<tiny_http::Server>,
}

impl SiteServer {
    /// Binds a free port; call [`SiteServer::serve`] once OUT is built.
    pub(crate) fn bind() -> SiteServer {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        SiteServer {
            url: format!("http://127.0.0.1:{port}"),
            posts: Default::default(),
            server: std::sync::Arc::new(server),
        }
    }

    pub(crate) fn serve(&self, out: &Path) {
        let server = self.server.clone();
        let posts = self.posts.clone();
        let out = out.to_path_buf();
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let path = request.url().split('?').next().unwrap_or("/").to_string();
                if request.method() == &tiny_http::Method::Post && path == "/api/subscribe" {
                    let mut body = String::new();
                    let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
                    let redirect = form_pairs(&body)
                        .into_iter()
                        .find(|(k, _)| k == "redirect")
                        .map(|(_, v)| v)
                        .unwrap_or_else(|| "/".into());
                    posts.lock().unwrap().push(body);
                    let header = tiny_http::Header::from_bytes("Location", redirect).unwrap();
                    let _ = request.respond(tiny_http::Response::empty(303).with_header(header));
                    continue;
                }
                let mut file = out.join(path.trim_start_matches('/'));
                if path.ends_with('/') {
                    file.push("index.html");
                }
                let response = match std::fs::read(&file) {
                    Ok(bytes) => {
                        let kind = if file.extension().is_some_and(|e| e == "css") {
                            "text/css"
                        } else {
                            "text/html; charset=utf-8"
                        };
                        tiny_http::Response::from_data(bytes).with_header(
                            tiny_http::Header::from_bytes("Content-Type", kind).unwrap(),
                        )
                    }
                    Err(_) => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let _ = request.respond(response);
            }
        });
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Every file under `dir` with its bytes, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.depth() > 0)
        .map(|e| {
            let path = e.path().strip_prefix(dir).unwrap().display().to_string();
            (path, std::fs::read(e.path()).unwrap_or_default())
        })
        .collect();
    all.sort();
    all
}

/// One of the repository's example sites (`example-site`, `example-site-fa`).
pub(crate) fn example_site(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// A copy of example site `name` in a temp folder, as `TEMP/site`; returns
/// the temp folder (keep it alive) and the site.
pub(crate) fn copy_example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_tree(&example_site(name), &site);
    (dir, site)
}

/// Sets `theme:` in the site's site.yaml to `theme` (the line is moved to
/// the end).
pub(crate) fn set_theme(site: &Path, theme: &str) {
    edit_file(&site.join("site.yaml"), |config| {
        let config: String = config
            .lines()
            .filter(|l| !l.starts_with("theme:"))
            .map(|l| format!("{l}\n"))
            .collect();
        format!("{config}theme: {theme}\n")
    });
}

/// A number from the environment (a test's size or seed); `None` when it
/// is not set, a panic naming it when it is not a number.
pub(crate) fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.parse().unwrap_or_else(|_| panic!("{name}={value}")))
}
