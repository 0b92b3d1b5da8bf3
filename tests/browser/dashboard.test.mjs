// Browser tests of the dashboard (issues 8 and 19): Debian's chromium, headless, driven by
// playwright-core, against a real daemon with SYNTHETIC demo data (tests/browser/run sets that up).
//
// Usage: node dashboard.test.mjs ENV_FILE
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOTS (directory for the screenshots of
// every view: VIEW.png at 1440 px, VIEW-390.png at 390 px, whole page; default
// tests/browser/artifacts), ARTIFACTS (downloads, failure screenshots).
//
// Checks: the static files' headers (strict CSP, Content-Type, ETag and 304, gzip when accepted,
// every module preloaded); sign-in with a wrong and a right token, focus after it, the token in
// sessionStorage and in no URL; every view for each of the three roles (rapporteur, analyst, a
// municipality) at 1440 and 390 px: axe-core finds no violation, no chart text is drawn under
// 11 px, the page never scrolls sideways at 390 px; numbers drawn equal the API's for the same
// query; CSV downloads hold the table plus period, protection, figures and source; chart PNG and
// SVG downloads; a copied link and a reload reproduce the view; only quarters with figures are
// offered; the map is one tab stop with arrow keys and a search box; print shows every table row
// and a header; the database stopped while the page loads, and the view recovers without a
// reload once it is back; the first figure after at most two round trips; the municipal start
// page; the English switch; no console errors, no failed requests, no request to another host.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const envFile = process.argv[2];
if (!envFile) { console.error('usage: node dashboard.test.mjs ENV_FILE'); process.exit(2); }
const env = {};
for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
  const i = line.indexOf('=');
  if (i > 0 && !line.startsWith('#')) env[line.slice(0, i)] = line.slice(i + 1);
}
const BASE = env.TRECHTER_URL;
const ORIGIN = new URL(BASE).origin;
const CA = fs.readFileSync(env.TRECHTER_CACERT);
const PERIOD = env.DEMO_PERIOD;
const FIRST = env.DEMO_FIRST_PERIOD;
const MISSING = (env.DEMO_MISSING || '').split(' ').filter(Boolean);
const TOKEN = env.TOKEN_DEMO;
const ANALYST = env.TOKEN_DEMO_ANALYST || env.TOKEN_ANALYST;
const ROTTERDAM = env.TOKEN_DEMO_GM0599 || env.TOKEN_GM0599;
const SHOTS = process.env.SCREENSHOTS || path.join(HERE, 'artifacts');
const ARTIFACTS = process.env.ARTIFACTS || path.join(HERE, 'artifacts');
fs.mkdirSync(SHOTS, { recursive: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const AXE = fs.readFileSync(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
// load-demo-data releases every quarter where the server has releases (design §8)
const RELEASES = (await (async () => { try { return (await api('/v1/releases', env.TOKEN_RAPPORTEUR)).status === 200; } catch { return false; } })());
const VIEWS = ['funnel', 'compare', 'trends', 'map', 'networks', 'completeness'];

/** GET from the daemon outside the browser (the test's own view of the API). */
function api(p, token = TOKEN, headers = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    const req = https.get(BASE + p, { ca: CA, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, raw, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
  });
}
const apiJson = async (p, token) => {
  const r = await api(p, token);
  assert.equal(r.status, 200, `GET ${p} -> ${r.status} ${r.body.slice(0, 200)}`);
  return r.json();
};

const results = [];
let page;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, e });
    console.log(`  FAIL ${name}: ${e && e.message ? e.message.split('\n').slice(0, 60).join('\n       ') : e}${e && e.stack ? `\n       ${e.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 3).join('\n       ')}` : ''}`);
    try { await page.screenshot({ path: path.join(ARTIFACTS, `failed-${name.replace(/\W+/g, '-').slice(0, 80)}.png`), fullPage: true }); } catch { /* ignore */ }
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trechter-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: true, // the daemon's certificate is from a throwaway development CA
  acceptDownloads: true,
  viewport: { width: 1440, height: 1000 },
  locale: 'nl-NL',
  timezoneId: 'Europe/Amsterdam',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);

const consoleErrors = [];
const outside = [];
const failedRequests = [];
const allUrls = [];
const responses = new Map();
// Chromium logs every 4xx/5xx answer as a console error: those the tests provoke on purpose (a
// wrong token, a mocked 404 for /v1/networks, 503s while the database is stopped) are expected
// while `expecting` names their status.
let expecting = [];
function watch(p) {
  p.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    if (expecting.some((s) => m.text().includes(`status of ${s} `))) return;
    if (expecting.includes('net') && /ERR_|Failed to load resource/.test(m.text())) return;
    consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  p.on('requestfailed', (r) => failedRequests.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
  p.on('response', (r) => responses.set(new URL(r.url()).pathname, { status: r.status(), headers: r.headers() }));
}
watch(page);
context.on('request', (r) => {
  const u = r.url();
  allUrls.push(u);
  if (!(u.startsWith(`${ORIGIN}/`) || u.startsWith('blob:') || u.startsWith('data:'))) outside.push(u);
});

const ready = (view, p = page) => p.waitForSelector(`#view[data-view="${view}"][data-ready="true"]`);
async function openView(view, p = page) {
  await p.click(`#tab-${view}`);
  await ready(view, p);
}
async function goHash(hash, view, p = page) {
  await p.evaluate((h) => { location.hash = h; }, hash);
  await p.waitForFunction((v) => {
    const el = document.querySelector('#view');
    return el.dataset.view === v && el.dataset.ready === 'true';
  }, view);
}
async function pick(name, value, p = page) {
  const sel = p.locator(`#view [data-picker="${name}"]`);
  await sel.selectOption(value);
  await p.waitForSelector(`#view[data-ready="true"] [data-picker="${name}"]`);
  await p.waitForFunction(() => document.querySelector('#view').dataset.ready === 'true');
}
async function signIn(p, token) {
  await p.goto(`${BASE}/`);
  await p.waitForSelector('#signin:not([hidden])');
  await p.fill('#token', token);
  await p.click('#signin-form button[type=submit]');
  await p.waitForSelector('#view[data-ready="true"]');
}
async function download(selector, p = page) {
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click(selector)]);
  const file = path.join(ARTIFACTS, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), raw: fs.readFileSync(file), text: fs.readFileSync(file, 'utf8') };
}
const downloadCsv = (selector = '#view [data-csv="comma"]', p = page) => download(selector, p);
const close = (a, b, msg) => assert.ok(Math.abs(Number(a) - Number(b)) < 1e-9, `${msg}: drawn ${a}, API ${b}`);

/** Splits one RFC 4180 line (no embedded newlines in our files). */
function csvCells(line, sep = ',') {
  const out = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) { if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; }
    else if (c === '"') q = true; else if (c === sep) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}
/** The four provenance columns every CSV ends with: period, protection, figures (live), source. */
function checkProvenance(text, { period, isProtected, release, sep = ',' }) {
  const lines = text.replace(/^\ufeff/, '').trim().split('\r\n');
  const head = csvCells(lines[0], sep);
  assert.deepEqual(head.slice(-4), ['Periode', 'Bescherming', 'Cijfers', 'Bron'], `provenance headings: ${lines[0]}`);
  for (const line of lines.slice(1)) {
    const c = csvCells(line, sep).slice(-4);
    if (period) assert.equal(c[0], period, line);
    assert.match(c[0], /^\d{4}-Q[1-4]$/, line);
    if (isProtected !== undefined) assert.match(c[1], isProtected ? /^beschermd/ : /^ruw/, `protection of ${line}`);
    assert.match(c[2], /^(live, opgehaald|release (per kwartaal, laatste )?\d{4}-Q[1-4]-r\d+ \((final|provisional)\)) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, line);
    if (release !== undefined) assert.equal(c[2].startsWith('release'), release, `released or live: ${line}`);
    assert.ok(c[3].startsWith(`trechter ${ORIGIN}/#`), line);
  }
  return lines;
}

/** axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays on). */
async function axe(p, what) {
  if (!(await p.evaluate(() => !!window.axe))) await p.evaluate(AXE);
  const res = await p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(res, [], `axe on ${what}:\n${res.join('\n')}`);
}
/** Chart text drawn under 11 CSS px (its font size times the SVG's scale on screen). */
async function smallText(p) {
  return p.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('#view svg text')) {
      if (!el.getClientRects().length || !el.textContent.trim()) continue;
      const m = el.getScreenCTM();
      const scale = m ? Math.hypot(m.a, m.b) : 1;
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      if (px < 11) bad.push(`${el.textContent.slice(0, 30)}: ${px.toFixed(1)} px`);
    }
    return bad;
  });
}
const sideways = (p) => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

console.log(`dashboard browser tests against ${BASE} (period ${PERIOD})`);

await step('static files: strict CSP, Content-Type, ETag and 304, gzip when accepted, every module preloaded', async () => {
  const index = await api('/', null);
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-security-policy'], CSP);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
  for (const [file, type] of [['app.js', /^text\/javascript/], ['style.css', /^text\/css/], ['nl-2023.topo.json', /^application\/json/], ['icon.svg', /^image\/svg\+xml/]]) {
    const r = await api(`/dashboard/${file}`, null);
    assert.equal(r.status, 200, file);
    assert.match(r.headers['content-type'], type, file);
    assert.equal(r.headers['content-security-policy'], CSP, file);
    assert.equal(r.headers['cache-control'], 'no-cache', file);
    assert.match(r.headers.etag, /^"[0-9a-f]{32}"$/, file);
    const again = await api(`/dashboard/${file}`, null, { 'If-None-Match': r.headers.etag });
    assert.equal(again.status, 304, `${file} revalidated`);
    assert.equal(again.raw.length, 0);
  }
  const gz = await api('/dashboard/nl-2023.topo.json', null, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  const plain = await api('/dashboard/nl-2023.topo.json', null);
  assert.ok(gz.raw.length < plain.raw.length / 2, `gzip ${gz.raw.length} of ${plain.raw.length} bytes`);
  assert.ok(zlib.gunzipSync(gz.raw).equals(plain.raw), 'the gzip copy is the file');
  assert.equal((await api('/dashboard/missing.js', null)).status, 404);
  assert.equal((await api('/dashboard/.app.js', null)).status, 404, 'hidden file');
  assert.equal((await api('/dashboard/app.ts', null)).status, 404, 'unknown kind');
  assert.equal((await api('/dashboard/app.js.gz', null)).status, 404, 'the gzip copy has no URL of its own');
  assert.equal((await api('/dashboard', null)).status, 404);
  // every module any script imports is preloaded by index.html (so all arrive in one round trip)
  const html = index.body;
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="\/dashboard\/([^"]+)">/g)].map((m) => m[1]));
  const dir = path.join(HERE, '..', '..', 'dashboard');
  const imported = new Set(['app.js', 'address.js']);
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.js'))) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^import .* from '\.\/([^']+)';$/gm)) imported.add(m[1]);
  }
  for (const f of imported) assert.ok(preloaded.has(f), `${f} is imported but not preloaded`);
});

await step('sign-in: a wrong token is refused, the right one shows who, role and protection; focus on the view', async () => {
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  await page.screenshot({ path: path.join(SHOTS, 'signin.png') });
  expecting = [401];
  await page.fill('#token', 'trt_not-a-real-token');
  // who is signed in and the quarters with figures are asked for at once: both get 401
  const refused = Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/me'),
    page.waitForResponse((r) => r.url().includes('/v1/funnels?from=2015-Q1'))]);
  await page.click('#signin-form button[type=submit]');
  await refused;
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0);
  assert.equal(await page.textContent('#signin-error'), 'Dit token wordt niet geaccepteerd (ongeldig, verlopen of ingetrokken).');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), null);
  expecting = [];
  await page.fill('#token', TOKEN);
  await page.click('#signin-form button[type=submit]');
  await ready('funnel');
  const me = await apiJson('/v1/me');
  assert.equal(await page.textContent('[data-me="label"]'), me.label);
  assert.equal(await page.textContent('[data-me="role"]'), 'Rapporteur');
  assert.equal(await page.textContent('[data-me="protected"]'), me.protected ? 'Beschermde cijfers' : 'Ruwe cijfers');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'h-funnel', 'focus after sign-in');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), TOKEN);
  assert.ok(!page.url().includes(TOKEN), 'token in the page URL');
  // the choices are in the address; a reload keeps the session (sessionStorage) and the view
  assert.match(page.url(), new RegExp(`#funnel\\?period=${PERIOD}&`));
  await page.reload();
  await ready('funnel');
});

await step('periods: only quarters with figures are offered; stage definitions are shown', async () => {
  const nation = await apiJson(`/v1/funnels?from=2015-Q1&to=${PERIOD}&regionSet=nation`);
  const withData = nation.rows.filter((r) => r.coverage.reporting > 0).map((r) => r.period).sort().reverse();
  const offered = await page.$$eval('#view [data-picker="period"] option', (os) => os.map((o) => o.value));
  assert.deepEqual(offered, withData);
  assert.equal(offered.length, 8);
  const stages = await apiJson('/v1/stages', null);
  const reported = stages.stages.find((s) => s.key === 'reported');
  assert.ok((await page.textContent('#view .definitions')).includes(reported.definition.nl), 'the definition of "reported"');
  assert.match(await page.textContent('#view [data-meta="date"]'), /Live cijfers .*stand \d/);
});

await step('funnel: bars, counts, per 10,000 and conversions equal /v1/funnels; CSV with protection, period and source', async () => {
  await pick('period', PERIOD);
  await pick('regionSet', 'safetyRegion');
  await pick('region', 'VR17');
  await pick('metric', 'per10k');
  const doc = await apiJson(`/v1/funnels?period=${PERIOD}&regionSet=safetyRegion&region=VR17`);
  const row = doc.rows[0];
  for (const stage of ['disclosed', 'signalled', 'reported', 'investigated', 'helped']) {
    const c = row.stages[stage];
    const g = `#view svg.funnel g[data-key="${stage}"]`;
    close(await page.getAttribute(`${g} rect.bar`, 'data-value'), c.per10k, `${stage} per10k bar`);
    close(await page.getAttribute(`${g} [data-count]`, 'data-count'), c.count, `${stage} count`);
    if (c.fromPrevious != null) close(await page.getAttribute(`${g} [data-conversion]`, 'data-conversion'), c.fromPrevious, `${stage} conversion`);
  }
  assert.equal(await page.getAttribute('#view svg.funnel g[data-key="occurred"] rect', 'data-value'), '', 'occurred is not known: hatched');
  await pick('metric', 'count');
  close(await page.getAttribute('#view svg.funnel g[data-key="reported"] rect.bar', 'data-value'), row.stages.reported.count, 'reported count bar');
  const csv = await downloadCsv();
  assert.match(csv.name, /^trechter-funnel-.*VR17\.csv$/);
  const lines = checkProvenance(csv.text, { period: PERIOD, isProtected: false });
  assert.equal(lines.length, 1 + 6, 'header + six stages');
  assert.equal(lines[0], 'Fase,Status,Aantal,Leverden,Per 10.000 kinderen,Doorstroom,Nederland per 10.000 kinderen,Periode,Bescherming,Cijfers,Bron');
  const reported = lines.find((l) => l.startsWith('Gemeld,'));
  assert.ok(reported.includes(`,${row.stages.reported.count},`) && reported.includes(`,${row.stages.reported.per10k},`), reported);
  const cell = await page.textContent('#view table.data tr[data-key="reported"] td[data-col="count"]');
  assert.equal(cell.replace(/\./g, ''), String(row.stages.reported.count));
  // the Dutch Excel profile: ';', decimal comma, BOM
  const excel = await downloadCsv('#view [data-csv="semicolon"]');
  assert.ok(excel.text.startsWith('\ufeffFase;Status;Aantal'), excel.text.slice(0, 40));
  assert.ok(excel.text.includes(`;${String(row.stages.reported.per10k).replace('.', ',')};`));
  checkProvenance(excel.text, { period: PERIOD, isProtected: false, sep: ';' });
});

await step('chart downloads: SVG with title, legend and source; PNG', async () => {
  const svg = await download('#view [data-image="svg"]');
  assert.match(svg.name, /\.svg$/);
  assert.ok(svg.text.startsWith('<?xml') && svg.text.includes('<svg'), 'an SVG document');
  assert.ok(svg.text.includes('Rotterdam-Rijnmond') && svg.text.includes('Bron: trechter'), 'title and source in the SVG');
  assert.ok(svg.text.includes('Ruwe cijfers'), 'protection note in the SVG');
  assert.ok(!/class="/.test(svg.text.replace(/<title[\s\S]*?<\/title>/g, '')) || svg.text.includes('font-size='), 'sizes are attributes');
  const png = await download('#view [data-image="png"]');
  assert.match(png.name, /\.png$/);
  assert.deepEqual([...png.raw.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.ok(png.raw.length > 5000, `PNG of ${png.raw.length} bytes`);
});

await step('compare: ranked bars, national line, values beside (not under) the line; CSV carries protection', async () => {
  await openView('compare');
  await pick('regionSet', 'safetyRegion');
  await pick('stage', 'reported');
  await pick('metric', 'per10k');
  await pick('highlight', 'VR17');
  const doc = await apiJson(`/v1/comparisons?period=${PERIOD}&regionSet=safetyRegion&stage=reported&metric=per10k`);
  const bars = page.locator('#view svg.hbar g.bar-row');
  assert.equal(await bars.count(), doc.rows.length);
  assert.equal(await bars.first().getAttribute('data-key'), doc.rows[0].region.code);
  close(await page.getAttribute('#view svg.hbar g.bar-row >> nth=0 >> rect', 'data-value'), doc.rows[0].value, 'first bar');
  close(await page.getAttribute('#view svg.hbar .refline line', 'data-value'), doc.national.value, 'national line');
  assert.equal(await page.getAttribute('#view svg.hbar g.bar-row.highlight', 'data-key'), 'VR17');
  // the national line crosses no value label
  const crossed = await page.evaluate(() => {
    const line = document.querySelector('#view svg.hbar .refline line').getBoundingClientRect();
    return [...document.querySelectorAll('#view svg.hbar .bar-value')].filter((t) => {
      const r = t.getBoundingClientRect();
      return r.left <= line.right && r.right >= line.left;
    }).length;
  });
  assert.equal(crossed, 0, 'value labels under the national line');
  const csv = await downloadCsv();
  const lines = checkProvenance(csv.text, { period: PERIOD, isProtected: false });
  assert.equal(lines.length, 1 + doc.rows.length);
  // municipalities: those that did not submit are drawn hatched at the bottom, not dropped
  await pick('regionSet', 'municipality');
  const muni = await apiJson(`/v1/comparisons?period=${PERIOD}&regionSet=municipality&stage=reported&metric=per10k`);
  assert.equal(await page.locator('#view svg.hbar g.bar-row').count(), muni.rows.length);
  const noValue = muni.rows.filter((r) => r.value == null).map((r) => r.region.code);
  assert.ok(noValue.length >= MISSING.length - 1, `expected the missing municipalities without a value, got ${noValue}`);
  for (const code of noValue.slice(0, 20)) assert.equal(await page.locator(`#view svg.hbar g.bar-row[data-key="${code}"] rect.novalue`).count(), 1, code);
  await pick('regionSet', 'safetyRegion');
});

await step('trends: points equal /v1/funnels?from..to; every line in the legend; a link and a reload reproduce the view', async () => {
  await openView('trends');
  await pick('from', FIRST);
  await pick('to', PERIOD);
  await pick('regionSet', 'safetyRegion');
  await pick('regions', ['VR17', 'VR13', 'VR15']);
  await pick('stage', 'helped');
  await pick('metric', 'per10k');
  const doc = await apiJson(`/v1/funnels?from=${FIRST}&to=${PERIOD}&regionSet=safetyRegion&region=VR17,VR13,VR15`);
  for (const code of ['VR17', 'VR13', 'VR15']) {
    for (const q of [FIRST, PERIOD]) {
      const row = doc.rows.find((r) => r.region.code === code && r.period === q);
      close(await page.getAttribute(`#view svg.line g.series[data-key="${code}"] .point[data-x="${q}"]`, 'data-value'), row.stages.helped.per10k, `${code} ${q}`);
    }
  }
  assert.equal(await page.locator('#view svg.line g.series.national').count(), 1, 'the national line');
  assert.equal(await page.locator('#view svg.line g.series[data-key="VR17"] .point').count(), 8, 'eight quarters');
  assert.equal(await page.locator('#view .legend-box li').count(), 4, 'three regions and the nation in the legend');
  // end labels do not overlap one another
  const overlaps = await page.evaluate(() => {
    const rs = [...document.querySelectorAll('#view svg.line .series-label')].map((t) => t.getBoundingClientRect());
    let n = 0;
    for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) if (rs[i].bottom > rs[j].top + 1 && rs[j].bottom > rs[i].top + 1) n++;
    return n;
  });
  assert.equal(overlaps, 0, 'overlapping end labels');
  const csv = await downloadCsv();
  const lines = checkProvenance(csv.text, { isProtected: false });
  assert.equal(lines.length, 1 + 8);
  assert.equal(csvCells(lines[1]).slice(-4)[0], FIRST, 'each quarter its own period');
  // copy link: another tab opened with it shows the same view once signed in
  const drawn = await page.$$eval('#view svg.line .point', (ps) => ps.map((p) => p.dataset.value).join(','));
  await page.click('#view [data-action="copy-link"]');
  await page.waitForFunction(() => document.querySelector('#view .copy-status').textContent.length > 0);
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  assert.match(link, /#trends\?from=.*&regions=VR\d\d,VR\d\d,VR\d\d&stage=helped&metric=per10k/);
  const other = await context.newPage();
  watch(other);
  await other.goto(link);
  await other.fill('#token', TOKEN);
  await other.click('#signin-form button[type=submit]');
  await ready('trends', other);
  assert.equal(await other.$$eval('#view svg.line .point', (ps) => ps.map((p) => p.dataset.value).join(',')), drawn, 'the link draws the same');
  assert.equal(await other.inputValue('#view [data-picker="stage"]'), 'helped');
  await other.close();
  await page.reload();
  await ready('trends');
  assert.equal(await page.$$eval('#view svg.line .point', (ps) => ps.map((p) => p.dataset.value).join(',')), drawn, 'a reload draws the same');
});

await step('map: coloured by /v1/funnels per10k, missing ones hatched, one tab stop, arrow keys, search, Enter opens', async () => {
  await goHash(`#map?period=${PERIOD}&set=municipality&stage=signalled`, 'map');
  const doc = await apiJson(`/v1/funnels?period=${PERIOD}&regionSet=municipality`);
  assert.equal(await page.locator('#view svg.map path.area').count(), 342);
  const rdam = doc.rows.find((r) => r.region.code === 'GM0599');
  close(await page.getAttribute('#view path.area[data-code="GM0599"]', 'data-value'), rdam.stages.signalled.per10k, 'Rotterdam');
  const noValue = doc.rows.filter((r) => r.stages.signalled.per10k == null).map((r) => r.region.code);
  assert.ok(noValue.length > 0, 'the demo data leaves some municipalities without a value');
  for (const code of noValue) {
    const p = page.locator(`#view path.area[data-code="${code}"]`);
    assert.match(await p.getAttribute('class'), /novalue/, code);
    assert.match(await p.getAttribute('fill'), /^url\(#hatch-/, code);
  }
  // legend: five classes that do not overlap, and "no value"
  const legend = await page.$$eval('#view .legend-box li', (ls) => ls.map((l) => l.textContent));
  assert.equal(legend.length, 6, legend.join(' | '));
  const bounds = legend.slice(0, 5).map((l) => l.match(/([\d,]+) tot ([\d,]+)/).slice(1).map((x) => Number(x.replace(',', '.'))));
  for (let i = 1; i < bounds.length; i++) assert.equal(bounds[i][0], bounds[i - 1][1], 'classes meet without overlapping');
  assert.ok((await page.textContent('#view .attribution')).includes('CC BY 4.0'));
  // one tab stop: no area is focusable; the map box is
  assert.equal(await page.locator('#view svg.map [tabindex]').count(), 0, 'focusable areas');
  await page.focus('#view [data-map-search]');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'map-focus');
  const start = await page.getAttribute('#view path.area.current', 'data-code');
  await page.keyboard.press('ArrowRight');
  const moved = await page.getAttribute('#view path.area.current', 'data-code');
  assert.notEqual(moved, start, 'ArrowRight moves to a neighbour');
  assert.ok((await page.textContent('#view .map-info h3')).includes(moved));
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.className), 'map-focus', 'Tab leaves the map');
  // search: a name picks the area
  await page.fill('#view [data-map-search]', 'gm0344');
  await page.press('#view [data-map-search]', 'Enter');
  assert.equal(await page.getAttribute('#view path.area.current', 'data-code'), 'GM0344');
  assert.ok((await page.textContent('#view .map-info h3')).includes('GM0344'));
  assert.equal(await page.evaluate(() => document.activeElement.className), 'map-focus');
  const csv = await downloadCsv();
  assert.equal(checkProvenance(csv.text, { period: PERIOD, isProtected: false }).length, 1 + doc.rows.length);
  await page.focus('#view .map-focus');
  await page.keyboard.press('Enter');
  await ready('funnel');
  assert.equal(await page.inputValue('#view [data-picker="region"]'), 'GM0344');
  assert.match(page.url(), /#funnel\?.*region=GM0344/);
  // a click opens too (safety regions)
  await goHash(`#map?period=${PERIOD}&set=safetyRegion&stage=signalled`, 'map');
  assert.equal(await page.locator('#view svg.map path.area').count(), 25);
  await page.click('#view path.area[data-code="VR09"]');
  await ready('funnel');
  assert.equal(await page.inputValue('#view [data-picker="region"]'), 'VR09');
});

await step('networks: heatmap and partner coverage equal /v1/networks, with legends', async () => {
  const probe = await api(`/v1/networks?period=${PERIOD}&regionSet=safetyRegion`);
  await goHash(`#networks?period=${PERIOD}&set=safetyRegion`, 'networks');
  await pick('region', '');
  const doc = probe.json();
  const i = doc.rows.findIndex((r) => r.region.code === 'VR17');
  const r = doc.rows[i];
  close(await page.getAttribute(`#view svg.heatmap g.cell[data-row="${i}"][data-col="0"]`, 'data-value'), r.steps.socialMap.met / r.reporting, 'VR17 social map share');
  assert.equal(await page.locator('#view svg.heatmap g.cell').count(), doc.rows.length * 8);
  assert.equal(await page.locator('#view .legend-box').first().locator('li').count(), 6, 'heatmap legend: five classes and no value');
  await pick('region', 'VR17');
  close(await page.getAttribute('#view svg.stacked g.bar-row[data-key="veiligThuis"] rect[data-part="committed"]', 'data-value'), r.partners.veiligThuis.committed, 'VR17 veiligThuis committed');
  const csv = await downloadCsv('#view [data-csv="partners-comma"]');
  assert.equal(checkProvenance(csv.text, { period: PERIOD, isProtected: false }).length, 1 + 21, 'header + 21 partner types');
  const steps = await downloadCsv();
  assert.equal(steps.text.trim().split('\r\n').length, 2, 'header + VR17');
});

await step('networks: a server without /v1/networks shows "not available"', async () => {
  expecting = [404];
  await page.route('**/v1/networks?**', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'There is no resource at this path.' }) }));
  await pick('region', '');
  await page.waitForSelector('#view [data-unavailable="networks"]');
  await page.unroute('**/v1/networks?**');
  expecting = [];
});

await step('completeness: the municipalities that did not submit are named, as /v1/completeness says', async () => {
  await goHash(`#completeness?period=${PERIOD}&set=safetyRegion`, 'completeness');
  const doc = await apiJson(`/v1/completeness?period=${PERIOD}&regionSet=safetyRegion`);
  const missing = doc.rows.flatMap((r) => r.missingFunnels);
  assert.ok(missing.length > 0);
  const status = await page.textContent('#view .status');
  assert.ok(status.includes(`${missing.length} van 342`), status);
  const listed = await page.locator('#view .missing li').allTextContents();
  for (const code of missing) assert.ok(listed.some((l) => l.includes(code)), `${code} listed`);
  const csv = await downloadCsv();
  assert.equal(checkProvenance(csv.text, { period: PERIOD }).length, 1 + doc.rows.length);
});

await step('print: a header with choices, live date, source and protection; tables in full', async () => {
  await goHash(`#compare?period=${PERIOD}&set=municipality&stage=reported&metric=count`, 'compare');
  await page.emulateMedia({ media: 'print' });
  const head = await page.textContent('#view .print-head');
  assert.ok(head.includes('Periode: ') && head.includes(PERIOD), head);
  assert.match(head, /Live cijfers \(nog geen vastgestelde publicatie\), stand \d/);
  assert.ok(head.includes('Bron: trechter') && head.includes('Ruwe cijfers'), head);
  assert.ok(await page.isVisible('#view .print-head'));
  assert.ok(!(await page.isVisible('#view .controls')), 'pickers are not printed');
  const wrap = await page.$eval('#view .table-wrap', (el) => ({ max: getComputedStyle(el).maxHeight, over: getComputedStyle(el).overflowY, sh: el.scrollHeight, ch: el.clientHeight }));
  assert.equal(wrap.max, 'none');
  assert.ok(wrap.sh <= wrap.ch + 1, `the table is cut at its scroll height: ${JSON.stringify(wrap)}`);
  await page.emulateMedia({ media: 'screen' });
});

await step('keyboard: tabs move with the arrow keys', async () => {
  await page.focus('#tab-completeness');
  await page.keyboard.press('ArrowLeft');
  await ready('networks');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-networks');
  await page.keyboard.press('Home');
  await ready('funnel');
});

// ---- every view, three roles, two widths ------------------------------------------------------
const ROLES = [
  { name: 'rapporteur', token: TOKEN, views: VIEWS, shots: true },
  { name: 'analyst', token: ANALYST, views: VIEWS },
  { name: 'municipality', token: ROTTERDAM, views: ['home', ...VIEWS], shots: ['home'] },
];
for (const role of ROLES) {
  await step(`${role.name}: every view at 1440 and 390 px — axe 0 violations, no text under 11 px, no sideways scroll`, async () => {
    const p = await context.newPage();
    watch(p);
    p.setDefaultTimeout(20000);
    try {
      for (const width of [1440, 390]) {
        await p.setViewportSize({ width, height: width > 600 ? 1000 : 844 });
        if (width === 1440) await signIn(p, role.token);
        for (const view of role.views) {
          await goHash(`#${view}`, view, p);
          assert.equal(await p.getAttribute('#view', 'data-error'), null, `${view}: ${await p.textContent('#view')}`);
          await p.waitForTimeout(50); // a resize's redraw
          await axe(p, `${role.name} ${view} ${width} px`);
          assert.deepEqual(await smallText(p), [], `${view} ${width} px: text under 11 px`);
          if (width === 390) assert.ok(await sideways(p) <= 0, `${view} at 390 px scrolls sideways by ${await sideways(p)} px`);
          if (role.shots === true || (Array.isArray(role.shots) && role.shots.includes(view))) {
            await p.screenshot({ path: path.join(SHOTS, width === 1440 ? `${view}.png` : `${view}-${width}.png`), fullPage: width === 390 });
          }
        }
      }
      if (role.name === 'analyst') {
        assert.equal(await p.textContent('[data-me="role"]'), 'Analist');
        assert.equal(await p.textContent('[data-me="protected"]'), 'Beschermde cijfers');
        await goHash(`#compare?period=${PERIOD}&set=safetyRegion&stage=reported&metric=per10k`, 'compare', p);
        assert.match(await p.getAttribute('#view .note', 'class'), /protected/);
        const csv = await downloadCsv('#view [data-csv="comma"]', p);
        checkProvenance(csv.text, { period: PERIOD, isProtected: true, release: RELEASES });
      }
    } finally {
      await p.close();
    }
  });
}

await step('municipality: start page with its own raw figures, region and submissions; own municipality highlighted; a small networks download', async () => {
  const p = await context.newPage();
  watch(p);
  try {
    const sizes = new Map();
    p.on('response', async (r) => { if (r.url().includes('/v1/networks')) sizes.set(r.url(), (await r.body()).length); });
    await signIn(p, ROTTERDAM);
    await ready('home', p);
    assert.match(p.url(), /#home\?period=.*&gm=GM0599/);
    assert.equal(await p.textContent('#view h2'), 'Uw gemeente: Rotterdam');
    assert.equal(await p.textContent('[data-me="protected"]'), 'Eigen gemeente ruw, overige beschermd');
    const own = (await apiJson(`/v1/funnels?period=${PERIOD}&regionSet=municipality&region=GM0599`, ROTTERDAM)).rows[0];
    assert.equal(own.protected, false, 'its own figures are raw');
    close(await p.getAttribute('#view svg.funnel g[data-key="reported"] rect.bar', 'data-value'), own.stages.reported.count, 'own reported count');
    assert.ok((await p.textContent('#view')).includes('Rotterdam-Rijnmond (VR17)'), 'its safety region');
    assert.match(await p.textContent('#view [data-submitted="funnel"]'), /aangeleverd/);
    assert.ok((await p.textContent('#view [data-obligations]')).includes('GET /v1/me/obligations'));
    const csv = await downloadCsv('#view [data-csv="comma"]', p);
    checkProvenance(csv.text, { period: PERIOD, isProtected: false });
    // its networks: only its own row is asked for
    await openView('networks', p);
    assert.match(p.url(), /set=municipality&region=GM0599/);
    const biggest = Math.max(...sizes.values());
    assert.ok(biggest < 20000, `networks download of ${biggest} bytes for one municipality`);
    assert.equal(await p.textContent('#view .note'), 'Ruwe cijfers: uw eigen gemeente, onbewerkt.');
    await openView('home', p);
    await p.click('#view [data-go="compare"]');
    await ready('compare', p);
    assert.equal(await p.getAttribute('#view svg.hbar g.bar-row.highlight', 'data-key'), 'GM0599', 'own municipality highlighted');
    await goHash(`#compare?period=${PERIOD}&set=safetyRegion&stage=reported&metric=per10k`, 'compare', p);
    assert.equal(await p.getAttribute('#view svg.hbar g.bar-row.highlight', 'data-key'), 'VR17', 'own region highlighted');
    const csv2 = await downloadCsv('#view [data-csv="comma"]', p);
    checkProvenance(csv2.text, { period: PERIOD, isProtected: true });
  } finally {
    await p.close();
  }
});

await step('round trips: a reload into a view draws its first figure at most two round trips after the page; sign-in after two', async () => {
  const p = await context.newPage();
  watch(p);
  try {
    await p.addInitScript((tok) => { try { if (!sessionStorage.getItem('trechter.token')) sessionStorage.setItem('trechter.token', tok); } catch { /* ignore */ } }, TOKEN);
    // every request takes 300 ms longer: requests that start together form one round trip
    const starts = [];
    let drawnAt = Infinity;
    p.on('request', (r) => starts.push({ t: Date.now(), url: r.url() }));
    await p.route('**/*', async (route) => { await new Promise((r) => setTimeout(r, 300)); await route.continue(); });
    // (the document itself is not counted: nothing can be asked for before it has arrived)
    const waves = (list) => {
      const ts = list.filter((x) => x.t < drawnAt && new URL(x.url).pathname !== '/').map((x) => x.t).sort((a, b) => a - b);
      let n = ts.length ? 1 : 0;
      for (let i = 1; i < ts.length; i++) if (ts[i] - ts[i - 1] > 200) n++;
      return n;
    };
    await p.goto(`${BASE}/#compare?period=${PERIOD}&set=province&stage=investigated&metric=count`);
    await p.waitForSelector('#view svg.chart');
    drawnAt = Date.now();
    const reload = waves(starts);
    assert.ok(reload <= 2, `a reload took ${reload} round trips after the document:\n${starts.map((s) => `${s.t - starts[0].t} ${s.url}`).join('\n')}`);
    // sign-in: who is signed in and the quarters with data, then the figures
    await p.evaluate(() => sessionStorage.clear());
    await p.click('#signout');
    await p.waitForSelector('#signin:not([hidden])');
    await p.fill('#token', TOKEN);
    starts.length = 0;
    drawnAt = Infinity;
    await p.click('#signin-form button[type=submit]');
    await p.waitForSelector('#view svg.chart');
    drawnAt = Date.now();
    const signin = waves(starts);
    assert.ok(signin <= 2, `sign-in took ${signin} round trips:\n${starts.map((s) => `${s.t - starts[0].t} ${s.url}`).join('\n')}`);
    console.log(`       (round trips before the first figure: reload ${reload}, sign-in ${signin})`);
    await p.unroute('**/*');
  } finally {
    await p.close();
  }
});

await step('recovery: the page loads while the database is down, says so in Dutch, and draws once it is back', async () => {
  const p = await context.newPage();
  watch(p);
  const pg = (cmd) => execFileSync(env.TRECHTER_PGCLUSTER, cmd === 'start' ? ['start', env.TRECHTER_PGDIR, env.TRECHTER_PGPORT] : ['stop', env.TRECHTER_PGDIR], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stopped = false;
  try {
    await p.addInitScript((tok) => { try { sessionStorage.setItem('trechter.token', tok); } catch { /* ignore */ } }, TOKEN);
    expecting = [503, 'net'];
    pg('stop');
    stopped = true;
    await p.goto(`${BASE}/#compare?period=${FIRST}&set=province&stage=helped&metric=count`);
    await p.waitForSelector('#view[data-error="true"][data-ready="true"]');
    const text = await p.textContent('#view .failure');
    assert.ok(!/Cannot read|undefined|null/.test(text), text);
    assert.match(text, /De database is even niet bereikbaar\. We proberen het over \d+ s vanzelf opnieuw\./);
    const en = await p.$$eval('#view .failure [lang="en"]', (els) => els.length);
    assert.ok(en <= 1, 'the server\'s English words are marked as English');
    await axe(p, 'the failure panel');
    pg('start');
    stopped = false;
    await p.waitForFunction(() => document.querySelector('#view').dataset.error !== 'true' && document.querySelector('#view svg.hbar'), null, { timeout: 60000 });
    assert.equal(await p.locator('#view svg.hbar g.bar-row').count(), 12, 'twelve provinces drawn after recovery');
  } finally {
    if (stopped) pg('start');
    expecting = [];
    await p.close();
  }
});

await step('English: the switch translates the page and keeps the view', async () => {
  await goHash('#funnel', 'funnel');
  await page.click('#lang');
  await ready('funnel');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#tab-funnel'), 'Funnel');
  assert.equal(await page.textContent('#view h2'), 'The funnel');
  await page.click('#large');
  await ready('funnel');
  assert.deepEqual(await smallText(page), [], 'large view');
  await page.screenshot({ path: path.join(SHOTS, 'funnel-en-large.png') });
  await page.click('#large');
  await page.click('#lang');
  await ready('funnel');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
});

await step('signed out: the token is gone; sign-in at 390 px has no sideways scroll and no axe violation', async () => {
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), null);
  await page.setViewportSize({ width: 390, height: 844 });
  await axe(page, 'sign-in 390 px');
  assert.ok(await sideways(page) <= 0);
  await page.screenshot({ path: path.join(SHOTS, 'signin-390.png') });
  await page.setViewportSize({ width: 1440, height: 1000 });
});

await step('no console errors, no failed requests, no request to another host, no token in a URL', async () => {
  assert.deepEqual(consoleErrors, [], `console errors:\n${consoleErrors.join('\n')}`);
  assert.deepEqual(failedRequests.filter((f) => !/ERR_ABORTED/.test(f)), [], 'failed requests');
  assert.deepEqual(outside, [], 'requests to other hosts');
  assert.ok(allUrls.length > 20, `only ${allUrls.length} requests seen`);
  for (const tok of [TOKEN, ANALYST, ROTTERDAM]) assert.ok(!allUrls.some((u) => u.includes(tok)), 'a token in a URL');
  const html = responses.get('/');
  assert.ok(html && html.headers['content-security-policy'] === CSP, 'the page was served with the CSP');
});

await context.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok);
console.log(`dashboard browser tests: ${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${SHOTS}`);
process.exit(failed.length ? 1 : 0);
