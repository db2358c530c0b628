// Opens BPMN files with the designer's moddle (bpmn-moddle with Zeebe's descriptor and wwwroot/app/wf-moddle.json) and
// writes them back, as the designer does on Save draft and Deploy: one line per part the designer cannot read
// ("file import message") and per extension element the round trip loses ("file lost wf:x 2 -> 0"); exit code 1 when
// there is any. The host's tests run it over the extensions the engine reads, so that the designer never drops one.
// Usage (from host/web): node lint/check-roundtrip.cjs FILE...
const fs = require('node:fs');
const path = require('node:path');
const { BpmnModdle } = require('bpmn-moddle');

(async () => {
  const moddle = new BpmnModdle({
    zeebe: require('zeebe-bpmn-moddle/resources/zeebe.json'),
    wf: JSON.parse(fs.readFileSync(path.join(__dirname, '../../wwwroot/app/wf-moddle.json'), 'utf8')),
  });
  const tags = xml => [...xml.matchAll(/<((?:wf|zeebe):[A-Za-z]+)[\s/>]/g)].reduce((m, [, t]) => m.set(t, (m.get(t) || 0) + 1), new Map());
  let found = 0;
  for (const file of process.argv.slice(2)) {
    const xml = fs.readFileSync(file, 'utf8');
    const { rootElement, warnings } = await moddle.fromXML(xml);
    for (const warning of warnings) {
      found++;
      console.log(`${path.basename(file)} import ${warning.message.split('\n')[0]}`);
    }
    const after = tags((await moddle.toXML(rootElement)).xml);
    for (const [tag, count] of tags(xml)) {
      if ((after.get(tag) || 0) !== count) {
        found++;
        console.log(`${path.basename(file)} lost ${tag} ${count} -> ${after.get(tag) || 0}`);
      }
    }
  }
  process.exit(found ? 1 : 0);
})().catch(error => { console.error(error); process.exit(2); });
