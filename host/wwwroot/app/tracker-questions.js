// A question the journey asks the customer in the tracker (a task marked wf:customerStep customerAnswers, such as the
// satisfaction survey): its Camunda Form rendered by form-js's viewer, sent to POST /api/instances/{id}/answers/{task},
// where the server checks the same rules; its findings are shown on the fields they name.
import { api, el, notice } from './common.js';
import { renderForm, readForm, showServerErrors } from '/lib/designer/forms-viewer.js';

/**
 * The question as a section of the case: its title in the journey's words, its form and a Send button.
 * @param {object} c the case (GET /api/instances/{id})
 * @param {{ taskId: string, title: string, formSchema: object|null, fields: object[] }} q the question
 * @param {() => Promise<void>} answered what follows the answer (the case shown again)
 */
export async function questionView(c, q, answered) {
  const message = el('div', { 'data-test': 'question-message', role: 'status' });
  const container = el('div', { class: 'camunda-form' });
  const send = el('button', { class: 'primary', type: 'button', 'data-test': 'question-send' }, 'Send');
  const section = el('section', { class: 'question', 'data-test': 'question', 'data-task': q.taskId, 'aria-label': q.title },
    el('h2', { text: q.title }), container, el('p', {}, send), message);
  if (!q.formSchema) {
    container.append(el('p', { class: 'hint', text: 'We will ask you about this by phone or e-mail.' }));
    send.hidden = true;
    return section;
  }
  let form;
  try {
    form = await renderForm(container, q.formSchema, {});
  } catch {
    // A form form-js cannot import: the rest of the case is still shown.
    container.append(el('p', { class: 'hint', text: 'We will ask you about this by phone or e-mail.' }));
    send.hidden = true;
    return section;
  }
  send.addEventListener('click', async () => {
    const { data, valid } = await readForm(form, container);
    if (!valid) { notice(message, 'Some answers need your attention.', 'error'); return; }
    for (const name of q.engineOwned || []) delete data[name];
    send.disabled = true;
    try {
      await api(`/api/instances/${c.id}/answers/${q.taskId}`, { method: 'POST', body: { variables: data } });
    } catch (e) {
      send.disabled = false;
      showServerErrors(form, q.formSchema, e.problem?.errors);
      notice(message, e.message, 'error');
      return;
    }
    notice(message, 'Thank you for your answer.', 'ok');
    await answered();
  });
  return section;
}
