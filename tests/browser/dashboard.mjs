// Browser check of the programme dashboard: province map, drill-down to a
// city, the city office's access limits and the figures against the API.
//
// Usage: node tests/browser/dashboard.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo` (other browser tests
// may have run against it before; only live figures are compared). Uses the
// system Chromium (override with env CHROMIUM); no browser is ever downloaded.
//
// 1. `admin` (province office) opens /programmes and lands on the latest
//    programme's dashboard for 江苏省: heading, burn-up chart, a map with one
//    link per city. The big attendance figure equals actuals.total.attendances
//    of GET /api/v1/programmes/{id}/progress?region=320000, and so does the
//    sum of the cities' attendances in the 分地区 table.
// 2. Clicking Suzhou on the map opens /programmes/{id}?region=320500 with
//    苏州市 as heading and Suzhou's districts and counties in the table.
// 3. `suzhou` (city office) is refused the province (HTTP 403, error page)
//    and sees its own city's dashboard: burn-up chart, no map.
// 4. The province dashboard printed as the briefing (print media, A4 PDF):
//    no card forces a page break, every chart and table is kept whole, and
//    the PDF has no more pages than its content fills plus one (a page
//    left mostly empty would add pages).

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  baseUrl,
  check,
  CheckFailed,
  openAs,
  runTest,
  screenshotDir,
  watch,
} from './lib.mjs';

const NAME = 'dashboard';
const provinceShot = path.join(screenshotDir, 'dashboard-province.png');
const suzhouShot = path.join(screenshotDir, 'dashboard-suzhou.png');

const base = baseUrl(NAME);

const PROVINCE = { code: '320000', name: '江苏省' };
const SUZHOU = { code: '320500', name: '苏州市', label: '苏州' };
const CITY_CODES = [
  '320100', '320200', '320300', '320400', '320500', '320600', '320700',
  '320800', '320900', '321000', '321100', '321200', '321300',
];
const SUZHOU_COUNTY = '昆山市';
const REGION_TABLE_HEADING = '分地区';
const REGION_TABLE_HEADERS = ['地区', '场次', '目标', '人次', '目标', '完成率'];
const ATTENDANCE_COL = 3;

// A page at 1200×900, logged in as `login`.
function as(browser, login) {
  return openAs(browser, base, { width: 1200, height: 900 }, login);
}

// Opens /programmes and returns the programme id it redirects to.
async function openProgrammes(page, who) {
  const response = await page.goto(`${base}/programmes`);
  check(response && response.ok(), `${who}: GET /programmes ended with HTTP ${response && response.status()} at ${page.url()}`);
  const url = new URL(page.url());
  const m = url.pathname.match(/^\/programmes\/(\d+)$/);
  check(m, `${who}: /programmes went to ${url.pathname}${url.search}, expected /programmes/{id}`);
  return { id: Number(m[1]), url };
}

// Heading of the first card, the big figures and the presence of the charts.
async function dashboardSummary(page) {
  return page.evaluate(() => {
    const card = document.querySelector('main section.card');
    const h2 = card && card.querySelector('h2');
    return {
      heading: h2 ? h2.textContent.trim() : null,
      // The exact figure is in the title when the text is compact (4.0万).
      nums: card ? Array.from(card.querySelectorAll('.stats .num')).map((n) => (n.getAttribute('title') || n.textContent).trim()) : [],
      maps: document.querySelectorAll('svg.map').length,
      burnups: document.querySelectorAll('svg.burnup').length,
      errorPage: document.querySelectorAll('.error-page').length,
    };
  });
}

// The 分地区 table: headers and, per row, the linked region code and cells.
async function regionTable(page) {
  return page.evaluate((heading) => {
    const card = Array.from(document.querySelectorAll('main section.card')).find(
      (s) => (s.querySelector('h2')?.textContent || '').trim() === heading,
    );
    const table = card && card.querySelector('table');
    if (!table) return null;
    return {
      headers: Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent.trim()),
      rows: Array.from(table.querySelectorAll('tbody tr')).map((tr) => {
        const link = tr.querySelector('td a[href]');
        const href = link ? link.getAttribute('href') : '';
        const region = new URL(href || '/', location.href).searchParams.get('region');
        return {
          region,
          cells: Array.from(tr.querySelectorAll('td')).map((td) => ({
            text: td.textContent.replace(/\s+/g, ' ').trim(),
            numeric: td.classList.contains('n'),
          })),
        };
      }),
    };
  }, REGION_TABLE_HEADING);
}

// A whole number as pages write it, thousands separated (40,040).
function parseCount(text, what) {
  check(/^\d{1,3}(,\d{3})*$/.test(text), `${what} is "${text}", expected a whole number with thousands separators`);
  return Number(text.replace(/,/g, ''));
}

// A point (viewport coordinates) where the topmost element is inside the map
// link for `code`: the label, then the shape's centre, then a grid scan of
// the shape's box (cities are irregular and their boxes overlap).
async function pointInside(page, code) {
  return page.evaluate((code) => {
    const a = document.querySelector(`svg.map a[data-code="${code}"]`);
    if (!a) return null;
    const hits = (x, y) => {
      const el = document.elementFromPoint(x, y);
      return el && a.contains(el) ? { x, y } : null;
    };
    const centre = (el) => {
      const r = el.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    };
    const text = a.querySelector('text');
    const shape = a.querySelector('path');
    if (text) {
      const p = hits(...centre(text));
      if (p) return p;
    }
    if (!shape) return null;
    const p = hits(...centre(shape));
    if (p) return p;
    const r = shape.getBoundingClientRect();
    for (let i = 1; i < 20; i++) {
      for (let j = 1; j < 20; j++) {
        const q = hits(r.left + (r.width * i) / 20, r.top + (r.height * j) / 20);
        if (q) return q;
      }
    }
    return null;
  }, code);
}

// ---------------------------------------------------------------------------
async function provinceAndDrillDown(browser) {
  const page = await as(browser, 'admin');

  const { id, url } = await openProgrammes(page, 'admin');
  const region = url.searchParams.get('region');
  check(region === null || region === PROVINCE.code, `admin: /programmes went to ${url.pathname}${url.search}, expected the province`);

  const summary = await dashboardSummary(page);
  check(summary.heading === PROVINCE.name, `province dashboard: first card heading is "${summary.heading}", expected "${PROVINCE.name}"`);
  check(summary.burnups === 1, `province dashboard: ${summary.burnups} svg.burnup, expected 1`);
  check(summary.maps === 1, `province dashboard: ${summary.maps} svg.map, expected 1`);
  check(summary.nums.length >= 2, `province dashboard: ${summary.nums.length} .stats .num in the first card, expected at least 2`);
  const bigAttendances = parseCount(summary.nums[1], 'province dashboard: second .stats .num (attendances)');

  // The map: one link per city, each with a shape, a tooltip and a label.
  const cities = await page.evaluate(() =>
    Array.from(document.querySelectorAll('svg.map a')).map((a) => ({
      code: a.getAttribute('data-code'),
      href: a.getAttribute('href') || a.getAttribute('xlink:href'),
      paths: a.querySelectorAll('path').length,
      title: (a.querySelector('path title')?.textContent || '').trim(),
      label: (a.querySelector('text')?.textContent || '').trim(),
    })),
  );
  const codes = cities.map((c) => c.code);
  check(
    cities.length === CITY_CODES.length && CITY_CODES.every((c) => codes.includes(c)),
    `province map: links for [${codes.join(', ')}], expected the ${CITY_CODES.length} cities [${CITY_CODES.join(', ')}]`,
  );
  for (const c of cities) {
    check(c.href === `/programmes/${id}?region=${c.code}`, `province map: city ${c.code} links to "${c.href}", expected /programmes/${id}?region=${c.code}`);
    check(c.paths === 1, `province map: city ${c.code} has ${c.paths} <path>, expected 1`);
    check(c.label !== '', `province map: city ${c.code} has no <text> label`);
    check(/：\d+ \/ \d+ 人次$/.test(c.title), `province map: city ${c.code} has title "${c.title}", expected "<城市>：<人次> / <目标> 人次"`);
  }
  const suzhouOnMap = cities.find((c) => c.code === SUZHOU.code);
  check(suzhouOnMap.label === SUZHOU.label, `province map: Suzhou's label is "${suzhouOnMap.label}", expected "${SUZHOU.label}"`);
  check(suzhouOnMap.title.startsWith(`${SUZHOU.name}：`), `province map: Suzhou's title is "${suzhouOnMap.title}"`);

  // The API, fetched with the page's cookies.
  const api = await page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await r.json(); } catch { /* not JSON */ }
    return { status: r.status, body };
  }, `/api/v1/programmes/${id}/progress?region=${PROVINCE.code}`);
  check(api.status === 200, `GET /api/v1/programmes/${id}/progress?region=${PROVINCE.code} as admin returned ${api.status}`);
  const apiAttendances = api.body?.actuals?.total?.attendances;
  check(Number.isInteger(apiAttendances), `progress API: actuals.total.attendances is ${JSON.stringify(apiAttendances)}`);
  check(
    bigAttendances === apiAttendances,
    `province dashboard shows ${bigAttendances} attendances, the progress API says ${apiAttendances}`,
  );

  // The 分地区 table: one row per city; the attendance column adds up.
  const table = await regionTable(page);
  check(table, `province dashboard: no table under a "${REGION_TABLE_HEADING}" heading`);
  check(
    REGION_TABLE_HEADERS.every((h, i) => table.headers[i] === h),
    `province ${REGION_TABLE_HEADING} table: headers [${table.headers.join(', ')}], expected [${REGION_TABLE_HEADERS.join(', ')}]`,
  );
  const rowCodes = table.rows.map((r) => r.region);
  check(
    table.rows.length === CITY_CODES.length && CITY_CODES.every((c) => rowCodes.includes(c)),
    `province ${REGION_TABLE_HEADING} table: rows for [${rowCodes.join(', ')}], expected the ${CITY_CODES.length} cities`,
  );
  let sum = 0;
  for (const row of table.rows) {
    const cell = row.cells[ATTENDANCE_COL];
    check(cell && cell.numeric, `province ${REGION_TABLE_HEADING} table: row ${row.region} has no td.n in column ${ATTENDANCE_COL + 1}`);
    const n = parseCount(cell.text, `province ${REGION_TABLE_HEADING} table: attendances of ${row.region}`);
    const city = cities.find((c) => c.code === row.region);
    const onMap = Number((city.title.match(/：(\d+) \//) || [])[1]);
    check(n === onMap, `city ${row.region}: ${n} attendances in the table, ${onMap} in the map's title "${city.title}"`);
    sum += n;
  }
  check(
    sum === apiAttendances,
    `province ${REGION_TABLE_HEADING} table: the cities' attendances add up to ${sum}, the progress API says ${apiAttendances}`,
  );

  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: provinceShot, fullPage: true });
  console.log(
    `browser: admin: programme ${id}, ${PROVINCE.name} ${bigAttendances} attendances = API = sum of ${table.rows.length} cities, ` +
      `screenshot ${path.relative(process.cwd(), provinceShot)}`,
  );

  // Click Suzhou on the map.
  const mapLink = page.locator(`svg.map a[data-code="${SUZHOU.code}"]`);
  await mapLink.scrollIntoViewIfNeeded({ timeout: 10_000 });
  const point = await pointInside(page, SUZHOU.code);
  check(point, `province map: no visible point of Suzhou's shape is clickable (another element covers it everywhere)`);
  const expected = `/programmes/${id}?region=${SUZHOU.code}`;
  try {
    await Promise.all([
      page.waitForURL(
        (u) => u.pathname === `/programmes/${id}` && u.searchParams.get('region') === SUZHOU.code,
        { waitUntil: 'load', timeout: 15_000 },
      ),
      page.mouse.click(point.x, point.y),
    ]);
  } catch (err) {
    if (err && err.name === 'TimeoutError') {
      throw new CheckFailed(`clicking Suzhou on the map did not open ${expected} within 15 s (at ${page.url()})`);
    }
    throw err;
  }

  const city = await dashboardSummary(page);
  check(city.errorPage === 0, `${expected} as admin shows an error page`);
  check(city.heading === SUZHOU.name, `${expected}: first card heading is "${city.heading}", expected "${SUZHOU.name}"`);
  const cityTable = await regionTable(page);
  check(cityTable, `${expected}: no table under a "${REGION_TABLE_HEADING}" heading`);
  const names = cityTable.rows.map((r) => (r.cells[0] && r.cells[0].text) || '');
  check(names.includes(SUZHOU_COUNTY), `${expected}: ${REGION_TABLE_HEADING} table rows [${names.join(', ')}] do not include ${SUZHOU_COUNTY}`);
  const foreign = cityTable.rows.filter((r) => !(r.region || '').startsWith(SUZHOU.code.slice(0, 4)));
  check(
    foreign.length === 0,
    `${expected}: ${REGION_TABLE_HEADING} table has rows outside Suzhou: ` +
      foreign.map((r) => `${r.cells[0] && r.cells[0].text} (${r.region})`).join(', '),
  );

  await page.screenshot({ path: suzhouShot, fullPage: true });
  console.log(
    `browser: admin: map click opened ${expected} (${SUZHOU.name}, ${cityTable.rows.length} districts/counties), ` +
      `screenshot ${path.relative(process.cwd(), suzhouShot)}`,
  );
  await page.context().close();
  return id;
}

// ---------------------------------------------------------------------------
// A4 with the stylesheet's 14 mm margins, in CSS pixels (96 per inch).
const A4_CONTENT = { width: Math.floor((182 / 25.4) * 96), height: Math.floor((269 / 25.4) * 96) };

async function printedBriefing(browser, id) {
  const page = await as(browser, 'admin');
  const url = `/programmes/${id}?region=${PROVINCE.code}`;
  const response = await page.goto(`${base}${url}`);
  check(response && response.ok(), `admin: GET ${url} returned ${response && response.status()}`);
  check(
    (await page.locator('button[data-print]').count()) === 1,
    `admin: ${url} has no 打印简报 button`,
  );
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize(A4_CONTENT);
  const layout = await page.evaluate(() => {
    const forced = (v) => ['page', 'always', 'left', 'right', 'recto', 'verso'].includes(v);
    const cards = Array.from(document.querySelectorAll('main section.card'));
    const visible = cards.filter((c) => getComputedStyle(c).display !== 'none');
    return {
      cards: visible.length,
      forced: visible
        .filter((c) => {
          const s = getComputedStyle(c);
          return forced(s.breakBefore) || forced(s.breakAfter);
        })
        .map((c) => (c.querySelector('h2') || c).textContent.trim().slice(0, 30)),
      broken: Array.from(document.querySelectorAll('main .chart, main .table-wrap'))
        .filter((e) => getComputedStyle(e).display !== 'none' && getComputedStyle(e).breakInside !== 'avoid')
        .map((e) => e.className),
      height: document.documentElement.scrollHeight,
    };
  });
  check(layout.cards >= 4, `admin: the printed briefing shows ${layout.cards} cards, expected the dashboard's`);
  check(layout.forced.length === 0, `admin: cards force a page break in print: ${layout.forced.join(', ')}`);
  check(layout.broken.length === 0, `admin: charts or tables may break across pages: ${layout.broken.join(', ')}`);
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) || []).length;
  const filled = Math.ceil(layout.height / A4_CONTENT.height);
  check(pages >= 1, 'admin: the printed briefing has no pages');
  check(
    pages <= filled + 1,
    `admin: the printed briefing has ${pages} A4 pages for about ${filled} pages of content (${layout.height} px): pages are left mostly empty`,
  );
  console.log(`browser: admin: printed briefing ${pages} A4 pages for ${layout.cards} cards (${layout.height} px), no forced breaks`);
  await page.context().close();
}

// ---------------------------------------------------------------------------
async function cityOffice(browser, provinceId) {
  const page = await as(browser, 'suzhou');

  const { id, url } = await openProgrammes(page, 'suzhou');
  check(id === provinceId, `suzhou: /programmes went to programme ${id}, admin's went to ${provinceId}`);
  const region = url.searchParams.get('region');
  check(region === null || region === SUZHOU.code, `suzhou: /programmes went to ${url.pathname}${url.search}, expected Suzhou`);

  const own = await dashboardSummary(page);
  check(own.errorPage === 0, `suzhou: /programmes/${id} shows an error page`);
  check(own.heading === SUZHOU.name, `suzhou: /programmes/${id} first card heading is "${own.heading}", expected "${SUZHOU.name}"`);
  check(own.maps === 0, `suzhou: /programmes/${id} shows ${own.maps} svg.map; the map is for the province only`);
  check(own.burnups === 1, `suzhou: /programmes/${id} shows ${own.burnups} svg.burnup, expected 1`);

  const provinceUrl = `/programmes/${id}?region=${PROVINCE.code}`;
  const response = await page.goto(`${base}${provinceUrl}`);
  check(response, `suzhou: no response for ${provinceUrl}`);
  check(response.status() === 403, `suzhou: GET ${provinceUrl} returned HTTP ${response.status()}, expected 403`);
  const refused = await dashboardSummary(page);
  check(refused.errorPage === 1, `suzhou: the 403 for ${provinceUrl} shows no .error-page`);
  check(
    refused.maps === 0 && refused.burnups === 0 && refused.nums.length === 0,
    `suzhou: the 403 for ${provinceUrl} still shows dashboard content ` +
      `(svg.map ${refused.maps}, svg.burnup ${refused.burnups}, .stats .num ${refused.nums.length})`,
  );
  const bodyText = await page.locator('main').innerText();
  check(!bodyText.includes(PROVINCE.name), `suzhou: the 403 for ${provinceUrl} mentions ${PROVINCE.name}`);

  console.log(`browser: suzhou: own dashboard without map, ${provinceUrl} refused with 403`);
  await page.context().close();
}

// ---------------------------------------------------------------------------
await runTest(NAME, async (browser) => {
  const id = await provinceAndDrillDown(browser);
  await cityOffice(browser, id);
  await printedBriefing(browser, id);
});
