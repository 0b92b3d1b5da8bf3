// The view and its choices in the address (#compare?period=2026-Q3&set=safetyRegion&...), so that
// a reload or a shared link shows the same view, and the API queries each view makes for a state.
//
// This module is also loaded on its own (`<script type="module" async>` in index.html) and, when
// the tab holds a token, starts the queries of the view in the address at once — while the rest
// of the dashboard's modules are still arriving — so that a reload draws its first figure one
// round trip after the page itself. The promises wait in `prefetched` for the first getJson of
// the same URL (api.js), which takes them.
import { lastEndedQuarter, shiftQuarter } from './periods.js';

export const VIEW_NAMES = ['home', 'funnel', 'compare', 'trends', 'map', 'networks', 'completeness'];

/** The state keys each view keeps in the address, in the order written. */
export const VIEW_KEYS = {
  home: ['period', 'gm'],
  funnel: ['period', 'regionSet', 'region', 'metric'],
  compare: ['period', 'regionSet', 'stage', 'metric', 'highlight'],
  trends: ['from', 'to', 'regionSet', 'regions', 'stage', 'metric'],
  map: ['period', 'regionSet', 'stage', 'highlight'],
  networks: ['period', 'regionSet', 'region'],
  completeness: ['period', 'regionSet', 'region'],
};
// short names in the address
const PARAM = { regionSet: 'set', highlight: 'hl' };
const KEY_OF = Object.fromEntries(Object.entries(PARAM).map(([k, p]) => [p, k]));
const QUARTER = /^\d{4}-Q[1-4]$/;
const CODE = /^[A-Za-z0-9_-]{1,40}$/;
const VALID = {
  period: (v) => QUARTER.test(v), from: (v) => QUARTER.test(v), to: (v) => QUARTER.test(v),
  regionSet: (v) => CODE.test(v), region: (v) => CODE.test(v), gm: (v) => CODE.test(v), highlight: (v) => CODE.test(v),
  stage: (v) => CODE.test(v), metric: (v) => ['count', 'per10k', 'fromPrevious'].includes(v),
  regions: (v) => v.every((c) => CODE.test(c)),
};

/** {view, state} from an address hash ("#trends?from=...&regions=VR17,VR13"); unknown or malformed
 * keys are left out, so a hand-edited link can only choose among valid values. */
export function parseAddress(hash) {
  const text = (hash || '').replace(/^#/, '');
  const q = text.indexOf('?');
  const name = q < 0 ? text : text.slice(0, q);
  const view = VIEW_NAMES.includes(name) ? name : null;
  const state = {};
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  for (const [p, raw] of params) {
    const key = KEY_OF[p] || p;
    if (!VALID[key]) continue;
    const value = key === 'regions' ? raw.split(',').filter(Boolean) : raw;
    if (VALID[key](value)) state[key] = value;
  }
  return { view, state };
}

/** The address of a view with the choices it uses ("#map?period=2026-Q3&set=municipality&..."). */
export function formatAddress(view, state) {
  const q = new URLSearchParams();
  for (const key of VIEW_KEYS[view] || []) {
    const v = state[key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    q.set(PARAM[key] || key, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString().replace(/%2C/g, ',');
  return `#${view}${s ? `?${s}` : ''}`;
}

/** Builds "/v1/x?a=1&b=2" from a path and an object of parameters (empty values left out). */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The query that tells which quarters hold any figures: the national row of every quarter. */
export function periodsQuery() {
  return apiUrl('/v1/funnels', { from: '2015-Q1', to: lastEndedQuarter(), regionSet: 'nation' });
}

/** Reference data every view needs (no token; the same for everyone). */
export const REFERENCE = ['/v1/stages', '/v1/region-sets', '/v1/partner-types'];

/** Region sets with few enough regions to fetch all rows at once when none is chosen. */
export const SMALL_SET = 60;

/**
 * The API URLs a view asks for with this state, as {data: [...], reference: [...]}: `data` needs
 * the token, `reference` does not. Returns null when the state lacks what the view needs (then
 * the view decides its defaults first). The views call this too, so a prefetched URL is exactly
 * the one they ask for.
 */
export function viewQueries(view, st) {
  const need = (...keys) => keys.every((k) => st[k] !== undefined && st[k] !== '' && !(Array.isArray(st[k]) && !st[k].length));
  const regionsOf = (set) => `/v1/region-sets/${encodeURIComponent(set)}/regions`;
  switch (view) {
    case 'home':
      if (!need('period', 'gm')) return null;
      return {
        data: [apiUrl('/v1/funnels', { period: st.period, regionSet: 'municipality', region: st.gm }),
          apiUrl('/v1/funnels', { period: st.period, regionSet: 'nation' }),
          apiUrl('/v1/completeness', { period: st.period, regionSet: 'municipality', region: st.gm }),
          apiUrl('/v1/funnels', { from: shiftQuarter(st.period, -7), to: st.period, regionSet: 'municipality', region: st.gm })],
        reference: [`/v1/municipalities/${encodeURIComponent(st.gm)}`],
      };
    case 'funnel':
      // no region (or the nation set): the national funnel
      if (!need('period', 'regionSet')) return null;
      if (!st.region || st.regionSet === 'nation') {
        return { data: [apiUrl('/v1/funnels', { period: st.period, regionSet: 'nation' })], reference: [regionsOf(st.regionSet)] };
      }
      return {
        data: [apiUrl('/v1/funnels', { period: st.period, regionSet: st.regionSet, region: st.region }),
          apiUrl('/v1/funnels', { period: st.period, regionSet: 'nation' })],
        reference: [regionsOf(st.regionSet)],
      };
    case 'compare':
      if (!need('period', 'regionSet', 'stage', 'metric')) return null;
      return { data: [apiUrl('/v1/comparisons', { period: st.period, regionSet: st.regionSet, stage: st.stage, metric: st.metric })],
        reference: [regionsOf(st.regionSet)] };
    case 'trends':
      if (!need('from', 'to', 'regionSet', 'regions', 'stage', 'metric')) return null;
      return {
        data: [apiUrl('/v1/funnels', { from: st.from, to: st.to, regionSet: st.regionSet, region: st.regions.slice(0, 6) }),
          apiUrl('/v1/funnels', { from: st.from, to: st.to, regionSet: 'nation' })],
        reference: [regionsOf(st.regionSet)],
      };
    case 'map':
      if (!need('period', 'regionSet', 'stage')) return null;
      return { data: [apiUrl('/v1/funnels', { period: st.period, regionSet: st.regionSet })],
        reference: [regionsOf(st.regionSet), '/dashboard/nl-2023.topo.json'] };
    case 'networks':
      if (!need('period', 'regionSet')) return null;
      return { data: [apiUrl('/v1/networks', { period: st.period, regionSet: st.regionSet, region: st.region || undefined })],
        reference: [regionsOf(st.regionSet)] };
    case 'completeness':
      if (!need('period', 'regionSet')) return null;
      return { data: [apiUrl('/v1/completeness', { period: st.period, regionSet: st.regionSet })],
        reference: [regionsOf(st.regionSet), '/v1/municipalities'] };
    default:
      return null;
  }
}

/** URL -> Promise<Response> started before the dashboard's other modules arrived. */
export const prefetched = new Map();

const TOKEN_KEY = 'trechter.token';

function start(url, token) {
  if (prefetched.has(url)) return;
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const p = fetch(url, { headers, credentials: 'omit', cache: token ? 'no-store' : 'default', redirect: 'error' });
  p.catch(() => {}); // a failure is reported by the getJson that takes it
  prefetched.set(url, p);
}

/** Starts the reference data, who is signed in, the quarters with data and the view's queries. */
export function prefetch() {
  let token = '';
  try { token = sessionStorage.getItem(TOKEN_KEY) || ''; } catch { /* storage disabled */ }
  for (const u of REFERENCE) start(u, '');
  if (!token) return;
  start('/v1/me', token);
  start(periodsQuery(), token);
  const { view, state } = parseAddress(location.hash);
  const q = view && viewQueries(view, state);
  if (!q) return;
  for (const u of q.data) start(u, token);
  for (const u of q.reference) start(u, '');
}

prefetch(); // once: a module is evaluated once however often it is imported
