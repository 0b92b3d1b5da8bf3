// Regions ranked on one stage and metric, the national value drawn as a dashed line; regions
// without a value are listed after the ranked ones, hatched and with their state — never dropped.
import { getJson } from './api.js';
import { t, label, fmtInt, fmtDec, fmtMetric } from './i18n.js';
import { hbarChart } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker, stagePicker, metricPicker } from './pickers.js';
import { scaffold, failure, stateText } from './view.js';

export async function render(root, ctx) {
  const v = scaffold(root, { name: 'compare', title: t('compareTitle'), intro: t('compareIntro') });
  const st = ctx.state;
  const sets = ctx.ref.regionSets.filter((r) => r.key !== 'nation').map((r) => r.key);
  if (!sets.includes(st.regionSet)) st.regionSet = sets.includes('safetyRegion') ? 'safetyRegion' : sets[0];
  const regions = await ctx.regions(st.regionSet);
  const metric = ['count', 'per10k', 'fromPrevious'].includes(st.metric) ? st.metric : 'per10k';
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx, sets), stagePicker(ctx), metricPicker(ctx),
    regionPicker(ctx, regions, { key: 'highlight', allLabel: t('none'), text: t('highlight') }));
  v.setStatus(t('loading'));
  let doc;
  try {
    doc = await getJson('/v1/comparisons', { period: st.period, regionSet: st.regionSet, stage: st.stage, metric });
  } catch (e) { v.setStatus(failure(e), 'error'); return; }
  if (!ctx.current(root)) return;
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  const stageName = label(stage && stage.label, st.stage);
  const nat = doc.national || {};
  const ranked = doc.rows.filter((r) => r.value != null);
  const unranked = doc.rows.filter((r) => r.value == null);
  v.setStatus(`${stageName} · ${t(`metrics.${metric}`)} · ${st.period} · ${ranked.length}/${doc.rows.length}`);
  v.setProtected(doc.protected ?? doc.rows.some((r) => r.protected));
  const rowText = (r) => (r.withheld ? t('states.withheld') : stateText(r));
  const chartRows = [...ranked, ...unranked].map((r) => ({
    key: r.region.code, label: r.region.name, value: r.value, highlight: r.region.code === st.highlight,
    text: `${fmtMetric(metric, r.value)}${r.rank ? `  (#${r.rank})` : ''}`, note: rowText(r),
  }));
  v.body.append(hbarChart(chartRows, {
    title: `${t('compareTitle')}: ${stageName}, ${t(`metrics.${metric}`)}, ${st.period}`,
    desc: `${t('nationalLine')}: ${fmtMetric(metric, nat.value)}. ${ranked.length} / ${doc.rows.length}.`,
    fmt: (x) => fmtMetric(metric, x), barHeight: doc.rows.length > 60 ? 14 : 22, labelWidth: 250,
    ref: { value: nat.value, label: `${t('national')}: ${fmtMetric(metric, nat.value)}` },
  }));
  v.setDataset({
    caption: `${t('compareTitle')} — ${stageName}, ${t(`metrics.${metric}`)}, ${st.period}; ${t('nationalLine')} ${fmtMetric(metric, nat.value)}`,
    columns: [
      { key: 'rank', label: t('rank'), numeric: true, fmt: fmtInt },
      { key: 'code', label: 'Code' },
      { key: 'name', label: t('region') },
      { key: 'value', label: t(`metrics.${metric}`), numeric: true, fmt: (x) => fmtMetric(metric, x) },
      { key: 'ratio', label: t('ratio'), numeric: true, fmt: (x) => fmtDec(x, 2) },
      { key: 'z', label: t('zScore'), numeric: true, fmt: (x) => fmtDec(x, 2) },
      { key: 'quartile', label: t('quartile'), numeric: true, fmt: fmtInt },
      { key: 'state', label: t('state') },
    ],
    rows: [...ranked, ...unranked].map((r) => ({ _key: r.region.code, rank: r.rank, code: r.region.code, name: r.region.name,
      value: r.value, ratio: r.ratioToNational, z: r.zScore, quartile: r.quartile, state: rowText(r) })),
  }, `trechter-compare-${st.period}-${st.regionSet}-${st.stage}-${metric}.csv`);
}
