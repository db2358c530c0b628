// Two versions of a DMN document compared decision by decision: a table's hit policy, its columns and each rule cell by
// cell (rules matched by id, so a rule moved keeps its identity; by position when a rule has no id), a literal
// expression's text, the requirements and the version tag. The result is a list of sentences and, for each decision,
// both versions' tables side by side with the changed cells marked. Read from the XML alone: the edited model is saved
// from the modeler, never re-imported, so comparing loses no edit.
import { el } from './common.js';

const children = (node, name) => node ? [...node.children].filter(c => c.localName === name) : [];
const child = (node, name) => children(node, name)[0];
const text = node => child(node, 'text')?.textContent.trim() ?? '';

/** The decisions of a DMN document as plain data, by id. */
export function readDecisions(xml) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) throw new Error('the DMN document is not well-formed XML');
  const decisions = new Map();
  for (const d of children(doc.documentElement, 'decision')) {
    const table = child(d, 'decisionTable'), literal = child(d, 'literalExpression');
    const versionTag = [...(child(d, 'extensionElements')?.children ?? [])].find(e => e.localName === 'versionTag')?.getAttribute('value') ?? '';
    const requires = children(d, 'informationRequirement').flatMap(r => [...r.children].map(x => `${x.localName === 'requiredInput' ? 'input' : 'decision'} ${x.getAttribute('href')?.replace(/^#/, '')}`));
    const decision = { id: d.getAttribute('id'), name: d.getAttribute('name') ?? '', versionTag, requires, kind: table ? 'table' : literal ? 'literal' : 'other' };
    if (literal) decision.literal = text(literal);
    if (table) {
      decision.hitPolicy = (table.getAttribute('hitPolicy') ?? 'UNIQUE') + (table.getAttribute('aggregation') ? ' ' + table.getAttribute('aggregation') : '');
      decision.inputs = children(table, 'input').map((i, n) => ({ id: i.getAttribute('id') || `input ${n + 1}`, title: i.getAttribute('label') || text(child(i, 'inputExpression')) || `input ${n + 1}`, expression: text(child(i, 'inputExpression')), typeRef: child(i, 'inputExpression')?.getAttribute('typeRef') ?? '' }));
      decision.outputs = children(table, 'output').map((o, n) => ({ id: o.getAttribute('id') || `output ${n + 1}`, title: o.getAttribute('label') || o.getAttribute('name') || `output ${n + 1}`, name: o.getAttribute('name') ?? '', typeRef: o.getAttribute('typeRef') ?? '' }));
      decision.rules = children(table, 'rule').map((r, n) => ({
        id: r.getAttribute('id') || `#${n + 1}`, index: n + 1,
        cells: [...children(r, 'inputEntry').map(text), ...children(r, 'outputEntry').map(text)],
        annotation: children(r, 'annotationEntry').map(text).join(' '),
      }));
    }
    decisions.set(decision.id, decision);
  }
  return decisions;
}

const quote = value => value === '' ? '(empty)' : `“${value}”`;

/** What changed from older to newer: [{ decisionId, kind: added|removed|changed, where, sentence }]. */
export function compareDecisions(olderXml, newerXml) {
  const older = readDecisions(olderXml), newer = readDecisions(newerXml);
  const changes = [];
  const add = (decisionId, kind, where, sentence) => changes.push({ decisionId, kind, where, sentence });
  for (const [id, d] of newer) if (!older.has(id)) add(id, 'added', 'decision', `the decision ${d.name || id} is new`);
  for (const [id, d] of older) if (!newer.has(id)) add(id, 'removed', 'decision', `the decision ${d.name || id} is gone`);
  for (const [id, after] of newer) {
    const before = older.get(id);
    if (!before) continue;
    for (const field of ['name', 'versionTag', 'kind', 'literal', 'hitPolicy']) {
      if ((before[field] ?? '') !== (after[field] ?? '')) add(id, 'changed', field, `${field === 'versionTag' ? 'version tag' : field === 'hitPolicy' ? 'hit policy' : field === 'literal' ? 'the literal expression' : field}: ${quote(before[field] ?? '')} → ${quote(after[field] ?? '')}`);
    }
    if (before.requires.join() !== after.requires.join()) add(id, 'changed', 'requirements', `requirements: ${before.requires.join(', ') || 'none'} → ${after.requires.join(', ') || 'none'}`);
    if (after.kind === 'table' && before.kind === 'table') compareTables(id, before, after, add);
  }
  return changes;
}

function columns(d) {
  return [...d.inputs.map(i => ({ ...i, side: 'input' })), ...d.outputs.map(o => ({ ...o, side: 'output' }))];
}

function compareTables(id, before, after, add) {
  const beforeColumns = columns(before), afterColumns = columns(after);
  for (const c of afterColumns) {
    const old = beforeColumns.find(b => b.id === c.id);
    if (!old) { add(id, 'added', `column ${c.id}`, `a new ${c.side} column ${c.title}`); continue; }
    if (old.title !== c.title) add(id, 'changed', `column ${c.id}`, `${c.side} ${quote(old.title)} is now ${quote(c.title)}`);
    if ((old.expression ?? '') !== (c.expression ?? '')) add(id, 'changed', `column ${c.id}`, `${c.side} ${c.title} reads ${quote(c.expression)} (was ${quote(old.expression)})`);
    if (old.name !== c.name && c.side === 'output') add(id, 'changed', `column ${c.id}`, `output ${c.title} is named ${quote(c.name)} (was ${quote(old.name)})`);
    if (old.typeRef !== c.typeRef) add(id, 'changed', `column ${c.id}`, `${c.side} ${c.title} has type ${quote(c.typeRef)} (was ${quote(old.typeRef)})`);
  }
  for (const c of beforeColumns) if (!afterColumns.some(a => a.id === c.id)) add(id, 'removed', `column ${c.id}`, `the ${c.side} column ${c.title} is gone`);

  for (const rule of after.rules) {
    const old = before.rules.find(r => r.id === rule.id);
    const label = `rule ${rule.index}${rule.id.startsWith('#') ? '' : ` (${rule.id})`}`;
    if (!old) { add(id, 'added', `rule ${rule.id}`, `${label} is new: ${rule.cells.join(' | ')}`); continue; }
    if (old.index !== rule.index) add(id, 'changed', `rule ${rule.id}`, `${label} was rule ${old.index}`);
    afterColumns.forEach((c, n) => {
      const was = cellOf(before, beforeColumns, old, c.id), now = rule.cells[n] ?? '';
      if (was !== undefined && was !== now) add(id, 'changed', `rule ${rule.id}`, `${label}, ${c.title}: ${quote(was)} → ${quote(now)}`);
    });
    if (old.annotation !== rule.annotation) add(id, 'changed', `rule ${rule.id}`, `${label}, annotation: ${quote(old.annotation)} → ${quote(rule.annotation)}`);
  }
  for (const rule of before.rules) if (!after.rules.some(r => r.id === rule.id)) add(id, 'removed', `rule ${rule.id}`, `rule ${rule.index}${rule.id.startsWith('#') ? '' : ` (${rule.id})`} is gone: ${rule.cells.join(' | ')}`);
}

// The text of one cell of a rule in the other version, by its column's id; undefined when the column is new.
function cellOf(decision, decisionColumns, rule, columnId) {
  const n = decisionColumns.findIndex(c => c.id === columnId);
  return n < 0 ? undefined : rule.cells[n] ?? '';
}

/** Both versions' tables (or literal expressions) side by side, changed cells and rules marked, for every decision that changed. */
export function sideBySide(olderXml, newerXml, labels) {
  const older = readDecisions(olderXml), newer = readDecisions(newerXml);
  const changes = compareDecisions(olderXml, newerXml);
  const changed = new Set(changes.map(c => c.decisionId));
  const box = el('div', { class: 'dmn-compare' });
  for (const id of [...new Set([...newer.keys(), ...older.keys()])].filter(i => changed.has(i))) {
    const before = older.get(id), after = newer.get(id);
    box.append(el('h3', { text: (after ?? before).name || id }),
      el('div', { class: 'dmn-compare-pair', 'data-decision': id },
        el('div', {}, el('span', { class: 'muted', text: labels[0] }), render(before, after)),
        el('div', {}, el('span', { class: 'muted', text: labels[1] }), render(after, before))));
  }
  return { changes, view: box };
}

// One version's decision, its cells marked where the other version differs (or lacks the rule or column).
function render(d, other) {
  if (!d) return el('p', { class: 'muted', text: 'not in this version' });
  if (d.kind === 'literal') return el('pre', { class: other?.literal !== d.literal ? 'wf-cell-changed' : '', text: d.literal });
  if (d.kind !== 'table') return el('p', { class: 'muted', text: `a ${d.kind} expression` });
  const cols = columns(d), otherCols = other?.kind === 'table' ? columns(other) : [];
  const table = el('table', { class: 'dmn-table' },
    el('tr', {}, el('th', { text: d.hitPolicy.slice(0, 1) }), ...cols.map(c => el('th', { class: c.side, text: c.title }))));
  for (const rule of d.rules) {
    const otherRule = other?.rules?.find(r => r.id === rule.id);
    table.append(el('tr', { 'data-rule': rule.id, class: otherRule ? '' : 'wf-rule-only' },
      el('td', { text: String(rule.index) }),
      ...cols.map((c, n) => {
        const was = otherRule ? cellOf(other, otherCols, otherRule, c.id) : undefined;
        const differs = otherRule && was !== undefined && was !== (rule.cells[n] ?? '');
        return el('td', { 'data-cell': `${rule.id}/${c.id}`, class: differs ? 'wf-cell-changed' : '', text: rule.cells[n] || '-' });
      })));
  }
  return table;
}
