// The calendar tab: the branch's own calendar layer — opening hours per weekday and dated holidays — beside what the
// upper layers (the group's, the country's) give it; a day the branch does not set keeps the upper layers' hours.
// Saving writes a new version of the layer from now on; running clocks on it are recalculated by the server.
import { api, el, when } from './common.js';
import { problemView, fieldOf } from './branch-model.js';

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const INTERVALS = /^\s*\d{2}:\d{2}-\d{2}:\d{2}\s*(,\s*\d{2}:\d{2}-\d{2}:\d{2}\s*)*$/;
const title = day => day[0].toUpperCase() + day.slice(1);
const hours = list => (list.length ? list.join(', ') : 'closed');

export function calendarTab(page, panel) {
  let data = null;       // the API's answer
  let holidays = [];     // the branch layer's dated holidays being edited

  const own = () => data.layers.find(l => l.name === data.layer);
  const upper = () => data.layers.filter(l => l.name !== data.layer);

  // The hours a day has without the branch's layer, and the layer they come from.
  function inherited(day) {
    const from = upper().filter(l => l.week[day]).at(-1);
    return from ? { text: hours(from.week[day]), from: from.name } : { text: 'closed', from: 'the upper layers' };
  }

  async function load() {
    data = await api(`/api/branches/${encodeURIComponent(page.branch.id)}/calendar`);
    holidays = [...(own()?.holidays || [])];
    render();
  }

  function dayRow(day) {
    const set = own()?.week?.[day];
    const mode = set === undefined ? 'inherit' : set.length === 0 ? 'closed' : 'open';
    const base = inherited(day);
    const select = el('select', { id: `day-${day}`, 'data-day': day, 'aria-describedby': `day-${day}-error` },
      el('option', { value: 'inherit', selected: mode === 'inherit', text: `as ${base.from}` }),
      el('option', { value: 'closed', selected: mode === 'closed', text: 'closed' }),
      el('option', { value: 'open', selected: mode === 'open', text: 'open these hours' }));
    const text = el('input', { id: `hours-${day}`, 'data-hours': day, value: mode === 'open' ? set.join(', ') : '', placeholder: '09:00-12:00, 13:00-17:00',
      'aria-label': `${title(day)} opening hours`, 'aria-describedby': `day-${day}-error`, disabled: mode !== 'open', size: 24, maxlength: 120 });
    select.addEventListener('change', () => { text.disabled = select.value !== 'open'; if (!text.disabled) text.focus(); });
    return el('tr', { 'data-row': day },
      el('td', {}, el('label', { for: `day-${day}`, text: title(day) })),
      el('td', { class: 'hint', text: `${base.text} (${base.from})` }),
      el('td', {}, el('div', { class: 'row' }, select, text), el('div', { id: `day-${day}-error`, class: 'field-error', 'data-error': day, role: 'alert' })));
  }

  function holidayList() {
    return el('ul', { 'data-test': 'holidays' }, ...holidays.map(d => el('li', { 'data-holiday': d }, `${new Date(d + 'T12:00:00').toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })} `,
      el('button', { type: 'button', 'aria-label': `remove the holiday ${d}`, onclick: () => { holidays = holidays.filter(h => h !== d); refreshHolidays(); panel.querySelector('#new-holiday').focus(); } }, 'Remove'))),
      holidays.length ? null : el('li', { class: 'hint', text: 'none of its own' }));
  }

  function refreshHolidays() { panel.querySelector('[data-test=holidays]').replaceWith(holidayList()); }

  function render(saved = '') {
    const zone = data.layers.filter(l => l.timeZone).at(-1)?.timeZone || 'none set';
    const yearly = upper().flatMap(l => l.yearlyHolidays.map(d => `${d} (${l.name})`));
    const dated = upper().flatMap(l => l.holidays.map(d => `${d} (${l.name})`));
    const form = el('form', { 'data-test': 'calendar-form', novalidate: true },
      el('h2', { tabindex: '-1', text: `${page.branch.name}: calendar` }),
      el('p', { class: 'hint', text: `Clocks in ${page.branch.id} run on ${data.chain.split('/').join(' → ')}, in the time zone ${zone}. This page sets the last layer, ${data.layer}; a day it leaves "as" the upper layer keeps that layer's hours.` }),
      own() ? el('p', { class: 'hint', text: `The branch layer in force since ${when(own().effectiveFrom)}.` }) : el('p', { class: 'hint', text: 'The branch has no layer of its own yet: saving creates it.' }),
      ...data.scheduled.map(s => el('p', { class: 'notice', text: `A version of this layer saved for later comes into force on ${when(s.effectiveFrom)}; saving here does not replace it.` })),
      el('div', { class: 'cols' },
        el('div', {},
          el('h3', { text: 'Opening hours' }),
          el('table', { 'data-test': 'week' }, el('thead', {}, el('tr', {}, ...['Day', 'Without the branch layer', 'In this branch'].map(h => el('th', { text: h })))),
            el('tbody', {}, ...DAYS.map(dayRow)))),
        el('div', {},
          el('h3', { text: 'Holidays of this branch' }),
          holidayList(),
          el('div', { class: 'row' },
            el('label', { for: 'new-holiday', text: 'Add a holiday' }),
            // Enter adds the date (it would otherwise save the form without it).
            el('input', { id: 'new-holiday', type: 'date', 'data-test': 'new-holiday', onkeydown: e => { if (e.key === 'Enter') { e.preventDefault(); addHoliday(); } } }),
            el('button', { type: 'button', 'data-test': 'add-holiday', onclick: addHoliday }, 'Add')),
          el('div', { id: 'holiday-error', class: 'field-error', role: 'alert' }),
          el('h3', { text: 'Closed too, from the upper layers' }),
          el('p', { class: 'hint', text: `Every year: ${yearly.join(', ') || 'none'}.` }),
          dated.length ? el('p', { class: 'hint', text: `Dated: ${dated.join(', ')}.` }) : null,
          own()?.yearlyHolidays?.length || own()?.workingDays?.length
            ? el('p', { class: 'hint', text: `This layer also keeps yearly holidays ${own().yearlyHolidays.join(', ') || '—'} and working days ${own().workingDays.join(', ') || '—'} (kept as they are).` }) : null)),
      el('div', { id: 'calendar-problem' }),
      el('div', { class: 'actions-row' },
        el('button', { type: 'submit', class: 'primary', 'data-test': 'save-calendar' }, 'Save the calendar'),
        el('span', { class: 'hint', text: 'In force from now; running clocks are recalculated.' }),
        el('span', { 'data-test': 'calendar-saved', role: 'status', text: saved })));
    form.addEventListener('submit', save);
    panel.replaceChildren(form);
  }

  function addHoliday() {
    const input = panel.querySelector('#new-holiday');
    panel.querySelector('#holiday-error').textContent = '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.value)) { panel.querySelector('#holiday-error').textContent = 'Pick a date first.'; input.focus(); return; }
    if (!holidays.includes(input.value)) holidays = [...holidays, input.value].sort();
    input.value = '';
    refreshHolidays();
    input.focus();
  }

  async function save(event) {
    event.preventDefault();
    panel.querySelector('#calendar-problem').replaceChildren();
    const week = {};
    let first = null;
    for (const day of DAYS) {
      const mode = panel.querySelector(`[data-day=${day}]`).value;
      const text = panel.querySelector(`[data-hours=${day}]`);
      panel.querySelector(`[data-error=${day}]`).textContent = '';
      text.classList.remove('invalid');
      if (mode === 'closed') week[day] = [];
      if (mode !== 'open') continue;
      if (!INTERVALS.test(text.value)) {
        panel.querySelector(`[data-error=${day}]`).textContent = 'Hours as 09:00-12:00, several separated by commas.';
        text.classList.add('invalid');
        first ??= text;
        continue;
      }
      week[day] = text.value.split(',').map(s => s.trim());
    }
    if (first) { first.focus(); return; }
    const layer = own();
    const body = { week, holidays, timeZone: layer?.timeZone ?? null, yearlyHolidays: layer?.yearlyHolidays ?? [], workingDays: layer?.workingDays ?? [] };
    const button = panel.querySelector('[data-test=save-calendar]');
    button.disabled = true;
    try {
      const changed = await api(`/api/branches/${encodeURIComponent(page.branch.id)}/calendar`, { method: 'PUT', body });
      data = await api(`/api/branches/${encodeURIComponent(page.branch.id)}/calendar`);
      holidays = [...(own()?.holidays || [])];
      render(`Saved. ${changed.clocksRecalculated} running clock${changed.clocksRecalculated === 1 ? '' : 's'} recalculated.`);
    } catch (error) {
      button.disabled = false;
      const day = fieldOf(error, DAYS);
      if (day && error.status === 400) {
        panel.querySelector(`[data-error=${day}]`).textContent = error.problem?.detail || error.message;
        panel.querySelector(`[data-hours=${day}]`).focus();
      } else {
        panel.querySelector('#calendar-problem').replaceChildren(problemView(error));
      }
    }
  }

  return { load };
}
