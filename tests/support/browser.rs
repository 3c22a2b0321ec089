//! A small driver for headless Chromium over the DevTools protocol, enough
//! to load pages, type, click and read what the page shows.
//!
//! Chromium comes from the system (`/usr/bin/chromium`, or `$CHROMIUM`);
//! `.ci/run` installs it from Debian's packages. The tests that use it fail
//! with a clear message when it is missing rather than pass silently.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

pub(crate) struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    /// Chromium's DevTools port, for attaching to new tabs.
    port: u16,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Protocol events received so far and not yet looked at.
    events: Vec<Value>,
}

fn chromium_path() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

impl Browser {
    /// Starts a headless Chromium with one blank page and attaches to it.
    pub(crate) fn launch() -> Browser {
        let path = chromium_path();
        assert!(
            std::path::Path::new(&path).exists(),
            "browser tests need Chromium at {path}: `apt-get install -y chromium`, or set CHROMIUM"
        );
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1024,768",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut port = None;
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(rest) = line
                .trim()
                .strip_prefix("DevTools listening on ws://127.0.0.1:")
            {
                port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
                break;
            }
            line.clear();
        }
        let port = port.expect("chromium did not print its DevTools address");
        // Keep draining stderr so Chromium never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        let socket = attach(&page_socket_url(port));
        let mut browser = Browser {
            child,
            _profile: profile,
            port,
            socket,
            next_id: 0,
            events: Vec::new(),
        };
        browser.call("Page.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser
    }

    /// Replaces the page with a new blank tab (its own session storage and
    /// history) and closes the old one. Page and Runtime are enabled again;
    /// other domains must be enabled again by the caller.
    pub(crate) fn new_tab(&mut self) {
        let old = self.call("Target.getTargetInfo", json!({}))["targetInfo"]["targetId"].clone();
        let created = self.call("Target.createTarget", json!({ "url": "about:blank" }));
        let id = created["targetId"].as_str().expect("a new target id");
        let url = format!("ws://127.0.0.1:{}/devtools/page/{id}", self.port);
        self.socket = attach(&url);
        self.events.clear();
        self.call("Target.closeTarget", json!({ "targetId": old }));
        self.call("Page.enable", json!({}));
        self.call("Runtime.enable", json!({}));
    }

    /// Sends a command and waits for its result; panics on a protocol error.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(result) => result,
            Err(error) => panic!("{method} failed: {error}"),
        }
    }

    /// Sends a command and waits for its result or its protocol error.
    fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(message.to_string()))
            .expect("send to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                Instant::now() < deadline,
                "{method}: no answer from chromium"
            );
            let Some(value) = self.receive() else {
                continue;
            };
            if value["id"].as_u64() == Some(id) {
                return match value.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(value["result"].clone()),
                };
            }
            self.events.push(value);
        }
    }

    fn receive(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(text)) => serde_json::from_str(&text).ok(),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("chromium connection: {e}"),
        }
    }

    /// Waits for an event named `method` (received after the last wait).
    pub(crate) fn wait_for_event(&mut self, method: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.events.iter().position(|e| e["method"] == method) {
                let event = self.events.remove(at);
                self.events.drain(..at);
                return event;
            }
            assert!(Instant::now() < deadline, "no {method} event");
            if let Some(value) = self.receive() {
                self.events.push(value);
            }
        }
    }

    /// Forgets the events received so far.
    pub(crate) fn clear_events(&mut self) {
        // Only what is already there: a short read timeout, not the usual one.
        let stream = self.socket.get_mut();
        stream
            .set_read_timeout(Some(Duration::from_millis(2)))
            .unwrap();
        while let Some(value) = self.receive() {
            self.events.push(value);
        }
        let stream = self.socket.get_mut();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        self.events.clear();
    }

    /// Loads `url` and waits for its load event.
    pub(crate) fn navigate(&mut self, url: &str) {
        self.clear_events();
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for_event("Page.loadEventFired", Duration::from_secs(20));
    }

    /// Loads `url` and returns every protocol event from the start of the
    /// navigation until `settle` after the load event (paint and network
    /// events, redirects included).
    pub(crate) fn navigate_recording(&mut self, url: &str, settle: Duration) -> Vec<Value> {
        self.clear_events();
        self.call("Page.navigate", json!({ "url": url }));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut loaded: Option<Instant> = None;
        loop {
            if let Some(value) = self.receive() {
                self.events.push(value);
            }
            if loaded.is_none()
                && self
                    .events
                    .iter()
                    .any(|e| e["method"] == "Page.loadEventFired")
            {
                loaded = Some(Instant::now());
            }
            if loaded.is_some_and(|at| at.elapsed() >= settle) {
                return std::mem::take(&mut self.events);
            }
            assert!(Instant::now() < deadline, "{url}: no load event");
        }
    }

    /// Turns off the page's own JavaScript, as a visitor with JS disabled.
    pub(crate) fn disable_javascript(&mut self) {
        self.call(
            "Emulation.setScriptExecutionDisabled",
            json!({ "value": true }),
        );
    }

    /// Evaluates `expression` in the page (DevTools' own evaluation, which
    /// works even when the page's scripts are off) and returns its value.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` and, when it is a promise, waits for it (up
    /// to the protocol timeout); an exception thrown is an `Err` with its
    /// description.
    pub(crate) fn eval_async(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        match result.get("exceptionDetails") {
            Some(details) => Err(details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("exception")
                .to_string()),
            None => Ok(result["result"]["value"].clone()),
        }
    }

    /// Takes every event received so far (after a round trip, so what the
    /// page sent before this call is in).
    pub(crate) fn take_all_events(&mut self) -> Vec<Value> {
        self.eval("0");
        std::mem::take(&mut self.events)
    }

    /// Polls `expression` until it is true.
    pub(crate) fn wait_until(&mut self, expression: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            // A page that is reloading has no context to evaluate in for a
            // moment: that is "not yet", not a failure.
            let params = json!({ "expression": expression, "returnByValue": true });
            let result = self.try_call("Runtime.evaluate", params);
            if result.is_ok_and(|r| r["result"]["value"] == Value::Bool(true)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {expression}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn node(&mut self, selector: &str) -> u64 {
        let document = self.call("DOM.getDocument", json!({}));
        let root = document["root"]["nodeId"].as_u64().unwrap();
        let found = self.call(
            "DOM.querySelector",
            json!({ "nodeId": root, "selector": selector }),
        );
        let node = found["nodeId"].as_u64().unwrap_or(0);
        assert!(node != 0, "no element matches {selector}");
        node
    }

    /// Focuses the element and types `text` as keyboard input.
    pub(crate) fn type_into(&mut self, selector: &str, text: &str) {
        let node = self.node(selector);
        self.call("DOM.focus", json!({ "nodeId": node }));
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// Clicks the middle of the element with the mouse.
    pub(crate) fn click(&mut self, selector: &str) {
        let node = self.node(selector);
        self.call("DOM.scrollIntoViewIfNeeded", json!({ "nodeId": node }));
        let model = self.call("DOM.getBoxModel", json!({ "nodeId": node }));
        let quad: Vec<f64> = model["model"]["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let x = (quad[0] + quad[2] + quad[4] + quad[6]) / 4.0;
        let y = (quad[1] + quad[3] + quad[5] + quad[7]) / 4.0;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Takes the events named `method` received so far (without waiting
    /// for more), leaving the others.
    pub(crate) fn take_events(&mut self, method: &str) -> Vec<Value> {
        self.eval("0"); // a round trip: what the page sent before is in
        let (taken, kept) = std::mem::take(&mut self.events)
            .into_iter()
            .partition(|e| e["method"] == method);
        self.events = kept;
        taken
    }

    /// The URL of the page now shown.
    pub(crate) fn url(&mut self) -> String {
        let history = self.call("Page.getNavigationHistory", json!({}));
        let current = history["currentIndex"].as_u64().unwrap() as usize;
        history["entries"][current]["url"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens a DevTools socket: a generous timeout for the handshake (a loaded
/// machine answers slowly), then a short one, so draining events never
/// waits long.
fn attach(url: &str) -> WebSocket<TcpStream> {
    let authority = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .expect("a ws:// DevTools URL");
    let stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let (socket, _) = tungstenite::client(url, stream).expect("attach to the page");
    socket
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    socket
}

/// The DevTools socket of the first page target.
fn page_socket_url(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(url) = http_get(port, "/json/list").and_then(|body| {
            let targets: Value = serde_json::from_str(&body).ok()?;
            targets.as_array()?.iter().find(|t| t["type"] == "page")?["webSocketDebuggerUrl"]
                .as_str()
                .map(String::from)
        }) {
            return url;
        }
        assert!(Instant::now() < deadline, "chromium has no page target");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // DevTools may keep the connection open: read up to Content-Length.
    let mut response = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        let n = stream.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&response);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>())
                })
                .and_then(Result::ok);
            if length.is_some_and(|len| body.len() >= len) {
                return Some(body.to_string());
            }
        }
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}
