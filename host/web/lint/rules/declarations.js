// PARAMETER_DUPLICATE, PARAMETER_TOO_MANY, SEARCHABLE_DUPLICATE, SEARCHABLE_TOO_MANY, MESSAGE_TTL_INVALID,
// AD_HOC_JOB_WORKER_UNSUPPORTED, BOUNDARY_HOST_MISSING, CANCEL_OUTSIDE_TRANSACTION: declarations counted and placed
// (the parameters' and searchables' readers, the bus's message reader, ModelValidator, CompensationCheck).
const { is, extensions, extension, blank, rule, isoDays } = require('./util');

function countAndDuplicates(node, report, type, limit, prefix, what) {
  const declared = extensions(node, type);
  if (declared.length > limit) report(`${prefix}_TOO_MANY`, `at most ${limit} ${what} per process; this one declares ${declared.length}`);
  const seen = new Set();
  for (const d of declared) {
    if (!blank(d.name) && seen.has(d.name)) report(`${prefix}_DUPLICATE`, `the ${what.replace(/s$/, '')} '${d.name}' is declared twice`);
    seen.add(d.name);
  }
}

module.exports = rule((node, report) => {
  if (is(node, 'bpmn:Process')) {
    countAndDuplicates(node, report, 'wf:Parameter', 20, 'PARAMETER', 'parameters');
    countAndDuplicates(node, report, 'wf:Searchable', 10, 'SEARCHABLE', 'searchable variables');
  }
  if (is(node, 'bpmn:Message')) {
    const publish = extension(node, 'wf:Publish');
    const ttl = publish && publish.timeToLive !== undefined ? isoDays(publish.timeToLive) : 0;
    if (ttl === null || ttl < 0) {
      report('MESSAGE_TTL_INVALID', `the time to live '${publish.timeToLive}' is not an ISO 8601 duration (days and time, no months or years) such as PT1H`);
    }
  }
  if (is(node, 'bpmn:AdHocSubProcess') && extension(node, 'wf:TaskDefinition', 'zeebe:TaskDefinition')) {
    report('AD_HOC_JOB_WORKER_UNSUPPORTED', 'an ad-hoc sub-process run by a job worker is not supported; use its active elements collection');
  }
  if (is(node, 'bpmn:BoundaryEvent') && !node.attachedToRef) report('BOUNDARY_HOST_MISSING', 'a boundary event must be attached to an activity');
  if (is(node, 'bpmn:EndEvent') && (node.eventDefinitions || []).some(d => is(d, 'bpmn:CancelEventDefinition')) && !is(node.$parent, 'bpmn:Transaction')) {
    report('CANCEL_OUTSIDE_TRANSACTION', 'a cancel end event belongs directly inside a transaction');
  }
});
