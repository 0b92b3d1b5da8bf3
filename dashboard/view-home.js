// The start page of a municipality's token: its own figures (raw) for the quarter, its region,
// and what it has submitted. What it still owes follows once the reporting calendar exists
// (GET /v1/me/obligations, a later issue): the page says so rather than guess.
import { getJson, getReference } from './api.js';
import { viewQueries } from './address.js';
import { h } from './dom.js';
import { t, label, fmtInt, fmtDec, fmtPct } from './i18n.js';
import { periodPicker, select } from './pickers.js';
import { scaffold, stateText } from './view.js';
import { funnelChart } from './view-funnel.js';
import { quarterRange, shiftQuarter } from './periods.js';

export async function render(root, ctx) {
  const st = ctx.state;
  const codes = ctx.me.rawFor || [];
  if (!codes.length) {
    const v = scaffold(root, ctx, { name: 'home', title: t('views.home'), intro: '' });
    v.setStatus(t('homeNone'));
    return;
  }
  if (!codes.includes(st.gm)) st.gm = codes[0];
  const q = viewQueries('home', st);
  const [doc, nation, completeness, history, muni] = await Promise.all([...q.data.map((u) => getJson(u)), getReference(q.reference[0])]);
  if (!ctx.current()) return;
  const row = doc.rows[0];
  const name = row ? row.region.name : muni.name;
  const v = scaffold(root, ctx, { name: 'home', title: t('homeTitle')(name), intro: t('homeIntro') });
  v.controls.append(periodPicker(ctx));
  if (codes.length > 1) {
    v.controls.append(select({ name: 'gm', labelText: t('region'), value: st.gm,
      options: codes.map((c) => ({ value: c, label: c })), onChange: (x) => ctx.update({ gm: x }) }));
  }
  v.setProtected(row ? row.protected : false, { own: true });
  v.setStatus(row ? [name, row.period, row.coverage ? t('coverageText')(row.coverage.reporting, row.coverage.expected) : stateText(Object.values(row.stages)[0])].join(' · ') : t('empty'));
  const stages = ctx.ref.stages;
  const go = (view, patch, text) => h('button', { type: 'button', class: 'secondary', dataset: { go: view }, onclick: () => ctx.go(view, patch), text });
  // their figures
  if (row) {
    const title = `${t('homeFigures')(row.period)}: ${name}`;
    v.body.append(h('h3', { text: t('homeFigures')(row.period) }));
    v.chart((width, scale) => funnelChart(row, stages, 'count', width, scale, title), { title, file: `trechter-home-${row.period}-${st.gm}` });
    v.body.append(h('div', { class: 'actions' }, [
      go('funnel', { regionSet: 'municipality', region: st.gm }, t('homeOpenFunnel')),
      go('compare', { regionSet: 'municipality', highlight: st.gm }, t('homeCompare')),
      go('trends', { regionSet: 'municipality', regions: [st.gm], from: shiftQuarter(st.period, -7), to: st.period }, t('homeTrends')),
    ]));
  }
  // their region
  const vr = muni.safetyRegion || {}, pv = muni.province || {};
  v.body.append(h('section', { class: 'home-block', 'aria-labelledby': 'home-region' }, [
    h('h3', { id: 'home-region', text: t('homeRegion') }),
    h('p', { text: t('homeRegionText')(`${vr.name || '–'} (${vr.code || '–'})`, `${pv.name || '–'} (${pv.code || '–'})`) }),
    h('div', { class: 'actions' }, vr.code ? [
      go('compare', { regionSet: 'safetyRegion', highlight: vr.code }, `${t('compareTitle')}: ${t('mapLevels.safetyRegion')}`),
      go('funnel', { regionSet: 'safetyRegion', region: vr.code }, `${t('funnelTitle')}: ${vr.name}`),
    ] : []),
  ]));
  // what they have submitted
  const c = (completeness.rows || [])[0] || {};
  const yes = (x) => (x ? t('homeIn') : t('homeMissing'));
  const quarters = quarterRange(shiftQuarter(st.period, -7), st.period).reverse();
  const submitted = (qq) => history.rows.some((r) => r.period === qq && r.coverage && r.coverage.reporting > 0);
  v.body.append(h('section', { class: 'home-block', 'aria-labelledby': 'home-submitted' }, [
    h('h3', { id: 'home-submitted', text: `${t('homeSubmitted')} ${st.period}` }),
    h('ul', { class: 'submitted' }, [
      h('li', { class: c.funnels ? 'ok' : 'warn', dataset: { submitted: 'funnel' }, text: `${t('homeFunnel')}: ${yes(c.funnels)}` }),
      h('li', { class: c.networks ? 'ok' : 'warn', dataset: { submitted: 'network' }, text: `${t('homeNetwork')}: ${yes(c.networks)}` }),
    ]),
    h('h4', { text: t('homeHistory') }),
    h('ul', { class: 'history' }, quarters.map((qq) => h('li', { class: submitted(qq) ? 'ok' : 'warn', dataset: { quarter: qq }, text: `${qq}: ${yes(submitted(qq))}` }))),
  ]));
  v.body.append(h('section', { class: 'home-block', 'aria-labelledby': 'home-obligations' }, [
    h('h3', { id: 'home-obligations', text: t('homeObligations') }),
    h('p', { dataset: { obligations: 'pending' }, text: t('homeObligationsText') }),
  ]));
  if (!row) return;
  const natRow = nation.rows[0] || { stages: {} };
  v.setDataset({
    caption: `${t('funnelTitle')} — ${name} (${st.gm}), ${row.period}`,
    columns: [
      { key: 'stage', label: t('stage') },
      { key: 'state', label: t('state') },
      { key: 'count', label: t('count'), numeric: true, fmt: fmtInt },
      { key: 'per10k', label: t('per10k'), numeric: true, fmt: (x) => fmtDec(x, 1) },
      { key: 'fromPrevious', label: t('fromPrevious'), numeric: true, fmt: fmtPct },
      { key: 'national', label: `${t('national')} ${t('per10k').toLowerCase()}`, numeric: true, fmt: (x) => fmtDec(x, 1) },
    ],
    rows: stages.map((stg) => {
      const cell = row.stages[stg.key] || {};
      const n = natRow.stages[stg.key] || {};
      return { _key: stg.key, _period: row.period, _protected: row.protected, stage: label(stg.label, stg.key), state: stateText(cell),
        count: cell.count ?? null, per10k: cell.per10k ?? null, fromPrevious: cell.fromPrevious ?? null, national: n.per10k ?? null };
    }),
  }, `trechter-home-${row.period}-${st.gm}.csv`);
}
