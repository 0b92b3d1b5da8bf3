// Browser tests of the dashboard (issue 8): Debian's chromium, headless, driven by playwright-core,
// against a real daemon with SYNTHETIC demo data (tests/browser/run sets that up).
//
// Usage: node dashboard.test.mjs ENV_FILE
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOTS (directory for one screenshot per
// view; default tests/browser/artifacts), ARTIFACTS (downloads, failure screenshots).
//
// Checks: the page's headers (strict CSP, Content-Type per file); sign-in with a wrong and a right
// token, the token in sessionStorage and in no URL; who is signed in, role, protection; every view
// opens, its pickers change what is drawn, and numbers drawn equal the API's for the same query;
// CSV downloads equal the table shown; the map's click opens the region's funnel; networks'
// "not available" state; the English switch; an analyst sees "protected"; no console errors, no
// page errors, no failed requests, and no request to any host other than the daemon.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
const SHOTS = process.env.SCREENSHOTS || path.join(HERE, 'artifacts');
const ARTIFACTS = process.env.ARTIFACTS || path.join(HERE, 'artifacts');
fs.mkdirSync(SHOTS, { recursive: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** GET from the daemon outside the browser (the test's own view of the API). */
function api(p, token = TOKEN) {
  return new Promise((resolve, reject) => {
    const req = https.get(BASE + p, { ca: CA, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) }));
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
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, e });
    console.log(`  FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 12).join('\n       ') : e}`);
    try { await page.screenshot({ path: path.join(ARTIFACTS, `failed-${name.replace(/\W+/g, '-')}.png`), fullPage: true }); } catch { /* ignore */ }
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trechter-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: true, // the daemon's certificate is from a throwaway development CA
  acceptDownloads: true,
  viewport: { width: 1400, height: 1000 },
  locale: 'nl-NL',
  timezoneId: 'Europe/Amsterdam',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);

const consoleErrors = [];
const outside = [];
const failedRequests = [];
const allUrls = [];
const responses = new Map();
// Chromium logs every 4xx answer as a console error: the two the tests provoke on purpose (a wrong
// token, a mocked 404 for /v1/networks) are expected while `expecting` names their status.
let expecting = null;
page.on('console', (m) => {
  if (m.type() !== 'error' && m.type() !== 'warning') return;
  if (expecting && m.text().includes(`status of ${expecting} `)) return;
  consoleErrors.push(`${m.type()}: ${m.text()}`);
});
page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
context.on('request', (r) => {
  const u = r.url();
  allUrls.push(u);
  if (!(u.startsWith(`${ORIGIN}/`) || u.startsWith('blob:') || u.startsWith('data:'))) outside.push(u);
});
page.on('requestfailed', (r) => failedRequests.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
page.on('response', (r) => responses.set(new URL(r.url()).pathname, { status: r.status(), headers: r.headers() }));

const ready = (view) => page.waitForSelector(`#view[data-view="${view}"][data-ready="true"]`);
async function openView(view) {
  await page.click(`#tab-${view}`);
  await ready(view);
}
async function pick(name, value) {
  const sel = page.locator(`#view [data-picker="${name}"]`);
  await sel.selectOption(value);
  await page.waitForSelector(`#view[data-ready="true"] [data-picker="${name}"]`);
  await page.waitForFunction(() => document.querySelector('#view').dataset.ready === 'true');
}
async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}
async function downloadCsv(selector = '#view [data-csv="comma"]') {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(ARTIFACTS, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}
const close = (a, b, msg) => assert.ok(Math.abs(Number(a) - Number(b)) < 1e-9, `${msg}: drawn ${a}, API ${b}`);

console.log(`dashboard browser tests against ${BASE} (period ${PERIOD})`);

await step('GET / and the dashboard files: strict CSP, Content-Type per file, no token needed', async () => {
  const index = await api('/', null);
  assert.equal(index.status, 200);
  assert.equal(index.headers['content-security-policy'], CSP);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
  for (const [file, type] of [['app.js', /^text\/javascript/], ['style.css', /^text\/css/], ['nl-2023.topo.json', /^application\/json/], ['icon.svg', /^image\/svg\+xml/]]) {
    const r = await api(`/dashboard/${file}`, null);
    assert.equal(r.status, 200, file);
    assert.match(r.headers['content-type'], type, file);
    assert.equal(r.headers['content-security-policy'], CSP, file);
  }
  assert.equal((await api('/dashboard/missing.js', null)).status, 404);
  assert.equal((await api('/dashboard/.app.js', null)).status, 404, 'hidden file');
  assert.equal((await api('/dashboard/app.ts', null)).status, 404, 'unknown kind');
  assert.equal((await api('/dashboard', null)).status, 404);
});

await step('sign-in: a wrong token is refused, the right one shows who, role and protection', async () => {
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  await shot('signin');
  expecting = 401;
  await page.fill('#token', 'trt_not-a-real-token');
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0);
  assert.equal(await page.textContent('#signin-error'), 'Dit token wordt niet geaccepteerd (ongeldig, verlopen of ingetrokken).');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), null);
  expecting = null;
  await page.fill('#token', TOKEN);
  await page.click('#signin-form button[type=submit]');
  await ready('funnel');
  const me = await apiJson('/v1/me');
  assert.equal(await page.textContent('[data-me="label"]'), me.label);
  assert.equal(await page.textContent('[data-me="role"]'), 'Rapporteur');
  assert.equal(await page.textContent('[data-me="protected"]'), me.protected ? 'Beschermde cijfers' : 'Ruwe cijfers');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), TOKEN);
  assert.ok(!page.url().includes(TOKEN), 'token in the page URL');
  // a reload keeps the session (sessionStorage), without asking again
  await page.reload();
  await ready('funnel');
});

await step('funnel: bars, counts, per 10,000 and conversions equal /v1/funnels; pickers change it', async () => {
  await openView('funnel');
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
  await shot('funnel');
  const csv = await downloadCsv();
  assert.match(csv.name, /^trechter-funnel-.*VR17\.csv$/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines.length, 1 + 6, 'header + six stages');
  assert.equal(lines[0], 'Fase,Status,Aantal,Leverden,Per 10.000 kinderen,Doorstroom,Nederland per 10.000 kinderen');
  const reported = lines.find((l) => l.startsWith('Gemeld,'));
  assert.ok(reported.includes(`,${row.stages.reported.count},`) && reported.includes(`,${row.stages.reported.per10k},`), reported);
  // the table shown holds the same numbers
  const cell = await page.textContent('#view table.data tr[data-key="reported"] td[data-col="count"]');
  assert.equal(cell.replace(/\./g, ''), String(row.stages.reported.count));
  // the Dutch Excel profile: ';', decimal comma, BOM
  const excel = await downloadCsv('#view [data-csv="semicolon"]');
  assert.ok(excel.text.startsWith('\ufeffFase;Status;Aantal'), excel.text.slice(0, 40));
  assert.ok(excel.text.includes(`;${String(row.stages.reported.per10k).replace('.', ',')};`));
});

await step('compare: ranked bars and the national line equal /v1/comparisons; regions without a value are listed', async () => {
  await openView('compare');
  await pick('regionSet', 'safetyRegion');
  await pick('stage', 'reported');
  await pick('metric', 'per10k');
  await pick('highlight', 'VR17');
  const doc = await apiJson(`/v1/comparisons?period=${PERIOD}&regionSet=safetyRegion&stage=reported&metric=per10k`);
  const bars = page.locator('#view svg.hbar g.bar-row');
  assert.equal(await bars.count(), doc.rows.length);
  const first = doc.rows[0];
  assert.equal(await bars.first().getAttribute('data-key'), first.region.code);
  close(await page.getAttribute('#view svg.hbar g.bar-row >> nth=0 >> rect', 'data-value'), first.value, 'first bar');
  close(await page.getAttribute('#view svg.hbar .refline line', 'data-value'), doc.national.value, 'national line');
  assert.equal(await page.getAttribute('#view svg.hbar g.bar-row.highlight', 'data-key'), 'VR17');
  await shot('compare');
  // municipalities: those that did not submit are drawn hatched at the bottom, not dropped
  await pick('regionSet', 'municipality');
  const muni = await apiJson(`/v1/comparisons?period=${PERIOD}&regionSet=municipality&stage=reported&metric=per10k`);
  assert.equal(await page.locator('#view svg.hbar g.bar-row').count(), muni.rows.length);
  const noValue = muni.rows.filter((r) => r.value == null).map((r) => r.region.code);
  assert.ok(noValue.length >= MISSING.length - 1, `expected the missing municipalities without a value, got ${noValue}`);
  for (const code of noValue) assert.equal(await page.locator(`#view svg.hbar g.bar-row[data-key="${code}"] rect.novalue`).count(), 1, code);
  const csv = await downloadCsv();
  assert.equal(csv.text.trim().split('\r\n').length, 1 + muni.rows.length);
  await pick('regionSet', 'safetyRegion');
});

await step('trends: points per quarter equal /v1/funnels?from=..&to=..', async () => {
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
      close(await page.getAttribute(`#view svg.line g.series[data-key="${code}"] circle[data-x="${q}"]`, 'data-value'), row.stages.helped.per10k, `${code} ${q}`);
    }
  }
  assert.equal(await page.locator('#view svg.line g.series.national').count(), 1, 'the national line');
  assert.equal(await page.locator('#view svg.line g.series[data-key="VR17"] circle').count(), 8, 'eight quarters');
  await shot('trends');
  const csv = await downloadCsv();
  assert.equal(csv.text.trim().split('\r\n').length, 1 + 8);
});

await step('map: every municipality drawn, coloured by /v1/funnels per10k, missing ones hatched; click opens the funnel', async () => {
  await openView('map');
  await pick('regionSet', 'municipality');
  await pick('stage', 'signalled');
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
  assert.ok(await page.locator('#view .legend li').count() >= 6, 'legend with five classes and "no value"');
  assert.ok((await page.textContent('#view .attribution')).includes('CC BY 4.0'));
  assert.ok((await page.textContent('#view .attribution')).includes('EUPL-1.2'));
  // (Utrecht: a compact shape, so the pointer at its box's centre is on it)
  await page.hover('#view path.area[data-code="GM0344"]');
  await page.waitForSelector('#view .map-info h3');
  assert.ok((await page.textContent('#view .map-info h3')).includes('GM0344'));
  // keyboard: focus shows details as well
  await page.focus('#view path.area[data-code="GM0363"]');
  assert.ok((await page.textContent('#view .map-info h3')).includes('GM0363'));
  await page.hover('#view path.area[data-code="GM0344"]');
  await shot('map');
  const csv = await downloadCsv();
  assert.equal(csv.text.trim().split('\r\n').length, 1 + doc.rows.length);
  await page.click('#view path.area[data-code="GM0344"]');
  await ready('funnel');
  assert.equal(await page.inputValue('#view [data-picker="region"]'), 'GM0344');
  assert.ok(page.url().endsWith('#funnel'));
  // safety regions, opened with the keyboard
  await openView('map');
  await pick('regionSet', 'safetyRegion');
  assert.equal(await page.locator('#view svg.map path.area').count(), 25);
  await page.focus('#view path.area[data-code="VR17"]');
  await page.keyboard.press('Enter');
  await ready('funnel');
  assert.equal(await page.inputValue('#view [data-picker="region"]'), 'VR17');
});

await step('networks: heatmap and partner coverage equal /v1/networks', async () => {
  const probe = await api(`/v1/networks?period=${PERIOD}&regionSet=safetyRegion`);
  await openView('networks');
  if (probe.status !== 200) {
    await page.waitForSelector('#view [data-unavailable="networks"]');
    console.log(`       (/v1/networks answers ${probe.status}: the "not available" state is shown)`);
    return;
  }
  await pick('regionSet', 'safetyRegion');
  await pick('region', '');
  const doc = probe.json();
  const i = doc.rows.findIndex((r) => r.region.code === 'VR17');
  const r = doc.rows[i];
  const cell = await page.getAttribute(`#view svg.heatmap g.cell[data-row="${i}"][data-col="0"]`, 'data-value');
  close(cell, r.steps.socialMap.met / r.reporting, 'VR17 social map share');
  assert.equal(await page.locator('#view svg.heatmap g.cell').count(), doc.rows.length * 8);
  await shot('networks');
  await pick('region', 'VR17');
  const vt = r.partners.veiligThuis;
  const part = await page.getAttribute('#view svg.stacked g.bar-row[data-key="veiligThuis"] rect[data-part="committed"]', 'data-value');
  close(part, vt.committed, 'VR17 veiligThuis committed');
  const csv = await downloadCsv('#view [data-csv="partners-comma"]');
  assert.equal(csv.text.trim().split('\r\n').length, 1 + 21, 'header + 21 partner types');
  const steps = await downloadCsv();
  assert.equal(steps.text.trim().split('\r\n').length, 2, 'header + VR17');
});

await step('networks: a server without /v1/networks shows "not available"', async () => {
  expecting = 404;
  await page.route('**/v1/networks?**', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'There is no resource at this path.' }) }));
  await pick('region', '');
  await page.waitForSelector('#view [data-unavailable="networks"]');
  await page.unroute('**/v1/networks?**');
  expecting = null;
});

await step('completeness: the municipalities that did not submit are named, as /v1/completeness says', async () => {
  await openView('completeness');
  await pick('period', PERIOD);
  await pick('regionSet', 'safetyRegion');
  await pick('region', '');
  const doc = await apiJson(`/v1/completeness?period=${PERIOD}&regionSet=safetyRegion`);
  const missing = doc.rows.flatMap((r) => r.missingFunnels);
  assert.ok(missing.length > 0);
  const status = await page.textContent('#view .status');
  assert.ok(status.includes(`${missing.length} van 342`), status);
  const listed = await page.locator('#view .missing li').allTextContents();
  for (const code of missing) assert.ok(listed.some((l) => l.includes(code)), `${code} listed`);
  await shot('completeness');
  const csv = await downloadCsv();
  assert.equal(csv.text.trim().split('\r\n').length, 1 + doc.rows.length);
});

await step('keyboard: tabs move with the arrow keys', async () => {
  await page.focus('#tab-completeness');
  await page.keyboard.press('ArrowLeft');
  await ready('networks');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-networks');
  await page.keyboard.press('Home');
  await ready('funnel');
});

await step('English: the switch translates the page and keeps the view', async () => {
  await page.click('#lang');
  await ready('funnel');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#tab-funnel'), 'Funnel');
  assert.equal(await page.textContent('#view h2'), 'The funnel');
  await page.click('#large');
  await shot('funnel-en-large');
  await page.click('#large');
  await page.click('#lang');
  await ready('funnel');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
});

await step('an analyst sees that the figures are protected', async () => {
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('trechter.token')), null);
  await page.fill('#token', ANALYST);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#signin', { state: 'hidden' });
  await ready('funnel');
  assert.equal(await page.textContent('[data-me="role"]'), 'Analist');
  assert.equal(await page.textContent('[data-me="protected"]'), 'Beschermde cijfers');
  assert.match(await page.getAttribute('#view .note', 'class'), /protected/);
});

await step('no console errors, no failed requests, no request to another host, no token in a URL', async () => {
  assert.deepEqual(consoleErrors, [], `console errors:\n${consoleErrors.join('\n')}`);
  assert.deepEqual(failedRequests.filter((f) => !/ERR_ABORTED/.test(f)), [], 'failed requests');
  assert.deepEqual(outside, [], 'requests to other hosts');
  assert.ok(allUrls.length > 20, `only ${allUrls.length} requests seen`);
  for (const tok of [TOKEN, ANALYST]) assert.ok(!allUrls.some((u) => u.includes(tok)), 'a token in a URL');
  const html = responses.get('/');
  assert.ok(html && html.headers['content-security-policy'] === CSP, 'the page was served with the CSP');
});

await context.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok);
console.log(`dashboard browser tests: ${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${SHOTS}`);
process.exit(failed.length ? 1 : 0);
