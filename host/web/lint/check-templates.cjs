// Checks element templates (Camunda 8's element-template JSON) against the Zeebe element-templates JSON schema with
// @bpmn-io/element-templates-validator, the schema the designer's panel (bpmn-js-element-templates) validates them
// with before it offers them: one line per error, "file template-id path message", and exit code 1 when there is any.
// A file may hold one template or an array of them. The host's tests run it over the journey library's templates.
// Usage (from host/web): node lint/check-templates.cjs FILE...
const fs = require('node:fs');
const path = require('node:path');
const { validateZeebe, getZeebeSchemaPackage, getZeebeSchemaVersion } = require('@bpmn-io/element-templates-validator');

// The schema a template names must be the Zeebe one (a Camunda 7 template would apply bindings the engine never reads).
const zeebeSchema = /^https:\/\/unpkg\.com\/@camunda\/zeebe-element-templates-json-schema(@[^/]+)?\/resources\/schema\.json$/;

let found = 0;
const report = (file, id, where, message) => {
  found++;
  console.log(`${path.basename(file)} ${id || '-'} ${where || '/'} ${message}`);
};

for (const file of process.argv.slice(2)) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    report(file, null, null, `not JSON: ${error.message}`);
    continue;
  }
  for (const template of Array.isArray(parsed) ? parsed : [parsed]) {
    const id = template && template.id;
    if (!zeebeSchema.test(String(template && template.$schema))) {
      report(file, id, '/$schema', `must name the Zeebe element-templates schema (${getZeebeSchemaPackage()}), not '${template && template.$schema}'`);
    }
    const { valid, errors } = validateZeebe(template);
    if (!valid) {
      // The schema takes one template or an array of them: a template's own errors come with two at the root that
      // only say it is not an array either, which name nothing to fix.
      const own = errors.filter(e => (e.dataPath || e.instancePath) || !['must be array', 'must match exactly one schema in oneOf'].includes(e.message));
      for (const error of own.length ? own : errors) report(file, id, error.dataPath || error.instancePath, error.message);
    }
  }
}
if (process.env.CHECK_TEMPLATES_VERBOSE) console.error(`schema ${getZeebeSchemaPackage()} ${getZeebeSchemaVersion()}`);
process.exit(found ? 1 : 0);
