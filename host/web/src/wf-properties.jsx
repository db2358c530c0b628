// The properties of the engine's own extensions (urn:workflows:bpmn:1.0, docs/bpmn-extensions.md) as groups of the
// bpmn.io properties panel, beside Zeebe's: the same entries, so the same look. Each group is declared by the
// extension element it edits (SPECS and LISTS below); an attribute emptied removes itself, and an extension element
// left with nothing removes itself too, so the XML only ever holds what the analyst set.
import { CheckboxEntry, isCheckboxEntryEdited, isSelectEntryEdited, isTextFieldEntryEdited, ListGroup, SelectEntry, TextFieldEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';

const is = (bo, type) => bo && bo.$instanceOf && bo.$instanceOf(type);
const values = target => (target && target.extensionElements && target.extensionElements.get('values')) || [];
const find = (target, type) => values(target).find(v => is(v, type));
const findAll = (target, type) => values(target).filter(v => is(v, type));
const blank = v => v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length);

const processOf = bo => (is(bo, 'bpmn:Participant') ? bo.processRef : is(bo, 'bpmn:Process') ? bo : null);
const isProcess = bo => !!processOf(bo);
const isActivity = bo => is(bo, 'bpmn:Activity');
const waits = bo => is(bo, 'bpmn:Activity') || is(bo, 'bpmn:IntermediateCatchEvent') || is(bo, 'bpmn:EventBasedGateway');
const isJobTask = bo => is(bo, 'bpmn:ServiceTask') || is(bo, 'bpmn:SendTask') || is(bo, 'bpmn:BusinessRuleTask');
const messageOf = bo => bo.messageRef || (bo.eventDefinitions || []).find(d => is(d, 'bpmn:MessageEventDefinition'))?.messageRef;

// The wf: forms of Zeebe's elements (docs/bpmn-extensions.md, "Shared with Zeebe": the engine reads either, the wf: one
// wins). Zeebe's groups above edit the zeebe: form; these groups show only on an element that has the wf: form (a model
// written by hand or by another tool), so that what the engine will run is what the analyst sees and edits.
const has = (type, target = bo => bo) => bo => !!target(bo) && !!find(target(bo), type);
const multiInstance = bo => (is(bo.loopCharacteristics, 'bpmn:MultiInstanceLoopCharacteristics') ? bo.loopCharacteristics : null);
const conditionOf = bo => (bo.eventDefinitions || []).find(d => is(d, 'bpmn:ConditionalEventDefinition'));
const WINS = '(wf: form, wins over Zeebe\'s)';
const SHARED = [
  { id: 'wf-assignment', label: `Workflows: assignment ${WINS}`, type: 'wf:AssignmentDefinition', when: has('wf:AssignmentDefinition'), fields: [
    ['assignee', 'Assignee'], ['candidateGroups', 'Candidate groups (queues)'], ['candidateUsers', 'Candidate users']] },
  { id: 'wf-priority', label: `Workflows: priority ${WINS}`, type: 'wf:PriorityDefinition', when: has('wf:PriorityDefinition'), fields: [
    ['priority', 'Priority (0–100 or =FEEL)']] },
  { id: 'wf-schedule', label: `Workflows: task schedule ${WINS}`, type: 'wf:TaskSchedule', when: has('wf:TaskSchedule'), fields: [
    ['dueDate', 'Due (date-time, PT4H, or =FEEL)'], ['followUpDate', 'Follow up (date-time, duration, or =FEEL)']] },
  { id: 'wf-called-element', label: `Workflows: called element ${WINS}`, type: 'wf:CalledElement', when: has('wf:CalledElement'), fields: [
    ['processId', 'Called process id'],
    ['bindingType', 'Binding', 'select', [['', 'latest'], ['versionTag', 'versionTag'], ['deployment', 'deployment']]],
    ['versionTag', 'Version tag'],
    ['propagateAllChildVariables', 'Propagate all child variables (true/false, default true)'],
    ['propagateAllParentVariables', 'Propagate all parent variables (true/false, default true)']] },
  { id: 'wf-script', label: `Workflows: script ${WINS}`, type: 'wf:Script', when: has('wf:Script'), fields: [
    ['expression', 'FEEL expression'], ['resultVariable', 'Result variable']] },
  { id: 'wf-multi-instance', label: `Workflows: multi-instance ${WINS}`, type: 'wf:LoopCharacteristics', target: multiInstance,
    when: has('wf:LoopCharacteristics', multiInstance), fields: [
      ['inputCollection', 'Input collection (FEEL)'], ['inputElement', 'Input element'],
      ['outputCollection', 'Output collection'], ['outputElement', 'Output element (FEEL)']] },
  { id: 'wf-ad-hoc', label: `Workflows: ad-hoc sub-process ${WINS}`, type: 'wf:AdHoc', when: has('wf:AdHoc'), fields: [
    ['activeElementsCollection', 'Active elements (FEEL list of inner element ids)']] },
  { id: 'wf-conditional-filter', label: `Workflows: condition filter ${WINS}`, type: 'wf:ConditionalFilter', target: conditionOf,
    when: has('wf:ConditionalFilter', conditionOf), fields: [
      ['variableNames', 'Variable names (comma-separated)'], ['variableEvents', 'Variable events (create, update)']] },
  { id: 'wf-version-tag', label: `Workflows: version tag ${WINS}`, type: 'wf:VersionTag', target: processOf,
    when: has('wf:VersionTag', processOf), fields: [['value', 'Version tag']] },
  { id: 'wf-subscription', label: `Workflows: message subscription ${WINS}`, type: 'wf:Subscription', target: messageOf,
    when: has('wf:Subscription', messageOf), fields: [['correlationKey', 'Correlation key (FEEL)']] },
];

// [attribute, label, kind?, options?]: kind is text (the default), check (stored as "true" or nothing) or select.
const SPECS = [
  { id: 'wf-user-task', label: 'Workflows: who works it', type: 'wf:UserTask', when: bo => is(bo, 'bpmn:UserTask'), fields: [
    ['candidateGroups', 'Queues (candidate groups, comma-separated or =FEEL)'],
    ['candidateUsers', 'Candidate users'],
    ['assignee', 'Assignee'],
    ['priority', 'Priority (0–100 or =FEEL)'],
    ['dueDate', 'Due (date-time, PT4H, or =FEEL)'],
    ['followUpDate', 'Follow up (date-time, duration, or =FEEL)']] },
  { id: 'wf-task', label: 'Workflows: task definition (wins over Zeebe\'s)', type: 'wf:TaskDefinition', when: isJobTask, fields: [
    ['type', 'Task type (handler or worker)'],
    ['retries', 'Retries (default 3)'],
    ['external', 'Runs on a worker over the bus', 'check']] },
  { id: 'wf-sla', label: 'Workflows: service level (SLA)', type: 'wf:Sla', when: bo => isActivity(bo) || isProcess(bo), target: bo => processOf(bo) || bo, fields: [
    ['target', 'Target (PT4H, 16 working hours, 2 business days)'],
    ['warnings', 'Warnings (such as 50%,75%)'],
    ['calendar', 'Calendar (group/country:FR, or =calendar)'],
    ['scope', 'Clock of a multi-instance activity', 'select', [['', 'inner (one per instance)'], ['body', 'body (one for the whole)'], ['both', 'both']]]] },
  { id: 'wf-commitment', label: 'Workflows: level-1 commitment (the promise to the customer)', type: 'wf:Commitment', when: isProcess, target: processOf,
    defaults: { level: '1' }, fields: [
      ['name', 'Promise'],
      ['target', 'Target (2 business days, PT48H)'],
      ['department', 'Department'],
      ['calendar', 'Calendar'],
      ['timeZone', 'Time zone'],
      ['warnings', 'Warnings (default 75%)']] },
  { id: 'wf-budget', label: 'Workflows: level-2/3 commitment (a department\'s budget)', type: 'wf:Commitment', when: isActivity, fields: [
    ['level', 'Level', 'select', [['', '—'], ['2', '2 (a department)'], ['3', '3 (a team, inside a level-2 sub-process)']]],
    ['name', 'Name'],
    ['budget', 'Budget (4 working hours, PT4H)'],
    ['department', 'Department'],
    ['calendar', 'Calendar'],
    ['timeZone', 'Time zone'],
    ['warnings', 'Warnings (default 75%)']] },
  { id: 'wf-pause', label: 'Workflows: pause the clocks while waiting here', type: 'wf:PauseClocks', when: waits, fields: [
    ['reason', 'Reason (from the pause-reason catalogue)']] },
  { id: 'wf-customer-step', label: 'Workflows: the customer\'s words for this step (tracker)', type: 'wf:CustomerStep', when: bo => is(bo, 'bpmn:FlowNode'), fields: [
    ['label', 'What the customer reads (never the step\'s own name)'],
    ['customerAnswers', 'The customer answers this task\'s form in the tracker', 'check']] },
  { id: 'wf-satisfaction', label: 'Workflows: satisfaction milestone', type: 'wf:Satisfaction', when: bo => is(bo, 'bpmn:FlowNode'), fields: [
    ['score', 'Score (FEEL, such as =score)']] },
  { id: 'wf-satisfaction-policy', label: 'Workflows: satisfaction policy', type: 'wf:SatisfactionPolicy', when: isProcess, target: processOf, fields: [
    ['threshold', 'Threshold (a score below it sets off recovery)'],
    ['queue', 'Recovery queue'],
    ['priority', 'Priority of the raised tasks (default 90)'],
    ['variable', 'Score variable (default satisfaction)']] },
  { id: 'wf-journey', label: 'Workflows: journey mapping', type: 'wf:Journey', when: isProcess, target: processOf, fields: [
    ['customerId', 'Customer id (default =customerId)'],
    ['branch', 'Branch (default =branch)'],
    ['tenant', 'Tenant (default =tenant)']] },
  { id: 'wf-publish', label: 'Workflows: message sent over the bus', type: 'wf:Publish', when: bo => !!messageOf(bo), target: messageOf, fields: [
    ['timeToLive', 'Time to live (ISO 8601 duration)']] },
  ...SHARED,
];

// Lists: of the children of one extension element (in), or of extension elements themselves.
const LISTS = [
  { id: 'wf-form', label: 'Workflows: form fields', in: 'wf:Form', many: 'fields', type: 'wf:Field', when: bo => is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:StartEvent'),
    create: n => ({ id: `field${n}`, label: 'New field', type: 'string' }), title: i => i.label || i.id, fields: [
      ['id', 'Id (the variable)'],
      ['label', 'Label'],
      ['type', 'Type', 'select', ['string', 'number', 'boolean', 'date', 'enum'].map(t => [t, t])],
      ['required', 'Required', 'check'],
      ['values', 'Values (an enum\'s, comma-separated)'],
      ['min', 'Minimum'],
      ['max', 'Maximum'],
      ['minLength', 'Minimum length'],
      ['maxLength', 'Maximum length'],
      ['pattern', 'Pattern (a JavaScript regular expression)']] },
  { id: 'wf-rungs', label: 'Workflows: escalation ladder (of the SLA)', in: 'wf:Sla', many: 'rungs', type: 'wf:Escalate', when: bo => isActivity(bo) || isProcess(bo),
    target: bo => processOf(bo) || bo, create: () => ({ at: 'breach' }), title: i => `at ${i.at || '?'}`, fields: [
      ['at', 'At (75%, breach, 150%)'],
      ['priority', 'Raise the priority to'],
      ['queue', 'Move to the queue'],
      ['escalationCode', 'Throw the escalation code'],
      ['publish', 'Publish an event on the bus', 'check'],
      ['repeat', 'Repeat every (PT1H)']] },
  { id: 'wf-parameters', label: 'Workflows: local parameters', type: 'wf:Parameter', when: isProcess, target: processOf,
    create: n => ({ name: `parameter${n}`, type: 'string' }), title: i => i.label || i.name, fields: [
      ['name', 'Name'],
      ['label', 'Label'],
      ['type', 'Type', 'select', ['string', 'number', 'boolean', 'duration'].map(t => [t, t])],
      ['min', 'Minimum'],
      ['max', 'Maximum'],
      ['values', 'Allowed values (comma-separated)'],
      ['default', 'Standard value']] },
  { id: 'wf-searchable', label: 'Workflows: searchable variables', type: 'wf:Searchable', when: isProcess, target: processOf,
    create: n => ({ name: `variable${n}` }), title: i => i.name, fields: [
      ['name', 'Variable'],
      ['type', 'Type', 'select', [['', 'string'], ['number', 'number'], ['date', 'date']]]] },
  { id: 'wf-inputs', label: `Workflows: input mappings ${WINS}`, in: 'wf:IoMapping', many: 'inputParameters', type: 'wf:Input', when: has('wf:IoMapping'),
    create: n => ({ source: '=', target: `input${n}` }), title: i => i.target, fields: [['source', 'Source (FEEL)'], ['target', 'Local variable']] },
  { id: 'wf-outputs', label: `Workflows: output mappings ${WINS}`, in: 'wf:IoMapping', many: 'outputParameters', type: 'wf:Output', when: has('wf:IoMapping'),
    create: n => ({ source: '=', target: `output${n}` }), title: i => i.target, fields: [['source', 'Source (FEEL)'], ['target', 'Variable']] },
  { id: 'wf-headers', label: `Workflows: task headers ${WINS}`, in: 'wf:TaskHeaders', many: 'values', type: 'wf:Header', when: has('wf:TaskHeaders'),
    create: n => ({ key: `header${n}`, value: '' }), title: i => i.key, fields: [['key', 'Key'], ['value', 'Value']] },
  { id: 'wf-case-data', label: 'Workflows: case data shown to agents', in: 'wf:CaseData', many: 'items', type: 'wf:Show', when: isProcess, target: processOf,
    create: n => ({ variable: `variable${n}` }), title: i => i.label || i.variable, fields: [
      ['variable', 'Variable'],
      ['label', 'Label']] },
];

// ------------------------------------------------------------------ writing, as one undoable command each

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

// The extension elements of target, created in commands when missing.
function extensionsOf(services, element, target, commands) {
  let ext = target.get('extensionElements');
  if (!ext) {
    ext = services.moddle.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = target;
    commands.push(update(element, target, { extensionElements: ext }));
  }
  return ext;
}

function addExtension(services, element, target, type, attributes, commands) {
  const ext = extensionsOf(services, element, target, commands);
  const node = services.moddle.create(type, attributes);
  node.$parent = ext;
  commands.push(update(element, ext, { values: [...ext.get('values'), node] }));
  return node;
}

function isEmpty(node, except = []) {
  return node.$descriptor.properties.every(p => except.includes(p.name) || blank(node.get(p.name)));
}

function removeExtension(element, target, node, commands) {
  const ext = target.get('extensionElements');
  commands.push(update(element, ext, { values: ext.get('values').filter(v => v !== node) }));
}

function run(services, commands) {
  if (commands.length) services.commandStack.execute('properties-panel.multi-command-executor', commands);
}

function setAttribute(services, element, target, spec, name, value) {
  const v = blank(value) ? undefined : value;
  const node = find(target, spec.type);
  const commands = [];
  if (!node) {
    if (v !== undefined) addExtension(services, element, target, spec.type, { ...spec.defaults, [name]: v }, commands);
  } else {
    const except = Object.keys(spec.defaults || {});
    const emptied = v === undefined && node.$descriptor.properties.every(p => p.name === name || except.includes(p.name) || blank(node.get(p.name)));
    if (emptied) removeExtension(element, target, node, commands);
    else commands.push(update(element, node, { [name]: v }));
  }
  run(services, commands);
}

// ------------------------------------------------------------------ entries

// One component for every entry (its settings come as the entry's props): a component made anew on each render would
// be a new component type to preact, remounting every entry, and losing the field being typed in, after each change.
function Field({ element, id, node, name, label, kind, options, set }) {
  const debounce = useService('debounceInput');
  const getValue = () => (node() ? node().get(name) : undefined);
  if (kind === 'check') {
    return <CheckboxEntry element={element} id={id} label={label} getValue={() => getValue() === 'true'} setValue={checked => set(name, checked ? 'true' : undefined)} />;
  }
  if (kind === 'select') {
    return <SelectEntry element={element} id={id} label={label} getValue={() => getValue() || ''} setValue={v => set(name, v)}
      getOptions={() => options.map(([value, text]) => ({ value, label: text }))} />;
  }
  return <TextFieldEntry element={element} id={id} label={label} debounce={debounce} getValue={() => getValue() || ''} setValue={v => set(name, v && v.trim())} />;
}

const edited = kind => (kind === 'check' ? isCheckboxEntryEdited : kind === 'select' ? isSelectEntryEdited : isTextFieldEntryEdited);

function singleGroup(services, element, bo, spec) {
  const target = spec.target ? spec.target(bo) : bo;
  return {
    id: spec.id,
    label: spec.label,
    entries: spec.fields.map(([name, label, kind, options]) => ({
      id: `${spec.id}-${name}`,
      component: Field,
      node: () => find(target, spec.type),
      name, label, kind, options,
      set: (n, v) => setAttribute(services, element, target, spec, n, v),
      isEdited: edited(kind),
    })),
  };
}

function listGroup(services, element, bo, spec) {
  const target = spec.target ? spec.target(bo) : bo;
  const container = () => (spec.in ? find(target, spec.in) : null);
  const items = spec.in ? (container()?.get(spec.many) || []) : findAll(target, spec.type);
  const add = event => {
    event.stopPropagation();
    const commands = [];
    const attributes = spec.create(items.length + 1);
    if (spec.in) {
      const owner = container() || addExtension(services, element, target, spec.in, {}, commands);
      const item = services.moddle.create(spec.type, attributes);
      item.$parent = owner;
      commands.push(update(element, owner, { [spec.many]: [...(owner.get(spec.many) || []), item] }));
    } else {
      addExtension(services, element, target, spec.type, attributes, commands);
    }
    run(services, commands);
  };
  const remove = item => () => {
    const commands = [];
    if (spec.in) {
      const owner = container();
      const rest = owner.get(spec.many).filter(i => i !== item);
      if (!rest.length && isEmpty(owner, [spec.many])) removeExtension(element, target, owner, commands);
      else commands.push(update(element, owner, { [spec.many]: rest }));
    } else {
      removeExtension(element, target, item, commands);
    }
    run(services, commands);
  };
  return {
    id: spec.id,
    label: spec.label,
    component: ListGroup,
    add,
    items: items.map((item, index) => {
      const itemId = `${spec.id}-${index}`;
      return {
        id: itemId,
        label: spec.title(item) || `#${index + 1}`,
        autoFocusEntry: `${itemId}-${spec.fields[0][0]}`,
        remove: remove(item),
        entries: spec.fields.map(([name, label, kind, options]) => ({
          id: `${itemId}-${name}`,
          component: Field,
          node: () => item,
          name, label, kind, options,
          set: (n, v) => run(services, [update(element, item, { [n]: blank(v) ? undefined : v })]),
          isEdited: edited(kind),
        })),
      };
    }),
  };
}

// ------------------------------------------------------------------ the provider

export default function WfPropertiesProvider(propertiesPanel, injector) {
  const services = { moddle: injector.get('moddle'), commandStack: injector.get('commandStack') };
  this.getGroups = element => groups => {
    const bo = element.businessObject;
    for (const spec of SPECS) if (spec.when(bo) && (!spec.target || spec.target(bo))) groups.push(singleGroup(services, element, bo, spec));
    for (const spec of LISTS) if (spec.when(bo) && (!spec.target || spec.target(bo))) groups.push(listGroup(services, element, bo, spec));
    return groups;
  };
  // Below Zeebe's (1000): the standard groups first, the engine's own after them.
  propertiesPanel.registerProvider(500, this);
}

WfPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

export const WfPropertiesProviderModule = {
  __init__: ['wfPropertiesProvider'],
  wfPropertiesProvider: ['type', WfPropertiesProvider],
};
