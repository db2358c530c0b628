// A task's Camunda Form in the inbox: form-js's viewer (the forms bundle, built from npm into /lib/designer) renders
// the form-js JSON the task carries, filled from the case; Complete sends its values, and the server's findings
// (errors and the rule broken, by field key) are shown on the fields they name.
import { api, el, notice } from './common.js';
import { renderForm, readForm, showServerErrors } from '/lib/designer/forms-viewer.js';

/**
 * The form of view's task as an element with its own Complete button; completed, it calls done.
 * @param {object} view the task's case (GET /api/tasks/{id}/case)
 * @param {HTMLElement} message where the outcome is told
 * @param {() => Promise<void>} done what follows a completion
 */
export async function camundaForm(view, message, done) {
  const task = view.task;
  const container = el('div', { class: 'camunda-form', 'data-form-id': task.formSchema.id || '' });
  const button = el('button', { class: 'primary', type: 'button', 'data-test': 'complete' }, 'Complete');
  const box = el('div', { 'data-test': 'task-form', role: 'group', 'aria-label': `The form of ${view.step}` }, container, el('p', {}, button));
  let form;
  try {
    form = await renderForm(container, task.formSchema, view.formValues || {});
  } catch (e) {
    // A form form-js cannot import (one deployed before the server refused such forms): the task stays workable otherwise.
    container.append(el('p', { class: 'hint', 'data-test': 'form-unreadable', text: `This form cannot be shown (${e.message}); ask the journey's analyst to fix it.` }));
    button.disabled = true;
    return box;
  }
  button.addEventListener('click', async () => {
    const { data, valid } = await readForm(form, container);
    if (!valid) {
      notice(message, 'Some fields need your attention.', 'error');
      return;
    }
    // What the engine sets alone (the case's id, its branch…) is shown when the form has it, never sent back.
    for (const name of view.engineOwned || []) delete data[name];
    try {
      await api(`/api/tasks/${task.id}/complete`, { method: 'POST', body: { variables: data } });
    } catch (e) {
      showServerErrors(form, task.formSchema, e.problem?.errors);
      notice(message, e.message, 'error');
      return;
    }
    await done();
  });
  return box;
}
