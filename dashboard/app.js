// The dashboard's entry point: language, sign-in, who is signed in, the tabs, and the shared
// state that the views read and change. Views live in view-*.js, one file each.
import { getJson, getReference, getToken, setToken } from './api.js';
import { h, clear } from './dom.js';
import { t, setLang, getLang } from './i18n.js';
import { lastEndedQuarter, shiftQuarter } from './periods.js';
import * as funnel from './view-funnel.js';
import * as compare from './view-compare.js';
import * as trends from './view-trends.js';
import * as map from './view-map.js';
import * as networks from './view-networks.js';
import * as completeness from './view-completeness.js';

const VIEWS = { funnel, compare, trends, map, networks, completeness };
const $ = (id) => document.getElementById(id);

const last = lastEndedQuarter();
const state = {
  view: 'funnel', period: last, from: shiftQuarter(last, -7), to: last,
  regionSet: 'safetyRegion', region: '', regions: [], highlight: '', stage: 'reported', metric: 'per10k',
};
let me = null;
let ref = null;
let renderSeq = 0;
const regionCache = new Map();

const ctx = {
  state,
  get ref() { return ref; },
  get me() { return me; },
  get lang() { return getLang(); },
  update(patch) { Object.assign(state, patch); renderView(); },
  go(view, patch) {
    Object.assign(state, patch || {});
    if (location.hash !== `#${view}`) location.hash = view; // hashchange renders
    else renderView();
    setTimeout(() => { const hd = document.querySelector('.view h2'); if (hd) hd.focus(); }, 0);
  },
  async regions(set) {
    if (!regionCache.has(set)) regionCache.set(set, getReference(`/v1/region-sets/${encodeURIComponent(set)}/regions`).then((d) => d.regions || []));
    return regionCache.get(set);
  },
  current: null,
};

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
  who.append(
    h('span', { class: 'who-label' }, [h('span', { class: 'muted', text: `${t('signedInAs')} ` }), h('strong', { dataset: { me: 'label' }, text: me.label })]),
    h('span', { class: 'badge role', dataset: { me: 'role' }, title: t('role'), text: t(`roles.${me.role}`) || me.role }),
    h('span', { class: ['badge', me.protected ? 'protected' : 'raw'], dataset: { me: 'protected' },
      title: me.protected ? t('protectedYesHelp') : t('protectedNoHelp'), text: me.protected ? t('protectedYes') : t('protectedNo') }),
  );
}

function renderNav() {
  const nav = $('nav');
  clear(nav);
  nav.hidden = !me;
  if (!me) return;
  nav.setAttribute('aria-label', t('viewsNav'));
  const list = h('div', { role: 'tablist', 'aria-label': t('viewsNav') });
  const names = Object.keys(VIEWS);
  names.forEach((name) => {
    const selected = name === state.view;
    list.append(h('a', {
      href: `#${name}`, role: 'tab', id: `tab-${name}`, 'aria-selected': String(selected), 'aria-controls': 'view',
      tabindex: selected ? 0 : -1, class: selected ? 'active' : null, dataset: { view: name }, text: t(`views.${name}`),
    }));
  });
  list.addEventListener('keydown', (e) => {
    const i = names.indexOf(state.view);
    let next = null;
    if (e.key === 'ArrowRight') next = names[(i + 1) % names.length];
    else if (e.key === 'ArrowLeft') next = names[(i + names.length - 1) % names.length];
    else if (e.key === 'Home') next = names[0];
    else if (e.key === 'End') next = names[names.length - 1];
    if (!next) return;
    e.preventDefault();
    location.hash = next;
    setTimeout(() => { const tab = $(`tab-${next}`); if (tab) tab.focus(); }, 0);
  });
  nav.append(list);
}

async function renderView() {
  const root = $('view');
  if (!me) { clear(root); return; }
  const seq = ++renderSeq;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.picker : null;
  root.setAttribute('role', 'tabpanel');
  root.setAttribute('aria-labelledby', `tab-${state.view}`);
  root.dataset.view = state.view;
  root.dataset.ready = 'false';
  ctx.current = () => seq === renderSeq;
  try {
    await VIEWS[state.view].render(root, ctx);
  } catch (e) {
    if (seq !== renderSeq) return;
    console.warn(e); // eslint-disable-line no-console
    clear(root).append(h('p', { class: 'status error', role: 'alert', text: `${t('failed')}: ${e.message || e}` }));
  }
  if (seq !== renderSeq) return;
  root.dataset.ready = 'true';
  if (focused) {
    const again = root.querySelector(`[data-picker="${focused}"]`);
    if (again) again.focus();
  }
}

function route() {
  const name = location.hash.replace(/^#/, '');
  state.view = VIEWS[name] ? name : 'funnel';
  renderNav();
  renderView();
}

function showSignIn(message) {
  me = null;
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('signin-error').textContent = message || '';
  renderWho();
  renderNav();
  renderSeq += 1; // a view still loading must not draw over the sign-in
  const root = clear($('view'));
  delete root.dataset.view;
  root.dataset.ready = 'false';
  $('token').focus();
}

async function signIn(token) {
  setToken(token);
  try {
    me = await getJson('/v1/me');
  } catch (e) {
    setToken('');
    showSignIn(e.status === 401 ? t('badToken') : e.status === 0 ? t('networkError') : `${t('failed')}: ${e.message}`);
    return;
  }
  if (me.role === 'municipality' && me.rawFor && me.rawFor.length && !state.region) {
    state.regionSet = 'municipality';
    state.region = me.rawFor[0];
  }
  $('signin').hidden = true;
  $('signout').hidden = false;
  $('token').value = '';
  renderWho();
  route();
}

async function loadReference() {
  const [stages, sets, partners] = await Promise.all([
    getReference('/v1/stages'), getReference('/v1/region-sets'), getReference('/v1/partner-types'),
  ]);
  ref = {
    stages: [...stages.stages].sort((a, b) => a.position - b.position),
    regionSets: sets.regionSets,
    partnerTypes: [...partners.partnerTypes].sort((a, b) => a.position - b.position),
  };
}

async function main() {
  applyStaticStrings();
  try { if (localStorage.getItem('trechter.large') === '1') document.body.classList.add('large'); } catch { /* ignore */ }
  $('large').setAttribute('aria-pressed', String(document.body.classList.contains('large')));
  $('large').addEventListener('click', () => {
    const on = document.body.classList.toggle('large');
    $('large').setAttribute('aria-pressed', String(on));
    try { localStorage.setItem('trechter.large', on ? '1' : '0'); } catch { /* ignore */ }
  });
  $('lang').addEventListener('click', () => {
    setLang(getLang() === 'nl' ? 'en' : 'nl');
    applyStaticStrings();
    renderWho();
    if (me) route();
  });
  $('signout').addEventListener('click', () => { setToken(''); showSignIn(); });
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (token) signIn(token);
  });
  window.addEventListener('hashchange', route);
  try {
    await loadReference();
  } catch (e) {
    $('signin').hidden = false;
    $('signin-error').textContent = e.status === 0 ? t('networkError') : `${t('failed')}: ${e.message}`;
    return;
  }
  const token = getToken();
  if (token) await signIn(token);
  else showSignIn();
}

main();
