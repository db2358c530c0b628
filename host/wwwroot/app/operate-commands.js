// The operations page's commands on the instance shown, for operators: set variables on a scope, move a token (the
// live elements to cancel and the element to activate, picked on the diagram or in the panel's lists), cancel the
// instance, each confirmed with a reason the server writes to the instance's history; a refusal shows the server's
// problem (its title, detail and every reason), a success refreshes the page. Supervisors get none of it: the page
// reads, and the server refuses them the same calls.
import { api, el, notice } from './common.js';

const $ = id => document.getElementById(id);

/**
 * The problem the server answered, whole and each thing once: title, detail, and each reason or field error it lists.
 * A refusal's detail repeats its reasons after a colon ("… is refused: a; b") for callers that read the detail alone:
 * the page lists them, so it shows the detail up to where the first listed reason starts.
 */
export function problemView(error) {
  const p = error.problem || {};
  const items = [...(p.reasons || []), ...Object.entries(p.errors || {}).map(([field, messages]) => `${field}: ${[].concat(messages).join(', ')}`)];
  const repeated = items.length && p.detail ? p.detail.indexOf(items[0]) : -1;
  const detail = repeated >= 0 ? p.detail.slice(0, repeated).replace(/[\s:;,]+$/, '') : p.detail;
  return el('div', { class: 'notice error', 'data-test': 'problem-details' },
    el('strong', { text: `${p.title || 'Refused'}${error.status ? ` (${error.status})` : ''}` }),
    detail ? el('div', { text: detail }) : null,
    items.length ? el('ul', {}, ...items.map(r => el('li', { text: r }))) : null);
}

/**
 * Wires the command buttons and panel. `refresh` reloads the list and the instance after a command.
 * Returns `show(view)`, called with each inspection shown, and `operator`, whether the user may command at all.
 */
export function commands({ user, viewer, refresh }) {
  const operator = user.roles.includes('operator');
  const buttons = [...document.querySelectorAll('[data-command]')];
  let view = null;          // the inspection shown
  let steps = [];           // the steps of its process ({ id, label }), from the BPMN file: a model without a layout has no diagram to pick on
  let open = null;          // the command whose panel is open: 'variables' | 'move' | 'cancel'
  let opener = null;        // the button that opened it, focused again when it closes
  let move = null;          // { from: Set of element ids, to: element id | null, phase: 'from' | 'to' }

  if (!operator) {
    // A supervisor reads: the commands are not offered at all.
    document.querySelector('[data-test=actions]').remove();
    $('read-only').hidden = false;
  }

  // The journey's words for a step: the page's names, else the diagram's (a step not reached yet has none in the view).
  const name = id => (view && view.stepNames[id]) || viewer.get('elementRegistry').get(id)?.businessObject?.name || steps.find(s => s.id === id && s.label !== id)?.label || id;
  const canvas = () => viewer.get('canvas');

  function markPicks() {
    const registry = viewer.get('elementRegistry');
    for (const shape of registry.getAll()) {
      canvas().removeMarker(shape.id, 'wf-pick-from');
      canvas().removeMarker(shape.id, 'wf-pick-to');
    }
    if (!move) return;
    for (const id of move.from) if (registry.get(id)) canvas().addMarker(id, 'wf-pick-from');
    if (move.to && registry.get(move.to)) canvas().addMarker(move.to, 'wf-pick-to');
  }

  // The flow nodes of the instance's own process (a collaboration's file holds other pools too), nested ones included.
  const flowNodes = () => steps;

  function moveBody() {
    const active = Object.keys(view.activeTokens).filter(id => id !== view.instance.processId);
    const summary = move.from.size && move.to
      ? `Cancels the token${move.from.size > 1 ? 's' : ''} at ${[...move.from].map(name).join(', ')} and activates ${name(move.to)}.`
      : move.phase === 'from' ? 'Step 1: click the step(s) with a live token to move from (outlined on the diagram), or tick them here.'
        : 'Step 2: click the step to move the token to on the diagram, or choose it here.';
    return [
      el('fieldset', { class: 'fieldset', 'data-test': 'move-from' }, el('legend', { text: 'Move from (live tokens, cancelled)' }),
        ...active.map(id => el('label', { class: 'row' }, el('input', {
          type: 'checkbox', value: id, checked: move.from.has(id), 'data-from': id,
          onchange: e => { if (e.target.checked) move.from.add(id); else move.from.delete(id); renderMove(); },
        }), `${name(id)} (${view.activeTokens[id]})`))),
      el('div', { class: 'row' },
        el('button', { type: 'button', 'data-test': 'pick-target', disabled: move.from.size === 0 || move.phase === 'to', onclick: () => { move.phase = 'to'; renderMove(); $('move-to').focus(); } }, 'Next: pick the target')),
      el('label', { for: 'move-to', text: 'Move to (activated)' }),
      el('select', { id: 'move-to', 'data-test': 'move-to', onchange: e => { move.to = e.target.value || null; renderMove(); } },
        el('option', { value: '', text: '—' }), ...flowNodes().map(n => el('option', { value: n.id, selected: n.id === move.to, text: `${n.label}${n.label === n.id ? '' : ` (${n.id})`}` }))),
      el('p', { class: 'hint', 'data-test': 'move-summary', text: summary }),
    ];
  }

  function renderMove() {
    const focused = document.activeElement?.dataset?.from;
    $('command-body').replaceChildren(...moveBody());
    if (focused) document.querySelector(`[data-from="${CSS.escape(focused)}"]`)?.focus();
    $('confirm').disabled = !(move.from.size && move.to);
    markPicks();
  }

  function variableRow() {
    return el('div', { class: 'row', 'data-test': 'variable-row' },
      el('input', { 'aria-label': 'Variable name', placeholder: 'name', size: 14, list: 'variable-names', 'data-test': 'variable-name' }),
      el('input', { 'aria-label': 'Value (JSON, or text)', placeholder: 'value', size: 20, 'data-test': 'variable-value' }));
  }

  function variablesBody() {
    const scopes = [];
    const walk = (node, depth) => { scopes.push({ node, depth }); node.children.forEach(c => walk(c, depth + 1)); };
    walk(view.scope, 0);
    const names = new Set(scopes.flatMap(s => Object.keys(s.node.variables || {})));
    return [
      el('label', { for: 'scope', text: 'Scope' }),
      el('select', { id: 'scope', 'data-test': 'scope' }, ...scopes.map(({ node, depth }) => el('option', {
        value: depth === 0 ? '' : String(node.key),
        text: depth === 0 ? 'The whole case (process variables)' : `${'· '.repeat(depth)}${name(node.elementId)} · key ${node.key}`,
      }))),
      el('datalist', { id: 'variable-names' }, ...[...names].map(n => el('option', { value: n }))),
      el('div', { id: 'variable-rows' }, variableRow()),
      el('button', { type: 'button', 'data-test': 'add-variable', onclick: () => { const row = variableRow(); $('variable-rows').append(row); row.querySelector('input').focus(); } }, 'Add a variable'),
      el('p', { class: 'hint', text: 'Values are read as JSON (120, true, "text", {"a": 1}); anything else is taken as text.' }),
    ];
  }

  function openCommand(command, button) {
    if (!view) return;
    open = command;
    opener = button;
    move = command === 'move' ? { from: new Set(), to: null, phase: 'from' } : null;
    $('problem').replaceChildren();
    $('done').replaceChildren();
    $('reason').value = '';
    $('confirm').disabled = false;
    $('command').hidden = false;
    const title = { variables: 'Set variables', move: 'Move a token', cancel: 'Cancel the instance' }[command];
    $('command-title').textContent = `${title} · ${view.instance.businessKey || view.instance.id}`;
    if (command === 'move') renderMove();
    else {
      $('command-body').replaceChildren(...(command === 'variables' ? variablesBody()
        : [el('p', { text: 'Cancels the instance and everything it waits for (tasks, timers, jobs, called instances). It cannot be undone.' })]));
      markPicks();
    }
    $('command').querySelector('input, select, textarea')?.focus();
  }

  function close() {
    open = null;
    move = null;
    $('command').hidden = true;
    if (view) markPicks();
    opener?.focus();
  }

  function request() {
    const reason = $('reason').value.trim();
    const id = view.instance.id;
    if (open === 'cancel') return [`/api/instances/${id}/cancellation`, { reason }, 'Cancelled.'];
    if (open === 'move') {
      return [`/api/instances/${id}/modification`, { reason, terminate: [...move.from].map(elementId => ({ elementId })), activate: [{ elementId: move.to }] },
        `Moved from ${[...move.from].map(name).join(', ')} to ${name(move.to)}.`];
    }
    const values = {};
    for (const row of document.querySelectorAll('[data-test=variable-row]')) {
      const [key, raw] = [...row.querySelectorAll('input')].map(i => i.value);
      if (!key.trim()) continue;
      try { values[key.trim()] = JSON.parse(raw); } catch { values[key.trim()] = raw; }
    }
    if (Object.keys(values).length === 0) return [null, null, 'Give a variable name (and its value).'];
    const scope = $('scope').value;
    return [`/api/instances/${id}/modification`, { reason, variables: [{ scopeKey: scope ? Number(scope) : null, values }] }, `Set ${Object.keys(values).join(', ') || 'nothing'}.`];
  }

  $('command').addEventListener('submit', async e => {
    e.preventDefault();
    const [path, body, done] = request();
    if (!path) { notice($('problem'), done, 'error'); return; }
    $('confirm').disabled = true;
    try {
      await api(path, { method: 'POST', body });
      const opened = opener;
      close();
      await refresh();
      notice($('done'), done, 'ok');
      opened?.focus();
    } catch (error) {
      $('problem').replaceChildren(problemView(error));
      $('confirm').disabled = false;
    }
  });
  $('dismiss').addEventListener('click', close);
  $('command').addEventListener('keydown', e => { if (e.key === 'Escape') close(); });
  for (const button of buttons) button.addEventListener('click', () => openCommand(button.dataset.command, button));

  // Picking on the diagram: first the live steps to move from, then the step to move to.
  viewer.get('eventBus').on('element.click', ({ element }) => {
    if (open !== 'move' || !element.businessObject?.$instanceOf?.('bpmn:FlowNode')) return;
    if (move.phase === 'from') {
      if (!view.activeTokens[element.id]) {
        notice($('problem'), `${name(element.id)} has no live token: pick a step with one (outlined), then "Next: pick the target".`, 'error');
        return;
      }
      if (move.from.has(element.id)) move.from.delete(element.id); else move.from.add(element.id);
    } else if (flowNodes().some(n => n.id === element.id)) {
      move.to = element.id;
    }
    $('problem').replaceChildren();
    renderMove();
  });

  return {
    operator,
    show(next, nextSteps = []) {
      view = next;
      steps = nextSteps;
      if (open) close();
      for (const button of buttons) {
        button.disabled = !operator || view.instance.status !== 'active';
        button.title = view.instance.status === 'active' ? '' : `the instance is ${view.instance.status}`;
      }
    },
  };
}
