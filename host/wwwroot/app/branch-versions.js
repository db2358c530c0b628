// The versions tab: the journey's versions with their stage, who approved them and why, and what each changes against
// the version the branch starts now, in the journey's words; an approved version is pinned after a confirmation that
// names what changes for the branch. Other branches' pins are not shown.
import { api, el, when } from './common.js';
import { elements, words, problemView, stageWords } from './branch-model.js';

const LISTED = 6; // changes listed before "and n more"
const EAGER = 8;  // versions whose changes are read with the list

const kindOf = type => String(type || 'element').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * What moving from version `from` to `to` changes, as list items in words: every pool's elements from the comparison
 * (processes[].elements[]), each with the comparison's own sentences (changes[].text) — never a bare id, and a
 * process's own settings as the journey's.
 */
async function changes(journey, from, to) {
  const [diff, before, after] = await Promise.all([
    api(`/api/definitions/${encodeURIComponent(journey)}/compare?from=${from}&to=${to}`),
    elements(journey, from), elements(journey, to)]);
  const pools = (diff.processes || []).filter(p => p.kind !== 'unchanged');
  const several = pools.length > 1;
  const items = [];
  for (const pool of pools) {
    const own = pool.processId === journey;
    const poolName = pool.participant || pool.name || 'another pool';
    for (const e of pool.elements || []) {
      if (e.kind === 'redrawn' || e.kind === 'unchanged') continue;
      const model = e.kind === 'removed' ? before : after;
      const subject = e.id === pool.processId
        ? (own ? `the journey “${pool.name || journey}” itself` : `the pool “${poolName}” itself`)
        : own && model.get(e.id) ? words(model.get(e.id), after, before)
        : `the ${kindOf(e.type)}${e.name ? ` “${e.name}”` : ''}`;
      const where = several && !own ? ` in “${poolName}”` : '';
      const said = (e.changes || []).filter(c => c.aspect !== 'layout').map(c => c.text).filter(Boolean);
      const verb = { added: 'Adds', removed: 'Removes', changed: 'Changes' }[e.kind] || 'Changes';
      const text = `${verb} ${subject}${where}${e.kind === 'changed' && said.length ? `: ${said.join('; ')}` : ''}`;
      items.push({ kind: e.kind in { added: 1, removed: 1 } ? e.kind : 'changed', flow: e.type === 'sequenceFlow', text });
    }
  }
  // Steps first, flows after them, and among them the steps added or gone first: what a branch notices.
  const order = { added: 0, removed: 1, changed: 2 };
  return items.map((item, at) => ({ ...item, at })).sort((a, b) => Number(a.flow) - Number(b.flow) || order[a.kind] - order[b.kind] || a.at - b.at);
}

function changeList(items) {
  if (items.length === 0) return el('span', { class: 'hint', text: 'Nothing that runs differently (the diagram may differ).' });
  const li = i => el('li', { class: i.kind, text: i.text });
  const counts = ['added', 'removed', 'changed'].map(k => [k, items.filter(i => i.kind === k).length]).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ');
  return el('div', { 'data-test': 'changes' },
    el('div', { class: 'hint', text: counts }),
    el('ul', { class: 'changes' }, ...items.slice(0, LISTED).map(li)),
    items.length > LISTED ? el('details', {}, el('summary', { text: `and ${items.length - LISTED} more` }), el('ul', { class: 'changes' }, ...items.slice(LISTED).map(li))) : null);
}

export function versionsTab(page, panel) {
  let opener = null;

  async function load() {
    const journey = page.journey;
    if (!journey) { panel.replaceChildren(el('p', { text: 'No journey is deployed yet.' })); return; }
    panel.replaceChildren(el('p', { class: 'hint', text: 'Loading the versions…' }));
    const versions = await api(`/api/definitions/${encodeURIComponent(journey)}/lifecycle`);
    const pinned = page.branch.pins?.[journey] ?? null;
    const runs = pinned ?? Math.max(...versions.map(v => v.version));
    // The newest versions' changes are read at once; older ones when asked (each reads two models and a comparison).
    const rows = await Promise.all(versions.map(async (v, at) => {
      let changed;
      try {
        changed = v.version === runs ? null : at < EAGER ? await changes(journey, runs, v.version) : undefined;
      } catch (error) {
        changed = error;
      }
      return { v, changed };
    }));
    if (journey !== page.journey) return; // another journey was picked meanwhile
    const pinnable = v => (v.stage === 'approved' || v.stage === 'rolledOut') && v.version !== pinned;
    panel.replaceChildren(
      el('h2', { tabindex: '-1', text: `${journey}: versions` }),
      el('p', { class: 'hint', text: pinned ? `This branch starts version ${pinned} of ${journey}; what changed is against it. Running cases stay on the version they started on until migrated.`
        : `This branch pins no version of ${journey}: it starts the latest, version ${runs}. What changed is against it.` }),
      el('div', { id: 'pin-confirm' }),
      el('table', { 'data-test': 'version-list' },
        el('thead', {}, el('tr', {}, ...['Version', 'Stage', 'Deployed', 'Approved', `What changed against version ${runs}`, ''].map(h => el('th', { text: h })))),
        el('tbody', {}, ...rows.map(({ v, changed }) => el('tr', { 'data-version': v.version, class: v.version === runs ? 'current' : '' },
          el('td', {}, el('strong', { text: `v${v.version}` }), v.version === pinned ? el('div', { class: 'pill', text: 'pinned here' }) : v.version === runs ? el('div', { class: 'pill', text: 'runs here' }) : null),
          el('td', { class: `stage-${v.stage}`, 'data-test': 'stage', text: stageWords[v.stage] || v.stage }),
          el('td', {}, when(v.deployedAt), v.deployedBy ? el('div', { class: 'hint', text: `by ${v.deployedBy}` }) : null),
          el('td', {}, v.approvedBy ? [when(v.approvedAt), el('div', { class: 'hint', text: `by ${v.approvedBy}: ${v.approvalReason || ''}` })] : '—'),
          el('td', {}, changed === null ? el('span', { class: 'hint', text: 'the version this branch starts' })
            : changed === undefined ? el('button', { type: 'button', onclick: e => later(e.currentTarget, v.version, runs) }, 'What changed?')
            : changed instanceof Error ? problemView(changed) : changeList(changed)),
          el('td', {}, pinnable(v)
            ? el('button', { type: 'button', 'data-test': 'pin', 'data-pin': v.version, onclick: e => confirm(v, runs, pinned, changed, e.currentTarget) }, `Pin version ${v.version}…`)
            : v.version === pinned ? '' : el('span', { class: 'hint', text: v.stage === 'deployed' ? 'not approved: cannot be pinned' : '' })))))));
  }

  async function later(button, version, runs) {
    const cell = button.parentElement;
    button.disabled = true;
    try {
      cell.replaceChildren(changeList(await changes(page.journey, runs, version)));
    } catch (error) {
      cell.replaceChildren(problemView(error));
    }
  }

  function confirm(v, runs, pinned, changed, button) {
    opener = button;
    const box = panel.querySelector('#pin-confirm');
    const journey = page.journey;
    const list = Array.isArray(changed) ? changed : [];
    const close = () => { box.replaceChildren(); opener?.focus(); };
    const form = el('form', { class: 'confirm', 'data-test': 'pin-confirm', 'aria-labelledby': 'pin-title' },
      el('h3', { id: 'pin-title', text: `Pin version ${v.version} of ${journey} for ${page.branch.name}?` }),
      el('p', { text: `New ${journey} cases in ${page.branch.id} will start on version ${v.version} instead of version ${runs}${pinned ? '' : ' (the latest today, unpinned)'}. Cases already running stay on version ${runs} until you migrate them.` }),
      list.length ? el('div', {}, el('div', { text: 'What changes for new cases:' }), changeList(list)) : null,
      el('div', { id: 'pin-problem' }),
      el('div', { class: 'actions-row' },
        el('button', { type: 'submit', class: 'primary', 'data-test': 'pin-yes' }, `Pin version ${v.version}`),
        el('button', { type: 'button', 'data-test': 'pin-no', onclick: close }, 'Cancel')));
    form.addEventListener('keydown', e => { if (e.key === 'Escape') close(); });
    form.addEventListener('submit', async event => {
      event.preventDefault();
      form.querySelector('[data-test=pin-yes]').disabled = true;
      try {
        await api(`/api/branches/${encodeURIComponent(page.branch.id)}/pins/${encodeURIComponent(journey)}`, { method: 'PUT', body: { version: v.version } });
        await page.reload();
        await load();
        page.message(`Pinned: new ${journey} cases in ${page.branch.id} start on version ${v.version}.`);
        panel.querySelector('h2')?.focus();
      } catch (error) {
        form.querySelector('#pin-problem').replaceChildren(problemView(error));
        form.querySelector('[data-test=pin-yes]').disabled = false;
      }
    });
    box.replaceChildren(form);
    form.querySelector('[data-test=pin-yes]').focus();
  }

  return { load };
}
