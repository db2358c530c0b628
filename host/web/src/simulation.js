// Token simulation in the designer (bpmn-js-token-simulation's modeler module): tokens walk the edited journey's paths,
// started on a start event's play button, choosing at gateways as the analyst says, with modelling paused while it
// runs. The designer's toolbar toggles it (toggleSimulation), so the canvas's own toggle is hidden (simulation.css).
import TokenSimulationModule from 'bpmn-js-token-simulation';
import 'bpmn-js-token-simulation/assets/css/bpmn-js-token-simulation.css';
import './simulation.css';

/** The module for bpmn-js's additionalModules. */
export const SimulationModules = [TokenSimulationModule];

/**
 * Turns the simulation on or off (the other way round without active) and says whether it is on.
 * @param {import('bpmn-js/lib/Modeler').default} modeler
 * @param {boolean} [active]
 */
export function toggleSimulation(modeler, active) {
  const toggle = modeler.get('toggleMode');
  toggle.toggleMode(active);
  return toggle._active;
}
