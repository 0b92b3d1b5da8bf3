// A view's numbers as one table: rendered as an accessible HTML table (the chart's alternative)
// and written as CSV from the very same cells, so the download is exactly what is shown.
import { h } from './dom.js';

/**
 * dataset: {caption, columns: [{key, label, numeric, fmt}], rows: [{...raw values}]}
 * Cells show fmt(value) (or the value); the CSV writes the raw value unless the column has csv().
 */
export function renderTable(dataset, opts = {}) {
  const table = h('table', { class: 'data', dataset: { table: opts.name || '' } }, [
    h('caption', { text: dataset.caption }),
    h('thead', {}, h('tr', {}, dataset.columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null, text: c.label })))),
    h('tbody', {}, dataset.rows.map((row) => h('tr', { dataset: { key: row._key || '' } }, dataset.columns.map((c, i) => {
      const text = cellText(c, row[c.key]);
      return i === 0 ? h('th', { scope: 'row', text }) : h('td', { class: c.numeric ? 'num' : null, dataset: { col: c.key }, text });
    })))),
  ]);
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': dataset.caption }, table);
}

function cellText(col, v) {
  if (col.fmt) return col.fmt(v);
  return v == null ? '–' : String(v);
}

/**
 * CSV of a dataset. profile 'comma': RFC 4180, "." decimals; 'semicolon': Dutch Excel (";",
 * decimal comma, UTF-8 BOM). Values are the table's cells as displayed text for text columns and
 * plain numbers for numeric ones, so nothing is shown that is not downloaded and vice versa.
 * `provenance` adds four columns to every line, so that a saved file still says what it holds:
 * {columns: {period, protection, figures, source} (their headings), period (when a row has no
 * `_period`), protection(row) (the row's protection as text), figures, source}.
 */
export function toCsv(dataset, profile = 'comma', provenance = null) {
  const sep = profile === 'semicolon' ? ';' : ',';
  const quote = (v) => {
    let str = v == null ? '' : String(v);
    if (typeof v === 'number' && profile === 'semicolon') str = str.replace('.', ',');
    // A text cell a spreadsheet would take for a formula (an operator-loaded region name such as
    // "=HYPERLINK(...)") is defused with a leading ' (OWASP, CSV injection), as the API's own CSV
    // does (core/aggregate_csv.c); numbers are never touched, so -1.2 stays a number.
    if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(str)) str = `'${str}`;
    const special = str.includes(sep) || /["\r\n]/.test(str) || str !== str.trim();
    return special ? `"${str.replace(/"/g, '""')}"` : str;
  };
  const pv = provenance;
  const head = dataset.columns.map((c) => quote(c.label));
  if (pv) head.push(...['period', 'protection', 'figures', 'source'].map((k) => quote(pv.columns[k])));
  const lines = [head.join(sep)];
  for (const row of dataset.rows) {
    const cells = dataset.columns.map((c) => {
      const v = row[c.key];
      if (c.csv) return quote(c.csv(v, row));
      if (c.numeric) return quote(v == null ? '' : v);
      return quote(cellText(c, v) === '–' ? '' : cellText(c, v));
    });
    if (pv) cells.push(quote(row._period || pv.period), quote(pv.protection(row)), quote(pv.figures), quote(pv.source));
    lines.push(cells.join(sep));
  }
  return (profile === 'semicolon' ? '\ufeff' : '') + lines.join('\r\n') + '\r\n';
}

/** Offers text as a file download (a blob: URL; nothing leaves the browser). */
export function download(filename, text) {
  const blob = new Blob([text], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
