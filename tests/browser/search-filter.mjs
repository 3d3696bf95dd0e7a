// search-filter.mjs: checks the exercise library's live search and filters
// (themes/clinic/static/js/library.js) in headless Chromium, against the
// site's own search-index.json:
//   - typing a search shows exactly the exercises whose title, summary, body
//     or tags match every word (accent- and case-insensitive), plus matching
//     programs, and announces the count in a polite live region;
//   - filters combine (OR within a taxonomy, AND across), live in the URL
//     query and come back on reload;
//   - index data is never parsed as HTML;
//   - axe-core finds no WCAG 2.1 A/AA violation in those states, the page
//     fits 320 px, and without JavaScript every exercise is listed and the
//     controls are hidden.
// Usage: node search-filter.mjs OUTPUT_DIR [--screenshots=DIR]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { serveFolder, launchChromium } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const args = process.argv.slice(2);
const shots = args.find((a) => a.startsWith('--screenshots='))?.slice('--screenshots='.length);
const [dir] = args.filter((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: node search-filter.mjs OUTPUT_DIR [--screenshots=DIR]');
  process.exit(2);
}
const root = fs.realpathSync(dir);
if (!fs.existsSync(path.join(root, 'search-index.json'))) {
  console.error(`search-filter: ${dir} has no search-index.json (is this a built movepress site?)`);
  process.exit(2);
}
const index = JSON.parse(fs.readFileSync(path.join(root, 'search-index.json'), 'utf8'));
if (shots) fs.mkdirSync(shots, { recursive: true });

// The matching rule, written out independently of library.js: every word of
// the query must begin a word of the title, summary, body text or tags.
const fold = (s) => ' ' + String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  .toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim() + ' ';
const words = (q) => fold(q).split(' ').filter(Boolean);
const haystack = (e) => [e.title, e.summary, e.text,
  ...Object.values(e.terms || {}).flat(), ...Object.values(e.labels || {}).flat()].map(fold).join('');
const matching = (items, q) => items.filter((e) => words(q).every((w) => haystack(e).includes(' ' + w)));
const slugs = (items) => items.map((e) => e.slug).sort();
const withTerms = (want) => index.exercises.filter((e) =>
  Object.entries(want).every(([t, vals]) => vals.some((v) => (e.terms[t] || []).includes(v))));
const allSlugs = slugs(index.exercises);

const { server, base } = await serveFolder(root);
const library = base + 'exercises/';

const browser = await launchChromium();
const external = [];
const errors = [];
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:')) route.continue();
    else { external.push(url); route.abort(); }
  });
  context.on('page', (page) => {
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: console: ${m.text()}`); });
  });
  return context;
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.message || e).split('\n').join('\n     ')}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error(message); }
function sameSet(actual, expected, what) {
  const a = [...actual].sort();
  const b = [...expected].sort();
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(`${what}:\n  shown    ${a.join(' ') || '(none)'}\n  expected ${b.join(' ') || '(none)'}`);
  }
}

// Slugs of the cards a visitor can see, in page order.
const visible = (page) => page.$$eval('#library-cards > li',
  (lis) => lis.filter((li) => li.checkVisibility()).map((li) => li.getAttribute('data-slug')));
// Polls until the visible cards are the expected set (the search is live,
// the status is debounced), then compares once more for the message.
async function expectCards(page, expected, what) {
  const want = JSON.stringify([...expected].sort());
  await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('#library-cards > li')]
    .filter((li) => li.checkVisibility()).map((li) => li.getAttribute('data-slug')).sort()) === w, want,
  { timeout: 3000, polling: 50 }).catch(() => {});
  sameSet(await visible(page), expected, what);
}
async function expectStatus(page, pattern) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('library-status').textContent),
    pattern.source, { timeout: 3000, polling: 50 }).catch(() => {});
  const text = await page.textContent('#library-status');
  assert(pattern.test(text), `status "${text}" does not match ${pattern}`);
}
async function openLibrary(page, url = library) {
  const indexLoaded = page.waitForResponse((r) => r.url().endsWith('/search-index.json'), { timeout: 5000 });
  await page.goto(url, { waitUntil: 'load' });
  await indexLoaded;
  await page.waitForSelector('#library-search:not([hidden])', { timeout: 3000 });
  await page.waitForTimeout(50);
}
async function axe(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }));
  const found = result.violations.map((v) => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert(!found.length, `axe (${label}):\n  ${found.join('\n  ')}`);
}
async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}
const box = (taxonomy, term) => `#library-filter-form input[name="${taxonomy}"][value="${term}"]`;
const query = (page) => new URL(page.url()).searchParams;

const ctx = await newContext();
const page = await ctx.newPage();
await openLibrary(page);

const titleOrder = await visible(page);
await check('the library lists every exercise of the index, with data-slug on each card', async () => {
  sameSet(titleOrder, allSlugs, 'cards on load');
  assert(await page.getAttribute('#library-status', 'aria-live') === 'polite', 'the status has no aria-live="polite"');
});
await check('on a wide screen the filters are open, in a column beside the results', async () => {
  assert(await page.getAttribute('#library-filters', 'open') !== null, 'the filters are folded');
  const filters = await page.locator('#library-filter-form').boundingBox();
  const cards = await page.locator('#library-cards').boundingBox();
  assert(filters.x + filters.width <= cards.x && Math.abs(filters.y - cards.y) < 120, `filters ${JSON.stringify(filters)}, cards ${JSON.stringify(cards)}`);
});

const rotation = slugs(matching(index.exercises, 'rotation'));
await check('typing "rotation" shows exactly the exercises whose text or tags match', async () => {
  assert(rotation.includes('quadruped-thoracic-rotation') && rotation.includes('side-lying-thoracic-rotation'),
    'expected the two thoracic rotation exercises to match "rotation" in the index');
  assert(!rotation.includes('locust-pose'), 'locust-pose should not match "rotation"');
  await page.locator('#library-q').pressSequentially('rotation', { delay: 15 });
  await expectCards(page, rotation, 'search "rotation"');
  await expectStatus(page, new RegExp(`^${rotation.length} exercises? (and \\d+ programs? )?match`));
  assert(query(page).get('q') === 'rotation', `the URL ${page.url()} does not hold q=rotation`);
});

await check('matching programs are listed as links, relative to the site root', async () => {
  const expected = matching(index.programs, 'rotation');
  const shown = await page.$$eval('#library-programs:not([hidden]) li a', (as) => as.map((a) => [a.textContent, a.href]));
  sameSet(shown.map(([t]) => t), expected.map((p) => p.title), 'programs for "rotation"');
  for (const [, href] of shown) assert(href.startsWith(base + 'programs/'), `program link ${href}`);
});
await check('axe: no WCAG 2.1 A/AA violation with a search', () => axe(page, 'search "rotation"'));
await shot(page, 'desktop-search-rotation');

await check('search is case- and accent-insensitive, and every word must match', async () => {
  await page.fill('#library-q', 'ROTÁTÏON');
  await expectCards(page, rotation, 'search "ROTÁTÏON"');
  const both = slugs(matching(index.exercises, 'rotation pillow'));
  assert(both.length && both.length < rotation.length, `"rotation pillow" should narrow the results (${both.length})`);
  await page.fill('#library-q', 'rotation pillow');
  await expectCards(page, both, 'search "rotation pillow"');
});

await check('title matches come first', async () => {
  await page.fill('#library-q', 'twist');
  const expected = matching(index.exercises, 'twist');
  await expectCards(page, slugs(expected), 'search "twist"');
  const programs = await page.$$eval('#library-programs:not([hidden]) li a', (as) => as.map((a) => a.textContent));
  sameSet(programs, matching(index.programs, 'twist').map((p) => p.title), 'programs for "twist"');
  assert(programs.length > 0, 'expected programs to match "twist" (their text names their exercises)');
  const inTitle = new Set(expected.filter((e) => fold(e.title).includes(' twist')).map((e) => e.slug));
  const order = await visible(page);
  const firstOther = order.findIndex((s) => !inTitle.has(s));
  assert(inTitle.size > 0 && (firstOther === -1 || order.slice(firstOther).every((s) => !inTitle.has(s))),
    `title matches are not first: ${order.join(' ')}`);
});

await check('a search with no match says so, and its button clears it', async () => {
  await page.fill('#library-q', 'zzqx');
  await expectCards(page, [], 'search "zzqx"');
  await expectStatus(page, /^No exercises match/);
  assert(await page.isVisible('#library-empty'), 'the "No exercises match" hint is not shown');
  await axe(page, 'no results');
  await page.click('#library-empty button');
  await expectCards(page, allSlugs, 'after "Clear search and filters"');
  assert(await page.inputValue('#library-q') === '', 'the search box was not cleared');
  assert(await page.evaluate(() => document.activeElement.id) === 'library-q', 'focus did not move to the search box');
});

const chair = slugs(withTerms({ equipment: ['chair'] }));
await check('clearing the search lists every exercise again, in title order', async () => {
  await page.fill('#library-q', 'rotation');
  await expectCards(page, rotation, 'search "rotation" again');
  await page.fill('#library-q', '');
  await expectCards(page, allSlugs, 'after clearing the search');
  const order = await visible(page);
  assert(JSON.stringify(order) === JSON.stringify(titleOrder), `not back in title order: ${order.join(' ')}`);
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('q'), null, { timeout: 2000 });
});

await check('ticking "Equipment: Chair" shows exactly the exercises using a chair, and puts it in the URL', async () => {
  assert(chair.length > 0 && chair.length < allSlugs.length, `chair matches ${chair.length} exercises`);
  await page.check(box('equipment', 'chair'));
  await expectCards(page, chair, 'equipment chair');
  assert(page.url().includes('equipment=chair'), `the URL ${page.url()} lacks equipment=chair`);
  await expectStatus(page, new RegExp(`^${chair.length} exercises? match`));
});

await check('reloading the URL restores the filter', async () => {
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('#library-filter-form:not([hidden])');
  assert(await page.isChecked(box('equipment', 'chair')), 'the chair box is not ticked after reload');
  await expectCards(page, chair, 'equipment chair after reload');
});

await check('filters combine: OR within a taxonomy, AND across taxonomies', async () => {
  await page.check(box('difficulty', 'beginner'));
  const chairBeginner = slugs(withTerms({ equipment: ['chair'], difficulty: ['beginner'] }));
  await expectCards(page, chairBeginner, 'chair AND beginner');
  const q = query(page);
  assert(q.getAll('equipment').includes('chair') && q.getAll('difficulty').includes('beginner'), `URL ${page.url()}`);
  await page.check(box('equipment', 'towel'));
  const either = slugs(withTerms({ equipment: ['chair', 'towel'], difficulty: ['beginner'] }));
  await expectCards(page, either, '(chair OR towel) AND beginner');
  assert(either.length > chairBeginner.length, 'towel should add exercises');
  await page.fill('#library-q', 'extension');
  const all = either.filter((s) => slugs(matching(index.exercises, 'extension')).includes(s));
  assert(all.length > 0 && all.length < either.length, `"extension" should narrow (${all.length})`);
  await expectCards(page, all, '(chair OR towel) AND beginner AND "extension"');
  await page.fill('#library-q', '');
});
await check('axe: no WCAG 2.1 A/AA violation with filters', () => axe(page, 'filters'));
await shot(page, 'desktop-filters');

await check('"Clear filters" unticks every box and drops them from the URL', async () => {
  await page.click('#library-filter-form [data-clear="filters"]');
  await expectCards(page, allSlugs, 'after "Clear filters"');
  assert((await page.$$('#library-filter-form input:checked')).length === 0, 'boxes still ticked');
  await page.waitForFunction(() => !/[?&](equipment|difficulty)=/.test(location.search), null, { timeout: 2000 });
});

await check('a shared link ("no equipment, beginner") opens with those filters', async () => {
  await openLibrary(page, library + '?equipment=none&difficulty=beginner');
  assert(await page.isChecked(box('equipment', 'none')) && await page.isChecked(box('difficulty', 'beginner')), 'boxes not ticked');
  await expectCards(page, slugs(withTerms({ equipment: ['none'], difficulty: ['beginner'] })), 'none AND beginner');
});

await check('keyboard: Tab reaches a filter and Space ticks it', async () => {
  await openLibrary(page);
  await page.focus('#library-q');
  let id = null;
  for (let i = 0; i < 60 && id !== 'equipment:chair'; i++) {
    await page.keyboard.press('Tab');
    id = await page.evaluate(() => document.activeElement.name + ':' + document.activeElement.value);
  }
  assert(id === 'equipment:chair', 'Tab never reached the chair box');
  await page.keyboard.press('Space');
  await expectCards(page, chair, 'chair ticked with the keyboard');
});

await check('index data is shown as text, never parsed as HTML', async () => {
  const p2 = await ctx.newPage();
  const doctored = structuredClone(index);
  doctored.programs = [
    { slug: 'x', title: '<img src=x onerror="window.__pwned=1">Evil rotation', summary: '<b>bold</b>', url: 'programs/x/', text: '' },
    { slug: 'y', title: 'Script rotation', summary: '', url: 'javascript:window.__pwned=2', text: '' },
    { slug: 'z', title: 'Spaced rotation', summary: '', url: ' javascript:window.__pwned=3', text: '' },
    { slug: 'w', title: 'Elsewhere rotation', summary: '', url: '//evil.example/', text: '' },
  ];
  doctored.exercises.push({ slug: '__proto__', title: 'Polluted', summary: '', url: 'exercises/x/', text: '',
    terms: { equipment: ['chair'] }, labels: {} });
  await p2.route('**/search-index.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify(doctored) }));
  await openLibrary(p2);
  await p2.fill('#library-q', 'rotation');
  await p2.waitForSelector('#library-programs:not([hidden])');
  const html = await p2.innerHTML('#library-programs ul');
  assert(!/<img|<b>/.test(html), `markup from the index became elements: ${html}`);
  assert(await p2.textContent('#library-programs ul').then((t) => t.includes('<img src=x')), 'the title is not shown as text');
  assert(!html.includes('javascript:') && !html.includes('evil.example'), `a foreign URL from the index became a link: ${html}`);
  assert(await p2.evaluate(() => ({}).f === undefined), 'index data reached Object.prototype');
  assert(await p2.evaluate(() => window.__pwned === undefined), 'index data ran script');
  await p2.close();
});
await ctx.close();

// Phone widths: the filters fold away unless one is on; nothing overflows.
for (const width of [390, 320]) {
  const phone = await newContext({ viewport: { width, height: 800 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await check(`${width} px: filters folded, no sideways scrolling, search works`, async () => {
    await openLibrary(p);
    assert(await p.getAttribute('#library-filters', 'open') === null, 'the filters are open on a phone');
    await p.fill('#library-q', 'rotation');
    await expectCards(p, rotation, `search "rotation" at ${width} px`);
    await shot(p, `${width}-search-rotation`);
    const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(over <= 0, `the page is ${over} px wider than the screen`);
  });
  await check(`${width} px: a link with filters shows its exercises, the folded filters say what is on`, async () => {
    await openLibrary(p, library + '?equipment=chair&difficulty=beginner');
    assert(await p.getAttribute('#library-filters', 'open') === null, 'the filters are open on a phone');
    const summary = await p.textContent('#library-filters summary');
    assert(/2 selected/.test(summary), `the filters summary says "${summary}"`);
    await expectCards(p, slugs(withTerms({ equipment: ['chair'], difficulty: ['beginner'] })), `chair AND beginner at ${width} px`);
    await p.click('#library-filters summary');
    assert(await p.isChecked(box('equipment', 'chair')) && await p.isVisible(box('equipment', 'chair')), 'chair is not shown ticked');
    const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(over <= 0, `the page is ${over} px wider than the screen`);
    await axe(p, `filters at ${width} px`);
    await shot(p, `${width}-filters`);
  });
  await phone.close();
}

// Without JavaScript: the full server-rendered list, no dead controls.
const noJs = await newContext({ javaScriptEnabled: false });
const p = await noJs.newPage();
await check('without JavaScript every exercise is listed and the controls are hidden', async () => {
  await p.goto(library + '?equipment=chair&q=rotation', { waitUntil: 'load' });
  sameSet(await visible(p), allSlugs, 'cards without JavaScript');
  assert(!(await p.isVisible('#library-search')), 'the search form is visible without JavaScript');
  assert(!(await p.isVisible('#library-filter-form')), 'the filters are visible without JavaScript');
  assert(await p.$eval('#library-search', (f) => f.hidden) && await p.$eval('#library-filter-form', (f) => f.hidden),
    'the controls are not rendered with the hidden attribute');
  assert(!(await p.isVisible('#library-empty')), 'the "no match" hint is visible without JavaScript');
  const links = await p.$$eval('.browse a', (as) => as.map((a) => a.getAttribute('href')));
  assert(links.includes('../equipment/chair/'), `no "browse by" link to equipment/chair/: ${links.slice(0, 5).join(' ')}`);
  await shot(p, 'desktop-no-javascript');
  await p.click('.browse summary');
  await p.click('.browse a[href="../equipment/chair/"]');
  assert(p.url() === base + 'equipment/chair/', `the browse link went to ${p.url()}`);
});
await noJs.close();

await check('no request left the local server, and no script error', async () => {
  assert(!external.length, `requests to third parties: ${[...new Set(external)].join(' ')}`);
  assert(!errors.length, errors.join('\n'));
});

await browser.close();
server.close();
console.log(`search-filter: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
