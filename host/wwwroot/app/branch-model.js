// What the branch page's tabs share: a journey version's elements by id in words (read from its deployed XML, so that
// a comparison or a migration plan names steps as analysts named them), and the server's problems shown whole.
import { api, el } from './common.js';

const BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const models = new Map(); // `${journey}@${version}` → Promise of Map(id → element)

// 'userTask' → 'user task', 'exclusiveGateway' → 'exclusive gateway'.
const kind = type => type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** The elements of one process of a deployed version, by id: { id, name, type, kind, flowNode, source, target }. */
export function elements(journey, version) {
  const key = `${journey}@${version}`;
  if (!models.has(key)) {
    const loading = api(`/api/definitions/${encodeURIComponent(journey)}/versions/${version}/xml`).then(xml => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      const process = [...doc.getElementsByTagNameNS(BPMN, 'process')].find(p => p.getAttribute('id') === journey);
      const byId = new Map();
      for (const node of process ? process.getElementsByTagNameNS(BPMN, '*') : []) {
        const id = node.getAttribute('id');
        if (!id) continue;
        const type = node.localName;
        byId.set(id, {
          id, type, kind: kind(type), name: node.getAttribute('name') || '',
          flowNode: !['sequenceFlow', 'laneSet', 'lane', 'textAnnotation', 'association', 'dataObject', 'dataObjectReference', 'dataStoreReference'].includes(type) && !type.endsWith('EventDefinition'),
          source: node.getAttribute('sourceRef'), target: node.getAttribute('targetRef'),
        });
      }
      return byId;
    });
    loading.catch(() => models.delete(key)); // a failed read is tried again next time
    models.set(key, loading);
  }
  return models.get(key);
}

/** "the user task “Register and classify”", "the flow from “Resolved?” to “Answer”": an element in words. */
export function words(element, ...lookups) {
  if (!element) return 'an element';
  const named = id => { for (const m of lookups) { const e = m?.get(id); if (e) return e.name ? `“${e.name}”` : `the ${e.kind} ${e.id}`; } return id; };
  if (element.type === 'sequenceFlow') return `the flow ${element.name ? `“${element.name}” ` : ''}from ${named(element.source)} to ${named(element.target)}`;
  return element.name ? `the ${element.kind} “${element.name}”` : `the ${element.kind} ${element.id}`;
}

/** A problem answer shown whole: its title, its detail, each reason or field error it lists, in plain words. */
export function problemView(error) {
  const p = error?.problem || {};
  const items = [...(p.reasons || []), ...Object.entries(p.errors || {}).map(([field, messages]) => `${field}: ${[].concat(messages).join(', ')}`)];
  const status = error?.status;
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 409 ? 'Changed meanwhile' : (p.title || (status ? 'Refused' : 'The server could not be reached'));
  return el('div', { class: 'notice error', role: 'alert', 'data-test': 'problem' },
    el('strong', { text: `${title}${status ? ` (${status})` : ''}` }),
    el('div', { text: p.detail || (status ? '' : String(error?.message || error)) }),
    items.length ? el('ul', {}, ...items.map(r => el('li', { text: r }))) : null);
}

/** Which of `names` a problem is about, when its text names one ('frontDeskAuthority', week.monday): for showing it by the field. */
export function fieldOf(error, names) {
  const p = error?.problem || {};
  const text = [p.detail || '', ...(p.reasons || []), ...Object.keys(p.errors || {})].join(' ');
  return names.find(n => text.includes(`'${n}'`) || text.includes(`${n}:`) || text.includes(`.${n}`)) ?? null;
}

/** A stage as people say it. */
export const stageWords = { deployed: 'deployed', approved: 'approved', rolledOut: 'rolled out' };
