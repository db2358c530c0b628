// The server's findings marked where they are in a decision table: the cell (a rule's input or output entry), the rule
// (a rule with the wrong number of entries) or the column head (an input expression, input or output values, a default
// output). The server names a finding's decision and its line and column in the XML the page sent; the page finds the
// element at that place in that XML, its position in its table (rule n, input or output m), and the same position in
// the edited model, whose ids dmn-js puts on the cells (data-row-id, data-col-id). Positions, not ids, because DMN does
// not require ids on entries (the library's tables have none) and the page names those only for the editors.

/** The index of the element whose start tag opens at the 1-based line and column (the column of its name, as .NET's XmlReader counts), in document order; -1 when none does. */
export function elementIndexAt(xml, line, column) {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    offset = xml.indexOf('\n', offset);
    if (offset < 0) return -1;
    offset++;
  }
  const at = offset + column - 2; // the '<' before the name
  if (xml[at] !== '<') return -1;
  let index = -1;
  for (let i = 0; i <= at; i++) {
    if (xml[i] !== '<') continue;
    if (xml.startsWith('<!--', i)) { i = xml.indexOf('-->', i); if (i < 0) return -1; continue; }
    if (xml.startsWith('<![CDATA[', i)) { i = xml.indexOf(']]>', i); if (i < 0) return -1; continue; }
    if (xml[i + 1] === '?') { i = xml.indexOf('?>', i); if (i < 0) return -1; continue; }
    if (xml[i + 1] === '/' || xml[i + 1] === '!') continue;
    index++;
  }
  return index;
}

const position = (node, name) => [...node.parentElement.children].filter(e => e.localName === name).indexOf(node);

/** Where a finding lies in its decision table: { decisionId, rule, input, output, head } (0-based), or null when it is not in a table. */
export function tablePlace(xml, finding) {
  if (!finding.line) return null;
  const index = elementIndexAt(xml, finding.line, finding.column);
  if (index < 0) return null;
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const node = doc.getElementsByTagName('*')[index];
  if (!node) return null;
  const up = name => { let n = node; while (n && n.localName !== name) n = n.parentElement; return n; };
  const table = up('decisionTable'), decision = up('decision');
  if (!table || !decision) return null;
  const place = { decisionId: decision.getAttribute('id') };
  const entry = up('inputEntry') || up('outputEntry'), rule = up('rule'), input = up('input'), output = up('output');
  if (rule) {
    place.rule = position(rule, 'rule');
    if (entry?.localName === 'inputEntry') place.input = position(entry, 'inputEntry');
    if (entry?.localName === 'outputEntry') place.output = position(entry, 'outputEntry');
  } else if (input) {
    place.head = true; place.input = position(input, 'input');
  } else if (output) {
    place.head = true; place.output = position(output, 'output');
  }
  return place.rule != null || place.head ? place : null;
}

/** The selector of a place's cell, row or column head in the edited model's table; null when the model has no such place. */
function selectorOf(modeler, place) {
  const decision = modeler.getDefinitions()?.drgElement?.find(e => e.id === place.decisionId);
  const table = decision?.decisionLogic;
  if (table?.$type !== 'dmn:DecisionTable') return null;
  const column = place.input != null ? table.input?.[place.input] : place.output != null ? table.output?.[place.output] : null;
  if (place.head) return column ? `th[data-col-id="${CSS.escape(column.id)}"]` : null;
  const rule = table.rule?.[place.rule];
  if (!rule) return null;
  return column ? `td[data-row-id="${CSS.escape(rule.id)}"][data-col-id="${CSS.escape(column.id)}"]` : `[data-row-id="${CSS.escape(rule.id)}"]`;
}

/**
 * The marks of the last findings on the canvas. dmn-js redraws a table when it changes or is opened again, so the marks
 * are put back after every redraw; they go when other findings come, or when a document is opened.
 */
export function findingMarks(modeler, canvas) {
  let marks = [];
  let queued = false;
  const apply = () => {
    queued = false;
    for (const mark of marks) {
      for (const node of canvas.querySelectorAll(mark.selector)) {
        if (node.classList.contains(`wf-finding-${mark.severity}`)) continue;
        node.classList.add('wf-finding', `wf-finding-${mark.severity}`);
        node.dataset.finding = mark.code;
        node.title = mark.message;
      }
    }
  };
  new MutationObserver(() => { if (!queued && marks.length) { queued = true; requestAnimationFrame(apply); } })
    .observe(canvas, { childList: true, subtree: true });

  function clear() {
    marks = [];
    for (const node of canvas.querySelectorAll('.wf-finding')) {
      node.classList.remove('wf-finding', 'wf-finding-error', 'wf-finding-warning');
      delete node.dataset.finding;
      node.removeAttribute('title');
    }
  }

  return {
    clear,
    /** Marks each finding that lies in a table; returns the findings with the place each was found at (null when none). */
    set(findings, xml) {
      clear();
      const placed = findings.map(finding => {
        const place = tablePlace(xml, finding);
        const selector = place && selectorOf(modeler, place);
        if (selector) marks.push({ selector, severity: finding.severity === 'error' ? 'error' : 'warning', code: finding.code, message: finding.message });
        return { finding, place, selector };
      });
      apply();
      return placed;
    },
    /** Scrolls the marked element of a placed finding into view, once its table is shown. */
    reveal(selector) {
      apply();
      canvas.querySelector(selector)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    },
  };
}

/** A place in words, for the findings list: "rule 2, input 1", "output 1's head". */
export function placeWords(place) {
  if (!place) return '';
  const column = place.input != null ? `input ${place.input + 1}` : place.output != null ? `output ${place.output + 1}` : '';
  return place.head ? `${column} (head)` : [`rule ${place.rule + 1}`, column].filter(Boolean).join(', ');
}
