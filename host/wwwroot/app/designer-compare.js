// Side by side in the designer: a deployed version in a read-only viewer beside the edited diagram (which is never
// re-imported, so unsaved edits stay), compared with the edited diagram itself or with another deployed version, every
// pool of the document; the elements marked in both (added, removed, changed, only redrawn) and the list of changes
// per element, a click on one selecting it in both.
import { api, el } from './common.js';

const MARKS = ['wf-added', 'wf-removed', 'wf-changed', 'wf-redrawn', 'wf-picked'];

// The navigated viewer (bpmn-js's distribution, the global BpmnJS), loaded the first time a comparison opens; the
// modeler itself comes from the designer's bundle.
let viewerClass;
function loadViewer() {
  viewerClass ??= new Promise((resolve, reject) => {
    const script = el('script', { src: '/lib/bpmn-js/bpmn-navigated-viewer.production.min.js' });
    script.addEventListener('load', () => resolve(window.BpmnJS));
    script.addEventListener('error', () => reject(new Error('the diagram viewer could not be loaded')));
    document.head.append(script);
  });
  return viewerClass;
}

export function compareView({ modeler, side, processId }) {
  const $ = id => document.getElementById(id);
  const viewers = {};
  let marked = [];   // [{ diagram, id, mark }] to take off on close

  async function viewer(container) {
    if (!viewers[container]) {
      const Viewer = await loadViewer();
      viewers[container] = new Viewer({ container: '#' + container, moddleExtensions: { wf: await (await fetch('/app/wf-moddle.json')).json() } });
    }
    return viewers[container];
  }

  function mark(diagram, id, kind) {
    const element = diagram.get('elementRegistry').get(id);
    if (!element) return;
    diagram.get('canvas').addMarker(element, kind);
    marked.push({ diagram, id, kind });
  }

  function unmark() {
    for (const { diagram, id, kind } of marked) {
      const element = diagram.get('elementRegistry').get(id);
      if (element) diagram.get('canvas').removeMarker(element, kind);
    }
    marked = [];
  }

  // A click on a change: the element selected in the edited diagram, marked and brought into view in the viewers.
  function pick(id, older, newer) {
    for (const m of marked) if (m.kind === 'wf-picked' && m.diagram.get('elementRegistry').get(m.id)) m.diagram.get('canvas').removeMarker(m.id, m.kind);
    marked = marked.filter(m => m.kind !== 'wf-picked');
    for (const diagram of [older, newer]) {
      const element = diagram.get('elementRegistry').get(id);
      if (!element) continue;
      if (diagram === modeler) diagram.get('selection').select(element);
      mark(diagram, id, 'wf-picked');
      try { diagram.get('canvas').scrollToElement(element); } catch { /* a root element cannot be scrolled to */ }
    }
    document.querySelectorAll('#change-list [data-element]').forEach(li => li.classList.toggle('picked', li.dataset.element === id));
  }

  function describe(element) {
    return el('li', { class: `clickable change-${element.kind}`, 'data-element': element.id, 'data-kind': element.kind },
      el('span', { class: `pill ${element.kind}`, text: element.kind }), ' ', el('span', { text: element.text }),
      element.changes.length > 1
        ? el('ul', {}, ...element.changes.map(c => el('li', { 'data-aspect': c.aspect, text: c.text })))
        : null);
  }

  function list(diff, older, newer) {
    const box = $('change-list');
    box.replaceChildren();
    for (const process of diff.processes) {
      const title = `${process.participant ? process.participant + ' · ' : ''}${process.name || process.processId} (${process.processId}): ${process.kind}`;
      box.append(el('h3', { 'data-process': process.processId, text: title }));
      if (process.elements.length) box.append(el('ul', {}, ...process.elements.map(describe)));
    }
    if (diff.collaboration.length) {
      box.append(el('h3', { text: 'Pools, message flows and messages' }), el('ul', {}, ...diff.collaboration.map(describe)));
    }
    box.querySelectorAll('[data-element]').forEach(li => li.addEventListener('click', event => {
      event.stopPropagation();
      pick(li.dataset.element, older, newer);
    }));
  }

  async function show(from, to) {
    const id = processId();
    const olderXml = await api(`/api/definitions/${encodeURIComponent(id)}/versions/${from}/xml`);
    let diff, newer = modeler, newerXml = null;
    if (to === 'edited') {
      const { xml } = await modeler.saveXML({ format: false });
      diff = await api(`/api/definitions/${encodeURIComponent(id)}/compare?from=${from}`, { method: 'POST', xml });
    } else {
      [diff, newerXml] = await Promise.all([
        api(`/api/definitions/${encodeURIComponent(id)}/compare?from=${from}&to=${to}`),
        api(`/api/definitions/${encodeURIComponent(id)}/versions/${to}/xml`)]);
    }

    side.open('compare', `v${from} → ${to === 'edited' ? 'the edited diagram' : 'v' + to}`);
    unmark();
    const older = await viewer('compare-older');
    await older.importXML(olderXml);
    older.get('canvas').zoom('fit-viewport');
    $('compare-older-label').textContent = `v${from} (read only)`;
    $('compare-newer-box').hidden = !newerXml;
    if (newerXml) {
      newer = await viewer('compare-newer');
      await newer.importXML(newerXml);
      newer.get('canvas').zoom('fit-viewport');
      $('compare-newer-label').textContent = `v${to} (read only)`;
    }

    for (const element of [...diff.processes.flatMap(p => p.elements), ...diff.collaboration]) {
      if (element.kind === 'added') mark(newer, element.id, 'wf-added');
      else if (element.kind === 'removed') mark(older, element.id, 'wf-removed');
      else {
        const kind = element.kind === 'changed' ? 'wf-changed' : 'wf-redrawn';
        mark(older, element.id, kind);
        mark(newer, element.id, kind);
      }
    }
    $('compare-summary').textContent = diff.same ? 'No difference.' : diff.layoutOnly
      ? `Layout only (same meaning): ${diff.redrawn.join(', ')}`
      : `changed: ${diff.changed.join(', ') || 'none'} · added: ${diff.added.join(', ') || 'none'} · removed: ${diff.removed.join(', ') || 'none'}`;
    list(diff, older, newer);
    return diff;
  }

  return { show, close: unmark, marks: MARKS };
}
