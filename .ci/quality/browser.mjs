// axe-core and request checks in Debian's Chromium, via playwright-core.
//
//   node browser.mjs PAGES.json OUT.json
//
// PAGES.json: [{ "url": "http://127.0.0.1:PORT/x/", "name": "/x/", "status": 200 }]
// For each page and each variant (a phone or desktop viewport, a light or dark
// colour scheme) it loads the page, checks the main response's status,
// records every other request that failed or answered >= 400 (so a missing
// stylesheet or image shows up), console errors (Chromium's own /favicon.ico
// request only shows there), fetches the page's icons (<link rel~=icon>, else
// /favicon.ico) and runs axe-core with its default rules. Violations are
// deduplicated across variants, keeping the variants they were seen in.
//
// AXE_VARIANTS: comma list of phone, desktop, phone-dark, desktop-dark, or
// `all` (default: phone,desktop-dark). AXE_JOBS: pages checked at once (default 2).
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const [pagesFile, outFile] = process.argv.slice(2);
const pages = JSON.parse(fs.readFileSync(pagesFile, 'utf8'));
const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const ALL_VARIANTS = [
  { name: 'phone', ...PHONE, colorScheme: 'light' },
  { name: 'desktop', ...DESKTOP, colorScheme: 'light' },
  { name: 'phone-dark', ...PHONE, colorScheme: 'dark' },
  { name: 'desktop-dark', ...DESKTOP, colorScheme: 'dark' },
];
// Default: both widths and both colour schemes with two loads; `all` for four.
const spec = process.env.AXE_VARIANTS || 'phone,desktop-dark';
const wanted = spec === 'all' ? ALL_VARIANTS.map((v) => v.name) : spec.split(',').map((s) => s.trim()).filter(Boolean);
const VARIANTS = ALL_VARIANTS.filter((v) => wanted.includes(v.name));
if (!VARIANTS.length) throw new Error(`AXE_VARIANTS=${process.env.AXE_VARIANTS} names no variant`);
const JOBS = Math.max(1, Number(process.env.AXE_JOBS) || 2);

async function checkPage(browser, p) {
  const res = { url: p.url, name: p.name, status: null, badRequests: [], consoleErrors: [], icons: [], violations: [], errors: [] };
  const seen = new Map();
  const t0 = Date.now();
  for (const [i, v] of VARIANTS.entries()) {
    const { name: vname, ...opts } = v;
    const context = await browser.newContext(opts);
    const page = await context.newPage();
    const bad = [];
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.request().isNavigationRequest() && r.url() === p.url)) {
        bad.push(`${r.status()} ${r.url()}`);
      }
    });
    page.on('requestfailed', (r) => bad.push(`failed (${r.failure()?.errorText}) ${r.url()}`));
    page.on('console', (m) => {
      // The 404 page's own status is expected, not an error.
      if (m.type() === 'error' && !(p.status === 404 && m.location().url === p.url)) {
        const where = m.location().url;
        res.consoleErrors.push(where && where !== p.url ? `${m.text()} [${where}]` : m.text());
      }
    });
    page.on('pageerror', (e) => res.consoleErrors.push(String(e)));
    try {
      const resp = await page.goto(p.url, { waitUntil: 'load', timeout: 30000 });
      if (i === 0) {
        res.status = resp ? resp.status() : null;
        const hrefs = await page.evaluate(() =>
          [...document.querySelectorAll('link[rel~="icon" i]')].map((l) => l.href));
        for (const href of hrefs.length ? hrefs : [new URL('/favicon.ico', p.url).href]) {
          const r = await context.request.get(href);
          const type = r.headers()['content-type'] || '';
          res.icons.push({ href, status: r.status(), type, ok: r.status() === 200 && type.startsWith('image/') });
        }
      }
      const axe = await new AxeBuilder({ page }).analyze();
      for (const viol of axe.violations) {
        for (const node of viol.nodes) {
          const target = node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ');
          const key = `${viol.id}\u0000${target}`;
          if (!seen.has(key)) {
            seen.set(key, {
              id: viol.id, impact: node.impact || viol.impact, help: viol.help, helpUrl: viol.helpUrl,
              target, html: node.html.slice(0, 200),
              summary: (node.failureSummary || '').replace(/\s+/g, ' ').slice(0, 400),
              variants: [],
            });
          }
          seen.get(key).variants.push(vname);
        }
      }
    } catch (e) {
      res.errors.push(`${vname}: ${e.message.split('\n')[0]}`);
    }
    for (const b of bad) if (!res.badRequests.includes(b)) res.badRequests.push(b);
    await context.close();
  }
  res.seconds = (Date.now() - t0) / 1000;
  res.consoleErrors = [...new Set(res.consoleErrors)];
  res.violations = [...seen.values()];
  return res;
}

let browser;
const results = new Array(pages.length);
try {
  // Playwright gives the browser its own new, empty profile and removes it.
  browser = await chromium.launch({ executablePath: CHROME, headless: true, args: FLAGS, timeout: 60000 });
  let next = 0;
  const worker = async () => {
    while (next < pages.length) {
      const i = next++;
      results[i] = await checkPage(browser, pages[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, pages.length) }, worker));
} finally {
  if (browser) await browser.close().catch(() => {});
}
fs.writeFileSync(outFile, JSON.stringify(results, null, 1));
