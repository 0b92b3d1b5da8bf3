// Partner networks: a heatmap of regions × the eight steps of the regional approach (the share of
// reporting municipalities that took each step) and partner coverage per type, for one region or
// all. With a region chosen only that region is asked for (a municipality's own network is a few
// kilobytes, not the whole country's).
import { getJson } from './api.js';
import { viewQueries } from './address.js';
import { h } from './dom.js';
import { t, label, fmtInt, fmtPct } from './i18n.js';
import { heatmap, stackedBars } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker } from './pickers.js';
import { scaffold } from './view.js';

const STEPS = ['socialMap', 'partnerMeeting', 'coordinator', 'training', 'networkMeetings', 'newsletter', 'alderman', 'annualReportPlan'];
const STATUSES = [
  { key: 'committed', color: '#0072B2' },
  { key: 'engaged', color: '#56B4E9' },
  { key: 'mapped', color: '#F0E442' },
  { key: 'absent', color: '#D55E00' },
  { key: 'notKnown', color: '#BBBBBB' },
];

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'networks', title: t('networksTitle'), intro: t('networksIntro') });
  const st = ctx.state;
  const q = viewQueries('networks', st);
  const regionsP = ctx.regions(st.regionSet);
  let regions, doc;
  try {
    [regions, doc] = await Promise.all([regionsP, getJson(q.data[0])]);
  } catch (e) {
    if (!ctx.current() || ![404, 405, 501].includes(e.status)) throw e;
    regions = await regionsP;
    v.controls.append(periodPicker(ctx), regionSetPicker(ctx), regionPicker(ctx, regions, { allLabel: t('allRegions') }));
    v.setStatus('');
    v.body.append(h('div', { class: 'unavailable', role: 'note', dataset: { unavailable: 'networks' } }, [
      h('h3', { text: t('networksUnavailable') }), h('p', { class: 'muted', text: `GET /v1/networks → ${e.status}` })]));
    return;
  }
  if (!ctx.current()) return;
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx), regionPicker(ctx, regions, { allLabel: t('allRegions') }));
  const region = regions.some((r) => r.code === st.region) ? st.region : '';
  const rows = doc.rows.filter((r) => !region || r.region.code === region);
  const share = (r, step) => {
    const c = r.steps && r.steps[step];
    return c && r.reporting ? c.met / r.reporting : null;
  };
  const sum = (f) => rows.reduce((a, r) => a + (f(r) || 0), 0);
  v.setStatus(`${st.period} · ${t('coverageText')(sum((r) => r.reporting), sum((r) => r.expected))}`);
  v.setProtected(doc.protected ?? rows.some((r) => r.protected), { own: rows.length > 0 && rows.every((r) => ctx.isOwn(r.region.code)) });
  const plain = (x) => x.replace(/\u00ad/g, '');
  const stepLabels = STEPS.map((k) => plain(t(`steps.${k}`)));
  const rowName = (r) => `${r.region.name}${ctx.isOwn(r.region.code) ? ` ${t('yours')}` : ''} (${r.reporting}/${r.expected})`;
  const classLabel = (i) => t('shareRange')(fmtPct(i / 5), fmtPct((i + 1) / 5));
  const heatTitle = `${t('stepsHeatmap')} — ${st.period}`;
  v.body.append(h('h3', { text: t('stepsHeatmap') }));
  const key = h('ol', { class: 'steps-key', 'aria-label': t('stepsKey') }, stepLabels.map((l) => h('li', { text: l })));
  const heatFigure = v.chart((width, scale) => {
    const svg = heatmap(rows.map(rowName), stepLabels, rows.map((r) => STEPS.map((k, i) => {
      const x = share(r, k);
      return { value: x, text: x == null ? '–' : fmtPct(x),
        title: `${r.region.name} — ${stepLabels[i]}: ${x == null ? t('noReports') : `${r.steps[k].met}/${r.reporting} ${t('met')}`}` };
    })), { width, scale, title: heatTitle, desc: `${rows.length} ${t('regions').toLowerCase()}`, classLabel, noValueLabel: t('noReports') });
    key.hidden = !svg.narrow;
    return svg;
  }, { title: heatTitle, file: `trechter-networks-steps-${st.period}-${st.regionSet}${region ? `-${region}` : ''}`, legendCaption: t('heatmapLegend') });
  heatFigure.append(key);
  v.setDataset({
    caption: heatTitle,
    columns: [
      { key: 'code', label: 'Code' }, { key: 'name', label: t('region') },
      { key: 'reporting', label: t('reporting'), numeric: true, fmt: fmtInt },
      { key: 'expected', label: t('expected'), numeric: true, fmt: fmtInt },
      ...STEPS.map((k, i) => ({ key: k, label: stepLabels[i], numeric: true, fmt: fmtPct, csv: (x) => (x == null ? '' : Math.round(x * 1000) / 1000) })),
    ],
    rows: rows.map((r) => Object.fromEntries([['_key', r.region.code], ['_period', st.period], ['_protected', r.protected ?? doc.protected],
      ['code', r.region.code], ['name', r.region.name], ['reporting', r.reporting], ['expected', r.expected], ...STEPS.map((k) => [k, share(r, k)])])),
  }, `trechter-networks-steps-${st.period}-${st.regionSet}${region ? `-${region}` : ''}.csv`);

  // partner coverage per type, for the chosen region or summed over every region shown
  const types = ctx.ref.partnerTypes;
  const counts = (type, status) => rows.reduce((a, r) => a + (((r.partners || {})[type] || {})[status] || 0), 0);
  const where = region ? (regions.find((r) => r.code === region) || {}).name : (st.regionSet === 'nation' ? t('national') : t('allRegions'));
  const parts = STATUSES.map((p) => ({ ...p, label: t(`partnerStatus.${p.key}`) }));
  const partnerRows = types.map((pt) => ({ key: pt.key, label: label(pt.label, pt.key),
    parts: STATUSES.map((p) => ({ key: p.key, value: counts(pt.key, p.key) })) }));
  const partnersTitle = `${t('partnersTitle')} — ${where}, ${st.period}`;
  v.body.append(h('h3', { text: `${t('partnersFor')} ${where}` }));
  v.chart((width, scale) => stackedBars(partnerRows, parts, { width, scale, title: partnersTitle, desc: `${types.length}` }),
    { title: partnersTitle, file: `trechter-networks-partners-${st.period}-${st.regionSet}${region ? `-${region}` : ''}`, legendCaption: t('partnersLegend') });
  v.body.append(v.extraTable({
    caption: partnersTitle,
    columns: [{ key: 'type', label: t('partnersTitle') }, ...parts.map((p) => ({ key: p.key, label: p.label, numeric: true, fmt: fmtInt }))],
    rows: partnerRows.map((r) => Object.fromEntries([['_key', r.key], ['_period', st.period], ['_protected', rows.some((x) => x.protected ?? doc.protected)],
      ['type', r.label], ...r.parts.map((p) => [p.key, p.value])])),
  }, `trechter-networks-partners-${st.period}-${st.regionSet}${region ? `-${region}` : ''}.csv`, 'partners'));
}
