// The designer's journey-step templates and token simulation (both from the bundle, host/web/src/templates.js and
// simulation.js): the templates' load errors said in the status line, and the toolbar's toggle of the simulation, which
// pauses modelling while tokens walk the diagram.
import { api } from './common.js';
import { toggleSimulation } from '/lib/designer/designer.js';

/** The element templates the panel offers: the journey library's. */
export const loadTemplates = () => api('/api/element-templates');

/** Wires the template errors and the simulation toggle of the modeler to the page. */
export function wireSteps(modeler, status) {
  modeler.on('elementTemplates.errors', ({ errors }) => {
    status.textContent = `element templates not loaded: ${errors.map(e => e.message).join('; ')}`;
  });
  const button = document.getElementById('simulate');
  const show = active => {
    button.setAttribute('aria-pressed', String(active));
    button.textContent = active ? 'Stop simulating' : 'Simulate';
    for (const id of ['save-draft', 'validate', 'deploy']) document.getElementById(id).disabled = active;
    // The model is read-only while tokens walk it: the panel too, or its edits would throw "model is read-only".
    const panel = document.getElementById('properties-panel');
    panel.inert = active;
    panel.title = active ? 'the properties are read-only while simulating: Stop simulating to edit them' : '';
    if (active) readableForSimulation(modeler);
  };
  button.addEventListener('click', () => {
    const active = toggleSimulation(modeler);
    show(active);
    status.textContent = active ? 'simulating: start a token with ▶ on a start event; modelling is paused' : 'simulation stopped';
  });
  // The simulation also toggles by its own key (T on the canvas): the button follows it.
  modeler.on('tokenSimulation.toggleMode', ({ active }) => show(active));
}

// bpmn-js-token-simulation hides its play buttons below bpmn.io's overlay zoom (0.5): a journey fitted smaller is zoomed
// to that floor, around its first start event, so that ▶ shows where the status line says to press it.
const OVERLAYS_MIN_ZOOM = 0.5;
function readableForSimulation(modeler) {
  const canvas = modeler.get('canvas');
  if (canvas.zoom() >= OVERLAYS_MIN_ZOOM) return;
  const start = modeler.get('elementRegistry').find(e => e.type === 'bpmn:StartEvent' && !e.labelTarget);
  // zoom() keeps the given point of the window (not of the diagram) in place: the start event's place on the screen.
  const box = canvas.viewbox();
  canvas.zoom(OVERLAYS_MIN_ZOOM, start
    ? { x: (start.x + start.width / 2 - box.x) * box.scale, y: (start.y + start.height / 2 - box.y) * box.scale }
    : 'auto');
}
