// Camunda Forms in the designer: a group of the properties panel on every user task ("Workflows: form") says which
// form the task shows and opens form-js's editor over the diagram. Saving embeds the form as Camunda 8 does:
// the form-js JSON in a zeebe:userTaskForm of the process, linked by the task's zeebe:formDefinition
// formKey="camunda-forms:bpmn:<id>" — one undoable step. form-js's editor is a bundle of its own
// (src/forms-editor.js), loaded the first time a form is opened, so the designer does not carry it until needed.
import { useService } from 'bpmn-js-properties-panel';

const FORM_KEY_PREFIX = 'camunda-forms:bpmn:';
const EDITOR_URL = '/lib/designer/forms-editor.js';
const EDITOR_CSS = '/lib/designer/forms-editor.css';

const is = (bo, type) => bo && bo.$instanceOf && bo.$instanceOf(type);
const values = target => (target && target.extensionElements && target.extensionElements.get('values')) || [];
const find = (target, type) => values(target).find(v => is(v, type));

function processOf(bo) {
  let parent = bo;
  while (parent && !is(parent, 'bpmn:Process')) parent = parent.$parent;
  return parent;
}

/** The zeebe:userTaskForm the task's form key names, if any. */
export function embeddedForm(bo) {
  const key = find(bo, 'zeebe:FormDefinition')?.get('formKey');
  if (!key || !key.startsWith(FORM_KEY_PREFIX)) return null;
  const id = key.slice(FORM_KEY_PREFIX.length);
  return values(processOf(bo)).find(v => is(v, 'zeebe:UserTaskForm') && v.get('id') === id) || null;
}

// The engine's own fields (wf:form) as form-js components, so that an analyst moving a task to a Camunda Form starts from them.
function fromWfFields(form) {
  const type = { number: 'number', boolean: 'checkbox', date: 'datetime', enum: 'select' };
  return (form.get('fields') || []).map(f => {
    const validate = {};
    if (f.get('required') === 'true') validate.required = true;
    for (const name of ['min', 'max', 'minLength', 'maxLength']) if (f.get(name) !== undefined && f.get(name) !== '') validate[name] = Number(f.get(name));
    if (f.get('pattern')) validate.pattern = f.get('pattern');
    const component = { type: type[f.get('type')] || 'textfield', key: f.get('id'), label: f.get('label') || f.get('id'), id: `Field_${f.get('id')}`, validate };
    if (component.type === 'datetime') Object.assign(component, { subtype: 'date', dateLabel: component.label });
    if (component.type === 'select') component.values = (f.get('values') || '').split(',').map(v => v.trim()).filter(Boolean).map(v => ({ label: v, value: v }));
    return component;
  });
}

/** The schema the editor opens with: the embedded form, else the wf: fields, else a blank form named after the task. */
export function schemaOf(bo) {
  const embedded = embeddedForm(bo);
  if (embedded?.get('body')) {
    try {
      return JSON.parse(embedded.get('body'));
    } catch {
      // A body that is not JSON: the editor starts blank, and the server's FORM_INVALID said why.
    }
  }
  const wf = find(bo, 'wf:Form');
  return { type: 'default', id: `Form_${bo.id}`, schemaVersion: 16, components: wf ? fromWfFields(wf) : [] };
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

/**
 * The commands that embed schema on the task: the process's zeebe:userTaskForm (the existing one, else a new one named
 * after the task), the task's form key, and without the task's zeebe:userTask and wf:form — Camunda 8 takes an
 * embedded form on a job-worker user task only, and the engine's own fields would win over the form.
 */
export function saveCommands(element, schema, moddle) {
  const bo = element.businessObject;
  const process = processOf(bo);
  const commands = [];
  const body = JSON.stringify(schema, null, 2);
  const extensionsOf = target => {
    let ext = target.get('extensionElements');
    if (!ext) {
      ext = moddle.create('bpmn:ExtensionElements', { values: [] });
      ext.$parent = target;
      commands.push(update(element, target, { extensionElements: ext }));
    }
    return ext;
  };

  let form = embeddedForm(bo);
  if (form) {
    commands.push(update(element, form, { body }));
  } else {
    const ext = extensionsOf(process);
    const taken = new Set(values(process).filter(v => is(v, 'zeebe:UserTaskForm')).map(v => v.get('id')));
    let id = `UserTaskForm_${bo.id}`;
    for (let n = 2; taken.has(id); n++) id = `UserTaskForm_${bo.id}_${n}`;
    form = moddle.create('zeebe:UserTaskForm', { id, body });
    form.$parent = ext;
    commands.push(update(element, ext, { values: [...ext.get('values'), form] }));
  }

  const ext = extensionsOf(bo);
  const formKey = FORM_KEY_PREFIX + form.get('id');
  const definition = find(bo, 'zeebe:FormDefinition');
  const kept = ext.get('values').filter(v => !is(v, 'zeebe:UserTask') && !is(v, 'wf:Form'));
  if (definition) {
    commands.push(update(element, ext, { values: kept }));
    commands.push(update(element, definition, { formKey }));
  } else {
    const created = moddle.create('zeebe:FormDefinition', { formKey });
    created.$parent = ext;
    commands.push(update(element, ext, { values: [...kept, created] }));
  }
  return commands;
}

// ------------------------------------------------------------------ the dialog

const STYLE = `
.wf-form-dialog { position: fixed; inset: 0; z-index: 1000; background: rgba(20, 24, 31, .45); display: flex; }
.wf-form-dialog > div { margin: 2vh auto; width: 96vw; height: 96vh; background: #fff; display: flex; flex-direction: column; border-radius: 4px; }
.wf-form-dialog header { display: flex; gap: .5rem; align-items: center; padding: .5rem .75rem; border-bottom: 1px solid #ddd; }
.wf-form-dialog header h2 { flex: 1; margin: 0; font-size: 1rem; }
.wf-form-dialog .wf-form-note { margin: 0; padding: .25rem .75rem; color: #555; font-size: .85rem; }
.wf-form-dialog .wf-form-stage { flex: 1; display: flex; min-height: 0; }
.wf-form-dialog .wf-form-editor { flex: 1; min-width: 0; overflow: auto; }
.wf-form-dialog .wf-form-panel { width: 320px; border-left: 1px solid #ddd; overflow: auto; }
`;

function dialog(title) {
  if (!document.getElementById('wf-form-style')) document.head.append(Object.assign(document.createElement('style'), { id: 'wf-form-style', textContent: STYLE }));
  if (!document.querySelector(`link[href="${EDITOR_CSS}"]`)) document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: EDITOR_CSS }));
  const root = document.createElement('section');
  root.className = 'wf-form-dialog';
  root.setAttribute('role', 'dialog');
  root.setAttribute('aria-modal', 'true');
  root.setAttribute('aria-label', title);
  root.dataset.test = 'form-designer';
  root.innerHTML = `<div><header><h2></h2><button type="button" data-test="form-cancel">Cancel</button><button type="button" class="primary" data-test="form-save">Save the form</button></header>
    <p class="wf-form-note">Saved in the diagram as a Camunda Form (zeebe:userTaskForm, linked by the task's form key), on a job-worker user task as Camunda 8 takes an embedded form; the task's wf: form fields, if any, give way to it.</p>
    <div class="wf-form-stage"><div class="wf-form-editor" data-test="form-editor"></div><div class="wf-form-panel" data-test="form-panel"></div></div></div>`;
  root.querySelector('h2').textContent = title;
  document.body.append(root);
  return root;
}

/** The designer's service: opens form-js's editor on a user task's form and saves it into the diagram. */
function WorkflowsForms(injector) {
  this.open = async element => {
    const bo = element.businessObject;
    const root = dialog(`The form of ${bo.name || bo.id}`);
    const close = () => { editor?.destroy(); root.remove(); };
    let editor, saved;
    // Closing without saving asks first when the form was changed: the edits are the analyst's work, as the diagram's.
    const cancel = () => {
      const changed = editor && JSON.stringify(editor.saveSchema()) !== saved;
      if (!changed || window.confirm('The form has changes that are not saved in the diagram. Close it and discard them?')) close();
    };
    root.querySelector('[data-test=form-cancel]').addEventListener('click', cancel);
    // Escape inside form-js's editor and its panel is form-js's (the palette's search, popups, FEEL editors): only an
    // Escape elsewhere in the dialog (its header) closes it.
    root.addEventListener('keydown', event => {
      if (event.key === 'Escape' && !event.defaultPrevented && !event.target.closest?.('.wf-form-stage')) cancel();
    });
    const { createFormEditor } = await import(/* loaded on first use */ EDITOR_URL);
    editor = await createFormEditor({ container: root.querySelector('.wf-form-editor'), panel: root.querySelector('.wf-form-panel'), schema: schemaOf(bo) });
    saved = JSON.stringify(editor.saveSchema());
    root.querySelector('[data-test=form-save]').addEventListener('click', () => {
      const commands = saveCommands(element, editor.saveSchema(), injector.get('moddle'));
      injector.get('commandStack').execute('properties-panel.multi-command-executor', commands);
      close();
    });
    return editor;
  };
}

WorkflowsForms.$inject = ['injector'];

// ------------------------------------------------------------------ the panel's group

function FormEntry({ element }) {
  const forms = useService('workflowsForms');
  const bo = element.businessObject;
  const embedded = embeddedForm(bo);
  const key = find(bo, 'zeebe:FormDefinition')?.get('formKey');
  const wf = find(bo, 'wf:Form');
  let count = 0;
  try { count = embedded ? JSON.parse(embedded.get('body') || '{}').components?.length || 0 : 0; } catch { count = 0; }
  const what = embedded ? `A Camunda Form embedded as ${embedded.get('id')} (${count} components).`
    : wf ? `The engine's own fields (wf:form, ${(wf.get('fields') || []).length}); designing a Camunda Form starts from them.`
    : key ? `A custom form key (${key}): the inbox shows no form for it.` : 'No form yet.';
  return <div class="bio-properties-panel-entry" data-test="form-entry">
    <p class="bio-properties-panel-description" data-test="form-summary">{what}</p>
    <button type="button" class="bio-properties-panel-add-entry" data-test="form-design" onClick={() => forms.open(element)}>Design the form…</button>
  </div>;
}

function FormsProvider(propertiesPanel) {
  this.getGroups = element => groups => {
    if (is(element.businessObject, 'bpmn:UserTask')) {
      groups.push({ id: 'wf-camunda-form', label: 'Workflows: form (Camunda Form, form-js)', entries: [{ id: 'wf-camunda-form-design', component: FormEntry, isEdited: () => !!embeddedForm(element.businessObject) }] });
    }
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}

FormsProvider.$inject = ['propertiesPanel'];

export const WorkflowsFormsModule = {
  __init__: ['workflowsFormsProvider'],
  workflowsForms: ['type', WorkflowsForms],
  workflowsFormsProvider: ['type', FormsProvider],
};
