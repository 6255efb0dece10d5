// Browser check of the knowledge library (案例库) at phone (390 px) and
// desktop (1280 px) width, in Chinese: searching as a visitor and as a
// trainee, writing and publishing as a city office, and who finds what.
//
// Usage: node tests/browser/knowledge.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo` (516 invented
// documents). Other browser tests may have run before; the documents this
// test writes have titles of their own, so it may run more than once
// against one server. Uses the system Chromium (override with env
// CHROMIUM); no browser is ever downloaded.
//
// At each width:
// 1. A visitor (not logged in) searches 直播帶貨 (traditional characters):
//    results, and matching words marked with <mark>; searches zbdh
//    (initials): results about 直播带货; clicks a kind facet: the URL has
//    kind=, the facet is marked active (aria-current) and the total is its
//    count; 清除筛选 drops the filter; opens a result: the document page has
//    the result's title as its heading.
// 2. `trainee` searches 小龙虾冷连 (a typo for 小龙虾冷链): the first results
//    are about 小龙虾; the page does not scroll sideways.
// 3. `suzhou` (a city office) opens 新建文档 from the search page, saves and
//    publishes (a tier and a competency checked) without a title: the form
//    comes back with the error in the title's label and the typed text
//    kept; with a title it lands on the document's page, which names the
//    competency. Published as 公开 the document is found (within 10 s:
//    the index follows the database every two seconds) by `suzhou` and by
//    `nanjing` (another city's office); a second one published as 仅工作部门
//    is found by `suzhou` but neither found nor opened by `nanjing`. Both
//    are listed in `suzhou`'s /knowledge/manage.
// 4. A query that matches nothing shows 没有找到相关内容。 and no results.
// Every page visited: no 5xx, no horizontal scrolling, no serious or
// critical axe-core violation (WCAG 2 A/AA).

import { asRole, baseUrl, check, follow, forEachWidth, on, runTest, soundPages, where } from './lib.mjs';

const NAME = 'knowledge';
const base = baseUrl(NAME);

const TRADITIONAL = '直播帶貨';
const INITIALS = 'zbdh';
const INITIALS_MEAN = /直播带货|带货直播|直播帶貨/;
const TYPO = '小龙虾冷连';
const TYPO_MEANS = '小龙虾';
// Of the first results of the typo, how many must be about 小龙虾.
const TYPO_TOP = 3;
const NOTHING = 'qqqzzzxxx';
// How long the index may take to show a new document.
const INDEX_WAIT_MS = 10_000;

const T = {
  title: '案例与资料库',
  noResults: '没有找到相关内容。',
  clearFilters: '清除筛选',
  kindFacet: '类型',
  newDoc: '新建文档',
  manage: '管理文档',
  save: '保存',
  savePublish: '保存并发布',
  public: '公开',
  offices: '仅工作部门',
  draft: '草稿',
};

// Titles no demo document has: a run's own stamp and the width.
const STAMP = `${Date.now() % 1_000_000}`;
function docTitle(size, visibility) {
  const what = visibility === 'public' ? '吴江丝绸直播间复盘' : '昆山工作部门内部通报';
  return `验收${STAMP}${size.width}号${what}`;
}
function docBody(size, visibility) {
  return (
    `这是浏览器测试在 ${size.width} 像素宽度下写的文档（${visibility}）。\n` +
    '第二段：开播前检查灯光和话术，下播后复盘点击成交转化率。'
  );
}

// 5xx answers to any page's requests (checked after every step); pages
// are opened with `AS`.
const { options: AS, pageIsSound, noServerErrors } = soundPages();

// What the search page shows: the query in the box, the total, the hits
// (id, title, snippet, marks), the facets and the no-results message.
async function readResults(page) {
  return page.evaluate(() => {
    const main = document.querySelector('main');
    const strong = main.querySelector('section.results > p > strong');
    const m = strong && strong.textContent.match(/共\s*(\d+)\s*条结果/);
    const hits = Array.from(main.querySelectorAll('ol.hits > li')).map((li) => {
      const a = li.querySelector('h3 a');
      const href = a ? a.getAttribute('href') : '';
      return {
        href,
        id: (href.match(/^\/knowledge\/(\d+)$/) || [])[1] || '',
        title: a ? a.textContent.trim() : '',
        snippet: (li.querySelector('.snippet') || {}).textContent?.trim() || '',
        marks: Array.from(li.querySelectorAll('mark')).map((x) => x.textContent),
      };
    });
    const facets = Array.from(main.querySelectorAll('aside.facets section')).map((s) => ({
      title: (s.querySelector('h2') || {}).textContent?.trim() || '',
      links: Array.from(s.querySelectorAll('li')).map((li) => {
        const a = li.querySelector('a');
        return {
          label: a.textContent.trim(),
          href: a.getAttribute('href'),
          count: Number((li.querySelector('.hint') || {}).textContent || NaN),
          current: a.getAttribute('aria-current'),
          active: a.classList.contains('active'),
        };
      }),
    }));
    const clear = Array.from(main.querySelectorAll('a')).filter((a) => a.textContent.trim() === '清除筛选');
    return {
      q: (main.querySelector('form[role="search"] input[name="q"]') || {}).value,
      total: m ? Number(m[1]) : null,
      totalText: strong ? strong.textContent.trim() : '',
      hits,
      facets,
      clear: clear.map((a) => a.getAttribute('href')),
      empty: (main.querySelector('section.results p.empty') || {}).textContent?.trim() || '',
      alert: (main.querySelector('[role="alert"]') || {}).textContent?.trim() || '',
    };
  });
}

// Types `q` into the search box of the page at hand (opening /knowledge
// first if need be) and submits with the 搜索 button.
async function search(page, who, q) {
  if (new URL(page.url()).pathname !== '/knowledge') {
    const open = await page.goto(`${base}/knowledge`);
    check(open && open.ok(), `${who}: GET /knowledge answered ${open && open.status()}`);
    const h1 = ((await page.locator('main h1').first().textContent()) || '').trim();
    check(h1 === T.title, `${who} /knowledge: the heading reads "${h1}", expected "${T.title}"`);
  }
  const form = page.locator('main form[role="search"]');
  check((await form.count()) === 1, `${who} /knowledge: ${await form.count()} search forms`);
  await form.locator('input[name="q"]').fill(q);
  const response = await follow(page, form.locator('button[type="submit"]'));
  check(response && response.ok(), `${who}: searching "${q}" answered ${response && response.status()}`);
  const url = new URL(page.url());
  check(
    url.pathname === '/knowledge' && url.searchParams.get('q') === q,
    `${who}: searching "${q}" landed on ${where(page)}`,
  );
  const r = await readResults(page);
  check(r.total !== null, `${who}: searching "${q}" shows no "共 N 条结果" (${r.alert || r.totalText || 'nothing'})`);
  check(r.q === q, `${who}: after searching "${q}" the search box holds "${r.q}"`);
  check(
    r.hits.length === Math.min(r.total, 10),
    `${who}: "${q}" shows ${r.hits.length} hits on the first page for a total of ${r.total}`,
  );
  return r;
}

// Searches `q` as `who` until a hit links to document `id` or `ms` pass;
// returns the results and whether it was found.
async function searchUntil(page, who, q, id, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await search(page, who, q);
    const at = r.hits.findIndex((h) => h.id === String(id));
    if (at >= 0 || Date.now() >= until) return { r, at };
    await page.waitForTimeout(500);
  }
}

// ---------------------------------------------------------------------------
// 1. A visitor: traditional characters, initials, a facet, a document.
async function visitorSearches(page, size) {
  const who = `visitor@${size.width}`;
  const trad = await search(page, who, TRADITIONAL);
  check(trad.total > 0, `${who}: "${TRADITIONAL}" found nothing`);
  const marks = trad.hits.flatMap((h) => h.marks);
  check(marks.length > 0, `${who}: "${TRADITIONAL}" shows ${trad.hits.length} hits but no <mark> in their snippets`);
  await pageIsSound(page, `${who} /knowledge?q=${TRADITIONAL}`);
  console.log(
    `browser: ${who}: "${TRADITIONAL}" → ${trad.total} results, ${marks.length} marks (${[...new Set(marks)].slice(0, 5).join('、')}); first "${trad.hits[0].title}"`,
  );

  const ini = await search(page, who, INITIALS);
  check(ini.total > 0, `${who}: "${INITIALS}" found nothing`);
  const about = ini.hits.filter((h) => INITIALS_MEAN.test(h.title + h.snippet));
  check(
    about.length > 0,
    `${who}: none of "${INITIALS}"'s hits mentions 直播带货 (${ini.hits.map((h) => h.title).join(' | ')})`,
  );
  await pageIsSound(page, `${who} /knowledge?q=${INITIALS}`);
  console.log(`browser: ${who}: "${INITIALS}" → ${ini.total} results, ${about.length} about 直播带货; first "${ini.hits[0].title}"`);

  // A kind facet (back on the first query, which has several kinds).
  await search(page, who, TRADITIONAL);
  const before = await readResults(page);
  const kinds = before.facets.find((f) => f.title === T.kindFacet);
  check(kinds, `${who}: no "${T.kindFacet}" facet in aside.facets (${before.facets.map((f) => f.title).join(', ')})`);
  check(kinds.links.length >= 2, `${who}: the kind facet has ${kinds.links.length} values`);
  check(kinds.links.every((l) => !l.active && !l.current), `${who}: a kind is marked active before any was chosen`);
  check(before.clear.length === 0, `${who}: "${T.clearFilters}" is shown with no filter set`);
  // The second value: not simply the biggest.
  const pick = kinds.links[1];
  check(Number.isFinite(pick.count) && pick.count > 0, `${who}: the kind "${pick.label}" shows count "${pick.count}"`);
  const link = page.locator('main aside.facets section').filter({ has: page.locator('h2', { hasText: T.kindFacet }) })
    .locator('a', { hasText: pick.label });
  check((await link.count()) === 1, `${who}: ${await link.count()} links "${pick.label}" in the kind facet`);
  const res = await follow(page, link);
  check(res && res.ok(), `${who}: the kind facet "${pick.label}" answered ${res && res.status()}`);
  const url = new URL(page.url());
  const kind = url.searchParams.get('kind');
  check(kind, `${who}: after clicking the kind "${pick.label}" the URL is ${where(page)}, without kind=`);
  check(url.searchParams.get('q') === TRADITIONAL, `${who}: the kind facet dropped the query (${where(page)})`);
  const filtered = await readResults(page);
  const kinds2 = filtered.facets.find((f) => f.title === T.kindFacet);
  check(kinds2, `${who}: no kind facet after filtering on "${pick.label}"`);
  const active = kinds2.links.filter((l) => l.active || l.current);
  check(
    active.length === 1 && active[0].label === pick.label && active[0].active && active[0].current === 'true',
    `${who}: after choosing "${pick.label}" the active kinds are ${JSON.stringify(active)}`,
  );
  check(
    filtered.total === pick.count,
    `${who}: the kind "${pick.label}" promised ${pick.count} results, the filtered page says ${filtered.total}`,
  );
  check(filtered.total > 0 && filtered.hits.length > 0, `${who}: filtering on "${pick.label}" shows no hits`);
  check(filtered.clear.length > 0, `${who}: no "${T.clearFilters}" link with kind=${kind}`);
  await pageIsSound(page, `${who} /knowledge?kind=${kind}`);
  console.log(`browser: ${who}: kind facet "${pick.label}" (${pick.count}) → ${where(page)}, ${filtered.total} results, marked active`);

  const clear = page.locator('main a', { hasText: T.clearFilters }).first();
  const cleared = await follow(page, clear);
  check(cleared && cleared.ok(), `${who}: "${T.clearFilters}" answered ${cleared && cleared.status()}`);
  const after = new URL(page.url());
  check(
    !after.searchParams.has('kind') && after.searchParams.get('q') === TRADITIONAL,
    `${who}: "${T.clearFilters}" led to ${where(page)}`,
  );
  const unfiltered = await readResults(page);
  check(unfiltered.total === trad.total, `${who}: after "${T.clearFilters}" ${unfiltered.total} results, before the filter ${trad.total}`);

  // Back to the filtered list and open its first result.
  await page.goBack({ waitUntil: 'load' });
  check(new URL(page.url()).searchParams.get('kind') === kind, `${who}: going back landed on ${where(page)}`);
  const first = page.locator('main ol.hits > li h3 a').first();
  const title = ((await first.textContent()) || '').trim();
  const opened = await follow(page, first);
  check(opened && opened.ok(), `${who}: opening "${title}" answered ${opened && opened.status()}`);
  check(/^\/knowledge\/\d+$/.test(new URL(page.url()).pathname), `${who}: opening "${title}" landed on ${where(page)}`);
  const doc = await page.evaluate(() => ({
    h1: (document.querySelector('main article h1') || {}).textContent?.trim() || '',
    title: document.title,
    paragraphs: document.querySelectorAll('main article > p').length,
  }));
  check(doc.h1 === title, `${who}: the document's heading reads "${doc.h1}", the result's title "${title}"`);
  check(doc.title.includes(title), `${who}: the document's <title> "${doc.title}" lacks "${title}"`);
  check(doc.paragraphs > 0, `${who}: the document "${title}" has no text`);
  await pageIsSound(page, `${who} document "${title}"`);
  console.log(`browser: ${who}: opened "${title}" at ${where(page)}`);
}

// ---------------------------------------------------------------------------
// 2. A trainee's typo.
async function traineeTypo(page, size) {
  const who = `trainee@${size.width}`;
  const r = await search(page, who, TYPO);
  check(r.total > 0, `${who}: "${TYPO}" found nothing`);
  const top = r.hits.slice(0, TYPO_TOP);
  const off = top.filter((h) => !(h.title + h.snippet).includes(TYPO_MEANS));
  check(
    top.length === TYPO_TOP && off.length === 0,
    `${who}: of "${TYPO}"'s first ${TYPO_TOP} hits, ${off.length} do not mention ${TYPO_MEANS}: ${top.map((h) => `"${h.title}"`).join(', ')}`,
  );
  const scroll = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
  check(scroll.page <= scroll.view, `${who}: the search page is ${scroll.page} px wide on a ${scroll.view} px screen`);
  await pageIsSound(page, `${who} /knowledge?q=${TYPO}`);
  console.log(`browser: ${who}: "${TYPO}" → ${r.total} results; first ${top.map((h) => `"${h.title}"`).join(', ')}; page ${scroll.page}/${scroll.view} px`);
}

// ---------------------------------------------------------------------------
// 3. An office writes; who finds what.

// From the search page's 新建文档 link, the empty form.
async function openNewForm(page, who) {
  const open = await page.goto(`${base}/knowledge`);
  check(open && open.ok(), `${who}: GET /knowledge answered ${open && open.status()}`);
  const link = page.locator('main a[href="/knowledge/new"]');
  check((await link.count()) === 1, `${who} /knowledge: ${await link.count()} links to /knowledge/new`);
  check(((await link.textContent()) || '').trim() === T.newDoc, `${who}: the link to /knowledge/new reads "${await link.textContent()}"`);
  const res = await follow(page, link);
  check(res && res.ok() && new URL(page.url()).pathname === '/knowledge/new', `${who}: ${T.newDoc} led to ${where(page)} (${res && res.status()})`);
  const form = page.locator('main form[action="/knowledge/new"]');
  check((await form.count()) === 1, `${who} /knowledge/new: ${await form.count()} forms posting to /knowledge/new`);
  return form;
}

// Writes a document; first without a title (the error), then with one.
// Returns its id.
async function writeDocument(page, size, visibility, { emptyFirst }) {
  const who = `suzhou@${size.width}`;
  const title = docTitle(size, visibility);
  const body = docBody(size, visibility);
  let form = await openNewForm(page, who);
  const region = await form.locator('input[name="region"]').inputValue();
  check(/^\d{6}$/.test(region), `${who} /knowledge/new: the region code is "${region}", expected the office's own`);
  const checkedVis = await form.locator('input[type="radio"][name="visibility"]:checked').getAttribute('value');
  check(checkedVis === 'public', `${who} /knowledge/new: visibility "${checkedVis}" is chosen at first, expected public`);
  const saves = (await form.locator('.actions button[type="submit"]').allTextContents()).map((s) => s.trim());
  check(
    saves.includes(T.save) && saves.includes(T.savePublish),
    `${who} /knowledge/new: the buttons read ${JSON.stringify(saves)}, expected ${T.save} and ${T.savePublish}`,
  );
  const competency = ((await form.locator('input[type="checkbox"][name="competencies"]').first()
    .locator('xpath=..').textContent()) || '').trim();
  check(competency, `${who} /knowledge/new: no competency checkbox with a label`);
  if (emptyFirst) await pageIsSound(page, `${who} /knowledge/new`);

  const fill = async (withTitle) => {
    await form.locator('select[name="kind"]').selectOption('case');
    await form.locator('input[name="title"]').fill(withTitle ? title : '');
    await form.locator('textarea[name="summary"]').fill('直播间复盘的做法。');
    await form.locator('textarea[name="body"]').fill(body);
    await form.locator('input[name="tags"]').fill('复盘，丝绸');
    // A tier and a competency, as an office would tag a case.
    await form.locator('input[type="checkbox"][name="tiers"]').first().check();
    await form.locator('input[type="checkbox"][name="competencies"]').first().check();
    await form.locator(`input[type="radio"][name="visibility"][value="${visibility}"]`).check();
  };
  const publish = () => form.locator('button[type="submit"][name="publish"]');

  if (emptyFirst) {
    await fill(false);
    const res = await follow(page, publish());
    check(
      res && (res.status() === 422 || res.ok()),
      `${who}: publishing without a title (a tier and a competency checked) answered ${res && res.status()}` +
        (res && res.status() === 400 ? ` (${(await page.locator('main').textContent()).replace(/\s+/g, ' ').trim().slice(0, 60)})` : '') +
        ', expected the form back with the error',
    );
    check(new URL(page.url()).pathname === '/knowledge/new', `${who}: publishing without a title landed on ${where(page)}`);
    form = page.locator('main form[action="/knowledge/new"]');
    const state = await page.evaluate(() => {
      const f = document.querySelector('main form[action="/knowledge/new"]');
      const t = f && f.querySelector('input[name="title"]');
      const label = t && t.closest('label');
      return f && {
        invalid: t.getAttribute('aria-invalid'),
        labelClass: label ? label.className : '',
        error: label ? (label.querySelector('.field-error[role="alert"]') || {}).textContent?.trim() || '' : '',
        errors: Array.from(f.querySelectorAll('.field-error')).map((e) => e.closest('label')?.querySelector('input,textarea,select')?.name || '?'),
        body: f.querySelector('textarea[name="body"]').value,
        vis: (f.querySelector('input[name="visibility"]:checked') || {}).value,
      };
    });
    check(state, `${who}: the form did not come back after publishing without a title`);
    check(state.error, `${who}: no error (.field-error role=alert) in the title's label; errors by ${JSON.stringify(state.errors)}`);
    check(state.invalid === 'true', `${who}: the title's aria-invalid is ${JSON.stringify(state.invalid)} after the error`);
    check(
      state.errors.length === 1 && state.errors[0] === 'title',
      `${who}: errors next to ${JSON.stringify(state.errors)}, expected the title only`,
    );
    check(state.body === body, `${who}: the text came back as ${JSON.stringify(state.body)}, expected what was typed`);
    check(state.vis === visibility, `${who}: the visibility came back as "${state.vis}", expected "${visibility}"`);
    await pageIsSound(page, `${who} /knowledge/new with no title`);
    console.log(`browser: ${who}: no title → "${state.error}" (HTTP ${res.status()}), text kept`);
  }

  await fill(true);
  const res = await follow(page, publish());
  check(res && res.ok(), `${who}: ${T.savePublish} (a tier and a competency checked) answered ${res && res.status()}`);
  const m = new URL(page.url()).pathname.match(/^\/knowledge\/(\d+)$/);
  check(m, `${who}: ${T.savePublish} landed on ${where(page)}`);
  const id = m[1];
  const doc = await page.evaluate(() => ({
    h1: (document.querySelector('main article h1') || {}).textContent?.trim() || '',
    badges: Array.from(document.querySelectorAll('main article .meta .badge')).map((b) => b.textContent.trim()),
    text: Array.from(document.querySelectorAll('main article > p')).map((p) => p.textContent.trim()),
    facts: Array.from(document.querySelectorAll('main article dl.facts dd')).map((d) => d.textContent.trim()),
  }));
  check(doc.h1 === title, `${who}: the new document's heading reads "${doc.h1}", expected "${title}"`);
  const visLabel = visibility === 'public' ? T.public : T.offices;
  check(doc.badges.includes(visLabel), `${who}: the new document's badges ${JSON.stringify(doc.badges)} lack "${visLabel}"`);
  check(!doc.badges.includes(T.draft), `${who}: the published document is marked ${T.draft}`);
  check(
    doc.facts.some((d) => d.split('、').includes(competency)),
    `${who}: the new document's facts ${JSON.stringify(doc.facts)} do not name the competency "${competency}"`,
  );
  check(
    body.split('\n').every((line) => doc.text.includes(line)),
    `${who}: the new document's paragraphs ${JSON.stringify(doc.text)} are not the text typed`,
  );
  await pageIsSound(page, `${who} new document ${id}`);
  console.log(`browser: ${who}: published "${title}" (${visLabel}) as /knowledge/${id}`);
  return { id, title };
}

// The office's list shows the document.
async function listedInManage(page, size, doc) {
  const who = `suzhou@${size.width}`;
  const res = await page.goto(`${base}/knowledge/manage`);
  check(res && res.ok(), `${who}: GET /knowledge/manage answered ${res && res.status()}`);
  const h1 = ((await page.locator('main h1').first().textContent()) || '').trim();
  check(h1 === T.manage, `${who} /knowledge/manage: the heading reads "${h1}"`);
  const row = page.locator(`main table tbody tr:has(a[href="/knowledge/${doc.id}"])`);
  check((await row.count()) === 1, `${who} /knowledge/manage: ${await row.count()} rows for /knowledge/${doc.id}`);
  const link = ((await row.locator('a').textContent()) || '').trim();
  check(link === doc.title, `${who} /knowledge/manage: the row reads "${link}", expected "${doc.title}"`);
  await pageIsSound(page, `${who} /knowledge/manage`);
}

async function findsIt(page, who, doc) {
  const { r, at } = await searchUntil(page, who, doc.title, doc.id, INDEX_WAIT_MS);
  check(
    at >= 0,
    `${who}: searching "${doc.title}" for ${INDEX_WAIT_MS / 1000} s never listed /knowledge/${doc.id} (${r.total} results: ${r.hits
      .slice(0, 3)
      .map((h) => h.title)
      .join(' | ')})`,
  );
  const hit = r.hits[at];
  check(hit.title === doc.title, `${who}: the hit for /knowledge/${doc.id} reads "${hit.title}"`);
  check(hit.marks.length > 0 || at === 0, `${who}: the hit for "${doc.title}" is number ${at + 1} with nothing marked`);
  return at + 1;
}

async function officeWrites(browser, size, suzhou) {
  const who = `suzhou@${size.width}`;
  const pub = await writeDocument(suzhou, size, 'public', { emptyFirst: true });
  const rank = await findsIt(suzhou, who, pub);
  await pageIsSound(suzhou, `${who} /knowledge?q=${pub.title}`);
  console.log(`browser: ${who}: finds the public document at number ${rank}`);

  await asRole(browser, base, size, 'nanjing', async (nanjing) => {
    const nj = `nanjing@${size.width}`;
    const njRank = await on(nanjing, `nanjing-${size.width}`, () => findsIt(nanjing, nj, pub));
    console.log(`browser: ${nj}: finds suzhou's public document at number ${njRank}`);

    const offices = await writeDocument(suzhou, size, 'offices', { emptyFirst: false });
    const officeRank = await findsIt(suzhou, who, offices);
    console.log(`browser: ${who}: finds the offices-only document at number ${officeRank}`);
    await listedInManage(suzhou, size, pub);
    await listedInManage(suzhou, size, offices);

    // The index has it (suzhou found it on this server): nanjing must not.
    await on(nanjing, `nanjing-${size.width}`, async () => {
      const r = await search(nanjing, nj, offices.title);
      const seen = r.hits.find((h) => h.id === offices.id || h.title === offices.title);
      check(!seen, `${nj}: searching "${offices.title}" lists suzhou's offices-only document /knowledge/${offices.id}`);
      await pageIsSound(nanjing, `${nj} /knowledge?q=${offices.title}`);
      const direct = await nanjing.goto(`${base}/knowledge/${offices.id}`);
      check(direct && direct.status() === 404, `${nj}: GET /knowledge/${offices.id} (suzhou, offices only) answered ${direct && direct.status()}, expected 404`);
      const body = (await nanjing.locator('main').textContent()) || '';
      check(!body.includes(offices.title), `${nj}: the refusal page for /knowledge/${offices.id} shows its title`);
      console.log(`browser: ${nj}: "${offices.title}" → ${r.total} results, not the offices-only document; opening it → 404`);
    });
  }, AS);
}

// ---------------------------------------------------------------------------
// 4. Nothing found.
async function nothingFound(page, size) {
  const who = `visitor@${size.width}`;
  const r = await search(page, who, NOTHING);
  check(r.total === 0, `${who}: "${NOTHING}" found ${r.total} results`);
  check(r.hits.length === 0, `${who}: "${NOTHING}" lists ${r.hits.length} hits`);
  check(r.empty === T.noResults, `${who}: "${NOTHING}" says "${r.empty}", expected "${T.noResults}"`);
  check(await page.locator('main section.results p.empty').isVisible(), `${who}: the no-results message is not visible`);
  await pageIsSound(page, `${who} /knowledge?q=${NOTHING}`);
  console.log(`browser: ${who}: "${NOTHING}" → "${r.totalText}", "${r.empty}"`);
}

// ---------------------------------------------------------------------------
await runTest(NAME, (browser) =>
  forEachWidth(browser, base, null, async (guest, size) => {
    await on(guest, `visitor-${size.width}`, () => visitorSearches(guest, size));
    await on(guest, `visitor-${size.width}`, () => nothingFound(guest, size));

    await asRole(browser, base, size, 'trainee', (trainee) =>
      on(trainee, `trainee-${size.width}`, () => traineeTypo(trainee, size)), AS);

    await asRole(browser, base, size, 'suzhou', (suzhou) =>
      on(suzhou, `suzhou-${size.width}`, () => officeWrites(browser, size, suzhou)), AS);

    noServerErrors();
  }, AS),
);
