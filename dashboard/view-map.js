// A choropleth of municipalities or safety regions, coloured by a stage's count per 10,000
// children in five quantile classes (viridis); no value is hatched, not blank. Hover or focus
// shows the details; a click (or Enter) opens that region's funnel.
import { getJson, getReference } from './api.js';
import { h, s, clear } from './dom.js';
import { t, label, fmtInt, fmtDec } from './i18n.js';
import { chartRoot, SEQUENTIAL } from './charts.js';
import { features } from './topo.js';
import { periodPicker, regionSetPicker, regionPicker, stagePicker } from './pickers.js';
import { scaffold, failure, stateText } from './view.js';

const LEVELS = { municipality: 'gm_features', safetyRegion: 'vr_features' };
const W = 620, H = 720;
const projected = {};

export async function render(root, ctx) {
  const v = scaffold(root, { name: 'map', title: t('mapTitle'), intro: t('mapIntro') });
  const st = ctx.state;
  if (!LEVELS[st.regionSet]) st.regionSet = 'municipality';
  const level = st.regionSet;
  const regions = await ctx.regions(level);
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx, Object.keys(LEVELS)), stagePicker(ctx),
    regionPicker(ctx, regions, { key: 'highlight', allLabel: t('none'), text: t('highlight') }));
  v.setStatus(t('loading'));
  let doc, topo;
  try {
    [doc, topo] = await Promise.all([
      getJson('/v1/funnels', { period: st.period, regionSet: level }),
      getReference('/dashboard/nl-2023.topo.json'),
    ]);
  } catch (e) { v.setStatus(failure(e), 'error'); return; }
  if (!ctx.current(root)) return;
  if (!projected[level]) projected[level] = features(topo, LEVELS[level], W, H, 'nl_features');
  const geo = projected[level];
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  const stageName = label(stage && stage.label, st.stage);
  const byCode = new Map(doc.rows.map((r) => [r.region.code, r]));
  const values = doc.rows.map((r) => (r.stages[st.stage] || {}).per10k).filter((x) => x != null).sort((a, b) => a - b);
  const breaks = quantileBreaks(values, SEQUENTIAL.length);
  const classOf = (x) => { let c = 0; while (c < breaks.length && x > breaks[c]) c++; return c; };
  v.setStatus(`${stageName} · ${t('per10k')} · ${st.period} · ${values.length}/${doc.rows.length}`);
  v.setProtected(doc.protected);

  const svg = chartRoot(W, H, `${t('mapTitle')}: ${stageName}, ${t('per10k')}, ${st.period}`,
    `${t(`mapLevels.${level}`)}; ${values.length} / ${doc.rows.length}. ${t('mapHint')}`, 'map');
  const info = h('div', { class: 'map-info', 'aria-live': 'polite' }, h('p', { class: 'muted', text: t('mapHint') }));
  const show = (code) => {
    const r = byCode.get(code);
    const c = r ? r.stages[st.stage] || {} : null;
    clear(info).append(
      h('h3', { text: r ? `${r.region.name} (${code})` : code }),
      h('dl', {}, [
        h('dt', { text: t('per10k') }), h('dd', { class: 'big', dataset: { per10k: c && c.per10k != null ? c.per10k : '' }, text: c && c.per10k != null ? fmtDec(c.per10k, 1) : stateText(c) }),
        h('dt', { text: t('count') }), h('dd', { text: c && c.count != null ? fmtInt(c.count) : stateText(c) }),
        h('dt', { text: t('coverage') }), h('dd', { text: r ? t('coverageText')(r.coverage.reporting, r.coverage.expected) : '–' }),
        h('dt', { text: t('childPopulation') }), h('dd', { text: r ? fmtInt(r.childPopulation) : '–' }),
      ]),
    );
  };
  const areas = s('g', { class: 'areas' });
  for (const f of geo.features) {
    const r = byCode.get(f.code);
    const c = r ? r.stages[st.stage] || {} : null;
    const val = c ? c.per10k : null;
    const name = r ? r.region.name : f.code;
    const text = val == null ? stateText(c) : `${fmtDec(val, 1)} ${t('per10k').toLowerCase()}`;
    const path = s('path', {
      d: f.d, class: ['area', f.code === st.highlight && 'highlight', val == null && 'novalue'],
      fill: val == null ? svg.hatch : SEQUENTIAL[classOf(val)], tabindex: 0, role: 'button',
      'aria-label': `${name}: ${text}`, dataset: { code: f.code, value: val == null ? '' : val },
    }, s('title', { text: `${name} (${f.code}): ${text}` }));
    const open = () => ctx.go('funnel', { regionSet: level, region: f.code });
    path.addEventListener('mouseenter', () => show(f.code));
    path.addEventListener('focus', () => show(f.code));
    path.addEventListener('click', open);
    path.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } });
    areas.append(path);
  }
  svg.append(areas);
  if (geo.outline) svg.append(s('path', { d: geo.outline, class: 'outline', fill: 'none', 'aria-hidden': 'true' }));
  const hl = areas.querySelector('.highlight');
  if (hl) { areas.append(hl); show(st.highlight); } // drawn last, so its outline is on top

  const legend = h('div', { class: 'legend', role: 'group', 'aria-label': t('legend') }, [
    h('h3', { text: `${t('legend')}: ${t('per10k').toLowerCase()}` }),
    h('ul', {}, [
      ...SEQUENTIAL.map((col, i) => {
        if (!values.length) return null;
        const lo = i === 0 ? values[0] : breaks[i - 1];
        const hi = i < breaks.length ? breaks[i] : values[values.length - 1];
        return h('li', {}, [swatch(col), `${fmtDec(lo, 1)} – ${fmtDec(hi, 1)}`]);
      }),
      h('li', {}, [swatch(null), `${t('noValue')} (${t('states.notKnown')}, ${t('states.notSubmitted')}, ${t('states.withheld')})`]),
    ]),
  ]);
  v.body.append(h('div', { class: 'map-layout' }, [
    h('figure', { class: 'map-figure' }, [svg, h('figcaption', { class: 'attribution', text: t('attribution') })]),
    h('div', { class: 'map-side' }, [info, legend]),
  ]));
  v.setDataset({
    caption: `${t('mapTitle')} — ${stageName}, ${t('per10k')}, ${st.period}`,
    columns: [
      { key: 'code', label: 'Code' }, { key: 'name', label: t('region') },
      { key: 'count', label: t('count'), numeric: true, fmt: fmtInt },
      { key: 'per10k', label: t('per10k'), numeric: true, fmt: (x) => fmtDec(x, 1) },
      { key: 'state', label: t('state') },
    ],
    rows: doc.rows.map((r) => {
      const c = r.stages[st.stage] || {};
      return { _key: r.region.code, code: r.region.code, name: r.region.name, count: c.count ?? null, per10k: c.per10k ?? null, state: stateText(c) };
    }),
  }, `trechter-map-${st.period}-${level}-${st.stage}.csv`);
}

function swatch(colour) {
  const svg = s('svg', { viewBox: '0 0 24 16', width: 24, height: 16, 'aria-hidden': 'true', class: 'swatch' });
  if (colour) svg.append(s('rect', { width: 24, height: 16, fill: colour }));
  else svg.append(s('defs', {}, s('pattern', { id: 'legend-hatch', patternUnits: 'userSpaceOnUse', width: 6, height: 6, patternTransform: 'rotate(45)' }, [
    s('rect', { width: 6, height: 6, fill: '#f1f1f1' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#767676', 'stroke-width': 2 })])),
  s('rect', { width: 24, height: 16, fill: 'url(#legend-hatch)', stroke: '#767676' }));
  return svg;
}

/** Upper bounds of the first n-1 of n classes with about equally many values each. */
function quantileBreaks(sorted, n) {
  if (!sorted.length) return [];
  const out = [];
  for (let i = 1; i < n; i++) out.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / n))]);
  return out;
}
