// The form designer's bundle (built by build.mjs into wwwroot/lib/designer/forms-editor.js, loaded by the designer
// when an analyst opens a user task's form): form-js's editor with its palette and properties panel.
import { FormEditor } from '@bpmn-io/form-js-editor';

import '@bpmn-io/form-js-editor/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js-editor/dist/assets/properties-panel.css';
import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';

/**
 * A form editor in container with its properties panel in panel, showing schema.
 * @param {{ container: HTMLElement, panel: HTMLElement, schema: object }} options
 */
export async function createFormEditor({ container, panel, schema }) {
  const editor = new FormEditor({ container, propertiesPanel: { parent: panel } });
  try {
    await editor.importSchema(schema);
  } catch (e) {
    // A schema form-js refuses leaves no half-built editor behind: the caller opens another in the same place.
    editor.destroy();
    throw e;
  }
  return editor;
}
