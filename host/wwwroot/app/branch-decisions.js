// The decisions tab: the rules the branch's journeys decide with (DMN decision tables), the version of each the branch
// uses — its pin, else the standard the server names (the first version approved, then the last one rolled out) — every version with its stage, who approved it and why, and
// what each changes against the version used here, rule by rule; an approved version is pinned (or the pin removed)
// after a confirmation. The decision rollouts that include the branch are on the rollouts tab.
import { api, el, when } from './common.js';
import { problemView, stageWords } from './branch-model.js';

const LISTED = 6;

/** The standard: the version the server marks (what a branch without a pin evaluates), else the newest while none is approved. */
export function standardVersion(versions) {
  return versions.find(v => v.standard)?.version ?? Math.max(...versions.map(v => v.version));
}

/** The version the branch uses: its pin, else the standard. */
export function usedVersion(versions, pinned) {
  return pinned != null ? pinned : standardVersion(versions);
}

function changeList(changes) {
  if (changes.length === 0) return el('span', { class: 'hint', text: 'No rule decides differently.' });
  const kind = c => c.kind.endsWith('-added') ? 'added' : c.kind.endsWith('-removed') ? 'removed' : 'changed';
  const li = c => el('li', { class: kind(c), text: c.text });
  return el('div', { 'data-test': 'decision-changes' },
    el('ul', { class: 'changes' }, ...changes.slice(0, LISTED).map(li)),
    changes.length > LISTED ? el('details', {}, el('summary', { text: `and ${changes.length - LISTED} more` }), el('ul', { class: 'changes' }, ...changes.slice(LISTED).map(li))) : null);
}

export function decisionsTab(page, panel) {
  let opener = null;

  async function load() {
    panel.replaceChildren(el('p', { class: 'hint', text: 'Loading the decisions…' }));
    const [all, checked, callers] = await Promise.all([api('/api/decisions'), api(`/api/branches/${encodeURIComponent(page.branch.id)}/decision-pins`),
      api(`/api/branches/${encodeURIComponent(page.branch.id)}/decision-callers`)]);
    // The tasks whose binding does not follow the version used here (deployment, a version tag): the pin does not
    // govern them, so the page says what their cases decide with instead of claiming the pin for them.
    const otherwise = (id, used) => callers.filter(c => c.decisionId === id && c.version !== used);
    const bindingWords = c => c.binding === 'deployment' ? 'bound to the version deployed with the journey'
      : c.binding === 'versionTag' ? `bound to version tag “${c.versionTag}”` : 'following the pin';
    const otherwiseLine = (id, used) => {
      const others = otherwise(id, used);
      return others.length === 0 ? null : el('ul', { 'data-test': 'decision-callers-otherwise' }, ...others.map(c => el('li', {
        text: `${c.journey} v${c.journeyVersion}, task “${c.elementName || c.elementId}” (${bindingWords(c)}) decides with ${c.version != null ? `version ${c.version}` : 'no version: its cases stop on an incident'}.` })));
    };
    const byId = new Map();
    for (const v of all) (byId.get(v.decisionId) ?? byId.set(v.decisionId, []).get(v.decisionId)).push(v);
    // Each pin checked again by the server against what is deployed now (a version lost, never approved, or refused by today's checks).
    const problems = new Map(checked.filter(p => p.problem).map(p => [p.decisionId, p.problem]));
    const problemLine = id => problems.has(id) ? el('p', { class: 'field-error', 'data-test': 'decision-pin-problem', role: 'alert', text: problems.get(id) }) : null;
    // A pin on a decision no longer deployed at all has no versions to list: it is shown alone, to be removed.
    const orphans = checked.filter(p => !byId.has(p.decisionId)).map(p => el('section', { class: 'fieldset', 'data-decision': p.decisionId },
      el('h3', { text: p.decisionId }), problemLine(p.decisionId),
      el('button', { type: 'button', 'data-test': 'decision-unpin', onclick: e => confirm(p.decisionId, null, p.version, e.currentTarget) }, 'Remove the pin…')));
    if (byId.size === 0 && orphans.length === 0) { panel.replaceChildren(el('h2', { tabindex: '-1', text: 'Decisions' }), el('p', { text: 'No decision is deployed yet.' })); return; }
    const pins = page.branch.decisionPins || {};
    const sections = await Promise.all([...byId.entries()].sort(([a], [b]) => a.localeCompare(b)).map(async ([id, versions]) => {
      versions.sort((a, b) => b.version - a.version);
      const pinned = pins[id] ?? null;
      const used = usedVersion(versions, pinned);
      const rows = await Promise.all(versions.map(async v => {
        let changed = null;
        if (v.version !== used) {
          try { changed = (await api(`/api/decisions/${encodeURIComponent(id)}/compare?from=${used}&to=${v.version}`)).changes; } catch (error) { changed = error; }
        }
        return { v, changed };
      }));
      // The version used here is not offered again: pinned, it is pinned already; unpinned, it is the standard the
      // branch follows, and a pin on it would only look like a change.
      const pinnable = v => v.stage !== 'deployed' && v.version !== used;
      return el('section', { class: 'fieldset', 'data-decision': id },
        el('h3', { text: `${versions[0].name || id} (${id})` }),
        el('p', { 'data-test': 'decision-used', text: pinned != null ? `${page.branch.id} pins version ${pinned}: its evaluations and the business rule tasks bound to the latest version use it${otherwise(id, pinned).length ? '; not these tasks:' : '.'}`
          : versions.some(v => v.standard) ? `${page.branch.id} pins no version: it uses the standard, version ${used}${otherwise(id, used).length ? ', except these tasks:' : '.'}`
            : `No version of ${id} is approved: ${page.branch.id}'s business rule tasks bound to the latest version stop on an incident naming it, and its evaluations are refused, until another analyst approves one.` }),
        otherwiseLine(id, used),
        problemLine(id),
        pinned != null ? el('button', { type: 'button', 'data-test': 'decision-unpin', onclick: e => confirm(id, null, used, e.currentTarget, null, standardVersion(versions)) }, 'Use the standard again…') : null,
        el('table', { 'data-test': 'decision-versions' },
          el('thead', {}, el('tr', {}, ...['Version', 'Stage', 'Deployed', 'Approved', `What changed against version ${used}`, ''].map(h => el('th', { text: h })))),
          el('tbody', {}, ...rows.map(({ v, changed }) => el('tr', { 'data-version': v.version, class: v.version === used ? 'current' : '' },
            el('td', {}, el('strong', { text: `v${v.version}` }), v.versionTag ? el('div', { class: 'hint', text: v.versionTag }) : null,
              v.version === pinned ? el('div', { class: 'pill', text: 'pinned here' }) : v.version === used ? el('div', { class: 'pill', text: 'used here' }) : null,
              v.standard ? el('div', { class: 'hint', 'data-test': 'decision-standard', text: 'the standard' }) : null),
            el('td', { class: `stage-${v.stage}`, 'data-test': 'stage', text: stageWords[v.stage] || v.stage }),
            el('td', {}, when(v.deployedAt), v.deployedBy ? el('div', { class: 'hint', text: `by ${v.deployedBy}` }) : null),
            el('td', {}, v.approvedBy ? [when(v.approvedAt), el('div', { class: 'hint', text: `by ${v.approvedBy}: ${v.approvalReason || ''}` })] : '—'),
            el('td', {}, changed === null ? el('span', { class: 'hint', text: 'the version this branch uses' })
              : changed instanceof Error ? problemView(changed) : changeList(changed)),
            el('td', {}, pinnable(v)
              ? el('button', { type: 'button', 'data-test': 'decision-pin', 'data-pin': v.version, onclick: e => confirm(id, v.version, used, e.currentTarget, changed) }, `Pin version ${v.version}…`)
              : v.version === pinned ? '' : el('span', { class: 'hint', 'data-test': 'decision-no-pin',
                text: v.stage === 'deployed' ? 'not approved: cannot be pinned' : v.version === used ? 'the standard: used here without a pin' : '' })))))));
    }));
    panel.replaceChildren(el('h2', { tabindex: '-1', text: `Decisions used by ${page.branch.name}` }),
      el('p', { class: 'hint', text: 'A pin takes effect at the next evaluation, also in cases already running.' }),
      el('div', { id: 'decision-confirm' }), ...orphans, ...sections);
  }

  function confirm(id, version, used, button, changed, standard) {
    opener = button;
    const box = panel.querySelector('#decision-confirm');
    const close = () => { box.replaceChildren(); opener?.focus(); };
    const title = version == null ? `Use the standard version of ${id} again in ${page.branch.name}?` : `Pin version ${version} of ${id} for ${page.branch.name}?`;
    const form = el('form', { class: 'confirm', 'data-test': 'decision-confirm', 'aria-labelledby': 'decision-title' },
      el('h3', { id: 'decision-title', text: title }),
      el('p', { text: version == null ? `The pin on version ${used} is removed: ${page.branch.id} then uses the standard${standard != null ? `, version ${standard}` : ''}.`
        : `Every ${id} evaluation in ${page.branch.id} — new cases and the next step of running ones — will use version ${version} instead of version ${used}.` }),
      Array.isArray(changed) && changed.length ? el('div', {}, el('div', { text: 'What decides differently:' }), changeList(changed)) : null,
      el('div', { id: 'decision-problem' }),
      el('div', { class: 'actions-row' },
        el('button', { type: 'submit', class: 'primary', 'data-test': 'decision-yes' }, version == null ? 'Remove the pin' : `Pin version ${version}`),
        el('button', { type: 'button', 'data-test': 'decision-no', onclick: close }, 'Cancel')));
    form.addEventListener('keydown', e => { if (e.key === 'Escape') close(); });
    form.addEventListener('submit', async event => {
      event.preventDefault();
      form.querySelector('[data-test=decision-yes]').disabled = true;
      try {
        const path = `/api/branches/${encodeURIComponent(page.branch.id)}/decision-pins/${encodeURIComponent(id)}`;
        await api(path, version == null ? { method: 'DELETE' } : { method: 'PUT', body: { version } });
        await page.reload();
        await load();
        page.message(version == null ? `${page.branch.id} uses the standard version of ${id} again.` : `Pinned: ${page.branch.id} evaluates ${id} with version ${version}.`);
        panel.querySelector('h2')?.focus();
      } catch (error) {
        form.querySelector('#decision-problem').replaceChildren(problemView(error));
        form.querySelector('[data-test=decision-yes]').disabled = false;
      }
    });
    box.replaceChildren(form);
    form.querySelector('[data-test=decision-yes]').focus();
  }

  return { load };
}
