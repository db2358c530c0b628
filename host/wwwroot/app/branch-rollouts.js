// The rollouts tab: the rollouts (of journeys and decisions) whose waves include this branch — the version, this branch's wave and whether it is
// pinned, what the branch ran before — and the pinned waves' service figures beside the versions they ran before.
// Other branches of a wave are not named: the page shows a branch administrator its own branch only.
import { api, el, when } from './common.js';
import { problemView } from './branch-model.js';

const status = { planned: 'planned: no wave pinned yet', inProgress: 'under way', completed: 'completed', rolledBack: 'rolled back' };
const fmt = n => (n == null ? '—' : typeof n === 'number' && !Number.isInteger(n) ? n.toFixed(2) : String(n));

function figuresTable(f) {
  const row = (label, v) => el('tr', {}, el('td', { text: label }), ...[v.cases, v.breaches, v.atRisk, v.satisfaction, v.surveyed].map(x => el('td', { text: fmt(x) })));
  return el('table', { class: 'figures', 'data-test': 'figures' },
    el('thead', {}, el('tr', {}, ...['Version', 'Cases', 'Breaches', 'At risk', 'Satisfaction', 'Surveyed'].map(h => el('th', { text: h })))),
    el('tbody', {}, row(`v${f.candidate.version} (this rollout)`, f.candidate), ...f.previous.map(p => row(`v${p.version} (before)`, p))));
}

export function rolloutsTab(page, panel) {
  async function load() {
    const id = page.branch.id;
    const all = await api('/api/rollouts');
    const mine = all.filter(r => r.waves.some(w => w.branches.includes(id)));
    const cards = await Promise.all(mine.map(async r => {
      const index = r.waves.findIndex(w => w.branches.includes(id));
      const wave = r.waves[index];
      let figures = null;
      const decision = r.subject === 'decision';
      if (r.wavesPinned > 0 && !decision) {
        try { figures = figuresTable(await api(`/api/rollouts/${r.id}/figures`)); } catch (error) { figures = problemView(error); }
      }
      const before = wave.previous?.[id];
      const ran = wave.ran?.[id];
      const planned = r.steps.find(s => s.action === 'planned');
      return el('article', { class: 'fieldset', 'data-rollout': r.id },
        el('h3', { text: `${decision ? 'Decision ' : ''}${r.processId} version ${r.version}: ${status[r.status] || r.status}` }),
        el('p', { 'data-test': 'my-wave', text: `${id} is in wave ${index + 1} of ${r.waves.length}, “${wave.name}”: ${wave.pinnedAt ? `pinned ${when(wave.pinnedAt)}${before === undefined ? '' : before === null ? (ran != null ? ` (it ran version ${ran} before, the standard, without a pin)` : ' (it followed the standard before, without a pin)') : ` (it ran version ${before} before)`}` : 'not pinned yet'}.` }),
        el('p', { class: 'hint', text: `${r.wavesPinned} of ${r.waves.length} waves pinned.${planned ? ` Planned ${when(planned.at)} by ${planned.actor}: ${planned.reason}` : ''}` }),
        figures ? el('div', {}, el('div', { text: 'Service figures of the pinned waves, under this version and the versions they ran before:' }), figures)
          : el('p', { class: 'hint', text: decision ? 'A decision rollout has no figures of its own: see its evaluations and the journeys that call it.' : 'No figures until a wave is pinned.' }));
    }));
    panel.replaceChildren(el('h2', { tabindex: '-1', text: `Rollouts including ${page.branch.name}` }),
      cards.length ? el('div', {}, ...cards) : el('p', { text: `No rollout includes ${id}. Rollouts are planned by the central team.` }));
  }

  return { load };
}
