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

/** The schema the editor starts from when there is no embedded form it can open: the wf: fields, else a blank form. */
function startingSchema(bo) {
  const wf = find(bo, 'wf:Form');
  return { type: 'default', id: `Form_${bo.id}`, schemaVersion: 16, components: wf ? fromWfFields(wf) : [] };
}

/**
 * The schema the editor opens with: the embedded form, else the wf: fields, else a blank form named after the task; and
 * unread, why an embedded form's text could not be taken (null when it could), so the dialog says it, never a silent blank.
 */
export function schemaOf(bo) {
  const body = embeddedForm(bo)?.get('body');
  if (body) {
    try {
      const schema = JSON.parse(body);
      if (schema && typeof schema === 'object' && !Array.isArray(schema)) return { schema, unread: null };
      return { schema: startingSchema(bo), unread: 'its text is not a form-js JSON object' };
    } catch (e) {
      return { schema: startingSchema(bo), unread: `its text is not JSON (${e.message})` };
    }
  }
  return { schema: startingSchema(bo), unread: null };
}

/**
 * What saving a form changes on the task beyond its form, in words for the dialog: Camunda 8 takes an embedded form on a
 * job-worker user task only, so a Camunda user task (zeebe:userTask) stops being one and loses what only such a task has
 * (its task listeners), and a form linked by id or reference gives way to the embedded one.
 */
export function savingChanges(bo) {
  const changes = [];
  if (find(bo, 'zeebe:UserTask')) changes.push('the task stops being a Camunda user task (zeebe:userTask) and becomes a job-worker user task');
  const listeners = find(bo, 'zeebe:TaskListeners')?.get('listeners')?.length || 0;
  if (listeners) changes.push(`its ${listeners} task listener${listeners === 1 ? '' : 's'} (zeebe:taskListeners) ${listeners === 1 ? 'is' : 'are'} removed`);
  const definition = find(bo, 'zeebe:FormDefinition');
  if (definition?.get('formId')) changes.push(`its link to the Camunda form "${definition.get('formId')}" (formId) is replaced by the embedded form`);
  if (definition?.get('externalReference')) changes.push(`its external form reference "${definition.get('externalReference')}" is replaced by the embedded form`);
  return changes;
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
  // The task's form definition is written anew: a link by id or reference (and its binding) gives way to the embedded form.
  const kept = ext.get('values').filter(v => !is(v, 'zeebe:UserTask') && !is(v, 'wf:Form') && !is(v, 'zeebe:FormDefinition'));
  const created = moddle.create('zeebe:FormDefinition', { formKey });
  created.$parent = ext;
  commands.push(update(element, ext, { values: [...kept, created] }));
  return commands;
}

// ------------------------------------------------------------------ the dialog

const STYLE = `
.wf-form-dialog { position: fixed; inset: 0; z-index: 1000; background: rgba(20, 24, 31, .45); display: flex; }
.wf-form-dialog > div { margin: 2vh auto; width: 96vw; height: 96vh; background: #fff; display: flex; flex-direction: column; border-radius: 4px; }
.wf-form-dialog header { display: flex; gap: .5rem; align-items: center; padding: .5rem .75rem; border-bottom: 1px solid #ddd; }
.wf-form-dialog header h2 { flex: 1; margin: 0; font-size: 1rem; }
.wf-form-dialog .wf-form-note { margin: 0; padding: .25rem .75rem; color: #555; font-size: .85rem; }
.wf-form-dialog .wf-form-warning { color: #8a4b00; background: #fff4e0; }
.wf-form-dialog .wf-form-stage { flex: 1; display: flex; min-height: 0; }
.wf-form-dialog .wf-form-editor { flex: 1; min-width: 0; overflow: auto; }
.wf-form-dialog .wf-form-panel { width: 320px; border-left: 1px solid #ddd; overflow: auto; }
`;

function warn(root, test, text) {
  const note = Object.assign(document.createElement('p'), { className: 'wf-form-note wf-form-warning', textContent: text });
  note.dataset.test = test;
  root.querySelector('.wf-form-stage').before(note);
}

function dialog(title, warnings) {
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
  // What the analyst must know before saving (the embedded form unreadable, the task changed beyond its form), above the editor.
  for (const [test, text] of warnings) warn(root, test, text);
  document.body.append(root);
  return root;
}

/** The designer's service: opens form-js's editor on a user task's form and saves it into the diagram. */
function WorkflowsForms(injector) {
  this.open = async element => {
    const bo = element.businessObject;
    const embedded = embeddedForm(bo);
    const read = schemaOf(bo);
    const changes = savingChanges(bo);
    const warnings = changes.length ? [['form-changes', `Saving the form changes this task: ${changes.join('; ')}.`]] : [];
    const root = dialog(`The form of ${bo.name || bo.id}`, warnings);
    let editor, saved, unread = read.unread;
    const changed = () => !!editor && JSON.stringify(editor.saveSchema()) !== saved;
    // Leaving or reloading the page with form changes asks, as for the diagram's edits: they are not in the diagram yet.
    const leaving = event => {
      if (!changed()) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', leaving);
    const close = () => { window.removeEventListener('beforeunload', leaving); editor?.destroy(); root.remove(); };
    // Closing without saving asks first when the form was changed: the edits are the analyst's work, as the diagram's.
    const cancel = () => {
      if (!changed() || window.confirm('The form has changes that are not saved in the diagram. Close it and discard them?')) close();
    };
    root.querySelector('[data-test=form-cancel]').addEventListener('click', cancel);
    // Escape inside form-js's editor and its panel is form-js's (the palette's search, popups, FEEL editors): only an
    // Escape elsewhere in the dialog (its header) closes it.
    root.addEventListener('keydown', event => {
      if (event.key === 'Escape' && !event.defaultPrevented && !event.target.closest?.('.wf-form-stage')) cancel();
    });
    const { createFormEditor } = await import(/* loaded on first use */ EDITOR_URL);
    const stage = schema => createFormEditor({ container: root.querySelector('.wf-form-editor'), panel: root.querySelector('.wf-form-panel'), schema });
    try {
      editor = await stage(read.schema);
    } catch (e) {
      // form-js refuses the form (a component type it does not know, a schema it cannot import): said, and the editor
      // starts from the task's own fields instead, so nothing is half-shown.
      unread = `form-js cannot import it (${e.message})`;
      editor = await stage(startingSchema(bo));
    }
    if (unread) {
      warn(root, 'form-unread', `The form embedded in this task (${embedded.get('id')}) cannot be opened in form-js: ${unread}. The editor starts from the task's own fields instead; saving replaces the embedded form's text.`);
    }
    saved = JSON.stringify(editor.saveSchema());
    root.querySelector('[data-test=form-save]').addEventListener('click', () => {
      // An unreadable original is never overwritten unasked (Undo gives it back, but the analyst must know it goes).
      if (unread && !window.confirm(`Saving replaces the embedded form ${embedded.get('id')}, which form-js could not open, with this one. Replace it?`)) return;
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
  const definition = find(bo, 'zeebe:FormDefinition');
  const key = definition?.get('formKey'), formId = definition?.get('formId'), reference = definition?.get('externalReference');
  const wf = find(bo, 'wf:Form');
  const read = embedded && schemaOf(bo);
  const count = read && !read.unread ? (Array.isArray(read.schema.components) ? read.schema.components.length : 0) : 0;
  const what = embedded ? (read.unread ? `A Camunda Form embedded as ${embedded.get('id')} that form-js cannot read: ${read.unread}.` : `A Camunda Form embedded as ${embedded.get('id')} (${count} components).`)
    : wf ? `The engine's own fields (wf:form, ${(wf.get('fields') || []).length}); designing a Camunda Form starts from them.`
    : formId ? `A linked Camunda form (formId ${formId}): this engine cannot deploy it — designing one here replaces the link.`
    : reference ? `An external form reference (${reference}): the inbox shows no form for it — designing one here replaces it.`
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
