// bpmn-js's wrench ("Change element", also R on the canvas) and "Align elements" place their popup menus under the
// context pad, which they find through ContextPad#getPad, deprecated by diagram-js: every use logged a warning with a
// stack in the console. They only need the open pad's element, which diagram-js hands out with its contextPad.open
// event; getPad answers with it while the pad is open for that target, and falls back to diagram-js's own otherwise.
function OpenContextPad(eventBus, contextPad) {
  let open = null;
  eventBus.on('contextPad.open', ({ current }) => { open = current; });
  eventBus.on('contextPad.close', () => { open = null; });
  const deprecated = contextPad.getPad.bind(contextPad);
  contextPad.getPad = target => (open && contextPad.isOpen(target) ? { html: open.html } : deprecated(target));
}
OpenContextPad.$inject = ['eventBus', 'contextPad'];

export const OpenContextPadModule = {
  __init__: ['wfOpenContextPad'],
  wfOpenContextPad: ['type', OpenContextPad],
};
