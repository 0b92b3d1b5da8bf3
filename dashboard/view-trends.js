// One stage over quarters for chosen regions (/v1/funnels?from=..&to=..), with the national line.
// Every line is named in the legend; a line with gaps, or without any value, says so and why.
import { getJson } from './api.js';
import { viewQueries } from './address.js';
import { t, label, fmtMetric } from './i18n.js';
import { lineChart, OKABE_ITO } from './charts.js';
import { periodPicker, regionSetPicker, regionsPicker, stagePicker, metricPicker } from './pickers.js';
import { quarterRange, parseQuarter } from './periods.js';
import { scaffold, stateText } from './view.js';

export const MAX = 6;

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'trends', title: t('trendsTitle'), intro: t('trendsIntro') });
  const st = ctx.state;
  const a = parseQuarter(st.from), b = parseQuarter(st.to);
  if (a.y * 4 + a.q > b.y * 4 + b.q) [st.from, st.to] = [st.to, st.from];
  let regions;
  if (!st.regions || !st.regions.length) {
    regions = await ctx.regions(st.regionSet);
    st.regions = regions.slice(0, 3).map((r) => r.code);
  }
  const metric = st.metric;
  const q = viewQueries('trends', st);
  const [list, doc, nation] = await Promise.all([regions || ctx.regions(st.regionSet), ...q.data.map((u) => getJson(u))]);
  if (!ctx.current()) return;
  regions = list;
  const chosen = st.regions.filter((c) => regions.some((r) => r.code === c));
  const shown = chosen.slice(0, MAX);
  v.controls.append(periodPicker(ctx, 'from', t('from')), periodPicker(ctx, 'to', t('to')), regionSetPicker(ctx),
    regionsPicker(ctx, regions), stagePicker(ctx), metricPicker(ctx));
  const quarters = quarterRange(st.from, st.to);
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  if (stage) v.setDefinitions([stage], { one: true });
  const stageName = label(stage && stage.label, st.stage);
  const cellOf = (rows, code, qq) => {
    const r = rows.find((x) => x.period === qq && x.region.code === code);
    return r ? r.stages[st.stage] || null : null;
  };
  const valueOf = (c) => (c && c[metric] != null ? c[metric] : null);
  const noteOf = (rows, code, values) => {
    const missing = quarters.filter((qq, i) => values[i] == null);
    if (!missing.length) return '';
    const why = [...new Set(missing.map((qq) => (metric === 'fromPrevious' && cellOf(rows, code, qq) && cellOf(rows, code, qq).state === 'published'
      && !cellOf(rows, code, qq).withheld ? t('noPrevious') : stateText(cellOf(rows, code, qq)))))].join(', ');
    return missing.length === quarters.length ? t('seriesEmpty')(why) : t('seriesGaps')(missing.length, why);
  };
  const series = shown.map((code, i) => {
    const values = quarters.map((qq) => valueOf(cellOf(doc.rows, code, qq)));
    return { key: code, label: (regions.find((r) => r.code === code) || { name: code }).name + (ctx.isOwn(code) ? ` ${t('yours')}` : ''),
      color: OKABE_ITO[i], values, note: noteOf(doc.rows, code, values) };
  });
  if (st.regionSet !== 'nation') {
    const values = quarters.map((qq) => valueOf(cellOf(nation.rows, 'NL01', qq)));
    series.push({ key: 'NL01', label: t('national'), national: true, values, note: noteOf(nation.rows, 'NL01', values) });
  }
  v.setStatus(`${stageName} · ${t(`metrics.${metric}`)} · ${st.from} – ${st.to}${chosen.length > MAX ? ` · ${t('tooMany')}` : ''}`);
  v.setProtected(doc.rows.some((r) => r.protected) || nation.rows.some((r) => r.protected), { own: shown.every((c) => ctx.isOwn(c)) });
  const title = `${t('trendsTitle')}: ${stageName}, ${t(`metrics.${metric}`)}, ${st.from} – ${st.to}`;
  v.chart((width, scale) => lineChart(quarters, series, {
    width, scale, title,
    desc: series.map((se) => `${se.label}: ${se.values.map((x) => fmtMetric(metric, x)).join(', ')}`).join('. '),
    fmt: (x) => fmtMetric(metric, x),
  }), { title, file: `trechter-trends-${st.from}-${st.to}-${st.regionSet}-${st.stage}-${metric}`, legendCaption: t('trendsLegend') });
  const protectedAt = (qq) => doc.rows.some((r) => r.period === qq && r.protected) || nation.rows.some((r) => r.period === qq && r.protected);
  v.setDataset({
    caption: `${t('trendsTitle')} — ${stageName}, ${t(`metrics.${metric}`)}`,
    columns: [{ key: 'quarter', label: t('quarter') },
      ...series.map((se) => ({ key: se.key, label: `${se.label} (${se.key})`, numeric: true, fmt: (x) => fmtMetric(metric, x) }))],
    rows: quarters.map((qq, i) => Object.fromEntries([['_key', qq], ['_period', qq], ['_protected', protectedAt(qq)], ['quarter', qq],
      ...series.map((se) => [se.key, se.values[i]])])),
  }, `trechter-trends-${st.from}-${st.to}-${st.regionSet}-${st.stage}-${metric}.csv`);
}
