// The analyst's drafts on the server (/api/drafts) in the designer: listed in the library's menu and in a side view
// (open, rename, delete), the open diagram saved to its draft a moment after each change (against the revision it was
// opened or last saved at: a draft saved elsewhere since is a conflict shown here, never overwritten), the drafts a
// browser kept in localStorage before moved to the server once, and a question before anything replaces edits that
// are saved nowhere (opening a journey, a draft or a file; leaving or reloading the page).
import { api, el, setUnsavedWork, when } from './common.js';

const AUTOSAVE_MS = 1500;
const LOCAL_PREFIX = 'wf-draft:';

/**
 * @param {{ modeler: object, side: { open(kind: string, title: string): void }, open: (xml: string, processId: string|null) => Promise<void>,
 *           processId: () => string|null, refreshLibrary: () => Promise<void>, say: (text: string) => void }} designer
 */
export function draftKeeper({ modeler, side, open, processId, refreshLibrary, say }) {
  const $ = id => document.getElementById(id);
  // Every change of the command stack is a new generation of the diagram; the generation last saved (to the draft, or
  // deployed) is the one a reload would find again. An undo back to it still counts as a change: asking once too often
  // is better than losing an edit.
  let generation = 0;
  let savedGeneration = 0;
  let attached = null;   // { id, name, revision } of the draft the open diagram saves to
  let conflict = null;   // the 409 of the last save to the attached draft: autosave stops until the analyst chooses
  let failure = null;    // the last other refusal (413, the network): autosave tries again at the next change
  let lost = null;       // { name, message } of the open diagram's draft deleted elsewhere (a 404 on save): detached
  let timer = null;
  let inflight = null;

  const dirty = () => generation !== savedGeneration;

  function state(text, kind = '', title = '') {
    const node = $('draft-state');
    if (!node) return;
    node.textContent = text;
    node.title = title || text;
    node.dataset.state = kind;
  }

  let notice = null;      // what moving this browser's drafts did, shown until there is something else to say
  function describe() {
    if (!attached && !dirty() && notice) { state(...notice); return; }
    if (!attached && lost && dirty()) { state('not saved: draft deleted elsewhere', 'conflict', `${lost.message}: Save draft keeps the edits in a new draft`); return; }
    if (!attached) { state(dirty() ? 'not saved' : '', dirty() ? 'unsaved' : '', 'edits saved nowhere yet: Save draft keeps them on the server'); return; }
    if (conflict) { state('not saved: draft changed elsewhere', 'conflict', conflict.message); return; }
    if (failure) { state('not saved', 'failed', failure.message); return; }
    state(dirty() ? 'saving…' : `draft saved (r${attached.revision})`, dirty() ? 'pending' : 'saved',
      `“${attached.name}”, revision ${attached.revision}, on the server`);
  }

  modeler.on('commandStack.changed', ({ trigger }) => {
    if (trigger === 'clear') return;
    generation++;
    failure = null;
    describe();
    clearTimeout(timer);
    if (attached && !conflict) timer = setTimeout(() => flush(), AUTOSAVE_MS);
  });
  // Whatever was imported (a journey, a draft, a file, a blank diagram) is the saved state; a draft attaches after. An
  // import that failed replaced nothing (the designer checks a model before importing it and puts the diagram back if
  // bpmn-js still refuses it): the open diagram keeps its draft and its unsaved edits.
  let restoring = false;
  modeler.on('import.done', ({ error }) => {
    if (error || restoring) return;
    clearTimeout(timer);
    attached = null;
    conflict = failure = lost = null;
    savedGeneration = generation;
    describe();
  });

  async function putOnce() {
    const draft = attached;
    const at = generation;
    const { xml } = await modeler.saveXML({ format: true });
    try {
      const saved = await api(`/api/drafts/${draft.id}`, { method: 'PUT', body: { xml, revision: draft.revision, processId: processId() || null } });
      if (attached !== draft) return false;
      draft.revision = saved.revision;
      savedGeneration = at;
      return true;
    } catch (e) {
      if (attached !== draft) return false;
      if (e.status === 409) {
        conflict = e;
        await manage();
      } else if (e.status === 404) {
        // Deleted elsewhere (another tab's side view, another browser): nothing to save to any more. The edits stay
        // here, saved nowhere, and the next Save draft (or the question before they are replaced) makes a new draft.
        lost = { name: draft.name, message: `“${draft.name}” was deleted elsewhere` };
        attached = null;
        savedGeneration = -1;
        clearTimeout(timer);
        refreshLibrary().catch(() => {});
      } else {
        failure = e;
      }
      return false;
    } finally {
      describe();
    }
  }

  // The attached draft brought up to the diagram's generation: true when nothing is left unsaved.
  async function flush() {
    clearTimeout(timer);
    while (attached && !conflict && dirty()) {
      if (inflight) { await inflight; continue; }
      inflight = putOnce().finally(() => { inflight = null; });
      if (!await inflight) break;
    }
    return !dirty();
  }

  async function uniqueName(base) {
    const names = new Set((await api('/api/drafts')).map(d => d.name));
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base} (${n})`;
    return name;
  }

  // A new draft of the open diagram, which saves to it from now on.
  async function create(name) {
    const at = generation;
    const { xml } = await modeler.saveXML({ format: true });
    const draft = await api('/api/drafts', { method: 'POST', body: { name: await uniqueName(name), xml, processId: processId() || null } });
    attached = { id: draft.id, name: draft.name, revision: draft.revision };
    conflict = failure = notice = lost = null;
    savedGeneration = at;
    describe();
    if (dirty()) timer = setTimeout(() => flush(), AUTOSAVE_MS);
    await refreshLibrary();
    return attached;
  }

  // ------------------------------------------------------------------ the question before edits are replaced

  let dialog;
  function ask(what) {
    dialog ??= document.body.appendChild(el('dialog', { id: 'unsaved', class: 'unsaved-dialog', 'data-test': 'unsaved-dialog' },
      el('h2', { text: 'Edits not saved' }), el('p', { 'data-test': 'unsaved-what' }), el('p', { class: 'state-breached', 'data-test': 'unsaved-error' }),
      el('div', { class: 'row' },
        el('button', { class: 'primary', 'data-test': 'unsaved-save', value: 'save' }, 'Save as a draft, then continue'),
        el('button', { 'data-test': 'unsaved-discard', value: 'discard' }, 'Discard my edits'),
        el('button', { 'data-test': 'unsaved-cancel', value: 'cancel' }, 'Keep editing'))));
    dialog.querySelector('[data-test=unsaved-what]').textContent =
      `The diagram has edits that are saved nowhere${conflict ? ' (its draft was changed elsewhere)' : ''}: ${what} replaces them.`;
    dialog.querySelector('[data-test=unsaved-error]').textContent = '';
    return new Promise(resolve => {
      const buttons = [...dialog.querySelectorAll('button')];
      const done = answer => {
        buttons.forEach(b => { b.onclick = null; b.disabled = false; });
        dialog.oncancel = null;
        dialog.close();
        resolve(answer);
      };
      dialog.oncancel = event => { event.preventDefault(); done(false); };
      buttons.forEach(button => {
        button.onclick = async () => {
          if (button.value === 'cancel') return done(false);
          if (button.value === 'discard') return done(true);
          buttons.forEach(b => { b.disabled = true; });
          try {
            if (await saveSomewhere()) return done(true);
            dialog.querySelector('[data-test=unsaved-error]').textContent = `Not saved: ${(conflict || failure)?.message || 'try again'}`;
          } catch (e) {
            dialog.querySelector('[data-test=unsaved-error]').textContent = `Not saved: ${e.message}`;
          }
          buttons.forEach(b => { b.disabled = false; });
        };
      });
      dialog.showModal();
    });
  }

  /** True when what is described may replace the diagram: nothing unsaved, saved to its draft now, or the analyst chose. */
  async function guard(what) {
    if (!dirty()) return true;
    if (attached && !conflict && await flush()) return true;
    return ask(what);
  }

  // The name of a new draft for the open diagram: beside the draft it can no longer save to, else after its process.
  const newName = () => conflict && attached ? `${attached.name} (mine)` : lost ? lost.name : processId() || 'new diagram';

  /** The edits saved: to the attached draft, or (none, changed or deleted elsewhere) to a new one. True when saved. */
  async function saveSomewhere() {
    if (attached && !conflict) {
      const saved = await flush();
      if (attached || !lost) return saved;
    }
    await create(newName());
    return true;
  }

  setUnsavedWork(() => (dirty() ? 'The diagram has edits that are not saved yet (Save draft keeps them on the server).' : ''));

  addEventListener('beforeunload', event => {
    if (!dirty()) return;
    if (attached && !conflict) flush();
    event.preventDefault();
    event.returnValue = '';
  });

  // ------------------------------------------------------------------ opening, listing, renaming, deleting

  // A draft that cannot be read or opened (gone, not a diagram the designer can show) is said in the status line; the
  // open diagram, its draft and its edits stay as they were.
  async function openDraft(id, { force = false } = {}) {
    if (!force && !await guard('opening the draft')) return false;
    try {
      const draft = await api(`/api/drafts/${id}`);
      await open(draft.xml, draft.processId);
      attached = { id: draft.id, name: draft.name, revision: draft.revision };
      describe();
      return true;
    } catch (e) {
      say(`Draft not opened: ${e.message}`);
      if (e.status === 404) await refreshLibrary();
      return false;
    }
  }

  /** The drafts in the library's menu, after the deployed journeys, and the way to the side view that manages them. */
  async function listInto(library) {
    const drafts = await api('/api/drafts');
    const group = el('optgroup', { label: 'Your drafts (on the server)', 'data-test': 'draft-options' },
      ...drafts.map(d => el('option', { value: `draft:${d.id}` }, `${d.name} (draft${d.processId ? ' of ' + d.processId : ''}, r${d.revision})`)),
      el('option', { value: 'drafts:manage' }, 'Your drafts: open, rename, delete…'));
    library.append(group);
  }

  /** A menu choice of listInto: a draft opened (after the question when there are unsaved edits), or the side view. */
  async function choose(value, library) {
    if (value === 'drafts:manage') { library.value = ''; await manage(); return; }
    if (!await openDraft(value.slice('draft:'.length))) library.value = '';
  }

  function conflictNotice() {
    return el('div', { class: 'draft-conflict', 'data-test': 'draft-conflict' },
      el('p', { class: 'state-breached', text: `“${attached.name}” was saved elsewhere since this diagram opened it (${conflict.message}). Your edits are kept here and were not saved over it.` }),
      el('div', { class: 'row' },
        el('button', { class: 'primary', 'data-test': 'conflict-save-new', onclick: async () => { await create(`${attached.name} (mine)`); await manage(); } }, 'Save my edits as a new draft'),
        el('button', { 'data-test': 'conflict-open-saved', onclick: async () => { await openDraft(attached.id, { force: true }); } }, 'Open the saved draft (drops my edits)')));
  }

  function row(draft) {
    const open = attached?.id === draft.id;
    const nameCell = el('td', { 'data-test': 'draft-name' }, draft.name, open ? el('span', { class: 'muted', text: ' (open)' }) : null);
    const rename = () => {
      const input = el('input', { value: draft.name, 'data-test': 'draft-rename-input', 'aria-label': 'new name' });
      const save = async () => {
        try {
          const renamed = await api(`/api/drafts/${draft.id}`, { method: 'PATCH', body: { name: input.value.trim() } });
          if (attached?.id === draft.id) { attached.name = renamed.name; describe(); }
          await refreshLibrary();
          await manage();
        } catch (e) {
          nameCell.querySelector('.state-breached')?.remove();
          nameCell.append(el('span', { class: 'state-breached', text: ` ${e.message}` }));
        }
      };
      input.addEventListener('keydown', event => { if (event.key === 'Enter') save(); if (event.key === 'Escape') manage(); });
      nameCell.replaceChildren(input, el('button', { 'data-test': 'draft-rename-save', onclick: save }, 'Save name'));
      input.focus();
    };
    const remove = async button => {
      if (button.dataset.confirm !== 'yes') { button.dataset.confirm = 'yes'; button.textContent = 'Delete for good?'; return; }
      await api(`/api/drafts/${draft.id}`, { method: 'DELETE' });
      // The open diagram's draft is gone: its content is now saved nowhere.
      if (attached?.id === draft.id) { attached = null; conflict = null; savedGeneration = -1; describe(); }
      await refreshLibrary();
      await manage();
    };
    return el('tr', { 'data-draft': draft.id, class: open ? 'picked' : '' }, nameCell,
      el('td', { text: draft.processId || '—' }), el('td', { text: `r${draft.revision}` }), el('td', { text: when(draft.savedAt) }),
      el('td', { class: 'row' },
        el('button', { 'data-test': 'draft-open', onclick: () => openDraft(draft.id) }, 'Open'),
        el('button', { 'data-test': 'draft-rename', onclick: rename }, 'Rename'),
        el('button', { 'data-test': 'draft-delete', onclick: event => remove(event.currentTarget) }, 'Delete')));
  }

  /** The side view of the analyst's drafts, with the conflict of the open one first when there is one. */
  async function manage() {
    side.open('drafts', 'Your drafts');
    const box = $('side-drafts');
    try {
      const drafts = await api('/api/drafts');
      box.replaceChildren(conflict && attached ? conflictNotice() : '',
        drafts.length
          ? el('table', { 'data-test': 'draft-list' }, el('tr', {}, ...['name', 'process', 'revision', 'saved', ''].map(h => el('th', { text: h }))), ...drafts.map(row))
          : el('p', { text: 'No drafts yet: Save draft keeps the open diagram here, and saves it again after each change.' }));
    } catch (e) {
      box.replaceChildren(el('p', { class: 'state-breached', text: e.message }));
    }
  }

  /**
   * Save draft: to the open diagram's draft, or a new one named after its process (or after the draft it replaces, when
   * that one was changed or deleted elsewhere). A message for the status line.
   */
  async function saveNow() {
    if (attached && !conflict) {
      await flush();
      if (attached) return failure ? `draft not saved: ${failure.message}` : `draft “${attached.name}” saved (revision ${attached.revision})`;
    }
    const draft = await create(newName());
    return `draft “${draft.name}” saved on the server`;
  }

  /** Runs <reimport>, the open diagram put back after a failed import: its draft and unsaved state stay. */
  async function restore(reimport) {
    restoring = true;
    try { return await reimport(); } finally { restoring = false; }
  }

  /** The diagram's generation now: taken with the XML sent to be deployed, for deployed(). */
  const current = () => generation;

  /**
   * The diagram was deployed as it was at generation <at> (taken with its XML): that much is safe, an edit made while the
   * deployment was on its way is not; the draft, when the diagram has one, catches up with every edit.
   */
  function deployed(at) {
    if (attached && !conflict) flush();
    else savedGeneration = Math.max(savedGeneration, at);
    describe();
  }

  /** The drafts this browser kept before drafts lived on the server, moved there once (a refused one stays, renamed). */
  async function migrate() {
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) if (localStorage.key(i).startsWith(LOCAL_PREFIX)) keys.push(localStorage.key(i));
    const moved = [], kept = [];
    for (const key of keys) {
      const raw = localStorage.getItem(key);
      localStorage.removeItem(key);
      const id = key.slice(LOCAL_PREFIX.length);
      const process = id && id !== 'null' && id !== 'undefined' ? id : null;
      let xml = null;
      try { xml = JSON.parse(raw)?.xml; } catch { /* not a draft this page wrote */ }
      try {
        if (!xml) throw Object.assign(new Error('not a diagram'), { status: 400 });
        await api('/api/drafts', { method: 'POST', body: { name: `${process || 'a diagram'} (from this browser)`, xml, processId: process } });
        moved.push(process || 'a diagram');
      } catch (e) {
        // Refused for good (400, 413): kept aside so it is not offered again; the network or the server: next time.
        localStorage.setItem(e.status >= 400 && e.status < 500 ? `wf-draft-refused:${id}` : key, raw);
        kept.push(`${process || 'a diagram'}: ${e.message}`);
      }
    }
    if (moved.length || kept.length) {
      notice = [`${moved.length} draft${moved.length === 1 ? '' : 's'} moved from this browser to the server`, kept.length ? 'failed' : 'saved',
        [moved.length ? `moved: ${moved.join(', ')}` : '', kept.length ? `not moved: ${kept.join('; ')}` : ''].filter(Boolean).join(' · ')];
      describe();
    }
  }

  $('draft-state')?.addEventListener('click', () => manage());
  return { guard, listInto, choose, manage, saveNow, current, deployed, restore, migrate, dirty };
}
