// Timings of the dashboard (issue 19), run by hand — not part of scripts/test:
//   tests/harness/env-up timings BUILD_DIR && tests/browser/load-demo-data BUILD_DIR/itest/timings.env
//   node tests/browser/timings.mjs BUILD_DIR/itest/timings.env [RUNS]
//   tests/harness/env-down timings BUILD_DIR
// Measures, in headless chromium on loopback and with the browser's own throttling (DevTools
// Network.emulateNetworkConditions: 4 Mbit/s down and up, 100 ms latency):
//   - sign-in to the first figure: from the click on "Aanmelden" to the first chart in the view;
//   - a reload into a view (the address holds the view and its choices, the tab the token): from
//     the reload to the first chart, with the browser's cache warm (the static files revalidated:
//     304) and empty (Network.clearBrowserCache before each);
//   - bytes on that reload: the sum of every response's encoded length (headers included).
// Prints one line per measurement (the median of RUNS, default 5) and a Markdown table.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const envFile = process.argv[2];
if (!envFile) { console.error('usage: node timings.mjs ENV_FILE [RUNS]'); process.exit(2); }
const RUNS = Number(process.argv[3] || 5);
const env = {};
for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
  const i = line.indexOf('=');
  if (i > 0 && !line.startsWith('#')) env[line.slice(0, i)] = line.slice(i + 1);
}
const BASE = env.TRECHTER_URL;
const PERIOD = env.DEMO_PERIOD;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic'];
const NETWORKS = {
  loopback: null,
  '4 Mbit/s, 100 ms': { offline: false, latency: 100, downloadThroughput: 4e6 / 8, uploadThroughput: 4e6 / 8 },
};
const CASES = [
  { name: 'rapporteur, compare', token: env.TOKEN_DEMO, hash: `#compare?period=${PERIOD}&set=safetyRegion&stage=reported&metric=per10k` },
  { name: 'Rotterdam, networks', token: env.TOKEN_DEMO_GM0599 || env.TOKEN_GM0599, hash: `#networks?period=${PERIOD}&set=municipality&region=GM0599` },
];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function withBrowser(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trechter-timings-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, ignoreHTTPSErrors: true,
    viewport: { width: 1440, height: 1000 }, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', args: ARGS,
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0, requests = 0, notModified = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
    cdp.on('Network.responseReceived', (e) => { if (e.response.status === 304) notModified += 1; });
    const counters = { reset() { bytes = 0; requests = 0; notModified = 0; }, get() { return { bytes, requests, notModified }; } };
    return await fn(page, cdp, counters);
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function throttle(cdp, conditions) {
  await cdp.send('Network.emulateNetworkConditions', conditions || { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

const firstFigure = (page) => page.waitForSelector('#view svg.chart', { timeout: 60000 });

async function signInToFigure(c, conditions) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    times.push(await withBrowser(async (page, cdp) => {
      await page.goto(`${BASE}/${c.hash}`);
      await page.waitForSelector('#signin:not([hidden])');
      await throttle(cdp, conditions);
      await page.fill('#token', c.token);
      const t0 = Date.now();
      await page.click('#signin-form button[type=submit]');
      await firstFigure(page);
      return Date.now() - t0;
    }));
  }
  return { ms: median(times) };
}

async function reloadToFigure(c, conditions, warm) {
  const times = [], sizes = [], reqs = [], n304 = [];
  await withBrowser(async (page, cdp, counters) => {
    await page.addInitScript((tok) => { try { sessionStorage.setItem('trechter.token', tok); } catch { /* ignore */ } }, c.token);
    await throttle(cdp, conditions);
    await page.goto(`${BASE}/${c.hash}`);
    await firstFigure(page);
    await page.waitForLoadState('networkidle').catch(() => {});
    for (let i = 0; i < RUNS; i++) {
      if (!warm) await cdp.send('Network.clearBrowserCache');
      counters.reset();
      const t0 = Date.now();
      await page.reload({ waitUntil: 'commit' }); // a new document: the old figure is gone
      await firstFigure(page);
      times.push(Date.now() - t0);
      await page.waitForLoadState('networkidle').catch(() => {});
      const got = counters.get();
      sizes.push(got.bytes);
      reqs.push(got.requests);
      n304.push(got.notModified);
    }
  });
  return { ms: median(times), bytes: median(sizes), requests: median(reqs), notModified: median(n304) };
}

const rows = [];
for (const [net, conditions] of Object.entries(NETWORKS)) {
  for (const c of CASES) {
    const s = await signInToFigure(c, conditions);
    rows.push({ net, case: c.name, what: 'sign-in → first figure', ms: s.ms });
    const warm = await reloadToFigure(c, conditions, true);
    rows.push({ net, case: c.name, what: 'reload (cache warm) → first figure', ...warm });
    const cold = await reloadToFigure(c, conditions, false);
    rows.push({ net, case: c.name, what: 'reload (cache empty) → first figure', ...cold });
    for (const r of rows.slice(-3)) console.log(JSON.stringify(r));
  }
}
console.log(`\n| network | who, view | what | median ms (${RUNS} runs) | bytes | requests (304) |`);
console.log('|---|---|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.net} | ${r.case} | ${r.what} | ${r.ms} | ${r.bytes != null ? r.bytes.toLocaleString('en') : '–'} | ${r.requests != null ? `${r.requests} (${r.notModified})` : '–'} |`);
}
