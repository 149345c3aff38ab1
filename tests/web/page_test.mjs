// Browser test of the reco serve web page in headless Chromium (playwright-core drives the
// Debian /usr/bin/chromium; no browser download). Works against any server that speaks the
// /v1 API: the mock (tests/web/mock_server.mjs) or the real `reco serve` — only BASE_URL differs.
//
// usage: node page_test.mjs [BASE_URL] [SCREENSHOT.png]
//   env: BASE_URL, SCREENSHOT (argv wins), CHROMIUM (default /usr/bin/chromium)
// Exit 0 on success, 1 with one line "FAIL: <reason>" otherwise, 77 when it cannot run (skip).
import fs from 'node:fs';
import path from 'node:path';

const BASE_URL = (process.argv[2] || process.env.BASE_URL || 'http://127.0.0.1:8099').replace(/\/$/, '');
const SCREENSHOT = process.argv[3] || process.env.SCREENSHOT || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15000;

class Failure extends Error {}
const check = (cond, msg) => { if (!cond) throw new Failure(msg); };

async function loadPlaywright() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`SKIP: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
    process.exit(77);
  }
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    console.log('SKIP: playwright-core missing: run tests/web/setup.sh (npm ci in tests/web)');
    process.exit(77);
  }
}

const order = (page) => page.$$eval('[data-testid=card]', (cs) => cs.map((c) => c.dataset.item));

// Move the slider of `head` with the keyboard (End = max, Home = min, as a person would) and
// wait until the cards drawn are the answer to a request carrying that weight.
async function moveSlider(page, requests, head, key) {
  const slider = page.locator(`[data-testid="weight-${head}"]`);
  const target = Number(await slider.getAttribute(key === 'End' ? 'max' : 'min'));
  if (Number(await slider.inputValue()) === target) return null;  // already there
  const before = requests.length;
  await slider.focus();
  await slider.press(key);
  await page.waitForFunction(([h, v]) => {
    const d = document.querySelector('[data-testid=cards]').dataset.weights;
    return d && JSON.parse(d)[h] === v;
  }, [head, target], { timeout: TIMEOUT });
  const sent = requests.slice(before).map((r) => JSON.parse(r));
  check(sent.length > 0, `moving weight-${head} sent no /v1/recommend request`);
  const last = sent[sent.length - 1];
  check(last.weights && last.weights[head] === target,
        `request after moving weight-${head} carried weights ${JSON.stringify(last.weights)}, expected ${head}=${target}`);
  return target;
}

async function run(page, consoleErrors, requests) {
  const resp = await page.goto(`${BASE_URL}/`, { waitUntil: 'load', timeout: TIMEOUT });
  check(resp && resp.ok(), `GET / answered ${resp && resp.status()}`);
  check((resp.headers()['content-type'] || '').startsWith('text/html'), `GET / content-type ${resp.headers()['content-type']}`);

  await page.waitForSelector('[data-testid=card]', { timeout: TIMEOUT });
  const version = (await page.textContent('[data-testid=bundle-version]')).trim();
  check(version && version !== '…' && version !== '?', `bundle version not shown ("${version}")`);
  check(await page.locator('[data-testid=error-box]').isHidden(), 'error box visible after load: ' +
        await page.textContent('[data-testid=error-box]'));

  // Every card shows every head with a probability in [0, 1].
  const heads = await page.$$eval('[data-testid^="weight-"][type=range]', (s) => s.map((x) => x.dataset.head));
  check(heads.length > 0, 'no weight sliders');
  const cards = await page.$$eval('[data-testid=card]', (cs) => cs.map((c) => ({
    item: c.dataset.item,
    probs: [...c.querySelectorAll('[data-testid^="prob-"]')].map((r) => [r.dataset.testid.slice(5), Number(r.dataset.p)]),
  })));
  check(cards.length > 1, `only ${cards.length} card(s); need 2+ to see a ranking change`);
  for (const c of cards) {
    const got = c.probs.map(([h]) => h).join(',');
    check(got === heads.join(','), `card ${c.item} heads [${got}] != sliders [${heads}]`);
    for (const [h, p] of c.probs) check(p >= 0 && p <= 1, `card ${c.item} p(${h}) = ${p} not in [0, 1]`);
  }

  // A bad request shows the API's error in the error box (k out of range -> 400, field k).
  await page.fill('[data-testid=k-input]', '0');
  await page.click('[data-testid=submit]');
  await page.waitForSelector('[data-testid=error-box]:not([hidden])', { timeout: TIMEOUT })
    .catch(() => { throw new Failure('k=0 showed no error'); });
  const err = await page.textContent('[data-testid=error-box]');
  check(/\bk\b/.test(err), `error box does not name field k: "${err}"`);
  await page.fill('[data-testid=k-input]', '10');
  await page.click('[data-testid=submit]');
  await page.waitForSelector('[data-testid=error-box][hidden]', { state: 'attached', timeout: TIMEOUT });

  // One slider to an extreme must reorder the list. Try heads in turn (max, then min), so a
  // bundle whose first head is dominated elsewhere still gets a fair test.
  const initial = await order(page);
  let changed = null;
  for (const h of heads) {
    for (const key of ['End', 'Home']) {
      const v = await moveSlider(page, requests, h, key);
      if (v === null) continue;
      const now = await order(page);
      if (now.join(',') !== initial.join(',')) { changed = { h, v, now }; break; }
    }
    if (changed) break;
    await page.click('[data-testid=reset-weights]');
    await page.waitForFunction((o) => document.querySelector('[data-testid=cards]').dataset.order === o,
                               initial.join(','), { timeout: TIMEOUT });
  }
  check(changed, `no single weight slider at an extreme changed the ranking [${initial.join(',')}]`);
  const moves = await page.$$eval('[data-testid=move]', (ms) => ms.map((m) => m.textContent.trim()).filter((t) => t && t !== '='));
  check(moves.length > 0, 'ranking changed but no rank-movement arrow is shown');

  // Calibration plot per head and a latency histogram with bars.
  for (const h of heads) {
    const n = await page.locator(`[data-testid="calibration-${h}"] circle`).count();
    check(n > 0, `calibration SVG of ${h} has no points`);
    check(await page.locator(`[data-testid="calibration-${h}"] line.diagonal`).count() === 1, `calibration SVG of ${h} has no diagonal`);
  }
  await page.waitForSelector('[data-testid=latency-svg] rect.hbar:not(.zero)', { timeout: TIMEOUT })
    .catch(() => { throw new Failure('latency histogram has no non-empty bar'); });

  // The 400 above is expected; Chromium logs it as "Failed to load resource" — drop only that one.
  const errors = [...consoleErrors];
  const i400 = errors.findIndex((e) => /status of 400/.test(e));
  if (i400 >= 0) errors.splice(i400, 1);
  check(errors.length === 0, `console errors: ${errors.join(' | ').slice(0, 300)}`);
  return `${cards.length} cards, ${heads.length} heads, weight ${changed.h}=${changed.v} reordered the list, version ${version}`;
}

async function main() {
  const chromium = await loadPlaywright();
  const args = ['--disable-gpu', '--disable-dev-shm-usage'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  let code = 1;
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const consoleErrors = [];
    const requests = [];
    page.on('console', (m) => {
      // The browser's own /favicon.ico probe is not the page's doing (the page has no icon).
      if (m.type() === 'error' && !/\/favicon\.ico$/.test(m.location().url || '')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/recommend')) requests.push(r.postData() || '{}');
    });
    try {
      const summary = await run(page, consoleErrors, requests);
      console.log(`PASS: ${summary}`);
      code = 0;
    } catch (e) {
      console.log(`FAIL: ${e instanceof Failure ? e.message : String(e && e.stack || e).split('\n')[0]}`);
    }
    if (SCREENSHOT) {
      await page.waitForTimeout(600);  // let the post-request /v1/stats refresh land in the picture
      fs.mkdirSync(path.dirname(path.resolve(SCREENSHOT)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`screenshot: ${path.resolve(SCREENSHOT)}`);
    }
  } finally {
    await browser.close();
  }
  process.exit(code);
}

main().catch((e) => { console.log(`FAIL: ${String(e && e.message || e).split('\n')[0]}`); process.exit(1); });
