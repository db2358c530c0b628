// The designer's bundle (built by build.mjs into wwwroot/lib/designer): bpmn-js's modeler with the bpmn.io properties
// panel (the standard groups and Zeebe's, as Camunda Modeler shows them for Camunda 8, and the engine's own wf: groups),
// Zeebe's modelling behaviours, and live linting with Camunda 8's compatibility rules and the engine's own checks.
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule } from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from './generated/lint-config.js';
import { WfPropertiesProviderModule } from './wf-properties.jsx';
import { ElementTemplatesModules, templatesConfig } from './templates.js';
import { SimulationModules } from './simulation.js';
export { toggleSimulation } from './simulation.js';
import { WorkflowsFormsModule } from './forms-designer.jsx';
import { OpenContextPadModule } from './context-pad.js';

import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';

/**
 * A modeler in container, its properties panel in panel, the wf: moddle descriptor given (host/wwwroot/app/wf-moddle.json),
 * the element templates offered in the panel from templates() (the journey library's, GET /api/element-templates).
 * @param {{ container: string|HTMLElement, panel: string|HTMLElement, wf: object, templates?: () => Promise<object[]> }} options
 */
export function createModeler({ container, panel, wf, templates = async () => [] }) {
  return new Modeler({
    container,
    propertiesPanel: { parent: panel },
    linting: { bpmnlint: lintConfig, active: true },
    elementTemplates: templatesConfig(templates),
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      ZeebePropertiesProviderModule,
      ZeebeBehaviorsModule,
      WfPropertiesProviderModule,
      WorkflowsFormsModule,
      OpenContextPadModule,
      lintModule,
      ...ElementTemplatesModules,
      ...SimulationModules,
    ],
    moddleExtensions: { zeebe: zeebeModdle, wf },
  });
}
