// Same-origin calls to the trechter API with `Authorization: Bearer`. The token lives in
// sessionStorage only (this tab, gone when it closes) and never in a URL. A call whose answer was
// already asked for while the page loaded (address.js) takes that answer instead of asking again.
import { apiUrl, prefetched } from './address.js';

export { apiUrl };

const KEY = 'trechter.token';
let memoryToken = '';

export function getToken() {
  try { return sessionStorage.getItem(KEY) || memoryToken; } catch { return memoryToken; }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch { /* storage disabled: the token lives only in memory then */ }
  memoryToken = token || '';
  if (!token) prefetched.clear();
}

export class ApiError extends Error {
  constructor(status, problem, path, retryAfter) {
    super((problem && (problem.detail || problem.title)) || (status ? `HTTP ${status}` : 'network'));
    this.status = status;           // 0: no answer at all
    this.problem = problem;
    this.path = path;
    this.retryAfter = retryAfter;   // seconds, from a 503 or 429
  }
}

let dataDate = null;
let dataRelease = null;
/** When the latest figures were read (the Date of the latest answer of a read endpoint). */
export function lastDataDate() { return dataDate; }
/** What the latest figures are (design §8): null for live figures, else the release
 * {id, status, releasedAt}; {perQuarter: true, ...} when the rows of a series come from several. */
export function lastDataRelease() { return dataRelease; }

function releaseOf(body) {
  if (!body || typeof body !== 'object') return null;
  if (body.release) return body.release;
  const ids = new Map();
  for (const r of body.rows || []) if (r && r.release && r.release.id) ids.set(r.release.id, r.release);
  if (!ids.size) return null;
  const list = [...ids.values()].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return ids.size === 1 ? list[0] : { ...list[list.length - 1], perQuarter: true };
}

async function answer(res, url) {
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) {
    const ra = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, body, url, Number.isFinite(ra) && ra > 0 ? ra : null);
  }
  if (/^\/v1\/(funnels|comparisons|networks|completeness)\b/.test(url)) {
    const d = new Date(res.headers.get('Date') || Date.now());
    dataDate = Number.isNaN(d.getTime()) ? new Date() : d;
    dataRelease = releaseOf(body);
  }
  return body;
}

/** GET a JSON document from this server; throws ApiError on a problem answer or no answer. */
export async function getJson(path, params, { anonymous = false } = {}) {
  const url = apiUrl(path, params);
  let pending = prefetched.get(url);
  prefetched.delete(url);
  const token = anonymous ? '' : getToken();
  if (!pending) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    pending = fetch(url, { headers, credentials: 'omit', cache: token ? 'no-store' : 'default', redirect: 'error' });
  }
  let res;
  try {
    res = await pending;
  } catch (e) {
    throw new ApiError(0, null, url, null);
  }
  return answer(res, url);
}

const refCache = new Map();

/** Reference data (no token needed, the same for everyone): fetched once per page load; a failed
 * fetch is forgotten, so the next call asks again. */
export function getReference(path) {
  if (!refCache.has(path)) {
    const p = getJson(path, undefined, { anonymous: true });
    refCache.set(path, p);
    p.catch(() => refCache.delete(path));
  }
  return refCache.get(path);
}
