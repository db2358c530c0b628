// Element templates in the designer's properties panel: bpmn-js-element-templates in Camunda 8's flavour (the Zeebe
// element-template schema, the same provider Camunda Modeler uses for Camunda 8), fed with the journey library's
// templates from the host (GET /api/element-templates). The panel's "Template" header offers "Select" on an element a
// template applies to; the chooser below lists those templates (a search over name, description and keywords) and
// applies the one picked as one undoable change. Camunda Modeler's chooser is a separate package the designer does not
// ship; this one is the few lines it needs.
import { CloudElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import 'bpmn-js-element-templates/dist/assets/element-templates.css';
import './templates.css';

function TemplateChooser(eventBus, elementTemplates, selection) {
  let open = null;

  function close() {
    open?.remove();
    open = null;
  }

  function show(element) {
    close();
    const templates = elementTemplates.getLatest(element).sort((a, b) => a.name.localeCompare(b.name));
    const dialog = node('div', { class: 'wf-template-chooser', role: 'dialog', 'aria-label': 'Choose a template', 'data-test': 'template-chooser' });
    const search = node('input', { type: 'search', placeholder: 'Search the journey steps…', 'aria-label': 'Search templates', 'data-test': 'template-search' });
    const list = node('ul', { class: 'wf-template-list' });
    const head = node('div', { class: 'wf-template-head' }, node('strong', {}, `Templates for ${element.businessObject.name || element.id}`));
    const cancel = node('button', { type: 'button', 'data-test': 'template-cancel' }, 'Cancel');
    cancel.addEventListener('click', close);
    head.append(cancel);
    dialog.append(head, search, list);

    const render = () => {
      const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const shown = templates.filter(t => words.every(w => [t.name, t.description, ...(t.keywords || [])].join(' ').toLowerCase().includes(w)));
      list.replaceChildren(...shown.map(template => {
        const item = node('li', {}, node('button', { type: 'button', 'data-template': template.id }, node('strong', {}, template.name), node('span', {}, template.description || '')));
        item.firstChild.addEventListener('click', () => {
          close();
          const applied = elementTemplates.applyTemplate(element, template);
          selection.select(applied || element);
        });
        return item;
      }));
      if (!shown.length) list.append(node('li', { class: 'wf-template-none' }, templates.length ? 'No template matches.' : 'No template applies to this element.'));
    };
    search.addEventListener('input', render);
    dialog.addEventListener('keydown', event => { if (event.key === 'Escape') close(); });
    render();
    document.body.append(dialog);
    open = dialog;
    search.focus();
  }

  eventBus.on('elementTemplates.select', ({ element }) => show(element));
  // Another element selected: the chooser was for the one before, and must not turn that one into a template's step.
  eventBus.on(['import.parse.start', 'diagram.destroy', 'selection.changed'], close);
}
TemplateChooser.$inject = ['eventBus', 'elementTemplates', 'selection'];

function node(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  element.append(...children);
  return element;
}

/** The modules for bpmn-js's additionalModules: Camunda 8's templates provider and the chooser. */
export const ElementTemplatesModules = [
  CloudElementTemplatesPropertiesProviderModule,
  { __init__: ['wfTemplateChooser'], wfTemplateChooser: ['type', TemplateChooser] },
];

/**
 * The modeler's `elementTemplates` configuration: templates loaded by load() when a diagram is set up (the loader's
 * node-style callback; a failed load is reported as the library's `elementTemplates.errors` event).
 * @param {() => Promise<object[]>} load
 */
export function templatesConfig(load) {
  return { loadTemplates: done => load().then(templates => done(null, templates), error => done(error)) };
}
