// The reco serve page: talks to the /v1 JSON API (docs/api.md) and draws everything itself
// (cards, weight sliders, calibration and latency SVGs). No framework, no external request.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const state = {
    heads: [], defaultWeights: {},
    weights: {},           // head -> current slider value
    prevRanks: new Map(),  // item id -> rank in the previous list of the same query
    prevQueryKey: '',
    seq: 0,                // request sequence; only the newest answer is drawn
    items: new Map(),      // item id -> {attributes (null while loading), waiting callbacks}
  };

  // ---------- API ----------
  class ApiError extends Error {
    constructor(status, code, message, field) { super(message); Object.assign(this, { status, code, field }); }
  }

  async function api(method, path, body) {
    const init = body === undefined ? { method } : { method, body, headers: { 'Content-Type': 'application/json' } };
    let res;
    try { res = await fetch(path, init); } catch (e) {
      throw new ApiError(0, 'network', `${method} ${path}: ${e.message}`, '');
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { /* reported below */ }
    if (!res.ok) {
      const err = (json && json.error) || {};
      throw new ApiError(res.status, err.code || `http_${res.status}`,
                         err.message || text.slice(0, 200) || res.statusText, err.field || '');
    }
    if (json === null) throw new ApiError(res.status, 'parse', `${method} ${path}: response is not JSON`, '');
    return json;
  }

  function showError(err) {
    const box = $('error-box');
    if (!err) { box.hidden = true; box.textContent = ''; return; }
    const where = err.field ? ` (field "${err.field}")` : '';
    const status = err.status ? `${err.status} ` : '';
    box.textContent = `${status}${err.code || 'error'}: ${err.message}${where}`;
    box.hidden = false;
  }

  // ---------- helpers ----------
  const fmt = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : '–');
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svgEl = (tag, attrs, text) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const debounce = (fn, ms) => { let t = 0; return () => { clearTimeout(t); t = setTimeout(fn, ms); }; };
  // Ids are unsigned 64-bit: keep them as digit strings and write them into the JSON text
  // verbatim, so ids above 2^53 are not rounded by JS numbers.
  function readId(input, field) {
    const v = input.value.trim();
    if (v === '') return null;
    if (!/^\d{1,20}$/.test(v)) throw new ApiError(0, 'invalid_argument', `"${v}" is not an unsigned integer id`, field);
    return v;
  }

  // ---------- bundle ----------
  async function loadBundle() {
    const b = await api('GET', '/v1/bundle');
    state.heads = b.heads || [];
    const w = b.weights || {};
    state.defaultWeights = Array.isArray(w) ? Object.fromEntries(state.heads.map((h, i) => [h, w[i]])) : { ...w };
    for (const h of state.heads) if (!(h in state.defaultWeights)) state.defaultWeights[h] = 1;
    state.weights = { ...state.defaultWeights };
    $('bundle-version').textContent = b.version || '?';
    $('bundle-info').textContent =
      `${b.items ?? '?'} items · ${b.users ?? '?'} users · heads: ${state.heads.join(', ')}`;
    fillSelect($('user-select'), b.sample_users || []);
    fillSelect($('item-select'), b.sample_items || []);
    if (!$('user-input').value && !$('item-input').value && (b.sample_users || []).length) {
      $('user-input').value = String(b.sample_users[0]);
      $('user-select').value = String(b.sample_users[0]);
    }
    buildSliders();
    drawCalibration(b.reliability || {});
  }

  const fillSelect = (select, ids) => ids.forEach((id) => select.append(new Option(String(id), String(id))));

  function buildSliders() {
    const box = $('weights');
    box.textContent = '';
    for (const h of state.heads) {
      const w0 = Number(state.defaultWeights[h]) || 0;
      const max = Math.max(10, Math.ceil(w0 * 2));
      const row = el('div', 'slider');
      const label = el('label', '', h);
      label.htmlFor = `weight-${h}`;
      const input = el('input');
      Object.assign(input, { type: 'range', id: `weight-${h}`, min: '0', max: String(max), step: '0.1', value: String(w0) });
      Object.assign(input.dataset, { testid: `weight-${h}`, head: h });
      const out = el('output', '', fmt(w0));
      out.dataset.testid = `weight-value-${h}`;
      input.addEventListener('input', () => {
        state.weights[h] = Number(input.value);
        out.textContent = fmt(state.weights[h]);
        recommendSoon();
      });
      row.append(label, input, out);
      box.append(row);
    }
  }

  // ---------- recommend ----------
  function buildRequest() {
    const user = readId($('user-input'), 'user');
    const item = readId($('item-input'), 'item');
    if (user === null && item === null) throw new ApiError(0, 'invalid_argument', 'pick a user or a query item', 'user');
    const k = Number($('k-input').value || 10);
    const context = {};
    for (const f of ['platform', 'locale']) {
      const v = $(`${f}-input`).value.trim();
      if (v) context[f] = v;
    }
    const parts = [];
    if (user !== null) parts.push(`"user":${user}`);
    if (item !== null) parts.push(`"item":${item}`);
    if (Object.keys(context).length) parts.push(`"context":${JSON.stringify(context)}`);
    parts.push(`"k":${JSON.stringify(Number.isFinite(k) ? k : 10)}`);
    parts.push(`"weights":${JSON.stringify(state.weights)}`);
    const queryKey = JSON.stringify([user, item, context, k]);
    return { body: `{${parts.join(',')}}`, queryKey };
  }

  async function recommend() {
    const seq = ++state.seq;
    let req;
    try { req = buildRequest(); } catch (e) { showError(e); return; }
    const weightsSent = { ...state.weights };
    try {
      const res = await api('POST', '/v1/recommend', req.body);
      if (seq !== state.seq) return;  // a newer request is under way
      showError(null);
      renderResults(res, req.queryKey, weightsSent);
      refreshStatsSoon();
    } catch (e) {
      if (seq === state.seq) showError(e);
    }
  }
  const recommendSoon = debounce(recommend, 100);

  function renderResults(res, queryKey, weightsSent) {
    if (res.bundle_version) $('bundle-version').textContent = res.bundle_version;
    const sameQuery = queryKey === state.prevQueryKey;
    const prev = sameQuery ? state.prevRanks : new Map();
    const heads = res.heads && res.heads.length ? res.heads : state.heads;
    const items = res.items || [];
    const maxP = {};
    for (const h of heads) maxP[h] = Math.max(1e-12, ...items.map((it) => Number((it.p || {})[h]) || 0));

    const list = $('cards');
    list.textContent = '';
    for (const it of items) list.append(card(it, heads, maxP, prev));
    if (!items.length) list.append(el('li', 'empty', 'No items.'));
    list.dataset.weights = JSON.stringify(weightsSent);
    list.dataset.order = items.map((it) => String(it.item)).join(',');

    state.prevRanks = new Map(items.map((it) => [String(it.item), it.rank]));
    state.prevQueryKey = queryKey;

    const st = res.stage_ms || {};
    $('timing').textContent = Object.keys(st).length
      ? Object.entries(st).map(([k, v]) => `${k} ${fmt(Number(v), 2)} ms`).join(' · ') : '';
    const notes = $('notes');
    notes.textContent = '';
    for (const n of res.notes || []) notes.append(el('li', '', n));
  }

  function card(it, heads, maxP, prev) {
    const id = String(it.item);
    const li = el('li', 'card');
    Object.assign(li.dataset, { testid: 'card', item: id, rank: String(it.rank) });

    const top = el('div', 'card-top');
    top.append(el('span', 'rank', `#${it.rank}`), movement(prev, id, it.rank));
    const title = el('span', 'item-id', `item ${id}`);
    title.dataset.testid = 'item-id';
    top.append(title, el('span', 'utility', `utility ${fmt(Number(it.utility))}`));
    li.append(top);

    const attrs = el('div', 'attrs');
    attrs.dataset.testid = 'attrs';
    li.append(attrs);
    fillAttributes(attrs, it);

    const meta = el('div', 'meta');
    for (const s of it.sources || []) meta.append(el('span', 'chip', s));
    if (Number(it.memboost)) meta.append(el('span', 'chip memboost', `memboost ${fmt(Number(it.memboost), 2)}`));
    if (it.known === false) meta.append(el('span', 'chip unknown', 'unknown item'));
    li.append(meta);

    const probs = el('div', 'probs');
    for (const h of heads) {
      const p = Number((it.p || {})[h]);
      const row = el('div', 'prob');
      Object.assign(row.dataset, { testid: `prob-${h}`, p: String(p) });
      const bar = el('span', 'bar'), fill = el('span', 'fill');
      fill.style.width = `${Math.max(0, Math.min(1, (p || 0) / maxP[h])) * 100}%`;
      bar.append(fill);
      row.append(el('span', 'head', h), bar, el('span', 'pval', fmt(p)));
      probs.append(row);
    }
    li.append(probs);
    return li;
  }

  function movement(prev, id, rank) {
    const span = el('span', 'move');
    span.dataset.testid = 'move';
    const was = prev.get(id);
    const [text, cls] = was === undefined ? (prev.size ? ['new', 'new'] : ['', ''])
      : was > rank ? [`▲${was - rank}`, 'up'] : was < rank ? [`▼${rank - was}`, 'down'] : ['=', 'same'];
    span.textContent = text;
    if (cls) span.classList.add(cls);
    return span;
  }

  // Attributes come with the item when the engine sends them, else from /v1/items/{id} (cached).
  function fillAttributes(box, it) {
    const id = String(it.item);
    const show = (attrs) => {
      box.textContent = '';
      const entries = Object.entries(attrs || {});
      if (!entries.length) { box.append(el('span', 'muted', 'no attributes')); return; }
      for (const [k, v] of entries.slice(0, 6)) {
        const a = el('span', 'attr');
        a.append(el('span', 'k', k), el('span', 'v', String(v)));
        box.append(a);
      }
    };
    if (it.attributes) { show(it.attributes); return; }
    if (it.known === false) { show(null); return; }
    const cached = state.items.get(id);
    if (cached && cached.attributes) { show(cached.attributes); return; }
    box.append(el('span', 'muted', '…'));
    if (!cached) {
      const entry = { attributes: null, waiting: [] };
      state.items.set(id, entry);
      api('GET', `/v1/items/${id}`).then((r) => { entry.attributes = r.attributes || {}; })
        .catch(() => { entry.attributes = {}; })
        .finally(() => { for (const f of entry.waiting) f(entry.attributes); entry.waiting = []; });
    }
    state.items.get(id).waiting.push(show);
  }

  // ---------- calibration (reliability) plots ----------
  function niceMax(x) {
    if (!(x > 0)) return 1;
    const e = Math.pow(10, Math.floor(Math.log10(x)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= x) return Math.min(1, m * e);
    return 1;
  }

  function axes(svg, x0, y0, w, h, xmax, ymax, xfmt, yfmt, xlabel, ylabel) {
    svg.append(svgEl('line', { x1: x0, y1: y0, x2: x0 + w, y2: y0, class: 'axis' }));
    svg.append(svgEl('line', { x1: x0, y1: y0, x2: x0, y2: y0 - h, class: 'axis' }));
    for (const f of [0, 0.5, 1]) {
      svg.append(svgEl('text', { x: x0 + f * w, y: y0 + 13, class: 'tick', 'text-anchor': 'middle' }, xfmt(f * xmax)));
      svg.append(svgEl('text', { x: x0 - 4, y: y0 - f * h + 3, class: 'tick', 'text-anchor': 'end' }, yfmt(f * ymax)));
      if (f > 0) svg.append(svgEl('line', { x1: x0, y1: y0 - f * h, x2: x0 + w, y2: y0 - f * h, class: 'grid' }));
    }
    if (xlabel) svg.append(svgEl('text', { x: x0 + w / 2, y: y0 + 26, class: 'label', 'text-anchor': 'middle' }, xlabel));
    if (ylabel) {
      svg.append(svgEl('text', { x: 10, y: y0 - h / 2, class: 'label', 'text-anchor': 'middle',
                                 transform: `rotate(-90 10 ${y0 - h / 2})` }, ylabel));
    }
  }

  function drawCalibration(reliability) {
    const box = $('calibration');
    box.textContent = '';
    const heads = state.heads.length ? state.heads : Object.keys(reliability);
    for (const h of heads) {
      const bins = (reliability[h] || []).filter((b) => Number.isFinite(b.p) && Number.isFinite(b.rate));
      const fig = el('figure', 'calib');
      const W = 176, H = 176, x0 = 40, y0 = 144, w = 122, hh = 130;
      const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
                                 'aria-label': `calibration of ${h}`, 'data-testid': `calibration-${h}` });
      const m = niceMax(Math.max(0, ...bins.map((b) => Math.max(b.p, b.rate))));
      axes(svg, x0, y0, w, hh, m, m, (v) => fmt(v, 2), (v) => fmt(v, 2), 'predicted p', 'observed rate');
      svg.append(svgEl('line', { x1: x0, y1: y0, x2: x0 + w, y2: y0 - hh, class: 'diagonal' }));
      const X = (v) => x0 + (v / m) * w, Y = (v) => y0 - (v / m) * hh;
      if (bins.length) {
        const pts = bins.map((b) => `${X(b.p).toFixed(1)},${Y(b.rate).toFixed(1)}`).join(' ');
        svg.append(svgEl('polyline', { points: pts, class: 'reliability' }));
        const maxCount = Math.max(1, ...bins.map((b) => Number(b.count) || 0));
        for (const b of bins) {
          const r = 2 + 3 * Math.sqrt((Number(b.count) || 0) / maxCount);
          const c = svgEl('circle', { cx: X(b.p).toFixed(1), cy: Y(b.rate).toFixed(1), r: r.toFixed(1), class: 'bin' });
          c.append(svgEl('title', {}, `p ${fmt(b.p)} · rate ${fmt(b.rate)} · n ${b.count ?? '?'}`));
          svg.append(c);
        }
      } else {
        svg.append(svgEl('text', { x: x0 + w / 2, y: y0 - hh / 2, class: 'label', 'text-anchor': 'middle' }, 'no bins'));
      }
      fig.append(svg, el('figcaption', '', h));
      box.append(fig);
    }
  }

  // ---------- latency histogram ----------
  // counts may be per bucket or cumulative (Prometheus style), with or without a final +Inf
  // bucket; per-bucket counts are recognised by summing to the endpoint's request count.
  function perBucket(ep) {
    const counts = (ep.counts || []).map((c) => Number(c) || 0);
    const sum = counts.reduce((a, b) => a + b, 0);
    const monotone = counts.every((c, i) => i === 0 || c >= counts[i - 1]);
    if (Number.isFinite(ep.count) && sum !== ep.count && monotone && counts.length &&
        counts[counts.length - 1] === ep.count) {
      return counts.map((c, i) => (i === 0 ? c : c - counts[i - 1]));
    }
    return counts;
  }

  function drawLatency(stats) {
    const eps = (stats && stats.endpoints) || {}, ep = eps.recommend || eps['/v1/recommend'] || {};
    const bounds = ep.buckets_ms || [];
    const counts = perBucket(ep);
    const labels = counts.map((_, i) => (i < bounds.length ? `≤${fmt(Number(bounds[i]), 2)}` : `>${fmt(Number(bounds[bounds.length - 1]), 2)}`));
    const W = 520, H = 200, x0 = 46, y0 = 160, w = 460, hh = 140;
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
                               'aria-label': 'latency histogram', 'data-testid': 'latency-svg' });
    const maxC = Math.max(1, ...counts);
    const yfmt = (v) => (maxC >= 4 || v === 0 || v === maxC ? String(Math.round(v)) : '');
    axes(svg, x0, y0, w, hh, 0, maxC, () => '', yfmt, 'latency (ms, bucket upper bound)', 'requests');
    const n = Math.max(1, counts.length), bw = w / n;
    counts.forEach((c, i) => {
      const bh = (c / maxC) * hh;
      const r = svgEl('rect', { x: (x0 + i * bw + 1).toFixed(1), y: (y0 - bh).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
                                height: bh.toFixed(1), class: c > 0 ? 'hbar' : 'hbar zero' });
      r.append(svgEl('title', {}, `${labels[i]} ms: ${c}`));
      svg.append(r);
      if (n <= 24 || i % Math.ceil(n / 24) === 0) {
        svg.append(svgEl('text', { x: (x0 + (i + 0.5) * bw).toFixed(1), y: y0 + 12, class: 'tick small', 'text-anchor': 'middle' }, labels[i]));
      }
    });
    const box = $('latency');
    box.textContent = '';
    box.append(svg);
    $('latency-summary').textContent = ep.count === undefined ? 'no requests yet'
      : `${ep.count} request${ep.count === 1 ? '' : 's'} · ${ep.errors ?? 0} error${ep.errors === 1 ? '' : 's'} · p50 ${fmt(Number(ep.p50_ms), 2)} ms · p99 ${fmt(Number(ep.p99_ms), 2)} ms`;
  }

  async function refreshStats() {
    try {
      drawLatency(await api('GET', '/v1/stats'));
    } catch (e) {
      showError(e);
    }
  }
  const refreshStatsSoon = debounce(refreshStats, 300);

  // ---------- wiring ----------
  function wire() {
    $('query-form').addEventListener('submit', (ev) => { ev.preventDefault(); recommend(); });
    $('user-select').addEventListener('change', (ev) => {
      if (ev.target.value) { $('user-input').value = ev.target.value; recommend(); }
    });
    $('item-select').addEventListener('change', (ev) => {
      $('item-input').value = ev.target.value;
      recommend();
    });
    $('reset-weights').addEventListener('click', () => {
      state.weights = { ...state.defaultWeights };
      buildSliders();
      recommend();
    });
  }

  async function main() {
    wire();
    drawLatency(null);
    try {
      await loadBundle();
    } catch (e) {
      showError(e);
      return;
    }
    await recommend();
    setInterval(refreshStats, 3000);
  }
  main();
})();
