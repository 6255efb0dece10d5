// Shared by the browser tests: the server address, Chromium launched the
// one way (Debian's build, headless, never downloaded), checks that fail
// with a message, page diagnostics, the screen sizes, log-in (one role or
// at each width), the run wrapper that prints the result, the last
// diagnostics and a screenshot on failure, and the checks every page gets
// (no 5xx, no sideways scrolling, no serious axe-core violation).

import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const PASSWORD = 'fanxing-demo';
export const here = path.dirname(fileURLToPath(import.meta.url));
export const screenshotDir = path.join(here, 'screenshots');

// The screens the tests use.
export const PHONE = { name: 'phone', width: 390, height: 844 };
export const LARGE_PHONE = { name: 'phone', width: 412, height: 915 };
export const DESKTOP = { name: 'desktop', width: 1280, height: 900 };
/** The widths a page is checked at: phone, then desktop. */
export const WIDTHS = [PHONE, DESKTOP];

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
 *  failed requests and error responses under `role`; with `serverErrors`
 *  (a list), also adds each 5xx answer to it. */
export function watch(page, role, { warnings = false, serverErrors } = {}) {
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
      const line = `${role}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}`;
      diagnostics.push(line);
      if (serverErrors && res.status() >= 500) serverErrors.push(line);
    }
  });
}

/** A browser context in Chinese at the given size. With `axe`, the pages'
 *  CSP is bypassed: axe-core is injected as a script, and the pages' CSP
 *  allows only their own. Other options go to Playwright as they are. */
export function newContext(browser, size = { width: 1200, height: 900 }, { axe = false, ...options } = {}) {
  return browser.newContext({
    viewport: { width: size.width, height: size.height },
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    ...(axe ? { bypassCSP: true } : {}),
    ...options,
  });
}

/** Logs in through the form in a new page of `context`; returns the page.
 *  Options: `who` (the label of its diagnostics, `login` by default) and
 *  those of `watch`; with `serverErrors`, the log-in must add none. */
export async function logIn(base, context, login, { who = login, ...options } = {}) {
  const page = await context.newPage();
  watch(page, who, options);
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
  if (options.serverErrors) {
    check(options.serverErrors.length === 0, `server error during log-in: ${options.serverErrors.join('; ')}`);
  }
  return page;
}

/** A page of a new context at `size`, logged in as `login` (a visitor who
 *  is not logged in when null), watched as `login@width`. Options: `axe`
 *  and `context` (more options of the context: see newContext), `who`,
 *  `warnings` and `serverErrors` (see logIn and watch). Close it with
 *  `page.context().close()`. */
export async function openAs(browser, base, size, login, { axe, context: more, ...options } = {}) {
  const context = await newContext(browser, size, { axe, ...more });
  const who = options.who || `${login || 'visitor'}@${size.width}`;
  if (login) return logIn(base, context, login, { ...options, who });
  const page = await context.newPage();
  watch(page, who, options);
  return page;
}

/** Runs `fn(page, size)` with a page opened by openAs as `login` at `size`,
 *  and closes its context once `fn` has returned (after a failure it stays
 *  open, for the failure screenshot); returns what `fn` returned. */
export async function asRole(browser, base, size, login, fn, options) {
  const page = await openAs(browser, base, size, login, options);
  const result = await fn(page, size);
  await page.context().close();
  return result;
}

/** asRole at each of `WIDTHS` in turn: `fn(page, size)` as `login` at
 *  phone width, then at desktop width, each in a context of its own. */
export async function forEachWidth(browser, base, login, fn, options) {
  for (const size of WIDTHS) await asRole(browser, base, size, login, fn, options);
}

/** Clicks `target` and waits for the page it loads; returns the response. */
export async function follow(page, target) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), target.click()]);
  return response;
}

/** The page's path, query and fragment, for messages. */
export function where(page) {
  const u = new URL(page.url());
  return `${u.pathname}${u.search}${u.hash}`;
}

// The name of the test running (runTest sets it).
let testName = 'browser';

/** Runs `body(browser)` as the test `name`: prints `browser: 1 passed, 0
 *  failed` or the failure with the last diagnostics and a screenshot of the
 *  current page, and exits 1 on failure. */
export async function runTest(name, body) {
  testName = name;
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

/** Runs `body` (a step about `page`, done as `role`); on failure also saves
 *  a screenshot of `page`, which need not be the page watched last. */
export async function on(page, role, body) {
  try {
    return await body();
  } catch (err) {
    if (page && !page.isClosed()) {
      try {
        await mkdir(screenshotDir, { recursive: true });
        const shot = path.join(screenshotDir, `${testName}-failure-${role}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        console.error(`browser: ${role} at ${page.url()}; screenshot ${path.relative(process.cwd(), shot)}`);
      } catch {
        // best effort only
      }
    }
    throw err;
  }
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

/** How wide the page is against the screen: `page` (the document's scroll
 *  width), `view` (the window's inner width) and `culprit`, the first
 *  element reaching past the screen's right edge outside any box of its own
 *  that scrolls or clips sideways (tag and classes, '' when none). */
export async function pageWidth(page) {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const el = Array.from(document.querySelectorAll('body *')).find((e) => {
      const r = e.getBoundingClientRect();
      if (r.right <= w + 1) return false;
      // Inside a horizontally scrolling box is fine.
      for (let p = e.parentElement; p; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return false;
      }
      return true;
    });
    return {
      page: Math.max(document.documentElement.scrollWidth, (document.scrollingElement || document.documentElement).scrollWidth),
      view: window.innerWidth,
      culprit: el ? `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` : '',
    };
  });
}

/** For a test whose pages all get pageIsSound: `serverErrors` (the 5xx
 *  answers so far), `options` for openAs, asRole and forEachWidth (axe-core
 *  allowed, 5xx recorded, `context` added to the context's options),
 *  `pageIsSound(page, what)` against that list, and `noServerErrors()`,
 *  which fails if the list is not empty. */
export function soundPages(context = {}) {
  const serverErrors = [];
  return {
    serverErrors,
    options: { axe: true, serverErrors, context },
    pageIsSound: (page, what) => pageIsSound(page, what, serverErrors),
    noServerErrors: () => check(serverErrors.length === 0, `server errors: ${serverErrors.join('; ')}`),
  };
}

/** The checks every page gets, `what` naming it in messages: no 5xx in
 *  `serverErrors` so far, the page no wider than the screen, and no axe-core
 *  violation of impact serious or critical (lesser ones are printed as
 *  warnings). The page's context needs the `axe` option of newContext. */
export async function pageIsSound(page, what, serverErrors) {
  check(serverErrors.length === 0, `${what}: the server answered ${serverErrors.join('; ')}`);
  const over = await pageWidth(page);
  check(
    over.page <= over.view,
    `${what} (${where(page)}) is ${over.page} px wide on a ${over.view} px screen (widest: ${over.culprit || '?'})`,
  );
  const violations = await runAxe(page);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations.filter((x) => !bad.includes(x))) {
    console.log(`browser: warn ${what}: axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(' | ')}`);
  }
  check(
    bad.length === 0,
    `${what} (${where(page)}): axe ${bad
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(' | ')}`)
      .join('; ')}`,
  );
}
