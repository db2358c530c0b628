// Lints BPMN files with the designer's live checks (lint/config.json), as the browser does: one line per finding,
// "file element code-or-rule message", and exit code 1 when there is any. The host's tests run it over the journey
// library, so that a rule that would flag what the engine runs is caught before an analyst sees it.
// Usage (from host/web): node lint/check-files.cjs FILE...
const fs = require('node:fs');
const path = require('node:path');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const { BpmnModdle } = require('bpmn-moddle');

(async () => {
  const moddle = new BpmnModdle({
    zeebe: require('zeebe-bpmn-moddle/resources/zeebe.json'),
    wf: JSON.parse(fs.readFileSync(path.join(__dirname, '../../wwwroot/app/wf-moddle.json'), 'utf8')),
  });
  const linter = new Linter({ config: require('./config.json'), resolver: new NodeResolver() });
  let found = 0;
  for (const file of process.argv.slice(2)) {
    const { rootElement } = await moddle.fromXML(fs.readFileSync(file, 'utf8'));
    for (const [rule, issues] of Object.entries(await linter.lint(rootElement))) {
      for (const issue of issues) {
        found++;
        console.log(`${path.basename(file)} ${issue.id} ${rule} ${issue.message}`);
      }
    }
  }
  process.exit(found ? 1 : 0);
})().catch(error => { console.error(error); process.exit(2); });
