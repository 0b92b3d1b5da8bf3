// The frame every view shares: heading and introduction, tools (copy link, print, CSV, chart as
// PNG or SVG), a row of pickers, a status line read out by screen readers, what the figures are
// (protected or raw, live as of when), the charts — drawn at their container's width and drawn
// again when it changes — with their legends, the table below, and a header only print shows.
import { h, clear } from './dom.js';
import { t, label, fmtDateTime } from './i18n.js';
import { renderTable, toCsv, download } from './table.js';
import { chartSvgText, downloadSvg, downloadPng } from './export.js';
import { lastDataDate, lastDataRelease } from './api.js';

const SOURCE = 'trechter';

/** The scale of chart text and lines: 1, or larger in the large view. */
export function chartScale() {
  return document.body.classList.contains('large') ? 1.3 : 1;
}

/** A legend (items as charts.js makes them) as an HTML list. */
export function legendList(items, { caption, cls } = {}) {
  if (!items || !items.length) return null;
  return h('div', { class: ['legend', cls], role: 'group', 'aria-label': caption || t('legend') }, [
    caption ? h('p', { class: 'legend-caption', text: caption }) : null,
    h('ul', {}, items.map((it) => h('li', { dataset: it.key ? { key: it.key } : {} }, [
      h('span', { class: ['key', `key-${it.kind}`, it.kind === 'line' && it.dash ? 'dashed' : null, it.kind === 'swatch' ? `fill-${colourClass(it.color)}` : null,
        it.kind === 'line' ? `stroke-${colourClass(it.color)}` : null], 'aria-hidden': 'true' }),
      h('span', { class: it.empty ? 'muted' : null, text: it.label }),
    ]))),
  ]);
}

/** The CSS class suffix of a chart colour (style.css has one rule per colour: no style attributes). */
export function colourClass(hex) {
  return String(hex || 'none').replace('#', '').toLowerCase();
}

export function scaffold(root, ctx, { name, title, intro }) {
  clear(root);
  const datasets = [];
  let primary = null; // {svg, title, file}
  let protectionText = '';
  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const tool = (text, attrs, onclick) => h('button', { type: 'button', class: 'secondary', ...attrs, onclick }, text);
  const csvButtons = [
    tool(t('csv'), { disabled: true, dataset: { csv: 'comma' } }, () => datasets[0] && download(datasets[0].file, toCsv(datasets[0].ds, 'comma', provenance()))),
    tool(t('csvExcel'), { disabled: true, dataset: { csv: 'semicolon' } }, () => datasets[0] && download(datasets[0].file, toCsv(datasets[0].ds, 'semicolon', provenance()))),
  ];
  const imageButtons = [
    tool(t('downloadPng'), { disabled: true, dataset: { image: 'png' } }, () => primary && downloadPng(`${primary.file}.png`, chartSvgText(primary.svg, exportNotes()))),
    tool(t('downloadSvg'), { disabled: true, dataset: { image: 'svg' } }, () => primary && downloadSvg(`${primary.file}.svg`, chartSvgText(primary.svg, exportNotes()))),
  ];
  const copyButton = tool(t('copyLink'), { dataset: { action: 'copy-link' } }, async () => {
    const url = location.href;
    clear(copyStatus);
    try {
      await navigator.clipboard.writeText(url);
      copyStatus.textContent = t('linkCopied');
    } catch {
      const field = h('input', { type: 'text', readonly: true, value: url, 'aria-label': t('copyThisLink'), class: 'copy-field' });
      copyStatus.append(field);
      field.select();
    }
  });
  const printButton = tool(t('print'), { dataset: { action: 'print' } }, () => window.print());
  const controls = h('div', { class: 'controls', role: 'group', 'aria-label': t('choices') });
  const definition = h('div', { class: 'definition' });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const note = h('p', { class: 'note' });
  const meta = h('p', { class: 'meta', dataset: { meta: 'date' } });
  const body = h('div', { class: 'view-body' });
  const tableArea = h('div', { class: 'table-area' });
  const printHead = h('div', { class: 'print-head', 'aria-hidden': 'true' });
  root.append(
    printHead,
    h('header', { class: 'view-head' }, [
      h('div', { class: 'view-title' }, [h('h2', { id: `h-${name}`, tabindex: -1, text: title }), h('p', { class: 'intro', text: intro })]),
      h('div', { class: 'tools', role: 'group', 'aria-label': t('tools') }, [copyButton, printButton, ...csvButtons, ...imageButtons, copyStatus]),
    ]),
    controls, definition, status, note, meta, body, tableArea,
  );
  const observers = [];

  /** "live figures, as of <date>" or which release (design §8) the figures come from. */
  function figuresText() {
    const rel = lastDataRelease();
    if (rel) {
      const when = rel.releasedAt ? fmtDateTime(new Date(rel.releasedAt)) : '';
      return rel.perQuarter ? t('releasesPerQuarter')(rel.id, when) : t('releaseAsOf')(rel.id, t(`releaseStatus.${rel.status}`) || rel.status, when);
    }
    const d = lastDataDate();
    return d ? t('liveAsOf')(fmtDateTime(d)) : t('live');
  }
  function figuresCsv() {
    const rel = lastDataRelease();
    if (rel) return `release ${rel.perQuarter ? `${t('perQuarterWord')}, ${t('latestWord')} ` : ''}${rel.id} (${rel.status}) ${rel.releasedAt || ''}`.trim();
    const d = lastDataDate();
    return d ? `${t('liveWord')} ${d.toISOString().replace(/\.\d+Z$/, 'Z')}` : t('liveWord');
  }
  function choicesText() {
    return Array.from(controls.querySelectorAll('.field')).map((f) => {
      const lab = f.querySelector('label');
      const sel = f.querySelector('select');
      if (!lab || !sel) return null;
      const chosen = Array.from(sel.selectedOptions).map((o) => o.textContent).join(', ');
      return chosen ? `${lab.textContent}: ${chosen}` : null;
    }).filter(Boolean).join(' · ');
  }
  function provenance() {
    return {
      columns: { period: t('csvCols.period'), protection: t('csvCols.protection'), figures: t('csvCols.figures'), source: t('csvCols.source') },
      period: ctx.state.period,
      protection: (row) => (row._protected === false ? t('csvRaw') : row._protected === true ? t('csvProtected') : protectionText),
      figures: figuresCsv(),
      source: `${SOURCE} ${location.origin}/${location.hash}`,
    };
  }
  function exportNotes() {
    return { title: primary.title, notes: [choicesText(), `${figuresText()}. ${protectionText}`, `${t('sourceLine')} ${location.origin}/${location.hash}`] };
  }
  function fillPrintHead() {
    clear(printHead).append(
      h('p', { class: 'print-title', text: `${t('appTitle')} — ${title}` }),
      h('p', { text: choicesText() }),
      h('p', { text: `${figuresText()}. ${t('sourceLine')} ${location.origin}/${location.hash}` }),
      h('p', { text: protectionText }),
    );
  }

  return {
    controls, body, status, note,
    setStatus(text, kind) { status.textContent = text || ''; status.className = `status ${kind || ''}`; },
    /** The definition of one stage (or of all, in a list) under the pickers. */
    setDefinitions(stages, { one } = {}) {
      clear(definition);
      const withDef = stages.filter((st) => st.definition);
      if (!withDef.length) return;
      if (one) {
        const st = withDef[0];
        definition.append(h('p', { class: 'definition-one' }, [h('strong', { text: `${label(st.label, st.key)}: ` }), label(st.definition)]));
        return;
      }
      definition.append(h('details', { class: 'definitions' }, [
        h('summary', { text: t('definitions') }),
        h('dl', {}, withDef.flatMap((st) => [h('dt', { text: label(st.label, st.key) }), h('dd', { text: label(st.definition) })])),
      ]));
    },
    /** Says whether the figures are protected; `own` for a municipality's own raw figures. */
    setProtected(isProtected, { own, text } = {}) {
      const mine = own && ctx.me && ctx.me.role === 'municipality';
      protectionText = text || (isProtected ? t('protectedNote') : mine ? t('rawOwnNote') : t('rawNote'));
      note.textContent = protectionText;
      note.className = `note ${isProtected ? 'protected' : 'raw'}`;
      meta.textContent = `${figuresText()} · ${t('sourceLine')}`;
      fillPrintHead();
    },
    /**
     * A chart drawn by draw(width, scale) -> <svg> at the width of its box, again whenever that
     * changes (unless `fixed`: a chart without text that scales with its box); its legend below
     * it. `wrap(svg)` gives the element placed in the box (default the svg), `before` an element
     * above it. The first chart of a view is the one PNG and SVG download.
     */
    chart(draw, { title: chartTitle, file, legendCaption, before, fixed, wrap } = {}) {
      const box = h('div', { class: 'chart-box' });
      const legendBox = h('div', { class: 'legend-box' });
      const figure = h('figure', { class: 'chart-figure' }, [before || null, box, legendBox]);
      body.append(figure);
      let drawnWidth = 0;
      const entry = { svg: null, title: chartTitle, file };
      if (!primary) primary = entry;
      const paint = () => {
        const width = Math.floor(box.clientWidth || body.clientWidth || 900);
        if (Math.abs(width - drawnWidth) < 8 && entry.svg) return;
        drawnWidth = width;
        const svg = draw(width, chartScale());
        clear(box).append(wrap ? wrap(svg) : svg);
        entry.svg = svg;
        clear(legendBox);
        const list = legendList(svg.legend, { caption: legendCaption });
        if (list) legendBox.append(list);
      };
      paint();
      if (!fixed && typeof ResizeObserver === 'function') {
        let pending = 0;
        const ro = new ResizeObserver(() => {
          cancelAnimationFrame(pending);
          pending = requestAnimationFrame(() => { if (box.isConnected) paint(); else ro.disconnect(); });
        });
        ro.observe(box);
        observers.push(ro);
      }
      imageButtons.forEach((b) => { b.disabled = false; });
      return figure;
    },
    /** Shows the table for the chart and arms the CSV buttons with the same dataset. */
    setDataset(ds, file) {
      datasets.length = 0;
      clear(tableArea);
      if (!ds) { csvButtons.forEach((b) => { b.disabled = true; }); return; }
      datasets.push({ ds, file });
      tableArea.append(h('details', { class: 'table-details', open: true }, [
        h('summary', { text: t('chartTable') }), renderTable(ds, { name }),
      ]));
      csvButtons.forEach((b) => { b.disabled = false; });
    },
    /** A second table of a view with its own CSV buttons (for views showing two charts). */
    extraTable(ds, filename, tableName) {
      const btn = (profile, text) => h('button', { type: 'button', class: 'secondary', dataset: { csv: `${tableName}-${profile}` },
        onclick: () => download(filename, toCsv(ds, profile, provenance())) }, text);
      return h('details', { class: 'table-details', open: true }, [
        h('summary', { text: ds.caption }),
        h('div', { class: 'tools inline' }, [btn('comma', t('csv')), btn('semicolon', t('csvExcel'))]),
        renderTable(ds, { name: tableName }),
      ]);
    },
    /** Stops redrawing on resize (the view is being replaced). */
    dispose() { observers.forEach((o) => o.disconnect()); },
  };
}

export function stateText(stage) {
  if (!stage) return t('noValue');
  if (stage.withheld) return t('states.withheld');
  return t(`states.${stage.state}`) || stage.state;
}
