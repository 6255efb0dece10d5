// Accessibility and layout crawl: every demo role, at phone and desktop size.
//
// Usage: node tests/browser/a11y-crawl.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo`. Uses the system
// Chromium (override with env CHROMIUM); no browser is ever downloaded.
//
// For each demo account (and a visitor who is not logged in), at 1280 px and
// at 390 px wide, the crawl starts at the home page and follows the links the
// pages show (same origin, GET only), breadth first, up to FANXING_CRAWL_MAX
// pages per role (default 60). Downloads (.zip, .xlsx, .pdf, .ics), the API,
// static files, the language switch and log-out are not followed. Pages of
// one shape (/sessions/1, /sessions/2, …) are visited at most
// FANXING_CRAWL_PER_SHAPE times (default 2) so the crawl stays a few minutes.
//
// It fails on:
//   - a page answering 5xx, or 403/404 on a link the product itself shows
//     to that role;
//   - axe-core violations of impact "serious" or "critical" (WCAG 2 A/AA,
//     colour contrast included: a white-on-white button is caught here),
//     checked once per page shape, role and width;
//   - at 390 px, a page wider than the screen (horizontal page scroll);
//   - a JavaScript error on a page.
// A screenshot of each role's home at 390 px goes to screenshots/ for review.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  baseUrl,
  DESKTOP,
  launch,
  newContext,
  pageWidth,
  PASSWORD,
  PHONE,
  runAxe,
  screenshotDir,
} from './lib.mjs';

const base = baseUrl('a11y-crawl');

const ROLES = [null, 'admin', 'nanjing', 'suzhou', 'kunshan', 'lecturer', 'checkin', 'trainee', 'bank'];
const WIDTHS = [DESKTOP, PHONE];
const MAX_PAGES = Number(process.env.FANXING_CRAWL_MAX || 60);
const PER_SHAPE = Number(process.env.FANXING_CRAWL_PER_SHAPE || 2);
const SKIP = [
  /^\/api\//,
  /^\/static\//,
  /^\/lang\//,
  /^\/logout/,
  /^\/calendar\//,
  /^\/checkin\/sw\.js/,
  /\.(zip|xlsx|xls|csv|pdf|ics|png|svg)$/,
  /\/pdf$/,
];

const failures = [];
const warnings = [];
function fail(msg) {
  failures.push(msg);
  console.error(`FAIL ${msg}`);
}

// /sessions/12/roster?x=1 → /sessions/{n}/roster
function shape(pathname) {
  return pathname.replace(/\/\d+(?=\/|$)/g, '/{n}').replace(/\/FX\d{4}-[0-9A-Z]+/g, '/{cert}');
}

function followable(url) {
  if (url.origin !== new URL(base).origin) return false;
  return !SKIP.some((re) => re.test(url.pathname));
}

async function logIn(page, login) {
  await page.goto(`${base}/login`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/login', { waitUntil: 'load' }),
    page.locator('form button[type="submit"].primary').first().click(),
  ]);
}


async function crawl(browser, role, size) {
  const who = `${role || 'visitor'}@${size.width}`;
  const context = await newContext(browser, size, { axe: true, acceptDownloads: false });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.setDefaultNavigationTimeout(20_000);
  let current = '';
  page.on('pageerror', (err) => fail(`${who}: JavaScript error on ${current}: ${err.message}`));
  if (role) await logIn(page, role);

  const seen = new Set();
  const shapes = new Map();
  const axed = new Set();
  const queue = [{ url: `${base}/`, from: '(start)' }];
  let visited = 0;
  const started = Date.now();
  while (queue.length && visited < MAX_PAGES) {
    const { url, from } = queue.shift();
    const u = new URL(url);
    u.hash = '';
    const key = u.pathname + u.search;
    if (seen.has(key)) continue;
    seen.add(key);
    const s = shape(u.pathname);
    const n = shapes.get(s) || 0;
    if (n >= PER_SHAPE) continue;
    shapes.set(s, n + 1);
    visited += 1;
    current = key;
    let response;
    try {
      response = await page.goto(u.href, { waitUntil: 'load' });
    } catch (e) {
      if (/download/i.test(String(e.message))) continue;
      fail(`${who}: ${key} (linked from ${from}) did not load: ${e.message.split('\n')[0]}`);
      continue;
    }
    const status = response ? response.status() : 0;
    if (status >= 500) {
      fail(`${who}: ${key} (linked from ${from}) answered ${status}`);
      continue;
    }
    if (status === 403 || status === 404) {
      fail(`${who}: ${key} answered ${status}, yet ${from} links to it`);
      continue;
    }
    const finalPath = new URL(page.url()).pathname;
    if (role && finalPath === '/login') {
      fail(`${who}: ${key} (linked from ${from}) sent a logged-in user to the log-in page`);
      continue;
    }
    const ct = (response && response.headers()['content-type']) || '';
    if (!ct.includes('text/html')) continue;

    if (size.width < 600) {
      const over = await pageWidth(page);
      if (over.page > over.view + 1) {
        fail(`${who}: ${key} is ${over.page} px wide on a ${over.view} px screen (widest: ${over.culprit || '?'})`);
      }
    }

    const axeKey = s;
    if (!axed.has(axeKey)) {
      axed.add(axeKey);
      const violations = await runAxe(page);
      for (const v of violations) {
        const line = `${who}: ${key}: axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(' | ')}`;
        if (v.impact === 'serious' || v.impact === 'critical') fail(line);
        else warnings.push(line);
      }
    }

    if (key === '/' && size.width < 600) {
      await mkdir(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, `home-${role || 'visitor'}-390.png`), fullPage: true });
    }

    const links = await page.evaluate(() =>
      Array.from(document.querySelectorAll('a[href]'))
        .filter((a) => !a.hasAttribute('download') && a.target !== '_blank')
        .map((a) => a.href),
    );
    for (const href of links) {
      let next;
      try {
        next = new URL(href);
      } catch {
        continue;
      }
      if (!followable(next)) continue;
      next.hash = '';
      const k = next.pathname + next.search;
      if (!seen.has(k)) queue.push({ url: next.href, from: key });
    }
  }
  console.log(`${who}: ${visited} pages, ${axed.size} page shapes checked by axe, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await context.close();
}

const browser = await launch();
try {
  for (const role of ROLES) {
    for (const size of WIDTHS) {
      await crawl(browser, role, size);
    }
  }
} finally {
  await browser.close();
}
for (const w of warnings.slice(0, 40)) console.log(`warn ${w}`);
if (warnings.length > 40) console.log(`warn … ${warnings.length - 40} more`);
if (failures.length) {
  console.error(`a11y-crawl: ${failures.length} problem(s)`);
  process.exit(1);
}
console.log('a11y-crawl: ok');
