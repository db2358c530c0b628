// The rules a Camunda Form (form-js JSON) is held to, shared by the designer's live check (rules/forms.js) and the pages
// that render forms (src/forms-viewer.js); the server's are engine/Workflows.Engine/Forms (FormKeys.cs, FormFieldChecks.cs).

// What form-js 1.23's editor accepts as a key or a path: names of ASCII letters, digits and _, dotted; no segment of
// digits only; none of the segments its viewer throws on ("illegal key").
const PROHIBITED = ['__proto__', 'prototype', 'constructor'];
const DOT_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

// The variables the engine sets alone (WorkflowEngineOptions.SystemVariables): a completion setting them is refused.
const ENGINE_OWNED = ['branch', 'branchSettings', 'calendar', 'caseId', 'handoff'];

// Markup no display component should hand a page: active elements, event handlers, script addresses. ([^<>] keeps
// the handler search linear on text full of '<'.)
const ACTIVE_ELEMENT = /<\s*(script|iframe|frame|frameset|object|embed|applet|base|meta|link|svg|math|form|input|button|textarea|select)\b/i;
const HANDLER = /<[^<>]*[\s/"']on([a-z]+)\s*=/i;
// A browser reads "jav&#x61;script:" and "java\tscript:" as javascript: (entities decoded, controls skipped inside the
// scheme): matched with any of those between the letters, after decoding (FormKeys.cs does the same on the server).
const GAP = '[\\x00-\\x20]*';
const spread = word => word.split('').join(GAP);
const SCRIPT_ADDRESS = new RegExp(`(${spread('javascript')}|${spread('vbscript')})${GAP}:`, 'i');
const ENTITY = /&(#x([0-9a-f]{1,6})|#([0-9]{1,7})|colon|tab|newline);?/gi;

function decodeEntities(content) {
  return content.replace(ENTITY, (_, name, hex, dec) => {
    const code = hex ? parseInt(hex, 16) : dec ? parseInt(dec, 10) : { colon: 58, tab: 9 }[name.toLowerCase()] ?? 10;
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
  });
}

// Components that send a value no completion may set (TaskFormSchema's s_unsupportedInputs): refused at deploy.
const UNSUPPORTED = {
  expression: 'computes a value form-js sends with the form, which a completion may not set: show the computed value with a text component ({{ }} in its text) instead',
  filepicker: 'sends the picked files, which the engine does not take: remove it',
};

const INPUTS = ['textfield', 'textarea', 'number', 'checkbox', 'checklist', 'radio', 'select', 'taglist', 'datetime'];

function keyProblem(key) {
  if (!DOT_PATH.test(key)) return 'is not a variable name or a dotted path of them (letters, digits and _)';
  const segments = key.split('.');
  if (segments.some(s => /^\d+$/.test(s))) return 'has a segment of digits only';
  if (segments.some(s => PROHIBITED.includes(s))) return `has a prohibited segment (${PROHIBITED.join(', ')})`;
  return null;
}

function activeMarkup(content) {
  if (typeof content !== 'string') return null;
  let m = ACTIVE_ELEMENT.exec(content);
  if (m) return `a <${m[1].toLowerCase()}> element`;
  m = HANDLER.exec(content);
  if (m) return `an event handler (on${m[1].toLowerCase()}=)`;
  return SCRIPT_ADDRESS.test(content) || SCRIPT_ADDRESS.test(decodeEntities(content)) ? 'a javascript: or vbscript: address' : null;
}

// The markup a display component shows: html's content, text's markdown.
function displayContent(component) {
  return component.type === 'html' ? component.content : component.type === 'text' ? component.text : undefined;
}

// Every problem of a form's components, as [code, message]: FORM_INVALID for what form-js refuses or what no page
// should get, FORM_FIELD_INVALID for a submitted field keyed by an engine-owned variable.
// What the pages' content security policy would show as a broken box (TaskFormSchema.Unshowable): frames, and images
// from another site. An image whose source is FEEL (=...) is the instance's to decide.
function unshowableProblem(c) {
  const name = typeof c.id === 'string' ? ` '${c.id}'` : '';
  if (c.type === 'iframe') return `the iframe component${name} shows another site's page, which the pages do not frame: link to it from a text component instead`;
  const source = c.type === 'image' && typeof c.source === 'string' ? c.source : null;
  if (source && !source.startsWith('=') && (source.includes('//') || source.includes(':')) && !/^data:image\//i.test(source)) {
    return `the image component${name} loads '${source}', which the pages do not load (images from the host or data:image addresses only)`;
  }
  return null;
}

function formProblems(form) {
  const problems = [];
  const walk = (components, path) => {
    for (const c of components || []) {
      if (!c || typeof c !== 'object') continue;
      const unshowable = unshowableProblem(c);
      if (unshowable) problems.push(['FORM_INVALID', unshowable]);
      const active = activeMarkup(displayContent(c));
      if (active) problems.push(['FORM_INVALID', `the ${c.type} component${c.id ? ` '${c.id}'` : ''} holds ${active}: a form shows text, images and links only`]);
      if (c.type === 'group' || c.type === 'dynamiclist') {
        const own = typeof c.path === 'string' && c.path ? c.path : null;
        const problem = own && keyProblem(own);
        if (problem) problems.push(['FORM_INVALID', `the ${c.type} path '${own}' ${problem}`]);
        const listed = own && c.type === 'dynamiclist' ? [...path, ...own.split('.')][0] : null;
        if (listed && ENGINE_OWNED.includes(listed)) {
          problems.push(['FORM_FIELD_INVALID', `the dynamic list '${[...path, own].join('.')}' sets the variable '${listed}', which the engine sets alone: give the list another path`]);
        }
        if (c.type === 'group') walk(c.components, own ? [...path, ...own.split('.')] : path);
        continue;
      }
      if (UNSUPPORTED[c.type] && typeof c.key === 'string' && c.key && !c.disabled) {
        problems.push(['FORM_INVALID', `the ${c.type} component '${c.key}' ${UNSUPPORTED[c.type]}`]);
        continue;
      }
      if (!INPUTS.includes(c.type) || typeof c.key !== 'string' || !c.key) continue;
      const problem = keyProblem(c.key);
      if (problem) problems.push(['FORM_INVALID', `field '${c.key}': the key ${problem}`]);
      const variable = [...path, ...c.key.split('.')][0];
      if (!c.disabled && ENGINE_OWNED.includes(variable)) {
        problems.push(['FORM_FIELD_INVALID', `form field '${[...path, c.key].join('.')}' sets the variable '${variable}', which the engine sets alone: give the field another key, or make it disabled to only show the value`]);
      }
    }
  };
  walk(form && form.components, []);
  return problems;
}

module.exports = { PROHIBITED, ENGINE_OWNED, keyProblem, activeMarkup, displayContent, formProblems };
