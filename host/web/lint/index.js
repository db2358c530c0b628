// The engine's own checks for the designer's live linting. Each rule reports messages that start with the server's
// finding code; docs/designer.md lists which codes are checked here and which only on the server.
module.exports = {
  rules: {
    tasks: './rules/tasks',
    events: './rules/events',
    flows: './rules/flows',
    forms: './rules/forms',
    'service-levels': './rules/service-levels',
    declarations: './rules/declarations',
  },
};
