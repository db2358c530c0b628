// The designer's layout: the properties panel resized by its drag handle (the width remembered in this browser), the
// file chooser and the status kept on the toolbar's one line, a diagram opened fitted clear of the palette, and the
// canvas's keyboard shortcuts listed in a popover. Nothing here changes the diagram.
import { el } from './common.js';

const WIDTH_KEY = 'wf-designer-panel-width';
const DEFAULT_WIDTH = 380;
const MIN_WIDTH = 300;
// The canvas keeps at least this much of the page beside a widened panel.
const MIN_CANVAS = 480;
const MARGIN = 16;

/** The panel's width within its bounds for a window of the current size. */
function clampWidth(width) {
  const max = Math.max(MIN_WIDTH, Math.min(900, window.innerWidth - MIN_CANVAS));
  return Math.round(Math.min(max, Math.max(MIN_WIDTH, width)));
}

/**
 * A handle on the properties panel's left edge: dragged (or moved by the arrow keys when focused) it sets the panel's
 * width, remembered for the next visit; a double click gives the default width back.
 */
function resizablePanel(main, panel, resized) {
  let width = clampWidth(Number(localStorage.getItem(WIDTH_KEY)) || DEFAULT_WIDTH);
  const handle = el('div', { class: 'panel-resizer', role: 'separator', tabindex: '0', 'aria-orientation': 'vertical', 'aria-label': 'Width of the properties panel', title: 'Drag to resize the panel (double click: default width)', 'data-test': 'panel-resizer' });
  const apply = (next, remember) => {
    width = clampWidth(next);
    main.style.setProperty('--wf-panel-width', `${width}px`);
    handle.setAttribute('aria-valuenow', String(width));
    if (remember) localStorage.setItem(WIDTH_KEY, String(width));
    resized();
  };
  handle.addEventListener('pointerdown', down => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    document.body.classList.add('resizing-panel');
    const startX = down.clientX, startWidth = width;
    const move = event => apply(startWidth + (startX - event.clientX), false);
    const up = () => {
      handle.removeEventListener('pointermove', move);
      document.body.classList.remove('resizing-panel');
      apply(width, true);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up, { once: true });
    handle.addEventListener('pointercancel', up, { once: true });
  });
  handle.addEventListener('dblclick', () => apply(DEFAULT_WIDTH, true));
  handle.addEventListener('keydown', event => {
    const step = event.shiftKey ? 64 : 16;
    if (event.key === 'ArrowLeft') apply(width + step, true);
    else if (event.key === 'ArrowRight') apply(width - step, true);
    else return;
    event.preventDefault();
  });
  window.addEventListener('resize', () => apply(width, false));
  panel.prepend(handle);
  apply(width, false);
}

/**
 * The toolbar on one line from 1280 px wide: the file input shown as a button (its own control is as wide as a file
 * name), and what is not an action on the diagram moved to the page's header — the status line (taking the header's free
 * room, cut with an ellipsis, its whole text in its tooltip) and the link to the decisions page.
 */
function compactToolbar() {
  const file = document.getElementById('file');
  file.classList.add('visually-hidden');
  file.before(el('label', { for: 'file', class: 'file-button', tabindex: '0', 'data-test': 'file-button', title: 'open a BPMN file from this computer', text: 'Open a file…',
    onkeydown: event => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); file.click(); } } }));
  const status = document.getElementById('status');
  const title = document.querySelector('header.top h1');
  // The draft's state too: its text changes with every edit ("not saved", "saving…"), and on the toolbar it would move
  // the buttons after it under the pointer — a click on Validate or Side by side right after a panel edit (whose blur
  // commits the edit between the press and the release) then landed on nothing.
  if (title) title.after(...[document.querySelector('[data-test=to-decisions]'), document.getElementById('draft-state'), status].filter(Boolean));
  status.setAttribute('role', 'status');
  new MutationObserver(() => { status.title = status.textContent; }).observe(status, { childList: true, characterData: true, subtree: true });
}

// The canvas's shortcuts (bpmn-js's keyboard bindings, active while the canvas has the focus: a click on it gives it).
const SHORTCUTS = [
  ['Ctrl Z', 'undo'], ['Ctrl Y or Ctrl Shift Z', 'redo'], ['Ctrl A', 'select every element'], ['Ctrl C, Ctrl V', 'copy, paste'],
  ['Delete or Backspace', 'remove the selected elements'], ['Arrows (Shift: faster)', 'move the selected elements'],
  ['Ctrl arrows', 'move the canvas'], ['Ctrl +, Ctrl −, Ctrl 0', 'zoom in, out, back to 100%'], ['Ctrl F', 'find an element by name'],
  ['E', 'edit the selected element\'s label'], ['R', 'replace the selected element (change its type)'],
  ['H, L, S, C', 'hand, lasso, space and connect tools'], ['T', 'start or stop the token simulation'], ['Escape', 'leave a tool, close a popover'],
];

/** A "Shortcuts" button on the toolbar whose popover lists the canvas's keyboard shortcuts. */
function shortcutsHelp(focusCanvas) {
  const popover = el('div', { class: 'shortcuts-popover', role: 'dialog', 'aria-label': 'Keyboard shortcuts', 'data-test': 'shortcuts', hidden: '' },
    el('h2', { text: 'Keyboard shortcuts' }),
    el('p', { class: 'muted', text: 'On the canvas, once a click on it has given it the focus (Cmd for Ctrl on a Mac).' }),
    el('table', {}, ...SHORTCUTS.map(([keys, what]) => el('tr', {}, el('td', {}, el('kbd', { text: keys })), el('td', { text: what })))));
  const button = el('button', { type: 'button', class: 'shortcuts-button', 'aria-expanded': 'false', 'aria-haspopup': 'dialog', title: 'keyboard shortcuts of the canvas', 'data-test': 'shortcuts-open', text: '?' });
  const close = () => { popover.hidden = true; button.setAttribute('aria-expanded', 'false'); };
  button.addEventListener('click', () => {
    popover.hidden = !popover.hidden;
    button.setAttribute('aria-expanded', String(!popover.hidden));
  });
  document.addEventListener('keydown', event => {
    if (event.key === 'Escape' && !popover.hidden) { close(); focusCanvas(); }
  });
  document.addEventListener('pointerdown', event => {
    if (!popover.hidden && !popover.contains(event.target) && event.target !== button) close();
  });
  document.querySelector('main.designer .toolbar').append(button);
  document.querySelector('main.designer').append(popover);
}

// bpmn.io's overlays (the simulation's play buttons, token counts) hide below this zoom.
const OVERLAYS_MIN_ZOOM = 0.5;

/**
 * Fits the diagram to the canvas as bpmn-js's fit-viewport does (never beyond 100%), but in the part of the canvas the
 * palette leaves free, so that no element of an opened journey (its start event first) lies under the palette. Where
 * that would take the zoom below the one at which bpmn.io's overlays show while a plain fit would not, the zoom stays
 * at that floor and the diagram starts right of the palette, its right end panned to.
 */
export function fitClearOfPalette(modeler) {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport', 'auto');
  const container = canvas.getContainer();
  const palette = container.querySelector('.djs-palette');
  const { inner, outer } = canvas.viewbox();
  if (!palette || !inner.width || !inner.height) return;
  const left = palette.getBoundingClientRect().right - container.getBoundingClientRect().left + MARGIN;
  const free = { width: outer.width - left - MARGIN, height: outer.height - 2 * MARGIN };
  if (free.width <= 0 || free.height <= 0) return;
  const plain = Math.min(1, outer.width / inner.width, outer.height / inner.height);
  let zoom = Math.min(1, free.width / inner.width, free.height / inner.height);
  if (zoom < OVERLAYS_MIN_ZOOM && plain >= OVERLAYS_MIN_ZOOM) zoom = OVERLAYS_MIN_ZOOM;
  canvas.viewbox({
    x: inner.x - (left + Math.max(0, (free.width - inner.width * zoom) / 2)) / zoom,
    y: inner.y - (MARGIN + Math.max(0, (free.height - inner.height * zoom) / 2)) / zoom,
    width: outer.width / zoom,
    height: outer.height / zoom,
  });
}

/**
 * The line above the panel ("UserTask · call_back") follows an edit of the shown element's id, which the page otherwise
 * writes on a change of selection only.
 */
function selectedFollowsEdits(modeler) {
  const canvas = modeler.get('canvas'), selection = modeler.get('selection');
  modeler.on('elements.changed', () => {
    const selected = selection.get();
    const bo = (selected.length === 1 ? selected[0] : canvas.getRootElement())?.businessObject;
    const line = document.querySelector('[data-test=selected]');
    if (bo && line && selected.length <= 1) line.textContent = `${bo.$type.replace('bpmn:', '')} · ${bo.id}`;
  });
}

/** Lays the designer's page out around the modeler: panel handle, toolbar, shortcuts. */
export function layOut(modeler) {
  const canvas = modeler.get('canvas');
  selectedFollowsEdits(modeler);
  resizablePanel(document.querySelector('main.designer'), document.getElementById('properties'), () => canvas.resized());
  compactToolbar();
  shortcutsHelp(() => canvas.focus?.());
}
