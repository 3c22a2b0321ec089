//! `funnelcake serve`: the site from memory, rebuilt as files change, with
//! live reload, CSS swap, an error overlay and a local form endpoint. This
//! module is the HTTP side: binding, routing, the pages and the event
//! stream; [`crate::serve::watch`] rebuilds, [`crate::serve::submit`] takes
//! the forms.
//!
//! - The build lives in a [`Session`]; nothing is written to `public/`.
//! - One thread per request, so an open event stream never blocks a page.
//! - Served pages are rendered with `dev` in the template context, and the
//!   theme places the live-reload script (`live.js`) and a preview bar; no
//!   HTML is rewritten here, and built files never hold either. The script
//!   listens on `/__funnelcake/events` (Server-Sent Events), reloads, swaps
//!   stylesheets, and shows build errors as an overlay.

use crate::base::diagnostics::{Diagnostic, Diagnostics};
use crate::render::context::{DEV_SCRIPT_PATH, DEV_SUBMIT_PATH};
use crate::serve::session::Session;
use crate::serve::submit::{self, valid_escapes};
use crate::serve::watch::{
    self, broadcast, build_error_event, diagnostics_html, log_diagnostics, Watcher,
};
use crate::site::BuildOptions;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, Server};

pub(crate) const EVENTS_PATH: &str = "/__funnelcake/events";

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub site: PathBuf,
    pub port: u16,
    pub interface: IpAddr,
    pub drafts: bool,
}

/// A running dev server; dropping it does not stop it, [`DevServer::stop`] does.
pub struct DevServer {
    pub url: String,
    server: Arc<Server>,
    state: Arc<State>,
    _watcher: Option<Watcher>,
}

/// What the request threads and the watcher share.
pub(crate) struct State {
    pub(crate) site: PathBuf,
    /// How every rebuild from scratch is made.
    pub(crate) options: BuildOptions,
    pub(crate) build: RwLock<Build>,
    pub(crate) clients: Mutex<Vec<Sender<String>>>,
    pub(crate) log: Box<dyn Fn(String) + Send + Sync>,
    /// Tells a restarted server from the one a page was loaded from: an
    /// open page that reconnects to a new server reloads.
    boot: String,
}

pub(crate) struct Build {
    pub(crate) session: Option<Session>,
    /// The warnings last printed, so a rebuild prints them only when they change.
    pub(crate) warnings: Arc<Diagnostics>,
    /// The errors of the last rebuild, as the overlay shows them.
    pub(crate) errors: Option<String>,
    /// Counts the rebuilds that changed what is served. Every page is
    /// answered with it (`Server-Timing: funnelcake;desc=N`) and every
    /// event carries it as its SSE id, so a page whose event stream opened
    /// after a rebuild it never heard of (a save within milliseconds of the
    /// page loading) sees that on `hello` and reloads.
    pub(crate) generation: u64,
}

impl DevServer {
    /// Binds (trying the next ports when one is busy), builds, starts
    /// watching, and serves on background threads. `log` gets one line per
    /// event worth telling.
    pub fn start(
        options: ServeOptions,
        log: impl Fn(String) + Send + Sync + 'static,
    ) -> Result<DevServer, String> {
        let (server, port) = bind(options.interface, options.port)?;
        // Port 0 asks the system for any free port: not a busy one.
        if port != options.port && options.port != 0 {
            log(format!("port {} is busy; using {port}", options.port));
        }
        let url = format!("http://{}:{port}", host_of(options.interface));
        let build_options = BuildOptions {
            site: options.site.clone(),
            out: None,
            base_url: Some(url.clone()),
            drafts: options.drafts,
            dev: true,
            force: false,
        };
        let build = first_build(&build_options, &log);
        let state = Arc::new(State {
            site: options.site.clone(),
            options: build_options,
            build: RwLock::new(build),
            clients: Mutex::new(Vec::new()),
            log: Box::new(log),
            boot: boot_id(),
        });
        let server = Arc::new(server);
        let watcher = watch::watch(&options.site, state.clone())?;
        let accept = server.clone();
        let shared = state.clone();
        std::thread::spawn(move || {
            for request in accept.incoming_requests() {
                let state = shared.clone();
                std::thread::spawn(move || handle(&state, request));
            }
        });
        Ok(DevServer {
            url,
            server,
            state,
            _watcher: Some(watcher),
        })
    }

    /// Stops accepting requests and closes every event stream.
    pub fn stop(mut self) {
        self._watcher = None;
        self.state
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.server.unblock();
    }
}

/// The host part of the URL to print: a wildcard address is reached
/// through the loopback.
fn host_of(interface: IpAddr) -> String {
    match interface {
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
        ip => ip.to_string(),
    }
}

/// The first build; when it fails, every page is the error page until a
/// save fixes it.
fn first_build(options: &BuildOptions, log: &dyn Fn(String)) -> Build {
    let started = Instant::now();
    match Session::start(options.clone()) {
        Ok((session, rebuilt)) => {
            log(format!(
                "built {} pages in {} ms",
                rebuilt.pages,
                started.elapsed().as_millis()
            ));
            log_diagnostics(log, &rebuilt.warnings);
            Build {
                session: Some(session),
                warnings: rebuilt.warnings.clone(),
                errors: None,
                generation: 0,
            }
        }
        Err(errors) => {
            log_diagnostics(log, &errors);
            log("the site has errors; serving the error page until they are fixed".into());
            Build {
                session: None,
                warnings: Arc::default(),
                errors: Some(diagnostics_html(&errors)),
                generation: 0,
            }
        }
    }
}

fn bind(interface: IpAddr, first: u16) -> Result<(Server, u16), String> {
    let mut last_error = String::new();
    for port in first..=first.saturating_add(20) {
        match Server::http((interface, port)) {
            Ok(server) => {
                let port = server.server_addr().to_ip().map_or(port, |a| a.port());
                return Ok((server, port));
            }
            Err(e) => last_error = e.to_string(),
        }
        if first == 0 {
            break;
        }
    }
    Err(format!(
        "cannot listen on {interface}:{first} or the 20 ports after it: {last_error}"
    ))
}

fn handle(state: &State, request: Request) {
    let url = request.url().to_string();
    let (raw_path, _query) = url.split_once('?').unwrap_or((&url, ""));
    if raw_path == EVENTS_PATH {
        return events(state, request);
    }
    if raw_path == DEV_SUBMIT_PATH {
        return submit::submit(state, request);
    }
    if raw_path == DEV_SCRIPT_PATH {
        let script = Header::from_bytes("Content-Type", "text/javascript; charset=utf-8")
            .expect("valid header");
        let response = Response::from_data(LIVE_SCRIPT.as_bytes().to_vec())
            .with_header(script)
            .with_header(no_cache());
        return respond(request, response);
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        return respond(request, text_response(405, "only GET and HEAD here"));
    }
    let Some(path) = clean_path(raw_path) else {
        return respond(request, text_response(400, "bad path"));
    };
    let build = state.build.read().unwrap_or_else(|e| e.into_inner());
    let generation = build.generation;
    let Some(session) = build.session.as_ref() else {
        let page = error_page(BUILD_FAILED, build.errors.as_deref().unwrap_or(""));
        drop(build);
        return respond(request, page_response(500, page, generation));
    };
    let file = path.trim_start_matches('/');
    let card = session.card(file);
    let image = session.image(file);
    let served = if card.is_none() && image.is_none() {
        serve_file(session, &path)
    } else {
        Served::NotFound
    };
    drop(build);
    // Drawn or encoded without holding the build meanwhile.
    if let Some(card) = card {
        return match card.png() {
            Ok(bytes) => respond(request, file_response(200, file, bytes.to_vec())),
            Err(error) => failed_on_request(state, request, error),
        };
    }
    if let Some(image) = image {
        return match image.wait() {
            Ok(bytes) => respond(request, file_response(200, file, bytes)),
            Err(error) => failed_on_request(state, request, error),
        };
    }
    match served {
        Served::Html(status, html) => respond(request, page_response(status, html, generation)),
        Served::File(status, file, bytes) => respond(request, file_response(status, &file, bytes)),
        Served::Redirect(location) => respond(request, redirect(301, &location)),
        Served::NotFound => respond(request, text_response(404, "not found")),
    }
}

/// Answers a file made on request that could not be made (a social card
/// whose SVG cannot be drawn, an image whose encoding failed) with the error page, and shows the error on
/// every open page as a failed rebuild does, until the next good one.
fn failed_on_request(state: &State, request: Request, error: Diagnostic) {
    (state.log)(error.to_string());
    let html = diagnostics_html(&Diagnostics::from_iter([error]));
    let mut build = state.build.write().unwrap_or_else(|e| e.into_inner());
    let new = build.errors.as_deref() != Some(html.as_str());
    build.errors = Some(html.clone());
    let generation = build.generation;
    drop(build);
    if new {
        broadcast(state, build_error_event(&html));
    }
    let page = error_page(FAILED_ON_REQUEST, &html);
    respond(request, page_response(500, page, generation));
}

/// What a GET of a path in the build answers.
enum Served {
    Html(u16, String),
    File(u16, String, Vec<u8>),
    Redirect(String),
    NotFound,
}

/// The file at the decoded request `path`: its `index.html` for a folder,
/// a redirect for a folder without its slash, else the site's 404 page.
fn serve_file(session: &Session, path: &str) -> Served {
    let mut file = path.trim_start_matches('/').to_string();
    if file.is_empty() || file.ends_with('/') {
        file.push_str("index.html");
    } else if !session.has_file(&file) && session.has_file(&format!("{file}/index.html")) {
        // The decoded path may hold any letter: a header value must be ASCII.
        return Served::Redirect(format!("{}/", crate::base::url::encode_path(path)));
    }
    let (status, file, bytes) = match session.file(&file) {
        Some(bytes) => (200, file, bytes),
        None => match session.file("404.html") {
            Some(bytes) => (404, "404.html".to_string(), bytes),
            None => return Served::NotFound,
        },
    };
    if file.ends_with(".html") {
        Served::Html(status, String::from_utf8_lossy(&bytes).into_owned())
    } else {
        Served::File(status, file, bytes.to_vec())
    }
}

/// Sends `response` in one write. tiny_http writes the head and a body of
/// more than 1 kB separately, and with Nagle's algorithm on, the body of
/// every answer after the first on a kept-alive connection then waits for
/// the client's delayed ACK (about 40 ms).
pub(crate) fn respond<R: Read>(request: Request, response: Response<R>) {
    let mut bytes = Vec::new();
    let head_only = request.method() == &Method::Head;
    let version = request.http_version().clone();
    if response
        .raw_print(&mut bytes, version, request.headers(), head_only, None)
        .is_err()
    {
        return;
    }
    let mut writer = request.into_writer();
    let _ = writer.write_all(&bytes).and_then(|_| writer.flush());
}

/// The decoded request path, or `None` when it could reach outside the
/// build: `..` segments, backslashes or NUL bytes, plain or percent-encoded.
pub(crate) fn clean_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') {
        return None;
    }
    if !valid_escapes(raw) {
        return None;
    }
    let path = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    let bad = path.contains('\0')
        || path.contains('\\')
        || path
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
        || path.starts_with("//");
    (!bad).then_some(path)
}

/// The Content-Type of a built file, from its extension; text types are
/// UTF-8, as everything funnelcake writes is.
fn content_type(file: &str) -> String {
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

fn no_cache() -> Header {
    Header::from_bytes("Cache-Control", "no-store").expect("valid header")
}

fn file_response(status: u16, file: &str, bytes: Vec<u8>) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", content_type(file).as_bytes()).expect("valid header");
    Response::from_data(bytes)
        .with_status_code(status)
        .with_header(header)
        .with_header(no_cache())
}

pub(crate) fn text_response(status: u16, text: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("valid header");
    Response::from_data(text.as_bytes().to_vec())
        .with_status_code(status)
        .with_header(header)
}

pub(crate) fn html_response(status: u16, html: String) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/html; charset=utf-8").expect("valid header");
    Response::from_data(html.into_bytes())
        .with_status_code(status)
        .with_header(header)
        .with_header(no_cache())
}

/// A built page, telling the live-reload client which rebuild it is from.
fn page_response(status: u16, html: String, generation: u64) -> Response<std::io::Cursor<Vec<u8>>> {
    let timing = format!("funnelcake;desc={generation}");
    let timing = Header::from_bytes("Server-Timing", timing).expect("valid header");
    html_response(status, html).with_header(timing)
}

/// The live-reload client, served at [`DEV_SCRIPT_PATH`]; dev pages load
/// it themselves (`dev.script` in the template context).
const LIVE_SCRIPT: &str = include_str!("live.js");

/// The error page's first line while the first build has failed.
const BUILD_FAILED: &str = "funnelcake: the build failed; still showing the last good build.";
/// Its first line for a file made on request that could not be made.
const FAILED_ON_REQUEST: &str = "funnelcake: this file could not be made.";

/// Shown for every page while the first build has failed (there is no page
/// to show, so the overlay is part of this one), and for a file made on
/// request that failed; `headline` says which.
fn error_page(headline: &str, errors: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed · funnelcake</title></head><body><script src=\"{DEV_SCRIPT_PATH}\"></script><div id=\"__funnelcake-overlay\" role=\"alert\" dir=\"ltr\" style=\"position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,24,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem;overflow:auto;white-space:pre-wrap;text-align:left\">{headline}\n\n{errors}</div></body></html>"
    )
}

/// A new id for every server started, even twice in one process.
fn boot_id() -> String {
    static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{millis}-{}-{n}", std::process::id())
}

/// The event stream: one thread per open page, writing as events come.
fn events(state: &State, request: Request) {
    let (tx, rx) = mpsc::channel::<String>();
    state
        .clients
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(tx);
    let mut writer = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n";
    let (errors, generation) = {
        let build = state.build.read().unwrap_or_else(|e| e.into_inner());
        (build.errors.clone(), build.generation)
    };
    let hello = format!(
        "retry: 500\nid: {generation}\nevent: hello\ndata: {}\n\n",
        state.boot
    );
    let mut first = format!("{head}{hello}");
    if let Some(errors) = errors {
        first.push_str(&build_error_event(&errors));
    }
    if writer
        .write_all(first.as_bytes())
        .and_then(|_| writer.flush())
        .is_err()
    {
        return;
    }
    loop {
        let message = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(message) => message,
            Err(mpsc::RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The server is stopping. The connection may outlive it, so
                // the page is told to reconnect (to the next server).
                let _ = writer
                    .write_all(b"event: bye\ndata: stopping\n\n")
                    .and_then(|_| writer.flush());
                return;
            }
        };
        if writer
            .write_all(message.as_bytes())
            .and_then(|_| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

/// A redirect to `location`, which must be ASCII; any other byte is
/// percent-encoded rather than trusted to the header.
pub(crate) fn redirect(status: u16, location: &str) -> Response<std::io::Empty> {
    let location = if location.is_ascii() && !location.contains(['\r', '\n']) {
        location.to_string()
    } else {
        crate::base::url::encode_path(location)
    };
    let response = Response::empty(status);
    match Header::from_bytes("Location", location) {
        Ok(header) => response.with_header(header),
        Err(()) => Response::empty(500),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_build_are_refused() {
        assert_eq!(clean_path("/guide/").as_deref(), Some("/guide/"));
        assert_eq!(clean_path("/caf%C3%A9/").as_deref(), Some("/café/"));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/%2e%2e/etc/passwd",
            "/a%2F..%2F..%2Fetc",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/a%00b",
            "//etc/passwd",
            "/%zz",
            "relative",
        ] {
            assert_eq!(clean_path(bad), None, "{bad}");
        }
    }
}
