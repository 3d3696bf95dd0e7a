/* movepress clinic theme: live search and filters for the exercise library.
 * No framework and no requests beyond the site's own search-index.json.
 * Without that file (opened from disk, say) it still searches titles, summaries
 * and tags read from the page. Index data only ever reaches the page through
 * textContent, never as HTML. State lives in the URL query, so a link such as
 * exercises/?equipment=none&difficulty=beginner can be shared. */
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const lib = $('library');
  const search = $('library-search');
  const form = $('library-filter-form');
  if (!lib || !search || !form || !window.URLSearchParams || !''.normalize) return;
  const list = $('library-cards');
  const input = $('library-q');
  const status = $('library-status');
  const empty = $('library-empty');
  const progBox = $('library-programs');
  const progList = progBox.querySelector('ul');
  const details = $('library-filters');
  const filterCount = $('library-filter-count');
  const boxes = Array.from(form.querySelectorAll('input[type=checkbox]'));
  const taxonomies = Array.from(new Set(boxes.map((b) => b.name)));
  const root = lib.getAttribute('data-root') || '';

  // Lower case, accents dropped, anything but letters and digits turned into spaces.
  const fold = (s) => ' ' + String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim() + ' ';
  const text = (el, sel) => { const n = el.querySelector(sel); return n ? n.textContent : ''; };

  const labels = new Map(boxes.map((b) => [b.name + ':' + b.value, text(b.parentNode, '.filter-label')]));

  const cards = Array.from(list.children).map((el, order) => {
    const terms = {};
    const tags = [];
    for (const t of taxonomies) {
      terms[t] = (el.getAttribute('data-' + t) || '').split(' ').filter(Boolean);
      for (const v of terms[t]) tags.push(v, labels.get(t + ':' + v) || '');
    }
    return { el, order, slug: el.getAttribute('data-slug'), terms, score: 0,
      f: [fold(text(el, '.card-title')), fold(tags.join(' ')), fold(text(el, '.card-summary')), ' '] };
  });
  let programs = [];
  const WEIGHTS = [8, 4, 2, 1]; // title, tags, summary, body

  // Each word must start a word somewhere; the score favours titles.
  const score = (f, words) => {
    let total = 0;
    for (const w of words) {
      let best = 0;
      for (let i = 0; i < f.length; i++) if (f[i].includes(' ' + w)) best = Math.max(best, WEIGHTS[i] || 1);
      if (!best) return 0;
      total += best;
    }
    return total;
  };

  const selected = () => {
    const sel = {};
    for (const t of taxonomies) sel[t] = boxes.filter((b) => b.name === t && b.checked).map((b) => b.value);
    return sel;
  };
  const passes = (card, sel, skip) => taxonomies.every((t) =>
    t === skip || !sel[t].length || sel[t].some((v) => card.terms[t].includes(v)));

  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);
  let lastMessage = null;
  let timer = 0;
  const say = (message) => {
    if (message === lastMessage) return;
    lastMessage = message;
    status.textContent = message;
  };

  const writeUrl = (sel, q) => {
    const params = new URLSearchParams(location.search);
    for (const t of taxonomies.concat('q')) params.delete(t);
    for (const t of taxonomies) for (const v of sel[t]) params.append(t, v);
    if (q) params.set('q', q);
    const query = params.toString();
    try { history.replaceState(history.state, '', location.pathname + (query ? '?' + query : '') + location.hash); } catch (e) { /* throttled */ }
  };

  const update = (slow) => {
    const sel = selected();
    const q = input.value.trim();
    const words = fold(q).split(' ').filter(Boolean);
    const on = boxes.filter((b) => b.checked).length;
    for (const c of cards) c.score = words.length ? score(c.f, words) : 1;
    const shown = cards.filter((c) => c.score && passes(c, sel));

    // Title order without a search; best match first with one.
    const ordered = cards.slice().sort((a, b) => (words.length ? b.score - a.score : 0) || a.order - b.order);
    const focused = document.activeElement;
    ordered.forEach((c, i) => {
      c.el.hidden = !shown.includes(c);
      if (list.children[i] !== c.el) list.insertBefore(c.el, list.children[i] || null);
    });
    if (focused && focused !== document.activeElement && list.contains(focused)) focused.focus({ preventScroll: true });

    // How many a ticked box would show, given the other groups and the search.
    for (const b of boxes) {
      const n = cards.filter((c) => c.score && passes(c, sel, b.name) && c.terms[b.name].includes(b.value)).length;
      const count = b.parentNode.querySelector('.count');
      if (count) count.textContent = '(' + n + ')';
      b.parentNode.classList.toggle('is-empty', !n && !b.checked);
    }
    filterCount.textContent = on ? '(' + on + ' selected)' : '';

    const progs = words.length ? programs.filter((p) => score(p.f, words))
      .sort((a, b) => score(b.f, words) - score(a.f, words)) : [];
    progList.textContent = '';
    for (const p of progs) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = root + p.url;
      a.textContent = p.title;
      li.appendChild(a);
      if (p.summary) {
        const s = document.createElement('span');
        s.className = 'program-match-summary';
        s.textContent = p.summary;
        li.appendChild(s);
      }
      progList.appendChild(li);
    }
    progBox.hidden = !progs.length;
    empty.hidden = shown.length > 0;

    let message;
    if (!words.length && !on) message = 'Showing all ' + plural(cards.length, 'exercise', 'exercises');
    else if (!shown.length) message = 'No exercises match' + (progs.length ? '; ' + plural(progs.length, 'program matches', 'programs match') : '');
    else if (progs.length) message = plural(shown.length, 'exercise', 'exercises') + ' and ' + plural(progs.length, 'program', 'programs') + ' match';
    else message = plural(shown.length, 'exercise matches', 'exercises match');

    clearTimeout(timer);
    const finish = () => { say(message); writeUrl(sel, q); };
    if (slow) timer = setTimeout(finish, 400);
    else finish();
  };

  // Restore the state from the URL (repeated keys or comma lists).
  const params = new URLSearchParams(location.search);
  for (const t of taxonomies) {
    const want = params.getAll(t).join(',').split(',');
    for (const b of boxes) if (b.name === t) b.checked = want.includes(b.value);
  }
  input.value = params.get('q') || '';
  // Beside the results on wide screens; folded on phones (the summary counts
  // what is ticked), so a shared link shows its exercises first.
  details.open = !window.matchMedia || matchMedia('(min-width: 56rem)').matches;

  for (const f of [search, form]) f.addEventListener('submit', (e) => { e.preventDefault(); update(false); });
  form.addEventListener('change', (e) => { if (e.target.type === 'checkbox') update(false); });
  input.addEventListener('input', () => update(true));
  for (const button of lib.querySelectorAll('[data-clear]')) {
    button.addEventListener('click', () => {
      for (const b of boxes) b.checked = false;
      if (button.getAttribute('data-clear') === 'all') { input.value = ''; input.focus(); }
      update(false);
    });
  }

  search.hidden = false;
  form.hidden = false;
  lib.classList.add('has-js');
  update(false);

  // Browsers refuse fetch() on file:// pages; the page-only search stands.
  if (location.protocol === 'file:' || !window.fetch) return;
  fetch(new URL(root + 'search-index.json', location.href).href, { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
    .then((index) => {
      const arr = (x) => (Array.isArray(x) ? x : []);
      const bySlug = new Map(cards.map((c) => [c.slug, c]));
      for (const e of arr(index.exercises)) {
        const c = e && bySlug.get(e.slug);
        if (!c) continue;
        const tags = [];
        for (const t of taxonomies) tags.push(...arr((e.terms || {})[t]), ...arr((e.labels || {})[t]));
        c.f = [fold(e.title), fold(tags.join(' ')), fold(e.summary), fold(e.text)];
      }
      // Only plain site-relative paths become links (no scheme, no //host).
      programs = arr(index.programs).filter((p) => p && typeof p.title === 'string' && /^[a-z0-9][\w.~%/-]*$/i.test(p.url))
        .map((p) => ({ title: p.title, summary: String(p.summary || ''), url: p.url, f: [fold(p.title), ' ', fold(p.summary), fold(p.text)] }));
      update(false);
    })
    .catch(() => { /* page-only search: titles, summaries and tags */ });
})();
