// SLA_TARGET_MISSING, SLA_INVALID, SLA_SCOPE_INVALID, COMMITMENT_INVALID, SATISFACTION_INVALID, PAUSE_REASON_MISSING,
// FORM_FIELD_INVALID: the engine's own extensions (ServiceLevelParseListener, CommitmentCheck, BpmnParser.Elements), by
// the server's rules, so that what passes here passes there (targets and budgets read as BusinessDuration.Parse does).
const { extensions, blank, rule, isoDays } = require('./util');

// The server's grammar of a target or budget (BusinessDuration.Parse): "16 working hours", "PT16H working", "2 business
// days" (with "cut-off 17:00"), or an ISO 8601 days-time duration (no years or months: PT48H, P2D), within its bounds.
const WORKING_HOURS = /^(\d+(\.\d+)?) working hours?$/i;
const ISO_WORKING = /^(P\S+) working$/i;
const BUSINESS_DAYS = /^(\d+) business days?( cut-?off (\d{1,2}):(\d{2}))?$/i;

/** Why the server refuses a target or budget, or null when it reads it. */
function durationProblem(text) {
  const t = text.trim();
  let m;
  if ((m = WORKING_HOURS.exec(t))) return Number(m[1]) <= 20000 ? null : 'is longer than 20,000 working hours';
  if ((m = ISO_WORKING.exec(t)) && isoDays(m[1]) !== null) return Math.abs(isoDays(m[1])) * 24 <= 20000 ? null : 'is longer than 20,000 working hours';
  if ((m = BUSINESS_DAYS.exec(t))) {
    if (m[3] !== undefined && (Number(m[3]) > 23 || Number(m[4]) > 59)) return `has the cut-off ${m[3]}:${m[4]}, which is not a time of day`;
    return Number(m[1]) <= 2500 ? null : 'is longer than 2,500 business days';
  }
  const days = isoDays(t);
  if (days === null) return 'is not a duration: write PT48H (elapsed), 16 working hours (or PT16H working), or 2 business days cut-off 17:00 (no months or years, no FEEL)';
  return Math.abs(days) <= 36500 ? null : 'is longer than 36,500 days';
}

// A percentage as the server reads it: a positive number, with or without %.
function percent(text) {
  const t = text.trim().replace(/%+$/, '');
  return /^\s*\+?(\d+(\.\d*)?|\.\d+)\s*$/.test(t) && Number(t) > 0 ? Number(t) : null;
}
const wholeInRange = (text, low, high) => /^\s*[+-]?\d+\s*$/.test(text) && Number(text) >= low && Number(text) <= high;
const present = value => value !== undefined && value !== null;

// The clock of an SLA or a readable commitment (ServiceLevelParseListener.ReadClock): warnings, rungs.
function checkClock(warnings, rungs, report) {
  for (const warning of (warnings || '').split(',').map(w => w.trim()).filter(w => w)) {
    if (percent(warning) === null) report('SLA_INVALID', `the warning '${warning}' is not a percentage of the target such as 75%`);
  }
  const at = new Set();
  for (const rung of rungs || []) {
    const when = present(rung.at) ? rung.at : 'breach';
    const value = when.toLowerCase() === 'breach' ? 100 : percent(when);
    if (value === null) report('SLA_INVALID', `the escalation's at '${when}' is not a percentage of the target such as 75%`);
    else if (at.has(value)) report('SLA_INVALID', `two escalation rungs fire at ${value}%; put their actions on one rung`);
    else at.add(value);
    const priority = present(rung.priority) && wholeInRange(rung.priority, 0, 100);
    if (present(rung.priority) && !priority) report('SLA_INVALID', `the escalation's priority '${rung.priority}' is not a number from 0 to 100`);
    if (present(rung.repeat) && !(isoDays(rung.repeat) > 0)) report('SLA_INVALID', `the escalation's repeat '${rung.repeat}' is not a positive ISO 8601 duration such as PT2H`);
    if (!priority && !present(rung.queue) && !present(rung.escalationCode) && String(rung.publish).toLowerCase() !== 'true') {
      report('SLA_INVALID', 'an escalation rung needs at least one action: priority, queue, escalation code or publish');
    }
  }
}

module.exports = rule((node, report) => {
  for (const sla of extensions(node, 'wf:Sla')) {
    if (!present(sla.target)) report('SLA_TARGET_MISSING', 'an SLA needs a target duration (PT4H, 16 working hours, 2 business days)');
    else {
      const problem = durationProblem(sla.target);
      if (problem) report('SLA_INVALID', `the target '${sla.target}' ${problem}`);
    }
    checkClock(sla.warnings, sla.rungs, report);
    if (!blank(sla.scope) && !['inner', 'body', 'both'].includes(sla.scope)) report('SLA_SCOPE_INVALID', `the SLA scope '${sla.scope}' is none of inner, body, both`);
  }
  for (const c of extensions(node, 'wf:Commitment')) {
    const target = present(c.target) ? c.target : c.budget;
    if (!wholeInRange(c.level || '', 1, 3) || !present(target)) {
      report('COMMITMENT_INVALID', 'a commitment needs a level of 1, 2 or 3 and a target (or budget)');
    } else if (durationProblem(target)) {
      report('COMMITMENT_INVALID', `the ${present(c.target) ? 'target' : 'budget'} '${target}' ${durationProblem(target)}`);
    } else {
      checkClock(present(c.warnings) ? c.warnings : '75%', [], report);
    }
  }
  for (const s of extensions(node, 'wf:Satisfaction')) {
    if (blank(s.score)) report('SATISFACTION_INVALID', 'a satisfaction milestone needs a score expression (such as =survey.score)');
  }
  for (const p of extensions(node, 'wf:SatisfactionPolicy')) {
    const threshold = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(p.threshold || '');
    if (!threshold || blank(p.queue) || !wholeInRange(present(p.priority) ? p.priority : '90', 0, 100)) {
      report('SATISFACTION_INVALID', 'a satisfaction policy needs a numeric threshold, a recovery queue and a priority from 0 to 100 (default 90)');
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
      if (blank(field.id)) continue;
      for (const attribute of ['min', 'max', 'minLength', 'maxLength']) {
        const text = field[attribute];
        if (!present(text)) continue;
        const whole = attribute.endsWith('Length');
        const number = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
        if (isNaN(number) || (whole && (number < 0 || !Number.isInteger(number) || number > 2147483647))) {
          report('FORM_FIELD_INVALID', `form field '${field.id}' has ${attribute}="${text}", which is not a${whole ? ' whole' : ''} number`);
        }
      }
      if (!blank(field.pattern)) {
        try { new RegExp(field.pattern); } catch { report('FORM_FIELD_INVALID', `form field '${field.id}' has the pattern '${field.pattern}', which is not a regular expression`); }
      }
    }
  }
});
