// The migration tab: the branch's running cases of a journey moved from one version to another. The plan maps each
// step of the source version to one of the target (the same id by default, editable); a dry run lists per case what
// would happen and every reason it cannot move; the run is a background migration whose progress is shown until it
// is done. The migration's id is kept in the browser, so that a reload (or a host restarted meanwhile) shows it again.
import { api, el, when } from './common.js';
import { elements, problemView } from './branch-model.js';

const PAGE = 50;
const key = branchId => `wf.branch.migration.${branchId}`;

export function migrationTab(page, panel) {
  let versions = [];        // the journey's versions, newest first
  let plan = null;          // { from, to, mappings: Map(source → target|'') }
  let models = null;        // { source, target }: elements by id
  let preview = null;       // { instances, next, planKey }
  let timer = null;         // the progress poll
  let progress = null;      // the running migration's last answer

  const $q = selector => panel.querySelector(selector);
  const planKey = () => JSON.stringify([page.branch.id, page.journey, plan.from, plan.to, [...plan.mappings]]);

  function reset() { plan = null; preview = null; }

  async function load() {
    const journey = page.journey;
    if (!journey) { panel.replaceChildren(el('p', { text: 'No journey is deployed yet.' })); return; }
    versions = (await api(`/api/definitions/${encodeURIComponent(journey)}/lifecycle`)).map(v => v.version);
    if (journey !== page.journey) return;
    const runs = page.branch.pins?.[journey] ?? versions[0];
    if (!plan) {
      // After a reload, the plan of the migration under way, else the newest other version to the one the branch runs.
      const saved = stored();
      plan = saved?.journey === journey && Array.isArray(saved.mappings) && versions.includes(saved.from) && versions.includes(saved.to)
        ? { from: saved.from, to: saved.to, mappings: new Map(saved.mappings) }
        : { from: versions.find(v => v !== runs) ?? runs, to: runs, mappings: new Map() };
    }
    await loadModels();
    render();
    resume();
  }

  async function loadModels() {
    const [source, target] = await Promise.all([elements(page.journey, plan.from), elements(page.journey, plan.to)]);
    models = { source, target };
    // Same ids by default: a step the target has keeps its id; one it lacks has no target until one is chosen.
    const mappings = new Map();
    for (const s of [...source.values()].filter(e => e.flowNode)) {
      const chosen = plan.mappings.get(s.id);
      mappings.set(s.id, chosen !== undefined && (chosen === '' || target.has(chosen)) ? chosen : target.has(s.id) ? s.id : '');
    }
    plan.mappings = mappings;
  }

  function versionSelect(id, value, label) {
    return [el('label', { for: id, text: label }),
      el('select', { id, 'data-test': id, onchange: async e => { plan[id === 'from-version' ? 'from' : 'to'] = Number(e.target.value); preview = null; await loadModels(); render(); $q(`#${id}`).focus(); } },
        ...versions.map(v => el('option', { value: v, selected: v === value, text: `version ${v}` })))];
  }

  function mappingTable() {
    const targets = [...models.target.values()].filter(e => e.flowNode);
    const rows = [...plan.mappings].sort(([a, x], [b, y]) => Number(x === a) - Number(y === b) || a.localeCompare(b));
    return el('div', { class: 'scroll' }, el('table', { 'data-test': 'mapping' },
      el('thead', {}, el('tr', {}, el('th', { text: `Step in version ${plan.from}` }), el('th', { text: `Becomes in version ${plan.to}` }))),
      el('tbody', {}, ...rows.map(([source, target]) => {
        const s = models.source.get(source);
        const id = `map-${source}`;
        return el('tr', { 'data-source': source, class: target === '' ? 'mapping-missing' : '' },
          el('td', {}, el('label', { for: id, text: s.name || s.id }), el('div', { class: 'hint', text: `${s.kind} · ${s.id}` })),
          el('td', {}, el('select', { id, 'data-map': source, onchange: e => { plan.mappings.set(source, e.target.value); preview = null; renderPreview(); e.target.closest('tr').className = e.target.value === '' ? 'mapping-missing' : ''; } },
            el('option', { value: '', selected: target === '', text: `— none in version ${plan.to} (a case there cannot move)` }),
            ...targets.map(t => el('option', { value: t.id, selected: t.id === target, text: `${t.name || t.id} (${t.kind}${t.id === source ? ', same id' : ` · ${t.id}`})` })))));
      }))));
  }

  // What the API takes: only the steps whose id changes; a step with no target keeps its id (and the dry run says why it cannot).
  const mappings = () => [...plan.mappings].filter(([s, t]) => t !== '' && t !== s).map(([source, target]) => ({ source, target }));
  const request = () => ({ journey: page.journey, targetVersion: plan.to, mappings: mappings(), selection: { version: plan.from, branch: page.branch.id } });

  function render() {
    const runs = page.branch.pins?.[page.journey] ?? versions[0];
    panel.replaceChildren(
      el('h2', { tabindex: '-1', text: `Migrate running ${page.journey} cases of ${page.branch.name}` }),
      el('div', { class: 'row' }, ...versionSelect('from-version', plan.from, 'From'), ...versionSelect('to-version', plan.to, 'to')),
      el('p', { class: 'hint', text: `Cases move only to the version ${page.branch.id} starts, version ${runs}: pin another one first to move cases to it. Each case moves whole or not at all; its tasks, clocks and timers keep their due times.` }),
      el('h3', { text: 'Steps and where they go' }),
      mappingTable(),
      el('div', { class: 'actions-row' },
        el('button', { type: 'button', 'data-test': 'same-ids', onclick: async () => { plan.mappings = new Map(); preview = null; await loadModels(); render(); $q('[data-test=same-ids]').focus(); } }, 'Back to the same ids'),
        el('button', { type: 'button', class: 'primary', 'data-test': 'dry-run', onclick: () => dryRun() }, 'Dry run')),
      el('div', { id: 'preview', 'data-test': 'preview' }),
      el('div', { id: 'progress', 'data-test': 'progress' }));
    renderPreview();
    renderProgress();
  }

  async function dryRun(more = false) {
    const box = $q('#preview');
    const asked = planKey();
    try {
      const answer = await api('/api/migrations/dry-run', { method: 'POST', body: { ...request(), max: PAGE, after: more ? preview.next : null } });
      if (asked !== planKey()) return; // the plan changed meanwhile
      preview = { instances: [...(more ? preview.instances : []), ...answer.instances], next: answer.next, planKey: asked };
      renderPreview();
      $q(more ? '[data-test=more-preview]' : '#preview h3')?.focus();
    } catch (error) {
      preview = null;
      box.replaceChildren(problemView(error));
    }
  }

  function renderPreview() {
    const box = $q('#preview');
    if (!box) return;
    if (!preview || preview.planKey !== planKey()) { box.replaceChildren(el('p', { class: 'hint', text: 'Run a dry run of this plan before migrating: nothing changes.' })); return; }
    const can = preview.instances.filter(i => i.canMigrate).length;
    const name = id => models.source.get(id)?.name || models.target.get(id)?.name;
    const named = id => (name(id) ? `“${name(id)}” (${id})` : id);
    // Reasons quote ids ('survey'); moves list them bare (register → register_complaint, opens chase on watched).
    // An id is named at its first mention only: "“Register and classify” (register) … has no element 'register'".
    const reason = text => { const seen = new Set(); return text.replace(/'([^']+)'/g, (m, id) => (name(id) && !seen.has(id) && seen.add(id) ? named(id) : m)); };
    const move = text => text.split(' ').map(w => (name(w) ? named(w) : w)).join(' ');
    const busy = progress && progress.state !== 'completed';
    box.replaceChildren(...[
      el('h3', { tabindex: '-1', 'data-test': 'preview-summary', text: `Dry run: ${preview.instances.length} running case${preview.instances.length === 1 ? '' : 's'} of version ${plan.from} looked at${preview.next ? ' so far' : ''}: ${can} can move, ${preview.instances.length - can} cannot.` }),
      preview.instances.length === 0 ? el('p', { text: `${page.branch.id} has no running ${page.journey} case on version ${plan.from}.` }) : el('div', { class: 'scroll' }, el('table', {},
        el('thead', {}, el('tr', {}, ...['Case', 'What happens', 'Why it cannot move'].map(h => el('th', { text: h })))),
        el('tbody', {}, ...preview.instances.map(i => el('tr', { 'data-instance': i.instanceId, 'data-can': String(i.canMigrate) },
          el('td', { class: 'case-id', text: i.instanceId }),
          el('td', {}, i.canMigrate ? el('ul', { class: 'moves' }, ...i.moves.map(m => el('li', { text: move(m) }))) : el('span', { text: `stays on version ${i.version}` })),
          el('td', {}, i.reasons.length ? el('ul', { class: 'reasons', 'data-test': 'reasons' }, ...i.reasons.map(r => el('li', { text: reason(r) }))) : '—')))))),
      preview.next ? el('button', { type: 'button', 'data-test': 'more-preview', onclick: () => dryRun(true) }, 'More cases') : null,
      el('label', { for: 'migration-reason', text: 'Reason (written to each case\'s history with your name)' }),
      el('textarea', { id: 'migration-reason', 'data-test': 'migration-reason', rows: 2, maxlength: 1000 }),
      el('div', { id: 'run-problem' }),
      el('div', { class: 'actions-row' },
        el('button', { type: 'button', class: 'primary', 'data-test': 'run', disabled: busy || can === 0, onclick: run },
          `Migrate ${page.branch.id}'s cases of version ${plan.from} to version ${plan.to}`),
        busy ? el('span', { class: 'hint', text: 'A migration of this branch is under way: wait for it to finish.' }) : null)].filter(Boolean));
  }

  async function run() {
    const reason = $q('#migration-reason').value.trim();
    if (!reason) { $q('#run-problem').replaceChildren(el('div', { class: 'field-error', role: 'alert', text: 'Say why: the reason goes into each case\'s history.' })); $q('#migration-reason').focus(); return; }
    $q('[data-test=run]').disabled = true;
    try {
      const batch = await api('/api/migrations', { method: 'POST', body: { ...request(), reason } });
      localStorage.setItem(key(page.branch.id), JSON.stringify({ id: batch.id, journey: page.journey, from: plan.from, to: plan.to, mappings: [...plan.mappings] }));
      progress = batch;
      renderProgress();
      $q('#progress').scrollIntoView({ block: 'nearest' });
      $q('#progress h3')?.focus();
      poll();
    } catch (error) {
      $q('#run-problem').replaceChildren(problemView(error));
      $q('[data-test=run]').disabled = false;
    }
  }

  function stored() {
    try { return JSON.parse(localStorage.getItem(key(page.branch.id)) || 'null'); } catch { return null; }
  }

  function resume() {
    const saved = stored();
    if (saved && !timer && (!progress || progress.id !== saved.id)) poll();
  }

  async function poll(wait = 0) {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const saved = stored();
      if (!saved) { timer = null; return; }
      try {
        progress = await api(`/api/migrations/${saved.id}`);
        progress.unreachable = false;
        if (progress.state === 'completed') {
          timer = null;
          preview = null; // what it showed has changed: the cases moved
          progress.results = await api(`/api/migrations/${saved.id}/results?max=200`);
        } else {
          poll(1000);
        }
      } catch (error) {
        if (error.status === 404 || error.status === 403 || error.status === 400) { localStorage.removeItem(key(page.branch.id)); progress = null; timer = null; }
        else { progress = { ...(progress || { id: saved.id }), unreachable: error }; poll(3000); } // the host may be restarting
      }
      renderProgress();
      renderPreview();
    }, wait);
  }

  function renderProgress() {
    const box = $q('#progress');
    if (!box) return;
    const saved = stored();
    if (!progress || !saved || progress.id !== saved.id) { box.replaceChildren(); return; }
    const p = progress;
    const finished = (p.done ?? 0) + (p.skipped ?? 0) + (p.failed ?? 0);
    const failed = (p.results || []).filter(r => r.status !== 'done');
    box.replaceChildren(el('div', { class: 'fieldset' },
      el('h3', { tabindex: '-1', text: `Migration of ${saved.journey} version ${saved.from} → ${saved.to}${p.state === 'completed' ? ': done' : p.state === 'paused' ? ': paused by an operator' : ': under way'}` }),
      p.total !== undefined ? el('div', { class: 'row' },
        el('progress', { max: p.total || 1, value: p.total ? finished : 1, 'aria-label': 'Cases migrated' }),
        el('span', { 'data-test': 'progress-text', role: 'status', text: `${finished} of ${p.total} cases: ${p.done} moved, ${p.skipped} skipped, ${p.failed} could not move${p.pending ? `, ${p.pending} to go` : ''}.` })) : null,
      p.unreachable ? el('div', { class: 'notice error', role: 'alert', text: `The server cannot be reached (${p.unreachable.message}); trying again. The migration goes on in the server: nothing is lost.` }) : null,
      p.completedAt ? el('p', { class: 'hint', text: `Finished ${when(p.completedAt)}; started ${when(p.createdAt)} by ${p.actor || 'someone'}.` }) : null,
      failed.length ? el('div', {}, el('div', { text: 'Cases that did not move, and why:' }),
        el('ul', { class: 'reasons', 'data-test': 'failed' }, ...failed.map(r => el('li', { text: `${r.instanceId} (${r.status}): ${r.detail || ''}` })))) : null,
      p.state === 'completed' ? el('button', { type: 'button', 'data-test': 'dismiss-migration', onclick: () => { localStorage.removeItem(key(page.branch.id)); progress = null; renderProgress(); renderPreview(); $q('[data-test=dry-run]')?.focus(); } }, 'Dismiss') : null));
  }

  return { load, reset };
}
