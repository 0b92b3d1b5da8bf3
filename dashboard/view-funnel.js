// The funnel for the nation or one region: a bar per stage (centred, so it reads as a funnel),
// the conversion between stages, and counts per 10,000 children.
import { getJson } from './api.js';
import { s } from './dom.js';
import { t, label, fmtInt, fmtDec, fmtPct, fmtMetric } from './i18n.js';
import { chartRoot, niceMax, BAR } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker, metricPicker } from './pickers.js';
import { scaffold, failure, stateText } from './view.js';

export async function render(root, ctx) {
  const v = scaffold(root, { name: 'funnel', title: t('funnelTitle'), intro: t('funnelIntro') });
  const st = ctx.state;
  const regions = await ctx.regions(st.regionSet);
  const region = regions.some((r) => r.code === st.region) ? st.region : (regions[0] || {}).code;
  const metric = st.metric === 'count' ? 'count' : 'per10k';
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx), regionPicker(ctx, regions), metricPicker(ctx, ['count', 'per10k']));
  if (!region) { v.setStatus(t('empty')); return; }
  v.setStatus(t('loading'));
  let doc, nation;
  try {
    [doc, nation] = await Promise.all([
      getJson('/v1/funnels', { period: st.period, regionSet: st.regionSet, region }),
      st.regionSet === 'nation' ? null : getJson('/v1/funnels', { period: st.period, regionSet: 'nation' }),
    ]);
  } catch (e) { v.setStatus(failure(e), 'error'); return; }
  if (!ctx.current(root)) return;
  const row = doc.rows[0];
  if (!row) { v.setStatus(t('empty')); return; }
  const natRow = nation ? nation.rows[0] : row;
  v.setStatus(`${row.region.name} · ${row.period} · ${t('coverageText')(row.coverage.reporting, row.coverage.expected)}`);
  v.setProtected(doc.protected);
  const stages = ctx.ref.stages;
  v.body.append(funnelChart(row, stages, metric));
  v.setDataset({
    caption: `${t('funnelTitle')} — ${row.region.name} (${row.region.code}), ${row.period}`,
    columns: [
      { key: 'stage', label: t('stage') },
      { key: 'state', label: t('state') },
      { key: 'count', label: t('count'), numeric: true, fmt: fmtInt },
      { key: 'reporting', label: t('reporting'), numeric: true, fmt: fmtInt },
      { key: 'per10k', label: t('per10k'), numeric: true, fmt: (x) => fmtDec(x, 1) },
      { key: 'fromPrevious', label: t('fromPrevious'), numeric: true, fmt: fmtPct },
      { key: 'national', label: `${t('national')} ${t('per10k').toLowerCase()}`, numeric: true, fmt: (x) => fmtDec(x, 1) },
    ],
    rows: stages.map((stg) => {
      const c = row.stages[stg.key] || {};
      const n = (natRow.stages[stg.key] || {});
      return { _key: stg.key, stage: label(stg.label, stg.key), state: stateText(c), count: c.count ?? null,
        reporting: c.reporting ?? null, per10k: c.per10k ?? null, fromPrevious: c.fromPrevious ?? null, national: n.per10k ?? null };
    }),
  }, `trechter-funnel-${row.period}-${row.region.code}.csv`);
}

function funnelChart(row, stages, metric) {
  const width = 900, labelW = 170, valueW = 230, bh = 36, gap = 28, top = 10;
  const plotW = width - labelW - valueW;
  const cx = labelW + plotW / 2;
  const height = top + stages.length * (bh + gap) - gap + 10;
  const values = stages.map((stg) => (row.stages[stg.key] || {})[metric]).filter((x) => x != null);
  const max = niceMax(Math.max(0, ...values));
  const svg = chartRoot(width, height, `${t('funnelTitle')}: ${row.region.name}, ${row.period}`,
    `${t(`metrics.${metric}`)}. ` + stages.map((stg) => {
      const c = row.stages[stg.key] || {};
      return `${label(stg.label)}: ${c[metric] == null ? stateText(c) : fmtMetric(metric, c[metric])}`;
    }).join('; '), 'funnel');
  stages.forEach((stg, i) => {
    const c = row.stages[stg.key] || {};
    const y = top + i * (bh + gap);
    const val = c[metric];
    const g = s('g', { class: 'bar-row', dataset: { key: stg.key } });
    g.append(s('text', { x: 0, y: y + bh / 2, 'dominant-baseline': 'central', class: 'bar-label strong', text: label(stg.label, stg.key) }));
    if (val == null) {
      g.append(s('rect', { x: cx - plotW / 4, y, width: plotW / 2, height: bh, fill: svg.hatch, class: 'bar novalue', dataset: { value: '' } },
        s('title', { text: stateText(c) })));
      g.append(s('text', { x: cx, y: y + bh / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central', class: 'bar-inside muted', text: stateText(c) }));
    } else {
      const w = Math.max(2, (val / max) * plotW);
      g.append(s('rect', { x: cx - w / 2, y, width: w, height: bh, rx: 3, fill: BAR, class: 'bar', dataset: { value: val } },
        s('title', { text: `${label(stg.label)}: ${fmtMetric(metric, val)}` })));
    }
    const main = c.count == null ? stateText(c) : fmtInt(c.count);
    const sub = c.per10k == null ? '' : `${fmtDec(c.per10k, 1)} ${t('per10k').toLowerCase()}`;
    g.append(s('text', { x: width - valueW + 16, y: y + bh / 2 - (sub ? 9 : 0), 'dominant-baseline': 'central', class: 'bar-value strong', dataset: { count: c.count ?? '' }, text: main }));
    if (sub) g.append(s('text', { x: width - valueW + 16, y: y + bh / 2 + 12, 'dominant-baseline': 'central', class: 'bar-value small', dataset: { per10k: c.per10k }, text: sub }));
    if (i > 0) {
      const conv = c.fromPrevious;
      g.append(s('text', { x: cx, y: y - gap / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central', class: 'conversion',
        dataset: { conversion: conv ?? '' }, text: conv == null ? `↓ ${t('conversion')} –` : `↓ ${fmtPct(conv)} ${t('conversion')}` }));
    }
    svg.append(g);
  });
  return svg;
}
