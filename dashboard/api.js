// Same-origin calls to the trechter API with `Authorization: Bearer`. The token lives in
// sessionStorage only (this tab, gone when it closes) and never in a URL.

const KEY = 'trechter.token';

export function getToken() {
  try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch { /* storage disabled: the token lives only in memory then */ }
  memoryToken = token || '';
}

let memoryToken = '';

export class ApiError extends Error {
  constructor(status, problem, path) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.path = path;
  }
}

/** Builds "/v1/x?a=1&b=2" from a path and an object of parameters (empty values left out). */
export function apiUrl(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** GET a JSON document from this server; throws ApiError on a problem answer. */
export async function getJson(path, params) {
  const url = apiUrl(path, params);
  const headers = { Accept: 'application/json' };
  const token = getToken() || memoryToken;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(url, { headers, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (e) {
    throw new ApiError(0, null, url);
  }
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) throw new ApiError(res.status, body, url);
  return body;
}

const refCache = new Map();

/** Reference data (no token needed, the same for everyone): fetched once per page load. */
export function getReference(path) {
  if (!refCache.has(path)) {
    const p = getJson(path);
    refCache.set(path, p);
    p.catch(() => refCache.delete(path));
  }
  return refCache.get(path);
}
