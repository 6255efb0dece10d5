// Browser check of learning paths (学习路径) in Chinese: the trainee's
// card on the home page and /my/path at phone width (390 px), registering
// from a recommendation, and the offices' gap page /paths at 390 and 1280 px.
//
// Usage: node tests/browser/paths.mjs http://127.0.0.1:PORT
//
// Expects a server started with `fanxing serve --demo`: the demo trainee
// co-runs a live room with a planted weakness, so one of their
// recommendations gives a reason naming their room against its peers
// (同类直播间). Other browser tests may have run before, and this one may
// run more than once against one server: it registers for whichever
// recommended course still shows 报名. Uses the system Chromium (override
// with env CHROMIUM); no browser is ever downloaded.
//
// 1. `trainee` at 390×844: the home page's 接下来学什么 card shows at least
//    one course with a visible 推荐理由 list; /my/path shows the progress
//    bar (a <progress> with a value), the recommendations, one of whose
//    reasons (or the 你的直播间短板 list) mentions 同类直播间. Clicking 报名
//    on a recommended course (the button visible and inside the screen)
//    lands on /sessions/{id}?done=registered (or waitlisted) with the
//    confirmation and the trainee's registration on the page; back on
//    /my/path that course shows 已报名 linking to the session.
// 2. `suzhou` at 390 and 1280 px: /paths shows the gap table (rows, the
//    competencies as columns) and at least one 建议开班 suggestion; its
//    起草该场培训 link opens /sessions/new with the course selected, the
//    title filled in and the tier ticked, as the link said.
// 3. `kunshan` (a county-level city office): /paths is headed with 昆山市 and
//    its table has no row for another city.
// Every page visited: no 5xx, no horizontal scrolling, no axe-core
// violation of impact serious or critical (WCAG 2 A/AA; lesser ones are
// printed as warnings). Every button or link clicked is visible and wholly
// inside the viewport when clicked.

import { asRole, baseUrl, check, follow as load, forEachWidth, PHONE, runTest, soundPages, where } from './lib.mjs';

const NAME = 'paths';
const base = baseUrl(NAME);

const T = {
  next: '接下来学什么',
  why: '推荐理由',
  register: '报名',
  registered: '已报名',
  peers: '同类直播间',
  progress: '结业进度',
  myGaps: '你的直播间短板',
  gapsTitle: '能力短板与开班建议',
  suggestions: '建议开班',
  draft: '起草该场培训',
  done: { registered: '报名成功', waitlisted: '候补' },
  kunshan: '昆山市',
};

// 5xx answers to any page's requests (checked with every page); pages are
// opened with `AS`.
const { options: AS, pageIsSound, noServerErrors } = soundPages();

// Opens `path` and checks it answered 200.
async function open(page, who, path) {
  const res = await page.goto(`${base}${path}`);
  check(res && res.ok(), `${who}: GET ${path} answered ${res && res.status()}`);
  return res;
}

// Scrolls `target` into view and checks it is visible, wholly inside the
// viewport and not covered by anything at its centre.
async function inView(page, target, what) {
  check((await target.count()) === 1, `${what}: ${await target.count()} matching elements`);
  check(await target.isVisible(), `${what} is not visible (${where(page)})`);
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  const view = page.viewportSize();
  check(box && box.width > 0 && box.height > 0, `${what} has no size (${where(page)})`);
  check(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= view.width + 0.5 && box.y + box.height <= view.height + 0.5,
    `${what} is not wholly inside the ${view.width}×${view.height} viewport: ` +
      `x ${box.x.toFixed(0)}, y ${box.y.toFixed(0)}, ${box.width.toFixed(0)}×${box.height.toFixed(0)} (${where(page)})`,
  );
  const onTop = await target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === el || el.contains(hit));
  });
  check(onTop, `${what} is covered by another element at its centre (${where(page)})`);
}

// Clicks `target` (checked in view first) and waits for the page it loads;
// returns the response.
async function follow(page, target, what) {
  await inView(page, target, what);
  const response = await load(page, target);
  check(response && response.status() < 400, `${what} answered ${response && response.status()} (${where(page)})`);
  return response;
}

// The recommendations in `scope` (a CSS selector): title, course link,
// reasons (and whether the list is shown), the 报名 button's session, the
// 已报名 link.
async function readRecs(page, scope) {
  return page.evaluate((scope) => {
    const root = document.querySelector(scope);
    if (!root) return null;
    return Array.from(root.querySelectorAll('ol.path-list > li.path-rec')).map((li, index) => {
      const a = li.querySelector('h3 a');
      const why = li.querySelector('ul.why');
      const label = li.querySelector('.why-label');
      const visible = (el) => {
        if (!el) return false;
        const r = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
      };
      const form = li.querySelector('form[action$="/register"]');
      const button = form && form.querySelector('button[type="submit"]');
      const badge = Array.from(li.querySelectorAll('a')).find((x) => x.textContent.trim() === '已报名');
      return {
        index,
        title: a ? a.textContent.trim() : '',
        course: a ? a.getAttribute('href') : '',
        label: label ? label.textContent.trim() : '',
        reasons: why ? Array.from(why.querySelectorAll('li')).map((x) => x.textContent.trim()) : [],
        reasonsVisible: visible(why) && Array.from(why.querySelectorAll('li')).some(visible),
        register: form ? form.getAttribute('action') : '',
        button: button ? button.textContent.trim() : '',
        registered: badge ? badge.getAttribute('href') : '',
      };
    });
  }, scope);
}

// ---------------------------------------------------------------------------
// 1. The trainee at phone width: home card, /my/path, 报名, 已报名.
async function trainee(page, size) {
  const who = `trainee@${size.width}`;

  // The home page's card.
  await open(page, who, '/');
  const card = 'main section[aria-labelledby="path-h"]';
  const cardTitle = ((await page.locator(`${card} h2`).first().textContent().catch(() => '')) || '').trim();
  check(cardTitle === T.next, `${who} /: no "${T.next}" card (its heading reads "${cardTitle}")`);
  const homeRecs = await readRecs(page, card);
  check(homeRecs && homeRecs.length >= 1, `${who} /: the "${T.next}" card shows no recommended course`);
  check(homeRecs.length <= 3, `${who} /: the card shows ${homeRecs.length} courses, at most 3 expected`);
  const withWhy = homeRecs.filter((r) => r.label === T.why && r.reasons.length > 0 && r.reasonsVisible);
  check(
    withWhy.length >= 1,
    `${who} /: no recommendation shows a visible "${T.why}" list (${JSON.stringify(homeRecs.map((r) => [r.title, r.label, r.reasons]))})`,
  );
  await pageIsSound(page, `${who} /`);
  console.log(
    `browser: ${who}: home card shows ${homeRecs.length} courses; first "${homeRecs[0].title}" because ${homeRecs[0].reasons.join(' / ')}`,
  );

  // /my/path through the card's link.
  await follow(page, page.locator(`${card} a[href="/my/path"]`), `${who} /: the link to /my/path`);
  check(new URL(page.url()).pathname === '/my/path', `${who}: the card's link led to ${where(page)}`);
  const bar = await page.evaluate(() => {
    const p = document.querySelector('main progress');
    if (!p) return null;
    const r = p.getBoundingClientRect();
    return {
      value: p.getAttribute('value'),
      max: p.getAttribute('max'),
      width: r.width,
      label: p.getAttribute('aria-labelledby')
        ? (document.getElementById(p.getAttribute('aria-labelledby')) || {}).textContent || ''
        : p.getAttribute('aria-label') || '',
    };
  });
  check(bar, `${who} /my/path: no <progress> bar`);
  check(bar.width > 0, `${who} /my/path: the progress bar is not visible`);
  const value = Number(bar.value);
  check(
    bar.value !== null && Number.isFinite(value) && value >= 0 && value <= Number(bar.max || 1),
    `${who} /my/path: the progress bar's value is ${bar.value} of ${bar.max}`,
  );
  check(bar.label.includes(T.progress), `${who} /my/path: the progress bar is labelled "${bar.label.trim()}"`);
  const scope = 'main section[aria-labelledby="next-h"]';
  const recs = await readRecs(page, scope);
  check(recs && recs.length >= 1, `${who} /my/path: no recommended course`);
  check(recs.length <= 5, `${who} /my/path: ${recs.length} recommendations, at most 5 expected`);
  check(
    recs.every((r) => r.label === T.why && r.reasons.length > 0 && r.reasonsVisible),
    `${who} /my/path: a recommendation without a visible "${T.why}" list (${JSON.stringify(recs.map((r) => [r.title, r.reasons]))})`,
  );
  const gapRec = recs.find((r) => r.reasons.some((x) => x.includes(T.peers)));
  check(
    gapRec,
    `${who} /my/path: no reason mentions "${T.peers}" (the planted room gap): ${JSON.stringify(recs.map((r) => [r.title, r.reasons]))}`,
  );
  const gaps = await page.evaluate(() => {
    const s = document.querySelector('main section[aria-labelledby="gaps-h"]');
    return s ? { h: s.querySelector('h2').textContent.trim(), items: Array.from(s.querySelectorAll(':scope > ul > li')).map((x) => x.textContent.trim()) } : null;
  });
  check(gaps && gaps.h === T.myGaps, `${who} /my/path: no "${T.myGaps}" section`);
  check(
    gaps.items.some((x) => x.includes(T.peers)),
    `${who} /my/path: "${T.myGaps}" lists no gap against ${T.peers} (${gaps.items.join(' | ')})`,
  );
  await pageIsSound(page, `${who} /my/path`);
  console.log(
    `browser: ${who}: /my/path progress ${bar.value}/${bar.max}, ${recs.length} courses; room gap: "${gapRec.reasons.find((x) => x.includes(T.peers))}"`,
  );

  // 报名 on a recommended course (the room gap's course when it can be).
  const open_ = recs.filter((r) => r.register && r.button === T.register);
  check(
    open_.length >= 1,
    `${who} /my/path: no recommendation has a "${T.register}" button (${JSON.stringify(recs.map((r) => [r.title, r.register, r.registered]))})`,
  );
  const pick = open_.find((r) => r === gapRec) || open_[0];
  const sessionId = (pick.register.match(/^\/sessions\/(\d+)\/register$/) || [])[1];
  check(sessionId, `${who} /my/path: the "${T.register}" form posts to ${pick.register}`);
  const button = page
    .locator(`${scope} ol.path-list > li.path-rec`)
    .nth(pick.index)
    .locator('form[action$="/register"] button[type="submit"]');
  await follow(page, button, `${who} /my/path: "${T.register}" for "${pick.title}"`);
  const landed = new URL(page.url());
  const done = landed.searchParams.get('done');
  check(
    landed.pathname === `/sessions/${sessionId}` && (done === 'registered' || done === 'waitlisted'),
    `${who}: "${T.register}" for "${pick.title}" landed on ${where(page)}, expected /sessions/${sessionId}?done=registered`,
  );
  const confirm = ((await page.locator('main p.notice[role="status"]').first().textContent().catch(() => '')) || '').trim();
  check(
    confirm.includes(T.done[done]),
    `${who} /sessions/${sessionId}: the confirmation reads "${confirm}", expected it to say ${T.done[done]}`,
  );
  const mine = await page.evaluate(() =>
    Array.from(document.querySelectorAll('main section.card'))
      .map((s) => s.textContent.replace(/\s+/g, ' ').trim())
      .find((t) => /我的报名|已报名|候补/.test(t)) || '',
  );
  check(mine, `${who} /sessions/${sessionId}: no section shows the trainee's registration`);
  await pageIsSound(page, `${who} /sessions/${sessionId}?done=${done}`);
  console.log(`browser: ${who}: 报名 for "${pick.title}" → ${where(page)}: "${confirm}"`);

  // Back on /my/path the course shows 已报名.
  await open(page, who, '/my/path');
  const after = await readRecs(page, scope);
  const same = (after || []).find((r) => r.title === pick.title);
  check(same, `${who} /my/path: after registering, "${pick.title}" is no longer recommended`);
  check(
    same.registered === `/sessions/${sessionId}` && !same.register,
    `${who} /my/path: after registering, "${pick.title}" shows ${same.register ? `a "${T.register}" button` : 'no badge'} (registered link: "${same.registered}")`,
  );
  await pageIsSound(page, `${who} /my/path (after 报名)`);
  console.log(`browser: ${who}: /my/path shows "${pick.title}" as ${T.registered}`);
}

// ---------------------------------------------------------------------------
// The gap page: its table, as rows of region names and codes.
async function readGaps(page) {
  return page.evaluate(() => {
    const main = document.querySelector('main');
    const table = main.querySelector('table.gap-table');
    const suggest = main.querySelector('section[aria-labelledby="suggest-h"]');
    return {
      h1: (main.querySelector('h1') || {}).textContent?.trim() || '',
      columns: table ? Array.from(table.querySelectorAll('thead th')).map((x) => x.textContent.trim()) : null,
      rows: table
        ? Array.from(table.querySelectorAll('tbody tr')).map((tr) => {
            // The first cell names the region (a link to its own gaps).
            const first = tr.cells[0];
            const a = first && first.querySelector('a[href*="region="]');
            return {
              name: a ? a.textContent.trim() : first ? first.textContent.trim() : '',
              region: a ? new URL(a.href).searchParams.get('region') : '',
              cells: tr.cells.length,
            };
          })
        : null,
      suggestionsTitle: suggest ? (suggest.querySelector('h2') || {}).textContent?.trim() || '' : '',
      suggestions: suggest
        ? Array.from(suggest.querySelectorAll('li')).map((li) => {
            const a = Array.from(li.querySelectorAll('a')).find((x) => x.textContent.trim() === '起草该场培训');
            return { text: li.textContent.replace(/\s+/g, ' ').trim(), href: a ? a.getAttribute('href') : '' };
          })
        : [],
    };
  });
}

// 2. `suzhou`: the table, a suggestion, and its draft link's form.
async function suzhou(page, size) {
  const who = `suzhou@${size.width}`;
  await open(page, who, '/paths');
  const g = await readGaps(page);
  check(g.h1.startsWith(T.gapsTitle), `${who} /paths: the heading reads "${g.h1}"`);
  check(g.columns && g.columns.length >= 3, `${who} /paths: no gap table with competencies as columns (${JSON.stringify(g.columns)})`);
  check(g.rows.length >= 1, `${who} /paths: the gap table has no rows`);
  check(
    g.rows.every((r) => r.name && r.region && r.cells === g.columns.length),
    `${who} /paths: a row without a region or with the wrong number of cells (${JSON.stringify(g.rows)})`,
  );
  check(g.suggestionsTitle === T.suggestions, `${who} /paths: no "${T.suggestions}" section`);
  const withLink = g.suggestions.filter((s) => s.href);
  check(
    withLink.length >= 1,
    `${who} /paths: no "${T.suggestions}" suggestion with a "${T.draft}" link (${JSON.stringify(g.suggestions)})`,
  );
  await pageIsSound(page, `${who} /paths`);
  console.log(`browser: ${who}: /paths "${g.h1}", ${g.rows.length} rows × ${g.columns.length - 2} competencies, ${withLink.length} suggestions; first "${withLink[0].text}"`);

  const s = withLink[0];
  const link = new URL(s.href, base);
  check(link.pathname === '/sessions/new', `${who} /paths: "${T.draft}" links to ${s.href}`);
  const want = {
    course: link.searchParams.get('course_id'),
    title: link.searchParams.get('title'),
    tier: link.searchParams.get('tier'),
    region: link.searchParams.get('region'),
  };
  check(want.course && want.title && want.tier && want.region, `${who} /paths: "${T.draft}" links to ${s.href}, missing a parameter`);
  const target = page
    .locator(`main section[aria-labelledby="suggest-h"] li a[href="${s.href.replace(/["\\]/g, '\\$&')}"]`)
    .first();
  await follow(page, target, `${who} /paths: "${T.draft}"`);
  check(new URL(page.url()).pathname === '/sessions/new', `${who}: "${T.draft}" led to ${where(page)}`);
  const form = await page.evaluate(() => {
    const f = document.querySelector('main form[action="/sessions"]');
    if (!f) return null;
    const sel = f.querySelector('select[name="course_id"]');
    return {
      course: sel ? sel.value : null,
      courseText: sel && sel.selectedOptions[0] ? sel.selectedOptions[0].textContent.trim() : '',
      title: (f.querySelector('input[name="title"]') || {}).value,
      tiers: Array.from(f.querySelectorAll('input[name="eligible_tiers"]:checked')).map((x) => x.value),
      venueRegion: (f.querySelector('select[name="v0_region"]') || {}).value,
    };
  });
  check(form, `${who} ${where(page)}: no new-session form`);
  check(
    form.course === want.course,
    `${who} ${where(page)}: the course selected is "${form.course}" (${form.courseText}), the link asked for ${want.course}`,
  );
  check(form.title === want.title, `${who} ${where(page)}: the title is "${form.title}", the link said "${want.title}"`);
  check(
    form.tiers.length === 1 && form.tiers[0] === want.tier,
    `${who} ${where(page)}: tiers ticked ${JSON.stringify(form.tiers)}, the link said ${want.tier}`,
  );
  check(
    form.venueRegion === want.region,
    `${who} ${where(page)}: the main venue's region is "${form.venueRegion}", the link said ${want.region}`,
  );
  await pageIsSound(page, `${who} /sessions/new (drafted)`);
  console.log(`browser: ${who}: "${T.draft}" → course "${form.courseText}", title "${form.title}", tier ${form.tiers[0]}`);
}

// 3. `kunshan`: its own city only.
async function kunshan(page, size) {
  const who = `kunshan@${size.width}`;
  await open(page, who, '/paths');
  const g = await readGaps(page);
  check(g.h1.includes(T.kunshan), `${who} /paths: the heading "${g.h1}" does not name ${T.kunshan}`);
  check(g.rows && g.rows.length >= 1, `${who} /paths: the gap table has no rows`);
  const others = g.rows.filter((r) => r.name !== T.kunshan);
  check(others.length === 0, `${who} /paths: rows for other regions: ${others.map((r) => `${r.name} (${r.region})`).join(', ')}`);
  // Its own links keep to its region too.
  const region = g.rows[0].region;
  check(
    g.suggestions.every((s) => !s.href || new URL(s.href, base).searchParams.get('region') === region),
    `${who} /paths: a suggestion outside ${T.kunshan} (${JSON.stringify(g.suggestions)})`,
  );
  await pageIsSound(page, `${who} /paths`);
  console.log(`browser: ${who}: /paths "${g.h1}", rows ${g.rows.map((r) => r.name).join(', ')}, ${g.suggestions.length} suggestions`);
}

await runTest(NAME, async (browser) => {
  await asRole(browser, base, PHONE, 'trainee', trainee, AS);
  await forEachWidth(browser, base, 'suzhou', suzhou, AS);
  await asRole(browser, base, PHONE, 'kunshan', kunshan, AS);
  noServerErrors();
});
