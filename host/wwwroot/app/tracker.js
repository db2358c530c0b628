// The customers' tracker: raise a complaint or request, see its status, the promised date and the steps done,
// in the journey's words for customers (never an internal step name); answer what the journey asks (the satisfaction
// survey) with form-js; the API gives a customer nothing internal (no queue, no agent, no variables). Usable from
// 390 px wide (tracker.css).
import { api, el, header, notice, when } from './common.js';
import { questionView } from './tracker-questions.js';

await header('My requests');
const branches = await api('/api/branches');
document.getElementById('branch').replaceChildren(...branches.map(b => el('option', { value: b.id }, b.name)));

async function loadCases(openId) {
  const cases = await api('/api/instances');
  const table = document.getElementById('cases');
  table.replaceChildren(el('tr', {}, ...['reference', 'request', 'status', 'since'].map(h => el('th', { text: h }))),
    ...cases.map(c => el('tr', { class: 'clickable', 'data-case': c.reference, onclick: () => openCase(c.id) },
      el('td', { text: c.reference }), el('td', { text: c.journey }), el('td', { text: c.status }), el('td', { text: when(c.startedAt) }))));
  if (!cases.length) table.append(el('tr', {}, el('td', { colspan: 4, text: 'You have no request yet.' })));
  if (openId) await openCase(openId);
}

async function openCase(id) {
  const c = await api(`/api/instances/${id}`);
  const promise = c.promise
    ? el('p', { 'data-test': 'promise' }, `We promised: ${c.promise}, by `, el('strong', { text: when(c.promisedBy) }),
      c.promiseKept === true ? ' — kept.' : c.promiseKept === false ? ' — we are late, sorry.' : '.')
    : null;
  document.getElementById('case').replaceChildren(...[
    el('h2', { text: `${c.journey} · ${c.reference}` }),
    el('p', {}, 'Status: ', el('strong', { 'data-test': 'case-status', text: c.status })),
    promise,
    c.inProgress.length ? el('p', { 'data-test': 'in-progress', text: `Now: ${c.inProgress.join(', ')}` }) : null,
    ...(await Promise.all(c.questions.map(q => questionView(c, q, () => loadCases(id))))),
    el('h2', { text: 'Done so far' }),
    el('ul', { class: 'steps', 'data-test': 'steps' }, ...c.stepsDone.map(s => el('li', {}, `${s.name} `, el('span', { class: 'when', text: when(s.at) })))),
    el('button', { onclick: () => loadCases(id) }, 'Refresh')].filter(Boolean));
}

document.getElementById('raise').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  const message = document.getElementById('raised');
  if (!form.summary.value.trim()) { notice(message, 'Tell us what happened, in a few words.', 'error'); return; }
  try {
    const started = await api('/api/instances', { method: 'POST', body: { journey: form.kind.value, branch: form.branch.value, variables: { summary: form.summary.value.trim() } } });
    notice(message, `Thank you. Your reference is ${started.businessKey}.`, 'ok');
    form.summary.value = '';
    await loadCases(started.id);
  } catch (e) {
    notice(message, e.message, 'error');
  }
});

await loadCases();
