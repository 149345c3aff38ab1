// Starts a server, waits until it is ready, runs page_test.mjs against it, stops the server.
// Used by ctest (tests/web/CMakeLists.txt); works for the mock and for the real `reco serve`.
//
// usage: node run_page_test.mjs --screenshot OUT.png [--ready /readyz] -- SERVER_CMD ARGS...
//   "{PORT}" in SERVER_CMD/ARGS is replaced by a free loopback port picked here.
// Exit: page_test's code (0 pass, 1 fail), 77 (skip) when Chromium or node_modules is missing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const opts = sep >= 0 ? argv.slice(0, sep) : argv;
const serverCmd = sep >= 0 ? argv.slice(sep + 1) : [];
const opt = (name, dflt) => { const i = opts.indexOf(name); return i >= 0 ? opts[i + 1] : dflt; };
const screenshot = opt('--screenshot', '');
const readyPath = opt('--ready', '/readyz');
const readyTimeoutMs = Number(opt('--ready-timeout', '30')) * 1000;

if (!fs.existsSync(CHROMIUM)) {
  console.log(`SKIP: no Chromium at ${CHROMIUM} (Debian package chromium)`);
  process.exit(77);
}
if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
  console.log(`SKIP: ${path.join(here, 'node_modules')} missing: run tests/web/setup.sh`);
  process.exit(77);
}
if (!serverCmd.length) {
  console.log('FAIL: no server command after --');
  process.exit(1);
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const cmd = serverCmd.map((a) => a.replaceAll('{PORT}', String(port)));
const server = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
let exited = null;
server.stdout.on('data', (d) => { serverLog += d; });
server.stderr.on('data', (d) => { serverLog += d; });
server.on('exit', (code, sig) => { exited = sig || code; });
server.on('error', (e) => { exited = e.message; });
const stop = () => { if (exited === null) server.kill('SIGTERM'); };
process.on('exit', stop);

const base = `http://127.0.0.1:${port}`;
const t0 = Date.now();
let ready = false;
while (!ready && exited === null && Date.now() - t0 < readyTimeoutMs) {
  try {
    ready = (await fetch(base + readyPath)).ok;
  } catch (_) { /* not listening yet */ }
  if (!ready) await sleep(100);
}
if (!ready) {
  const why = exited !== null ? `exited (${exited})` : `not ready after ${readyTimeoutMs / 1000} s`;
  console.log(`FAIL: server ${cmd.join(' ')} ${why}: ${serverLog.trim().split('\n').slice(-3).join(' | ')}`);
  process.exit(1);
}

const test = spawn(process.execPath, [path.join(here, 'page_test.mjs'), base, ...(screenshot ? [screenshot] : [])],
                   { stdio: 'inherit' });
const code = await new Promise((resolve) => test.on('exit', (c) => resolve(c ?? 1)));
stop();
process.exit(code);
