// MESSAGE_MISSING, CORRELATION_KEY_MISSING, TIMER_MISSING, TIMER_EMPTY, SIGNAL_MISSING, ERROR_CODE_MISSING,
// ESCALATION_CODE_MISSING, LINK_NAME_MISSING, CONDITION_MISSING, EVENT_DEFINITION_MISSING: what an event needs
// (ModelValidator.CheckEvent, BpmnParser.ReadTimer).
const { is, isAny, extension, blank, text, rule } = require('./util');

module.exports = rule((node, report) => {
  if (!is(node, 'bpmn:Event')) return;
  const definitions = node.eventDefinitions || [];
  if (!definitions.length && isAny(node, ['bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent'])) {
    report('EVENT_DEFINITION_MISSING', 'a catch or boundary event needs an event definition (message, timer, signal…)');
  }
  if (definitions.length !== 1) return;
  const d = definitions[0];
  if (is(d, 'bpmn:MessageEventDefinition')) {
    if (!d.messageRef) report('MESSAGE_MISSING', 'the message event has no message');
    else if (isAny(node, ['bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent'])) {
      const subscription = extension(d.messageRef, 'wf:Subscription', 'zeebe:Subscription');
      if (blank(subscription && subscription.correlationKey)) report('CORRELATION_KEY_MISSING', `message '${d.messageRef.name || d.messageRef.id}' has no correlation key`);
    }
  }
  if (is(d, 'bpmn:TimerEventDefinition')) {
    const value = d.timeDate || d.timeDuration || d.timeCycle;
    if (!value) report('TIMER_MISSING', 'the timer has no date, duration or cycle');
    else if (blank(text(value))) report('TIMER_EMPTY', 'the timer\'s value is empty');
  }
  if (is(d, 'bpmn:SignalEventDefinition') && !d.signalRef) report('SIGNAL_MISSING', 'the signal event has no signal');
  if (is(d, 'bpmn:ErrorEventDefinition') && is(node, 'bpmn:EndEvent') && blank(d.errorRef && d.errorRef.errorCode)) {
    report('ERROR_CODE_MISSING', 'an error end event needs an error with an error code');
  }
  if (is(d, 'bpmn:EscalationEventDefinition') && isAny(node, ['bpmn:EndEvent', 'bpmn:IntermediateThrowEvent']) && blank(d.escalationRef && d.escalationRef.escalationCode)) {
    report('ESCALATION_CODE_MISSING', 'an escalation throw event needs an escalation with an escalation code');
  }
  if (is(d, 'bpmn:LinkEventDefinition') && blank(d.name)) report('LINK_NAME_MISSING', 'a link event needs a name');
  if (is(d, 'bpmn:ConditionalEventDefinition') && blank(text(d.condition))) {
    report('CONDITION_MISSING', 'the conditional event needs a FEEL condition (such as =amount > 1000)');
  }
});
