// The project's own small SVG charts: horizontal bars, lines, a heatmap and stacked bars. Colours
// are colour-blind safe: Okabe–Ito for categories, viridis for sequential scales, and "no value"
// is a hatch pattern, never a blank. Every chart is role="img" with a title and a description;
// the view beside it always shows the same numbers as a table.
import { s, nextId } from './dom.js';

export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const BAR = '#0072B2';
export const HIGHLIGHT = '#D55E00';
// viridis at five steps, light (low) to dark (high)
export const SEQUENTIAL = ['#fde725', '#5ec962', '#21918c', '#3b528b', '#440154'];
// marker shapes per series, so lines differ by more than colour
const DASHES = ['', '8 4', '2 4', '12 4 2 4', '4 4', '1 3'];

/** An <svg> with role=img, <title>, <desc> and a <defs> holding the "no value" hatch. */
export function chartRoot(width, height, title, desc, cls) {
  const hatchId = nextId('hatch');
  const titleId = nextId('t');
  const descId = nextId('d');
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: ['chart', cls],
    'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMinYMin meet',
  }, [
    s('title', { id: titleId, text: title }),
    s('desc', { id: descId, text: desc || '' }),
    s('defs', {}, hatchPattern(hatchId)),
  ]);
  svg.hatch = `url(#${hatchId})`;
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
 * Horizontal bars, one per row, in the order given.
 * rows: [{key, label, value (number|null), text (shown after the bar), note (for null), highlight}]
 * opts: {title, desc, fmt (axis numbers), ref: {value, label}, labelWidth, barHeight, width}
 */
export function hbarChart(rows, opts) {
  const width = opts.width || 900;
  const labelW = opts.labelWidth || 230;
  const valueW = 150;
  const bh = opts.barHeight || 22;
  const gap = Math.round(bh * 0.45);
  const top = 34;
  const plotW = width - labelW - valueW;
  const height = top + rows.length * (bh + gap) + 10;
  const values = rows.map((r) => r.value).filter((v) => v != null);
  if (opts.ref && opts.ref.value != null) values.push(opts.ref.value);
  const max = niceMax(Math.max(0, ...values));
  const x = (v) => labelW + (v / max) * plotW;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'hbar');
  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
  for (const tv of ticks(max)) {
    axis.append(s('line', { x1: x(tv), x2: x(tv), y1: top - 6, y2: height - 6, class: 'grid' }));
    axis.append(s('text', { x: x(tv), y: top - 12, 'text-anchor': 'middle', class: 'tick', text: opts.fmt(tv) }));
  }
  svg.append(axis);
  rows.forEach((r, i) => {
    const y = top + i * (bh + gap);
    const g = s('g', { class: ['bar-row', r.highlight && 'highlight'], dataset: { key: r.key } });
    g.append(s('text', { x: labelW - 10, y: y + bh / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'bar-label', text: r.label }));
    if (r.value == null) {
      g.append(s('rect', { x: labelW, y, width: Math.min(plotW, 120), height: bh, fill: svg.hatch, class: 'bar novalue', dataset: { value: '' } }));
      g.append(s('text', { x: labelW + Math.min(plotW, 120) + 8, y: y + bh / 2, 'dominant-baseline': 'central', class: 'bar-value muted', text: r.note || '' }));
    } else {
      const w = Math.max(1, x(r.value) - labelW);
      g.append(s('rect', { x: labelW, y, width: w, height: bh, fill: r.highlight ? HIGHLIGHT : BAR, class: 'bar', dataset: { value: r.value } },
        s('title', { text: `${r.label}: ${r.text}` })));
      g.append(s('text', { x: labelW + w + 8, y: y + bh / 2, 'dominant-baseline': 'central', class: 'bar-value', text: r.text }));
    }
    svg.append(g);
  });
  if (opts.ref && opts.ref.value != null) {
    const rx = x(opts.ref.value);
    svg.append(s('g', { class: 'refline' }, [
      s('line', { x1: rx, x2: rx, y1: top - 4, y2: height - 4, 'stroke-dasharray': '6 4', dataset: { value: opts.ref.value } }),
      s('text', { x: rx + 4, y: height - 2, class: 'ref-label', text: opts.ref.label }),
    ]));
  }
  return svg;
}

/**
 * Lines over an ordered set of x labels.
 * series: [{key, label, values: [number|null per x], color, national}]
 */
export function lineChart(xLabels, series, opts) {
  const width = opts.width || 900;
  const left = 70, right = 200, top = 20, bottom = 50;
  const height = opts.height || 400;
  const plotW = width - left - right, plotH = height - top - bottom;
  const all = series.flatMap((se) => se.values).filter((v) => v != null);
  const max = niceMax(Math.max(0, ...all));
  const x = (i) => left + (xLabels.length === 1 ? plotW / 2 : (i / (xLabels.length - 1)) * plotW);
  const y = (v) => top + plotH - (v / max) * plotH;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'line');
  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
  for (const tv of ticks(max)) {
    axis.append(s('line', { x1: left, x2: left + plotW, y1: y(tv), y2: y(tv), class: 'grid' }));
    axis.append(s('text', { x: left - 8, y: y(tv), 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'tick', text: opts.fmt(tv) }));
  }
  xLabels.forEach((lab, i) => {
    axis.append(s('text', { x: x(i), y: top + plotH + 22, 'text-anchor': 'middle', class: 'tick', text: lab }));
  });
  svg.append(axis);
  const labelYs = [];
  series.forEach((se, si) => {
    const color = se.national ? '#595959' : se.color || OKABE_ITO[si % OKABE_ITO.length];
    const g = s('g', { class: ['series', se.national && 'national'], dataset: { key: se.key } });
    let d = '';
    let pen = false;
    se.values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    g.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': se.national ? 2.5 : 3,
      'stroke-dasharray': se.national ? '7 5' : DASHES[si % DASHES.length] || null, class: 'line' }));
    se.values.forEach((v, i) => {
      if (v == null) return;
      g.append(s('circle', { cx: x(i), cy: y(v), r: se.national ? 3.5 : 5, fill: color, class: 'point', dataset: { value: v, x: xLabels[i] } },
        s('title', { text: `${se.label}, ${xLabels[i]}: ${opts.fmt(v)}` })));
    });
    // the series name at its last value, nudged apart from the others
    const lastIdx = se.values.map((v, i) => (v == null ? -1 : i)).filter((i) => i >= 0).pop();
    if (lastIdx !== undefined) {
      let ly = y(se.values[lastIdx]);
      for (const other of labelYs) if (Math.abs(other - ly) < 16) ly = other + 16;
      labelYs.push(ly);
      g.append(s('text', { x: left + plotW + 10, y: ly, 'dominant-baseline': 'central', class: 'series-label', fill: color, text: se.label }));
    }
    svg.append(g);
  });
  return svg;
}

/**
 * A heatmap: rows × columns of shares 0..1 (or null: hatched).
 * cells[r][c] = {value, text, title}
 */
export function heatmap(rowLabels, colLabels, cells, opts) {
  const labelW = opts.labelWidth || 230;
  const cw = opts.cellWidth || 84, ch = opts.cellHeight || 30;
  const top = opts.headerHeight || 60;
  const width = labelW + colLabels.length * cw + 10;
  const height = top + rowLabels.length * ch + 10;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'heatmap');
  colLabels.forEach((lab, c) => {
    // column headings wrapped onto up to three lines, bottom-aligned above the cells
    const lines = wrap(lab, Math.floor(cw / 7.2));
    const cx = labelW + c * cw + cw / 2;
    const text = s('text', { x: cx, y: top - 8 - (lines.length - 1) * 15, 'text-anchor': 'middle', class: 'col-label' });
    lines.forEach((ln, i) => text.append(s('tspan', { x: cx, dy: i ? 15 : 0, text: ln })));
    svg.append(text);
  });
  rowLabels.forEach((lab, r) => {
    const y = top + r * ch;
    svg.append(s('text', { x: labelW - 10, y: y + ch / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'bar-label', text: lab }));
    cells[r].forEach((cell, c) => {
      const x = labelW + c * cw;
      const fill = cell.value == null ? svg.hatch : seqColor(cell.value, 0, 1);
      const g = s('g', { class: 'cell', dataset: { row: r, col: c, value: cell.value == null ? '' : cell.value } });
      g.append(s('rect', { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill }, s('title', { text: cell.title })));
      g.append(s('text', { x: x + cw / 2, y: y + ch / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central',
        class: ['cell-text', cell.value != null && cell.value > 0.55 ? 'on-dark' : 'on-light'], text: cell.text }));
      svg.append(g);
    });
  });
  return svg;
}

/** The colour of v on the viridis scale between lo and hi (five classes). */
export function seqColor(v, lo, hi) {
  if (v == null) return null;
  const f = hi > lo ? (v - lo) / (hi - lo) : 0;
  return SEQUENTIAL[Math.max(0, Math.min(SEQUENTIAL.length - 1, Math.floor(f * SEQUENTIAL.length)))];
}

/**
 * Stacked horizontal bars of parts that sum to a total per row.
 * rows: [{key, label, parts: [{key, value}]}]; parts: [{key, label, color}] in stacking order.
 */
export function stackedBars(rows, parts, opts) {
  const width = opts.width || 900;
  const labelW = opts.labelWidth || 260;
  const bh = 22, gap = 9, top = 8;
  const plotW = width - labelW - 60;
  const height = top + rows.length * (bh + gap) + 6;
  const svg = chartRoot(width, height, opts.title, opts.desc, 'stacked');
  rows.forEach((row, i) => {
    const y = top + i * (bh + gap);
    const total = row.parts.reduce((a, p) => a + (p.value || 0), 0);
    const g = s('g', { class: 'bar-row', dataset: { key: row.key } });
    g.append(s('text', { x: labelW - 10, y: y + bh / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', class: 'bar-label', text: row.label }));
    if (!total) {
      g.append(s('rect', { x: labelW, y, width: plotW, height: bh, fill: svg.hatch, class: 'novalue' }));
    }
    let x = labelW;
    for (const part of parts) {
      const v = (row.parts.find((p) => p.key === part.key) || {}).value || 0;
      if (!v || !total) continue;
      const w = (v / total) * plotW;
      g.append(s('rect', { x, y, width: w, height: bh, fill: part.color, class: 'part', dataset: { part: part.key, value: v } },
        s('title', { text: `${row.label} — ${part.label}: ${v}` })));
      if (w > 22) g.append(s('text', { x: x + w / 2, y: y + bh / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central', class: ['part-text', part.dark ? 'on-dark' : 'on-light'], text: String(v) }));
      x += w;
    }
    g.append(s('text', { x: labelW + plotW + 8, y: y + bh / 2, 'dominant-baseline': 'central', class: 'bar-value', text: String(total) }));
    svg.append(g);
  });
  return svg;
}

/** Splits text into lines of at most about `max` characters, at spaces, hyphens and soft hyphens. */
export function wrap(text, max) {
  const SHY = '\u00ad';
  const words = text.replace(/-/g, '- ').replace(/\u00ad/g, `${SHY} `).split(/\s+/).filter(Boolean);
  const lines = [];
  let cur = '';
  for (const w of words) {
    const glue = cur.endsWith('-') || cur.endsWith(SHY);
    const joined = cur ? (glue ? cur + w : `${cur} ${w}`) : w;
    if (cur && joined.replace(/\u00ad/g, '').length > max) {
      lines.push(cur.endsWith(SHY) ? `${cur.slice(0, -1)}-` : cur);
      cur = w;
    } else cur = joined;
  }
  if (cur) lines.push(cur);
  return lines.slice(0, 3).map((l) => l.replace(/\u00ad/g, ''));
}
