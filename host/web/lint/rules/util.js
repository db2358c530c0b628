// What the rules share: the extension elements of a node in either namespace the engine reads (wf: wins), and a
// report that starts with the server's finding code, so that the designer shows live and server findings alike.
const { is, isAny } = require('bpmnlint-utils');

function extensions(node, type) {
  return (node.extensionElements && node.extensionElements.values || []).filter(v => v.$instanceOf && v.$instanceOf(type));
}

function extension(node, ...types) {
  for (const type of types) {
    const found = extensions(node, type)[0];
    if (found) return found;
  }
  return undefined;
}

function blank(value) {
  return value === undefined || value === null || String(value).trim() === '';
}

function text(expression) {
  return expression && typeof expression.body === 'string' ? expression.body.trim() : '';
}

// FeelBuiltins.ParseDuration's grammar.
const ISO = /^(-)?P(?:(-?\d{1,18})Y)?(?:(-?\d{1,18})M)?(?:(-?\d{1,18})W)?(?:(-?\d{1,18})D)?(?:T(?:(-?\d{1,18})H)?(?:(-?\d{1,18})M)?(?:(-?\d{1,18}(?:\.\d{0,9})?)S)?)?$/;

/** An ISO 8601 days-time duration in days (negative allowed), or null (not one, or years/months: FEEL's other kind). */
function isoDays(text) {
  const m = ISO.exec(text);
  if (!m || text.endsWith('T') || text === 'P' || text === '-P' || m[2] !== undefined || m[3] !== undefined) return null;
  const n = i => Number(m[i] || 0);
  const days = n(4) * 7 + n(5) + n(6) / 24 + n(7) / 1440 + n(8) / 86400;
  return m[1] ? -days : days;
}

// A rule reporting through check(node, report) with report(code, message[, id]).
function rule(check) {
  return function() {
    return {
      check(node, reporter) {
        check(node, (code, message, id) => reporter.report(id || node.id, `${code}: ${message}`));
      },
    };
  };
}

module.exports = { is, isAny, extensions, extension, blank, text, rule, isoDays };
