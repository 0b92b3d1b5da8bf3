// The frame every view shares: heading and introduction, a row of pickers, the CSV buttons, a
// status line read out by screen readers, and the chart with its table below.
import { h, clear } from './dom.js';
import { t } from './i18n.js';
import { renderTable, toCsv, download } from './table.js';

export function scaffold(root, { name, title, intro }) {
  clear(root);
  let dataset = null;
  let filename = `trechter-${name}.csv`;
  const csvButton = (profile, text) => h('button', { type: 'button', class: 'secondary', disabled: true,
    dataset: { csv: profile },
    onclick: () => { if (dataset) download(filename, toCsv(dataset, profile)); } }, text);
  const buttons = [csvButton('comma', t('csv')), csvButton('semicolon', t('csvExcel'))];
  const controls = h('div', { class: 'controls', role: 'group', 'aria-label': title });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const note = h('p', { class: 'note' });
  const body = h('div', { class: 'view-body' });
  const tableArea = h('div', { class: 'table-area' });
  root.append(
    h('header', { class: 'view-head' }, [
      h('div', {}, [h('h2', { id: `h-${name}`, tabindex: -1, text: title }), h('p', { class: 'intro', text: intro })]),
      h('div', { class: 'csv-buttons', role: 'group', 'aria-label': t('csvHelp') }, buttons),
    ]),
    controls, status, note, body, tableArea,
  );
  return {
    controls, body, status, note,
    setStatus(text, kind) { status.textContent = text || ''; status.className = `status ${kind || ''}`; },
    /** Shows the table for the chart and arms the CSV buttons with the same dataset. */
    setDataset(ds, file) {
      dataset = ds;
      filename = file;
      clear(tableArea);
      if (!ds) { buttons.forEach((b) => { b.disabled = true; }); return; }
      tableArea.append(h('details', { class: 'table-details', open: true }, [
        h('summary', { text: t('chartTable') }), renderTable(ds, { name }),
      ]));
      buttons.forEach((b) => { b.disabled = false; });
    },
    setProtected(isProtected) {
      note.textContent = isProtected ? t('protectedNote') : t('rawNote');
      note.className = `note ${isProtected ? 'protected' : 'raw'}`;
    },
  };
}

/** The message for a failed API call. */
export function failure(e) {
  if (e && e.status === 0) return t('networkError');
  return `${t('failed')}: ${e && e.message ? e.message : e}`;
}

export function stateText(stage) {
  if (!stage) return t('noValue');
  if (stage.withheld) return t('states.withheld');
  return t(`states.${stage.state}`) || stage.state;
}

/** A second table of a view with its own CSV buttons (for views showing two charts). */
export function extraTable(ds, filename, name) {
  const btn = (profile, text) => h('button', { type: 'button', class: 'secondary', dataset: { csv: `${name}-${profile}` },
    onclick: () => download(filename, toCsv(ds, profile)) }, text);
  return h('details', { class: 'table-details', open: true }, [
    h('summary', { text: ds.caption }),
    h('div', { class: 'csv-buttons inline' }, [btn('comma', t('csv')), btn('semicolon', t('csvExcel'))]),
    renderTable(ds, { name }),
  ]);
}
