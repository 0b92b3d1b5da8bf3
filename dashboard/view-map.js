// A choropleth of municipalities or safety regions, coloured by a stage's count per 10,000
// children in five classes of equal, round width (viridis); no value is hatched, not blank. The
// map is one tab stop: the arrow keys move to the neighbouring area in that direction, Enter opens
// its funnel; a search box finds an area by name or code; hover shows the details, a click opens.
import { getJson, getReference } from './api.js';
import { viewQueries } from './address.js';
import { h, s, clear, nextId } from './dom.js';
import { t, label, fmtInt, fmtDec } from './i18n.js';
import { chartRoot, SEQUENTIAL } from './charts.js';
import { features } from './topo.js';
import { periodPicker, regionSetPicker, stagePicker } from './pickers.js';
import { scaffold, stateText } from './view.js';

export const LEVELS = { municipality: 'gm_features', safetyRegion: 'vr_features' };
const W = 620, H = 720;
const projected = {};

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'map', title: t('mapTitle'), intro: t('mapIntro') });
  const st = ctx.state;
  const level = st.regionSet;
  const q = viewQueries('map', st);
  const [regions, doc, topo] = await Promise.all([ctx.regions(level), getJson(q.data[0]), getReference('/dashboard/nl-2023.topo.json')]);
  if (!ctx.current()) return;
  const mine = ctx.ownRegions(regions);
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx, Object.keys(LEVELS)), stagePicker(ctx));
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  if (stage) v.setDefinitions([stage], { one: true });
  if (!projected[level]) projected[level] = features(topo, LEVELS[level], W, H, 'nl_features');
  const geo = projected[level];
  const stageName = label(stage && stage.label, st.stage);
  const byCode = new Map(doc.rows.map((r) => [r.region.code, r]));
  const valueOf = (code) => { const r = byCode.get(code); const c = r && r.stages[st.stage]; return c && c.per10k != null ? c.per10k : null; };
  const values = doc.rows.map((r) => valueOf(r.region.code)).filter((x) => x != null).sort((a, b) => a - b);
  const scale = equalClasses(values, SEQUENTIAL.length);
  v.setStatus(`${stageName} · ${t('per10k')} · ${st.period} · ${values.length}/${doc.rows.length}`);
  v.setProtected(doc.rows.some((r) => r.protected), { own: doc.rows.every((r) => !r.protected) });
  const nameOf = (code) => (byCode.get(code) ? byCode.get(code).region.name : (regions.find((r) => r.code === code) || { name: code }).name);
  const infoId = nextId('map-info');
  const info = h('div', { class: 'map-info', id: infoId, 'aria-live': 'polite' }, h('p', { class: 'muted', text: t('mapHint') }));
  let current = st.highlight || mine[0] || (geo.features[0] || {}).code;
  const open = (code) => ctx.go('funnel', { regionSet: level, region: code });
  const show = (code) => {
    const r = byCode.get(code);
    const c = r ? r.stages[st.stage] || {} : null;
    const name = nameOf(code);
    clear(info).append(
      h('h3', { text: `${name} (${code})${mine.includes(code) ? ` ${level === 'municipality' ? t('yours') : t('yourRegionMark')}` : ''}` }),
      h('dl', {}, [
        h('dt', { text: t('per10k') }), h('dd', { class: 'big', dataset: { per10k: c && c.per10k != null ? c.per10k : '' }, text: c && c.per10k != null ? fmtDec(c.per10k, 1) : stateText(c) }),
        h('dt', { text: t('count') }), h('dd', { text: c && c.count != null ? fmtInt(c.count) : stateText(c) }),
        h('dt', { text: t('coverage') }), h('dd', { text: r && r.coverage ? t('coverageText')(r.coverage.reporting, r.coverage.expected) : '–' }),
        h('dt', { text: t('childPopulation') }), h('dd', { text: r && r.childPopulation != null ? fmtInt(r.childPopulation) : '–' }),
      ]),
      h('button', { type: 'button', class: 'secondary', dataset: { open: code }, onclick: () => open(code), text: t('mapOpen')(name) }),
    );
  };

  const svg = chartRoot(W, H, `${t('mapTitle')}: ${stageName}, ${t('per10k')}, ${st.period}`,
    `${t(`mapLevels.${level}`)}; ${values.length} / ${doc.rows.length}. ${t('mapLabel')}`, 'map');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  const areas = s('g', { class: 'areas' });
  const paths = new Map();
  for (const f of geo.features) {
    const val = valueOf(f.code);
    const r = byCode.get(f.code);
    const c = r ? r.stages[st.stage] || {} : null;
    const text = val == null ? stateText(c) : `${fmtDec(val, 1)} ${t('per10k').toLowerCase()}`;
    const path = s('path', {
      d: f.d, class: ['area', mine.includes(f.code) && 'own', val == null && 'novalue'],
      fill: val == null ? svg.hatch : SEQUENTIAL[scale.classOf(val)], dataset: { code: f.code, value: val == null ? '' : val },
    }, s('title', { text: `${nameOf(f.code)} (${f.code}): ${text}` }));
    path.addEventListener('mouseenter', () => show(f.code));
    path.addEventListener('click', () => open(f.code));
    areas.append(path);
    paths.set(f.code, path);
  }
  svg.append(areas);
  if (geo.outline) svg.append(s('path', { d: geo.outline, class: 'outline', fill: 'none', 'aria-hidden': 'true' }));
  const setCurrent = (code, { announce = true } = {}) => {
    if (!paths.has(code)) return;
    const before = paths.get(current);
    if (before) before.classList.remove('current');
    current = code;
    const p = paths.get(code);
    p.classList.add('current');
    areas.append(p); // drawn last, so its outline is on top
    if (announce) show(code);
  };
  const focusBox = h('div', {
    class: 'map-focus', tabindex: 0, role: 'group', 'aria-roledescription': t('mapTitle').toLowerCase(),
    'aria-label': t('mapLabel'), 'aria-describedby': infoId, dataset: { mapFocus: level },
  }, svg);
  focusBox.addEventListener('focus', () => setCurrent(current));
  focusBox.addEventListener('keydown', (e) => {
    const dirs = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (dirs[e.key]) {
      e.preventDefault();
      const next = neighbour(geo.features, current, dirs[e.key]);
      if (next) setCurrent(next);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (current) open(current);
    }
  });

  // the search box: a name or code from the list makes that area the current one
  const listId = nextId('map-areas');
  const searchId = nextId('map-search');
  const choices = geo.features.map((f) => ({ code: f.code, text: `${nameOf(f.code)} (${f.code})` }))
    .sort((a, b) => a.text.localeCompare(b.text, 'nl'));
  const search = h('input', { id: searchId, type: 'search', list: listId, autocomplete: 'off', dataset: { mapSearch: level }, 'aria-describedby': `${searchId}-help` });
  // a choice from the list, a code anywhere in the text, a name, or the one area whose name starts so
  const findArea = (text) => {
    const v2 = text.trim().toLowerCase();
    if (!v2) return null;
    const code = /\b((?:gm|vr)\d{2,4})\b/i.exec(v2);
    const starts = choices.filter((c) => c.text.toLowerCase().startsWith(v2));
    const hit = choices.find((c) => c.text.toLowerCase() === v2)
      || (code && choices.find((c) => c.code.toLowerCase() === code[1]))
      || choices.find((c) => nameOf(c.code).toLowerCase() === v2)
      || (starts.length === 1 ? starts[0] : null);
    return hit ? hit.code : null;
  };
  const searchHelp = h('small', { id: `${searchId}-help`, class: 'help', text: t('mapSearchHelp') });
  const pickSearch = (move) => {
    const code = findArea(search.value);
    if (!code) { if (move) searchHelp.textContent = t('mapNoMatch'); return; }
    searchHelp.textContent = t('mapSearchHelp');
    setCurrent(code);
    if (move) focusBox.focus();
  };
  search.addEventListener('change', () => pickSearch(false));
  search.addEventListener('input', () => pickSearch(false));
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); pickSearch(true); } });
  const searchField = h('div', { class: 'field map-search' }, [
    h('label', { for: searchId, text: t('mapSearch') }), search, searchHelp,
    h('datalist', { id: listId }, choices.map((c) => h('option', { value: c.text }))),
  ]);

  const counts = SEQUENTIAL.map(() => 0);
  values.forEach((x) => { counts[scale.classOf(x)] += 1; });
  const noValue = doc.rows.length - values.length;
  svg.legend = [
    ...(values.length ? SEQUENTIAL.map((color, i) => ({ kind: 'swatch', color, label: `${scale.labelOf(i)} (${counts[i]})` })) : []),
    { kind: 'hatch', label: `${t('noValueLegend')} (${noValue})` },
  ];
  // the map scales with its box (it has no text), so it is drawn once
  const figure = v.chart(() => svg, { title: `${t('mapTitle')}: ${stageName}, ${t('per10k')}, ${st.period}`,
    file: `trechter-map-${st.period}-${level}-${st.stage}`, legendCaption: `${t('legend')}: ${t('per10k').toLowerCase()}`,
    fixed: true, wrap: () => focusBox, before: searchField });
  figure.classList.add('map-figure');
  figure.append(h('p', { class: 'legend-note', text: t('mapClasses') }), h('p', { class: 'attribution', text: t('attribution') }));
  v.body.append(h('div', { class: 'map-layout' }, [figure, h('div', { class: 'map-side' }, [info])]));
  setCurrent(current, { announce: !!(st.highlight || mine.length) });

  v.setDataset({
    caption: `${t('mapTitle')} — ${stageName}, ${t('per10k')}, ${st.period}`,
    columns: [
      { key: 'code', label: 'Code' }, { key: 'name', label: t('region') },
      { key: 'count', label: t('count'), numeric: true, fmt: fmtInt },
      { key: 'per10k', label: t('per10k'), numeric: true, fmt: (x) => fmtDec(x, 1) },
      { key: 'cls', label: t('legend') },
      { key: 'state', label: t('state') },
    ],
    rows: doc.rows.map((r) => {
      const c = r.stages[st.stage] || {};
      const x = valueOf(r.region.code);
      return { _key: r.region.code, _period: r.period, _protected: r.protected, code: r.region.code, name: r.region.name,
        count: c.count ?? null, per10k: c.per10k ?? null, cls: x == null ? t('noValue') : scale.labelOf(scale.classOf(x)), state: stateText(c) };
    }),
  }, `trechter-map-${st.period}-${level}-${st.stage}.csv`);
}

/** The area whose centre lies nearest in direction [dx, dy] from the current one. */
function neighbour(list, code, [dx, dy]) {
  const from = list.find((f) => f.code === code);
  if (!from) return list.length ? list[0].code : null;
  let best = null, bestScore = Infinity;
  for (const f of list) {
    if (f.code === code) continue;
    const vx = f.cx - from.cx, vy = f.cy - from.cy;
    const along = vx * dx + vy * dy;
    if (along <= 0.5) continue;
    const across = Math.abs(vx * dy - vy * dx);
    const score = along + 2 * across;
    if (score < bestScore) { bestScore = score; best = f.code; }
  }
  return best;
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) at least x. */
function niceStep(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x - 1e-12) return m * p;
  return 10 * p;
}

/**
 * n classes of equal, round width covering the values, never narrower than a tenth of the
 * median value (narrower classes would colour noise — the protection's perturbation and chance —
 * as differences). Each class holds [lo, lo + step); labels say "a tot b" with one decimal.
 */
export function equalClasses(sorted, n) {
  if (!sorted.length) return { classOf: () => 0, labelOf: () => '', step: 0, start: 0 };
  const lo = sorted[0], hi = sorted[sorted.length - 1];
  const median = sorted[Math.floor(sorted.length / 2)];
  let step = niceStep(Math.max((hi - lo) / n, median / 10, 0.1));
  let start = Math.floor(lo / step) * step;
  while (start + n * step < hi) { step = niceStep(step * 1.0001); start = Math.floor(lo / step) * step; }
  const classOf = (x) => Math.max(0, Math.min(n - 1, Math.floor((x - start) / step + 1e-9)));
  const labelOf = (i) => t('classRange')(fmtDec(start + i * step, 1), fmtDec(start + (i + 1) * step, 1));
  return { classOf, labelOf, step, start };
}
