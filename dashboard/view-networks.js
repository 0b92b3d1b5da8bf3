// Partner networks: a heatmap of regions × the eight steps of the regional approach (the share of
// reporting municipalities that took each step) and partner coverage per type for one region.
import { getJson } from './api.js';
import { h } from './dom.js';
import { t, label, fmtInt, fmtPct } from './i18n.js';
import { heatmap, stackedBars } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker } from './pickers.js';
import { scaffold, failure, extraTable } from './view.js';

const STEPS = ['socialMap', 'partnerMeeting', 'coordinator', 'training', 'networkMeetings', 'newsletter', 'alderman', 'annualReportPlan'];
const STATUSES = [
  { key: 'committed', color: '#0072B2', dark: true },
  { key: 'engaged', color: '#56B4E9' },
  { key: 'mapped', color: '#F0E442' },
  { key: 'absent', color: '#D55E00', dark: true },
  { key: 'notKnown', color: '#BBBBBB' },
];

export async function render(root, ctx) {
  const v = scaffold(root, { name: 'networks', title: t('networksTitle'), intro: t('networksIntro') });
  const st = ctx.state;
  const regions = await ctx.regions(st.regionSet);
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx), regionPicker(ctx, regions, { allLabel: t('allRegions') }));
  v.setStatus(t('loading'));
  let doc;
  try {
    doc = await getJson('/v1/networks', { period: st.period, regionSet: st.regionSet });
  } catch (e) {
    if (!ctx.current(root)) return;
    if ([404, 405, 501].includes(e.status)) {
      v.setStatus('');
      v.body.append(h('div', { class: 'unavailable', role: 'note', dataset: { unavailable: 'networks' } }, [
        h('h3', { text: t('networksUnavailable') }), h('p', { class: 'muted', text: `GET /v1/networks → ${e.status}` })]));
      return;
    }
    v.setStatus(failure(e), 'error');
    return;
  }
  if (!ctx.current(root)) return;
  const region = regions.some((r) => r.code === st.region) ? st.region : '';
  const rows = doc.rows.filter((r) => !region || r.region.code === region);
  const share = (r, step) => {
    const c = r.steps && r.steps[step];
    return c && r.reporting ? c.met / r.reporting : null;
  };
  const sum = (f) => rows.reduce((a, r) => a + (f(r) || 0), 0);
  v.setStatus(`${st.period} · ${t('coverageText')(sum((r) => r.reporting), sum((r) => r.expected))}`);
  v.setProtected(doc.protected);
  const stepLabels = STEPS.map((k) => t(`steps.${k}`));
  const plain = (x) => x.replace(/\u00ad/g, '');
  v.body.append(h('h3', { text: t('stepsHeatmap') }), heatmap(
    rows.map((r) => `${r.region.name} (${r.reporting}/${r.expected})`), stepLabels,
    rows.map((r) => STEPS.map((k, i) => {
      const x = share(r, k);
      return { value: x, text: x == null ? '–' : fmtPct(x),
        title: `${r.region.name} — ${plain(stepLabels[i])}: ${x == null ? t('noReports') : `${r.steps[k].met}/${r.reporting} ${t('met')}`}` };
    })),
    { title: t('stepsHeatmap'), desc: `${rows.length} ${t('regions').toLowerCase()}`, labelWidth: 280, cellWidth: 108 },
  ));
  v.setDataset({
    caption: `${t('stepsHeatmap')} — ${st.period}`,
    columns: [
      { key: 'code', label: 'Code' }, { key: 'name', label: t('region') },
      { key: 'reporting', label: t('reporting'), numeric: true, fmt: fmtInt },
      { key: 'expected', label: t('expected'), numeric: true, fmt: fmtInt },
      ...STEPS.map((k, i) => ({ key: k, label: plain(stepLabels[i]), numeric: true, fmt: fmtPct, csv: (x) => (x == null ? '' : Math.round(x * 1000) / 1000) })),
    ],
    rows: rows.map((r) => Object.fromEntries([['_key', r.region.code], ['code', r.region.code], ['name', r.region.name],
      ['reporting', r.reporting], ['expected', r.expected], ...STEPS.map((k) => [k, share(r, k)])])),
  }, `trechter-networks-steps-${st.period}-${st.regionSet}${region ? `-${region}` : ''}.csv`);

  // partner coverage per type, for the chosen region or summed over every region shown
  const types = ctx.ref.partnerTypes;
  const counts = (type, status) => rows.reduce((a, r) => a + (((r.partners || {})[type] || {})[status] || 0), 0);
  const where = region ? (regions.find((r) => r.code === region) || {}).name : (st.regionSet === 'nation' ? t('national') : t('allRegions'));
  const parts = STATUSES.map((p) => ({ ...p, label: t(`partnerStatus.${p.key}`) }));
  const partnerRows = types.map((pt) => ({ key: pt.key, label: label(pt.label, pt.key),
    parts: STATUSES.map((p) => ({ key: p.key, value: counts(pt.key, p.key) })) }));
  v.body.append(
    h('h3', { text: `${t('partnersFor')} ${where}` }),
    h('ul', { class: 'legend inline', 'aria-label': t('legend') }, parts.map((p) => h('li', {}, [h('span', { class: `chip chip-${p.key}` }), p.label]))),
    stackedBars(partnerRows, parts, { title: `${t('partnersTitle')} — ${where}`, desc: `${types.length}`, labelWidth: 300 }),
    extraTable({
      caption: `${t('partnersTitle')} — ${where}, ${st.period}`,
      columns: [{ key: 'type', label: t('partnersTitle') }, ...parts.map((p) => ({ key: p.key, label: p.label, numeric: true, fmt: fmtInt }))],
      rows: partnerRows.map((r) => Object.fromEntries([['_key', r.key], ['type', r.label], ...r.parts.map((p) => [p.key, p.value])])),
    }, `trechter-networks-partners-${st.period}-${st.regionSet}${region ? `-${region}` : ''}.csv`, 'partners'),
  );
}
