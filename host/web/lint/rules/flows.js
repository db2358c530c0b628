// START_EVENT_MISSING, GATEWAY_FLOW_UNCONDITIONAL, EVENT_GATEWAY_TARGET, ACTIVATION_CONDITION_MISSING,
// CONDITION_NOT_FEEL, ID_TOO_LONG, AD_HOC_NO_ACTIVITY, AD_HOC_START_END: the shape of a process (ModelValidator).
const { is, isAny, blank, text, rule } = require('./util');

module.exports = rule((node, report) => {
  if (node.id && node.id.length > 255) report('ID_TOO_LONG', 'an id is at most 255 characters');
  if (is(node, 'bpmn:Process') && !(node.flowElements || []).some(e => is(e, 'bpmn:StartEvent'))) {
    report('START_EVENT_MISSING', 'the process has no start event');
  }
  if (isAny(node, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway', 'bpmn:ComplexGateway']) && (node.outgoing || []).length > 1) {
    for (const flow of node.outgoing) {
      if (!flow.conditionExpression && flow !== node.default) {
        report('GATEWAY_FLOW_UNCONDITIONAL', `the outgoing flow '${flow.name || flow.id}' has no condition and is not the default flow`, node.id);
      }
    }
  }
  if (is(node, 'bpmn:EventBasedGateway')) {
    if ((node.outgoing || []).length < 2) report('EVENT_GATEWAY_TARGET', 'an event-based gateway needs at least two outgoing flows');
    for (const flow of node.outgoing || []) {
      if (flow.targetRef && !isAny(flow.targetRef, ['bpmn:IntermediateCatchEvent', 'bpmn:ReceiveTask'])) {
        report('EVENT_GATEWAY_TARGET', `the flow '${flow.id}' leads to '${flow.targetRef.id}'; an event-based gateway must lead to catch events`);
      }
    }
  }
  if (is(node, 'bpmn:ComplexGateway') && (node.incoming || []).length > 1 && blank(text(node.activationCondition))) {
    report('ACTIVATION_CONDITION_MISSING', 'a complex gateway that joins needs an activation condition (FEEL)');
  }
  if (is(node, 'bpmn:SequenceFlow') && /\$\{/.test(text(node.conditionExpression))) {
    report('CONDITION_NOT_FEEL', 'the condition is JUEL (${…}); write FEEL, such as =amount > 100');
  }
  if (is(node, 'bpmn:AdHocSubProcess')) {
    const inner = node.flowElements || [];
    if (!inner.some(e => is(e, 'bpmn:Activity'))) report('AD_HOC_NO_ACTIVITY', 'an ad-hoc sub-process needs at least one activity inside');
    for (const e of inner.filter(e => isAny(e, ['bpmn:StartEvent', 'bpmn:EndEvent']))) {
      report('AD_HOC_START_END', 'an ad-hoc sub-process has no start or end events: its inner elements start from its active elements collection', e.id);
    }
  }
});
