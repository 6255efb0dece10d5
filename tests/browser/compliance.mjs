// Browser check of the compliance checker (合规检测) at phone (390 px) and
// desktop (1280 px) width, in Chinese: a marked script, a titles workbook,
// an empty submission and the city office's counts.
//
// Usage: node tests/browser/compliance.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo`. Other browser tests
// may have run before, so the office's counts are compared as a difference.
// Uses the system Chromium (override with env CHROMIUM); no browser is ever
// downloaded.
//
// At each width:
// 1. `trainee` opens /compliance from the menu (behind the menu button on a
//    phone), pastes a script with disguised terms and submits: at least 4
//    hits are marked, each linking to its finding in ol.findings (severity
//    and category badges, explanation, basis, rewordings); the marked text
//    reads back exactly as pasted (the <sup> numbers aside); 本店第一次 is
//    not marked; clicking the first hit lands on #hit-1 with the finding on
//    screen.
// 2. The trainee uploads a CSV of titles and gets a download named *.xlsx
//    whose bytes start with PK.
// 3. An empty submission shows a field error (role=alert) on the focused
//    textarea; the page still checks the next text.
// 4. `suzhou` (city office) sees the counts of the last 30 days, which grew
//    by exactly the trainee's checks (the trainee is in Kunshan, in Suzhou).
// Every page: no 5xx, no horizontal scrolling, no serious or critical
// axe-core violation (WCAG 2 A/AA).

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { asRole, baseUrl, check, follow, forEachWidth, on, runTest, screenshotDir, soundPages, where } from './lib.mjs';

const NAME = 'compliance';
const base = baseUrl(NAME);

const SCRIPT = '家人们！這款是 國*家*級 工艺，zui好的大闸蟹，全网最低价，保证有效，无效退款！本店第一次上新。';
const NOT_A_HIT = '本店第一次';
const MIN_HITS = 4;
// Checked after the empty submission, to show the page still works.
const AGAIN = '全网最低价的大闸蟹';
const TITLES_CSV = '商品标题\n阳澄湖大闸蟹 顶级公蟹 全网最低价\n洞庭碧螺春 明前新茶\n';
const TITLES = 2;

const T = {
  title: '合规检测',
  emptyError: '请输入要检测的文本',
  basis: '依据：',
  overviewDays: '30 天',
  overviewEmpty: '近期还没有检测记录。',
};

// 5xx answers to any page's requests (checked after every step); pages
// are opened with `AS` (axe-core allowed, downloads accepted).
const { serverErrors, options: AS, pageIsSound, noServerErrors } = soundPages({ acceptDownloads: true });

// Opens /compliance from the navigation; on a phone the menu button first.
async function openFromMenu(page, who, size) {
  const toggle = page.locator('header .menu-toggle');
  if (size.width < 600) {
    check(await toggle.isVisible(), `${who}: no visible menu button at ${size.width} px`);
  }
  if (await toggle.isVisible()) {
    await toggle.click();
    check(
      (await toggle.getAttribute('aria-expanded')) === 'true',
      `${who}: the menu button's aria-expanded is "${await toggle.getAttribute('aria-expanded')}" after opening it`,
    );
  }
  const link = page.locator('#main-nav a[href="/compliance"]');
  check((await link.count()) === 1, `${who} at ${size.width} px: the menu has ${await link.count()} links to /compliance`);
  check(await link.isVisible(), `${who} at ${size.width} px: the menu's link to /compliance is not visible`);
  const label = ((await link.textContent()) || '').trim();
  check(label === T.title, `${who}: the menu's link to /compliance reads "${label}", expected "${T.title}"`);
  const response = await follow(page, link);
  check(new URL(page.url()).pathname === '/compliance', `${who}: the menu link led to ${where(page)}`);
  check(response && response.ok(), `${who}: GET /compliance answered ${response && response.status()}`);
  const h1 = ((await page.locator('main h1').first().textContent()) || '').trim();
  check(h1 === T.title, `${who} /compliance: the heading reads "${h1}", expected "${T.title}"`);
}

function checkForm(page) {
  return page.locator('main form[action="/compliance"]');
}

// The office's counts section (h2 mentions 30 天): checks and flagged.
async function officeCounts(page, who) {
  const box = page.locator('main section.card').filter({
    has: page.locator('h2', { hasText: T.overviewDays }),
  });
  check((await box.count()) === 1, `${who} /compliance: ${await box.count()} sections whose heading mentions "${T.overviewDays}"`);
  const heading = ((await box.locator('h2').textContent()) || '').trim();
  const text = ((await box.textContent()) || '').replace(/\s+/g, ' ').trim();
  if (text.includes(T.overviewEmpty)) return { heading, checks: 0, flagged: 0, text };
  const m = text.match(/共检测\s*(\d+)\s*次，其中\s*(\d+)\s*次有命中/);
  check(m, `${who} /compliance: the counts section reads "${text.slice(0, 200)}", with no "共检测 N 次，其中 M 次有命中"`);
  const rows = await box.locator('table tbody tr').count();
  check(rows > 0, `${who} /compliance: the counts section has totals but no table rows`);
  return { heading, checks: Number(m[1]), flagged: Number(m[2]), rows, text };
}

// ---------------------------------------------------------------------------
// 1. A script checked and marked.
async function checkScript(page, size) {
  const who = `trainee@${size.width}`;
  await openFromMenu(page, who, size);
  const overview = await page.locator('main section.card h2', { hasText: T.overviewDays }).count();
  check(overview === 0, `${who} /compliance: a trainee sees the office's counts section`);
  await pageIsSound(page, `${who} /compliance`);

  const form = checkForm(page);
  check((await form.count()) === 1, `${who} /compliance: ${await form.count()} forms posting to /compliance`);
  const kinds = await form.locator('input[type="radio"][name="kind"]').evaluateAll((rs) => rs.map((r) => r.value));
  check(
    kinds.includes('script') && kinds.includes('title'),
    `${who} /compliance: the kind radios are ${JSON.stringify(kinds)}, expected script and title`,
  );
  await form.locator('input[type="radio"][name="kind"][value="script"]').check();
  await form.locator('textarea[name="text"]').fill(SCRIPT);
  const response = await follow(page, form.locator('button[type="submit"]'));
  check(new URL(page.url()).pathname === '/compliance', `${who}: checking the script landed on ${where(page)}`);
  check(response && response.ok(), `${who}: POST /compliance answered ${response && response.status()}`);

  const r = await page.evaluate(() => {
    const p = document.querySelector('main .checked-text');
    if (!p) return null;
    const c = p.cloneNode(true);
    c.querySelectorAll('sup').forEach((s) => s.remove());
    // The plain text and where each marked run sits in it.
    let plain = '';
    const marked = [];
    for (const node of c.childNodes) {
      const t = node.textContent;
      if (node.nodeType === 1 && node.matches('a.hit')) marked.push({ start: plain.length, end: plain.length + t.length, text: t });
      plain += t;
    }
    const hits = Array.from(p.querySelectorAll('a.hit')).map((a) => ({
      href: a.getAttribute('href'),
      sup: (a.querySelector('sup') || {}).textContent || '',
      label: a.getAttribute('aria-label') || '',
    }));
    const findings = Array.from(document.querySelectorAll('main ol.findings > li')).map((li) => {
      const ps = Array.from(li.querySelectorAll(':scope > p'));
      return {
        id: li.id,
        term: (li.querySelector('strong') || {}).textContent?.trim() || '',
        badges: Array.from(li.querySelectorAll('.badge')).map((b) => b.textContent.trim()),
        paragraphs: ps.map((x) => x.textContent.replace(/\s+/g, ' ').trim()),
        suggestions: Array.from(li.querySelectorAll('ul > li')).map((x) => x.textContent.trim()).filter(Boolean),
      };
    });
    return {
      text: c.textContent,
      plain,
      marked,
      hits,
      findings,
      textarea: (document.querySelector('main textarea[name="text"]') || {}).value,
      count: (document.querySelector('main section.card h2') || {}).textContent?.trim() || '',
    };
  });
  check(r, `${who}: the checked page has no .checked-text`);
  check(r.hits.length >= MIN_HITS, `${who}: ${r.hits.length} hits marked (${r.marked.map((m) => m.text).join(', ')}), expected at least ${MIN_HITS}`);
  check(
    r.text === SCRIPT,
    `${who}: the marked text reads back as ${JSON.stringify(r.text)}, expected ${JSON.stringify(SCRIPT)}`,
  );
  check(r.textarea === SCRIPT, `${who}: the textarea holds ${JSON.stringify(r.textarea)} after checking, expected the script`);
  const at = SCRIPT.indexOf(NOT_A_HIT);
  const over = r.marked.filter((m) => m.start < at + NOT_A_HIT.length && at < m.end);
  check(over.length === 0, `${who}: "${NOT_A_HIT}" is marked (${over.map((m) => `"${m.text}"`).join(', ')})`);
  check(
    r.findings.length === r.hits.length,
    `${who}: ${r.hits.length} hits marked but ${r.findings.length} findings listed`,
  );
  check(r.count.includes(String(r.findings.length)), `${who}: the result heading reads "${r.count}" for ${r.findings.length} findings`);
  r.hits.forEach((h, i) => {
    const n = i + 1;
    check(h.sup === String(n), `${who}: hit ${n} is numbered "${h.sup}"`);
    check(h.href === `#hit-${n}`, `${who}: hit ${n} links to "${h.href}", expected #hit-${n}`);
    check(h.label.includes(String(n)), `${who}: hit ${n}'s aria-label "${h.label}" does not name it`);
    const f = r.findings[i];
    check(f.id === `hit-${n}`, `${who}: finding ${n} has id "${f.id}", expected hit-${n}`);
    check(f.term, `${who}: finding ${n} names no term`);
    check(f.badges.length >= 2, `${who}: finding ${n} (${f.term}) has badges ${JSON.stringify(f.badges)}, expected severity and category`);
    check(f.paragraphs.length >= 3 && f.paragraphs[1], `${who}: finding ${n} (${f.term}) has no explanation`);
    check(f.paragraphs.some((x) => x.startsWith(T.basis) && x.length > T.basis.length), `${who}: finding ${n} (${f.term}) gives no ${T.basis}`);
    check(f.suggestions.length > 0, `${who}: finding ${n} (${f.term}) suggests no rewording`);
  });
  console.log(
    `browser: ${who}: ${r.hits.length} hits marked: ${r.marked.map((m, i) => `${i + 1}:${m.text}`).join(' ')}; ` +
      `findings ${r.findings.map((f) => `${f.term} [${f.badges.join('/')}]`).join(', ')}`,
  );

  // The first hit leads to its finding.
  await page.locator('main .checked-text a.hit').first().click();
  await page.waitForFunction(() => window.location.hash === '#hit-1', null, { timeout: 5_000 }).catch(() => {});
  check(new URL(page.url()).hash === '#hit-1', `${who}: clicking the first hit left the URL at ${where(page)}`);
  const target = await page.evaluate(() => {
    const li = document.getElementById('hit-1');
    if (!li) return null;
    const b = li.getBoundingClientRect();
    return { top: b.top, bottom: b.bottom, height: window.innerHeight, target: li.matches(':target') };
  });
  check(target, `${who}: no #hit-1`);
  check(target.target, `${who}: #hit-1 is not the :target after clicking the first hit`);
  check(
    target.top >= -1 && target.top < target.height,
    `${who}: after clicking the first hit #hit-1 is at top ${Math.round(target.top)} px, off a ${target.height} px screen`,
  );
  check(await page.locator('#hit-1').isVisible(), `${who}: #hit-1 is not visible`);
  await pageIsSound(page, `${who} /compliance with the script checked`);
  await mkdir(screenshotDir, { recursive: true });
  const shot = path.join(screenshotDir, `compliance-${size.width}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`browser: ${who}: the first hit leads to #hit-1 (top ${Math.round(target.top)} px); screenshot ${path.relative(process.cwd(), shot)}`);
}

// ---------------------------------------------------------------------------
// 2. A CSV of titles in, an annotated workbook out.
async function uploadTitles(page, size) {
  const who = `trainee@${size.width}`;
  const form = page.locator('main form[action="/compliance/titles"]');
  check((await form.count()) === 1, `${who} /compliance: ${await form.count()} forms posting to /compliance/titles`);
  const enctype = await form.getAttribute('enctype');
  check(enctype === 'multipart/form-data', `${who}: the titles form's enctype is "${enctype}"`);
  await form.locator('input[type="file"][name="file"]').setInputFiles({
    name: 'titles.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(TITLES_CSV, 'utf8'),
  });
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    form.locator('button[type="submit"]').click(),
  ]).catch(async (err) => {
    const alert = await page.locator('.field-error, p.alert').allTextContents().catch(() => []);
    check(false, `${who}: uploading titles gave no download (${err.message.split('\n')[0]}) at ${where(page)}` +
      (alert.length ? `; the page says: ${alert.map((s) => s.trim()).join(' | ')}` : ''));
    return [];
  });
  const name = download.suggestedFilename();
  check(name.endsWith('.xlsx'), `${who}: the titles download is named "${name}", expected *.xlsx`);
  const failure = await download.failure();
  check(!failure, `${who}: the titles download failed: ${failure}`);
  const file = await download.path();
  const bytes = await readFile(file);
  check(
    bytes.length > 2 && bytes[0] === 0x50 && bytes[1] === 0x4b,
    `${who}: the titles download (${bytes.length} bytes) starts with ${JSON.stringify(bytes.subarray(0, 4).toString('latin1'))}, not PK`,
  );
  check(new URL(page.url()).pathname === '/compliance', `${who}: after the download the page is ${where(page)}`);
  check(serverErrors.length === 0, `${who}: the server answered ${serverErrors.join('; ')}`);
  console.log(`browser: ${who}: titles CSV → "${name}" (${bytes.length} bytes, starts with PK)`);
  await download.delete().catch(() => {});
}

// ---------------------------------------------------------------------------
// 3. An empty text: a field error, and the page still works.
async function emptySubmission(page, size) {
  const who = `trainee@${size.width}`;
  const open = await page.goto(`${base}/compliance`);
  check(open && open.ok(), `${who}: GET /compliance answered ${open && open.status()}`);
  const form = checkForm(page);
  await form.locator('textarea[name="text"]').fill('');
  const response = await follow(page, form.locator('button[type="submit"]'));
  check(new URL(page.url()).pathname === '/compliance', `${who}: the empty submission landed on ${where(page)}`);
  check(response && response.status() < 500, `${who}: the empty submission answered ${response && response.status()}`);
  check(
    response.status() === 422 || response.status() === 400 || response.ok(),
    `${who}: the empty submission answered ${response.status()}`,
  );
  const alert = form.locator('[role="alert"]');
  check((await alert.count()) === 1, `${who}: the empty submission shows ${await alert.count()} role=alert messages in the form`);
  check(await alert.isVisible(), `${who}: the empty submission's error is not visible`);
  const message = ((await alert.textContent()) || '').trim();
  check(message === T.emptyError, `${who}: the empty submission's error reads "${message}", expected "${T.emptyError}"`);
  const field = await page.evaluate(() => {
    const t = document.querySelector('main form[action="/compliance"] textarea[name="text"]');
    return t && {
      invalid: t.getAttribute('aria-invalid'),
      focused: document.activeElement === t,
      disabled: t.disabled,
      errorInLabel: !!t.closest('label') && !!t.closest('label').querySelector('[role="alert"]'),
    };
  });
  check(field, `${who}: the error page has no textarea`);
  check(field.invalid === 'true', `${who}: the textarea's aria-invalid is ${JSON.stringify(field.invalid)} after the empty submission`);
  check(field.focused, `${who}: the textarea is not focused after the empty submission`);
  check(field.errorInLabel, `${who}: the error is not inside the textarea's label`);
  check(
    (await page.locator('main .checked-text').count()) === 0,
    `${who}: the empty submission shows a marked text`,
  );
  await pageIsSound(page, `${who} /compliance with an empty submission`);

  // Still usable: the next text is checked.
  await form.locator('textarea[name="text"]').fill(AGAIN);
  const again = await follow(page, form.locator('button[type="submit"]'));
  check(again && again.ok(), `${who}: checking "${AGAIN}" after the error answered ${again && again.status()}`);
  const hits = await page.locator('main .checked-text a.hit').count();
  check(hits >= 1, `${who}: "${AGAIN}" checked after the error shows ${hits} hits`);
  check(
    (await page.locator('main form[action="/compliance"] [role="alert"]').count()) === 0,
    `${who}: the field error is still shown after a good submission`,
  );
  console.log(`browser: ${who}: empty submission → "${message}" (HTTP ${response.status()}, textarea focused); then "${AGAIN}" → ${hits} hit(s)`);
}

// ---------------------------------------------------------------------------
await runTest(NAME, (browser) =>
  forEachWidth(browser, base, 'suzhou', async (office, size) => {
    const before = await on(office, `suzhou-${size.width}`, async () => {
      const res = await office.goto(`${base}/compliance`);
      check(res && res.ok(), `suzhou: GET /compliance answered ${res && res.status()}`);
      return officeCounts(office, `suzhou@${size.width}`);
    });

    await asRole(browser, base, size, 'trainee', async (trainee) => {
      const role = `trainee-${size.width}`;
      await on(trainee, role, () => checkScript(trainee, size));
      await on(trainee, role, () => uploadTitles(trainee, size));
      await on(trainee, role, () => emptySubmission(trainee, size));
    }, AS);

    // 4. The office's counts grew by the trainee's checks: the script, the
    // titles one by one and the text after the empty submission.
    await on(office, `suzhou-${size.width}`, async () => {
      const who = `suzhou@${size.width}`;
      await office.goto(`${base}/`);
      await openFromMenu(office, who, size);
      const after = await officeCounts(office, who);
      check(after.heading.includes(T.overviewDays), `${who}: the counts heading reads "${after.heading}"`);
      const checks = 1 + TITLES + 1;
      check(
        after.checks - before.checks === checks,
        `${who}: the counts went from ${before.checks} to ${after.checks} checks, expected +${checks} (${after.text.slice(0, 160)})`,
      );
      check(
        after.flagged - before.flagged >= 3,
        `${who}: flagged checks went from ${before.flagged} to ${after.flagged}, expected at least +3`,
      );
      await pageIsSound(office, `${who} /compliance`);
      console.log(
        `browser: ${who}: "${after.heading}": ${before.checks}→${after.checks} checks, ${before.flagged}→${after.flagged} flagged, ${after.rows} category rows`,
      );
    });

    noServerErrors();
  }, AS),
);
