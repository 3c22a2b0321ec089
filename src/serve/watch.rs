//! File watching for `serve`: a burst of file events becomes one rebuild
//! of what the changed files affect, and what changed goes to the open
//! pages as Server-Sent Events (`reload` with the changed URLs, `css` for a
//! stylesheet swap, `build-error` with the overlay's text).

use crate::base::diagnostics::Diagnostics;
use crate::base::html::escape;
use crate::serve::server::State;
use crate::serve::session::{scope_of, Rebuilt, Scope, Session};
use notify::{RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The watcher; dropping it stops watching.
pub(crate) type Watcher = notify::RecommendedWatcher;

/// How long the folder must be quiet after an event before the rebuild
/// starts. A save is one to three events within a millisecond or two (a
/// write, or a temporary file renamed over the page); waiting for quiet
/// instead of a fixed delay puts the rebuild a few milliseconds after the
/// save, not a debounce period later.
const QUIET: Duration = Duration::from_millis(8);

/// The longest a burst is gathered before it is built anyway (a `git
/// checkout` or a copied folder keeps the events coming).
const LONGEST_BURST: Duration = Duration::from_millis(250);

type Event = notify::Result<notify::Event>;

/// Watches the site folder; every burst of events is one rebuild.
pub(crate) fn watch(site: &Path, state: Arc<State>) -> Result<Watcher, String> {
    let (tx, rx) = mpsc::channel::<Event>();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| format!("cannot watch {}: {e}", site.display()))?;
    watcher
        .watch(site, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", site.display()))?;
    let site = site.to_path_buf();
    std::thread::spawn(move || rebuild_loop(&site, rx, state));
    Ok(watcher)
}

/// The site-relative paths of a burst of events that the build reads.
fn relevant_paths(site: &Path, events: &[notify::Event]) -> Vec<PathBuf> {
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

/// The next burst: the first event, then every event that follows it until
/// the folder has been quiet for [`QUIET`]. `None` when watching stopped.
fn next_burst(events: &Receiver<Event>) -> Option<Vec<notify::Event>> {
    let first = events.recv().ok()?;
    let started = Instant::now();
    let mut burst: Vec<notify::Event> = first.into_iter().collect();
    while started.elapsed() < LONGEST_BURST {
        match events.recv_timeout(QUIET) {
            Ok(event) => burst.extend(event),
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
    Some(burst)
}

fn rebuild_loop(site: &Path, events: Receiver<Event>, state: Arc<State>) {
    // Events that arrive while a rebuild runs wait in the channel and
    // become the next burst, so no save is missed.
    while let Some(burst) = next_burst(&events) {
        let paths = relevant_paths(site, &burst);
        if !paths.is_empty() {
            rebuild(&state, &paths);
        }
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
            let new_warnings = !Arc::ptr_eq(&rebuilt.warnings, &build.warnings)
                && *rebuilt.warnings != *build.warnings;
            if new_warnings {
                build.warnings = Arc::clone(&rebuilt.warnings);
            }
            // A rebuild the pages are told of is a new generation.
            let event = event_for(was_broken, &rebuilt);
            if event.is_some() {
                build.generation += 1;
            }
            let generation = build.generation;
            drop(build);
            let images = match rebuilt.images_encoded {
                0 => String::new(),
                n => format!(", {n} image files encoding"),
            };
            (state.log)(format!(
                "changed {what}: rebuilt in {ms} ms, {} pages rendered, {} files changed{images}",
                rebuilt.pages,
                rebuilt.changed.len()
            ));
            if new_warnings {
                log_diagnostics(&*state.log, &rebuilt.warnings);
            }
            if let Some(event) = event {
                broadcast(state, format!("id: {generation}\n{event}"));
            }
        }
        Err(errors) => {
            let text = diagnostics_html(&errors);
            build.errors = Some(text.clone());
            drop(build);
            (state.log)(format!(
                "changed {what}: the build failed in {ms} ms; still serving the last good build"
            ));
            log_diagnostics(&*state.log, &errors);
            broadcast(state, build_error_event(&text));
        }
    }
}

/// The event that shows the overlay's `html` on every open page: one
/// `data:` line per line of it, as SSE requires.
pub(crate) fn build_error_event(html: &str) -> String {
    let data: String = html.lines().map(|l| format!("data: {l}\n")).collect();
    format!("event: build-error\n{data}\n")
}

/// What the open pages are told after a good rebuild, if anything.
fn event_for(was_broken: bool, rebuilt: &Rebuilt) -> Option<String> {
    if was_broken {
        Some("event: reload\ndata: *\n\n".to_string())
    } else if rebuilt.changed.is_empty() {
        None
    } else if rebuilt.css_only {
        Some(format!(
            "event: css\ndata: {}\n\n",
            rebuilt.changed.join(" ")
        ))
    } else {
        let urls: Vec<String> = rebuilt.changed.iter().map(|p| url_of_output(p)).collect();
        Some(format!("event: reload\ndata: {}\n\n", urls.join(" ")))
    }
}

/// `guide/index.html` → `/guide/`.
pub(crate) fn url_of_output(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{path}"),
    }
}

pub(crate) fn broadcast(state: &State, event: String) {
    let mut clients = state.clients.lock().unwrap_or_else(|e| e.into_inner());
    clients.retain(|client| client.send(event.clone()).is_ok());
}

pub(crate) fn log_diagnostics(log: &dyn Fn(String), diagnostics: &Diagnostics) {
    for d in diagnostics.iter() {
        log(d.to_string());
    }
}

/// The errors as the overlay shows them: HTML, one line each (and one per
/// hint). The overlay is left-to-right, for its English; the user's text
/// (the file path, anything quoted) is isolated with `dir="auto"`, so a
/// Persian path or title keeps its own direction without scrambling the
/// line around it.
pub(crate) fn diagnostics_html(diagnostics: &Diagnostics) -> String {
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
