// SLA_TARGET_MISSING, SLA_INVALID, SLA_SCOPE_INVALID, COMMITMENT_INVALID, SATISFACTION_INVALID, PAUSE_REASON_MISSING,
// FORM_FIELD_INVALID: the engine's own extensions (ServiceLevelParseListener, BpmnParser.Elements). The target's full
// grammar (business durations on a calendar) is the server's: here only what cannot be a duration is reported.
const { extensions, blank, rule } = require('./util');

const DURATION = /^(=.+|P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|\d+(\.\d+)?\s+(working|business)\s+(minutes?|hours?|days?))$/;
const PERCENT = /^\d+(\.\d+)?%?$/;

module.exports = rule((node, report) => {
  for (const sla of extensions(node, 'wf:Sla')) {
    if (blank(sla.target)) report('SLA_TARGET_MISSING', 'an SLA needs a target duration (PT4H, 16 working hours, 2 business days)');
    else if (!DURATION.test(sla.target.trim())) report('SLA_INVALID', `the target '${sla.target}' is not a duration (PT4H, 16 working hours, 2 business days)`);
    for (const warning of (sla.warnings || '').split(',').map(w => w.trim()).filter(w => w)) {
      if (!PERCENT.test(warning)) report('SLA_INVALID', `the warning '${warning}' is not a percentage of the target such as 75%`);
    }
    if (!blank(sla.scope) && !['inner', 'body', 'both'].includes(sla.scope)) report('SLA_SCOPE_INVALID', `the SLA scope '${sla.scope}' is none of inner, body, both`);
    for (const rung of sla.rungs || []) {
      if (blank(rung.priority) && blank(rung.queue) && blank(rung.escalationCode) && rung.publish !== 'true') {
        report('SLA_INVALID', 'an escalation rung needs at least one action: priority, queue, escalation code or publish');
      }
      if (!blank(rung.priority) && !(/^\d+$/.test(rung.priority) && Number(rung.priority) <= 100)) {
        report('SLA_INVALID', `the escalation's priority '${rung.priority}' is not a number from 0 to 100`);
      }
    }
  }
  for (const c of extensions(node, 'wf:Commitment')) {
    if (!['1', '2', '3'].includes(c.level) || (blank(c.target) && blank(c.budget))) {
      report('COMMITMENT_INVALID', 'a commitment needs a level of 1, 2 or 3 and a target (or budget)');
    }
  }
  for (const s of extensions(node, 'wf:Satisfaction')) {
    if (blank(s.score)) report('SATISFACTION_INVALID', 'a satisfaction milestone needs a score expression (such as =survey.score)');
  }
  for (const p of extensions(node, 'wf:SatisfactionPolicy')) {
    if (blank(p.threshold) || isNaN(Number(p.threshold)) || blank(p.queue)) {
      report('SATISFACTION_INVALID', 'a satisfaction policy needs a numeric threshold and a recovery queue');
    }
  }
  for (const p of extensions(node, 'wf:PauseClocks')) {
    if (blank(p.reason)) report('PAUSE_REASON_MISSING', 'pausing the clocks needs a reason from the pause-reason catalogue');
  }
  for (const form of extensions(node, 'wf:Form')) {
    for (const field of form.fields || []) {
      if (blank(field.id)) report('FORM_FIELD_INVALID', 'a form field needs an id');
      else if (!blank(field.type) && !['string', 'number', 'boolean', 'date', 'enum'].includes(field.type)) {
        report('FORM_FIELD_INVALID', `form field '${field.id}' has type '${field.type}'; use string, number, boolean, date or enum`);
      }
    }
  }
});
