// The agents' inbox: queues with counts and the list by SLA time left, kept live by the server's event stream
// (/api/tasks/events); the task with the case data its journey shows agents, its form filled from the case, the
// work on it (take, give back, delegate, comment, complete); the customer's journey in the journey's own words.
// Every list is usable from the keyboard: arrows move, Enter or Space opens.
import { api, el, header, notice, countdown, when } from './common.js';
import { camundaForm } from './inbox-forms.js';

const user = await header('Inbox');
let queue = null;
let page = { tasks: [], nextCursor: null };
let selected = null;

// ---------------------------------------------------------------- queues and the list

function renderQueues() {
  const list = document.getElementById('queues');
  const count = q => page.tasks.filter(t => q === null || t.candidateGroups.includes(q)).length + (page.nextCursor ? '+' : '');
  const options = [null, ...user.queues].map(q => el('li', {
    role: 'option', 'aria-selected': String(queue === q), tabindex: queue === q ? '0' : '-1', class: queue === q ? 'active' : '',
    'data-queue': q ?? '', onclick: () => chooseQueue(q), onkeydown: event => keys(event, list, () => chooseQueue(q)),
  }, el('span', { text: q ?? 'All my queues' }), el('span', { class: 'pill', text: count(q), 'aria-label': `${count(q)} tasks` })));
  const focused = list.contains(document.activeElement) ? [...list.children].indexOf(document.activeElement) : -1;
  list.replaceChildren(...options);
  if (focused >= 0) list.children[focused]?.focus();
}

function chooseQueue(q) {
  queue = q;
  renderQueues();
  renderTasks();
  list('queues').querySelector('[aria-selected=true]')?.focus();
}

function list(id) { return document.getElementById(id); }

/** Arrow keys move the focus within a list; Enter and Space act on the focused item. */
function keys(event, container, act) {
  const items = [...container.querySelectorAll('[tabindex]')];
  const at = items.indexOf(event.currentTarget);
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    const next = items[Math.max(0, Math.min(items.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))];
    items.forEach(i => i.setAttribute('tabindex', i === next ? '0' : '-1'));
    next?.focus();
  } else if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    act();
  }
}

function renderTasks() {
  const table = list('tasks');
  const shown = page.tasks.filter(t => queue === null || t.candidateGroups.includes(queue));
  const focusedTask = table.contains(document.activeElement) ? document.activeElement.getAttribute('data-task') : null;
  table.replaceChildren(el('caption', { class: 'hint', text: 'Arrow keys move through the tasks; Enter opens one.' }),
    el('tr', {}, ...['step', 'case', 'journey', 'assignee', 'priority', 'SLA', 'time left'].map(h => el('th', { scope: 'col', text: h }))));
  // One row in the Tab order (the open task's, else the first); the arrows reach the others.
  const anchor = shown.some(t => t.id === selected?.task.id) ? selected.task.id : shown[0]?.id;
  shown.forEach(task => {
    const current = selected?.task.id === task.id;
    table.append(el('tr', {
      class: `clickable ${current ? 'selected' : ''}`, 'data-task': task.id, tabindex: task.id === anchor ? '0' : '-1',
      'aria-selected': String(current), onclick: () => openTask(task.id), onkeydown: event => keys(event, table, () => openTask(task.id)),
    },
    el('td', { text: task.name || 'a task' }), el('td', { text: task.businessKey || '' }), el('td', { text: task.journey || '' }),
    el('td', { text: task.assignee || '—' }), el('td', { text: task.priority }),
    el('td', {}, el('span', { class: `pill ${(task.slaState || '').toLowerCase()}`, text: task.slaState || 'none' })),
    el('td', { class: 'countdown', 'data-due': task.slaDueAt || '', text: countdown(task.slaDueAt) })));
  });
  if (!shown.length) table.append(el('tr', {}, el('td', { colspan: 7, text: 'Nothing waits in these queues.' })));
  if (focusedTask) table.querySelector(`[data-task="${focusedTask}"]`)?.focus();
}

// Live countdowns: the list comes from the server, the time left is counted here every second.
setInterval(() => document.querySelectorAll('[data-due]').forEach(cell => {
  const due = cell.getAttribute('data-due');
  cell.textContent = countdown(due);
  cell.classList.toggle('late', !!due && new Date(due) < new Date());
}), 1000);

// ---------------------------------------------------------------- the live stream

function connect() {
  const live = list('live');
  const source = new EventSource('/api/tasks/events');
  source.addEventListener('open', () => { live.textContent = 'Live'; live.dataset.state = 'open'; });
  source.addEventListener('tasks', event => {
    page = JSON.parse(event.data);
    renderQueues();
    renderTasks();
    live.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
  });
  source.addEventListener('escalation', event => {
    const escalation = JSON.parse(event.data);
    list('alerts').prepend(el('div', { class: 'notice error', 'data-escalation': escalation.taskId, text: escalation.text }));
    while (list('alerts').children.length > 20) list('alerts').lastElementChild.remove();
    if (selected?.task.id === escalation.taskId) openTask(escalation.taskId, { keepFocus: true });
  });
  source.addEventListener('signed-out', () => { source.close(); location.href = '/signin?returnUrl=/inbox'; });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (too many open inboxes for this user, or signed out): the browser gives up, so try again later.
      live.textContent = 'Not live: close another inbox tab; trying again in 30 s';
      live.dataset.state = 'closed';
      setTimeout(connect, 30_000);
    } else {
      live.textContent = 'Reconnecting…';
      live.dataset.state = 'reconnecting';
    }
  });
}

// ---------------------------------------------------------------- next task

list('next').addEventListener('click', async () => {
  const task = await api('/api/tasks/next', { method: 'POST', body: { queues: queue ? [queue] : null } });
  if (!task) { notice(list('next-status'), 'Your queues are empty.'); return; }
  list('next-status').replaceChildren();
  await openTask(task.id);
});

// ---------------------------------------------------------------- the task

function fieldInput(field, value) {
  const attributes = { id: `field-${field.id}`, name: field.id, 'data-field': field.id, 'aria-required': field.required ? 'true' : null, 'aria-describedby': `error-${field.id}` };
  const text = value === undefined || value === null ? '' : String(value);
  switch (field.type) {
    case 'number': return el('input', { ...attributes, type: 'number', step: 'any', value: text });
    case 'boolean': return el('input', { ...attributes, type: 'checkbox', checked: value === true });
    case 'date': return el('input', { ...attributes, type: 'date', value: text.slice(0, 10) });
    case 'enum': return el('select', attributes, el('option', { value: '' }, '—'), ...field.values.map(v => el('option', { value: v, selected: v === text }, v)));
    default: return el('input', { ...attributes, type: 'text', value: text });
  }
}

function formValues(form, fields) {
  const values = {};
  for (const field of fields) {
    const input = form.elements[field.id];
    if (field.type === 'boolean') values[field.id] = input.checked;
    else if (input.value === '') continue;
    else values[field.id] = field.type === 'number' && !isNaN(Number(input.value)) ? Number(input.value) : input.value;
  }
  return values;
}

function shownValue(value) {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

async function act(path, body, message) {
  try {
    await api(`/api/tasks/${selected.task.id}/${path}`, { method: 'POST', body });
    await openTask(selected.task.id, { keepFocus: true });
    if (message) notice(list('task-message'), message, 'ok');
  } catch (e) {
    notice(list('task-message'), e.message, 'error');
  }
}

async function openTask(id, { keepFocus = false } = {}) {
  let view;
  try {
    view = await api(`/api/tasks/${id}/case`);
  } catch (e) {
    notice(list('task'), e.status === 404 ? 'This task is no longer open.' : e.message, 'error');
    return;
  }
  selected = view;
  const task = view.task;
  const mine = task.assignee === user.name;
  const message = el('div', { id: 'task-message', 'data-test': 'task-message', role: 'status' });
  // A Camunda Form is rendered by form-js; the engine's own fields (wf:form) by the page, as before.
  const form = task.formSchema
    ? await camundaForm(view, message, () => showNextThing(view))
    : el('form', { novalidate: true, 'data-test': 'task-form', 'aria-label': `The form of ${view.step}` });
  for (const field of task.formSchema ? [] : task.form) {
    form.append(el('label', { for: `field-${field.id}`, text: field.label + (field.required ? ' *' : '') }), fieldInput(field, view.formValues[field.id]),
      el('div', { class: 'field-error', id: `error-${field.id}`, 'data-error': field.id }));
  }
  if (!task.formSchema) {
    form.addEventListener('submit', event => { event.preventDefault(); complete(form, view, message); });
    form.append(el('p', {}, el('button', { class: 'primary', type: 'submit', 'data-test': 'complete' }, 'Complete')));
  }

  const delegates = el('select', { id: 'delegate-to', 'data-test': 'delegate-to', 'aria-label': 'Delegate to' }, el('option', { value: '' }, 'Delegate to…'));
  const comment = el('textarea', { id: 'comment-text', 'data-test': 'comment-text', rows: 2, 'aria-label': 'Comment', placeholder: 'A comment for the case' });
  const work = el('div', { class: 'work', role: 'group', 'aria-label': 'Work on the task' },
    mine ? el('button', { 'data-test': 'unclaim', onclick: () => act('unclaim', undefined, 'Given back to the queue') }, 'Give back')
         : el('button', { 'data-test': 'claim', disabled: !!task.assignee, onclick: () => act('claim', undefined, 'Assigned to you') }, task.assignee ? `Assigned to ${task.assignee}` : 'Assign to me'),
    delegates,
    el('button', { 'data-test': 'delegate', onclick: () => delegates.value ? act('delegate', { to: delegates.value }, `Delegated to ${delegates.value}`) : delegates.focus() }, 'Delegate'),
    comment,
    el('button', { 'data-test': 'comment', onclick: () => comment.value.trim() ? act('comment', { text: comment.value }, 'Comment added') : comment.focus() }, 'Comment'));

  const data = view.caseData.length
    ? el('dl', { class: 'case-data', 'data-test': 'case-data' }, ...view.caseData.flatMap(d => [el('dt', { text: d.label }), el('dd', { 'data-variable': d.variable, text: shownValue(d.value) })]))
    : el('p', { class: 'hint', 'data-test': 'case-data', text: 'The journey shows no case data for this step.' });

  const box = list('task');
  box.replaceChildren(el('h2', { id: 'task-title', text: `${view.step} · ${task.businessKey || ''}` }),
    el('p', {}, `${task.journey || view.journey.journey} · ${task.candidateGroups.join(', ')} · priority ${task.priority} · `,
      el('span', { class: `pill ${(task.slaState || '').toLowerCase()}`, text: task.slaState || 'no SLA' }), ' ',
      el('span', { 'data-due': task.slaDueAt || '', text: countdown(task.slaDueAt) })),
    el('h3', { text: 'Case data' }), data, work, form, message);
  showJourney(view.journey);
  renderTasks();
  if (!keepFocus) {
    // The form is what the agent came for: brought into view with its first field ready to type in.
    box.scrollIntoView({ block: 'start' });
    (form.querySelector('input, select, textarea') || box).focus({ preventScroll: true });
  }
  api(`/api/tasks/${task.id}/delegates`).then(names => delegates.append(...names.map(n => el('option', { value: n }, n)))).catch(() => {});
}

async function complete(form, view, message) {
  form.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
  form.querySelectorAll('.invalid').forEach(e => { e.classList.remove('invalid'); e.removeAttribute('aria-invalid'); });
  const task = view.task;
  try {
    await api(`/api/tasks/${task.id}/complete`, { method: 'POST', body: { variables: formValues(form, task.form.filter(f => !(view.engineOwned || []).includes(f.id))) } });
  } catch (e) {
    for (const [name, error] of Object.entries(e.problem.errors || {})) {
      const slot = form.querySelector(`[data-error="${name}"]`);
      if (slot) slot.textContent = error;
      form.elements[name]?.classList.add('invalid');
      form.elements[name]?.setAttribute('aria-invalid', 'true');
    }
    notice(message, e.message, 'error');
    form.querySelector('.invalid')?.focus();
    return;
  }
  await showNextThing(view);
}

/** After a completion the form gives way to what comes next: the case's next step when it is the agent's, else the queue's next task. */
async function showNextThing(view) {
  selected = null;
  const task = view.task;
  const box = list('task');
  const key = task.businessKey;
  const following = key ? (await api(`/api/tasks?businessKey=${encodeURIComponent(key)}`)).tasks.filter(t => t.id !== task.id && (!t.assignee || t.assignee === user.name)) : [];
  const done = el('div', { class: 'notice ok', 'data-test': 'task-message', role: 'status', text: `Completed: ${view.step}` });
  const next = following[0];
  const action = next
    ? el('button', { class: 'primary', 'data-test': 'open-next', onclick: () => openTask(next.id) }, `Open the next step of ${key}: ${next.name || 'a task'}`)
    : el('button', { class: 'primary', 'data-test': 'pull-next', onclick: () => list('next').click() }, 'Take the next task');
  box.replaceChildren(el('h2', { text: 'Next thing to do' }), done,
    el('p', { 'data-test': 'next-thing' }, next ? `${key} goes on with “${next.name || 'a task'}” in ${next.candidateGroups.join(', ')}.` : `Nothing else of ${key || 'this case'} waits for you.`),
    el('p', {}, action));
  action.focus();
  showJourney(await api(`/api/instances/${task.instanceId}/journey`));
}

// ---------------------------------------------------------------- the journey

function showJourney(journey) {
  const panel = list('journey');
  const clocks = el('table', { 'data-test': 'clocks' }, el('tr', {}, ...['clock', 'state', 'due'].map(h => el('th', { scope: 'col', text: h }))),
    ...journey.clocks.map(c => el('tr', {}, el('td', { text: c.label }),
      el('td', {}, el('span', { class: `pill ${c.state.toLowerCase()}`, text: c.paused ? 'paused' : c.state })),
      el('td', { 'data-due': c.endedAt ? '' : c.dueAt || '', text: c.endedAt ? 'done' : countdown(c.dueAt) }))));
  const timeline = el('ul', { class: 'timeline', 'data-test': 'timeline', 'aria-label': 'Timeline' },
    ...journey.timeline.map(h => el('li', { class: h.kind }, el('div', { text: h.text }), el('div', { class: 'when', text: `${when(h.at)}${h.actor ? ' · ' + h.actor : ''}` }))));
  panel.replaceChildren(el('h2', { text: `The customer's journey · ${journey.businessKey || ''}` }),
    el('p', { text: `${journey.journey} v${journey.version} · ${journey.status} · customer ${journey.customerId || '—'}` }), clocks, el('h2', { text: 'Timeline' }), timeline);
}

renderQueues();
renderTasks();
connect();
