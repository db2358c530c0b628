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
  };
  button.addEventListener('click', () => {
    const active = toggleSimulation(modeler);
    show(active);
    status.textContent = active ? 'simulating: start a token with ▶ on a start event; modelling is paused' : 'simulation stopped';
  });
  // The simulation also toggles by its own key (T on the canvas): the button follows it.
  modeler.on('tokenSimulation.toggleMode', ({ active }) => show(active));
}
