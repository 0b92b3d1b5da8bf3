// The dashboard's entry point: language, sign-in, who is signed in, the tabs, the shared state the
// views read and change (kept in the address, see address.js), and recovery: a view that cannot
// get its figures (the database down, the server unreachable) says so in the page's language and
// tries again by itself until it can, without a reload.
import { getJson, getReference, getToken, setToken } from './api.js';
import { parseAddress, formatAddress, periodsQuery, REFERENCE, VIEW_NAMES } from './address.js';
import { h, clear } from './dom.js';
import { t, setLang, getLang } from './i18n.js';
import { lastEndedQuarter } from './periods.js';
import * as home from './view-home.js';
import * as funnel from './view-funnel.js';
import * as compare from './view-compare.js';
import * as trends from './view-trends.js';
import * as map from './view-map.js';
import * as networks from './view-networks.js';
import * as completeness from './view-completeness.js';

const VIEWS = { home, funnel, compare, trends, map, networks, completeness };
const $ = (id) => document.getElementById(id);

const state = {
  view: 'funnel', period: '', from: '', to: '', regionSet: 'safetyRegion', region: '', regions: [], highlight: undefined,
  stage: 'reported', metric: 'per10k', gm: '',
};
let me = null;
let ref = null;
let periods = null; // quarters with any figures, newest first
let renderSeq = 0;
let retryTimer = 0;
let failures = 0;
let focusHeading = false;

const ctx = {
  state,
  get ref() { return ref; },
  get me() { return me; },
  get periods() { return periods || []; },
  get lang() { return getLang(); },
  /** Whether the signed-in token may see this municipality's figures raw (its own). */
  isOwn(code) { return !!(me && me.role === 'municipality' && (me.rawFor || []).includes(code)); },
  /** Of a region list, the codes of the regions holding the token's own municipalities. */
  ownRegions(regions) {
    if (!me || me.role !== 'municipality') return [];
    const own = me.rawFor || [];
    return regions.filter((r) => own.includes(r.code) || (r.municipalities || []).some((m) => own.includes(m))).map((r) => r.code);
  },
  update(patch) { Object.assign(state, patch); renderView(); },
  go(view, patch) {
    Object.assign(state, patch || {});
    focusHeading = true;
    const next = formatAddress(view, state);
    if (location.hash !== next) location.hash = next; // hashchange renders
    else route();
  },
  regions(set) { return getReference(`/v1/region-sets/${encodeURIComponent(set)}/regions`).then((d) => d.regions || []); },
  current: () => false,
};

function views() {
  return VIEW_NAMES.filter((n) => n !== 'home' || (me && me.role === 'municipality'));
}

function applyStaticStrings() {
  document.documentElement.lang = getLang();
  document.title = t('appTitle');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const lang = $('lang');
  lang.textContent = t('switchLang');
  lang.setAttribute('lang', getLang() === 'nl' ? 'en' : 'nl');
  lang.setAttribute('aria-label', t('switchLangLabel'));
  $('large').setAttribute('title', t('largeLabel'));
}

function renderWho() {
  const who = $('who');
  clear(who);
  if (!me) { who.hidden = true; return; }
  who.hidden = false;
  const own = me.role === 'municipality' && me.protected && (me.rawFor || []).length;
  const [cls, text, help] = own ? ['own', t('protectedOwn'), t('protectedOwnHelp')]
    : me.protected ? ['protected', t('protectedYes'), t('protectedYesHelp')] : ['raw', t('protectedNo'), t('protectedNoHelp')];
  who.append(
    h('span', { class: 'who-label' }, [h('span', { class: 'muted', text: `${t('signedInAs')} ` }), h('strong', { dataset: { me: 'label' }, text: me.label })]),
    h('span', { class: 'badge role', dataset: { me: 'role' }, title: t('role'), text: t(`roles.${me.role}`) || me.role }),
    h('span', { class: ['badge', cls], dataset: { me: 'protected' }, title: help, text }),
  );
}

function renderNav() {
  const nav = $('nav');
  clear(nav);
  nav.hidden = !me;
  if (!me) return;
  nav.setAttribute('aria-label', t('viewsNav'));
  const list = h('div', { role: 'tablist', 'aria-label': t('viewsNav') });
  const names = views();
  names.forEach((name) => {
    const selected = name === state.view;
    list.append(h('a', {
      href: formatAddress(name, state), role: 'tab', id: `tab-${name}`, 'aria-selected': String(selected), 'aria-controls': 'view',
      tabindex: selected ? 0 : -1, class: selected ? 'active' : null, dataset: { view: name }, text: t(`views.${name}`),
    }));
  });
  list.addEventListener('keydown', (e) => {
    const at = e.target && e.target.dataset ? e.target.dataset.view : null;
    const i = names.indexOf(at && names.includes(at) ? at : state.view);
    let next = null;
    if (e.key === 'ArrowRight') next = names[(i + 1) % names.length];
    else if (e.key === 'ArrowLeft') next = names[(i + names.length - 1) % names.length];
    else if (e.key === 'Home') next = names[0];
    else if (e.key === 'End') next = names[names.length - 1];
    if (!next) return;
    e.preventDefault();
    location.hash = formatAddress(next, state);
    setTimeout(() => { const tab = $(`tab-${next}`); if (tab) tab.focus(); }, 0);
  });
  nav.append(list);
}

/** Reference data, who is signed in and the quarters with figures: whatever is still missing,
 * asked for at once (a failure is not kept: the next call asks again). */
async function ensureLoaded() {
  const jobs = [];
  if (!ref) {
    jobs.push(Promise.all(REFERENCE.map((p) => getReference(p))).then(([stages, sets, partners]) => {
      ref = {
        stages: [...stages.stages].sort((a, b) => a.position - b.position),
        regionSets: sets.regionSets,
        partnerTypes: [...partners.partnerTypes].sort((a, b) => a.position - b.position),
      };
    }));
  }
  if (!me) jobs.push(getJson('/v1/me').then((m) => { me = m; startFor(m); renderWho(); }));
  if (!periods) {
    jobs.push(getJson(periodsQuery()).then((d) => {
      periods = [...new Set(d.rows.filter((r) => r.coverage && r.coverage.reporting > 0).map((r) => r.period))].sort().reverse();
    }));
  }
  await Promise.all(jobs);
}

/** A municipality's token starts on its own municipality (unless the address chose otherwise). */
function startFor(m) {
  if (m.role !== 'municipality' || !(m.rawFor || []).length) return;
  const { view, state: chosen } = parseAddress(location.hash);
  if (!chosen.gm) state.gm = m.rawFor[0];
  if (!view) {
    state.view = 'home';
    if (!chosen.regionSet) { state.regionSet = 'municipality'; state.region = m.rawFor[0]; }
  }
}

/** Fills in what the state lacks and keeps every choice among the values that exist. */
function normalize() {
  const avail = periods && periods.length ? periods : [lastEndedQuarter()];
  const newest = avail[0];
  if (!avail.includes(state.period)) state.period = newest;
  const nearest = (p, fallback) => {
    if (avail.includes(p)) return p;
    const later = [...avail].reverse().find((x) => x >= p);
    return p && later ? later : fallback;
  };
  state.to = nearest(state.to, newest);
  state.from = nearest(state.from, avail[Math.min(7, avail.length - 1)]);
  if (!ref.stages.some((st) => st.key === state.stage)) state.stage = 'reported';
  if (!['count', 'per10k', 'fromPrevious'].includes(state.metric)) state.metric = 'per10k';
  const sets = ref.regionSets.map((r) => r.key);
  if (!sets.includes(state.regionSet)) state.regionSet = sets.includes('safetyRegion') ? 'safetyRegion' : sets[0];
  if (state.view === 'compare' && state.regionSet === 'nation') state.regionSet = 'safetyRegion';
  if (state.view === 'map' && !['municipality', 'safetyRegion'].includes(state.regionSet)) state.regionSet = 'municipality';
  if (state.view === 'funnel' && state.metric === 'fromPrevious') state.metric = 'per10k';
  // a region carried over from another region set (its code prefix tells) is not this set's
  const prefix = (ref.regionSets.find((r) => r.key === state.regionSet) || {}).codePrefix;
  const fits = (code) => !code || !prefix || code.startsWith(prefix);
  if (!fits(state.region)) state.region = '';
  if (state.highlight && !fits(state.highlight)) state.highlight = undefined;
  state.regions = (state.regions || []).filter(fits);
  if (state.view === 'trends' && !(state.regions || []).length) {
    const own = me && me.role === 'municipality' && state.regionSet === 'municipality' ? me.rawFor : [];
    const prefer = { safetyRegion: ['VR17', 'VR13', 'VR15'], municipality: ['GM0599', 'GM0363', 'GM0518'], province: ['PV28', 'PV27', 'PV26'], nation: ['NL01'] };
    state.regions = (own && own.length ? own : prefer[state.regionSet] || []).slice(0, 6);
  }
}

function writeAddress() {
  const next = formatAddress(state.view, state);
  if (location.hash !== next) history.replaceState(null, '', next);
  for (const tab of document.querySelectorAll('#nav [role="tab"]')) tab.setAttribute('href', formatAddress(tab.dataset.view, state));
}

/** The message for a failed call, in the page's language; the server's own words (English) are
 * shown apart, marked as such. */
function failureText(e) {
  const s = e && e.status;
  if (s === 0 || s === undefined) return t('errors.network');
  if (s === 503 || s === 502 || s === 504) return t('errors.unavailable');
  if (s === 429) return t('errors.rateLimited');
  if (s === 403) return t('errors.forbidden');
  if (s === 404) return t('errors.notFound');
  if (s === 400) return t('errors.badRequest');
  return t('errors.generic');
}

function showFailure(root, e, seq) {
  const transient = !e || e.status === 0 || e.status === undefined || [429, 502, 503, 504].includes(e.status);
  failures += 1;
  const wait = Math.min(30, Math.max(e && e.retryAfter ? e.retryAfter : 0, 2 ** Math.min(failures, 5)));
  const detail = e && e.problem && (e.problem.detail || e.problem.title);
  const title = me ? t(`views.${state.view}`) : t('appTitle');
  clear(root).append(h('div', { class: 'failure', dataset: { failure: String(e && e.status !== undefined ? e.status : 'error') } }, [
    h('h2', { id: `h-${state.view}`, tabindex: -1, text: title }),
    h('p', { class: 'status error', role: 'alert', text: `${failureText(e)}${transient ? ` ${t('retryIn')(wait)}` : ''}` }),
    detail ? h('p', { class: 'server-said muted' }, [`${t('serverSaid')}: `, h('span', { lang: 'en', text: detail })]) : null,
    h('button', { type: 'button', dataset: { action: 'retry' }, onclick: () => renderView(), text: t('retry') }),
  ]));
  if (transient) retryTimer = setTimeout(() => { if (seq === renderSeq) renderView(); }, wait * 1000);
}

async function renderView() {
  const root = $('view');
  clearTimeout(retryTimer);
  if (!getToken()) { clear(root); return; }
  const seq = ++renderSeq;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.picker : null;
  root.setAttribute('role', 'tabpanel');
  root.dataset.view = state.view;
  root.dataset.ready = 'false';
  delete root.dataset.error;
  ctx.current = () => seq === renderSeq;
  try {
    await ensureLoaded();
    if (seq !== renderSeq) return;
    if (!views().includes(state.view)) state.view = 'funnel';
    root.dataset.view = state.view;
    root.setAttribute('aria-labelledby', `tab-${state.view}`);
    normalize();
    renderNav();
    writeAddress();
    await VIEWS[state.view].render(root, ctx);
    if (seq !== renderSeq) return;
    writeAddress();
    failures = 0;
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e && e.status === 401) { setToken(''); showSignIn(t(me ? 'errors.sessionEnded' : 'badToken')); return; }
    if (!(e && 'status' in e)) console.warn(e); // eslint-disable-line no-console
    root.dataset.error = 'true';
    showFailure(root, e, seq);
  }
  if (seq !== renderSeq) return;
  root.dataset.ready = 'true';
  if (focusHeading) {
    focusHeading = false;
    const hd = root.querySelector('h2');
    if (hd) hd.focus();
  } else if (focused) {
    const again = root.querySelector(`[data-picker="${focused}"]`);
    if (again) again.focus();
  }
}

function route() {
  const { view, state: chosen } = parseAddress(location.hash);
  Object.assign(state, chosen);
  if (view) state.view = view;
  if (!('highlight' in chosen) && view) state.highlight = undefined;
  renderNav();
  renderView();
}

function showSignIn(message) {
  me = null;
  periods = null;
  clearTimeout(retryTimer);
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('signin-error').textContent = message || '';
  renderWho();
  renderNav();
  renderSeq += 1; // a view still loading must not draw over the sign-in
  const root = clear($('view'));
  delete root.dataset.view;
  root.removeAttribute('role');
  root.removeAttribute('aria-labelledby');
  root.dataset.ready = 'false';
  $('token').focus();
}

async function signIn(token) {
  setToken(token);
  me = null;
  periods = null;
  // who is signed in and the quarters with figures, at once: the view's figures follow next
  const meP = getJson('/v1/me');
  const periodsP = ensurePeriods();
  try {
    me = await meP;
  } catch (e) {
    periodsP.catch(() => {});
    setToken('');
    periods = null;
    showSignIn(e.status === 401 ? t('badToken') : failureText(e));
    return;
  }
  await periodsP.catch(() => {});
  startFor(me);
  $('signin').hidden = true;
  $('signout').hidden = false;
  $('token').value = '';
  renderWho();
  focusHeading = true;
  renderNav();
  renderView();
}

function ensurePeriods() {
  return getJson(periodsQuery()).then((d) => {
    periods = [...new Set(d.rows.filter((r) => r.coverage && r.coverage.reporting > 0).map((r) => r.period))].sort().reverse();
  });
}

function main() {
  applyStaticStrings();
  try { if (localStorage.getItem('trechter.large') === '1') document.body.classList.add('large'); } catch { /* ignore */ }
  $('large').setAttribute('aria-pressed', String(document.body.classList.contains('large')));
  $('large').addEventListener('click', () => {
    const on = document.body.classList.toggle('large');
    $('large').setAttribute('aria-pressed', String(on));
    try { localStorage.setItem('trechter.large', on ? '1' : '0'); } catch { /* ignore */ }
    if (me) renderView();
  });
  $('lang').addEventListener('click', () => {
    setLang(getLang() === 'nl' ? 'en' : 'nl');
    applyStaticStrings();
    renderWho();
    if (me) { renderNav(); renderView(); }
  });
  $('signout').addEventListener('click', () => { setToken(''); showSignIn(); });
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (token) signIn(token);
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeprint', () => {
    for (const d of document.querySelectorAll('#view details')) d.open = true;
  });
  const { view, state: chosen } = parseAddress(location.hash);
  Object.assign(state, chosen);
  if (view) state.view = view;
  // reference data is asked for now, signed in or not (it needs no token)
  for (const p of REFERENCE) getReference(p).catch(() => {});
  if (getToken()) {
    $('signin').hidden = true;
    $('signout').hidden = false;
    renderView();
  } else {
    showSignIn();
  }
}

main();
