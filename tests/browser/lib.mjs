// Shared by the browser tests: the server address, Chromium launched the
// one way (Debian's build, headless, never downloaded), checks that fail
// with a message, page diagnostics, log-in, and the run wrapper that
// prints the result, the last diagnostics and a screenshot on failure.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const PASSWORD = 'fanxing-demo';
export const here = path.dirname(fileURLToPath(import.meta.url));
export const screenshotDir = path.join(here, 'screenshots');

/** The server's base URL from argv[2] or FANXING_URL; exits 2 without one. */
export function baseUrl(name) {
  const base = (process.argv[2] || process.env.FANXING_URL || '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) {
    console.error(`usage: node ${name}.mjs http://HOST:PORT`);
    process.exit(2);
  }
  return base;
}

export class CheckFailed extends Error {}

export function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

/** Chromium as every test starts it. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What the pages said (console errors, failed requests, 4xx/5xx), newest last. */
export const diagnostics = [];
let current;

/** The page watched last (screenshotted on failure). */
export function currentPage() {
  return current;
}

/** Records a page's console errors (and warnings, when asked), page errors,
 *  failed requests and error responses under `role`. */
export function watch(page, role, { warnings = false } = {}) {
  current = page;
  page.setDefaultTimeout(30_000);
  page.setDefaultNavigationTimeout(30_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' || (warnings && msg.type() === 'warning')) {
      const where = msg.location() && msg.location().url;
      diagnostics.push(`${role}: console.${msg.type()}: ${msg.text()}${where ? ` (${where})` : ''}`);
    }
  });
  page.on('pageerror', (err) => diagnostics.push(`${role}: page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    diagnostics.push(`${role}: request failed: ${req.method()} ${req.url()} (${failure && failure.errorText})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      diagnostics.push(`${role}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });
}

/** A browser context in Chinese at the given size. */
export function newContext(browser, viewport = { width: 1200, height: 900 }) {
  return browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'zh-CN' });
}

/** Logs in through the form in a new page of `context`; returns the page. */
export async function logIn(base, context, login, options) {
  const page = await context.newPage();
  watch(page, login, options);
  const response = await page.goto(`${base}/login`);
  check(response && response.ok(), `GET /login returned ${response && response.status()}`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/login', { waitUntil: 'load' }).catch(() => {}),
    page.locator('button[type="submit"].primary').first().click(),
  ]);
  await page.waitForLoadState('load');
  check(
    new URL(page.url()).pathname !== '/login',
    `log-in as ${login} did not leave /login (still at ${page.url()})`,
  );
  return page;
}

/** Runs `body(browser)` as the test `name`: prints `browser: 1 passed, 0
 *  failed` or the failure with the last diagnostics and a screenshot of the
 *  current page, and exits 1 on failure. */
export async function runTest(name, body) {
  const failurePath = path.join(screenshotDir, `${name}-failure.png`);
  await rm(failurePath, { force: true });
  let browser;
  let failed = false;
  try {
    browser = await launch();
    await body(browser);
  } catch (err) {
    failed = true;
    if (err instanceof CheckFailed) {
      console.error(`browser: FAIL ${name}: ${err.message}`);
    } else {
      console.error(`browser: ERROR ${name}: ${err && err.stack ? err.stack : err}`);
    }
    for (const line of diagnostics.slice(-40)) console.error(`browser:   ${line}`);
    if (current && !current.isClosed()) {
      try {
        await mkdir(screenshotDir, { recursive: true });
        await current.screenshot({ path: failurePath, fullPage: true });
        console.error(`browser: page at ${current.url()}; screenshot ${path.relative(process.cwd(), failurePath)}`);
      } catch {
        // best effort only
      }
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  if (failed) {
    console.log('browser: 0 passed, 1 failed');
    process.exit(1);
  }
  console.log('browser: 1 passed, 0 failed');
}

// axe-core, loaded once for every test that checks pages with it.
const axeSource = await readFile(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

// axe-core's WCAG 2 A/AA rules over the page: the violations, each with its
// impact and up to three nodes.
export async function runAxe(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!has) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations', 'incomplete'],
    });
    const out = r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\n')[1]),
    }));
    // axe leaves text the colour of its background (1:1, e.g. a white
    // button on white) as "incomplete", not as a violation: it is the worst
    // contrast there is, so it counts as one here.
    for (const v of r.incomplete.filter((x) => x.id === 'color-contrast')) {
      const same = v.nodes.filter((n) =>
        n.any.some((a) => (a.data && a.data.contrastRatio === 1) || /1:1 contrast/.test(a.message || '')),
      );
      if (same.length) {
        out.push({
          id: 'color-contrast',
          impact: 'serious',
          help: 'Text is the same colour as its background',
          nodes: same.slice(0, 3).map((n) => n.target.join(' ')),
        });
      }
    }
    return out;
  });
}
