// The analysts' decisions page: dmn-js's modeler (the requirement diagram with the bpmn.io properties panel, decision
// tables, literal and boxed expressions) from the bundle built from npm at the host's build (host/web/src/decisions.js);
// decisions opened from the deployed list, a file or blank, checked and deployed by the server (/api/decisions), two
// versions compared cell by cell beside the edited model, and a deployed version evaluated with a context.
import { api, el, header, when } from './common.js';
import { sideBySide } from './decisions-compare.js';
import { findingMarks, placeWords } from './decisions-findings.js';
import { createDecisionModeler } from '/lib/designer/decisions.js';

await header('Decisions');
const modeler = createDecisionModeler({ container: '#canvas', panel: '#properties-panel' });
const $ = id => document.getElementById(id);
const status = $('status');
// The server's findings marked on the table cells, rules and column heads they are about.
const marks = findingMarks(modeler, $('canvas'));
// The decision the page is about: its versions are listed, compared, tried and deployed (with its whole document).
const current = { decisionId: null };
window.wfDecisions = { modeler, openView: id => openView(id) };

// ------------------------------------------------------------------ views: the requirement diagram and each decision

const VIEW_KINDS = { drd: 'requirements', decisionTable: 'table', literalExpression: 'literal expression', boxedExpression: 'boxed expression' };

modeler.on('views.changed', ({ views, activeView }) => {
  $('views').replaceChildren(...views.map(view => el('button', {
    class: activeView && view.element === activeView.element ? 'active' : '',
    'data-view': view.type === 'drd' ? 'drd' : view.element.id, 'data-kind': view.type,
    title: view.type === 'drd' ? 'the decision requirement diagram' : `${view.element.id} (${VIEW_KINDS[view.type] || view.type})`,
    onclick: () => modeler.open(view),
  }, view.type === 'drd' ? 'Requirements' : `${view.element.name || view.element.id} · ${VIEW_KINDS[view.type] || view.type}`)));
  if (activeView?.type === 'drd') followSelection(modeler.getActiveViewer());
  showSelected(activeView?.type === 'drd' ? null : activeView?.element);
});

// The requirement diagram's selection named above its properties panel (the panel shows it; tables carry their own).
const followed = new WeakSet();
function followSelection(viewer) {
  if (!viewer || followed.has(viewer)) return;
  followed.add(viewer);
  viewer.on('selection.changed', ({ newSelection }) => showSelected(newSelection.length === 1 ? newSelection[0].businessObject : null));
}

function showSelected(bo) {
  const shown = bo || modeler.getDefinitions?.();
  document.querySelector('[data-test=selected]').textContent = shown ? `${shown.$type.replace('dmn:', '')} · ${shown.id}` : '';
}

async function openView(elementId) {
  const view = modeler.getViews().find(v => v.element.id === elementId);
  if (view) await modeler.open(view);
  return !!view;
}

// ------------------------------------------------------------------ ids the editors need, kept out of the saved XML

// dmn-js redraws a table cell when the model element with the cell's id changes, so a cell whose entry has no id (DMN
// does not require one; the library's tables are written without) would keep showing its old text after an edit. Such
// elements get an id for the editors on import, and these ids are taken out again when the model is saved: a document
// opened and deployed unchanged stays the same canonical model, so no new version.
const GENERATED = 'wf-generated-';
let generated = 0;
modeler.on('import.parse.complete', ({ definitions }) => {
  const name = element => { if (element && !element.id && element.$descriptor.propertiesByName.id) element.id = GENERATED + ++generated; };
  for (const decision of definitions.drgElement || []) {
    const table = decision.decisionLogic;
    if (decision.$type !== 'dmn:Decision' || !table) continue;
    name(table);
    if (table.$type !== 'dmn:DecisionTable') continue;
    for (const input of table.input || []) [input, input.inputExpression, input.inputValues].forEach(name);
    for (const output of table.output || []) [output, output.outputValues, output.defaultOutputEntry].forEach(name);
    for (const rule of table.rule || []) [rule, ...(rule.inputEntry || []), ...(rule.outputEntry || [])].forEach(name);
  }
});

async function edited() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml.replace(new RegExp(` id="${GENERATED}\\d+"`, 'g'), '');
}

// ------------------------------------------------------------------ opening

// The decisions deployed, by id: only these have versions to ask the server for.
const deployed = new Set();

async function refreshDeployed() {
  const latest = new Map();
  for (const v of await api('/api/decisions')) if (!latest.has(v.decisionId) || latest.get(v.decisionId).version < v.version) latest.set(v.decisionId, v);
  deployed.clear();
  for (const id of latest.keys()) deployed.add(id);
  $('open').replaceChildren(el('option', { value: '' }, 'Open a deployed decision…'),
    ...[...latest.values()].sort((a, b) => a.decisionId.localeCompare(b.decisionId))
      .map(v => el('option', { value: v.decisionId }, `${v.name || v.decisionId} · ${v.decisionId} (v${v.version}, ${v.stage.toLowerCase()})`)));
}

// Imports a document and shows the decision given (else the requirement diagram); the decision the page is about is
// the one given, else the document's first decision.
async function open(xml, decisionId, source) {
  closeSide();
  clearFindings();
  const { warnings } = await modeler.importXML(xml);
  const first = modeler.getDefinitions().drgElement?.find(e => e.$type === 'dmn:Decision');
  current.decisionId = decisionId || first?.id || null;
  if (decisionId) await openView(decisionId);
  await showVersions();
  status.textContent = `${current.decisionId ?? 'a document without decisions'} open from ${source}${warnings.length ? ` (${warnings.length} import warnings: ${warnings[0].message})` : ''}`;
}

$('open').addEventListener('change', async event => {
  const id = event.target.value;
  if (!id) return;
  try {
    await open(await api(`/api/decisions/${encodeURIComponent(id)}/xml`), id, 'the deployed list');
  } catch (e) {
    status.textContent = `Not opened: ${e.message}`;
  }
  event.target.value = '';
});

$('file').addEventListener('change', async event => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    await open(await file.text(), null, file.name);
  } catch (e) {
    status.textContent = `Not opened: ${e.message}`;
  }
});

$('blank').addEventListener('click', () => open(blank(), null, 'a blank model'));

// A new document: one decision table (UNIQUE) with one input, one output and one rule, laid out in the diagram. Its ids
// are fresh so that deploying it never makes a new version of another decision.
function blank() {
  const n = Math.random().toString(36).slice(2, 8);
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="definitions_${n}" name="New decisions" namespace="urn:workflows:decisions">
  <decision id="decision_${n}" name="New decision">
    <decisionTable id="table_${n}" hitPolicy="UNIQUE">
      <input id="input_${n}" label="Amount"><inputExpression id="input_expression_${n}" typeRef="number"><text>amount</text></inputExpression></input>
      <output id="output_${n}" label="Result" name="result" typeRef="string" />
      <rule id="rule_${n}"><inputEntry id="entry_in_${n}"><text>-</text></inputEntry><outputEntry id="entry_out_${n}"><text>"ok"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="diagram_${n}"><dmndi:DMNShape id="shape_${n}" dmnElementRef="decision_${n}"><dc:Bounds x="160" y="100" width="180" height="80" /></dmndi:DMNShape></dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>`;
}

// ------------------------------------------------------------------ versions

async function versionsOf(decisionId) {
  return decisionId && deployed.has(decisionId) ? api(`/api/decisions/${encodeURIComponent(decisionId)}`) : [];
}

// The deployed versions of the decision: listed with their stage, and offered for comparison (from the one before the
// latest, or the latest when it is the only one, to the edited model) and for trying.
async function showVersions() {
  const versions = await versionsOf(current.decisionId);
  const numbers = versions.map(v => v.version);
  $('compare-from').replaceChildren(...numbers.map(v => el('option', { value: v }, `v${v}`)));
  $('compare-to').replaceChildren(el('option', { value: 'edited' }, 'the edited model'), ...numbers.map(v => el('option', { value: v }, `v${v}`)));
  if (numbers.length) $('compare-from').value = numbers.at(numbers.length > 1 ? -2 : -1);
  const box = $('versions');
  box.replaceChildren(el('h2', { text: current.decisionId ? `Versions of ${current.decisionId} (${versions.length})` : 'Versions' }));
  if (!versions.length) { box.append(el('p', { text: current.decisionId ? 'Not deployed yet.' : 'Open a decision.' })); return; }
  box.append(el('table', {},
    el('tr', {}, ...['version', 'stage', 'tag', 'deployed', 'approved', 'pinned by'].map(h => el('th', { text: h }))),
    ...versions.map(v => el('tr', { 'data-version': v.version },
      el('td', { text: `v${v.version}` }), el('td', { text: v.stage.toLowerCase() }), el('td', { text: v.versionTag || '—' }),
      el('td', { text: `${when(v.deployedAt)}${v.deployedBy ? ' by ' + v.deployedBy : ''}` }),
      el('td', { text: v.approvedBy ? `by ${v.approvedBy}: ${v.approvalReason}` : '—' }),
      el('td', { text: v.pinnedBy.join(', ') || '—' })))));
}

// ------------------------------------------------------------------ findings, validate, deploy

function clearFindings() {
  marks.clear();
  $('server-findings').replaceChildren(el('h2', { text: 'Findings of the server' }), el('p', { text: 'Validate or deploy to check the decisions on the server.' }));
}

function showFindings(findings, xml) {
  const box = $('server-findings');
  const placed = marks.set(findings, xml);
  box.replaceChildren(el('h2', { text: `Findings of the server (${findings.length})` }));
  if (!findings.length) { box.append(el('p', { text: 'No findings: the decisions are ready to deploy.' })); return; }
  box.append(el('table', { 'data-source': 'server' },
    el('tr', {}, ...['severity', 'code', 'element', 'message'].map(h => el('th', { text: h }))),
    ...placed.map(({ finding: f, place, selector }) => el('tr', { class: 'clickable', 'data-finding': f.code, 'data-element': f.elementId || '', 'data-place': placeWords(place),
      onclick: () => showElement(place?.decisionId || f.elementId, xml, selector) },
      el('td', { class: f.severity === 'error' ? 'state-breached' : 'state-warning', text: f.severity }), el('td', { text: f.code }),
      el('td', { text: f.elementId ? `${f.elementId}${place ? ` · ${placeWords(place)}` : ''}${f.line ? ` (${f.line}:${f.column})` : ''}` : '—' }), el('td', { text: f.message })))));
}

// A finding's element shown: the view of its decision (the element itself, a rule or an input, lies inside one), and
// the cell, rule or column head it is marked on scrolled into view.
async function showElement(elementId, xml, selector) {
  if (!elementId) return;
  if (!await openView(elementId)) {
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    let node = [...doc.getElementsByTagName('*')].find(e => e.getAttribute('id') === elementId);
    while (node && node.localName !== 'decision') node = node.parentElement;
    if (node) await openView(node.getAttribute('id'));
  }
  if (selector) marks.reveal(selector);
}

$('validate').addEventListener('click', async () => {
  const xml = await edited();
  try {
    const report = await api('/api/definitions/validate', { method: 'POST', xml });
    showFindings(report.findings, xml);
    status.textContent = report.valid ? 'valid' : 'has errors';
  } catch (e) {
    status.textContent = `Not validated: ${e.message}`;
  }
});

$('deploy').addEventListener('click', async () => {
  const xml = await edited();
  try {
    const result = await api('/api/decisions', { method: 'POST', xml });
    showFindings(result.findings, xml);
    status.textContent = 'Deployed ' + result.decisions.map(d => `${d.decisionId} version ${d.version}${d.isNew ? '' : ' (unchanged)'}`).join(', ');
    await refreshDeployed();
    await showVersions();
  } catch (e) {
    showFindings(e.problem.findings || [], xml);
    status.textContent = `Not deployed: ${e.message}`;
  }
});

// ------------------------------------------------------------------ compare, side by side with the edited model

function closeSide() {
  $('side').hidden = true;
}
$('side-close').addEventListener('click', closeSide);

async function versionXml(version) {
  return version === 'edited' ? edited() : api(`/api/decisions/${encodeURIComponent(current.decisionId)}/xml?version=${version}`);
}

$('compare').addEventListener('click', async () => {
  const from = $('compare-from').value, to = $('compare-to').value;
  if (!current.decisionId || !from) { status.textContent = 'open a deployed decision to compare it with its versions'; return; }
  try {
    const [older, newer] = await Promise.all([versionXml(from), versionXml(to)]);
    const labels = [`v${from}`, to === 'edited' ? 'the edited model' : `v${to}`];
    const { changes, view } = sideBySide(older, newer, labels);
    $('side').hidden = false;
    $('side-title').textContent = `${labels[0]} → ${labels[1]}`;
    $('compare-summary').textContent = changes.length ? `${changes.length} changes` : 'no difference in the decisions';
    $('change-list').replaceChildren(...changes.map(c => el('li', { class: c.kind, 'data-decision': c.decisionId, 'data-where': c.where, text: `${c.decisionId}: ${c.sentence}` })));
    $('compare-tables').replaceChildren(view);
    status.textContent = changes.length ? `${changes.length} changes` : 'no difference';
  } catch (e) {
    status.textContent = `Not compared: ${e.message}`;
  }
});

// ------------------------------------------------------------------ try a deployed version

$('try-run').addEventListener('click', async () => {
  const version = $('compare-from').value, result = $('try-result');
  if (!current.decisionId || !version) { result.textContent = 'Deploy the decision first: a deployed version is evaluated.'; return; }
  let variables;
  try {
    variables = JSON.parse($('try-context').value || '{}');
  } catch (e) {
    result.textContent = `The context is not JSON: ${e.message}`;
    return;
  }
  try {
    const answer = await api(`/api/decisions/${encodeURIComponent(current.decisionId)}/evaluate`, { method: 'POST', body: { variables, version: Number(version) } });
    const rules = answer.decisions.flatMap(d => d.matchedRules.map(r => `${d.decisionId}: rule ${r.index} (${r.ruleId})`));
    result.textContent = `v${answer.version} = ${JSON.stringify(answer.value)}\n${rules.join('\n') || 'no rule matched'}${answer.warnings.length ? '\n' + answer.warnings.join('\n') : ''}`;
  } catch (e) {
    result.textContent = `Not evaluated: ${e.message}`;
  }
});

await refreshDeployed();
await open(blank(), null, 'a blank model');
status.textContent = 'a new decision';
