// The project's own small SVG charts: horizontal bars, lines, a heatmap and stacked bars, each
// drawn at the width of its container (one SVG unit is one CSS pixel, so text is never scaled
// below its size: MIN_TEXT px at least). Colours are colour-blind safe: Okabe–Ito for categories,
// viridis for sequential scales; text on a colour is black or white, whichever contrasts more;
// "no value" is a hatch pattern, never a blank. Every chart is role="img" with a title and a
// description, carries its legend (`svg.legend`, drawn beside it by the view and into a
// downloaded image), and the view shows the same numbers as a table.
import { s, nextId } from './dom.js';

export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const BAR = '#0072B2';
export const HIGHLIGHT = '#D55E00';
export const INK = '#1b1f24';
export const MUTED = '#4f5761';
export const ACCENT_TEXT = '#9c3a00'; // the highlight's colour, dark enough for text (6:1 on white)
export const NATIONAL = '#4d4d4d';
// viridis at five steps, light (low) to dark (high)
export const SEQUENTIAL = ['#fde725', '#5ec962', '#21918c', '#3b528b', '#440154'];
export const MIN_TEXT = 12;
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif';
const DASHES = ['', '8 4', '2 4', '12 4 2 4', '4 4', '1 3'];
const MARKERS = ['circle', 'square', 'diamond', 'triangle', 'triangleDown', 'cross'];

let measureCtx = null;
/** The width in px of text at a size and weight, as the browser sets it. */
export function textWidth(text, size = 13, weight = 400) {
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  measureCtx.font = `${weight} ${size}px ${FONT}`;
  return measureCtx.measureText(String(text)).width;
}

/** text shortened with "…" to fit maxWidth px. */
export function fitText(text, maxWidth, size = 13, weight = 400) {
  const str = String(text);
  if (textWidth(str, size, weight) <= maxWidth) return str;
  let lo = 0, hi = str.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${str.slice(0, mid)}…`, size, weight) <= maxWidth) lo = mid; else hi = mid - 1;
  }
  return `${str.slice(0, Math.max(1, lo)).trimEnd()}…`;
}

/** Splits text into at most `lines` lines that fit maxWidth px (the last one shortened). */
export function wrapText(text, maxWidth, size = 13, weight = 400, lines = 2) {
  const words = String(text).replace(/\u00ad/g, '').split(/\s+/).filter(Boolean);
  const out = [];
  let cur = '';
  for (let i = 0; i < words.length; i++) {
    const next = cur ? `${cur} ${words[i]}` : words[i];
    if (cur && textWidth(next, size, weight) > maxWidth) {
      out.push(cur);
      cur = words[i];
      if (out.length === lines - 1) { cur = words.slice(i).join(' '); break; }
    } else cur = next;
  }
  if (cur) out.push(cur);
  return out.slice(0, lines).map((l, i, a) => (i === a.length - 1 ? fitText(l, maxWidth, size, weight) : l));
}

/** Relative luminance (WCAG 2) of "#rrggbb". */
function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
/** Black or white, whichever contrasts more with a fill (always at least 4.5:1). */
export function textOn(fill) {
  if (!fill || !/^#[0-9a-f]{6}$/i.test(fill)) return INK;
  const l = luminance(fill);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** An SVG text element with its size, weight and colour as attributes (so that a downloaded copy
 * looks the same without the page's style sheet). */
export function svgText(x, y, text, o = {}) {
  return s('text', {
    x, y, 'font-size': Math.max(MIN_TEXT, o.size || 13), 'font-weight': o.weight || null, fill: o.fill || INK,
    'text-anchor': o.anchor || null, 'dominant-baseline': o.baseline || 'central', 'font-style': o.italic ? 'italic' : null,
    class: o.cls || null, dataset: o.dataset || null, text,
  });
}

/** An <svg> with role=img, <title>, <desc> and a <defs> holding the "no value" hatch. */
export function chartRoot(width, height, title, desc, cls) {
  const hatchId = nextId('hatch');
  const titleId = nextId('t');
  const descId = nextId('d');
  const svg = s('svg', {
    viewBox: `0 0 ${Math.round(width)} ${Math.round(height)}`, width: Math.round(width), height: Math.round(height),
    role: 'img', class: ['chart', cls], 'aria-labelledby': `${titleId} ${descId}`, 'font-family': FONT,
  }, [
    s('title', { id: titleId, text: title }),
    s('desc', { id: descId, text: desc || '' }),
    s('defs', {}, hatchPattern(hatchId)),
  ]);
  svg.hatch = `url(#${hatchId})`;
  svg.legend = [];
  return svg;
}

export function hatchPattern(id) {
  return s('pattern', { id, patternUnits: 'userSpaceOnUse', width: 6, height: 6, patternTransform: 'rotate(45)' }, [
    s('rect', { width: 6, height: 6, fill: '#f1f1f1' }),
    s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#767676', 'stroke-width': 2 }),
  ]);
}

/** Rounds a maximum up to a "nice" number for an axis. */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function ticks(max, n = 5) {
  const step = max / n;
  return Array.from({ length: n + 1 }, (_, i) => i * step);
}

/**
 * Horizontal bars, one per row, in the order given; each value in a column of its own at the
 * right, so that a reference line never runs through a value.
 * rows: [{key, label, value (number|null), text (the value shown), note (for null), highlight, mark}]
 * opts: {width, scale, title, desc, fmt (axis numbers), ref: {value, label}}
 */
export function hbarChart(rows, opts) {
  const k = opts.scale || 1;
  const width = Math.max(260, Math.round(opts.width || 900));
  const fs = 13 * k;
  const dense = rows.length > 40;
  const bh = (dense ? 14 : 22) * k;
  const gap = (dense ? 5 : 9) * k;
  const pitch = Math.max(bh + gap, fs + 5);
  const narrow = width < 600;
  const rowLabel = (r) => (r.mark ? `${r.label} ${r.mark}` : r.label);
  const labelNeed = Math.max(40, ...rows.map((r) => textWidth(rowLabel(r), fs, r.highlight ? 700 : 400))) + 12;
  const labelW = Math.min(labelNeed, width * (narrow ? 0.34 : 0.3));
  const valueNeed = Math.max(36, ...rows.map((r) => textWidth(r.value == null ? r.note || '' : r.text || '', fs))) + 14;
  const valueW = Math.min(valueNeed, width * (narrow ? 0.3 : 0.28));
  const plotW = width - labelW - valueW - 6;
  const top = 26 * k;
  const refH = opts.ref && opts.ref.value != null ? 24 * k : 0;
  const height = top + rows.length * pitch + refH + 6;
  const values = rows.map((r) => r.value).filter((v) => v != null);
  if (opts.ref && opts.ref.value != null) values.push(opts.ref.value);
  const max = niceMax(Math.max(0, ...values));
  const x = (v) => labelW + (v / max) * plotW;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'hbar');
  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
  const nTicks = Math.max(2, Math.min(5, Math.floor(plotW / (textWidth(opts.fmt(max), 12 * k) + 24))));
  for (const tv of ticks(max, nTicks)) {
    axis.append(s('line', { x1: x(tv), x2: x(tv), y1: top - 6, y2: top + rows.length * pitch, class: 'grid', stroke: '#e3e7eb' }));
    axis.append(svgText(x(tv), top - 14 * k, opts.fmt(tv), { size: 12 * k, anchor: tv === max ? 'end' : tv === 0 ? 'start' : 'middle', fill: MUTED, cls: 'tick' }));
  }
  svg.append(axis);
  rows.forEach((r, i) => {
    const y = top + i * pitch + (pitch - bh) / 2;
    const cy = top + i * pitch + pitch / 2;
    const g = s('g', { class: ['bar-row', r.highlight && 'highlight'], dataset: { key: r.key } });
    const shown = fitText(rowLabel(r), labelW - 10, fs, r.highlight ? 700 : 400);
    const lab = svgText(labelW - 8, cy, shown, { size: fs, anchor: 'end', weight: r.highlight ? 700 : null, fill: r.highlight ? ACCENT_TEXT : INK, cls: 'bar-label' });
    if (shown !== rowLabel(r)) lab.append(s('title', { text: rowLabel(r) }));
    g.append(lab);
    if (r.value == null) {
      g.append(s('rect', { x: labelW, y, width: Math.min(plotW * 0.3, 90), height: bh, fill: svg.hatch, class: 'bar novalue', dataset: { value: '' } },
        s('title', { text: `${r.label}: ${r.note || ''}` })));
      g.append(svgText(labelW + plotW + 10, cy, fitText(r.note || '', valueW - 8, fs), { size: fs, fill: MUTED, italic: true, cls: 'bar-value' }));
    } else {
      const w = Math.max(1, x(r.value) - labelW);
      g.append(s('rect', { x: labelW, y, width: w, height: bh, fill: r.highlight ? HIGHLIGHT : BAR, class: 'bar', dataset: { value: r.value } },
        s('title', { text: `${r.label}: ${r.text}` })));
      g.append(svgText(labelW + plotW + 10, cy, r.text, { size: fs, weight: r.highlight ? 700 : null, cls: 'bar-value' }));
    }
    svg.append(g);
  });
  if (opts.ref && opts.ref.value != null) {
    const rx = x(opts.ref.value);
    const yEnd = top + rows.length * pitch;
    const text = opts.ref.label;
    const tw = textWidth(text, 12 * k, 700);
    const anchor = rx + tw / 2 > width - 4 ? 'end' : rx - tw / 2 < 4 ? 'start' : 'middle';
    svg.append(s('g', { class: 'refline' }, [
      s('line', { x1: rx, x2: rx, y1: top - 4, y2: yEnd + 4, stroke: INK, 'stroke-width': 2, 'stroke-dasharray': '6 4', dataset: { value: opts.ref.value } }),
      svgText(rx, yEnd + 14 * k, text, { size: 12 * k, weight: 700, anchor, cls: 'ref-label' }),
    ]));
    svg.legend.push({ kind: 'line', color: INK, dash: '6 4', label: text });
  }
  svg.legend.push({ kind: 'swatch', color: BAR, label: opts.barLabel || '' });
  if (rows.some((r) => r.highlight)) svg.legend.push({ kind: 'swatch', color: HIGHLIGHT, label: opts.highlightLabel || '' });
  if (rows.some((r) => r.value == null)) svg.legend.push({ kind: 'hatch', label: opts.noValueLabel || '' });
  svg.legend = svg.legend.filter((l) => l.label);
  return svg;
}

/** A marker shape for series i at (x, y). */
function marker(i, x, y, r, color, attrs) {
  const shape = MARKERS[i % MARKERS.length];
  const a = { fill: color, class: 'point', ...attrs };
  if (shape === 'circle') return s('circle', { cx: x, cy: y, r, ...a });
  const p = (pts) => s('path', { d: `M${pts.map(([px, py]) => `${(x + px * r).toFixed(1)},${(y + py * r).toFixed(1)}`).join('L')}Z`, ...a });
  if (shape === 'square') return p([[-0.9, -0.9], [0.9, -0.9], [0.9, 0.9], [-0.9, 0.9]]);
  if (shape === 'diamond') return p([[0, -1.25], [1.25, 0], [0, 1.25], [-1.25, 0]]);
  if (shape === 'triangle') return p([[0, -1.2], [1.1, 0.9], [-1.1, 0.9]]);
  if (shape === 'triangleDown') return p([[0, 1.2], [1.1, -0.9], [-1.1, -0.9]]);
  return p([[-1, -0.35], [-0.35, -0.35], [-0.35, -1], [0.35, -1], [0.35, -0.35], [1, -0.35], [1, 0.35], [0.35, 0.35], [0.35, 1], [-0.35, 1], [-0.35, 0.35], [-1, 0.35]]);
}

/**
 * Lines over an ordered set of x labels (quarters). Each series has its colour, dash pattern and
 * marker shape; the legend names them all (a series without any value says so, and why). On wide
 * charts the names also stand at the lines' ends, spread apart so that none overlaps another.
 * series: [{key, label, values: [number|null per x], national, note}]
 */
export function lineChart(xLabels, series, opts) {
  const k = opts.scale || 1;
  const width = Math.max(260, Math.round(opts.width || 900));
  const narrow = width < 640;
  const fs = 12 * k;
  const all = series.flatMap((se) => se.values).filter((v) => v != null);
  const max = niceMax(Math.max(0, ...all));
  const tickVals = ticks(max, 5);
  const left = Math.max(...tickVals.map((tv) => textWidth(opts.fmt(tv), fs))) + 14;
  const endLabels = !narrow;
  const right = endLabels ? Math.min(220, Math.max(...series.map((se) => textWidth(se.label, 13 * k, 700))) + 34) : 16;
  const top = 14 * k, bottom = 34 * k;
  const height = opts.height || Math.round(Math.min(440, Math.max(260, width * 0.5)));
  const plotW = width - left - right, plotH = height - top - bottom;
  const n = xLabels.length;
  const x = (i) => left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v) => top + plotH - (v / max) * plotH;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'line');
  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
  for (const tv of tickVals) {
    axis.append(s('line', { x1: left, x2: left + plotW, y1: y(tv), y2: y(tv), class: 'grid', stroke: '#e3e7eb' }));
    axis.append(svgText(left - 8, y(tv), opts.fmt(tv), { size: fs, anchor: 'end', fill: MUTED, cls: 'tick' }));
  }
  // x labels: as many as fit; when fewer than one a year fit, only years (at their first quarter)
  const labW = textWidth('2026-Q4', fs) + 14;
  const fit = Math.max(1, Math.floor(plotW / labW));
  let shown;
  if (n <= fit) shown = xLabels.map((l, i) => [i, l]);
  else if (Math.ceil(n / fit) < 4) {
    const step = Math.ceil(n / fit);
    shown = xLabels.map((l, i) => [i, l]).filter(([i]) => (n - 1 - i) % step === 0);
  } else {
    const years = xLabels.map((l, i) => [i, l]).filter(([, l]) => /Q1$/.test(l) || false);
    const yStep = Math.max(1, Math.ceil(years.length / Math.max(1, Math.floor(plotW / (textWidth('2026', fs) + 16)))));
    shown = years.filter((_, j) => j % yStep === 0).map(([i, l]) => [i, l.slice(0, 4)]);
  }
  xLabels.forEach((_, i) => axis.append(s('line', { x1: x(i), x2: x(i), y1: top + plotH, y2: top + plotH + 4, stroke: '#9aa3ad' })));
  for (const [i, l] of shown) {
    const anchor = n > 1 && i === n - 1 && x(i) + labW / 2 > width ? 'end' : n > 1 && i === 0 && x(i) - labW / 2 < 0 ? 'start' : 'middle';
    axis.append(svgText(x(i), top + plotH + 18 * k, l, { size: fs, anchor, fill: MUTED, cls: 'tick x-tick' }));
  }
  svg.append(axis);
  const ends = [];
  series.forEach((se, si) => {
    const color = se.national ? NATIONAL : se.color || OKABE_ITO[si % OKABE_ITO.length];
    const dash = se.national ? '7 5' : DASHES[si % DASHES.length] || null;
    const mi = se.national ? 0 : si;
    const g = s('g', { class: ['series', se.national && 'national'], dataset: { key: se.key } });
    let d = '';
    let pen = false;
    se.values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) {
      g.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': (se.national ? 2.5 : 3) * k, 'stroke-dasharray': dash, class: 'line' }));
    }
    se.values.forEach((v, i) => {
      if (v == null) return;
      g.append(marker(mi, x(i), y(v), (se.national ? 3.5 : 4.5) * k, color, { dataset: { value: v, x: xLabels[i] } }));
    });
    const lastIdx = se.values.map((v, i) => (v == null ? -1 : i)).filter((i) => i >= 0).pop();
    if (lastIdx !== undefined) ends.push({ g, want: y(se.values[lastIdx]), px: x(lastIdx), text: se.label, color });
    svg.legend.push({ kind: 'line', color, dash, marker: mi, label: se.note ? `${se.label} — ${se.note}` : se.label, key: se.key, empty: lastIdx === undefined });
    svg.append(g);
  });
  if (endLabels && ends.length) {
    // spread the names apart: sorted by height, each at least one line below the one above,
    // then pushed back up from the bottom edge
    const lh = 16 * k;
    ends.sort((a, b) => a.want - b.want);
    ends.forEach((e, i) => { e.y = i ? Math.max(e.want, ends[i - 1].y + lh) : Math.max(e.want, top + lh / 2); });
    for (let i = ends.length - 1; i >= 0; i--) {
      const limit = i === ends.length - 1 ? top + plotH : ends[i + 1].y - lh;
      if (ends[i].y > limit) ends[i].y = limit;
    }
    for (const e of ends) {
      const lx = left + plotW + 8;
      e.g.append(s('line', { x1: e.px + 4, y1: e.want, x2: lx + 8, y2: e.y, stroke: e.color, 'stroke-width': 1.5, class: 'leader' }));
      e.g.append(svgText(lx + 12, e.y, fitText(e.text, right - 24, 13 * k, 700), { size: 13 * k, weight: 700, cls: 'series-label' }));
    }
  }
  return svg;
}

/** The class (0..4) of a share 0..1 on the five-step sequential scale, and its legend labels. */
export function shareClass(v) {
  return Math.max(0, Math.min(SEQUENTIAL.length - 1, Math.floor(v * SEQUENTIAL.length - 1e-9)));
}

/**
 * A heatmap: rows × columns of shares 0..1 (or null: hatched), coloured in five classes of 20
 * percentage points. Narrow charts put each row's label above its cells and number the columns
 * (the view lists the numbers' meaning).
 * cells[r][c] = {value, text, title}
 */
export function heatmap(rowLabels, colLabels, cells, opts) {
  const k = opts.scale || 1;
  const width = Math.max(260, Math.round(opts.width || 900));
  const fs = 12 * k;
  const cols = colLabels.length;
  const labelNeed = Math.max(...rowLabels.map((l) => textWidth(l, 13 * k))) + 14;
  let narrow = width - Math.min(labelNeed, width * 0.4) < cols * 58 * k;
  const labelW = narrow ? 0 : Math.min(labelNeed, width * 0.4);
  const cw = (width - labelW - 4) / cols;
  const ch = 30 * k;
  const rowH = narrow ? ch + 20 * k : ch;
  // column headings: wrapped onto up to three lines (wide), or numbered (narrow)
  const headLines = narrow ? colLabels.map((_, i) => [String(i + 1)]) : colLabels.map((l) => wrapText(l, cw - 6, fs, 600, 3));
  const lines = Math.max(...headLines.map((l) => l.length));
  const top = lines * 15 * k + 10;
  const height = top + rowLabels.length * rowH + 6;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'heatmap');
  headLines.forEach((ls, c) => {
    const cx = labelW + c * cw + cw / 2;
    ls.forEach((ln, i) => svg.append(svgText(cx, top - 8 - (ls.length - 1 - i) * 15 * k, ln, { size: fs, weight: 600, anchor: 'middle', cls: 'col-label' })));
  });
  rowLabels.forEach((lab, r) => {
    const y0 = top + r * rowH;
    const y = narrow ? y0 + 18 * k : y0;
    if (narrow) svg.append(svgText(2, y0 + 9 * k, fitText(lab, width - 4, 13 * k), { size: 13 * k, cls: 'bar-label' }));
    else svg.append(svgText(labelW - 8, y + ch / 2, fitText(lab, labelW - 10, 13 * k), { size: 13 * k, anchor: 'end', cls: 'bar-label' }));
    cells[r].forEach((cell, c) => {
      const x = labelW + c * cw;
      const fill = cell.value == null ? null : SEQUENTIAL[shareClass(cell.value)];
      const g = s('g', { class: 'cell', dataset: { row: r, col: c, value: cell.value == null ? '' : cell.value } });
      g.append(s('rect', { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill: fill || svg.hatch }, s('title', { text: cell.title })));
      const text = textWidth(cell.text, fs, 600) <= cw - 4 ? cell.text : '';
      if (text) {
        g.append(svgText(x + cw / 2, y + ch / 2, text, { size: fs, weight: 600, anchor: 'middle', fill: fill ? textOn(fill) : INK, cls: 'cell-text' }));
      }
      svg.append(g);
    });
  });
  svg.legend = SEQUENTIAL.map((color, i) => ({ kind: 'swatch', color, label: opts.classLabel(i) }));
  svg.legend.push({ kind: 'hatch', label: opts.noValueLabel });
  svg.narrow = narrow;
  return svg;
}

/**
 * Stacked horizontal bars of parts that sum to a total per row.
 * rows: [{key, label, parts: [{key, value}]}]; parts: [{key, label, color}] in stacking order.
 * Narrow charts put each label above its bar.
 */
export function stackedBars(rows, parts, opts) {
  const k = opts.scale || 1;
  const width = Math.max(260, Math.round(opts.width || 900));
  const fs = 13 * k;
  const narrow = width < 600;
  const bh = 22 * k;
  const labelW = narrow ? 0 : Math.min(Math.max(...rows.map((r) => textWidth(r.label, fs))) + 14, width * 0.36);
  const labelLines = rows.map((r) => (narrow ? [fitText(r.label, width - 40, fs)] : wrapText(r.label, labelW - 10, fs, 400, 2)));
  const totalW = 40 * k;
  const plotW = width - labelW - totalW;
  const pitch = (r) => (narrow ? bh + 26 * k : Math.max(bh, labelLines[r].length * 16 * k) + 10 * k);
  const height = rows.reduce((a, _, i) => a + pitch(i), 8);
  const svg = chartRoot(width, height, opts.title, opts.desc, 'stacked');
  let yy = 4;
  rows.forEach((row, i) => {
    const y = narrow ? yy + 18 * k : yy + (pitch(i) - bh) / 2;
    const total = row.parts.reduce((a, p) => a + (p.value || 0), 0);
    const g = s('g', { class: 'bar-row', dataset: { key: row.key } });
    const ls = labelLines[i];
    if (narrow) g.append(svgText(0, yy + 8 * k, ls[0], { size: fs, cls: 'bar-label' }));
    else ls.forEach((ln, j) => g.append(svgText(labelW - 8, y + bh / 2 + (j - (ls.length - 1) / 2) * 16 * k, ln, { size: fs, anchor: 'end', cls: 'bar-label' })));
    if (!total) g.append(s('rect', { x: labelW, y, width: plotW, height: bh, fill: svg.hatch, class: 'novalue' }));
    let x = labelW;
    for (const part of parts) {
      const v = (row.parts.find((p) => p.key === part.key) || {}).value || 0;
      if (!v || !total) continue;
      const w = (v / total) * plotW;
      g.append(s('rect', { x, y, width: w, height: bh, fill: part.color, class: 'part', dataset: { part: part.key, value: v } },
        s('title', { text: `${row.label} — ${part.label}: ${v}` })));
      if (textWidth(String(v), 12 * k, 600) + 6 <= w) {
        g.append(svgText(x + w / 2, y + bh / 2, String(v), { size: 12 * k, weight: 600, anchor: 'middle', fill: textOn(part.color), cls: 'part-text' }));
      }
      x += w;
    }
    g.append(svgText(labelW + plotW + 8, y + bh / 2, String(total), { size: fs, cls: 'bar-value' }));
    svg.append(g);
    yy += pitch(i);
  });
  svg.legend = parts.map((p) => ({ kind: 'swatch', color: p.color, label: p.label }));
  return svg;
}
