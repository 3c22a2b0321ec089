#!/usr/bin/env python3
"""Page-quality gate: every built-in theme x every example site.

Run through `.ci/quality/run`, which installs the tools and builds funnelcake,
then calls this with:

    FUNNELCAKE   the funnelcake binary
    REPO         the repository root
    QUALITY_WORK a scratch folder (removed by `run`)
    THEMES       space/comma list of themes (default: every folder under
                 REPO/themes that has templates/)
    SITES        space/comma list of sites, relative to REPO or absolute
                 (default: every REPO/example-site* folder with a site.yaml)
    PERF_MIN     minimum Lighthouse performance score (default 95)
    LH_RUNS      Lighthouse runs at most per page while performance < PERF_MIN;
                 the best run counts (default 3)
    LH_PAGES     comma list of URL paths to limit Lighthouse to (default: every
                 funnel page, i.e. every page of funnel.json with a stage)
    VNU_IGNORE   regex: Nu checker messages matching it are shown, not counted
    REPORT       markdown report (default /tmp/quality-report.md)

For each theme and site: copy the site, set `theme:`, build it with
`--base-url http://127.0.0.1:PORT`, serve the output with serve.py, then run
the Nu HTML checker on every .html file, axe-core on every page (the
quality_browser example: the project's own DevTools client),
lychee offline on the output, and Lighthouse (mobile) on the funnel pages.
Every check runs; the exit code is 1 if anything missed.
"""
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("REPO", HERE.parent.parent)).resolve()
FUNNELCAKE = os.environ.get("FUNNELCAKE") or str(REPO / "target/release/funnelcake")
WORK = Path(os.environ.get("QUALITY_WORK") or tempfile.mkdtemp(prefix="quality-"))
PERF_MIN = int(os.environ.get("PERF_MIN") or 95)
VNU_IGNORE = os.environ.get("VNU_IGNORE") or ""
LH_RUNS = max(1, int(os.environ.get("LH_RUNS") or 3))
REPORT = Path(os.environ.get("REPORT") or "/tmp/quality-report.md")
CHROME = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")
VNU_JAR = HERE / "node_modules/vnu-jar/build/dist/vnu.jar"
LIGHTHOUSE = HERE / "node_modules/.bin/lighthouse"
LYCHEE = HERE / ".venv/bin/lychee"
AXE_JS = HERE / "node_modules/axe-core/axe.min.js"
# Built by `run` (cargo build --example quality_browser).
BROWSER = os.environ.get("QUALITY_BROWSER") or str(REPO / "target/debug/examples/quality_browser")
MISSING_PATH = "/__quality-missing/no/such/page/"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "bp", "seo": "seo"}

servers = []


def split_list(value):
    return [x for x in re.split(r"[,\s]+", value or "") if x]


def log(msg=""):
    print(msg, flush=True)


def default_themes():
    return sorted(d.name for d in (REPO / "themes").iterdir()
                  if d.is_dir() and ((d / "templates").is_dir() or (d / "theme.yaml").is_file()))


def default_sites():
    return sorted(d.name for d in REPO.iterdir()
                  if d.is_dir() and d.name.startswith("example-site") and (d / "site.yaml").is_file())


class Page:
    """One row of the report: an HTML page (or another output file with a broken link)."""

    def __init__(self, name, file=None):
        self.name = name
        self.file = file
        self.vnu = []
        self.vnu_info = []     # matched VNU_IGNORE: shown, not counted
        self.axe = []          # serious + critical
        self.axe_info = []     # minor + moderate
        self.links = []
        self.other = []        # status, requests, console, favicon, browser errors
        self.lh = None         # {category: score} or None when not run
        self.lh_audits = {}    # category -> [lines]
        self.lh_misses = []

    def misses(self):
        return len(self.vnu) + len(self.axe) + len(self.links) + len(self.other) + len(self.lh_misses)


class Combo:
    def __init__(self, theme, site):
        self.theme = theme
        self.site = site
        self.pages = {}        # name -> Page
        self.errors = []       # build or tool failures not tied to a page
        self.seconds = 0.0

    def page(self, name, file=None):
        if name not in self.pages:
            self.pages[name] = Page(name, file)
        return self.pages[name]

    def misses(self):
        return len(self.errors) + sum(p.misses() for p in self.pages.values())


# ---------------------------------------------------------------- helpers


def start_server(root, logfile):
    portfile = WORK / f"port-{len(servers)}"
    proc = subprocess.Popen([sys.executable, str(HERE / "serve.py"), str(root), str(portfile), str(logfile)],
                            stdin=subprocess.DEVNULL, start_new_session=True)
    servers.append(proc)
    with open(WORK / "pids", "a") as f:
        f.write(f"{proc.pid}\n")
    for _ in range(200):
        if portfile.exists():
            return proc, int(portfile.read_text())
        if proc.poll() is not None:
            raise RuntimeError(f"static server exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError("static server did not start within 10 s")


def stop_servers():
    for proc in servers:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
    servers.clear()


def run(cmd, timeout, **kw):
    """subprocess.run, but an interrupted or timed-out child gets SIGINT first:
    Lighthouse's chrome-launcher kills its (detached) Chromium on SIGINT only."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def page_name(out, file):
    """The URL path of an output file: index.html files by their folder."""
    rel = file.relative_to(out).as_posix()
    if rel == "404.html":
        return "404"
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def set_theme(site_yaml, theme):
    text = site_yaml.read_text(encoding="utf-8")
    line = f"theme: {theme}"
    if re.search(r"(?m)^theme:.*$", text):
        text = re.sub(r"(?m)^theme:.*$", line, text)
    else:
        text = text + ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    site_yaml.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- the checks


def check_vnu(combo, out, html_files):
    if not html_files:
        return
    try:
        r = run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
                 *map(str, html_files)], timeout=300)
        messages = json.loads(r.stdout or "{}").get("messages", [])
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        combo.errors.append(f"vnu did not run: {e}")
        return
    by_path = {str(f.resolve()): f for f in html_files}
    for m in messages:
        if m.get("type") not in ("error", "non-document-error"):
            continue
        # vnu writes file:/tmp/x.html, Path.as_uri() file:///tmp/x.html: compare paths.
        file = by_path.get(urllib.parse.unquote(urllib.parse.urlsplit(m.get("url", "")).path))
        ignored = VNU_IGNORE and re.search(VNU_IGNORE, m.get("message", ""))
        name = page_name(out, file) if file else m.get("url", "?")
        rel = file.relative_to(out).as_posix() if file else m.get("url", "?")
        where = f"{rel}:{m.get('lastLine', '?')}:{m.get('firstColumn', m.get('lastColumn', '?'))}"
        extract = (m.get("extract") or "").replace("\n", " ").strip()
        text = f"{where}: {m.get('message')}" + (f" [{extract}]" if extract else "")
        page = combo.page(name, file)
        (page.vnu_info if ignored else page.vnu).append(text)


def experiment_arms(out):
    """Decoded URL path of every A/B arm (control and variants) to its arm
    id, from experiments.json. A fresh browser on a control is sent to a
    random arm, and the redirect aborts the control's own requests; the
    checks pin each arm to its own URL with ?variant= instead."""
    try:
        manifest = json.loads((out / "experiments.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    arms = {}
    for experiment in manifest.get("experiments", []):
        for arm in [experiment["control"], *experiment.get("variants", [])]:
            arms[urllib.parse.unquote(arm["url"])] = arm["id"]
    return arms


def check_browser(combo, out, html_files, base):
    pages = []
    arms = experiment_arms(out)
    for f in html_files:
        name = page_name(out, f)
        url = base + (MISSING_PATH if name == "404" else urllib.parse.quote(name))
        if name in arms:
            url += "?variant=" + arms[name]
        pages.append({"url": url, "name": name, "status": 404 if name == "404" else 200})
    pages_file = WORK / "pages.json"
    result_file = WORK / "axe.json"
    pages_file.write_text(json.dumps(pages))
    result_file.unlink(missing_ok=True)
    try:
        r = run([BROWSER, str(AXE_JS), str(pages_file), str(result_file)], timeout=60 + 60 * len(pages),
                env={**os.environ, "CHROMIUM": CHROME})
    except subprocess.TimeoutExpired:
        combo.errors.append("axe: quality_browser timed out")
        return
    if r.returncode != 0 or not result_file.exists():
        combo.errors.append(f"axe: quality_browser failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-1500:]}")
        return
    expected = {p["name"]: p["status"] for p in pages}
    for res in json.loads(result_file.read_text()):
        page = combo.page(res["name"])
        if res["status"] != expected[res["name"]]:
            page.other.append(f"status {res['status']} for {res['url']} (expected {expected[res['name']]})")
        for b in res["badRequests"]:
            page.other.append(f"request: {b}")
        bad_icons = [i["href"] for i in res["icons"] if not i["ok"]]
        for c in res["consoleErrors"]:
            if not any(c.endswith(f"[{href}]") for href in bad_icons):  # reported as favicon below
                page.other.append(f"console error: {c}")
        for icon in res["icons"]:
            if not icon["ok"]:
                page.other.append(f"favicon {icon['href']}: {icon['status']} {icon['type']}")
        if not res["icons"] and not res["errors"]:
            page.other.append("favicon: none checked")
        for e in res["errors"]:
            page.other.append(f"browser: {e}")
        for v in res["violations"]:
            line = (f"{v['impact']} {v['id']} ({v['help']}) at `{v['target']}` "
                    f"[{', '.join(v['variants'])}]: {v['summary']}  html: {v['html']}")
            (page.axe if v["impact"] in ("serious", "critical") else page.axe_info).append(line)


def check_lychee(combo, out, base):
    report = WORK / "lychee.json"
    report.unlink(missing_ok=True)
    cmd = [str(LYCHEE), "--offline", "--no-progress", "--root-dir", str(out), "--index-files", "index.html",
           "--include-fragments", "--remap", f"{re.escape(base)}/ file://{out}/", "--format", "json",
           "--output", str(report), str(out)]
    try:
        r = run(cmd, timeout=300)
    except subprocess.TimeoutExpired:
        combo.errors.append("lychee timed out")
        return
    try:
        data = json.loads(report.read_text())
    except (OSError, json.JSONDecodeError):
        combo.errors.append(f"lychee failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-1500:]}")
        return
    for source, entries in data.get("error_map", {}).items():
        file = Path(source)
        try:
            name = page_name(out, file) if file.is_absolute() else source
            rel = file.relative_to(out).as_posix()
        except ValueError:
            name, rel = source, source
        for e in entries:
            span = e.get("span") or {}
            original = ((e.get("remap") or {}).get("original") or {}).get("url")
            url = original or e.get("url") or ""
            url = urllib.parse.unquote(url)
            if url.startswith(f"file://{out}/"):
                url = url[len(f"file://{out}"):]  # as a site path
            status = (e.get("status") or {}).get("text", "")
            combo.page(name, file).links.append(f"{rel}:{span.get('line', '?')}:{span.get('column', '?')}: {url}: {status}")
    if r.returncode not in (0, 2) and not data.get("error_map"):
        combo.errors.append(f"lychee exited {r.returncode}: {(r.stderr or '').strip()[-800:]}")


def audit_lines(report, category):
    """The audits that cost a category points, most expensive first."""
    lines = []
    cat = report["categories"][category]
    refs = sorted(cat["auditRefs"], key=lambda r: -r.get("weight", 0))
    for ref in refs:
        a = report["audits"].get(ref["id"], {})
        mode = a.get("scoreDisplayMode")
        score = a.get("score")
        if score is None or mode in ("notApplicable", "manual", "informative") or score >= 1:
            continue
        if ref.get("weight", 0) == 0 and category != "performance":
            continue
        text = f"{ref['id']} \"{a.get('title')}\" score {round(score * 100)}"
        if ref.get("weight"):
            text += f" weight {ref['weight']}"
        if a.get("displayValue"):
            text += f" ({a['displayValue']})"
        items = ((a.get("details") or {}).get("items") or [])[:5]
        where = []
        for it in items:
            node = it.get("node") if isinstance(it, dict) else None
            if isinstance(node, dict) and node.get("selector"):
                why = " ".join(l.strip() for l in (node.get("explanation") or "").splitlines()
                               if l.strip() and not l.startswith("Fix any of the following"))
                where.append(f"`{node['selector']}`" + (f" ({why[:200]})" if why else ""))
            elif isinstance(it, dict) and isinstance(it.get("url"), str):
                where.append(it["url"])
            elif isinstance(it, dict) and it.get("description"):
                where.append(str(it["description"])[:160])
        if where:
            text += ": " + "; ".join(where)
        if ref.get("weight", 0) == 0:
            text = "(hint, no weight) " + text
        lines.append(text)
    return lines


def check_lighthouse(combo, out, base):
    try:
        funnel = json.loads((out / "funnel.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        combo.errors.append(f"lighthouse: cannot read funnel.json: {e}")
        return
    only = {urllib.parse.unquote(u) for u in split_list(os.environ.get("LH_PAGES"))}
    targets = [p for p in funnel.get("pages", [])
               if p.get("stage") is not None and (not only or urllib.parse.unquote(p["url"]) in only)]
    # A/B experiments: Lighthouse is a fresh visitor, so the control's page
    # script would send it to a random arm. Audit each arm on its own URL,
    # pinned with ?variant= (variants are noindex: no SEO).
    arms = experiment_arms(out)
    for p in list(targets):
        for v in (p.get("experiment") or {}).get("variants", []):
            targets.append({**p, "url": v["url"], "indexable": False, "experiment": None})
    for p in targets:
        path = urllib.parse.unquote(p["url"])  # page rows are named by decoded path
        skip_seo = p.get("layout") == "thankyou" or p.get("indexable") is False
        cats = [c for c in CATEGORIES if not (skip_seo and c == "seo")]
        report_file = WORK / "lh.json"
        report_file.unlink(missing_ok=True)
        url = base + urllib.parse.quote(path)
        if path in arms:
            url += "?variant=" + arms[path]
        page = combo.page(path)
        cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report_file}",
               f"--only-categories={','.join(cats)}", f"--chrome-flags={CHROME_FLAGS}",
               "--max-wait-for-load=30000"]
        t0 = time.time()
        report, failure, perfs = None, None, []
        for attempt in range(LH_RUNS):
            report_file.unlink(missing_ok=True)
            try:
                r = run(cmd, timeout=180, env={**os.environ, "CHROME_PATH": CHROME})
                this = json.loads(report_file.read_text())
            except subprocess.TimeoutExpired:
                failure = "lighthouse timed out"
                continue
            except (OSError, json.JSONDecodeError):
                failure = f"lighthouse failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-800:]}"
                continue
            perf = this["categories"]["performance"]["score"]
            perfs.append(None if perf is None else round(perf * 100))
            # Performance moves with the machine's load (a busy CPU inflates
            # Total Blocking Time): on a miss, run again and keep the best.
            if report is None or (perf or 0) > (report["categories"]["performance"]["score"] or 0):
                report = this
                shutil.copy(report_file, WORK / "lh-best.json")
            if perf is not None and round(perf * 100) >= PERF_MIN and not this.get("runtimeError"):
                break
        if report is None:
            page.lh_misses.append(failure or "lighthouse did not run")
            continue
        shutil.copy(WORK / "lh-best.json", report_file)
        keep = WORK / "lighthouse" if os.environ.get("KEEP") else None
        if keep:
            keep.mkdir(exist_ok=True)
            slug = re.sub(r"[^\w]+", "-", f"{combo.theme}-{combo.site}-{path}".lower()).strip("-")
            shutil.copy(report_file, keep / f"{slug}.json")
        if report.get("runtimeError"):
            page.lh_misses.append(f"lighthouse runtime error: {report['runtimeError'].get('code')} "
                                  f"{report['runtimeError'].get('message', '')[:300]}")
        warnings = [f"run warning: {w[:200]}" for w in report.get("runWarnings") or []]
        page.lh = {}
        for c in cats:
            score = report["categories"][c]["score"]
            page.lh[c] = None if score is None else round(score * 100)
            minimum = PERF_MIN if c == "performance" else 100
            if page.lh[c] is None or page.lh[c] < minimum:
                page.lh_misses.append(f"Lighthouse {c} {page.lh[c]} < {minimum}")
            if page.lh[c] is None or page.lh[c] < 100:
                page.lh_audits[c] = audit_lines(report, c)
        if len(perfs) > 1:
            page.lh_audits.setdefault("performance", []).insert(0, f"runs: performance {perfs}, best kept")
        if warnings and page.lh.get("performance") != 100:
            page.lh_audits.setdefault("performance", []).extend(warnings)
        if "seo" not in cats:
            page.lh["seo"] = "skip"
        log(f"    lighthouse {path}: " + " ".join(f"{SHORT[c]} {page.lh[c]}" for c in CATEGORIES)
            + (f" (perf runs {perfs})" if len(perfs) > 1 else "") + f" ({time.time() - t0:.0f} s)")


# ---------------------------------------------------------------- one theme x site


def check_combo(theme, site_arg):
    site_src = (REPO / site_arg).resolve()
    combo = Combo(theme, site_arg)
    t0 = time.time()
    log(f"== theme {theme}, site {site_arg}")
    if not (site_src / "site.yaml").is_file():
        combo.errors.append(f"{site_src}/site.yaml not found")
        return combo
    tmp = Path(tempfile.mkdtemp(prefix=f"{theme}-", dir=WORK))
    site = tmp / "site"
    out = tmp / "out"
    shutil.copytree(site_src, site, symlinks=True,
                    ignore=shutil.ignore_patterns("public", ".funnelcake", "node_modules"))
    set_theme(site / "site.yaml", theme)
    out.mkdir()
    server = None
    try:
        server, port = start_server(out, tmp / "server.log")
        base = f"http://127.0.0.1:{port}"
        r = run([FUNNELCAKE, "build", str(site), "-o", str(out), "--base-url", base], timeout=300)
        if r.returncode != 0:
            lines = [l for l in (r.stderr + r.stdout).splitlines() if l.startswith("error")]
            shown = lines[:60] + ([f"... and {len(lines) - 60} more"] if len(lines) > 60 else [])
            combo.errors.append(f"funnelcake build failed ({r.returncode}):\n" + "\n".join(shown or [r.stderr[-2000:]]))
            log(f"    build FAILED: {len(lines)} error(s)")
            return combo
        html_files = sorted(out.rglob("*.html"))
        for f in html_files:
            combo.page(page_name(out, f), f)
        with urllib.request.urlopen(base + "/", timeout=10) as resp:
            if resp.status != 200:
                combo.errors.append(f"server answered {resp.status} for /")
        log(f"    built {len(html_files)} HTML files at {base}")
        steps = [("vnu", lambda: check_vnu(combo, out, html_files)),
                 ("axe", lambda: check_browser(combo, out, html_files, base)),
                 ("lychee", lambda: check_lychee(combo, out, base)),
                 ("lighthouse", lambda: check_lighthouse(combo, out, base))]
        for name, step in steps:
            s0 = time.time()
            step()
            log(f"    {name}: {time.time() - s0:.0f} s")
    except Exception as e:  # a tool blew up: report it, go on with the next combination
        combo.errors.append(f"{type(e).__name__}: {e}")
        log(f"    ERROR: {combo.errors[-1]}")
    finally:
        if server and server.poll() is None:
            server.terminate()
            server.wait(5)
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"    kept {tmp}")
        combo.seconds = time.time() - t0
    return combo


# ---------------------------------------------------------------- report


def fmt(v):
    return "–" if v is None else str(v)


def table(combos):
    head = ["theme", "site", "page", "perf", "a11y", "bp", "seo", "vnu", "axe s+c", "links", "other", "result"]
    rows = []
    for c in combos:
        if c.errors and not c.pages:
            rows.append([c.theme, c.site, "(build)", "–", "–", "–", "–", "–", "–", "–", str(len(c.errors)), "FAIL"])
        for p in sorted(c.pages.values(), key=lambda p: (p.name == "404", p.name)):
            lh = p.lh or {}
            rows.append([c.theme, c.site, p.name, *(fmt(lh.get(k)) for k in CATEGORIES),
                         str(len(p.vnu)), str(len(p.axe)), str(len(p.links)),
                         str(len(p.other) + len(p.lh_misses) - sum(1 for m in p.lh_misses if m.startswith("Lighthouse "))),
                         "FAIL" if p.misses() else "ok"])
        if c.errors and c.pages:
            rows.append([c.theme, c.site, "(run)", "–", "–", "–", "–", "–", "–", "–", str(len(c.errors)), "FAIL"])
    return head, rows


def render_text(head, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    line = lambda r: "  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip()
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def render_md(head, rows):
    esc = lambda s: s.replace("|", "\\|")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(esc(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def details(combos):
    """Every miss, then the minor/moderate axe findings and the audits below 100, as markdown lines."""
    lines = []
    for c in combos:
        block = []
        for e in c.errors:
            first, *rest = e.splitlines()
            block.append(f"- **error**: {first}")
            block += [f"  - {l}" for l in rest]
        for p in sorted(c.pages.values(), key=lambda p: (p.name == "404", p.name)):
            items = ([f"vnu: {m}" for m in p.vnu] + [f"axe: {m}" for m in p.axe] +
                     [f"broken link: {m}" for m in p.links] + list(p.other) + list(p.lh_misses))
            info = [f"vnu (ignored by VNU_IGNORE): {m}" for m in p.vnu_info] + [f"axe (info): {m}" for m in p.axe_info]
            for cat, audits in p.lh_audits.items():
                info += [f"lighthouse {cat}: {a}" for a in audits]
            if items or info:
                block.append(f"- `{p.name}`" + (" **FAIL**" if items else ""))
                block += [f"  - {m}" for m in items]
                block += [f"  - _info_ {m}" for m in info]
        if block:
            lines.append(f"\n### {c.theme} × {c.site}\n")
            lines += block
    return lines


def main():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    t0 = time.time()
    themes = split_list(os.environ.get("THEMES")) or default_themes()
    sites = split_list(os.environ.get("SITES")) or default_sites()
    log(f"quality: themes {' '.join(themes)}; sites {' '.join(sites)}; perf >= {PERF_MIN}; "
        f"funnelcake {FUNNELCAKE}")
    combos = []
    try:
        for theme in themes:
            for site in sites:
                combos.append(check_combo(theme, site))
    finally:
        stop_servers()
    head, rows = table(combos)
    misses = sum(c.misses() for c in combos)
    detail = details(combos)
    elapsed = time.time() - t0
    log("\n" + "\n".join(l.replace("**", "") for l in detail))
    log("\n" + render_text(head, rows))
    verdict = f"{misses} miss(es)" if misses else "all checks passed"
    log(f"\nquality: {verdict} in {elapsed:.0f} s "
        f"({', '.join(f'{c.theme}/{c.site} {c.seconds:.0f} s' for c in combos)})")
    md = [f"# Page-quality report\n",
          f"Themes: {', '.join(themes)}. Sites: {', '.join(sites)}. Gates: Nu HTML checker 0 errors, "
          f"axe 0 serious/critical, lychee 0 broken links, Lighthouse (mobile) a11y/bp/seo 100 and "
          f"performance >= {PERF_MIN} on funnel pages (SEO skipped on thank-you and noindex pages). "
          f"`other`: wrong status, failed requests, console errors, favicon, tool errors.\n",
          render_md(head, rows), "", f"**{verdict}** in {elapsed:.0f} s.", "", "## Details", *detail, ""]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(md), encoding="utf-8")
    log(f"report: {REPORT}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
