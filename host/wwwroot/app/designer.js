// The analysts' designer: bpmn-js with the bpmn.io properties panel (the standard and Zeebe's groups, and the engine's
// own urn:workflows:bpmn:1.0 settings) and live linting, both from the bundle built from npm at the host's build
// (host/web); the server's findings beside the live ones, drafts, deployment and version comparison.
import { api, el, header, latestVersions } from './common.js';
import { compareView } from './designer-compare.js';
import { draftKeeper } from './designer-drafts.js';
import { showRollouts } from './designer-rollouts.js';
import { loadTemplates, wireSteps } from './designer-steps.js';
import { createModeler } from '/lib/designer/designer.js';
import { fitClearOfPalette, layOut } from './designer-layout.js';
import { importable, importOrKeep, unreadParts } from './designer-open.js';

await header('Designer');
const wf = await (await fetch('/app/wf-moddle.json')).json();
const modeler = createModeler({ container: '#canvas', panel: '#properties-panel', wf, templates: loadTemplates });
const canvas = modeler.get('canvas');
const overlays = modeler.get('overlays');
const registry = modeler.get('elementRegistry');
const status = document.getElementById('status');
const serverFindings = document.getElementById('server-findings');
// The process the library opened (its business object: an id typed in the panel follows it); else the diagram's first.
let opened = null;
wireSteps(modeler, status);
layOut(modeler);
window.wfDesigner = { modeler, select: id => modeler.get('selection').select(registry.get(id)) };

// The side view beside the edited diagram: a comparison or the rollout plan, one at a time; closing it takes the
// comparison's marks off and leaves the diagram as it was edited.
const side = {
  open(kind, title) {
    const opening = document.getElementById('side').hidden;
    document.getElementById('side').hidden = false;
    document.getElementById('side-compare').hidden = kind !== 'compare';
    document.getElementById('side-rollouts').hidden = kind !== 'rollouts';
    document.getElementById('side-drafts').hidden = kind !== 'drafts';
    document.getElementById('side-title').textContent = title;
    if (kind !== 'compare') comparison.close();
    refit(opening);
  },
  close() {
    comparison.close();
    if (document.getElementById('side').hidden) return;
    document.getElementById('side').hidden = true;
    refit(false);
  },
};
// The diagram's canvas changed width. Opening the side view halves it: the edited diagram is fitted into what is left
// (else most of it, the comparison's marks included, lies out of view), and its view as the analyst left it is given
// back when the side view closes.
let viewBeforeSide = null;
function refit(opening) {
  if (opening) {
    const { x, y, width, height } = canvas.viewbox();
    viewBeforeSide = { x, y, width, height };
    canvas.resized();
    fitClearOfPalette(modeler);
  } else {
    canvas.resized();
    if (viewBeforeSide) canvas.viewbox(viewBeforeSide);
    viewBeforeSide = null;
  }
}
const comparison = compareView({ modeler, side, processId: () => processId() });
document.getElementById('side-close').addEventListener('click', () => side.close());
const drafts = draftKeeper({ modeler, side, open: (xml, processId) => open(xml, processId), processId: () => processId(), refreshLibrary: () => refreshLibrary(),
  say: text => { status.textContent = text; } });

// ------------------------------------------------------------------ opening

async function refreshLibrary() {
  const latest = await latestVersions();
  const library = document.getElementById('library');
  library.replaceChildren(el('option', { value: '' }, 'Open from the library…'));
  for (const [processId, version] of latest) library.append(el('option', { value: processId }, `${processId} (v${version})`));
  await drafts.listInto(library);
}

// A model is checked before it replaces the open diagram (designer-open.js): one that does not parse or has no diagram
// to show is refused with the reason, and the diagram, its draft and its edits stay as they were.
async function open(xml, id) {
  commitPanelValue();
  await importable(modeler, xml);
  side.close();
  const { warnings } = await importOrKeep(modeler, xml, reimport => drafts.restore(reimport));
  fitClearOfPalette(modeler);
  opened = processes().find(p => p.id === id) || null;
  await showVersions();
  clearMarks();
  status.textContent = `${processId()} open${unreadParts(warnings)}`;
}

const processes = () => (modeler.getDefinitions()?.rootElements || []).filter(e => e.$type === 'bpmn:Process');

/** The open process's id as the diagram has it now (a blank diagram's, or one renamed in the panel, included). */
function processId() {
  if (opened && processes().includes(opened) && opened.id) return opened.id;
  const root = canvas.getRootElement()?.businessObject;
  // A collaboration's journey is its executable pool's process (else the first pool with a process): the customer's
  // black-box pool, with no process, is often drawn first.
  const pools = root?.$type === 'bpmn:Collaboration' ? (root.participants || []).map(p => p.processRef).filter(Boolean) : null;
  const process = pools ? pools.find(p => p.isExecutable) || pools[0] : root;
  return process?.id || null;
}

// The deployed versions of the open process, to compare: from the one before the latest (the latest when it is the only
// one) to the edited diagram, or to another deployed version. Shown again when the process's id changes.
let versionsOf;
async function showVersions() {
  const id = versionsOf = processId();
  const versions = (await api('/api/definitions')).filter(d => d.processId === id).map(d => d.version);
  if (id !== processId()) return;
  document.getElementById('compare-from').replaceChildren(...versions.map(v => el('option', { value: v }, `v${v}`)));
  document.getElementById('compare-to').replaceChildren(el('option', { value: 'edited', title: 'the edited diagram' }, 'edited'), ...versions.map(v => el('option', { value: v }, `v${v}`)));
  if (versions.length) document.getElementById('compare-from').value = versions.at(versions.length > 1 ? -2 : -1);
}
modeler.on('commandStack.changed', () => { if (processId() !== versionsOf) showVersions().catch(() => {}); });

// A value still being typed in the panel (its commit is debounced) is committed to the diagram it was typed in before
// anything may replace that diagram, so the unsaved-edits question counts it; left pending, the panel would apply it to
// the next diagram's elements after the import and break saving (a scripted or assistive select leaves the input focused).
function commitPanelValue() {
  const active = document.activeElement;
  if (active && active !== document.body && document.getElementById('properties-panel').contains(active)) active.blur();
}

document.getElementById('library').addEventListener('change', async event => {
  commitPanelValue();
  const value = event.target.value;
  if (!value) return;
  if (value.startsWith('draft')) { await drafts.choose(value, event.target); return; }
  if (!await drafts.guard(`opening ${value}`)) { event.target.value = ''; return; }
  try {
    const version = (await latestVersions()).get(value);
    await open(await api(`/api/definitions/${encodeURIComponent(value)}/versions/${version}/xml`), value);
  } catch (e) {
    status.textContent = `${value} not opened: ${e.message}`;
    event.target.value = '';
  }
});

document.getElementById('file').addEventListener('change', async event => {
  commitPanelValue();
  const file = event.target.files[0];
  try {
    if (file && await drafts.guard(`importing ${file.name}`)) await open(await file.text(), null);
  } catch (e) {
    status.textContent = `${file.name} not opened: ${e.message}`;
  }
  event.target.value = '';
});

document.getElementById('save-draft').addEventListener('click', async () => {
  try {
    status.textContent = await drafts.saveNow();
  } catch (e) {
    status.textContent = `Draft not saved: ${e.message}`;
  }
});

// ------------------------------------------------------------------ findings, deploy, compare

function clearMarks() {
  registry.forEach(element => ['wf-error', 'wf-warning', 'wf-changed', 'wf-added'].forEach(m => canvas.removeMarker(element, m)));
  overlays.remove({ type: 'wf-finding' });
}

// Findings, live or from the server, in one table: severity, code, element, message; a click selects the element.
function findingsTable(findings, source) {
  const table = el('table', { 'data-source': source }, el('tr', {}, ...['severity', 'code', 'element', 'message'].map(h => el('th', { text: h }))));
  for (const f of findings) {
    const element = f.elementId && registry.get(f.elementId);
    table.append(el('tr', { class: 'clickable', 'data-finding': f.code, 'data-element': f.elementId || '', onclick: () => element && modeler.get('selection').select(element) },
      el('td', { class: f.severity === 'error' ? 'state-breached' : 'state-warning', text: f.severity }), el('td', { text: f.code }),
      el('td', { text: f.elementId ? `${f.elementId}${f.line ? ` (${f.line}:${f.column})` : ''}` : '—' }), el('td', { text: f.message })));
  }
  return table;
}

// A refusal (refused: the problem's text) with no findings says so, never that the model is ready.
function showFindings(findings, refused = null) {
  clearMarks();
  serverFindings.replaceChildren(el('h2', { text: `Findings of the server (${findings.length})` }));
  if (refused) serverFindings.append(el('p', { class: 'state-breached', 'data-test': 'refused', text: refused }));
  if (!findings.length) { if (!refused) serverFindings.append(el('p', { text: 'No findings: the model is ready to deploy.' })); return; }
  for (const f of findings) {
    const element = f.elementId && registry.get(f.elementId);
    if (!element) continue;
    canvas.addMarker(element, f.severity === 'error' ? 'wf-error' : 'wf-warning');
    overlays.add(element, 'wf-finding', { position: { top: -10, right: 10 }, html: el('div', { class: `wf-badge ${f.severity}`, title: f.message, text: f.code }) });
  }
  serverFindings.append(findingsTable(findings, 'server'));
}

// The live checks (bpmnlint: Camunda 8's compatibility rules and the engine's own, whose messages start with the
// server's finding code) after every change, listed as the server's findings are.
modeler.on('linting.completed', ({ issues }) => {
  const findings = Object.entries(issues).flatMap(([elementId, list]) => list.map(issue => {
    const coded = /^([A-Z][A-Z0-9_]+): (.*)$/s.exec(issue.message);
    return { severity: issue.category === 'error' ? 'error' : 'warning', code: coded ? coded[1] : issue.rule, elementId: elementId === 'undefined' ? null : elementId, message: coded ? coded[2] : issue.message };
  }));
  const lint = document.getElementById('lint');
  lint.replaceChildren(el('h2', { text: `Checks while editing (${findings.length})` }));
  lint.append(findings.length ? findingsTable(findings, 'lint') : el('p', { text: 'Nothing to fix so far.' }));
});

document.getElementById('validate').addEventListener('click', async () => {
  try {
    const { xml } = await modeler.saveXML({ format: true });
    const report = await api('/api/definitions/validate', { method: 'POST', xml });
    showFindings(report.findings);
    status.textContent = report.valid ? 'valid' : 'has errors';
  } catch (e) {
    showFindings(e.problem?.findings || [], `Not validated: ${e.message}`);
    status.textContent = `Not validated: ${e.message}`;
  }
});

document.getElementById('deploy').addEventListener('click', async () => {
  try {
    const at = drafts.current();
    const { xml } = await modeler.saveXML({ format: true });
    const result = await api('/api/definitions', { method: 'POST', xml });
    showFindings(result.findings);
    drafts.deployed(at);
    const deployed = 'Deployed ' + result.processes.map(p => `${p.processId} version ${p.version}${p.isNew ? '' : ' (unchanged)'}`).join(', ');
    // Said once the library and the version lists show the new version: Side by side or the rollout plan clicked
    // right after it must find the version there.
    try {
      await refreshLibrary();
      await showVersions();
    } catch (e) {
      status.textContent = `${deployed}; the version lists are not refreshed: ${e.message}`;
      return;
    }
    status.textContent = deployed;
  } catch (e) {
    showFindings(e.problem?.findings || [], `Not deployed: ${e.message}`);
    status.textContent = `Not deployed: ${e.message}`;
  }
});

document.getElementById('compare').addEventListener('click', async () => {
  const from = document.getElementById('compare-from').value, to = document.getElementById('compare-to').value;
  if (!processId() || !from) { status.textContent = 'open a deployed journey to compare it with its versions'; return; }
  try {
    const diff = await comparison.show(from, to);
    status.textContent = diff.same ? 'no difference' : diff.layoutOnly ? 'layout only' : `${diff.summary.length} changes`;
  } catch (e) {
    status.textContent = `Not compared: ${e.message}`;
  }
});

document.getElementById('rollouts').addEventListener('click', async () => {
  const id = processId();
  if (!id) { status.textContent = 'open a journey to see its rollout plan'; return; }
  if (!document.getElementById('compare-from').options.length) { status.textContent = `${id} has no deployed version yet: deploy it to see its rollout plan`; return; }
  try {
    side.open('rollouts', `${id} across branches`);
    await showRollouts(document.getElementById('side-rollouts'), id);
  } catch (e) {
    document.getElementById('side-rollouts').replaceChildren(el('p', { class: 'state-breached', text: e.message }));
  }
});

// ------------------------------------------------------------------ the properties panel

// The panel itself is the bundle's; above it, the element it shows (the process or collaboration when nothing is selected).
function showSelected(element) {
  const bo = (element || canvas.getRootElement())?.businessObject;
  document.querySelector('[data-test=selected]').textContent = bo ? `${bo.$type.replace('bpmn:', '')} · ${bo.id}` : '';
}

modeler.on('selection.changed', ({ newSelection }) => showSelected(newSelection.length === 1 ? newSelection[0] : null));

// The panel's fields commit what is typed 300 ms after the last key, or when they lose the focus. A selection changed
// by other means than a click on the canvas (which takes the focus first: the findings' table, the page's own script,
// window.wfDesigner.select) would leave the typing to commit after the panel moved on: the edit then lands, but the
// panel goes back to the element it changed while the canvas selects another. Before the panel follows the selection
// (its listener has the default priority), the field being typed in is left, so its value is written to its element.
modeler.on('selection.changed', 5000, () => {
  const field = document.activeElement;
  if (field?.matches?.('input, textarea, select, [contenteditable]') && document.getElementById('properties-panel').contains(field)) field.blur();
});
modeler.on('import.done', () => showSelected(null));
await drafts.migrate();
// The blank diagram first, then the library's list: a journey chosen as soon as the list shows is never replaced by the
// blank diagram's import finishing after it (the status then said "Process_1 open").
await modeler.createDiagram();
await refreshLibrary();
status.textContent = 'a new diagram: open one from the library or a file';
