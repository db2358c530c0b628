// The analyst's drafts on the server (/api/drafts: her own, whichever browser she signs in from) and the guard on
// unsaved edits: anything that would replace the edited diagram (a journey from the library, a file, a draft, a new
// diagram) asks first, and so does the browser on reload or close. An open draft is saved again a few seconds after
// each edit, against the revision it was opened at, so two tabs never overwrite each other silently.
import { api, el } from './common.js';

const AUTOSAVE_MS = 2500;

/**
 * @param {{ modeler: object, status: HTMLElement, current: () => { processId: string|null }, open: (xml: string|null, processId?: string|null) => Promise<void> }} options
 *   open(xml, processId) imports a diagram (a new one when xml is null) without asking: the guard is asked here first.
 */
export function draftsOf({ modeler, status, current, open }) {
  const $ = id => document.getElementById(id);
  const commandStack = modeler.get('commandStack');
  // What the diagram is saved as: the server draft open (id, name, revision), if any, and the command stack's position
  // when it was last saved, deployed or opened; the diagram is edited when the stack is elsewhere.
  let draft = null;
  let cleanAt = -1;
  let cleanXml = Promise.resolve(null);
  let edited = false;
  let autosave = null;
  let saving = Promise.resolve();

  // The command stack's index is the one place that tells an undo back to the saved diagram from a new edit.
  const position = () => commandStack._stackIdx ?? -2;

  // An import clears the stack (trigger 'clear'): that is no edit, and whoever opened the diagram marks it clean.
  modeler.on('commandStack.changed', ({ trigger }) => {
    if (trigger === 'clear') return;
    edited = position() !== cleanAt;
    show();
    clearTimeout(autosave);
    if (edited && draft && !draft.conflict) autosave = setTimeout(() => { save({ auto: true }); }, AUTOSAVE_MS);
  });

  function markClean() {
    cleanAt = position();
    cleanXml = xmlNow();
    edited = false;
    show();
  }

  const xmlNow = () => modeler.saveXML({ format: true }).then(r => r.xml, () => null);

  function show() {
    document.body.dataset.edited = edited ? 'yes' : 'no';
    $('draft-name').textContent = draft ? `${draft.name}${edited ? ' •' : ''}` : edited ? 'unsaved •' : '';
    $('draft-name').title = draft ? `draft "${draft.name}", revision ${draft.revision}${edited ? ', with edits not saved yet' : ''}` : edited ? 'edits not saved in a draft' : '';
  }

  // ---------------------------------------------------------------- the guard

  // Whether the edited diagram may be replaced: at once when nothing is unsaved, else the analyst chooses to keep
  // editing (false), to save a draft first, or to discard her edits.
  async function mayReplace(what) {
    await settlePanel();
    await saving;
    // The stack's position can miss an edit (an undo and a new edit land on the same index): the XML says for sure.
    if (!edited && await xmlNow() !== await cleanXml) edited = true;
    if (edited && !await ask(what)) return false;
    clearTimeout(autosave);
    return true;
  }

  async function ask(what) {
    const dialog = $('unsaved');
    $('unsaved-what').textContent = what;
    $('unsaved-draft').textContent = draft ? `the draft "${draft.name}"` : 'a new draft';
    dialog.returnValue = 'keep';
    dialog.showModal();
    const choice = await new Promise(resolve => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
    if (choice === 'discard') return true;
    if (choice === 'save') return save();
    return false;
  }

  window.addEventListener('beforeunload', event => {
    if (!edited) return;
    event.preventDefault();
    event.returnValue = '';
  });

  // A value typed in the properties panel reaches the diagram a moment later (the panel debounces its input) or when the
  // field loses the focus: before the diagram is judged or saved, the field lets go and the value lands.
  async function settlePanel() {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !active.closest('#properties-panel')) return;
    active.blur();
    await new Promise(resolve => setTimeout(resolve, 400));
  }

  // ---------------------------------------------------------------- saving

  // Saves the diagram: into the open draft at its revision, else as a new draft named after its process. True when saved.
  function save({ auto = false } = {}) {
    clearTimeout(autosave);
    const run = saving.then(async () => {
      if (!auto) await settlePanel();
      if (auto && (!draft || !edited || draft.conflict)) return true;
      const at = position();
      const { xml } = await modeler.saveXML({ format: true });
      const processId = current().processId;
      try {
        if (draft && !draft.conflict) {
          const saved = await api(`/api/drafts/${draft.id}`, { method: 'PUT', body: { xml, revision: draft.revision, processId } });
          draft = { id: saved.id, name: saved.name, revision: saved.revision };
        } else {
          const name = draft?.conflict ? `${draft.name} (copy of ${new Date().toLocaleString()})` : `${processId || 'diagram'} · ${new Date().toLocaleString()}`;
          const saved = await api('/api/drafts', { method: 'POST', body: { name, xml, processId } });
          draft = { id: saved.id, name: saved.name, revision: saved.revision };
        }
        // Edits made while the save was on its way stay edits.
        cleanAt = at;
        cleanXml = Promise.resolve(xml);
        edited = position() !== cleanAt;
        show();
        status.textContent = `${auto ? 'saved' : 'draft saved'}: "${draft.name}" (revision ${draft.revision})`;
        if (!$('drafts-menu').hidden) await list();
        return true;
      } catch (e) {
        if (e.status === 409 && draft) {
          draft.conflict = true;
          status.textContent = `Not saved: ${e.message}. Save draft keeps this diagram as a new draft.`;
        } else {
          status.textContent = `Not saved: ${e.message}`;
        }
        return false;
      }
    });
    saving = run.catch(() => false);
    return run;
  }

  // ---------------------------------------------------------------- the list

  async function openDraft(id) {
    if (!await mayReplace('open this draft')) return;
    const stored = await api(`/api/drafts/${id}`);
    draft = null;
    await open(stored.xml, stored.processId);
    draft = { id: stored.id, name: stored.name, revision: stored.revision };
    markClean();
    closeMenu();
    status.textContent = `draft "${stored.name}" open (revision ${stored.revision})`;
  }

  function row(d) {
    const name = el('button', { class: 'link', 'data-test': 'draft-open', title: 'open this draft', onclick: () => openDraft(d.id) }, d.name);
    const rename = el('button', { 'data-test': 'draft-rename', title: 'rename' }, 'Rename');
    const remove = el('button', { 'data-test': 'draft-delete', title: 'delete' }, 'Delete');
    const tr = el('tr', { 'data-draft': d.id },
      el('td', {}, name, el('div', { class: 'muted', text: `${d.processId || 'no process id'} · saved ${new Date(d.savedAt).toLocaleString()} · ${Math.ceil(d.bytes / 1024)} KB` })),
      el('td', { class: 'actions' }, rename, remove));
    rename.addEventListener('click', () => {
      const input = el('input', { value: d.name, 'data-test': 'draft-new-name', 'aria-label': 'new name', maxlength: 200 });
      const commit = async () => {
        try {
          const renamed = await api(`/api/drafts/${d.id}`, { method: 'PATCH', body: { name: input.value } });
          if (draft?.id === d.id) { draft.name = renamed.name; show(); }
          status.textContent = `draft renamed "${renamed.name}"`;
          await list();
        } catch (e) { status.textContent = `Not renamed: ${e.message}`; }
      };
      input.addEventListener('keydown', event => {
        if (event.key === 'Enter') commit();
        if (event.key === 'Escape') list();
      });
      name.replaceWith(input);
      rename.replaceWith(el('button', { 'data-test': 'draft-rename-save', onclick: commit }, 'Save name'));
      input.focus();
      input.select();
    });
    // Deleting asks once more in place: the button turns into a confirmation for a few seconds.
    remove.addEventListener('click', async () => {
      if (!remove.classList.contains('confirm')) {
        remove.classList.add('confirm');
        remove.textContent = 'Really delete?';
        setTimeout(() => { remove.classList.remove('confirm'); remove.textContent = 'Delete'; }, 4000);
        return;
      }
      try {
        await api(`/api/drafts/${d.id}`, { method: 'DELETE' });
        if (draft?.id === d.id) { draft = null; edited = true; cleanAt = -2; show(); }
        status.textContent = `draft "${d.name}" deleted`;
        await list();
      } catch (e) { status.textContent = `Not deleted: ${e.message}`; }
    });
    return tr;
  }

  async function list() {
    const drafts = await api('/api/drafts');
    const box = $('drafts-list');
    box.replaceChildren(drafts.length
      ? el('table', { 'data-test': 'drafts-table' }, ...drafts.map(row))
      : el('p', { class: 'muted', text: 'No drafts yet: "Save draft" keeps the diagram here, for you only, from any browser.' }));
  }

  function closeMenu() { $('drafts-menu').hidden = true; }

  $('drafts').addEventListener('click', async () => {
    const menu = $('drafts-menu');
    menu.hidden = !menu.hidden;
    if (!menu.hidden) await list();
  });
  $('drafts-close').addEventListener('click', closeMenu);
  $('save-draft').addEventListener('click', () => save());
  $('new-diagram').addEventListener('click', async () => {
    if (!await mayReplace('start a new diagram')) return;
    await open(null);
    draft = null;
    markClean();
  });

  // Drafts earlier builds kept in this browser's storage move to the server once, named as they were; the browser's copy
  // goes only when the server has kept it.
  async function moveBrowserDrafts() {
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) if (localStorage.key(i).startsWith('wf-draft:')) keys.push(localStorage.key(i));
    for (const key of keys) {
      try {
        const { xml, savedAt } = JSON.parse(localStorage.getItem(key));
        await api('/api/drafts', { method: 'POST', body: { name: `${key.slice(9)} (kept in this browser until ${savedAt?.slice(0, 10) || 'now'})`, xml, processId: key.slice(9) } });
        localStorage.removeItem(key);
      } catch (e) {
        status.textContent = `a draft kept in this browser (${key.slice(9)}) could not move to the server: ${e.message}`;
      }
    }
  }

  return {
    mayReplace,
    save,
    markClean,
    moveBrowserDrafts,
    /** The diagram was opened from elsewhere (library, file): no draft is open any more. */
    opened() { draft = null; markClean(); },
    get edited() { return edited; },
    get draft() { return draft && { ...draft }; },
    list,
  };
}
