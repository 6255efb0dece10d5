// Browser check of registration, the e-ticket and offline check-in.
//
// Usage: node tests/browser/checkin-offline.mjs http://127.0.0.1:PORT
//
// Expects a fresh server started with `fanxing serve --demo` (the trainee
// must not be registered yet). Uses the system Chromium (override with env
// CHROMIUM); no browser is ever downloaded.
//
// 1. `trainee` registers for 昆山直播运营实战训练营 and opens the e-ticket.
// 2. `checkin` opens the check-in page of the main venue, waits for the
//    service worker, goes offline, scans the ticket (queued locally),
//    reloads the page while still offline (served from the worker's cache),
//    goes back online and waits for the queue to sync; a second scan of the
//    same ticket is a duplicate and a ticket with a tampered signature is
//    refused.
// 3. `admin` reads the session over the JSON API: exactly one attendance.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  baseUrl,
  check,
  CheckFailed,
  LARGE_PHONE,
  openAs,
  runTest,
  screenshotDir,
  watch,
} from './lib.mjs';

const NAME = 'checkin-offline';
const ticketShot = path.join(screenshotDir, 'ticket.png');
const checkinShot = path.join(screenshotDir, 'checkin.png');

const base = baseUrl(NAME);

const SESSION_TITLE = '昆山直播运营实战训练营';
const VENUE_NAME = '昆山电商产业园报告厅';
const CODE_RE = /^FX1\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.([A-Za-z0-9_-]+)$/;

const READY_TIMEOUT = 30_000;
const SW_TIMEOUT = 20_000;
const SYNC_TIMEOUT = 30_000;

// A page on a phone, logged in as `login`.
function as(browser, login) {
  return openAs(browser, base, LARGE_PHONE, login, { warnings: true });
}

// Clicks the first of `links` and waits for the page whose path matches
// `re` (/^\/name\/(\d+)/); returns the number in that path.
async function openNumbered(page, links, re) {
  await Promise.all([
    page.waitForURL((url) => re.test(url.pathname), { waitUntil: 'load' }),
    links.first().click(),
  ]);
  return Number(new URL(page.url()).pathname.match(re)[1]);
}

// Waits until fn(arg) is truthy in the page; fails with `message` after
// `timeout` ms instead of throwing Playwright's timeout error.
async function waitInPage(page, fn, arg, timeout, message) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (err) {
    if (err && err.name === 'TimeoutError') throw new CheckFailed(await message());
    throw err;
  }
}

async function text(page, selector) {
  return ((await page.locator(selector).textContent()) || '').trim();
}

async function resultState(page) {
  return page.locator('#result').evaluate((el) => ({ cls: el.className, text: el.textContent.trim() }));
}

async function waitCheckinReady(page, what) {
  await waitInPage(
    page,
    () => document.querySelector('#checkin')?.dataset.ready === '1',
    undefined,
    READY_TIMEOUT,
    () => `${what}: #checkin never got data-ready="1" within ${READY_TIMEOUT / 1000} s`,
  );
}

// Types a ticket code into the scanner and waits for a new #result.
async function scan(page, code) {
  const before = await page.locator('#log li').count();
  await page.locator('#code').fill(code);
  await page.locator('#code').press('Enter');
  await waitInPage(
    page,
    (n) => document.querySelectorAll('#log li').length > n,
    before,
    10_000,
    () => `no scan result within 10 s for ${code}`,
  );
  return resultState(page);
}

// Changes one character early in the signature (a change in the last
// character could touch only base64 padding bits and keep the signature).
function tamper(code) {
  const dot = code.lastIndexOf('.');
  const i = dot + 5;
  const c = code[i];
  const replacement = c === 'A' ? 'B' : 'A';
  return code.slice(0, i) + replacement + code.slice(i + 1);
}

// ---------------------------------------------------------------------------
async function registerAndGetTicket(browser) {
  const page = await as(browser, 'trainee');

  const list = await page.goto(`${base}/sessions`);
  check(list && list.ok(), `GET /sessions returned ${list && list.status()}`);
  const card = page.locator('li.session-card a', { hasText: SESSION_TITLE });
  check((await card.count()) > 0, `/sessions has no card for ${SESSION_TITLE}`);
  const sessionId = await openNumbered(page, card, /^\/sessions\/(\d+)/);

  const venueSelect = page.locator('select[name="venue_id"]');
  check((await venueSelect.count()) > 0, `session ${sessionId}: no venue_id select (registration form missing)`);
  const suggested = await venueSelect.evaluate((s) => ({
    value: s.value,
    text: s.selectedOptions[0] ? s.selectedOptions[0].textContent.trim() : '',
  }));
  check(suggested.value !== '', `session ${sessionId}: no venue preselected`);

  const submit = page.locator('button.primary', { hasText: '确认报名' });
  check((await submit.count()) > 0, `session ${sessionId}: no 确认报名 button`);
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('done') === 'registered', { waitUntil: 'load' }),
    submit.first().click(),
  ]);
  check(
    new URL(page.url()).pathname === `/sessions/${sessionId}`,
    `registration redirected to ${page.url()}, expected /sessions/${sessionId}?done=registered`,
  );

  const ticketLink = page.locator('a[href^="/tickets/"]');
  check((await ticketLink.count()) > 0, 'no link to the e-ticket after registering');
  const registrationId = await openNumbered(page, ticketLink, /^\/tickets\/(\d+)/);

  check((await page.locator('.qr svg').count()) > 0, 'ticket page: no <svg> inside .qr');
  const code = ((await page.locator('p.ticket-code').getAttribute('data-code')) || '').trim();
  const m = code.match(CODE_RE);
  check(m, `ticket code "${code}" does not look like FX1.<session>.<registration>.<venue>.<person>.<signature>`);
  check(Number(m[1]) === sessionId, `ticket code is for session ${m[1]}, expected ${sessionId}`);
  check(Number(m[2]) === registrationId, `ticket code is for registration ${m[2]}, expected ${registrationId}`);

  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: ticketShot, fullPage: true });
  console.log(
    `browser: trainee registered for session ${sessionId} at "${suggested.text}" (venue ${m[3]}), ` +
      `ticket ${registrationId}, screenshot ${path.relative(process.cwd(), ticketShot)}`,
  );
  await page.context().close();
  return { sessionId, registrationId, venueId: Number(m[3]), code };
}

// ---------------------------------------------------------------------------
async function checkInOffline(browser, ticket) {
  const page = await as(browser, 'checkin');

  const list = await page.goto(`${base}/checkin`);
  check(list && list.ok(), `GET /checkin returned ${list && list.status()}`);
  const venueLink = page.locator('li.session-card a[href^="/checkin/"]', { hasText: VENUE_NAME });
  check((await venueLink.count()) > 0, `/checkin lists no venue named ${VENUE_NAME}`);
  const venueId = await openNumbered(page, venueLink, /^\/checkin\/(\d+)/);
  const checkinUrl = page.url();
  check(
    venueId === ticket.venueId,
    `the ticket is for venue ${ticket.venueId} but the check-in staff's venue ${VENUE_NAME} is ${venueId}`,
  );
  const pageSession = Number(await page.locator('#checkin').getAttribute('data-session'));
  check(pageSession === ticket.sessionId, `check-in page is for session ${pageSession}, expected ${ticket.sessionId}`);

  await waitCheckinReady(page, 'check-in page');

  // The service worker must be active before going offline.
  const sw = await page.evaluate(async (timeout) => {
    if (!('serviceWorker' in navigator)) return { supported: false, secure: window.isSecureContext };
    const reg = await Promise.race([
      navigator.serviceWorker.ready,
      new Promise((resolve) => setTimeout(() => resolve(null), timeout)),
    ]);
    if (!reg || !reg.active) return { supported: true, secure: window.isSecureContext, ready: false };
    const worker = reg.active;
    if (worker.state !== 'activated') {
      await Promise.race([
        new Promise((resolve) => worker.addEventListener('statechange', () => {
          if (worker.state === 'activated') resolve();
        })),
        new Promise((resolve) => setTimeout(resolve, timeout)),
      ]);
    }
    return {
      supported: true,
      secure: window.isSecureContext,
      ready: true,
      scope: reg.scope,
      script: worker.scriptURL,
      state: worker.state,
      controlled: !!navigator.serviceWorker.controller,
    };
  }, SW_TIMEOUT);
  check(sw.supported, 'navigator.serviceWorker is not available in this browser');
  check(sw.secure, `${checkinUrl} is not a secure context, so the check-in page registers no service worker`);
  check(
    sw.ready,
    `service worker /checkin/sw.js did not become ready within ${SW_TIMEOUT / 1000} s ` +
      `(#mode says "${await text(page, '#mode')}")`,
  );
  check(sw.state === 'activated', `service worker is "${sw.state}", not activated, after ${SW_TIMEOUT / 1000} s`);
  check(new URL(sw.scope).pathname === '/checkin/', `service worker scope is ${sw.scope}, expected /checkin/`);
  console.log(`browser: service worker ${new URL(sw.script).pathname} ${sw.state}, controls page: ${sw.controlled}`);

  // The page stores itself in the worker's cache once the worker is ready.
  await waitInPage(
    page,
    () => document.querySelector('#checkin')?.dataset.cached === '1',
    undefined,
    SW_TIMEOUT,
    async () => `the check-in page did not store itself for offline use (#mode says "${await text(page, '#mode')}")`,
  );

  // Offline scan: accepted on the device and queued.
  await page.context().setOffline(true);
  await waitInPage(
    page,
    () => document.querySelector('#net')?.classList.contains('offline'),
    undefined,
    5_000,
    () => '#net does not show the offline state after going offline',
  );
  const first = await scan(page, ticket.code);
  check(
    first.cls.split(/\s+/).includes('ok') && first.text.includes('签到成功'),
    `offline scan: #result is "${first.text}" (class "${first.cls}"), expected class ok with 签到成功`,
  );
  await waitInPage(
    page,
    () => document.querySelector('#count-queue')?.textContent.trim() === '1',
    undefined,
    5_000,
    async () => `offline scan: #count-queue is "${await text(page, '#count-queue')}", expected "1"`,
  );
  check((await text(page, '#count-local')) === '1', `offline scan: #count-local is "${await text(page, '#count-local')}", expected "1"`);

  // Reload while offline: the service worker serves the cached page.
  const cached = await page.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  let reloadError = null;
  let reloadResponse = null;
  try {
    reloadResponse = await page.reload({ waitUntil: 'load', timeout: 15_000 });
  } catch (err) {
    reloadError = err;
  }
  check(
    !reloadError,
    `reloading ${checkinUrl} while offline failed (the service worker did not serve it from its cache): ` +
      `${reloadError && reloadError.message.split('\n')[0]}; the worker's cache held only ` +
      `[${cached.join(', ')}]`,
  );
  check(
    reloadResponse && reloadResponse.ok(),
    `reloading ${checkinUrl} while offline answered ${reloadResponse && reloadResponse.status()}`,
  );
  check(
    reloadResponse.fromServiceWorker(),
    `reloading ${checkinUrl} while offline was not answered by the service worker`,
  );
  check((await page.locator('#checkin').count()) === 1, `offline reload of ${checkinUrl} shows no #checkin`);
  await waitCheckinReady(page, 'offline reload');
  await waitInPage(
    page,
    () => document.querySelector('#count-queue')?.textContent.trim() === '1',
    undefined,
    5_000,
    async () => `offline reload: #count-queue is "${await text(page, '#count-queue')}", expected "1"`,
  );
  console.log('browser: offline reload served by the service worker, 1 scan still queued');

  // Back online: the queue syncs.
  await page.context().setOffline(false);
  await waitInPage(
    page,
    () => document.querySelector('#count-queue')?.textContent.trim() === '0',
    undefined,
    SYNC_TIMEOUT,
    async () =>
      `back online: #count-queue is still "${await text(page, '#count-queue')}" after ${SYNC_TIMEOUT / 1000} s ` +
      `(#net: "${await text(page, '#net')}", #result: "${await text(page, '#result')}")`,
  );
  const net = await page.locator('#net').getAttribute('class');
  check(/\bonline\b/.test(net || ''), `back online: #net has class "${net}", expected online`);
  const syncedLog = await page.locator('#log li').allTextContents();
  const refusedAfterSync = syncedLog.filter((t) => !t.includes('已同步') && !t.includes('签到成功'));
  check(refusedAfterSync.length === 0, `sync reported: ${refusedAfterSync.join(' | ')}`);

  // Same ticket again: a duplicate.
  const again = await scan(page, ticket.code);
  check(
    again.cls.split(/\s+/).includes('duplicate') && again.text.includes('已于'),
    `second scan: #result is "${again.text}" (class "${again.cls}"), expected class duplicate with 已于`,
  );

  // Tampered signature: refused.
  const forged = tamper(ticket.code);
  const bad = await scan(page, forged);
  check(
    bad.cls.split(/\s+/).includes('refused'),
    `tampered ticket ${forged}: #result is "${bad.text}" (class "${bad.cls}"), expected class refused`,
  );
  check((await text(page, '#count-queue')) === '0', `after the duplicate and the tampered scan #count-queue is "${await text(page, '#count-queue')}", expected "0"`);
  check((await text(page, '#count-local')) === '1', `#count-local is "${await text(page, '#count-local')}", expected "1"`);

  await page.screenshot({ path: checkinShot, fullPage: true });
  console.log(
    `browser: check-in at venue ${venueId}: offline ok, synced, duplicate "${again.text}", ` +
      `tampered refused "${bad.text}", screenshot ${path.relative(process.cwd(), checkinShot)}`,
  );
  await page.context().close();
}

// ---------------------------------------------------------------------------
async function countAsAdmin(browser, ticket) {
  const page = await as(browser, 'admin');
  const res = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/sessions/${id}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    return { status: r.status, body };
  }, ticket.sessionId);
  check(res.status === 200, `GET /api/v1/sessions/${ticket.sessionId} as admin returned ${res.status}`);
  const s = res.body || {};
  check(
    s.attendances === 1 && s.onsite === 1,
    `session ${ticket.sessionId}: attendances=${s.attendances}, onsite=${s.onsite}, online=${s.online}; expected exactly 1 on site`,
  );
  const venue = (s.venues || []).find((v) => (v.id ?? (v.venue && v.venue.id)) === ticket.venueId);
  console.log(
    `browser: admin sees attendances=${s.attendances}, onsite=${s.onsite}, online=${s.online}` +
      (venue ? `, venue ${ticket.venueId} attended=${venue.attended}` : ''),
  );
  await page.context().close();
}

// ---------------------------------------------------------------------------
await runTest(NAME, async (browser) => {
  const ticket = await registerAndGetTicket(browser);
  await checkInOffline(browser, ticket);
  await countAsAdmin(browser, ticket);
});
