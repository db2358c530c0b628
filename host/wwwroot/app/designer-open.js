// What the designer opens (a journey of the library, a draft, a file) checked before it replaces the open diagram:
// bpmn-js clears the canvas before it finds out that a model has no diagram to show, and leaves the modeler without a
// diagram (every button then fails). A model that does not parse, or has no diagram interchange (BPMNDI) — which the
// engine runs as it is, but which the designer has no drawing of — is refused with its reason, the open diagram kept.

/** The model read without touching the modeler. Throws an Error saying why the designer cannot open it. */
export async function importable(modeler, xml) {
  let definitions;
  try {
    ({ rootElement: definitions } = await modeler.get('moddle').fromXML(xml, 'bpmn:Definitions'));
  } catch (e) {
    throw new Error(`the model is not a BPMN document the designer can read (${e.message})`);
  }
  const plane = definitions?.diagrams?.[0]?.plane;
  if (!plane?.bpmnElement) {
    throw new Error('the model has no diagram (no BPMN diagram interchange, as files written by hand or by other tools often have): the designer can only edit a drawn model; the engine runs it as it is');
  }
  return definitions;
}

/**
 * Imports the model; when bpmn-js refuses it all the same, the diagram that was open (with its unsaved edits) is put
 * back before the error is thrown, so that the page never stays on an empty, broken canvas. <restoring> runs that
 * re-import as one that opens nothing new (the drafts keep the diagram's draft and its unsaved state).
 */
export async function importOrKeep(modeler, xml, restoring = run => run()) {
  const { xml: before } = await modeler.saveXML().catch(() => ({ xml: null }));
  try {
    return await modeler.importXML(xml);
  } catch (e) {
    if (before) await restoring(() => modeler.importXML(before)).catch(() => {});
    throw new Error(`the model cannot be shown (${e.message})`);
  }
}

/**
 * What the status line adds when bpmn-js read a model with warnings (an element of an unknown type, a duplicate id):
 * those parts are not in the diagram and are not saved, so the analyst is told which, instead of losing them unseen.
 */
export function unreadParts(warnings) {
  if (!warnings?.length) return '';
  const parts = [...new Set(warnings.map(part))];
  return ` — ${warnings.length} part${warnings.length === 1 ? '' : 's'} of the file could not be read and will be left out when it is saved: ${parts.slice(0, 3).join('; ')}${parts.length > 3 ? '; …' : ''}`;
}

// A warning's first line ("unparsable content <bpmn:task> detected"), with the reason bpmn-moddle nests in it when it is
// more than the element's type ("duplicate ID <call>": the second element of that id is the one left out).
function part(warning) {
  const text = String(warning.message || warning);
  const first = text.split('\n')[0];
  const nested = /nested error: ([^\n]*)/.exec(text)?.[1];
  return nested && !nested.startsWith('unknown type') ? `${first} (${nested})` : first;
}
