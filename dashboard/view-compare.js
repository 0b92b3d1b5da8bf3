// Regions ranked on one stage and metric, the national value drawn as a dashed line; regions
// without a value are listed after the ranked ones, hatched and with their state — never dropped.
// A municipality's own municipality (or the region holding it) is highlighted unless another is
// chosen.
import { getJson } from './api.js';
import { viewQueries } from './address.js';
import { t, label, fmtInt, fmtDec, fmtMetric } from './i18n.js';
import { hbarChart } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker, stagePicker, metricPicker } from './pickers.js';
import { scaffold, stateText } from './view.js';

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'compare', title: t('compareTitle'), intro: t('compareIntro') });
  const st = ctx.state;
  const metric = st.metric;
  const q = viewQueries('compare', st);
  const [regions, doc] = await Promise.all([ctx.regions(st.regionSet), getJson(q.data[0])]);
  if (!ctx.current()) return;
  const sets = ctx.ref.regionSets.filter((r) => r.key !== 'nation').map((r) => r.key);
  const mine = ctx.ownRegions(regions);
  if (st.highlight === undefined || st.highlight === null) st.highlight = mine[0] || '';
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx, sets), stagePicker(ctx), metricPicker(ctx),
    regionPicker(ctx, regions, { key: 'highlight', allLabel: t('none'), text: t('highlight') }));
  const stage = ctx.ref.stages.find((x) => x.key === st.stage);
  if (stage) v.setDefinitions([stage], { one: true });
  const stageName = label(stage && stage.label, st.stage);
  const nat = doc.national || {};
  const ranked = doc.rows.filter((r) => r.value != null);
  const unranked = doc.rows.filter((r) => r.value == null);
  v.setStatus(`${stageName} · ${t(`metrics.${metric}`)} · ${st.period} · ${ranked.length}/${doc.rows.length}`);
  const isProtected = doc.rows.some((r) => r.protected) || !!nat.protected;
  v.setProtected(isProtected);
  const rowText = (r) => (r.withheld ? t('states.withheld') : stateText(r));
  const markOf = (code) => (mine.includes(code) ? (st.regionSet === 'municipality' ? t('yours') : t('yourRegionMark')) : '');
  const chartRows = [...ranked, ...unranked].map((r) => ({
    key: r.region.code, label: r.region.name, value: r.value, highlight: r.region.code === st.highlight, mark: markOf(r.region.code),
    text: `${fmtMetric(metric, r.value)}${r.rank ? `  #${r.rank}` : ''}`, note: rowText(r),
  }));
  const title = `${t('compareTitle')}: ${stageName}, ${t(`metrics.${metric}`)}, ${st.period}`;
  const hl = regions.find((r) => r.code === st.highlight);
  v.chart((width, scale) => hbarChart(chartRows, {
    width, scale, title,
    desc: `${t('nationalLine')}: ${fmtMetric(metric, nat.value)}. ${ranked.length} / ${doc.rows.length}.`,
    fmt: (x) => fmtMetric(metric, x),
    ref: { value: nat.value, label: `${t('national')}: ${fmtMetric(metric, nat.value)}` },
    barLabel: t(`metrics.${metric}`), highlightLabel: hl ? `${t('highlight')}: ${hl.name}` : '', noValueLabel: t('noValueLegend'),
  }), { title, file: `trechter-compare-${st.period}-${st.regionSet}-${st.stage}-${metric}` });
  v.setDataset({
    caption: `${t('compareTitle')} — ${stageName}, ${t(`metrics.${metric}`)}, ${st.period}; ${t('nationalLine')} ${fmtMetric(metric, nat.value)}`,
    columns: [
      { key: 'rank', label: t('rank'), numeric: true, fmt: fmtInt },
      { key: 'code', label: 'Code' },
      { key: 'name', label: t('region') },
      { key: 'value', label: t(`metrics.${metric}`), numeric: true, fmt: (x) => fmtMetric(metric, x) },
      { key: 'national', label: t('nationalLine'), numeric: true, fmt: (x) => fmtMetric(metric, x) },
      { key: 'ratio', label: t('ratio'), numeric: true, fmt: (x) => fmtDec(x, 2) },
      { key: 'z', label: t('zScore'), numeric: true, fmt: (x) => fmtDec(x, 2) },
      { key: 'quartile', label: t('quartile'), numeric: true, fmt: fmtInt },
      { key: 'state', label: t('state') },
    ],
    rows: [...ranked, ...unranked].map((r) => ({ _key: r.region.code, _period: r.period || st.period, _protected: r.protected,
      rank: r.rank, code: r.region.code, name: r.region.name, value: r.value, national: nat.value ?? null,
      ratio: r.ratioToNational, z: r.zScore, quartile: r.quartile, state: rowText(r) })),
  }, `trechter-compare-${st.period}-${st.regionSet}-${st.stage}-${metric}.csv`);
}
