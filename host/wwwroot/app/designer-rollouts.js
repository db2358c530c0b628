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
    ? rollouts.map(r => {
        // A rollback re-pins each branch a wave pinned to what it pinned before (its step lists them); a branch whose pin
        // was changed since is left as it is.
        const back = r.status === 'rolledBack' ? r.steps.findLast(s => s.action === 'rolled-back') : null;
        const repinned = new Set(back?.branches || []);
        const before = (w, b) => (w.previous || {})[b] == null ? 'the latest (no pin)' : `v${w.previous[b]}`;
        const waveState = w => !w.pinnedAt ? { cls: 'pill', text: 'waiting' }
          : back ? { cls: 'pill warning', text: `pinned ${when(w.pinnedAt)}, then rolled back: ` + w.branches.map(b => repinned.has(b) ? `${b} re-pinned to ${before(w, b)}` : `${b} left as it is (its pin changed since)`).join('; ') }
          : { cls: 'pill met', text: `pinned ${when(w.pinnedAt)}` };
        return el('div', { class: 'fieldset', 'data-rollout': r.id },
          el('p', {}, el('strong', { text: `v${r.version}` }), ` · ${STATUSES[r.status] || r.status} · ` +
            (back ? `rolled back by ${back.actor} ${when(back.at)}${back.reason ? ` (${back.reason})` : ''}: ${back.branches.length ? `re-pinned ${back.branches.join(', ')} to their earlier versions` : 're-pinned no branch'}`
              : `${r.wavesPinned} of ${r.waves.length} waves pinned`)),
          el('ol', { 'data-test': 'waves' }, ...r.waves.map(w => {
            const state = waveState(w);
            return el('li', { 'data-wave': w.name }, el('strong', { text: w.name }), `: ${w.branches.join(', ')} `, el('span', { class: state.cls, text: state.text }));
          })));
      })
    : [el('p', { text: 'No rollout planned for this journey.' })];

  const branches = el('table', { 'data-test': 'drift' },
    el('tr', {}, ...['branch', 'runs', 'standard', 'local parameters'].map(h => el('th', { text: h }))),
    ...drift.map(d => el('tr', { 'data-branch': d.branchId },
      el('td', { text: d.branchId }), el('td', { text: `v${d.version}${d.pinned ? ' (pinned)' : ''}` }),
      el('td', { class: d.onStandard ? 'state-met' : 'state-warning', text: d.standardVersion ? `v${d.standardVersion}${d.onStandard ? '' : ' (differs)'}` : '—' }),
      el('td', { text: d.differences.map(p => `${p.name} ${p.reads ?? p.value ?? ''}${p.readFrom === 'settings' ? ' (older setting)' : ''}`.trim()).join(', ') || 'standard' }))));

  container.replaceChildren(el('h3', { text: 'Versions' }), versions, el('h3', { text: 'Rollouts' }), ...plans, el('h3', { text: 'Branches' }), branches);
}
