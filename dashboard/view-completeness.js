// Completeness: per region how many municipalities submitted this quarter's funnel and network,
// and which have not (by name).
import { getJson, getReference } from './api.js';
import { viewQueries } from './address.js';
import { h } from './dom.js';
import { t, fmtInt, fmtPct } from './i18n.js';
import { hbarChart } from './charts.js';
import { periodPicker, regionSetPicker, regionPicker } from './pickers.js';
import { scaffold } from './view.js';

export async function render(root, ctx) {
  const v = scaffold(root, ctx, { name: 'completeness', title: t('completenessTitle'), intro: t('completenessIntro') });
  const st = ctx.state;
  const q = viewQueries('completeness', st);
  const [regions, doc, munis] = await Promise.all([ctx.regions(st.regionSet), getJson(q.data[0]), getReference('/v1/municipalities')]);
  if (!ctx.current()) return;
  v.controls.append(periodPicker(ctx), regionSetPicker(ctx), regionPicker(ctx, regions, { allLabel: t('allRegions') }));
  const names = new Map((munis.municipalities || []).map((m) => [m.code, m.name]));
  const named = (codes) => (codes || []).map((c) => `${names.get(c) || c} (${c})`);
  const region = regions.some((r) => r.code === st.region) ? st.region : '';
  const rows = doc.rows.filter((r) => !region || r.region.code === region);
  const expected = rows.reduce((a, r) => a + r.expected, 0);
  const missing = rows.reduce((a, r) => a + (r.missingFunnels || []).length, 0);
  v.setStatus(missing ? t('missingSummary')(missing, expected, st.period) : t('allIn'), missing ? 'warn' : 'ok');
  v.setProtected(false, { text: t('completenessNote') });
  const sorted = [...rows].sort((a, b) => a.funnels / (a.expected || 1) - b.funnels / (b.expected || 1) || a.region.name.localeCompare(b.region.name));
  const title = `${t('completenessTitle')}: ${t('funnels')}, ${st.period}`;
  const mine = ctx.ownRegions(regions);
  v.chart((width, scale) => hbarChart(sorted.map((r) => ({
    key: r.region.code, label: r.region.name, value: r.expected ? r.funnels / r.expected : null, highlight: mine.includes(r.region.code),
    mark: mine.includes(r.region.code) ? (st.regionSet === 'municipality' ? t('yours') : t('yourRegionMark')) : '',
    text: `${fmtPct(r.expected ? r.funnels / r.expected : null)} (${r.funnels}/${r.expected})`, note: '–',
  })), { width, scale, title, desc: t('missingSummary')(missing, expected, st.period), fmt: fmtPct,
    barLabel: t('rate'), highlightLabel: mine.length ? t('yourRegionMark') : '', noValueLabel: t('noValueLegend') }),
  { title, file: `trechter-completeness-${st.period}-${st.regionSet}${region ? `-${region}` : ''}` });
  if (missing) {
    v.body.append(h('section', { class: 'missing', 'aria-label': t('missingFunnels') }, [
      h('h3', { text: `${t('missingFunnels')} (${missing})` }),
      h('ul', { class: 'codes' }, sorted.flatMap((r) => named(r.missingFunnels).map((n) => h('li', { text: n })))),
    ]));
  }
  v.setDataset({
    caption: `${t('completenessTitle')} — ${st.period}`,
    columns: [
      { key: 'code', label: 'Code' }, { key: 'name', label: t('region') },
      { key: 'expected', label: t('expected'), numeric: true, fmt: fmtInt },
      { key: 'funnels', label: t('funnels'), numeric: true, fmt: fmtInt },
      { key: 'networks', label: t('networks'), numeric: true, fmt: fmtInt },
      { key: 'missingFunnels', label: t('missingFunnels'), fmt: (x) => x.join('; ') || '–' },
      { key: 'missingNetworks', label: t('missingNetworks'), fmt: (x) => x.join('; ') || '–' },
    ],
    rows: sorted.map((r) => ({ _key: r.region.code, _period: st.period, _protected: false, code: r.region.code, name: r.region.name, expected: r.expected,
      funnels: r.funnels, networks: r.networks, missingFunnels: named(r.missingFunnels), missingNetworks: named(r.missingNetworks) })),
  }, `trechter-completeness-${st.period}-${st.regionSet}${region ? `-${region}` : ''}.csv`);
}
