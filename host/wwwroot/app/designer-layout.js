// The designer's layout: the properties panel resized by its drag handle (or the arrow keys on it), its width kept in
// this browser; a diagram fitted into the canvas beside the palette, never under it; and the keyboard shortcuts with
// their list in a help popover.

const WIDTH_KEY = 'wf-designer-panel-width';
const MIN_WIDTH = 280;

/** The properties panel's width follows its handle; the canvas's view box follows the panel (zoom and position kept). */
export function resizablePanel({ canvas }) {
  const main = document.querySelector('main.designer');
  const handle = document.getElementById('panel-resize');
  // At most three fifths of the page, so the canvas always keeps the larger part.
  const clamp = width => Math.round(Math.max(MIN_WIDTH, Math.min(width, window.innerWidth * 0.6)));
  const apply = width => {
    const clamped = clamp(width);
    main.style.setProperty('--wf-panel-width', `${clamped}px`);
    handle.setAttribute('aria-valuenow', String(clamped));
    canvas.resized();
    return clamped;
  };
  const remember = width => localStorage.setItem(WIDTH_KEY, String(width));
  const stored = Number(localStorage.getItem(WIDTH_KEY));
  if (stored > 0) apply(stored);

  handle.addEventListener('pointerdown', down => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    // The panel grows by as much as the handle moves left, wherever on the handle it was taken.
    const startWidth = document.getElementById('properties').getBoundingClientRect().width;
    document.body.classList.add('resizing');
    const move = event => apply(startWidth + down.clientX - event.clientX);
    const up = event => {
      handle.removeEventListener('pointermove', move);
      document.body.classList.remove('resizing');
      remember(apply(startWidth + down.clientX - event.clientX));
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up, { once: true });
  });
  handle.addEventListener('keydown', event => {
    const step = event.shiftKey ? 64 : 16;
    const width = document.getElementById('properties').getBoundingClientRect().width;
    if (event.key === 'ArrowLeft') remember(apply(width + step));
    else if (event.key === 'ArrowRight') remember(apply(width - step));
    else return;
    event.preventDefault();
  });
  window.addEventListener('resize', () => {
    const width = document.getElementById('properties').getBoundingClientRect().width;
    if (width > clamp(width)) apply(width);
  });
}

/**
 * Fits the whole diagram into the canvas to the right of the palette (at most at full size), so no element lies under
 * the palette's tools, as bpmn-js's own 'fit-viewport' lets the start event do.
 */
export function fitBesideThePalette(modeler) {
  const canvas = modeler.get('canvas');
  canvas.zoom('fit-viewport');
  const container = canvas.getContainer().getBoundingClientRect();
  const palette = canvas.getContainer().querySelector('.djs-palette')?.getBoundingClientRect();
  const inner = canvas.viewbox().inner;
  if (!inner.width || !inner.height || !container.width) return;
  const margin = 24;
  const left = palette ? palette.right - container.left + margin : margin;
  const width = container.width - left - margin, height = container.height - 2 * margin;
  if (width <= 0 || height <= 0) return;
  const scale = Math.min(1, width / inner.width, height / inner.height);
  // A view box whose x puts the diagram's left edge just right of the palette at that scale.
  canvas.viewbox({
    x: inner.x - left / scale,
    y: inner.y - (container.height / scale - inner.height) / 2,
    width: container.width / scale,
    height: container.height / scale,
  });
}

/**
 * The page's keyboard shortcuts, also while the canvas or the panel has the focus. Each is listed in the help popover.
 * @param {{ [action: string]: () => void }} actions saveDraft, validate, deploy, drafts, newDiagram
 */
export function shortcuts(actions) {
  const help = document.getElementById('shortcuts');
  const toggle = () => { help.hidden = !help.hidden; };
  const typing = target => target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  // Alt+Shift with a letter, read by its key code (the letter's place, whatever the layout or the characters Alt makes
  // on a Mac): no browser and no bpmn-js binding uses them. Ctrl/⌘+S is the save everyone tries first.
  const withAltShift = { KeyV: 'validate', KeyD: 'deploy', KeyO: 'drafts', KeyN: 'newDiagram' };
  document.addEventListener('keydown', event => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.code === 'KeyS') {
      event.preventDefault();
      actions.saveDraft();
    } else if (event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && withAltShift[event.code]) {
      event.preventDefault();
      actions[withAltShift[event.code]]();
    } else if (event.key === '?' && !typing(event.target) && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      toggle();
    } else if (event.key === 'Escape' && !help.hidden) {
      help.hidden = true;
    }
  }, { capture: true });
  document.getElementById('help').addEventListener('click', toggle);
  document.getElementById('shortcuts-close').addEventListener('click', () => { help.hidden = true; });
}

/** The status line shortens with an ellipsis on a narrow toolbar: its whole text shows on hover. */
export function fullStatusOnHover() {
  const status = document.getElementById('status');
  new MutationObserver(() => { status.title = status.textContent; }).observe(status, { childList: true, characterData: true, subtree: true });
}
