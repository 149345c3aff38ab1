// A stand-in for `reco serve` while developing and testing the web page: serves the page files
// from src/reco/serve/web and answers the /v1 API (docs/api.md shapes) with deterministic fake
// data. The ranking really depends on the request's "weights" (each head favours different
// items), so a page that ignores the sliders fails tests/web/page_test.mjs.
//
// usage: node mock_server.mjs [--port N] [--host 127.0.0.1]   (prints "listening <url>")
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_DIR = process.env.RECO_WEB_DIR || path.resolve(here, '../../src/reco/serve/web');
const VERSION = 'mock-20240101-0001';
const HEADS = ['closeup', 'click', 'long_click', 'save'];
const WEIGHTS = { closeup: 1, click: 2, long_click: 4, save: 4 };
const N_ITEMS = 400;
const N_USERS = 1000;
const SOURCES = ['pixie', 'cooc', 'twotower', 'popular'];
const BUCKETS_MS = [0.25, 0.5, 1, 2, 4, 8, 16, 32];

// Deterministic hash -> [0, 1).
function unit(...xs) {
  let h = 2166136261;
  for (const x of xs) {
    const s = String(x);
    for (let i = 0; i < s.length; ++i) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x9e37, 16777619);
  }
  h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d); h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}
const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const BASE = { closeup: -1.5, click: -3.0, long_click: -4.0, save: -4.5 };

function itemAttributes(id) {
  return { category: String(id % 12), brand: `b${Math.floor(unit('brand', id) * 30)}`, price_band: ['low', 'mid', 'high'][id % 3] };
}

function probs(user, query, ctx, id) {
  const p = {};
  for (const h of HEADS) {
    const z = BASE[h] + 2.2 * (unit(h, 'item', id) - 0.5) + 1.2 * (unit(h, 'user', user, id % 12) - 0.5) +
              (query !== null && id % 12 === query % 12 ? 0.6 : 0) + (ctx.platform === 'ios' && h === 'save' ? 0.3 : 0);
    p[h] = Number(sigmoid(z).toFixed(5));
  }
  return p;
}

const stats = { count: 0, errors: 0, counts: new Array(BUCKETS_MS.length + 1).fill(0), lat: [] };
function record(ms, error) {
  stats.count += 1;
  if (error) stats.errors += 1;
  let b = BUCKETS_MS.findIndex((u) => ms <= u);
  if (b < 0) b = BUCKETS_MS.length;
  stats.counts[b] += 1;
  stats.lat.push(ms);
}
const quantile = (xs, q) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

class BadRequest extends Error {
  constructor(status, code, message, field) { super(message); Object.assign(this, { status, code, field }); }
}
function uid(v, field, required) {
  if (v === undefined || v === null) {
    if (required) throw new BadRequest(400, 'invalid_argument', `${field} is required`, field);
    return null;
  }
  if (!Number.isInteger(v) || v < 0) throw new BadRequest(400, 'invalid_argument', `${field} must be an unsigned integer id`, field);
  return v;
}

function recommend(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest(400, 'invalid_argument', 'body must be a JSON object', '');
  }
  const user = uid(body.user, 'user', false);
  const query = uid(body.item, 'item', false);
  if (user === null && query === null) throw new BadRequest(400, 'invalid_argument', 'one of user / item is required', 'user');
  const k = body.k === undefined ? 10 : body.k;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new BadRequest(400, 'invalid_argument', 'k must be in 1..1000', 'k');
  const w = { ...WEIGHTS };
  for (const [h, v] of Object.entries(body.weights || {})) {
    if (!HEADS.includes(h)) throw new BadRequest(400, 'invalid_argument', `unknown head "${h}"`, `weights.${h}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequest(400, 'invalid_argument', 'weight must be a finite number', `weights.${h}`);
    w[h] = v;
  }
  const ctx = body.context || {};
  const notes = [];
  const seed = user !== null ? `u${user}` : `q${query}`;
  if (user !== null && user >= N_USERS) notes.push(`unknown user ${user}: candidates from popular items only`);
  const cands = [];
  for (let id = 1; id <= N_ITEMS; ++id) if (unit('cand', seed, id) < 0.3) cands.push(id);
  const scored = cands.map((id) => {
    const p = probs(user ?? 0, query, ctx, id);
    const utility = HEADS.reduce((s, h) => s + w[h] * p[h], 0);
    const srcs = SOURCES.filter((s) => unit('src', s, seed, id) < 0.35);
    return { item: id, utility: Number(utility.toFixed(6)), p, sources: srcs.length ? srcs : ['popular'],
             memboost: unit('mb', seed, id) < 0.2 ? Number((unit('mbv', id) * 0.1).toFixed(4)) : 0, known: true };
  });
  scored.sort((a, b) => b.utility - a.utility || a.item - b.item);
  const items = scored.slice(0, k).map((it, i) => ({ rank: i + 1, ...it }));
  return {
    bundle_version: VERSION, heads: HEADS, weights: HEADS.map((h) => w[h]), items,
    stage_ms: { candidates: 0.41, features: 0.22, memboost: 0.08, rank: 1.12, total: 1.9 }, notes,
  };
}

function reliability() {
  const out = {};
  for (const h of HEADS) {
    const top = sigmoid(BASE[h] + 1.5);
    out[h] = Array.from({ length: 10 }, (_, i) => {
      const p = top * (i + 0.5) / 10;
      return { p: Number(p.toFixed(5)), rate: Number((p * (0.8 + 0.4 * unit('rel', h, i))).toFixed(5)),
               count: Math.round(5000 * Math.exp(-i / 3)) };
    });
  }
  return out;
}

function bundle() {
  return {
    version: VERSION, bundle_version: VERSION, created: '2024-01-01T00:00:00Z', heads: HEADS, weights: WEIGHTS,
    sources: SOURCES.map((s) => ({ label: s, kind: s, quota: 300 })), items: N_ITEMS, users: N_USERS,
    sample_users: Array.from({ length: 20 }, (_, i) => 3 + 7 * i), sample_items: Array.from({ length: 20 }, (_, i) => 5 + 11 * i),
    reliability: reliability(),
  };
}

function statsBody() {
  return {
    bundle_version: VERSION,
    endpoints: { recommend: { count: stats.count, errors: stats.errors, p50_ms: quantile(stats.lat, 0.5),
                              p99_ms: quantile(stats.lat, 0.99), buckets_ms: BUCKETS_MS, counts: stats.counts } },
    stages: {},
  };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'X-Reco-Bundle-Version': VERSION });
  res.end(body);
}

function handle(req, res, body) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (req.method === 'GET' && (p === '/' || p in { '/index.html': 1, '/app.js': 1, '/style.css': 1 })) {
    const file = p === '/' ? 'index.html' : p.slice(1);
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] });
    res.end(fs.readFileSync(path.join(WEB_DIR, file)));
    return;
  }
  if (p === '/healthz') return send(res, 200, { status: 'ok' });
  if (p === '/readyz') return send(res, 200, { status: 'ready', bundle_version: VERSION });
  if (req.method === 'GET' && p === '/v1/bundle') return send(res, 200, bundle());
  if (req.method === 'GET' && p === '/v1/stats') return send(res, 200, statsBody());
  const m = /^\/v1\/items\/(\d+)$/.exec(p);
  if (req.method === 'GET' && m) {
    const id = Number(m[1]);
    if (id < 1 || id > N_ITEMS) return send(res, 404, { error: { code: 'not_found', message: `unknown item ${m[1]}`, field: 'id' } });
    return send(res, 200, { bundle_version: VERSION, item: id, attributes: itemAttributes(id), features: {} });
  }
  if (req.method === 'POST' && p === '/v1/recommend') {
    const t0 = process.hrtime.bigint();
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      record(0.1, true);
      return send(res, 400, { error: { code: 'parse', message: `invalid JSON: ${e.message}`, field: '' } });
    }
    try {
      const out = recommend(parsed);
      // Real compute time plus a deterministic spread, so the histogram has a shape.
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 + 4 * unit('lat', stats.count) ** 2;
      record(ms, false);
      return send(res, 200, out);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      record(0.1, true);
      return send(res, e.status, { error: { code: e.code, message: e.message, field: e.field } });
    }
  }
  send(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${p}`, field: '' } });
}

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const port = Number(opt('--port', process.env.PORT || 8099));
const host = opt('--host', '127.0.0.1');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      send(res, 500, { error: { code: 'internal', message: String(e && e.message), field: '' } });
    }
  });
});
recommend({ user: 1 });  // warm up the JIT so the first measured request is not an outlier
server.listen(port, host, () => {
  console.log(`listening http://${host}:${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
