// FORM_INVALID, FORM_FIELD_INVALID: a user task's form as the server reads it (TaskFormSchema, FormFieldChecks): keys
// and paths form-js accepts, no field a person submits keyed by a variable the engine sets alone, no active markup in
// a display component; and the engine's own wf:form fields named neither. The form key itself is Camunda's
// user-task-form rule's; a form that is not JSON is the server's to say (FORM_INVALID on validate).
const { is, extensions } = require('./util');
const { PROHIBITED, ENGINE_OWNED, formProblems } = require('./form-checks');

const PREFIX = 'camunda-forms:bpmn:';

function processOf(node) {
  let p = node.$parent;
  while (p && !is(p, 'bpmn:Process')) p = p.$parent;
  return p;
}

function embeddedForm(node) {
  const definition = extensions(node, 'zeebe:FormDefinition')[0];
  const key = definition && definition.formKey;
  if (typeof key !== 'string' || !key.startsWith(PREFIX)) return undefined;
  const process = processOf(node);
  const form = process && extensions(process, 'zeebe:UserTaskForm').find(f => f.id === key.slice(PREFIX.length));
  if (!form || typeof form.body !== 'string') return undefined;
  try {
    return JSON.parse(form.body);
  } catch {
    return undefined;
  }
}

module.exports = function() {
  return {
    check(node, reporter) {
      // The engine reads a wf:form on a user task and on a start event alike (FormFieldChecks): both are checked.
      if (!is(node, 'bpmn:UserTask') && !is(node, 'bpmn:StartEvent')) return;
      const report = (code, message) => reporter.report(node.id, `${code}: ${message}`);
      for (const form of extensions(node, 'wf:Form')) {
        for (const field of form.fields || []) {
          if (typeof field.id !== 'string') continue;
          if (field.id.split('.').some(s => PROHIBITED.includes(s))) {
            report('FORM_FIELD_INVALID', `form field '${field.id}' has a name the pages cannot hold as a value's key (${PROHIBITED.join(', ')}): rename it`);
          } else if (ENGINE_OWNED.includes(field.id)) {
            report('FORM_FIELD_INVALID', `form field '${field.id}' sets the variable '${field.id}', which the engine sets alone: give the field another id`);
          }
        }
      }
      const form = is(node, 'bpmn:UserTask') && embeddedForm(node);
      for (const [code, message] of form ? formProblems(form) : []) report(code, message);
    },
  };
};
