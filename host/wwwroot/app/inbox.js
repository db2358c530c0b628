// The agents' inbox: queues with counts, next task, the list by SLA time left with live countdowns, the task's
// form (rendered from its fields, with the server's error per field), and the customer's journey beside it.
import { api, el, header, notice, countdown, when } from './common.js';

const user = await header('Inbox');
let queue = null;
let selected = null;

async function loadQueues() {
  const list = document.getElementById('queues');
  list.replaceChildren(el('li', { class: queue === null ? 'active' : '', onclick: () => { queue = null; refresh(); } }, 'All my queues'));
  for (const q of user.queues) {
    const page = await api(`/api/tasks?queue=${encodeURIComponent(q)}&pageSize=200`);
    const count = page.tasks.length + (page.nextCursor ? '+' : '');
    list.append(el('li', { class: queue === q ? 'active' : '', 'data-queue': q, onclick: () => { queue = q; refresh(); } }, el('span', { text: q }), el('span', { class: 'pill', text: count })));
  }
}

async function loadTasks() {
  const page = await api('/api/tasks?pageSize=100' + (queue ? `&queue=${encodeURIComponent(queue)}` : ''));
  const table = document.getElementById('tasks');
  table.replaceChildren(el('tr', {}, ...['step', 'case', 'journey', 'assignee', 'priority', 'SLA', 'time left'].map(h => el('th', { text: h }))));
  for (const task of page.tasks) {
    table.append(el('tr', { class: `clickable ${selected?.id === task.id ? 'selected' : ''}`, 'data-task': task.id, onclick: () => openTask(task.id) },
      el('td', { text: task.name || task.elementId }), el('td', { text: task.businessKey || '' }), el('td', { text: task.journey || task.processId }),
      el('td', { text: task.assignee || '—' }), el('td', { text: task.priority }),
      el('td', {}, el('span', { class: `pill ${task.slaState || ''}`, text: task.slaState || 'none' })),
      el('td', { class: 'countdown', 'data-due': task.slaDueAt || '', text: countdown(task.slaDueAt) })));
  }
  if (!page.tasks.length) table.append(el('tr', {}, el('td', { colspan: 7, text: 'Nothing waits in these queues.' })));
}

// Live countdowns: the list is read once, the time left is counted every second.
setInterval(() => document.querySelectorAll('[data-due]').forEach(cell => {
  const due = cell.getAttribute('data-due');
  cell.textContent = countdown(due);
  cell.classList.toggle('late', !!due && new Date(due) < new Date());
}), 1000);

async function refresh() { await Promise.all([loadQueues(), loadTasks()]); }

document.getElementById('next').addEventListener('click', async () => {
  const task = await api('/api/tasks/next', { method: 'POST', body: { queues: queue ? [queue] : null } });
  if (!task) { notice(document.getElementById('next-status'), 'Your queues are empty.'); return; }
  document.getElementById('next-status').replaceChildren();
  await openTask(task.id);
  await refresh();
});

function fieldInput(field) {
  const attributes = { id: `field-${field.id}`, name: field.id, 'data-field': field.id };
  switch (field.type) {
    case 'number': return el('input', { ...attributes, type: 'number', step: 'any' });
    case 'boolean': return el('input', { ...attributes, type: 'checkbox' });
    case 'date': return el('input', { ...attributes, type: 'date' });
    case 'enum': return el('select', attributes, el('option', { value: '' }, '—'), ...field.values.map(v => el('option', { value: v }, v)));
    default: return el('input', { ...attributes, type: 'text' });
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

async function openTask(id) {
  selected = await api(`/api/tasks/${id}`);
  const task = selected;
  const box = document.getElementById('task');
  const mine = task.assignee === user.name;
  const form = el('form', { novalidate: true, 'data-test': 'task-form' });
  for (const field of task.form) {
    form.append(el('label', { for: `field-${field.id}`, text: field.label + (field.required ? ' *' : '') }), fieldInput(field),
      el('div', { class: 'field-error', 'data-error': field.id }));
  }
  const message = el('div', { 'data-test': 'task-message' });
  form.addEventListener('submit', async event => {
    event.preventDefault();
    form.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
    form.querySelectorAll('.invalid').forEach(e => e.classList.remove('invalid'));
    try {
      await api(`/api/tasks/${task.id}/complete`, { method: 'POST', body: { variables: formValues(form, task.form) } });
      notice(message, `Completed: ${task.name || task.elementId}`, 'ok');
      selected = null;
      await refresh();
      await showJourney(task.instanceId);
    } catch (e) {
      for (const [name, error] of Object.entries(e.problem.errors || {})) {
        const slot = form.querySelector(`[data-error="${name}"]`);
        if (slot) slot.textContent = error;
        form.elements[name]?.classList.add('invalid');
      }
      notice(message, e.message, 'error');
    }
  });
  form.append(el('p', {}, el('button', { class: 'primary', type: 'submit', 'data-test': 'complete' }, 'Complete')));
  box.replaceChildren(el('h2', { text: `${task.name || task.elementId} · ${task.businessKey || ''}` }),
    el('p', {}, `${task.journey || task.processId} · ${task.candidateGroups.join(', ')} · priority ${task.priority} · `,
      el('span', { class: `pill ${task.slaState || ''}`, text: task.slaState || 'no SLA' }), ' ',
      el('span', { 'data-due': task.slaDueAt || '', text: countdown(task.slaDueAt) })),
    el('p', {},
      mine ? el('button', { 'data-test': 'unclaim', onclick: async () => { await api(`/api/tasks/${task.id}/unclaim`, { method: 'POST' }); await openTask(task.id); await refresh(); } }, 'Unclaim')
           : el('button', { 'data-test': 'claim', disabled: !!task.assignee, onclick: async () => { await api(`/api/tasks/${task.id}/claim`, { method: 'POST' }); await openTask(task.id); await refresh(); } }, task.assignee ? `Claimed by ${task.assignee}` : 'Claim')),
    form, message);
  await showJourney(task.instanceId);
  await loadTasks();
}

async function showJourney(instanceId) {
  const instance = await api(`/api/instances/${instanceId}`);
  const panel = document.getElementById('journey');
  const clocks = el('table', {}, el('tr', {}, ...['clock', 'state', 'due'].map(h => el('th', { text: h }))),
    ...instance.clocks.map(c => el('tr', {}, el('td', { text: `${c.label || c.elementId}${c.level ? ` (level ${c.level})` : ''}` }),
      el('td', {}, el('span', { class: `pill ${c.state}`, text: c.state })), el('td', { 'data-due': c.endedAt ? '' : c.targetAt || '', text: c.endedAt ? 'done' : countdown(c.targetAt) }))));
  const kinds = { 'task-completed': 'touchpoint', 'message-sent': 'touchpoint', 'satisfaction-recorded': 'touchpoint', 'instance-started': 'touchpoint' };
  const shown = instance.history.filter(h => kinds[h.kind] || h.kind.startsWith('clock-') && !['clock-started', 'clock-met'].includes(h.kind) || h.kind === 'task-created');
  const timeline = el('ul', { class: 'timeline', 'data-test': 'timeline' }, ...shown.map(h => el('li', { class: kinds[h.kind] || (h.kind.startsWith('clock-') ? 'clock' : '') },
    el('div', {}, describe(h, instance.stepNames)), el('div', { class: 'when', text: `${when(h.at)}${h.actor ? ' · ' + h.actor : ''}` }))));
  panel.replaceChildren(el('h2', { text: `The customer's journey · ${instance.businessKey || ''}` }),
    el('p', { text: `${instance.journeyName} v${instance.version} · ${instance.status} · customer ${instance.customerId || '—'}` }), clocks, el('h2', { text: 'Timeline' }), timeline);
}

function describe(h, names) {
  const step = names[h.elementId] || h.elementId || '';
  switch (h.kind) {
    case 'instance-started': return 'Case opened';
    case 'task-created': return `Waiting: ${step}`;
    case 'task-completed': return `Done: ${step}`;
    case 'message-sent': return `Handed over: ${step} (${h.detail || ''})`;
    case 'satisfaction-recorded': return `Satisfaction ${h.detail} at ${step}`;
    default: return `${h.kind.replace('clock-', 'clock ')}: ${step} ${h.detail || ''}`;
  }
}

await refresh();
