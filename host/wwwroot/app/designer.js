// The analysts' designer: bpmn-js with a properties panel for the engine's own settings (urn:workflows:bpmn:1.0),
// validation findings as markers on the elements they name, drafts, deployment and version comparison.
import { api, el, header, latestVersions } from './common.js';
import { compareView } from './designer-compare.js';
import { showRollouts } from './designer-rollouts.js';

await header('Designer');
const wf = await (await fetch('/app/wf-moddle.json')).json();
const modeler = new BpmnJS({ container: '#canvas', keyboard: { bindTo: document }, moddleExtensions: { wf } });
const modeling = modeler.get('modeling');
const moddle = modeler.get('moddle');
const canvas = modeler.get('canvas');
const overlays = modeler.get('overlays');
const registry = modeler.get('elementRegistry');
const status = document.getElementById('status');
const findingsPanel = document.getElementById('findings');
const properties = document.getElementById('properties');
let current = { processId: null };
window.wfDesigner = { modeler, select: id => modeler.get('selection').select(registry.get(id)) };

// The side view beside the edited diagram: a comparison or the rollout plan, one at a time; closing it takes the
// comparison's marks off and leaves the diagram as it was edited.
const side = {
  open(kind, title) {
    document.getElementById('side').hidden = false;
    document.getElementById('side-compare').hidden = kind !== 'compare';
    document.getElementById('side-rollouts').hidden = kind !== 'rollouts';
    document.getElementById('side-title').textContent = title;
    if (kind !== 'compare') comparison.close();
    refit();
  },
  close() {
    comparison.close();
    if (document.getElementById('side').hidden) return;
    document.getElementById('side').hidden = true;
    refit();
  },
};
// The diagram's canvas changed width: its view box follows; the analyst's zoom and position stay as they were.
function refit() {
  canvas.resized();
}
const comparison = compareView({ modeler, side, processId: () => current.processId });
document.getElementById('side-close').addEventListener('click', () => side.close());

// ------------------------------------------------------------------ opening

async function refreshLibrary() {
  const latest = await latestVersions();
  const library = document.getElementById('library');
  library.replaceChildren(el('option', { value: '' }, 'Open from the library…'));
  for (const [processId, version] of latest) library.append(el('option', { value: processId }, `${processId} (v${version})`));
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key.startsWith('wf-draft:')) library.append(el('option', { value: key }, `${key.slice(9)} (draft)`));
  }
}

async function open(xml, processId) {
  side.close();
  await modeler.importXML(xml);
  canvas.zoom('fit-viewport');
  current.processId = processId || firstProcessId();
  await showVersions();
  clearMarks();
  renderProperties(null);
  status.textContent = `${current.processId} open`;
}

// The deployed versions of the open process, to compare: from the one before the latest (the latest when it is the only
// one) to the edited diagram, or to another deployed version.
async function showVersions() {
  const versions = (await api('/api/definitions')).filter(d => d.processId === current.processId).map(d => d.version);
  document.getElementById('compare-from').replaceChildren(...versions.map(v => el('option', { value: v }, `v${v}`)));
  document.getElementById('compare-to').replaceChildren(el('option', { value: 'edited' }, 'the edited diagram'), ...versions.map(v => el('option', { value: v }, `v${v}`)));
  if (versions.length) document.getElementById('compare-from').value = versions.at(versions.length > 1 ? -2 : -1);
}

function firstProcessId() {
  const root = canvas.getRootElement().businessObject;
  const process = root.$type === 'bpmn:Collaboration' ? root.participants[0]?.processRef : root;
  return process?.id;
}

document.getElementById('library').addEventListener('change', async event => {
  const value = event.target.value;
  if (!value) return;
  if (value.startsWith('wf-draft:')) { await open(JSON.parse(localStorage.getItem(value)).xml, value.slice(9)); return; }
  const version = (await latestVersions()).get(value);
  await open(await api(`/api/definitions/${encodeURIComponent(value)}/versions/${version}/xml`), value);
});

document.getElementById('file').addEventListener('change', async event => {
  const file = event.target.files[0];
  if (file) await open(await file.text(), null);
});

document.getElementById('save-draft').addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  localStorage.setItem('wf-draft:' + current.processId, JSON.stringify({ xml, savedAt: new Date().toISOString() }));
  status.textContent = `draft of ${current.processId} saved in this browser`;
  await refreshLibrary();
});

// ------------------------------------------------------------------ findings, deploy, compare

function clearMarks() {
  registry.forEach(element => ['wf-error', 'wf-warning', 'wf-changed', 'wf-added'].forEach(m => canvas.removeMarker(element, m)));
  overlays.remove({ type: 'wf-finding' });
}

function showFindings(findings) {
  clearMarks();
  findingsPanel.replaceChildren(el('h2', { text: `Findings (${findings.length})` }));
  if (!findings.length) { findingsPanel.append(el('p', { text: 'No findings: the model is ready to deploy.' })); return; }
  const table = el('table', {}, el('tr', {}, el('th', { text: 'severity' }), el('th', { text: 'element' }), el('th', { text: 'where' }), el('th', { text: 'message' })));
  for (const f of findings) {
    const element = f.elementId && registry.get(f.elementId);
    if (element) {
      canvas.addMarker(element, f.severity === 'error' ? 'wf-error' : 'wf-warning');
      overlays.add(element, 'wf-finding', { position: { top: -10, right: 10 }, html: `<div class="wf-badge ${f.severity}" title="${f.message.replace(/"/g, '&quot;')}">${f.code}</div>` });
    }
    table.append(el('tr', { class: 'clickable', 'data-finding': f.code, onclick: () => element && modeler.get('selection').select(element) },
      el('td', { class: f.severity === 'error' ? 'state-breached' : 'state-warning', text: f.severity }), el('td', { text: f.elementId || '—' }),
      el('td', { text: `${f.line}:${f.column}` }), el('td', { text: f.message })));
  }
  findingsPanel.append(table);
}

document.getElementById('validate').addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  const report = await api('/api/definitions/validate', { method: 'POST', xml });
  showFindings(report.findings);
  status.textContent = report.valid ? 'valid' : 'has errors';
});

document.getElementById('deploy').addEventListener('click', async () => {
  const { xml } = await modeler.saveXML({ format: true });
  try {
    const result = await api('/api/definitions', { method: 'POST', xml });
    showFindings(result.findings);
    status.textContent = 'Deployed ' + result.processes.map(p => `${p.processId} version ${p.version}${p.isNew ? '' : ' (unchanged)'}`).join(', ');
    await refreshLibrary();
    await showVersions();
  } catch (e) {
    showFindings(e.problem.findings || []);
    status.textContent = `Not deployed: ${e.message}`;
  }
});

document.getElementById('compare').addEventListener('click', async () => {
  const from = document.getElementById('compare-from').value, to = document.getElementById('compare-to').value;
  if (!current.processId || !from) { status.textContent = 'open a deployed journey to compare it with its versions'; return; }
  try {
    const diff = await comparison.show(from, to);
    status.textContent = diff.same ? 'no difference' : diff.layoutOnly ? 'layout only' : `${diff.summary.length} changes`;
  } catch (e) {
    status.textContent = `Not compared: ${e.message}`;
  }
});

document.getElementById('rollouts').addEventListener('click', async () => {
  if (!current.processId) { status.textContent = 'open a journey to see its rollout plan'; return; }
  try {
    side.open('rollouts', `${current.processId} across branches`);
    await showRollouts(document.getElementById('side-rollouts'), current.processId);
  } catch (e) {
    document.getElementById('side-rollouts').replaceChildren(el('p', { class: 'state-breached', text: e.message }));
  }
});

// ------------------------------------------------------------------ the properties panel

const values = target => target.extensionElements?.values || [];
const find = (target, type) => values(target).find(v => v.$type === type);

function extensions(element, target) {
  if (!target.extensionElements) {
    modeling.updateModdleProperties(element, target, { extensionElements: moddle.create('bpmn:ExtensionElements', { values: [] }) });
  }
  return target.extensionElements;
}

function ensure(element, target, type, initial = {}) {
  let node = find(target, type);
  if (!node) {
    const ext = extensions(element, target);
    node = moddle.create(type, initial);
    node.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.values, node] });
  }
  return node;
}

// An empty setting removes the attribute, and an element left with nothing removes the element.
function set(element, target, type, name, value) {
  const node = find(target, type);
  if (!value && !node) return;
  const written = node || ensure(element, target, type);
  modeling.updateModdleProperties(element, written, { [name]: value === '' ? undefined : value });
  const empty = written.$descriptor.properties.every(p => {
    const v = written.get(p.name);
    return v === undefined || v === '' || (Array.isArray(v) && !v.length);
  });
  if (empty) {
    const ext = target.extensionElements;
    modeling.updateModdleProperties(element, ext, { values: ext.values.filter(v => v !== written) });
  }
}

function input(label, key, value, onchange, attributes = {}) {
  const id = 'prop-' + key.replace(/\W/g, '-');
  return el('div', {}, el('label', { for: id, text: label }),
    el('input', { id, 'data-field': key, value: value ?? '', onchange: e => onchange(e.target.value.trim()), ...attributes }));
}

function section(title, ...children) { return el('fieldset', { class: 'fieldset' }, el('legend', { text: title }), ...children); }

function renderProperties(element) {
  properties.replaceChildren(el('h2', { text: 'Properties' }));
  if (!element) { properties.append(el('p', { text: 'Select an element.' })); return; }
  const bo = element.businessObject;
  properties.append(el('p', { 'data-test': 'selected', text: `${bo.$type.replace('bpmn:', '')} · ${bo.id}` }),
    input('Name', 'name', bo.name, v => modeling.updateProperties(element, { name: v || undefined })));

  if (bo.$instanceOf('bpmn:UserTask')) {
    const ut = find(bo, 'wf:UserTask') || {};
    properties.append(section('Who works it',
      input('Queues (candidate groups)', 'userTask.candidateGroups', ut.candidateGroups, v => set(element, bo, 'wf:UserTask', 'candidateGroups', v)),
      input('Assignee', 'userTask.assignee', ut.assignee, v => set(element, bo, 'wf:UserTask', 'assignee', v)),
      input('Priority (0–100 or =FEEL)', 'userTask.priority', ut.priority, v => set(element, bo, 'wf:UserTask', 'priority', v))));
    properties.append(formSection(element, bo));
  }

  if (bo.$instanceOf('bpmn:ServiceTask') || bo.$instanceOf('bpmn:SendTask') || bo.$instanceOf('bpmn:BusinessRuleTask')) {
    const td = find(bo, 'wf:TaskDefinition') || {};
    properties.append(section('Task',
      input('Task type (handler or worker)', 'taskDefinition.type', td.type, v => set(element, bo, 'wf:TaskDefinition', 'type', v)),
      input('Retries', 'taskDefinition.retries', td.retries, v => set(element, bo, 'wf:TaskDefinition', 'retries', v)),
      el('label', {}, el('input', { type: 'checkbox', 'data-field': 'taskDefinition.external', checked: td.external === 'true',
        onchange: e => set(element, bo, 'wf:TaskDefinition', 'external', e.target.checked ? 'true' : '') }), ' runs on a worker over the bus')));
  }

  if (bo.$instanceOf('bpmn:FlowNode')) {
    const score = find(bo, 'wf:Satisfaction') || {};
    properties.append(section('Satisfaction milestone',
      input('Score (FEEL, such as =score)', 'satisfaction.score', score.score, v => set(element, bo, 'wf:Satisfaction', 'score', v))));
  }

  const target = bo.$instanceOf('bpmn:Participant') ? bo.processRef : bo;
  if (target && (target.$instanceOf('bpmn:Activity') || target.$instanceOf('bpmn:Process'))) {
    const sla = find(target, 'wf:Sla') || {};
    properties.append(section('Service level (SLA)',
      input('Target (PT4H, 16 working hours, 2 business days)', 'sla.target', sla.target, v => set(element, target, 'wf:Sla', 'target', v)),
      input('Warnings (50%,75%)', 'sla.warnings', sla.warnings, v => set(element, target, 'wf:Sla', 'warnings', v)),
      input('Calendar (group/country:FR or =calendar)', 'sla.calendar', sla.calendar, v => set(element, target, 'wf:Sla', 'calendar', v))));
    const commitment = find(target, 'wf:Commitment') || {};
    const isProcess = target.$instanceOf('bpmn:Process');
    properties.append(section(isProcess ? 'Level-1 commitment (the promise to the customer)' : 'Level-2/3 commitment (a department\'s budget)',
      isProcess
        ? input('Promise', 'commitment.name', commitment.name, v => { set(element, target, 'wf:Commitment', 'name', v); set(element, target, 'wf:Commitment', 'level', v ? '1' : ''); })
        : input('Level (2 or 3)', 'commitment.level', commitment.level, v => set(element, target, 'wf:Commitment', 'level', v)),
      isProcess
        ? input('Target', 'commitment.target', commitment.target, v => set(element, target, 'wf:Commitment', 'target', v))
        : input('Budget', 'commitment.budget', commitment.budget, v => set(element, target, 'wf:Commitment', 'budget', v)),
      isProcess ? null : input('Department', 'commitment.department', commitment.department, v => set(element, target, 'wf:Commitment', 'department', v)),
      input('Calendar', 'commitment.calendar', commitment.calendar, v => set(element, target, 'wf:Commitment', 'calendar', v)),
      input('Warnings', 'commitment.warnings', commitment.warnings, v => set(element, target, 'wf:Commitment', 'warnings', v))));
  }
}

function formSection(element, bo) {
  const form = find(bo, 'wf:Form');
  const fields = form?.fields || [];
  const box = section('Form fields');
  const table = el('table', {}, el('tr', {}, ...['id', 'label', 'type', 'req.', 'values', ''].map(h => el('th', { text: h }))));
  fields.forEach((field, index) => {
    const update = (name, value) => modeling.updateModdleProperties(element, field, { [name]: value || undefined });
    table.append(el('tr', {},
      el('td', {}, el('input', { size: 8, value: field.id || '', 'data-field': `form.${index}.id`, onchange: e => update('id', e.target.value) })),
      el('td', {}, el('input', { size: 10, value: field.label || '', 'data-field': `form.${index}.label`, onchange: e => update('label', e.target.value) })),
      el('td', {}, el('select', { 'data-field': `form.${index}.type`, onchange: e => update('type', e.target.value) },
        ...['string', 'number', 'boolean', 'date', 'enum'].map(t => el('option', { value: t, selected: (field.type || 'string') === t }, t)))),
      el('td', {}, el('input', { type: 'checkbox', checked: field.required === 'true', onchange: e => update('required', e.target.checked ? 'true' : '') })),
      el('td', {}, el('input', { size: 10, value: field.values || '', onchange: e => update('values', e.target.value) })),
      el('td', {}, el('button', { title: 'remove', onclick: () => { modeling.updateModdleProperties(element, form, { fields: fields.filter(f => f !== field) }); renderProperties(element); } }, '×'))));
  });
  box.append(table, el('button', { 'data-test': 'add-field', onclick: () => {
    const owner = ensure(element, bo, 'wf:Form');
    const field = moddle.create('wf:Field', { id: `field${(owner.fields || []).length + 1}`, label: 'New field', type: 'string' });
    field.$parent = owner;
    modeling.updateModdleProperties(element, owner, { fields: [...(owner.fields || []), field] });
    renderProperties(element);
  } }, 'Add a field'));
  return box;
}

modeler.on('selection.changed', ({ newSelection }) => renderProperties(newSelection.length === 1 ? newSelection[0] : null));
await refreshLibrary();
await modeler.createDiagram();
status.textContent = 'a new diagram: open one from the library or a file';
