// One stage over quarters for chosen regions (/v1/funnels?from=..&to=..), with the national line.
import { getJson } from './api.js';
import { t, label, fmtMetric } from './i18n.js';
import { lineChart, OKABE_ITO } from './charts.js';
import { periodPicker, regionSetPicker, regionsPicker, stagePicker, metricPicker } from './pickers.js';
import { quarterRange, parseQuarter } from './periods.js';
import { scaffold, failure } from './view.js';

const MAX = 6;

export async function render(root, ctx) {
  const v = scaffold(root, { name: 'trends', title: t('trendsTitle'), intro: t('trendsIntro') });
  const st = ctx.state;
  const regions = await ctx.regions(st.regionSet);
  let chosen = (st.regions || []).filter((c) => regions.some((r) => r.code === c));
  if (!chosen.length) chosen = defaultRegions(regions);
  st.regions = chosen;
  const metric = ['count', 'per10k', 'fromPrevious'].includes(st.metric) ? st.metric : 'per10k';
  v.controls.append(periodPicker(ctx, 'from', t('from')), periodPicker(ctx, 'to', t('to')), regionSetPicker(ctx),
    regionsPicker(ctx, regions), stagePicker(ctx), metricPicker(ctx));
  let [from, to] = [st.from, st.to];
  const a = parseQuarter(from), b = parseQuarter(to);
  if (a.y * 4 + a.q > b.y * 4 + b.q) [from, to] = [to, from];
  const shown = chosen.slice(0, MAX);
  v.setStatus(t('loading'));
  let doc, nation;
  try {
    [doc, nation] = await Promise.all([
      getJson('/v1/funnels', { from, to, regionSet: st.regionSet, region: shown }),
      getJson('/v1/funnels', { from, to, regionSet: 'nation' }),
    ]);
  } catch (e) { v.setStatus(failure(e), 'error'); return; }
  if (!ctx.current(root)) return;
  const quarters = quarterRange(from, to);
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  const stageName = label(stage && stage.label, st.stage);
  const valueOf = (rows, code, q) => {
    const r = rows.find((x) => x.period === q && x.region.code === code);
    const c = r && r.stages[st.stage];
    return c && c[metric] != null ? c[metric] : null;
  };
  const series = shown.map((code, i) => ({
    key: code, label: (regions.find((r) => r.code === code) || { name: code }).name,
    color: OKABE_ITO[i], values: quarters.map((q) => valueOf(doc.rows, code, q)),
  }));
  if (st.regionSet !== 'nation') {
    series.push({ key: 'NL01', label: t('national'), national: true, values: quarters.map((q) => valueOf(nation.rows, 'NL01', q)) });
  }
  v.setStatus(`${stageName} · ${t(`metrics.${metric}`)} · ${from} – ${to}${chosen.length > MAX ? ` · ${t('tooMany')}` : ''}`);
  v.setProtected(doc.protected);
  v.body.append(lineChart(quarters, series, {
    title: `${t('trendsTitle')}: ${stageName}, ${t(`metrics.${metric}`)}`,
    desc: series.map((se) => `${se.label}: ${se.values.map((x) => fmtMetric(metric, x)).join(', ')}`).join('. '),
    fmt: (x) => fmtMetric(metric, x),
  }));
  v.setDataset({
    caption: `${t('trendsTitle')} — ${stageName}, ${t(`metrics.${metric}`)}`,
    columns: [{ key: 'quarter', label: t('quarter') },
      ...series.map((se) => ({ key: se.key, label: `${se.label} (${se.key})`, numeric: true, fmt: (x) => fmtMetric(metric, x) }))],
    rows: quarters.map((q, i) => Object.fromEntries([['_key', q], ['quarter', q], ...series.map((se) => [se.key, se.values[i]])])),
  }, `trechter-trends-${from}-${to}-${st.regionSet}-${st.stage}-${metric}.csv`);
}

function defaultRegions(regions) {
  const prefer = ['VR17', 'VR13', 'VR15', 'GM0599', 'GM0363', 'GM0518', 'PV28', 'PV27'];
  const picked = prefer.filter((c) => regions.some((r) => r.code === c));
  return (picked.length ? picked : regions.slice(0, 3).map((r) => r.code)).slice(0, 3);
}
