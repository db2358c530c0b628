// The operations page: the branch's instances found by journey, version, state, incident and searchable variables,
// and one instance inspected: its diagram with the tokens on each element and the incidents marked, its wait points,
// variables by scope, incidents and history; an operator's commands (operate-commands.js) and incident retries.
import { api, el, header, when, latestVersions, notice } from './common.js';
import { commands, problemView } from './operate-commands.js';

const user = await header('Operate');
const viewer = new BpmnJS({ container: '#diagram' });
const $ = id => document.getElementById(id);
const latest = await latestVersions();
for (const processId of latest.keys()) $('journey').append(el('option', { value: processId, text: processId }));
if (user.branch && user.branch !== '*') { $('branch').value = user.branch; $('branch').readOnly = true; }

const filters = [];        // [{ name, op, value }]
let cursor = null;         // the next page's cursor
let selected = null;       // the instance shown
const command = commands({ user, viewer, refresh });

// After a command: the list (an instance's state may have changed) and the instance shown.
async function refresh() {
  await search();
  if (selected) await inspect(selected);
}

async function loadSearchable() {
  const journey = $('journey').value;
  const vars = await api('/api/instances/searchable-variables' + (journey ? `?journey=${encodeURIComponent(journey)}` : ''));
  $('var-name').replaceChildren(el('option', { value: '', text: '—' }), ...vars.map(v => el('option', { value: v.name, text: `${v.name} (${v.type})` })));
}

const ops = { eq: '=', gt: '>', gte: '≥', lt: '<', lte: '≤' };
function renderChips() {
  $('var-chips').replaceChildren(...filters.map((f, i) => el('span', { class: 'chip', 'data-test': 'chip' }, `${f.name} ${ops[f.op]} ${f.value}`,
    el('button', { type: 'button', 'aria-label': `remove the filter ${f.name} ${ops[f.op]} ${f.value}`, onclick: () => { filters.splice(i, 1); renderChips(); $('var-name').focus(); } }, '×'))));
}

// A variable filter typed but not added yet is added when the list is searched: what is on screen is what is asked.
function addPendingFilter() {
  if (!$('var-name').value || !$('var-value').value) return false;
  filters.push({ name: $('var-name').value, op: $('var-op').value, value: $('var-value').value });
  $('var-value').value = '';
  renderChips();
  return true;
}

function query() {
  const q = new URLSearchParams({ max: '25' });
  for (const [param, id] of [['journey', 'journey'], ['version', 'version'], ['state', 'state'], ['incident', 'incident'], ['branch', 'branch']]) {
    if ($(id).value) q.set(param, $(id).value);
  }
  for (const f of filters) q.append(`var.${f.name}.${f.op}`, f.value);
  return q;
}

async function search(more = false) {
  const q = query();
  if (more && cursor) q.set('after', cursor);
  try {
    const page = await api('/api/instances/search?' + q);
    cursor = page.nextCursor;
    $('more').hidden = !cursor;
    const rows = page.instances.map(i => el('tr', { class: 'clickable', tabindex: 0, 'data-instance': i.id, 'aria-label': `${i.businessKey || i.id} ${i.processId} ${i.status}`,
      onclick: () => inspect(i.id), onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); inspect(i.id); } } },
      el('td', { text: i.businessKey || i.id.slice(0, 8) }), el('td', { text: `${i.processId} v${i.version}` }), el('td', { text: i.branch || '—' }),
      el('td', {}, el('span', { class: `pill ${i.status}`, text: i.status })), el('td', { text: when(i.startedAt) })));
    if (more) $('instances').append(...rows);
    else $('instances').replaceChildren(el('tr', {}, ...['case', 'journey', 'branch', 'state', 'started'].map(h => el('th', { text: h }))), ...rows);
    notice($('message'), `${$('instances').querySelectorAll('tr[data-instance]').length} shown${cursor ? ', more available' : ''}`);
  } catch (e) {
    $('message').replaceChildren(problemView(e));
  }
}

async function inspect(id) {
  selected = id;
  for (const row of document.querySelectorAll('#instances tr[data-instance]')) row.classList.toggle('selected', row.dataset.instance === id);
  const view = await api(`/api/instances/${id}/inspection`);
  const i = view.instance;
  $('title').textContent = `${view.journeyName} v${i.version} · ${i.businessKey || i.id} · ${i.status}`;
  // A state that cannot be read is shown by its rows (waits, incidents, history) with why: repair and retry, or cancel.
  document.getElementById('state-problem')?.remove();
  if (view.stateProblem) $('title').after(el('p', { id: 'state-problem', role: 'alert', 'data-test': 'state-problem',
    text: `Its stored state cannot be read: ${view.stateProblem}. Repair it and retry its incident, or cancel the instance.` }));
  const steps = await diagram(view);
  command.show(view, steps);
  waits(view);
  $('tab-variables').replaceChildren(scope(view.scope, view.stepNames));
  incidents(view);
  $('tab-history').replaceChildren(el('ol', { class: 'timeline' }, ...view.history.map(h => el('li', {},
    el('div', { class: 'when', text: `${when(h.at)}${h.actor ? ' · ' + h.actor : ''}` }),
    `${h.kind}${h.elementId ? ' · ' + (view.stepNames[h.elementId] || h.elementId) : ''}${h.detail ? ' · ' + detailText(h) : ''}`))));
}

// A decision's evaluation reads as what it decided and why: version, value, the rules it matched and its inputs.
function detailText(h) {
  if (h.kind !== 'decision-evaluated') return h.detail;
  try {
    const d = JSON.parse(h.detail);
    // A row cut for size keeps only the decision's id, name and version (older cut rows not even those): say so.
    if (d.cut) return `${d.name || d.decisionId || 'decision'}${d.version != null ? ` v${d.version}` : ''}: evaluated; the detail was too large to keep and was cut`;
    const tables = (d.decisions || []).map(t => `${t.name}: ${(t.inputs || []).map(i => `${i.label} = ${JSON.stringify(i.value)}`).join(', ')}`
      + ` → rule${(t.matchedRules || []).length === 1 ? '' : 's'} ${(t.matchedRules || []).map(r => r.index).join(', ') || 'none'} → ${JSON.stringify(t.output)}`);
    return `${d.name} v${d.version} = ${JSON.stringify(d.value)} (${tables.join('; ')})${d.warnings ? ' · ' + d.warnings.join('; ') : ''}`;
  } catch {
    return h.detail;
  }
}

// The steps (flow nodes) of the instance's own process, read from the BPMN file itself: a model without a layout has
// no diagram to read them from, and a collaboration's file holds other pools' steps too.
const BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const containers = new Set(['subProcess', 'transaction', 'adHocSubProcess', 'callActivity']);
function stepsOf(xml, processId) {
  const process = [...new DOMParser().parseFromString(xml, 'application/xml').getElementsByTagNameNS(BPMN, 'process')].find(p => p.getAttribute('id') === processId);
  if (!process) return [];
  return [...process.getElementsByTagNameNS(BPMN, '*')]
    .filter(n => n.getAttribute('id') && (containers.has(n.localName) || /(Task|task|Event|Gateway)$/.test(n.localName)))
    .map(n => ({ id: n.getAttribute('id'), label: n.getAttribute('name') || n.getAttribute('id'), kind: n.localName }));
}

// Without a diagram: each step with its live tokens and open incidents, in the file's order.
function stepList(view, steps) {
  const incidentsAt = Map.groupBy(view.incidents, x => x.elementId);
  $('elements').replaceChildren(el('tr', {}, ...['step', 'kind', 'live tokens', 'open incidents'].map(h => el('th', { text: h }))),
    ...steps.map(s => el('tr', { 'data-element': s.id, class: view.activeTokens[s.id] ? 'selected' : '' },
      el('td', { text: s.label === s.id ? s.id : `${s.label} (${s.id})` }), el('td', { text: s.kind }),
      el('td', { 'data-tokens': s.id, text: String(view.activeTokens[s.id] || 0) }),
      el('td', { 'data-incident': s.id, text: (incidentsAt.get(s.id) || []).map(x => x.message).join('; ') || '—' }))));
}

// The diagram of the instance's version, a count of live tokens on each element and a marker on each element with an
// open incident; a model without a layout gets its steps listed instead, and everything else on the page still shows.
// Returns the steps of the instance's process (the move command's choices).
async function diagram(view) {
  const i = view.instance;
  const xml = await api(`/api/definitions/${encodeURIComponent(i.processId)}/versions/${i.version}/xml`);
  const steps = stepsOf(xml, i.processId);
  const drawn = /<(\w+:)?BPMNDiagram[\s>]/.test(xml) && await viewer.importXML(xml).then(() => true, () => false);
  $('diagram').hidden = !drawn;
  $('no-diagram').hidden = drawn;
  if (!drawn) {
    viewer.clear();
    stepList(view, steps);
    return steps;
  }
  const canvas = viewer.get('canvas'), overlays = viewer.get('overlays'), registry = viewer.get('elementRegistry');
  canvas.zoom('fit-viewport');
  for (const [elementId, count] of Object.entries(view.activeTokens)) {
    if (!registry.get(elementId)) continue;
    canvas.addMarker(elementId, 'wf-active');
    overlays.add(elementId, 'tokens', { position: { bottom: 8, left: -8 }, html: el('span', { class: 'tokens', 'data-tokens': elementId, title: 'live tokens', text: String(count) }) });
  }
  const byElement = Map.groupBy(view.incidents, x => x.elementId);
  for (const [elementId, list] of byElement) {
    if (!registry.get(elementId)) continue;
    canvas.addMarker(elementId, 'wf-incident');
    overlays.add(elementId, 'incident', { position: { top: -10, right: 10 }, html: el('span', { class: 'incident-marker', 'data-incident': elementId, title: list.map(x => x.message).join('\n'), text: `⚠ ${list.length}` }) });
  }
  return steps;
}

function waits(view) {
  const detail = w => [w.name, w.correlationKey ? `key ${w.correlationKey}` : null, w.retries !== undefined && w.retries !== null ? `${w.retries} retries left` : null,
    w.leaseOwner ? `leased by ${w.leaseOwner} until ${when(w.leaseUntil)}` : null, w.assignee, w.queues?.length ? `queues ${w.queues.join(', ')}` : null,
    w.slaState ? `SLA ${w.slaState}` : null].filter(Boolean).join(' · ');
  $('tab-waits').replaceChildren(view.waitPoints.length
    ? el('table', {}, el('tr', {}, ...['kind', 'element', 'due', 'detail'].map(h => el('th', { text: h }))),
      ...view.waitPoints.map(w => el('tr', { 'data-wait': `${w.kind}:${w.elementId}` }, el('td', { text: w.kind }),
        el('td', { text: view.stepNames[w.elementId] || w.elementId }), el('td', { text: when(w.dueAt) }), el('td', { text: detail(w) }))))
    : el('p', { text: 'Nothing: the instance waits for nothing.' }));
}

function scope(node, names) {
  const vars = JSON.stringify(node.variables, null, 1);
  return el('div', { class: 'scope', 'data-scope': node.elementId },
    el('div', {}, el('strong', { text: names[node.elementId] || node.elementId }), ` · ${node.state} · key ${node.key}`),
    vars === '{}' ? null : el('pre', { text: vars }),
    ...node.children.map(c => scope(c, names)));
}

// Operators retry an incident once its cause is fixed (a variable set, a system back); the retry takes no reason, as
// the API audits none: the history shows the incident resolved, and a new one if the step fails again.
function incidents(view) {
  const step = x => view.stepNames[x.elementId] || x.elementId;
  $('tab-incidents').replaceChildren(el('div', { id: 'incident-problem', role: 'alert' }), view.incidents.length
    ? el('table', {}, ...view.incidents.map(x => el('tr', { 'data-incident-row': x.id }, el('td', { text: step(x) }),
      el('td', { text: x.message }), el('td', { text: when(x.createdAt) }),
      el('td', {}, command.operator && view.instance.status === 'active' ? el('button', { type: 'button', 'data-test': 'retry', 'aria-label': `Retry ${step(x)}`, onclick: async () => {
        try {
          await api(`/api/incidents/${x.id}/retry`, { method: 'POST' });
          await refresh();
          notice($('done'), `Retried ${step(x)}.`, 'ok');
        } catch (e) { $('incident-problem').replaceChildren(problemView(e)); }
      } }, 'Retry') : null))))
    : el('p', { text: 'No open incident.' }));
}

for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('[role="tab"]')) {
      t.setAttribute('aria-selected', String(t === tab));
      $(`tab-${t.dataset.tab}`).hidden = t !== tab;
    }
  });
}

$('add-var').addEventListener('click', () => { if (addPendingFilter()) $('var-value').focus(); });
$('journey').addEventListener('change', loadSearchable);
$('filters').addEventListener('submit', e => { e.preventDefault(); addPendingFilter(); search(); });
$('more').addEventListener('click', () => search(true));
await loadSearchable();
await search();
