// The analysts' view of a journey across branches, read only: each version with its lifecycle stage and the branches
// that pin it, each rollout's waves with their branches and whether they are pinned, and the drift report (which
// branch runs which version, which local parameters differ from the standard).
import { api, el, when } from './common.js';

const STAGES = { deployed: 'deployed', approved: 'approved', rolledOut: 'rolled out' };
const STATUSES = { planned: 'planned', inProgress: 'in progress', completed: 'completed', rolledBack: 'rolled back' };

export async function showRollouts(container, processId) {
  const id = encodeURIComponent(processId);
  const [lifecycle, rollouts, drift] = await Promise.all([
    api(`/api/definitions/${id}/lifecycle`), api(`/api/rollouts?journey=${id}`), api(`/api/drift?journey=${id}`)]);

  const versions = el('table', { 'data-test': 'lifecycle' },
    el('tr', {}, ...['version', 'stage', 'approved', 'pinned by'].map(h => el('th', { text: h }))),
    ...lifecycle.map(v => el('tr', { 'data-version': v.version },
      el('td', { text: `v${v.version}` }), el('td', { text: STAGES[v.stage] || v.stage }),
      el('td', { text: v.approvedBy ? `${v.approvedBy}, ${when(v.approvedAt)}${v.approvalReason ? ': ' + v.approvalReason : ''}` : '—' }),
      el('td', { text: v.pinnedBy.join(', ') || '—' }))));

  const plans = rollouts.length
    ? rollouts.map(r => el('div', { class: 'fieldset', 'data-rollout': r.id },
        el('p', {}, el('strong', { text: `v${r.version}` }), ` · ${STATUSES[r.status] || r.status} · ${r.wavesPinned} of ${r.waves.length} waves pinned`),
        el('ol', { 'data-test': 'waves' }, ...r.waves.map(w => el('li', { 'data-wave': w.name },
          el('strong', { text: w.name }), `: ${w.branches.join(', ')} `,
          el('span', { class: w.pinnedAt ? 'pill met' : 'pill', text: w.pinnedAt ? `pinned ${when(w.pinnedAt)}` : 'waiting' }))))))
    : [el('p', { text: 'No rollout planned for this journey.' })];

  const branches = el('table', { 'data-test': 'drift' },
    el('tr', {}, ...['branch', 'runs', 'standard', 'local parameters'].map(h => el('th', { text: h }))),
    ...drift.map(d => el('tr', { 'data-branch': d.branchId },
      el('td', { text: d.branchId }), el('td', { text: `v${d.version}${d.pinned ? ' (pinned)' : ''}` }),
      el('td', { class: d.onStandard ? 'state-met' : 'state-warning', text: d.standardVersion ? `v${d.standardVersion}${d.onStandard ? '' : ' (differs)'}` : '—' }),
      el('td', { text: d.differences.map(p => p.name).join(', ') || 'standard' }))));

  container.replaceChildren(el('h3', { text: 'Versions' }), versions, el('h3', { text: 'Rollouts' }), ...plans, el('h3', { text: 'Branches' }), branches);
}
