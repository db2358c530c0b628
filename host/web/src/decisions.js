// The decisions page's bundle (built by build.mjs into wwwroot/lib/designer): dmn-js's modeler (the requirement diagram,
// decision table, literal expression and boxed expression editors) with the bpmn.io properties panel on the requirement
// diagram, including Camunda 8's version tag (zeebe:versionTag, which the engine keeps with a deployed version).
import DmnModeler from 'dmn-js/lib/Modeler';
import { DmnPropertiesPanelModule, DmnPropertiesProviderModule, ZeebePropertiesProviderModule } from 'dmn-js-properties-panel';
import zeebeDmn from './zeebe-dmn.json';

import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

/**
 * A DMN modeler in container; the requirement diagram's properties panel in panel.
 * @param {{ container: string|HTMLElement, panel: string|HTMLElement }} options
 */
export function createDecisionModeler({ container, panel }) {
  return new DmnModeler({
    container,
    drd: {
      propertiesPanel: { parent: panel },
      additionalModules: [DmnPropertiesPanelModule, DmnPropertiesProviderModule, ZeebePropertiesProviderModule],
    },
    moddleExtensions: { zeebe: zeebeDmn },
  });
}
