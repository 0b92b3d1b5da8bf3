// The pickers every view shares (period, region set, region, stage, metric), as labelled <select>s
// bound to the dashboard's shared state: a choice made in one view carries over to the next, and
// each is kept in the address (address.js).
import { h, nextId } from './dom.js';
import { t, label } from './i18n.js';

export function select({ name, labelText, options, value, onChange, multiple, size, help }) {
  const id = nextId(`pick-${name}`);
  const helpId = help ? `${id}-help` : null;
  const sel = h('select', { id, name, multiple: !!multiple, size: size || null, 'aria-describedby': helpId, dataset: { picker: name } },
    options.map((o) => h('option', { value: o.value, text: o.label, selected: multiple ? (value || []).includes(o.value) : o.value === value })));
  if (!multiple) sel.value = value;
  sel.addEventListener('change', () => {
    onChange(multiple ? Array.from(sel.selectedOptions).map((o) => o.value) : sel.value);
  });
  return h('div', { class: ['field', multiple && 'field-multi'] }, [
    h('label', { for: id, text: labelText }),
    sel,
    help ? h('small', { id: helpId, class: 'help', text: help }) : null,
  ]);
}

/** The quarters that hold figures (ctx.periods, newest first): a quarter without any is not offered. */
export function periodPicker(ctx, key = 'period', text = t('period')) {
  const periods = ctx.periods.length ? ctx.periods : [ctx.state[key]];
  return select({ name: key, labelText: text, value: ctx.state[key],
    options: periods.map((p) => ({ value: p, label: p })),
    onChange: (v) => ctx.update({ [key]: v }) });
}

export function regionSetPicker(ctx, only) {
  const sets = ctx.ref.regionSets.filter((rs) => !only || only.includes(rs.key));
  return select({ name: 'regionSet', labelText: t('regionSet'), value: ctx.state.regionSet,
    options: sets.map((rs) => ({ value: rs.key, label: ctx.lang === 'en' ? rs.nameEn || rs.name : rs.name })),
    onChange: (v) => ctx.update({ regionSet: v, region: '', regions: [], highlight: undefined }) });
}

/** One region of the current set; `allLabel` adds an "all regions" choice (value ""). */
export function regionPicker(ctx, regions, { key = 'region', allLabel, text = t('region') } = {}) {
  const options = regions.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` }));
  if (allLabel) options.unshift({ value: '', label: allLabel });
  let value = ctx.state[key];
  if (!options.some((o) => o.value === value)) value = options.length ? options[0].value : '';
  return select({ name: key, labelText: text, value, options, onChange: (v) => ctx.update({ [key]: v }) });
}

export function regionsPicker(ctx, regions) {
  return select({ name: 'regions', labelText: t('regions'), multiple: true, size: 5, help: t('regionsHelp'),
    value: ctx.state.regions, options: regions.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` })),
    onChange: (v) => ctx.update({ regions: v }) });
}

export function stagePicker(ctx, { skipFirst } = {}) {
  let stages = ctx.ref.stages;
  if (skipFirst) stages = stages.slice(1);
  return select({ name: 'stage', labelText: t('stage'), value: ctx.state.stage,
    options: stages.map((st) => ({ value: st.key, label: label(st.label, st.key) })),
    onChange: (v) => ctx.update({ stage: v }) });
}

export function metricPicker(ctx, metrics = ['count', 'per10k', 'fromPrevious']) {
  const value = metrics.includes(ctx.state.metric) ? ctx.state.metric : metrics[0];
  return select({ name: 'metric', labelText: t('metric'), value,
    options: metrics.map((m) => ({ value: m, label: t(`metrics.${m}`) })),
    onChange: (v) => ctx.update({ metric: v }) });
}
