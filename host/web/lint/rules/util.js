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

module.exports = { is, isAny, extensions, extension, blank, text, rule };
