//! `funnelcake serve`: the site from memory, rebuilt as files change, with
//! live reload, CSS swap, an error overlay and a local form endpoint.
//!
//! - The build lives in a [`Session`]; nothing is written to `public/`.
//! - One thread per request, so an open event stream never blocks a page.
//! - The watcher (notify, debounced) turns a burst of events into one
//!   rebuild of what the changed files affect.
//! - Pages get a small script, added as they are served (never in the
//!   build): it listens on `/__funnelcake/events` (Server-Sent Events),
//!   reloads, swaps stylesheets, and shows build errors as an overlay.
//! - Opt-in forms post to `/__funnelcake/submit`, which appends the
//!   submission to `SITE/.funnelcake/submissions.jsonl` and answers with a
//!   303 to the form's thank-you page.

use crate::base::diagnostics::Diagnostics;
use crate::base::html::escape;
use crate::serve::session::{scope_of, Scope, Session};
use crate::site::BuildOptions;
use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult};
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, Server};

pub(crate) const EVENTS_PATH: &str = "/__funnelcake/events";
pub(crate) const SUBMIT_PATH: &str = "/__funnelcake/submit";
/// The largest form submission taken.
pub(crate) const MAX_SUBMISSION: usize = 64 * 1024;
const PAGE_FIELD: &str = "__funnelcake_page";

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
    _watcher: Option<
        notify_debouncer_full::Debouncer<
            notify::RecommendedWatcher,
            notify_debouncer_full::RecommendedCache,
        >,
    >,
}

/// What the request threads share.
struct State {
    site: PathBuf,
    /// How every rebuild from scratch is made.
    options: BuildOptions,
    build: RwLock<Build>,
    clients: Mutex<Vec<Sender<String>>>,
    log: Box<dyn Fn(String) + Send + Sync>,
    /// Tells a restarted server from the one a page was loaded from: an
    /// open page that reconnects to a new server reloads.
    boot: String,
}

struct Build {
    session: Option<Session>,
    /// The warnings last printed, so a rebuild prints them only when they change.
    warnings: Diagnostics,
    /// The errors of the last rebuild, as the terminal shows them.
    errors: Option<String>,
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
        if port != options.port {
            log(format!("port {} is busy; using {port}", options.port));
        }
        let host = match options.interface {
            IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
            ip => ip.to_string(),
        };
        let url = format!("http://{host}:{port}");
        let build_options = BuildOptions {
            site: options.site.clone(),
            out: None,
            base_url: Some(url.clone()),
            drafts: options.drafts,
            dev: true,
            force: false,
        };
        let started = Instant::now();
        let build = match Session::start(build_options.clone()) {
            Ok((session, rebuilt)) => {
                log(format!(
                    "built {} pages in {} ms",
                    rebuilt.pages,
                    started.elapsed().as_millis()
                ));
                log_diagnostics(&log, &rebuilt.warnings);
                Build {
                    session: Some(session),
                    warnings: rebuilt.warnings.clone(),
                    errors: None,
                }
            }
            Err(errors) => {
                log_diagnostics(&log, &errors);
                log("the site has errors; serving the error page until they are fixed".into());
                Build {
                    session: None,
                    warnings: Diagnostics::new(),
                    errors: Some(diagnostics_html(&errors)),
                }
            }
        };
        let state = Arc::new(State {
            site: options.site.clone(),
            options: build_options,
            build: RwLock::new(build),
            clients: Mutex::new(Vec::new()),
            log: Box::new(log),
            boot: boot_id(),
        });
        let server = Arc::new(server);
        let watcher = watch(&options.site, state.clone())?;
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

fn log_diagnostics(log: &dyn Fn(String), diagnostics: &Diagnostics) {
    for d in diagnostics.iter() {
        log(d.to_string());
    }
}

/// The errors as the overlay shows them: HTML, one line each (and one per
/// hint). The overlay is left-to-right, for its English; the user's text
/// (the file path, anything quoted) is isolated with `dir="auto"`, so a
/// Persian path or title keeps its own direction without scrambling the
/// line around it.
fn diagnostics_html(diagnostics: &Diagnostics) -> String {
    let mut lines = Vec::new();
    for d in diagnostics.iter().filter(|d| d.is_error()) {
        let mut line = format!("error: {}", isolated(&d.file));
        if let (Some(l), Some(c)) = (d.line, d.column) {
            line.push_str(&format!(":{l}:{c}"));
        }
        line.push_str(&format!(": {}", isolate_quoted(&d.message)));
        lines.push(line);
        if let Some(hint) = &d.hint {
            lines.push(format!("  = help: {}", isolate_quoted(hint)));
        }
    }
    lines.join("\n")
}

fn isolated(text: &str) -> String {
    format!("<bdi dir=\"auto\">{}</bdi>", escape(text))
}

/// Escapes `text`, isolating each `"quoted"` or `` `quoted` `` part.
fn isolate_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = &rest[open..open + 1];
        let Some(len) = rest[open + 1..].find(quote) else {
            break;
        };
        let close = open + 1 + len;
        out.push_str(&escape(&rest[..open]));
        out.push_str(&isolated(&rest[open..=close]));
        rest = &rest[close + 1..];
    }
    out.push_str(&escape(rest));
    out
}

/// Watches the site folder; every debounced burst is one rebuild.
fn watch(
    site: &Path,
    state: Arc<State>,
) -> Result<
    notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
    String,
> {
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(Duration::from_millis(60), None, tx)
        .map_err(|e| format!("cannot watch {}: {e}", site.display()))?;
    debouncer
        .watch(site, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", site.display()))?;
    let site = site.to_path_buf();
    std::thread::spawn(move || rebuild_loop(&site, rx, state));
    Ok(debouncer)
}

/// The site-relative paths of a burst of events that the build reads.
fn relevant_paths(site: &Path, events: &[notify_debouncer_full::DebouncedEvent]) -> Vec<PathBuf> {
    let site_abs = crate::base::fs::absolute(site);
    let mut paths: Vec<PathBuf> = events
        .iter()
        .filter(|e| !e.kind.is_access())
        .flat_map(|e| e.paths.iter())
        .filter_map(|p| {
            let p = crate::base::fs::absolute(p);
            p.strip_prefix(&site_abs).ok().map(Path::to_path_buf)
        })
        .filter(|rel| {
            // Output, hidden folders (.funnelcake, .git) and editor files.
            !rel.iter().any(crate::base::fs::is_editor_junk) && scope_of(rel) != Scope::None
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn rebuild_loop(site: &Path, events: Receiver<DebounceEventResult>, state: Arc<State>) {
    while let Ok(result) = events.recv() {
        let Ok(batch) = result else { continue };
        let mut paths = relevant_paths(site, &batch);
        // Events that arrived while rebuilding join this rebuild.
        while let Ok(Ok(more)) = events.try_recv() {
            paths.extend(relevant_paths(site, &more));
        }
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            continue;
        }
        rebuild(&state, &paths);
    }
}

fn rebuild(state: &State, paths: &[PathBuf]) {
    let started = Instant::now();
    let what = match paths {
        [one] => one.display().to_string(),
        [first, rest @ ..] => format!("{} and {} more", first.display(), rest.len()),
        [] => return,
    };
    let mut build = state.build.write().unwrap_or_else(|e| e.into_inner());
    // After a failed first build there is nothing to update: start over.
    let result = match build.session.as_mut() {
        Some(session) => session.rebuild(paths).map(|r| (r, None)),
        None => Session::start(state.options.clone()).map(|(s, r)| (r, Some(s))),
    };
    let ms = started.elapsed().as_millis();
    match result {
        Ok((rebuilt, session)) => {
            if let Some(session) = session {
                build.session = Some(session);
            }
            let was_broken = build.errors.take().is_some();
            let new_warnings = rebuilt.warnings != build.warnings;
            if new_warnings {
                build.warnings = rebuilt.warnings.clone();
            }
            drop(build);
            (state.log)(format!(
                "changed {what}: rebuilt in {ms} ms, {} pages rendered, {} files changed",
                rebuilt.pages,
                rebuilt.changed.len()
            ));
            if new_warnings {
                log_diagnostics(&*state.log, &rebuilt.warnings);
            }
            let event = if was_broken {
                "event: reload\ndata: *\n\n".to_string()
            } else if rebuilt.changed.is_empty() {
                return;
            } else if rebuilt.css_only {
                format!("event: css\ndata: {}\n\n", rebuilt.changed.join(" "))
            } else {
                let urls: Vec<String> = rebuilt.changed.iter().map(|p| url_of_output(p)).collect();
                format!("event: reload\ndata: {}\n\n", urls.join(" "))
            };
            broadcast(state, event);
        }
        Err(errors) => {
            let text = diagnostics_html(&errors);
            build.errors = Some(text.clone());
            drop(build);
            (state.log)(format!(
                "changed {what}: the build failed in {ms} ms; still serving the last good build"
            ));
            log_diagnostics(&*state.log, &errors);
            let data: String = text.lines().map(|l| format!("data: {l}\n")).collect();
            broadcast(state, format!("event: build-error\n{data}\n"));
        }
    }
}

/// `guide/index.html` → `/guide/`.
fn url_of_output(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{path}"),
    }
}

fn broadcast(state: &State, event: String) {
    let mut clients = state.clients.lock().unwrap_or_else(|e| e.into_inner());
    clients.retain(|client| client.send(event.clone()).is_ok());
}

fn handle(state: &State, request: Request) {
    let url = request.url().to_string();
    let (raw_path, _query) = url.split_once('?').unwrap_or((&url, ""));
    if raw_path == EVENTS_PATH {
        return events(state, request);
    }
    if raw_path == SUBMIT_PATH {
        return submit(state, request);
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        respond(request, text_response(405, "only GET and HEAD here"));
        return;
    }
    let Some(path) = clean_path(raw_path) else {
        respond(request, text_response(400, "bad path"));
        return;
    };
    let build = state.build.read().unwrap_or_else(|e| e.into_inner());
    let Some(session) = build.session.as_ref() else {
        let page = error_page(build.errors.as_deref().unwrap_or(""));
        drop(build);
        respond(request, html_response(500, page));
        return;
    };
    let mut file = path.trim_start_matches('/').to_string();
    if file.is_empty() || file.ends_with('/') {
        file.push_str("index.html");
    } else if !session.has_file(&file) && session.has_file(&format!("{file}/index.html")) {
        drop(build);
        // The decoded path may hold any letter: a header value must be ASCII.
        let location = format!("{}/", crate::base::url::encode_path(&path));
        respond(request, redirect(301, &location));
        return;
    }
    let (status, file, bytes) = match session.file(&file) {
        Some(bytes) => (200, file, bytes),
        None => match session.file("404.html") {
            Some(bytes) => (404, "404.html".to_string(), bytes),
            None => {
                drop(build);
                respond(request, text_response(404, "not found"));
                return;
            }
        },
    };
    if file.ends_with(".html") {
        let page_path = url_of_output(&file);
        let has_form = session.thank_you_url(&page_path).is_some();
        let html = String::from_utf8_lossy(&bytes).into_owned();
        let html = if has_form {
            local_forms(&html, &page_path)
        } else {
            html
        };
        let html = inject(&html, build.errors.as_deref());
        drop(build);
        respond(request, html_response(status, html));
        return;
    }
    drop(build);
    let header =
        Header::from_bytes("Content-Type", content_type(&file).as_bytes()).expect("valid header");
    let response = Response::from_data(bytes.to_vec())
        .with_status_code(status)
        .with_header(header)
        .with_header(no_cache());
    respond(request, response);
}

/// Sends `response` in one write. tiny_http writes the head and a body of
/// more than 1 kB separately, and with Nagle's algorithm on, the body of
/// every answer after the first on a kept-alive connection then waits for
/// the client's delayed ACK (about 40 ms).
fn respond<R: Read>(request: Request, response: Response<R>) {
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

fn text_response(status: u16, text: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("valid header");
    Response::from_data(text.as_bytes().to_vec())
        .with_status_code(status)
        .with_header(header)
}

fn html_response(status: u16, html: String) -> Response<std::io::Cursor<Vec<u8>>> {
    let header =
        Header::from_bytes("Content-Type", "text/html; charset=utf-8").expect("valid header");
    Response::from_data(html.into_bytes())
        .with_status_code(status)
        .with_header(header)
        .with_header(no_cache())
}

/// The live-reload client: reloads on a rebuild that changed this page,
/// swaps stylesheets after a CSS-only change, shows and clears the error
/// overlay, and reconnects after a server restart (EventSource does).
const LIVE_SCRIPT: &str = r#"<script>(function(){var here=location.pathname,es;
function overlay(t){var o=document.getElementById("__funnelcake-overlay");if(!t){if(o)o.remove();return}if(!o){o=document.createElement("div");o.id="__funnelcake-overlay";o.setAttribute("role","alert");o.dir="ltr";o.style.cssText="position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,24,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem;overflow:auto;white-space:pre-wrap;text-align:left";document.body.appendChild(o)}o.innerHTML="funnelcake: the build failed; still showing the last good build.\n\n"+t}
function connect(){es=window.__funnelcakeEvents=new EventSource("/__funnelcake/events");
es.addEventListener("reload",function(e){var u=e.data.split(" ");if(u.indexOf("*")>=0||u.indexOf(here)>=0||u.some(function(x){return!/\.html$|\/$/.test(x)}))location.reload()});
es.addEventListener("css",function(){document.querySelectorAll('link[rel="stylesheet"]').forEach(function(l){var u=new URL(l.href);u.searchParams.set("t",Date.now());var n=l.cloneNode();n.href=u.href;n.onload=function(){l.remove()};l.after(n)})});
es.addEventListener("build-error",function(e){overlay(e.data)});
es.addEventListener("hello",function(e){if(window.__funnelcakeBoot&&window.__funnelcakeBoot!==e.data)location.reload();window.__funnelcakeBoot=e.data});
es.addEventListener("bye",function(){es.close();setTimeout(connect,500)});
es.onerror=function(){if(es.readyState===2)setTimeout(connect,1000)}}
connect();
})();</script>"#;

/// Adds the live-reload script (and the overlay, when the last rebuild
/// failed) before `</body>`.
fn inject(html: &str, errors: Option<&str>) -> String {
    let mut extra = String::from(LIVE_SCRIPT);
    if let Some(errors) = errors {
        extra.push_str(&overlay_html(errors));
    }
    match html.rfind("</body>") {
        Some(at) => format!("{}{extra}{}", &html[..at], &html[at..]),
        None => format!("{html}{extra}"),
    }
}

fn overlay_html(errors: &str) -> String {
    format!(
        "<div id=\"__funnelcake-overlay\" role=\"alert\" dir=\"ltr\" style=\"position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,24,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem;overflow:auto;white-space:pre-wrap;text-align:left\">funnelcake: the build failed; still showing the last good build.\n\n{errors}</div>"
    )
}

/// Shown for every page while the first build has failed.
fn error_page(errors: &str) -> String {
    inject(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed · funnelcake</title></head><body></body></html>",
        Some(errors),
    )
}

/// Points every POST form of a served page at the local endpoint and tells
/// it which page the form is on; the built file keeps the provider's markup.
pub(crate) fn local_forms(html: &str, page_path: &str) -> String {
    let mut out = String::with_capacity(html.len() + 128);
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let Some(end) = rest[start..].find('>').map(|e| start + e + 1) else {
            break;
        };
        let tag = &rest[start..end];
        out.push_str(&rest[..start]);
        if tag.to_ascii_lowercase().contains("method=\"post\"") {
            out.push_str(&replace_action(tag));
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"{PAGE_FIELD}\" value=\"{}\">",
                escape(page_path)
            ));
        } else {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn replace_action(tag: &str) -> String {
    match tag.find(" action=\"") {
        Some(at) => {
            let value_start = at + " action=\"".len();
            let value_end = tag[value_start..]
                .find('"')
                .map_or(tag.len(), |e| value_start + e);
            format!("{}{SUBMIT_PATH}{}", &tag[..value_start], &tag[value_end..])
        }
        None => tag.replacen("<form", &format!("<form action=\"{SUBMIT_PATH}\""), 1),
    }
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
    let hello = format!("retry: 500\nevent: hello\ndata: {}\n\n", state.boot);
    let errors = state
        .build
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .errors
        .clone();
    let mut first = format!("{head}{hello}");
    if let Some(errors) = errors {
        let data: String = errors.lines().map(|l| format!("data: {l}\n")).collect();
        first.push_str(&format!("event: build-error\n{data}\n"));
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

/// The form endpoint: one JSON line per submission, then a 303 to the
/// form's thank-you page.
fn submit(state: &State, mut request: Request) {
    if request.method() != &Method::Post {
        respond(request, text_response(405, "forms are posted here"));
        return;
    }
    let is_form = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Content-Type") && is_form_type(h.value.as_str()));
    if !is_form {
        respond(
            request,
            text_response(415, "expected application/x-www-form-urlencoded"),
        );
        return;
    }
    if request.body_length().is_some_and(|n| n > MAX_SUBMISSION) {
        respond(request, text_response(413, "a submission is at most 64 kB"));
        return;
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_SUBMISSION as u64 + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        respond(request, text_response(400, "could not read the body"));
        return;
    }
    if body.len() > MAX_SUBMISSION {
        respond(request, text_response(413, "a submission is at most 64 kB"));
        return;
    }
    let Some(fields) = std::str::from_utf8(&body).ok().and_then(parse_form) else {
        respond(request, text_response(400, "the body is not a valid form"));
        return;
    };
    let page = fields
        .iter()
        .find(|(k, _)| k == PAGE_FIELD)
        .map(|(_, v)| v.clone());
    let build = state.build.read().unwrap_or_else(|e| e.into_inner());
    let thank_you = page
        .as_deref()
        .and_then(|p| build.session.as_ref()?.thank_you_url(p));
    drop(build);
    let (Some(page), Some(thank_you)) = (page, thank_you) else {
        respond(
            request,
            text_response(400, "the form's page is not an opt-in page of this site"),
        );
        return;
    };
    let mut record = serde_json::Map::new();
    record.insert("time".into(), now_rfc3339().into());
    record.insert("page".into(), page.clone().into());
    let mut values = serde_json::Map::new();
    for (name, value) in fields.into_iter().filter(|(k, _)| k != PAGE_FIELD) {
        match values.get_mut(&name) {
            // A repeated name (checkboxes) keeps every value.
            Some(serde_json::Value::Array(list)) => list.push(value.into()),
            Some(existing) => {
                let first = existing.take();
                *existing = serde_json::Value::Array(vec![first, value.into()]);
            }
            None => {
                values.insert(name, value.into());
            }
        }
    }
    record.insert("fields".into(), values.into());
    let line = format!("{}\n", serde_json::Value::Object(record));
    if let Err(e) = append_submission(&state.site, &line) {
        (state.log)(format!("could not record a submission: {e}"));
        respond(
            request,
            text_response(500, "could not record the submission"),
        );
        return;
    }
    (state.log)(format!(
        "form on {} submitted: recorded in .funnelcake/submissions.jsonl, on to {thank_you}",
        page
    ));
    respond(request, redirect(303, &thank_you));
}

/// A redirect to `location`, which must be ASCII; any other byte is
/// percent-encoded rather than trusted to the header.
fn redirect(status: u16, location: &str) -> Response<std::io::Empty> {
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

/// Whether a Content-Type is exactly `application/x-www-form-urlencoded`,
/// with parameters (`; charset=utf-8`) or none; not a type that merely
/// starts with it (`application/x-www-form-urlencoded-evil`).
fn is_form_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// One whole line per write, appended, so a crash never leaves half a record.
fn append_submission(site: &Path, line: &str) -> std::io::Result<()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = site.join(".funnelcake");
    std::fs::create_dir_all(&dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("submissions.jsonl"))?;
    file.write_all(line.as_bytes())?;
    file.flush()
}

/// Parses `application/x-www-form-urlencoded`; `None` when it is not valid
/// (a broken `%` escape, or bytes that are not UTF-8), so the endpoint can
/// answer 400 rather than record mangled text.
pub fn parse_form(body: &str) -> Option<Vec<(String, String)>> {
    if !valid_escapes(body) {
        return None;
    }
    let raw_pairs = body.split('&').filter(|pair| !pair.is_empty());
    for pair in raw_pairs {
        let bytes: Vec<u8> = pair
            .bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&bytes).collect();
        std::str::from_utf8(&decoded).ok()?;
    }
    Some(
        form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// Whether every `%` in `text` starts a two-digit hex escape.
fn valid_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (y, m, d) = crate::base::date::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

    #[test]
    fn forms_post_locally_and_keep_their_markup() {
        let html = r#"<form class="optin-form" method="post" action="https://formspree.io/f/x" name="a" data-netlify="true"><input name="email"></form><form role="search" action="/s"></form>"#;
        let local = local_forms(html, "/guide/");
        assert!(local.starts_with(r#"<form class="optin-form" method="post" action="/__funnelcake/submit" name="a" data-netlify="true"><input type="hidden" name="__funnelcake_page" value="/guide/">"#), "{local}");
        assert!(local.ends_with(r#"<form role="search" action="/s"></form>"#));
    }

    #[test]
    fn form_bodies() {
        assert_eq!(
            parse_form("email=a%40b.c&name=Ada+L&x=").unwrap(),
            [
                ("email".into(), "a@b.c".into()),
                ("name".into(), "Ada L".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(parse_form("a=%zz"), None);
        assert!(is_form_type("application/x-www-form-urlencoded"));
        assert!(is_form_type(
            "Application/X-WWW-Form-Urlencoded ; charset=UTF-8"
        ));
        assert!(!is_form_type("application/x-www-form-urlencodedx"));
        assert!(!is_form_type("application/x-www-form-urlencoded-evil; a=b"));
        assert_eq!(parse_form("a=%ff"), None);
    }
}
