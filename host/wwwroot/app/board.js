// The supervisors' board: the journey's diagram as a heat map of its steps (open work, average and p90 time in
// step, SLA met / at risk / breached), the watermelon list, and breaches by step and team with a chart.
import { api, el, header, duration, when, latestVersions } from './common.js';

const user = await header('Board');
const viewer = new BpmnJS({ container: '#diagram' });
const journeySelect = document.getElementById('journey');

const latest = await latestVersions();
for (const [processId, version] of latest) journeySelect.append(el('option', { value: processId }, `${processId} (v${version})`));
journeySelect.value = latest.has('complaint') ? 'complaint' : journeySelect.options[0]?.value;

function percentile(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : 0; }

async function load() {
  const journey = journeySelect.value;
  const from = new Date(Date.now() - Number(document.getElementById('days').value) * 86400000).toISOString();
  const [xml, report, breaches, tasks] = await Promise.all([
    api(`/api/definitions/${encodeURIComponent(journey)}/versions/${latest.get(journey)}/xml`),
    api(`/api/service-levels/report?journey=${encodeURIComponent(journey)}&from=${encodeURIComponent(from)}&max=200`),
    api(`/api/service-levels/breaches?journey=${encodeURIComponent(journey)}&from=${encodeURIComponent(from)}`),
    api('/api/tasks?pageSize=200'),
  ]);
  await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');

  // Per step: its SLA clocks across the cases of the window, and the tasks open there now.
  const steps = new Map();
  for (const row of report) for (const clock of row.steps.filter(c => c.kind === 'sla')) {
    const step = steps.get(clock.elementId) || { clocks: [], open: 0 };
    step.clocks.push(clock);
    steps.set(clock.elementId, step);
  }
  for (const task of tasks.tasks.filter(t => t.processId === journey)) {
    const step = steps.get(task.elementId) || { clocks: [], open: 0 };
    step.open++;
    steps.set(task.elementId, step);
  }

  const canvas = viewer.get('canvas'), overlays = viewer.get('overlays'), registry = viewer.get('elementRegistry');
  for (const [elementId, step] of steps) {
    if (!registry.get(elementId)) continue;
    const count = state => step.clocks.filter(c => c.state === state).length;
    const times = step.clocks.filter(c => c.endedAt).map(c => new Date(c.endedAt) - new Date(c.startedAt)).sort((a, b) => a - b);
    const average = times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0;
    const breached = count('breached'), warning = count('warning');
    const ratio = step.clocks.length ? breached / step.clocks.length : 0;
    const heat = breached > 0 ? (ratio >= 0.25 ? 3 : 2) : warning > 0 ? 1 : 0;
    canvas.addMarker(elementId, `wf-heat-${heat}`);
    overlays.add(elementId, 'heat', { position: { bottom: -4, left: 0 }, html:
      `<div class="heat" data-step="${elementId}" data-heat="${heat}">open ${step.open} · avg ${times.length ? duration(average) : '—'} · p90 ${times.length ? duration(percentile(times, 0.9)) : '—'}<br>` +
      `<span class="state-met">${count('met')} met</span> · <span class="state-warning">${warning} at risk</span> · <span class="state-breached">${breached} breached</span></div>` });
  }

  const watermelons = report.filter(r => r.watermelon);
  document.getElementById('watermelons').replaceChildren(watermelons.length
    ? el('table', {}, el('tr', {}, ...['case', 'promise', 'state', 'due'].map(h => el('th', { text: h }))),
      ...watermelons.map(r => el('tr', {}, el('td', { text: r.businessKey }), el('td', { text: r.commitment.label }),
        el('td', {}, el('span', { class: `pill ${r.commitment.state}`, text: r.commitment.state })), el('td', { text: when(r.commitment.targetAt) }))))
    : el('p', { text: 'None: no promise is red while its steps are green.' }));
  document.getElementById('commitments').replaceChildren(breaches.commitments.length
    ? el('table', {}, ...breaches.commitments.map(c => el('tr', {}, el('td', { text: c.businessKey }), el('td', { text: c.promise }),
      el('td', {}, el('span', { class: `pill ${c.state}`, text: c.state })), el('td', { text: when(c.dueAt) }))))
    : el('p', { text: 'Every promise of the window is on time.' }));

  const rows = breaches.steps;
  document.getElementById('breaches').replaceChildren(el('table', {},
    el('tr', {}, ...['step', 'team / clock', 'breached', 'at risk', 'met', 'open'].map(h => el('th', { text: h }))),
    ...rows.map(s => el('tr', { 'data-breach': `${s.step}:${s.kind}` }, el('td', { text: s.step }),
      el('td', { text: s.kind === 'sla' ? `SLA · ${s.label || ''}` : `${s.label || ''} (level ${s.level})` }),
      el('td', { class: 'state-breached', text: s.breached }), el('td', { class: 'state-warning', text: s.atRisk }), el('td', { text: s.met }), el('td', { text: s.open })))));
  document.getElementById('chart').replaceChildren(chart(rows.filter(s => s.kind === 'sla')));
  document.getElementById('summary').textContent = `${user.branch} · ${report.length} cases · ${watermelons.length} watermelon(s)`;
}

// A horizontal bar per step: breached in red, at risk in amber; a chart reads faster than the table here.
function chart(rows) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const max = Math.max(1, ...rows.map(r => r.breached + r.atRisk));
  svg.setAttribute('width', '380'); svg.setAttribute('height', String(24 * rows.length + 8));
  rows.forEach((row, i) => {
    const y = 4 + i * 24;
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', '0'); text.setAttribute('y', String(y + 14)); text.setAttribute('font-size', '11'); text.textContent = row.step;
    svg.append(text);
    let x = 130;
    for (const [value, color] of [[row.breached, '#c62828'], [row.atRisk, '#d98d00']]) {
      const rect = document.createElementNS(ns, 'rect');
      const width = (value / max) * 230;
      rect.setAttribute('x', String(x)); rect.setAttribute('y', String(y)); rect.setAttribute('height', '18'); rect.setAttribute('width', String(width)); rect.setAttribute('fill', color);
      svg.append(rect);
      x += width;
    }
  });
  return svg;
}

journeySelect.addEventListener('change', load);
document.getElementById('days').addEventListener('change', load);
document.getElementById('reload').addEventListener('click', load);
await load();
