//! The page-quality gate's browser step (`.ci/quality/run`), on the
//! project's own DevTools client (tests/support/browser.rs), so the project
//! has one browser driver.
//!
//!     quality_browser AXE_JS PAGES.json OUT.json
//!
//! AXE_JS is axe-core's `axe.min.js`. PAGES.json:
//! `[{ "url": "http://127.0.0.1:PORT/x/", "name": "/x/", "status": 200 }]`.
//! For each page and each variant (a phone or desktop viewport, a light or
//! dark colour scheme) it loads the page in a new tab with the origin's
//! storage cleared and the cache off (a fresh visitor), checks the main
//! response's status, records every other request that failed or answered
//! with a status of 400 or more, console errors and uncaught exceptions, fetches the page's icons
//! (`<link rel~=icon>`, else /favicon.ico) on the first variant and runs
//! axe-core with its default rules. Violations are deduplicated across
//! variants, keeping the variants they were seen in. OUT.json gets one
//! result per page, in order.
//!
//! AXE_VARIANTS: comma list of phone, desktop, phone-dark, desktop-dark, or
//! `all` (default: phone,desktop-dark). AXE_JOBS: pages checked at once,
//! each job in its own Chromium (default 2). CHROMIUM: the browser.
//!
//! An example target rather than a binary: it needs the test-only
//! dependencies and the test support module, must not ship with
//! `cargo install`, and `cargo test`/`clippy --all-targets` still build it.

#[allow(dead_code)]
#[path = "../tests/support/browser.rs"]
mod browser;

use browser::Browser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One viewport and colour scheme a page is checked in.
struct Variant {
    name: &'static str,
    width: u32,
    height: u32,
    scale: u32,
    mobile: bool,
    dark: bool,
}

const ALL_VARIANTS: [Variant; 4] = [
    Variant {
        name: "phone",
        width: 390,
        height: 844,
        scale: 2,
        mobile: true,
        dark: false,
    },
    Variant {
        name: "desktop",
        width: 1280,
        height: 800,
        scale: 1,
        mobile: false,
        dark: false,
    },
    Variant {
        name: "phone-dark",
        width: 390,
        height: 844,
        scale: 2,
        mobile: true,
        dark: true,
    },
    Variant {
        name: "desktop-dark",
        width: 1280,
        height: 800,
        scale: 1,
        mobile: false,
        dark: true,
    },
];

/// The violations of axe.run(), flattened to one entry per node.
const AXE_RUN: &str = r#"axe.run().then(r => r.violations.flatMap(v => v.nodes.map(n => ({
  id: v.id, impact: n.impact || v.impact, help: v.help, helpUrl: v.helpUrl,
  target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' | '),
  html: n.html.slice(0, 200),
  summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 400)}))))"#;

/// Status and content type of each icon the page names, or /favicon.ico.
const ICONS: &str = r#"(async () => {
  const hrefs = [...document.querySelectorAll('link[rel~="icon" i]')].map(l => l.href);
  const out = [];
  for (const href of hrefs.length ? hrefs : [new URL('/favicon.ico', location.href).href]) {
    const r = await fetch(href, { cache: 'no-store' });
    const type = r.headers.get('content-type') || '';
    out.push({ href, status: r.status, type, ok: r.status === 200 && type.startsWith('image/') });
  }
  return out;
})()"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [axe_file, pages_file, out_file] = args.as_slice() else {
        eprintln!("usage: quality_browser AXE_JS PAGES.json OUT.json");
        std::process::exit(2);
    };
    let axe = std::fs::read_to_string(axe_file).expect("read axe.min.js");
    let pages: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(pages_file).expect("read PAGES.json"))
            .expect("PAGES.json is JSON");
    let variants = wanted_variants();
    let jobs = std::env::var("AXE_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2)
        .clamp(1, pages.len().max(1));
    let results = check_all(&pages, &variants, &axe, jobs);
    let text = serde_json::to_string_pretty(&results).unwrap();
    std::fs::write(out_file, text).expect("write OUT.json");
}

fn wanted_variants() -> Vec<&'static Variant> {
    let spec = std::env::var("AXE_VARIANTS").unwrap_or_default();
    let spec = if spec.is_empty() {
        "phone,desktop-dark".to_string()
    } else {
        spec
    };
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    let chosen: Vec<&Variant> = ALL_VARIANTS
        .iter()
        .filter(|v| spec == "all" || names.contains(&v.name))
        .collect();
    if chosen.is_empty() {
        eprintln!("AXE_VARIANTS={spec} names no variant");
        std::process::exit(2);
    }
    chosen
}

/// Checks the pages with `jobs` threads, each with its own Chromium.
fn check_all(pages: &[Value], variants: &[&Variant], axe: &str, jobs: usize) -> Vec<Value> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![Value::Null; pages.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut browser = None;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(page) = pages.get(i) else { break };
                    let result = check_page(&mut browser, page, variants, axe);
                    results.lock().unwrap()[i] = result;
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// What one page gathers over its variants.
#[derive(Default)]
struct PageResult {
    status: Option<u64>,
    bad_requests: Vec<String>,
    console_errors: Vec<String>,
    icons: Vec<Value>,
    violations: Vec<Value>,
    errors: Vec<String>,
}

fn check_page(
    browser: &mut Option<Browser>,
    page: &Value,
    variants: &[&Variant],
    axe: &str,
) -> Value {
    let started = Instant::now();
    let mut result = PageResult::default();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, variant) in variants.iter().enumerate() {
        // The client panics on a protocol error or a timeout: that is this
        // variant's error, and the next one gets a new Chromium.
        let run = catch_unwind(AssertUnwindSafe(|| {
            let b = browser.get_or_insert_with(Browser::launch);
            load_variant(b, page, variant, i == 0, axe)
        }));
        match run {
            Ok(loaded) => merge(&mut result, &mut seen, loaded, variant.name),
            Err(panic) => {
                *browser = None;
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "browser failed".into());
                result
                    .errors
                    .push(format!("{}: {}", variant.name, first_line(&text)));
            }
        }
    }
    result.console_errors = dedup(result.console_errors);
    json!({
        "url": page["url"], "name": page["name"], "status": result.status,
        "badRequests": result.bad_requests, "consoleErrors": result.console_errors,
        "icons": result.icons, "violations": result.violations, "errors": result.errors,
        "seconds": started.elapsed().as_secs_f64(),
    })
}

/// One load of a page in one variant.
struct Loaded {
    status: Option<u64>,
    bad_requests: Vec<String>,
    console_errors: Vec<String>,
    icons: Vec<Value>,
    violations: Vec<Value>,
    error: Option<String>,
}

fn merge(
    result: &mut PageResult,
    seen: &mut HashMap<(String, String), usize>,
    loaded: Loaded,
    variant: &str,
) {
    if result.status.is_none() {
        result.status = loaded.status;
    }
    for b in loaded.bad_requests {
        if !result.bad_requests.contains(&b) {
            result.bad_requests.push(b);
        }
    }
    result.console_errors.extend(loaded.console_errors);
    result.icons.extend(loaded.icons);
    result
        .errors
        .extend(loaded.error.map(|e| format!("{variant}: {e}")));
    for mut v in loaded.violations {
        let key = (v["id"].to_string(), v["target"].to_string());
        let at = *seen.entry(key).or_insert_with(|| {
            v["variants"] = json!([]);
            result.violations.push(v.take());
            result.violations.len() - 1
        });
        result.violations[at]["variants"]
            .as_array_mut()
            .unwrap()
            .push(json!(variant));
    }
}

fn load_variant(
    b: &mut Browser,
    page: &Value,
    variant: &Variant,
    first: bool,
    axe: &str,
) -> Loaded {
    let url = page["url"].as_str().expect("a page url");
    prepare_tab(b, url, variant);
    let events = b.navigate_recording(url, Duration::ZERO);
    let mut loaded = Loaded {
        status: None,
        bad_requests: Vec::new(),
        console_errors: Vec::new(),
        icons: Vec::new(),
        violations: Vec::new(),
        error: None,
    };
    let mut icons = Vec::new();
    let mut violations = Vec::new();
    loaded.error = run_checks(b, first, axe, &mut icons, &mut violations).err();
    loaded.icons = icons;
    loaded.violations = violations;
    let mut all = events;
    all.extend(b.take_all_events());
    read_events(&mut loaded, &all, page);
    loaded
}

/// The icon fetches (on the first variant) and axe-core, in the loaded page.
fn run_checks(
    b: &mut Browser,
    first: bool,
    axe: &str,
    icons: &mut Vec<Value>,
    violations: &mut Vec<Value>,
) -> Result<(), String> {
    if first {
        *icons = b
            .eval_async(ICONS)
            .map_err(|e| first_line(&e))?
            .as_array()
            .cloned()
            .unwrap_or_default();
    }
    b.eval_async(axe).map_err(|e| first_line(&e))?;
    let found = b.eval_async(AXE_RUN).map_err(|e| first_line(&e))?;
    *violations = found.as_array().cloned().unwrap_or_default();
    Ok(())
}

/// A new tab, as a fresh visitor: no storage, no cache, this variant's
/// viewport, touch and colour scheme, and the events the checks read.
fn prepare_tab(b: &mut Browser, url: &str, variant: &Variant) {
    b.new_tab();
    for domain in ["Network.enable", "Log.enable"] {
        b.call(domain, json!({}));
    }
    b.call("Network.setCacheDisabled", json!({ "cacheDisabled": true }));
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    b.call(
        "Storage.clearDataForOrigin",
        json!({ "origin": origin, "storageTypes": "all" }),
    );
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": variant.width, "height": variant.height,
                "deviceScaleFactor": variant.scale, "mobile": variant.mobile }),
    );
    b.call(
        "Emulation.setTouchEmulationEnabled",
        json!({ "enabled": variant.mobile, "maxTouchPoints": if variant.mobile { 5 } else { 1 } }),
    );
    let scheme = if variant.dark { "dark" } else { "light" };
    b.call(
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
    );
}

/// The main status, bad requests and console errors, from the Network,
/// Log and Runtime events of one load.
fn read_events(loaded: &mut Loaded, events: &[Value], page: &Value) {
    let url = page["url"].as_str().unwrap_or_default();
    // The navigation is the first document request (before any frame's).
    let main = events
        .iter()
        .find(|e| e["method"] == "Network.requestWillBeSent" && e["params"]["type"] == "Document")
        .map(|e| e["params"]["requestId"].clone());
    let mut urls = HashMap::new();
    for e in events {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent" => {
                urls.insert(p["requestId"].to_string(), p["request"]["url"].clone());
            }
            "Network.responseReceived" => {
                let status = p["response"]["status"].as_u64().unwrap_or(0);
                let is_main = Some(&p["requestId"]) == main.as_ref();
                if is_main {
                    loaded.status = Some(status);
                }
                let answer = p["response"]["url"].as_str().unwrap_or_default();
                if status >= 400 && !(is_main && answer == url) {
                    loaded.bad_requests.push(format!("{status} {answer}"));
                }
            }
            "Network.loadingFailed" => {
                let failed = urls.get(&p["requestId"].to_string()).cloned();
                let failed = failed.as_ref().and_then(Value::as_str).unwrap_or("?");
                let text = p["errorText"].as_str().unwrap_or_default();
                loaded
                    .bad_requests
                    .push(format!("failed ({text}) {failed}"));
            }
            _ => console_error(loaded, e, page),
        }
    }
}

/// Console errors (the page's own expected 404 aside) and uncaught
/// exceptions, as `text [url]` when they come from another URL.
fn console_error(loaded: &mut Loaded, e: &Value, page: &Value) {
    let url = page["url"].as_str().unwrap_or_default();
    let p = &e["params"];
    let (text, at) = match e["method"].as_str().unwrap_or_default() {
        "Log.entryAdded" if p["entry"]["level"] == "error" => (
            p["entry"]["text"].as_str().unwrap_or_default().to_string(),
            p["entry"]["url"].as_str().unwrap_or_default().to_string(),
        ),
        "Runtime.consoleAPICalled" if p["type"] == "error" => {
            let args: Vec<String> = p["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(arg_text)
                .collect();
            let at = p["stackTrace"]["callFrames"][0]["url"]
                .as_str()
                .unwrap_or_default();
            (args.join(" "), at.to_string())
        }
        "Runtime.exceptionThrown" => {
            let d = &p["exceptionDetails"];
            let text = d["exception"]["description"]
                .as_str()
                .or(d["text"].as_str());
            loaded
                .console_errors
                .push(first_line(text.unwrap_or("exception")));
            return;
        }
        _ => return,
    };
    if page["status"] == 404 && at == url {
        return;
    }
    loaded.console_errors.push(if !at.is_empty() && at != url {
        format!("{text} [{at}]")
    } else {
        text
    });
}

fn arg_text(arg: &Value) -> String {
    match &arg["value"] {
        Value::String(s) => s.clone(),
        Value::Null => arg["description"].as_str().unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
