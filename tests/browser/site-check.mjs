// site-check.mjs: opens every page of a built movepress site in headless
// Chromium and checks what a visitor gets:
//   - axe-core finds no WCAG 2.0/2.1 A or AA violation;
//   - the site disclaimer is in the page's rendered text;
//   - the DOM holds no script but the site's own (files under static/js/ of
//     the site, and JSON-LD data), no on* handler and no javascript: URL:
//     content must not be able to add any;
//   - no request leaves the local server (nothing loads from a third party);
//   - on a 320 and a 390 px wide screen nothing runs off the page: no
//     horizontal scroll, and no text cut off inside a box that hides overflow.
// Usage: node site-check.mjs OUTPUT_DIR --require-text="..." [--screenshots=DIR]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { serveFolder, launchChromium } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const [dir] = args.filter((a) => !a.startsWith('--'));
const required = option('require-text');
const shots = option('screenshots');
if (!dir || !required) {
  console.error('usage: node site-check.mjs OUTPUT_DIR --require-text="..." [--screenshots=DIR]');
  process.exit(2);
}
const root = fs.realpathSync(dir);

const pages = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.html')) pages.push(path.relative(root, p).split(path.sep).join('/'));
  }
})(root);
pages.sort();

const { server, base } = await serveFolder(root);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const external = [];
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(base) || url.startsWith('data:')) route.continue();
  else { external.push(url); route.abort(); }
});

// Phone widths: the smallest in use, and a common one.
const NARROW = [320, 390];

// What sticks out of the viewport (the outermost such elements) or is cut
// off inside a box that hides its overflow (a box that scrolls is fine);
// empty when the page fits.
function overflowing() {
  const describe = (el) => el.localName + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '')
    + ` "${el.textContent.trim().replace(/\s+/g, ' ').slice(0, 30)}"`;
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) {
    const beyond = (el) => el && el.getBoundingClientRect().right > width + 0.5;
    for (const el of document.body.querySelectorAll('*')) {
      if (beyond(el) && !beyond(el.parentElement)) out.push(describe(el));
    }
    if (!out.length) out.push(`scrolls to ${document.documentElement.scrollWidth} px`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.classList.contains('visually-hidden')) continue;
    if (['hidden', 'clip'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth + 1) out.push('cut off in ' + describe(el));
  }
  return out.slice(0, 5);
}

let failed = 0;
for (const rel of pages) {
  const page = await context.newPage();
  const problems = [];
  const response = await page.goto(base + rel, { waitUntil: 'load' });
  if (!response || response.status() !== 200) problems.push(`HTTP ${response?.status()}`);
  const active = await page.evaluate((own) => {
    const out = [];
    for (const s of document.querySelectorAll('script')) {
      if (s.type === 'application/ld+json' && !s.src) continue;
      if (s.src && s.src.startsWith(own)) continue;
      out.push(`<script${s.src ? ' src=' + s.src : ''}>`);
    }
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) out.push(`<${el.localName} ${a.name}>`);
        if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(a.value.replace(/[\u0000-\u0020]/g, '')))
          out.push(`<${el.localName} ${a.name}="${a.value.slice(0, 60)}">`);
      }
    }
    return out;
  }, base + 'static/js/');
  problems.push(...active.map((a) => `active content: ${a}`));
  const text = await page.evaluate(() => document.body.innerText.replace(/\s+/g, ' '));
  if (!text.includes(required.replace(/\s+/g, ' '))) problems.push('the site disclaimer is not in the rendered text');
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }));
  for (const v of result.violations) {
    problems.push(`axe ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes.slice(0, 3)) problems.push(`    at ${node.target.join(' ')}`);
  }
  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, rel.replaceAll('/', '__') + '.png'), fullPage: true });
  }
  for (const width of NARROW) {
    await page.setViewportSize({ width, height: 900 });
    const wide = await page.evaluate(overflowing);
    if (wide.length) problems.push(`runs off a ${width} px screen: ${wide.join(', ')}`);
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL ${rel}`);
    for (const p of problems) console.log(`  ${p}`);
  }
  await page.close();
}
await browser.close();
server.close();
for (const url of [...new Set(external)]) console.log(`FAIL request to a third party: ${url}`);
if (external.length) failed++;
console.log(`site-check: ${pages.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
