// Browser check of the people list as seen by the Suzhou city office.
//
// Usage: node tests/browser/people-list.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo`. Uses the system
// Chromium (override with env CHROMIUM); no browser is ever downloaded.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { baseUrl, check, LARGE_PHONE, openAs, runTest, screenshotDir } from './lib.mjs';

const NAME = 'people-list';
const screenshotPath = path.join(screenshotDir, 'people-list.png');
const base = baseUrl(NAME);

const LOGIN = 'suzhou';
const MASKED_MOBILE = /1\d{2}\*{4}\d{4}/;
const MASKED_MOBILE_CELL = /^\d{3}\*{4}\d{4}$/;
// Any 11-digit number starting with 1 that is not part of a longer number
// (the demo data also uses the 14x ranges).
const UNMASKED_MOBILE = /(?<!\d)1\d{10}(?!\d)/;

const NANJING_DISTRICTS = [
  '玄武区', '秦淮区', '建邺区', '鼓楼区', '浦口区', '栖霞区',
  '雨花台区', '江宁区', '六合区', '溧水区', '高淳区',
];

async function run(browser) {
  const page = await openAs(browser, base, LARGE_PHONE, LOGIN);

  // People list.
  const response = await page.goto(`${base}/people`);
  check(response && response.ok(), `GET /people returned ${response && response.status()}`);
  check(new URL(page.url()).pathname.startsWith('/people'), `/people redirected to ${page.url()}`);

  const lang = (await page.locator('html').getAttribute('lang')) || '';
  check(lang.toLowerCase().startsWith('zh'), `<html lang> is "${lang}", expected zh*`);

  const bodyText = await page.locator('body').innerText();
  check(bodyText.includes('人员'), 'page text does not contain "人员"');

  const table = page.locator('table').first();
  check((await page.locator('table').count()) > 0, 'no <table> on the people page');

  const tableData = await table.evaluate((t) => {
    const headerCells = Array.from(t.querySelectorAll('thead th, thead td'));
    let headers = headerCells.map((c) => c.innerText.trim());
    let rows = Array.from(t.querySelectorAll('tbody tr'));
    if (rows.length === 0) rows = Array.from(t.querySelectorAll('tr'));
    rows = rows.filter((r) => r.querySelector('td'));
    if (headers.length === 0) {
      const first = t.querySelector('tr');
      if (first && !first.querySelector('td')) {
        headers = Array.from(first.querySelectorAll('th')).map((c) => c.innerText.trim());
      }
    }
    return {
      headers,
      rows: rows.map((r) => Array.from(r.querySelectorAll('td, th')).map((c) => c.innerText.trim())),
      text: t.innerText,
    };
  });

  check(tableData.rows.length >= 10, `people table has ${tableData.rows.length} rows, expected at least 10`);

  const pageText = bodyText;
  check(MASKED_MOBILE.test(pageText), 'no masked mobile number (e.g. 138****1234) on the page');
  const unmasked = pageText.match(UNMASKED_MOBILE);
  check(!unmasked, `unmasked mobile number on the page: ${unmasked && unmasked[0]}`);

  // If there is a mobile/phone column, every non-empty cell in it must be masked.
  const mobileCol = tableData.headers.findIndex((h) => /手机|电话|mobile|phone/i.test(h));
  if (mobileCol >= 0) {
    for (const row of tableData.rows) {
      const cell = (row[mobileCol] || '').trim();
      if (/\d/.test(cell)) {
        check(MASKED_MOBILE_CELL.test(cell), `mobile cell "${cell}" is not masked as 123****5678`);
      }
    }
  }

  // The region column may show only the district, so look for Nanjing's
  // districts as well as the city name.
  const nanjing = ['南京', ...NANJING_DISTRICTS].find((name) => tableData.text.includes(name));
  check(!nanjing, `people table mentions ${nanjing}; the Suzhou office must only see 苏州 people`);

  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(`browser: ${tableData.rows.length} rows, lang=${lang}, screenshot ${path.relative(process.cwd(), screenshotPath)}`);

  await page.context().close();
}

await runTest(NAME, run);
