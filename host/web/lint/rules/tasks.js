// TASK_TYPE_MISSING, SCRIPT_MISSING, MESSAGE_MISSING (receive task), CALLED_ELEMENT_MISSING, CALL_BINDING_INVALID,
// MULTI_INSTANCE_INPUT, LOOP_ENDLESS: what a task needs to run (ModelValidator.CheckNode).
const { is, isAny, extension, blank, text, rule } = require('./util');

module.exports = rule((node, report) => {
  if (isAny(node, ['bpmn:ServiceTask', 'bpmn:BusinessRuleTask', 'bpmn:SendTask'])) {
    const definition = extension(node, 'wf:TaskDefinition', 'zeebe:TaskDefinition');
    const decided = is(node, 'bpmn:BusinessRuleTask') && extension(node, 'zeebe:CalledDecision');
    const sends = is(node, 'bpmn:SendTask') && node.messageRef;
    if (blank(definition && definition.type) && !decided && !sends) {
      report('TASK_TYPE_MISSING', is(node, 'bpmn:SendTask')
        ? 'a send task needs a message or a task definition type'
        : 'a task definition with a type is needed (the job worker or handler that runs it)');
    }
  }
  if (is(node, 'bpmn:ScriptTask')) {
    const script = extension(node, 'wf:Script', 'zeebe:Script');
    const feel = (node.scriptFormat || '').toLowerCase() === 'feel' && !blank(node.script);
    if (blank(script && script.expression) && !feel) report('SCRIPT_MISSING', 'a script task needs a FEEL script (zeebe:script expression and result variable)');
  }
  if (is(node, 'bpmn:ReceiveTask') && !node.messageRef) report('MESSAGE_MISSING', 'a receive task needs a message');
  if (is(node, 'bpmn:CallActivity')) {
    const called = extension(node, 'wf:CalledElement', 'zeebe:CalledElement');
    if (blank(called && called.processId)) report('CALLED_ELEMENT_MISSING', 'a call activity needs a called process id');
    else if (called.bindingType === 'versionTag' && blank(called.versionTag)) report('CALL_BINDING_INVALID', 'binding "versionTag" needs a version tag');
  }
  const loop = node.loopCharacteristics;
  if (loop && is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) {
    const zeebe = extension(loop, 'wf:LoopCharacteristics', 'zeebe:LoopCharacteristics');
    if (blank(zeebe && zeebe.inputCollection) && blank(text(loop.loopCardinality))) {
      report('MULTI_INSTANCE_INPUT', 'a multi-instance activity needs an input collection or a loop cardinality');
    }
  }
  if (loop && is(loop, 'bpmn:StandardLoopCharacteristics') && blank(text(loop.loopCondition)) && blank(loop.loopMaximum)) {
    report('LOOP_ENDLESS', 'a standard loop needs a loop condition or a loop maximum; with neither it never ends');
  }
});
