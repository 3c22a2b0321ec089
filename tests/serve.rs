//! The dev server on a copy of a fixture site: HTTP safety, the form
//! endpoint, the watcher (sed -i twice, save by rename), and in headless
//! Chromium live reload, CSS swap, the error overlay and a form clicked
//! through to its thank-you page.

mod support;

use funnelcake::serve::{DevServer, ServeOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::browser::Browser;

struct Dev {
    _dir: tempfile::TempDir,
    site: PathBuf,
    server: Option<DevServer>,
    url: String,
    port: u16,
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

/// Serves a copy of the `full` fixture, with a site stylesheet part to edit.
fn start() -> Dev {
    let (dir, site) = support::copy_fixture("full");
    std::fs::write(site.join("css/_forms.css"), ".optin-form { margin: 0; }\n").unwrap();
    let (server, port) = serve_site(&site);
    let url = server.url.clone();
    Dev {
        _dir: dir,
        site,
        server: Some(server),
        url,
        port,
    }
}

/// Starts the dev server on `site` at a free loopback port.
fn serve_site(site: &Path) -> (DevServer, u16) {
    let options = ServeOptions {
        site: site.to_path_buf(),
        port: 0,
        interface: "127.0.0.1".parse().unwrap(),
        drafts: false,
    };
    let server = DevServer::start(options, |_| {}).unwrap();
    let port = server.url.rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

/// Sends a raw request (no client-side path cleaning) and returns the
/// status code and body.
fn raw(port: u16, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn get(port: u16, path: &str) -> (u16, String) {
    raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

fn post(port: u16, content_type: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /__funnelcake/submit HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn submissions(site: &Path) -> String {
    std::fs::read_to_string(site.join(".funnelcake/submissions.jsonl")).unwrap_or_default()
}

#[test]
fn only_files_of_the_build_are_served() {
    let dev = start();
    let (status, body) = get(dev.port, "/guide/");
    assert_eq!(status, 200);
    assert!(body.contains("<h1>The guide</h1>"));
    assert!(
        body.contains("<script src=\"/__funnelcake/live.js\"></script>\n</body>"),
        "the theme places the live script"
    );
    let (status, script) = get(dev.port, "/__funnelcake/live.js");
    assert_eq!(status, 200);
    assert!(script.contains("new EventSource(\"/__funnelcake/events\")"));
    for path in [
        "/../site.yaml",
        "/%2e%2e/site.yaml",
        "/guide/%2e%2e/%2e%2e/site.yaml",
        "/guide/..%2f..%2fsite.yaml",
        "/guide%5c..%5c..%5csite.yaml",
        "/guide\\..\\site.yaml",
        "/index.html%00.css",
        "//etc/passwd",
        "/%zz",
    ] {
        let (status, _) = get(dev.port, path);
        assert!(matches!(status, 400 | 404), "{path}: {status}");
    }
    for path in ["/etc/passwd", "/site.yaml", "/content/index.md"] {
        let (status, body) = get(dev.port, path);
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("Page not found"), "the site's 404 page");
    }
    let (status, _) = get(dev.port, "/guide");
    assert_eq!(status, 301, "a page without its slash is redirected");
    // Nothing is written to the site's output folder.
    assert!(!dev.site.join("public").exists());
}

#[test]
fn a_symlink_out_of_the_site_is_never_served() {
    let (dir, site) = support::copy_fixture("full");
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), site.join("static/leak.txt"))
        .unwrap();
    let (server, port) = serve_site(&site);
    let (status, body) = get(port, "/leak.txt");
    assert!(!body.contains("secret"));
    assert!(matches!(status, 404 | 500), "{status}");
    let (_, page) = get(port, "/");
    assert!(
        page.contains("is a symbolic link to a file outside the site folder"),
        "the overlay says why"
    );
    server.stop();
}

#[test]
fn the_form_endpoint_refuses_bad_input_and_keeps_the_file_intact() {
    let dev = start();
    let good = b"__funnelcake_page=%2Fguide%2F&email=ada%40example.com&consent=yes";
    assert_eq!(
        post(dev.port, "application/x-www-form-urlencoded", good),
        303
    );
    let before = submissions(&dev.site);
    assert_eq!(before.lines().count(), 1);
    let record: serde_json::Value = serde_json::from_str(before.lines().next().unwrap()).unwrap();
    assert_eq!(record["page"], "/guide/");
    assert_eq!(record["fields"]["email"], "ada@example.com");
    assert!(record["time"].as_str().unwrap().ends_with('Z'));

    let big = format!(
        "__funnelcake_page=%2Fguide%2F&email={}",
        "a".repeat(70 * 1024)
    );
    assert_eq!(
        post(
            dev.port,
            "application/x-www-form-urlencoded",
            big.as_bytes()
        ),
        413
    );
    assert_eq!(
        post(dev.port, "application/x-www-form-urlencoded", b"email=%zz"),
        400
    );
    assert_eq!(
        post(
            dev.port,
            "application/x-www-form-urlencoded",
            b"email=%ff%fe"
        ),
        400
    );
    assert_eq!(
        post(dev.port, "application/x-www-form-urlencoded", b"email=a"),
        400,
        "no page"
    );
    assert_eq!(
        post(
            dev.port,
            "application/x-www-form-urlencoded",
            b"__funnelcake_page=%2Fprivacy%2F&email=a"
        ),
        400,
        "not an opt-in page"
    );
    assert_eq!(post(dev.port, "application/json", b"{}"), 415);
    assert_eq!(
        post(dev.port, "application/x-www-form-urlencodedx", good),
        415,
        "only the exact type"
    );
    assert_eq!(
        post(
            dev.port,
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"email=%zz"
        ),
        400,
        "parameters are allowed"
    );
    let (status, _) = get(dev.port, "/__funnelcake/submit");
    assert_eq!(status, 405);
    assert_eq!(
        submissions(&dev.site),
        before,
        "bad input leaves the file as it was"
    );
}

#[test]
fn watcher_sees_two_sed_edits_and_a_save_by_rename() {
    let dev = start();
    let page = dev.site.join("content/privacy.md");
    for word in ["Lavender", "Marigold"] {
        let status = std::process::Command::new("sed")
            .args(["-i", &format!("s/^Privacy.*$/Privacy {word}./")])
            .arg(&page)
            .status()
            .unwrap();
        assert!(status.success());
        wait_for(word, || get(dev.port, "/privacy/").1.contains(word));
    }
    // An editor's save: write a temp file beside it, then rename it over.
    let text = std::fs::read_to_string(&page)
        .unwrap()
        .replace("Marigold", "Saffron");
    let temp = dev.site.join("content/.privacy.md.swp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, &page).unwrap();
    wait_for("Saffron", || {
        get(dev.port, "/privacy/").1.contains("Saffron")
    });
}

#[test]
fn browser_reloads_on_a_text_edit() {
    let dev = start();
    let mut browser = Browser::launch();
    browser.navigate(&format!("{}/privacy/", dev.url));
    browser.eval("window.__marker = 1");
    let page = dev.site.join("content/privacy.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, format!("{text}\nFreshly roasted words.\n")).unwrap();
    browser.wait_until(
        "document.body && document.body.innerText.includes('Freshly roasted words.')",
        Duration::from_secs(10),
    );
    assert_eq!(
        browser.eval("window.__marker === undefined"),
        serde_json::json!(true),
        "the page was reloaded"
    );
}

/// The head and first write of the event stream: `id` and `hello`, and any
/// `build-error`.
fn first_events(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /__funnelcake/events HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let mut buffer = [0u8; 4096];
    while !text.contains("event: hello") || !text.ends_with("\n\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buffer[..n])),
        }
    }
    text
}

/// The `Server-Timing` header of a page's answer.
fn server_timing(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let (head, _) = read_response(&mut stream);
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("server-timing:"))
        .unwrap_or_else(|| panic!("no Server-Timing in {head}"));
    line.split_once(':').unwrap().1.trim().to_string()
}

#[test]
fn pages_and_events_carry_the_rebuild_they_are_from() {
    let dev = start();
    assert_eq!(server_timing(dev.port, "/privacy/"), "funnelcake;desc=0");
    assert!(first_events(dev.port).contains("id: 0\nevent: hello\n"));
    let page = dev.site.join("content/privacy.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, format!("{text}\nA later word.\n")).unwrap();
    wait_for("the edit to be served", || {
        get(dev.port, "/privacy/").1.contains("A later word.")
    });
    assert_eq!(server_timing(dev.port, "/privacy/"), "funnelcake;desc=1");
    assert!(first_events(dev.port).contains("id: 1\nevent: hello\n"));
    // A save that changes nothing served is no new rebuild for the pages.
    std::fs::write(dev.site.join("content/notes.txt"), "not a page").unwrap();
    std::fs::write(&page, format!("{text}\nA later word.\n")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server_timing(dev.port, "/privacy/"), "funnelcake;desc=1");
}

#[test]
fn a_page_whose_event_stream_missed_a_rebuild_reloads_when_it_connects() {
    let dev = start();
    let mut browser = Browser::launch();
    browser.navigate(&format!("{}/privacy/", dev.url));
    browser.wait_until(
        "window.__funnelcakeEvents && window.__funnelcakeEvents.readyState === 1",
        Duration::from_secs(10),
    );
    browser.eval("window.__marker = 1");
    // The stream is closed (as if the page had not opened it yet) while a
    // save is rebuilt; `bye` opens it again half a second later.
    browser.eval("window.__funnelcakeEvents.dispatchEvent(new MessageEvent('bye'))");
    let page = dev.site.join("content/privacy.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, format!("{text}\nSaved while nobody listened.\n")).unwrap();
    browser.wait_until(
        "document.body && document.body.innerText.includes('Saved while nobody listened.')",
        Duration::from_secs(10),
    );
    assert_eq!(
        browser.eval("window.__marker === undefined"),
        serde_json::json!(true),
        "the page was reloaded"
    );
}

#[test]
fn browser_swaps_css_without_a_reload() {
    let dev = start();
    let mut browser = Browser::launch();
    browser.navigate(&format!("{}/guide/", dev.url));
    browser.eval("window.__marker = 1");
    browser.type_into("#field-email", "kept@example.com");
    std::fs::write(
        dev.site.join("css/_forms.css"),
        "body { background-color: rgb(1, 2, 3); }\n",
    )
    .unwrap();
    browser.wait_until(
        "getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'",
        Duration::from_secs(10),
    );
    assert_eq!(
        browser.eval("window.__marker"),
        serde_json::json!(1),
        "no reload"
    );
    assert_eq!(
        browser.eval("document.querySelector('#field-email').value"),
        serde_json::json!("kept@example.com"),
        "form input is kept"
    );
}

#[test]
fn browser_shows_the_overlay_for_broken_front_matter_and_clears_it() {
    let dev = start();
    let mut browser = Browser::launch();
    browser.navigate(&format!("{}/privacy/", dev.url));
    let page = dev.site.join("content/privacy.md");
    let good = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, good.replace("layout: page", "layout: [page")).unwrap();
    browser.wait_until(
        "!!document.getElementById('__funnelcake-overlay') && document.getElementById('__funnelcake-overlay').textContent.includes('content/privacy.md:')",
        Duration::from_secs(10),
    );
    // The server keeps serving the last good build, and a page opened now
    // shows the overlay too (the event stream starts with the errors).
    let (status, body) = get(dev.port, "/guide/");
    assert_eq!(status, 200);
    assert!(body.contains("<h1>The guide</h1>"));
    browser.navigate(&format!("{}/guide/", dev.url));
    browser.wait_until(
        "!!document.getElementById('__funnelcake-overlay') && document.getElementById('__funnelcake-overlay').textContent.includes('content/privacy.md:')",
        Duration::from_secs(10),
    );
    browser.navigate(&format!("{}/privacy/", dev.url));
    std::fs::write(&page, good.replace("Privacy.", "Privacy, fixed.")).unwrap();
    browser.wait_until(
        "!document.getElementById('__funnelcake-overlay') && document.body.innerText.includes('Privacy, fixed.')",
        Duration::from_secs(10),
    );
}

#[test]
fn browser_submits_the_opt_in_form_to_the_thank_you_page() {
    let dev = start();
    let mut browser = Browser::launch();
    browser.navigate(&format!("{}/guide/", dev.url));
    browser.type_into("#field-name", "Ada");
    browser.type_into("#field-email", "ada@example.com");
    browser.click("input[name=consent]");
    browser.click("form button[type=submit]");
    browser.wait_until("location.pathname === '/thanks/'", Duration::from_secs(10));
    let lines = submissions(&dev.site);
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let record: serde_json::Value = serde_json::from_str(lines.trim()).unwrap();
    assert_eq!(record["page"], "/guide/");
    assert_eq!(record["fields"]["email"], "ada@example.com");
    assert_eq!(record["fields"]["name"], "Ada");
    assert_eq!(record["fields"]["funnel_stage"], "subscribe");
}

/// `funnelcake serve SITE --port PORT` as a child process, once it serves.
fn serve_process(site: &Path, port: u16) -> std::process::Child {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_funnelcake"))
        .args(["serve", site.to_str().unwrap(), "--port", &port.to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the server to answer", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited: {status}");
        }
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    child
}

#[test]
fn browser_reconnects_and_reloads_after_a_server_restart() {
    let (_dir, site) = support::copy_fixture("full");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut first = serve_process(&site, port);
    let mut browser = Browser::launch();
    browser.navigate(&format!("http://127.0.0.1:{port}/privacy/"));
    browser.wait_until("!!window.__funnelcakeBoot", Duration::from_secs(10));
    let first_boot = browser.eval("window.__funnelcakeBoot");
    browser.eval("window.__marker = 1");
    // Ctrl-C, an edit while the server is down, and a new server on the
    // same port: the open page reconnects by itself and reloads.
    std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    first.wait().unwrap();
    let page = site.join("content/privacy.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("{text}\nWritten while the server was down.\n"),
    )
    .unwrap();
    let mut second = serve_process(&site, port);
    browser.wait_until(
        "document.body && document.body.innerText.includes('Written while the server was down.')",
        Duration::from_secs(15),
    );
    assert_eq!(
        browser.eval("window.__marker === undefined"),
        serde_json::json!(true)
    );
    browser.wait_until("!!window.__funnelcakeBoot", Duration::from_secs(10));
    assert_ne!(browser.eval("window.__funnelcakeBoot"), first_boot);
    let _ = second.kill();
    let _ = second.wait();
}

/// A copy of the Persian example site in a temp folder.
fn copy_persian_example() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site-fa");
    support::copy_tree(&example, &site);
    (dir, site)
}

/// Reads one response of a kept-alive connection: the head and exactly
/// `Content-Length` bytes of body.
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn a_folder_url_in_any_script_without_its_slash_is_redirected() {
    let (_dir, site) = copy_persian_example();
    let (server, port) = serve_site(&site);
    let request = "GET /%D8%B1%D8%A7%D9%87%D9%86%D9%85%D8%A7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 301"), "{head}");
    assert!(
        head.contains("Location: /%D8%B1%D8%A7%D9%87%D9%86%D9%85%D8%A7/\r\n"),
        "{head}"
    );
    let (status, body) = get(port, "/%D8%B1%D8%A7%D9%87%D9%86%D9%85%D8%A7/");
    assert_eq!(status, 200);
    assert!(body.contains("<html"));
    server.stop();
}

#[test]
fn twenty_pages_on_one_kept_alive_connection() {
    let dev = start();
    let mut stream = TcpStream::connect(("127.0.0.1", dev.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    for _ in 0..20 {
        stream
            .write_all(b"GET /guide/ HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(String::from_utf8_lossy(&body).contains("<h1>The guide</h1>"));
    }
    // A figure for the record, not an assertion: timing varies by machine.
    eprintln!(
        "20 pages on one connection: {} ms",
        started.elapsed().as_millis()
    );
}

#[test]
fn a_privacy_url_in_any_script_survives_every_save() {
    use funnelcake::serve::Session;
    let (_dir, site) = copy_persian_example();
    let page = site.join("content/راهنما.md");
    let (mut session, _) = Session::start(funnelcake::BuildOptions::new(&site)).unwrap();
    for n in 1..=3 {
        support::edit_file(&page, |text| format!("{text}\nویرایش {n}\n"));
        let rebuilt = session.rebuild(std::slice::from_ref(&page));
        let rebuilt =
            rebuilt.unwrap_or_else(|e| panic!("save {n}: {}", support::lines(&e).join("\n")));
        assert!(rebuilt.changed.iter().any(|p| p.ends_with("index.html")));
        let html = session.file(&format!("{}/index.html", "راهنما")).unwrap();
        assert!(String::from_utf8_lossy(&html).contains(&format!("ویرایش {n}")));
    }
}

/// The errors of a fresh in-memory build of `site`, as text.
fn fresh_errors(site: &Path) -> Vec<String> {
    match funnelcake::serve::Session::start(funnelcake::BuildOptions::new(site)) {
        Ok(_) => Vec::new(),
        Err(errors) => support::lines(&errors),
    }
}

#[test]
fn a_save_elsewhere_keeps_the_errors_of_a_broken_page() {
    use funnelcake::serve::Session;
    let (_dir, site) = support::copy_fixture("full");
    let (mut session, _) = Session::start(funnelcake::BuildOptions::new(&site)).unwrap();
    let privacy = site.join("content/privacy.md");
    let guide = site.join("content/guide.md");
    let good = std::fs::read_to_string(&privacy).unwrap();
    std::fs::write(&privacy, good.replace("layout: page", "layout: [page")).unwrap();
    let errors = session.rebuild(std::slice::from_ref(&privacy)).unwrap_err();
    assert_eq!(support::lines(&errors), fresh_errors(&site));

    // An unrelated page is saved while privacy.md is still broken.
    support::edit_file(&guide, |text| format!("{text}\nMore words.\n"));
    let errors = session.rebuild(std::slice::from_ref(&guide)).unwrap_err();
    let lines = support::lines(&errors);
    assert!(lines[0].contains("content/privacy.md:"), "{lines:?}");
    assert_eq!(lines, fresh_errors(&site));
    // The last good build is still served.
    let page = session.file("guide/index.html").unwrap();
    assert!(!String::from_utf8_lossy(&page).contains("More words."));

    std::fs::write(&privacy, good).unwrap();
    session.rebuild(std::slice::from_ref(&privacy)).unwrap();
    let page = session.file("guide/index.html").unwrap();
    assert!(String::from_utf8_lossy(&page).contains("More words."));
}

#[test]
fn a_folder_moved_in_or_out_of_content_is_noticed() {
    let dev = start();
    let outside = dev._dir.path().join("extra");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("bonus.md"),
        "---\ntitle: Bonus\n---\nBonus words.\n",
    )
    .unwrap();
    let inside = dev.site.join("content/extra");
    std::fs::rename(&outside, &inside).unwrap();
    wait_for("the moved-in page", || {
        get(dev.port, "/extra/bonus/").1.contains("Bonus words.")
    });
    std::fs::rename(&inside, &outside).unwrap();
    wait_for("the moved-out page to go", || {
        get(dev.port, "/extra/bonus/").0 == 404
    });
    std::fs::rename(&outside, &inside).unwrap();
    wait_for("the page back", || get(dev.port, "/extra/bonus/").0 == 200);
    std::fs::remove_dir_all(&inside).unwrap();
    wait_for("the deleted page to go", || {
        get(dev.port, "/extra/bonus/").0 == 404
    });
}

#[test]
fn the_overlay_is_left_to_right_with_persian_text_isolated() {
    let (_dir, site) = copy_persian_example();
    let (server, port) = serve_site(&site);
    let page = site.join("content/راهنما.md");
    support::edit_file(&page, |text| text.replacen("---\n", "---\nlayout: [x\n", 1));
    wait_for("the overlay", || first_errors(port).contains("</bdi>"));
    let errors = first_errors(port);
    assert!(
        errors.contains("data: error: <bdi dir=\"auto\">content/راهنما.md</bdi>:"),
        "{errors}"
    );
    let (_, script) = get(port, "/__funnelcake/live.js");
    assert!(script.contains("o.dir = \"ltr\";"), "the overlay is LTR");
    server.stop();
}

/// The `build-error` event a page gets first when it connects to the
/// event stream, or "" when the build is good.
fn first_errors(port: u16) -> String {
    let text = first_events(port);
    match text.find("event: build-error\n") {
        Some(at) => text[at..].to_string(),
        None => String::new(),
    }
}

/// Every output file of a build, as text.
fn built_files(out: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                files.push((path, text));
            }
        }
    }
    files
}

#[test]
fn served_pages_have_the_preview_bar_and_built_files_never_do() {
    let dev = start();
    let (_, landing) = get(dev.port, "/");
    let bar = landing
        .split_once("<aside class=\"fc-preview\" aria-label=\"Preview\">")
        .and_then(|(_, rest)| rest.split_once("</aside>"))
        .map(|(bar, _)| bar.to_string())
        .unwrap_or_else(|| panic!("no preview bar: {landing}"));
    assert!(bar.contains("<dt>Stage</dt><dd>Step 1 of "), "{bar}");
    assert!(
        bar.contains("<dt>Next step</dt><dd><a href=\"/guide/\">The guide</a></dd>"),
        "{bar}"
    );
    assert!(!bar.contains("A/B arm"), "not in an experiment: {bar}");
    assert!(
        !landing.contains("class=\"step\""),
        "show_step is off by default"
    );
    let (_, guide) = get(dev.port, "/guide/");
    assert!(guide.contains("action=\"/__funnelcake/submit\""), "{guide}");
    assert!(guide.contains("<input type=\"hidden\" name=\"__funnelcake_page\" value=\"/guide/\">"));

    let (_dir, site) = support::copy_fixture("experiment");
    let (server, port) = serve_site(&site);
    let (_, page) = get(port, "/guide/b/");
    server.stop();
    let arm = "<dt>A/B arm</dt><dd><bdi dir=\"ltr\">guide-headline: b</bdi></dd>";
    assert!(page.contains(arm), "{page}");

    for name in ["full", "experiment"] {
        let (_dir, out) = support::build_ok(name);
        for (path, text) in built_files(&out) {
            for marker in ["__funnelcake", "fc-preview", "EventSource"] {
                assert!(!text.contains(marker), "{}: {marker}", path.display());
            }
        }
    }
}

/// Posts a urlencoded `body` to the form endpoint: the status and body.
fn submit(port: u16, body: &str) -> (u16, String) {
    raw(
        port,
        &format!(
            "POST /__funnelcake/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn a_bot_or_a_missing_consent_is_recorded_and_marked() {
    let dev = start();
    let page = "__funnelcake_page=%2Fguide%2F&email=ada%40example.com";
    // The honeypot (`company_website` for a custom action) is filled.
    let (status, _) = submit(dev.port, &format!("{page}&consent=yes&company_website=x"));
    assert_eq!(status, 303, "a bot is not told");
    let (status, body) = submit(dev.port, page);
    assert_eq!(status, 422);
    assert!(
        body.contains("the required consent (`consent`) was not given"),
        "{body}"
    );
    assert!(body.contains("<a href=\"/thanks/\">"), "{body}");
    let (status, _) = submit(dev.port, &format!("{page}&consent=yes&company_website="));
    assert_eq!(status, 303);

    let records: Vec<serde_json::Value> = submissions(&dev.site)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "every submission is recorded");
    assert_eq!(records[0]["spam"], true);
    assert_eq!(records[0]["fields"]["company_website"], "x");
    assert!(records[0].get("consent").is_none());
    assert!(records[1].get("spam").is_none());
    assert_eq!(records[1]["consent"], false);
    assert_eq!(
        records[1]["problems"],
        serde_json::json!(["the required consent (`consent`) was not given; a provider would not add this person to the list"])
    );
    for key in ["spam", "consent", "problems"] {
        assert!(
            records[2].get(key).is_none(),
            "a good one is unmarked: {key}"
        );
    }
}

/// The hero's fallback file on the `images` fixture's home page, as the
/// layout names it (`data-src="/img/hero.60.HASH.jpg"`).
fn hero_file(session: &funnelcake::serve::Session) -> String {
    let home = String::from_utf8_lossy(&session.file("index.html").unwrap()).into_owned();
    let start = home.find("data-src=\"/img/").expect("a hero") + "data-src=\"/".len();
    let end = start + home[start..].find('"').unwrap();
    home[start..end].to_string()
}

#[test]
fn a_text_edit_encodes_no_image_and_a_replaced_image_is_served_under_a_new_name() {
    use funnelcake::serve::Session;
    let (_dir, site) = support::copy_fixture("images");
    let (mut session, first) = Session::start(funnelcake::BuildOptions::new(&site)).unwrap();
    // chart 3 widths x 3 formats, step 1 x 3, photo 2 x 3, hero 2 x 3,
    // encoded in the background: the pages name them already.
    assert_eq!(first.images_encoded, 24);
    let old_hero = hero_file(&session);
    assert!(old_hero.starts_with("img/hero.60."), "{old_hero}");
    let old_bytes = session.image(&old_hero).expect("the hero").wait().unwrap();
    assert_eq!(image::load_from_memory(&old_bytes).unwrap().width(), 60);

    // A text edit re-renders the page with the images it already has.
    let page = site.join("content/index.md");
    support::edit_file(&page, |t| t.replace("Intro.", "A new intro."));
    let rebuilt = session.rebuild(std::slice::from_ref(&page)).unwrap();
    assert_eq!(rebuilt.images_encoded, 0);
    assert_eq!(rebuilt.pages, 1);
    let home = session.file("index.html").unwrap();
    assert!(String::from_utf8_lossy(&home).contains("A new intro."));
    // So does a template edit, which rebuilds every page.
    let template = site.join("templates/hero.html");
    support::edit_file(&template, |t| {
        t.replace("<article>", "<article class=\"x\">")
    });
    let rebuilt = session.rebuild(std::slice::from_ref(&template)).unwrap();
    assert_eq!(rebuilt.images_encoded, 0);
    assert_eq!(hero_file(&session), old_hero);
    assert_eq!(*session.file(&old_hero).unwrap(), old_bytes);

    // A new photo in the hero's place is encoded (2 widths x 3 formats)
    // and served under a new name; the old name is gone.
    let blue = image::RgbImage::from_pixel(60, 120, image::Rgb([10, 10, 230]));
    blue.save(site.join("content/hero.jpg")).unwrap();
    let rebuilt = session.rebuild(&[site.join("content/hero.jpg")]).unwrap();
    assert_eq!(rebuilt.images_encoded, 6);
    assert!(rebuilt.changed.contains(&"index.html".to_string()));
    let new_hero = hero_file(&session);
    assert!(new_hero.starts_with("img/hero.60."), "{new_hero}");
    assert_ne!(new_hero, old_hero);
    assert!(!session.has_file(&old_hero) && session.image(&old_hero).is_none());
    let new_bytes = session
        .image(&new_hero)
        .expect("the new hero")
        .wait()
        .unwrap();
    let pixel = image::load_from_memory(&new_bytes).unwrap().to_rgb8();
    let pixel = pixel.get_pixel(30, 60).0;
    assert!(pixel[2] > 200 && pixel[0] < 60, "{pixel:?}");
}

#[test]
fn an_image_still_being_encoded_is_served_once_it_is_done() {
    // The dev server starts before the images are encoded; a browser
    // asking for one gets it when it is ready, as it would from a build.
    let (_dir, site) = support::copy_fixture("images");
    let (server, port) = serve_site(&site);
    let (status, home) = get(port, "/");
    assert_eq!(status, 200);
    let start = home.find("data-src=\"/img/").expect("a hero") + "data-src=\"".len();
    let hero = &home[start..start + home[start..].find('"').unwrap()];
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let wait = Some(Duration::from_secs(300));
    stream.set_read_timeout(wait).unwrap();
    let request = format!("GET {hero} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let (head, body) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("image/jpeg"), "{head}");
    assert_eq!(image::load_from_memory(&body).unwrap().width(), 60);
    server.stop();
}

#[test]
fn a_select_is_recorded_as_chosen_and_a_value_it_does_not_offer_is_marked() {
    let (dir, site) = support::copy_fixture("select");
    let (server, port) = serve_site(&site);
    let dev = Dev {
        _dir: dir,
        site,
        url: server.url.clone(),
        server: Some(server),
        port,
    };
    let page = "__funnelcake_page=%2Fjoin%2F&email=ada%40example.com";
    let (status, _) = submit(dev.port, &format!("{page}&roaster=Heat+gun+%26+bowl&cups="));
    assert_eq!(status, 303);
    let (status, body) = submit(dev.port, &format!("{page}&roaster=Gas+grill&cups=2-3"));
    assert_eq!(status, 422);
    assert!(
        body.contains("`roaster` is &quot;Gas grill&quot;, which is not one of its options"),
        "{body}"
    );
    let (status, body) = submit(dev.port, &format!("{page}&roaster=&cups=1"));
    assert_eq!(status, 422);
    assert!(
        body.contains("the required choice `roaster` was not made"),
        "{body}"
    );
    let records: Vec<serde_json::Value> = submissions(&dev.site)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "every submission is recorded");
    assert_eq!(records[0]["fields"]["roaster"], "Heat gun & bowl");
    assert!(records[0].get("problems").is_none(), "{}", records[0]);
    assert_eq!(
        records[1]["problems"],
        serde_json::json!(["`roaster` is \"Gas grill\", which is not one of its options"])
    );
}

/// The path (relative to OUT) of the social card a page's `og:image`
/// names, after the site's address `base`.
fn og_card(html: &str, base: &str) -> String {
    let tag = format!(r#"<meta property="og:image" content="{base}/"#);
    let start = html.find(&tag).expect("an og:image") + tag.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Width and height of a PNG, and whether it is opaque 8-bit colour (RGB,
/// or a palette for a card of few colours).
fn png_size(bytes: &[u8]) -> (u32, u32, bool) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let colour = matches!(
        info.color_type,
        png::ColorType::Rgb | png::ColorType::Indexed
    );
    let opaque = colour && info.bit_depth == png::BitDepth::Eight && info.trns.is_none();
    (info.width, info.height, opaque)
}

#[test]
fn the_dev_server_draws_a_social_card_only_when_it_is_asked_for() {
    use funnelcake::serve::Session;
    let (dir, site) = support::copy_fixture("cards");
    let base = "http://127.0.0.1:1111";
    let options = funnelcake::BuildOptions {
        base_url: Some(base.into()),
        dev: true,
        ..funnelcake::BuildOptions::new(&site)
    };
    let (mut session, started) = Session::start(options.clone()).unwrap();
    assert_eq!((started.cards_drawn, session.cards_drawn()), (0, 0));
    assert!(!site.join(".funnelcake/cache/cards").exists());
    let home = String::from_utf8_lossy(&session.file("index.html").unwrap()).into_owned();
    let card = og_card(&home, base);

    // A save renders the page with its new card's name, and draws nothing.
    let page = site.join("content/index.md");
    support::edit_file(&page, |t| {
        t.replace(
            "title: Roast your own coffee at home",
            "title: Roast at home",
        )
    });
    let rebuilt = session.rebuild(std::slice::from_ref(&page)).unwrap();
    assert_eq!((rebuilt.cards_drawn, session.cards_drawn()), (0, 0));
    let home = String::from_utf8_lossy(&session.file("index.html").unwrap()).into_owned();
    let new_card = og_card(&home, base);
    assert_ne!(new_card, card);
    assert!(!session.has_file(&card), "the old card is no longer served");

    // The same name, and the same bytes once drawn, as a build's.
    let out = dir.path().join("out");
    let built = funnelcake::build(&funnelcake::BuildOptions {
        out: Some(out.clone()),
        ..options
    })
    .unwrap();
    assert_eq!(built.cards_drawn, 2);
    let built_home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(og_card(&built_home, base), new_card);
    let drawn = session
        .card(&new_card)
        .expect("a card to draw")
        .png()
        .unwrap();
    assert!(*drawn == std::fs::read(out.join(&new_card)).unwrap());
    assert_eq!(png_size(&drawn), (1200, 630, true));
    assert_eq!(session.cards_drawn(), 0, "the build left it in the cache");
}

#[test]
fn the_dev_server_keeps_one_card_per_page_however_often_a_title_changes() {
    use funnelcake::serve::Session;
    let (_dir, site) = support::copy_fixture("cards");
    let base = "http://127.0.0.1:1111";
    let options = funnelcake::BuildOptions {
        base_url: Some(base.into()),
        dev: true,
        ..funnelcake::BuildOptions::new(&site)
    };
    let (mut session, _) = Session::start(options).unwrap();
    assert_eq!(session.cards_kept(), 2, "the home page and the opt-in");
    let page = site.join("content/index.md");
    let mut title = "Roast your own coffee at home".to_string();
    for n in 1..=5 {
        let new_title = format!("Roast at home, take {n}");
        support::edit_file(&page, |t| {
            t.replace(&format!("title: {title}"), &format!("title: {new_title}"))
        });
        title = new_title;
        let rebuilt = session.rebuild(std::slice::from_ref(&page)).unwrap();
        assert!(
            rebuilt
                .changed
                .iter()
                .any(|p| p.starts_with("social/index.")),
            "{:?}",
            rebuilt.changed
        );
        assert_eq!(session.cards_kept(), 2, "after edit {n}");
    }
    // The card the page names now is still there to draw.
    let home = String::from_utf8_lossy(&session.file("index.html").unwrap()).into_owned();
    let card = og_card(&home, base);
    assert!(session.card(&card).is_some(), "{card}");
}

#[test]
fn a_card_is_served_on_request_and_one_that_cannot_be_drawn_is_an_error_page() {
    let (_dir, site) = support::copy_fixture("cards");
    let (server, port) = serve_site(&site);
    let (status, home) = get(port, "/");
    assert_eq!(status, 200);
    let card = og_card(&home, &server.url);
    assert!(card.starts_with("social/index."), "{card}");
    assert!(
        !site.join(".funnelcake/cache/cards").exists(),
        "none drawn yet"
    );
    // HTTP/1.0, so the body is not chunked.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let request = format!("GET /{card} HTTP/1.0\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let body = &response[split + 4..];
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert!(head.contains("Content-Type: image/png"), "{head}");
    assert_eq!(png_size(body), (1200, 630, true));
    let cached = site.join(".funnelcake/cache/cards").read_dir().unwrap();
    assert_eq!(cached.count(), 1, "drawn once, into the cache");
    server.stop();

    // Well-formed XML of no size: the page is served, its card is not.
    std::fs::create_dir_all(site.join("templates")).unwrap();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\"><text>{{ page.title }}</text></svg>\n";
    std::fs::write(site.join("templates/social.svg"), svg).unwrap();
    let (server, port) = serve_site(&site);
    let (status, home) = get(port, "/");
    assert_eq!(status, 200);
    assert_eq!(first_errors(port), "", "nothing is wrong until it is drawn");
    let (status, page) = get(port, &format!("/{}", og_card(&home, &server.url)));
    assert_eq!(status, 500);
    let error = "templates/social.svg</bdi>:1:1: the social card's &lt;svg&gt; needs a width and height or a viewBox";
    assert!(page.contains(error), "{page}");
    assert!(first_errors(port).contains(error), "the overlay shows it");
    server.stop();
}

#[test]
fn an_image_whose_encoding_fails_is_an_error_at_the_page_that_uses_it() {
    // A full-page screenshot too tall for WebP: it decodes, so the page is
    // rendered at once, and its encoding fails in the background.
    let (dir, site) = support::copy_fixture("images");
    let tall = image::RgbImage::from_pixel(40, 16400, image::Rgb([200, 200, 200]));
    tall.save(site.join("content/tall.png")).unwrap();
    support::edit_file(&site.join("content/index.md"), |t| {
        format!("{t}\n![A long screenshot](tall.png)\n")
    });
    // Without AVIF, whose encoding of it takes long and would succeed.
    support::edit_file(&site.join("site.yaml"), |t| {
        t.replace("[avif, webp]", "[webp]")
    });
    let options = funnelcake::BuildOptions {
        out: Some(dir.path().join("out")),
        ..funnelcake::BuildOptions::new(&site)
    };
    let built = support::lines(&funnelcake::build(&options).unwrap_err());
    assert_eq!(built.len(), 1, "{built:?}");
    let expected = "too large for WebP, which allows at most 16383 pixels a side";
    assert!(built[0].contains(expected), "{built:?}");
    // `error: content/index.md:LINE:COL`, as the overlay writes it.
    let place = built[0].split(": ").nth(1).unwrap();
    let (file, at) = place.split_once(':').unwrap();
    let place = format!("{file}</bdi>:{at}: image ");

    let (server, port) = serve_site(&site);
    let (status, home) = get(port, "/");
    assert_eq!(status, 200);
    // `<source srcset="/img/tall.40.HASH.webp 40w">`: WebP comes first.
    let start = home.find("/img/tall.40.").expect("the screenshot");
    let webp = home[start..].split([' ', '"']).next().unwrap();
    assert!(webp.ends_with(".webp"), "{webp}");
    let (status, page) = get(port, webp);
    assert_eq!(status, 500);
    assert!(page.contains(&place) && page.contains(expected), "{page}");
    let overlay = first_errors(port);
    assert!(
        overlay.contains(&place) && overlay.contains(expected),
        "{overlay}"
    );
    server.stop();
}

/// The card of the page at `path` on a funnel map's HTML.
fn map_card<'a>(map: &'a str, path: &str) -> &'a str {
    let at = map.find(&format!("<code>{path}</code>")).expect(path);
    &map[at..at + map[at..].find("</article>").unwrap()]
}

const HEAVY: &str = r#"title="page-weight">heavy page</span>"#;

#[test]
fn the_served_map_shows_heavy_pages_as_a_build_does_and_follows_edits() {
    use funnelcake::serve::Session;
    let (dir, site) = support::copy_fixture("conversion");
    let heavy = site.join("content/heavy.md");
    let page = |body: &str| {
        format!("---\ntitle: Heavy\ndescription: A long page.\nstage: discover\nnext: signup.md\n---\n{body}\n")
    };
    std::fs::write(&heavy, page(&"Roast. ".repeat(30_000))).unwrap();
    let built = support::build_site(&site, dir.path().join("out"));
    let built_map = support::read(&built, "funnel/index.html");
    assert!(map_card(&built_map, "/heavy/").contains(HEAVY));
    let (mut session, _) = Session::start(funnelcake::BuildOptions::new(&site)).unwrap();
    let served_map = |session: &Session| {
        String::from_utf8_lossy(&session.file("funnel/index.html").unwrap()).into_owned()
    };
    let map = served_map(&session);
    assert_eq!(map_card(&map, "/heavy/"), map_card(&built_map, "/heavy/"));
    assert!(!map_card(&map, "/signup/").contains("page-weight"));

    // A save that makes the page light, then heavy again, redraws the map.
    std::fs::write(&heavy, page("Roast.")).unwrap();
    session.rebuild(std::slice::from_ref(&heavy)).unwrap();
    assert!(!map_card(&served_map(&session), "/heavy/").contains("page-weight"));
    std::fs::write(&heavy, page(&"Roast. ".repeat(30_000))).unwrap();
    session.rebuild(std::slice::from_ref(&heavy)).unwrap();
    assert!(map_card(&served_map(&session), "/heavy/").contains(HEAVY));
    // Another page's save keeps it.
    let signup = site.join("content/signup.md");
    support::edit_file(&signup, |t| format!("{t}\nOne more line.\n"));
    session.rebuild(std::slice::from_ref(&signup)).unwrap();
    assert!(map_card(&served_map(&session), "/heavy/").contains(HEAVY));

    // A stylesheet that grows past the budget makes every page heavy.
    let theme_css = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/starter/css/main.css");
    let big = format!(
        "{}\n.big::after {{ content: \"{}\"; }}\n",
        std::fs::read_to_string(theme_css).unwrap(),
        "x".repeat(220_000)
    );
    std::fs::create_dir_all(site.join("css")).unwrap();
    std::fs::write(site.join("css/main.css"), big).unwrap();
    session.rebuild(&[site.join("css/main.css")]).unwrap();
    assert!(map_card(&served_map(&session), "/signup/").contains(HEAVY));
}

/// The lines `funnelcake serve SITE` prints, as they come, and the server.
struct Printed {
    child: std::process::Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Printed {
    fn start(site: &Path) -> Printed {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_funnelcake"))
            .args(["serve", site.to_str().unwrap(), "--port", "0"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(stderr) {
                sink.lock().unwrap().push(line.unwrap());
            }
        });
        Printed { child, lines }
    }

    /// The warning lists printed after each line starting with `start`:
    /// the lines after it that start with `warning:` or `  = help:`. A
    /// rebuild whose list did not change prints an empty one.
    fn lists_after(&self, start: &str) -> Vec<Vec<String>> {
        let lines = self.lines.lock().unwrap();
        let starts = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with(start));
        let list = |at: usize| {
            let rest = lines[at + 1..].iter();
            let list = rest.take_while(|l| l.starts_with("warning:") || l.starts_with("  = help:"));
            list.cloned().collect()
        };
        starts.map(|(at, _)| list(at)).collect()
    }
}

impl Drop for Printed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Warning lines with their numbers left out: a served page carries the
/// preview bar and the live-reload script, so it weighs a little more
/// than the built page.
fn without_numbers(lines: &[String]) -> Vec<String> {
    let digits = |l: &String| l.chars().filter(|c| !c.is_ascii_digit()).collect();
    lines.iter().map(digits).collect()
}

#[test]
fn serve_prints_the_page_weight_warnings_as_check_does_after_a_build_and_each_rebuild() {
    let (_dir, site) = support::copy_fixture("conversion");
    let heavy = site.join("content/heavy.md");
    let page = |body: &str| {
        format!("---\ntitle: Heavy\ndescription: A long page.\nstage: discover\nnext: signup.md\n---\n{body}\n")
    };
    std::fs::write(&heavy, page(&"Roast. ".repeat(30_000))).unwrap();
    let checked = |site: &Path| -> Vec<String> {
        let diagnostics = funnelcake::check(&funnelcake::BuildOptions::new(site));
        let text: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        text.join("\n").lines().map(String::from).collect()
    };
    let weighs = "warning: content/heavy.md: the page weighs";
    let heavy_check = checked(&site);
    assert!(heavy_check.iter().any(|l| l.starts_with(weighs)));

    let served = Printed::start(&site);
    wait_for("the server", || {
        served
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("serving "))
    });
    let first = served.lists_after("built ").remove(0);
    assert_eq!(without_numbers(&first), without_numbers(&heavy_check));

    // Light, then heavy again: a rebuild prints the list as it is now. A
    // save seen as two rebuilds prints it after the first; a list is read
    // once all its lines are (it has as many as `check`'s, or the wait
    // fails).
    std::fs::write(&heavy, page("Roast.")).unwrap();
    let light_check = checked(&site);
    assert!(!light_check.iter().any(|l| l.starts_with(weighs)));
    let mut light = Vec::new();
    let mut seen = 0;
    wait_for("the light page's warnings", || {
        let lists = served.lists_after("changed ");
        let found = lists
            .iter()
            .position(|list| list.len() == light_check.len());
        (seen, light) = found.map_or((0, Vec::new()), |at| (at + 1, lists[at].clone()));
        found.is_some()
    });
    assert_eq!(without_numbers(&light), without_numbers(&light_check));
    std::fs::write(&heavy, page(&"Roast. ".repeat(30_000))).unwrap();
    let mut again = Vec::new();
    wait_for("the heavy page's warnings", || {
        let lists = served.lists_after("changed ");
        let found = lists.into_iter().skip(seen).find(|list| !list.is_empty());
        again = found.unwrap_or_default();
        again.len() == heavy_check.len()
    });
    assert_eq!(without_numbers(&again), without_numbers(&heavy_check));
}
