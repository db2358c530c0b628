// The forms bundle for the inbox and the tracker (built by build.mjs into wwwroot/lib/designer/forms-viewer.js):
// form-js's viewer renders a task's Camunda Form; the server checks the same rules again when the task is completed
// and its answers (errors and rules, by field key) are shown on the fields they name.
import { Form, sanitizeHTML } from '@bpmn-io/form-js-viewer';
import { activeMarkup, displayContent } from '../lint/rules/form-checks.js';

import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';

/**
 * Renders schema into container, filled with data; resolves to the form once shown.
 * @param {HTMLElement} container
 * @param {object} schema form-js JSON
 * @param {object} [data] the values the form starts with (the case's, for the task's fields)
 */
export async function renderForm(container, schema, data = {}) {
  const form = new Form({ container });
  await form.importSchema(withoutActiveMarkup(schema), data);
  return form;
}

/**
 * The schema with every display component holding active markup (a script, an event handler, a javascript: address)
 * cleaned first: its handlers renamed in the text, then form-js's own sanitizer (DOMParser, which runs nothing). form-js
 * would drop them too, but only after parsing them in the live page, where the Content Security Policy alone stops the
 * handlers (and logs each attempt).
 * The server refuses such forms at deploy; this is for the forms tasks kept from before.
 */
export function withoutActiveMarkup(schema) {
  // Chrome checks an event handler attribute against the page's policy as soon as any parser meets it, DOMParser's
  // included: the handlers are renamed in the text first (sanitizeHTML then drops the renamed attributes).
  const handlers = /(<[^<>]*?[\s/"'])on([a-z]+\s*=)/gi;
  const withoutHandlers = html => {
    for (let previous; previous !== html;) { previous = html; html = html.replace(handlers, '$1data-blocked-on$2'); }
    return html;
  };
  const clean = components => (components || []).map(c => {
    if (!c || typeof c !== 'object') return c;
    const copy = { ...c };
    const content = displayContent(c);
    // Its images go too: an address the analyst chose, fetched by every viewer (a missing one is a console error).
    if (activeMarkup(content)) copy[c.type === 'html' ? 'content' : 'text'] = sanitizeHTML(withoutHandlers(content)).replace(/<img\b[^<>]*>/gi, '');
    if (Array.isArray(c.components)) copy.components = clean(c.components);
    return copy;
  });
  return { ...schema, components: clean(schema && schema.components) };
}

/**
 * The form's values and form-js's own findings, as its submit gives them (nothing is sent anywhere). form-js takes
 * typed text in after a short pause (or when the field loses focus): the field is left and the pause waited out first,
 * so that what was typed just before the click is in.
 */
export async function readForm(form, container) {
  if (container && container.contains(document.activeElement)) document.activeElement.blur();
  await new Promise(resolve => setTimeout(resolve, 350));
  const { data, errors } = form.submit();
  return { data, valid: Object.keys(errors).length === 0 };
}

/**
 * Shows the server's errors on the fields whose keys they name (a group's path included, as "visit.day").
 * @param {object} form the viewer
 * @param {object} schema the form-js JSON it renders
 * @param {Record<string, string>} errors the problem's errors, by field key
 */
export function showServerErrors(form, schema, errors) {
  const byKey = {};
  const walk = (components, path) => (components || []).forEach(c => {
    const inner = c.path ? [...path, ...c.path.split('.')] : path;
    if (c.key) byKey[[...path, ...c.key.split('.')].join('.')] = c.id;
    if (c.components) walk(c.components, c.type === 'group' ? inner : path);
  });
  walk(schema.components, []);
  const state = {};
  for (const [key, message] of Object.entries(errors || {})) if (byKey[key]) state[byKey[key]] = [message];
  // form-js keeps its findings in its state, by component id; the server's are shown the same way.
  form._setState({ errors: state });
}
