//! File watching for `serve`: notify's debounced events become one rebuild
//! of what the changed files affect, and what changed goes to the open
//! pages as Server-Sent Events (`reload` with the changed URLs, `css` for a
//! stylesheet swap, `build-error` with the overlay's text).

use crate::base::diagnostics::Diagnostics;
use crate::base::html::escape;
use crate::serve::server::State;
use crate::serve::session::{scope_of, Scope, Session};
use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The watcher; dropping it stops watching.
pub(crate) type Watcher = notify_debouncer_full::Debouncer<
    notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// Watches the site folder; every debounced burst is one rebuild.
pub(crate) fn watch(site: &Path, state: Arc<State>) -> Result<Watcher, String> {
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
