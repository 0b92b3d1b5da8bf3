// The funnel for the nation or one region: a bar per stage (centred, so it reads as a funnel),
// the conversion between stages, and counts per 10,000 children. Without a region chosen it is
// the national funnel.
import { getJson } from './api.js';
import { viewQueries } from './address.js';
import { s } from './dom.js';
import { t, label, fmtInt, fmtDec, fmtPct, fmtMetric } from './i18n.js';
import { chartRoot, niceMax, svgText, fitText, textWidth, BAR, INK, MUTED } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker, metricPicker } from './pickers.js';
import { scaffold, stateText } from './view.js';

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'funnel', title: t('funnelTitle'), intro: t('funnelIntro') });
  const st = ctx.state;
  const metric = st.metric === 'count' ? 'count' : 'per10k';
  const q = viewQueries('funnel', st);
  const [regions, doc, nation] = await Promise.all([ctx.regions(st.regionSet), ...q.data.map((u) => getJson(u))]);
  if (!ctx.current()) return;
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx),
    regionPicker(ctx, regions, { allLabel: `${t('national')} (${t('wholeCountry')})` }), metricPicker(ctx, ['count', 'per10k']));
  const stages = ctx.ref.stages;
  v.setDefinitions(stages);
  const row = doc.rows[0];
  if (!row) { v.setStatus(t('empty')); return; }
  const natRow = nation ? nation.rows[0] : row;
  const own = ctx.isOwn(row.region.code);
  v.setStatus([row.region.name, row.period, row.coverage ? t('coverageText')(row.coverage.reporting, row.coverage.expected) : stateText(Object.values(row.stages)[0])].join(' · '));
  v.setProtected(row.protected, { own });
  const title = `${t('funnelTitle')}: ${row.region.name}, ${row.period} (${t(`metrics.${metric}`).toLowerCase()})`;
  v.chart((width, scale) => funnelChart(row, stages, metric, width, scale, title),
    { title, file: `trechter-funnel-${row.period}-${row.region.code}-${metric}` });
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
      return { _key: stg.key, _period: row.period, _protected: row.protected, stage: label(stg.label, stg.key), state: stateText(c), count: c.count ?? null,
        reporting: c.reporting ?? null, per10k: c.per10k ?? null, fromPrevious: c.fromPrevious ?? null, national: n.per10k ?? null };
    }),
  }, `trechter-funnel-${row.period}-${row.region.code}.csv`);
}

/** The funnel drawn `width` px wide: label, bar and values side by side, or (narrow) the label
 * and values on a line above each bar. */
export function funnelChart(row, stages, metric, width, k, title) {
  const narrow = width < 620;
  const fsStrong = 15 * k, fs = 13 * k;
  const labelW = narrow ? 0 : Math.min(200, Math.max(...stages.map((stg) => textWidth(label(stg.label, stg.key), fsStrong, 700))) + 16);
  const valueW = narrow ? 0 : Math.min(220, width * 0.26);
  const plotW = width - labelW - valueW;
  const cx = labelW + plotW / 2;
  const bh = 34 * k, gap = 30 * k, head = narrow ? 22 * k : 0;
  const pitch = head + bh + gap;
  const top = 6;
  const height = top + stages.length * pitch - gap + 8;
  const values = stages.map((stg) => (row.stages[stg.key] || {})[metric]).filter((x) => x != null);
  const max = niceMax(Math.max(0, ...values));
  const svg = chartRoot(width, height, title,
    `${t(`metrics.${metric}`)}. ` + stages.map((stg) => {
      const c = row.stages[stg.key] || {};
      return `${label(stg.label)}: ${c[metric] == null ? stateText(c) : fmtMetric(metric, c[metric])}`;
    }).join('; '), 'funnel');
  let anyMissing = false;
  stages.forEach((stg, i) => {
    const c = row.stages[stg.key] || {};
    const y0 = top + i * pitch;
    const y = y0 + head;
    const val = c[metric];
    const g = s('g', { class: 'bar-row', dataset: { key: stg.key } });
    const name = label(stg.label, stg.key);
    const main = c.count == null ? stateText(c) : fmtInt(c.count);
    const sub = c.per10k == null ? '' : `${fmtDec(c.per10k, 1)} ${t('per10k').toLowerCase()}`;
    if (narrow) {
      g.append(svgText(0, y0 + 9 * k, name, { size: fsStrong, weight: 700, cls: 'bar-label strong' }));
      const vx = width;
      g.append(svgText(vx, y0 + 9 * k, fitText(sub ? `${main} · ${sub}` : main, width - textWidth(name, fsStrong, 700) - 12, fs), {
        size: fs, anchor: 'end', weight: 600, cls: 'bar-value strong', dataset: { count: c.count ?? '', per10k: c.per10k ?? '' } }));
    } else {
      g.append(svgText(0, y + bh / 2, name, { size: fsStrong, weight: 700, cls: 'bar-label strong' }));
      g.append(svgText(width - valueW + 16, y + bh / 2 - (sub ? 9 * k : 0), main, { size: fsStrong, weight: 700, cls: 'bar-value strong', dataset: { count: c.count ?? '' } }));
      if (sub) g.append(svgText(width - valueW + 16, y + bh / 2 + 11 * k, sub, { size: fs, fill: MUTED, cls: 'bar-value small', dataset: { per10k: c.per10k } }));
    }
    if (val == null) {
      anyMissing = true;
      g.append(s('rect', { x: cx - plotW / 4, y, width: plotW / 2, height: bh, fill: svg.hatch, class: 'bar novalue', dataset: { value: '' } },
        s('title', { text: stateText(c) })));
      g.append(svgText(cx, y + bh / 2, stateText(c), { size: fs, anchor: 'middle', italic: true, fill: INK, cls: 'bar-inside' }));
    } else {
      const w = Math.max(2, (val / max) * plotW);
      g.append(s('rect', { x: cx - w / 2, y, width: w, height: bh, rx: 3, fill: BAR, class: 'bar', dataset: { value: val } },
        s('title', { text: `${name}: ${fmtMetric(metric, val)}` })));
    }
    if (i > 0) {
      const conv = c.fromPrevious;
      g.append(svgText(cx, y0 - gap / 2, conv == null ? `↓ ${t('conversion')} –` : `↓ ${fmtPct(conv)} ${t('conversion')}`, {
        size: fs, weight: 600, anchor: 'middle', fill: '#333333', cls: 'conversion', dataset: { conversion: conv ?? '' } }));
    }
    svg.append(g);
  });
  svg.legend = [{ kind: 'swatch', color: BAR, label: t(`metrics.${metric}`) }];
  if (anyMissing) svg.legend.push({ kind: 'hatch', label: t('noValueLegend') });
  return svg;
}
