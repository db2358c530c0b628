// The local parameters tab: what the version the branch runs declares a branch may set, with type, bounds, the standard
// value and the branch's own; values are edited in place, each checked for its type here and for its bounds by the
// server, whose refusal is shown beside the parameter it names. An empty value returns a parameter to the standard.
import { api, el } from './common.js';
import { problemView, fieldOf } from './branch-model.js';

// Days and time only, as the engine reads a parameter's duration (no years, months or weeks).
const DURATION = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

function bounds(p) {
  if (p.values?.length) return `one of ${p.values.join(', ')}`;
  if (p.min != null && p.max != null) return `${p.min} to ${p.max}`;
  if (p.min != null) return `at least ${p.min}`;
  if (p.max != null) return `at most ${p.max}`;
  return 'any';
}

function input(p) {
  const id = `param-${p.name}`;
  const common = { id, 'data-param': p.name, 'aria-describedby': `${id}-error ${id}-hint` };
  if (p.type === 'boolean' || p.values?.length) {
    const options = p.type === 'boolean' ? ['true', 'false'] : p.values;
    return el('select', common, el('option', { value: '', text: `— standard (${p.standard ?? 'none'})` }),
      ...options.map(o => el('option', { value: o, selected: o === p.value, text: o })));
  }
  return el('input', { ...common, value: p.value ?? '', placeholder: p.standard != null ? `standard: ${p.standard}` : 'no standard value',
    inputmode: p.type === 'number' ? 'decimal' : null, maxlength: 200, autocomplete: 'off' });
}

// A value as the API takes it, or an error in words; '' returns the parameter to its standard value (null).
function read(p, text) {
  const t = text.trim();
  if (t === '') return { value: null };
  if (p.type === 'number') return /^-?\d+(\.\d+)?$/.test(t) ? { value: Number(t) } : { error: `${t} is not a number (digits, a point for decimals)` };
  if (p.type === 'boolean') return { value: t === 'true' };
  if (p.type === 'duration') return DURATION.test(t) ? { value: t } : { error: `${t} is not a duration in days and hours such as PT4H, P1D or P1DT12H` };
  return { value: t };
}

// What the branch's new cases read, as the server says (reads, readFrom): an older branch setting counts as the branch's.
function readsHint(p) {
  if (p.readFrom === 'branch') return '';
  if (p.readFrom === 'settings') return `cases read ${p.reads}: the branch's older setting${p.standard != null && p.reads !== p.standard ? `, not the standard ${p.standard}` : ''}; set a value here to replace it`;
  if (p.readFrom === 'standard') return p.problem ? `cases read the standard ${p.reads}` : 'runs on the standard value';
  return 'not set: cases read no value';
}

export function parametersTab(page, panel) {
  let shown = null; // the parameters as read

  async function load() {
    const journey = page.journey;
    if (!journey) { panel.replaceChildren(el('p', { text: 'No journey is deployed yet.' })); return; }
    shown = await api(`/api/branches/${encodeURIComponent(page.branch.id)}/parameters/${encodeURIComponent(journey)}`);
    if (journey !== page.journey) return;
    render();
  }

  function render(saved = '') {
    const params = shown.parameters;
    const form = el('form', { 'data-test': 'parameter-form', novalidate: true },
      el('h2', { tabindex: '-1', text: `${shown.processId}: local parameters of version ${shown.version}${shown.pinned ? ' (pinned)' : ' (the latest)'}` }),
      params.length === 0 ? el('p', { text: `Version ${shown.version} of ${shown.processId} declares no parameter a branch may set.` }) : el('table', {},
        el('thead', {}, el('tr', {}, ...['Parameter', 'Type', 'Allowed', 'Standard', `${page.branch.id}'s value`].map(h => el('th', { text: h })))),
        el('tbody', {}, ...params.map(p => el('tr', { 'data-row': p.name },
          el('td', {}, el('label', { for: `param-${p.name}`, text: p.label || p.name }), el('div', { class: 'hint', text: `branchSettings.${p.name}` })),
          el('td', { text: p.type }),
          el('td', { 'data-test': 'bounds', text: bounds(p) }),
          el('td', { text: p.standard ?? '—' }),
          el('td', {}, input(p),
            el('div', { id: `param-${p.name}-hint`, class: 'hint', 'data-test': 'reads', text: readsHint(p) }),
            el('div', { id: `param-${p.name}-error`, class: 'field-error', 'data-error': p.name, role: 'alert', text: p.problem ? `Not used: ${p.problem}` : '' })))))),
      el('div', { id: 'parameter-problem' }),
      params.length ? el('div', { class: 'actions-row' },
        el('button', { type: 'submit', class: 'primary', 'data-test': 'save-parameters' }, 'Save parameters'),
        el('span', { class: 'hint', text: 'Leave a value empty to run on the standard. New cases read the values when they start.' }),
        el('span', { 'data-test': 'saved', role: 'status', text: saved })) : null);
    form.addEventListener('submit', save);
    form.addEventListener('input', e => { if (e.target.dataset.param) clearError(e.target.dataset.param); });
    panel.replaceChildren(form);
  }

  function clearError(name) {
    panel.querySelector(`[data-error="${CSS.escape(name)}"]`).textContent = '';
    panel.querySelector(`[data-param="${CSS.escape(name)}"]`).classList.remove('invalid');
    panel.querySelector(`[data-param="${CSS.escape(name)}"]`).removeAttribute('aria-invalid');
  }

  function showError(name, text) {
    const field = panel.querySelector(`[data-param="${CSS.escape(name)}"]`);
    panel.querySelector(`[data-error="${CSS.escape(name)}"]`).textContent = text;
    field.classList.add('invalid');
    field.setAttribute('aria-invalid', 'true');
    return field;
  }

  async function save(event) {
    event.preventDefault();
    panel.querySelector('#parameter-problem').replaceChildren();
    const values = {};
    let first = null;
    for (const p of shown.parameters) {
      const field = panel.querySelector(`[data-param="${CSS.escape(p.name)}"]`);
      clearError(p.name);
      const { value, error } = read(p, field.value);
      if (error) { first ??= showError(p.name, error); continue; }
      if ((value === null ? null : String(value)) !== (p.value ?? null)) values[p.name] = value;
    }
    if (first) { first.focus(); return; }
    if (Object.keys(values).length === 0) { panel.querySelector('[data-test=saved]').textContent = 'Nothing changed.'; return; }
    const button = panel.querySelector('[data-test=save-parameters]');
    button.disabled = true;
    try {
      shown = await api(`/api/branches/${encodeURIComponent(page.branch.id)}/parameters/${encodeURIComponent(shown.processId)}`, { method: 'PUT', body: { values } });
      render(`Saved ${Object.keys(values).join(', ')}.`);
      panel.querySelector('[data-test=saved]').focus?.();
    } catch (error) {
      button.disabled = false;
      const name = fieldOf(error, shown.parameters.map(p => p.name));
      if (name && error.status === 400) showError(name, error.problem?.detail || error.message).focus();
      else panel.querySelector('#parameter-problem').replaceChildren(problemView(error));
    }
  }

  return { load };
}
