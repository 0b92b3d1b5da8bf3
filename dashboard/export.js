// A chart as a file: SVG (the chart with its title, legend and source line, self-contained: every
// size and colour is an attribute) or PNG (that SVG drawn on a canvas at twice its size). Nothing
// leaves the browser; the file is offered through a blob: link.
import { s } from './dom.js';
import { svgText, textWidth, wrapText, FONT, INK, MUTED } from './charts.js';

const NS = 'http://www.w3.org/2000/svg';

/** A legend (items as charts.js makes them) drawn into an SVG group `width` wide; returns
 * {group, height}. */
function legendGroup(items, width, hatchFill) {
  const g = s('g', { class: 'export-legend' });
  let x = 0, y = 0;
  const rowH = 22;
  for (const it of items) {
    const w = 34 + textWidth(it.label, 12) + 18;
    if (x > 0 && x + w > width) { x = 0; y += rowH; }
    if (it.kind === 'line') {
      g.append(s('line', { x1: x, x2: x + 26, y1: y + 8, y2: y + 8, stroke: it.color, 'stroke-width': 3, 'stroke-dasharray': it.dash || null }));
    } else {
      g.append(s('rect', { x, y: y + 1, width: 26, height: 14, fill: it.kind === 'hatch' ? hatchFill : it.color, stroke: '#767676', 'stroke-width': 0.5 }));
    }
    g.append(svgText(x + 32, y + 8, it.label, { size: 12 }));
    x += w;
  }
  return { group: g, height: items.length ? y + rowH : 0 };
}

/** The chart as a standalone SVG document (a string). */
export function chartSvgText(svg, { title, notes = [] }) {
  const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
  const pad = 16;
  const width = Math.max(w + 2 * pad, 360);
  const titleLines = wrapText(title, width - 2 * pad, 16, 700, 3);
  const head = titleLines.length * 22 + 8;
  const chart = svg.cloneNode(true);
  chart.removeAttribute('class');
  chart.setAttribute('x', pad);
  chart.setAttribute('y', pad + head);
  chart.setAttribute('width', w);
  chart.setAttribute('height', h);
  const hatch = chart.querySelector('pattern');
  const legend = legendGroup(svg.legend || [], width - 2 * pad, hatch ? `url(#${hatch.id})` : '#eee');
  const noteLines = notes.flatMap((n) => wrapText(n, width - 2 * pad, 12, 400, 3));
  const height = pad + head + h + 12 + legend.height + noteLines.length * 17 + pad;
  const out = document.createElementNS(NS, 'svg');
  out.setAttribute('xmlns', NS);
  out.setAttribute('viewBox', `0 0 ${width} ${height}`);
  out.setAttribute('width', width);
  out.setAttribute('height', height);
  out.setAttribute('font-family', FONT);
  out.append(s('rect', { width, height, fill: '#ffffff' }));
  titleLines.forEach((ln, i) => out.append(svgText(pad, pad + 10 + i * 22, ln, { size: 16, weight: 700, fill: INK })));
  out.append(chart);
  legend.group.setAttribute('transform', `translate(${pad} ${pad + head + h + 12})`);
  // the legend's hatch needs the pattern in this document: the chart's own <defs> is inside it
  if (hatch) out.append(s('defs', {}, hatch.cloneNode(true)));
  out.append(legend.group);
  noteLines.forEach((ln, i) => out.append(svgText(pad, pad + head + h + 12 + legend.height + 8 + i * 17, ln, { size: 12, fill: MUTED })));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}`;
}

function offer(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.className = 'hidden';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function downloadSvg(filename, text) {
  offer(filename, new Blob([text], { type: 'image/svg+xml;charset=utf-8' }));
}

/** Draws the SVG text on a canvas at `scale` and offers it as a PNG. */
export function downloadPng(filename, text, scale = 2) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(img.naturalWidth * scale);
      canvas.height = Math.ceil(img.naturalHeight * scale);
      const c = canvas.getContext('2d');
      c.scale(scale, scale);
      c.drawImage(img, 0, 0);
      canvas.toBlob((blob) => {
        if (!blob) { reject(new Error('png')); return; }
        offer(filename, blob);
        resolve();
      }, 'image/png');
    };
    img.onerror = () => reject(new Error('svg image'));
    // a data: URL, which the page's img-src allows ('self' data:)
    img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(text)))}`;
  });
}
