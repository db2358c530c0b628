// Regenerates feel-corpus.json from expressions.mjs with the reference FEEL implementation `feelin`.
//   cd tests/Workflows.Engine.Tests/Feel/Corpus && npm ci && npm run generate
// Each entry records the expression, its context and feelin's result, tagged with its FEEL type so
// that the C# test can compare values (numbers within a relative 1e-9: feelin computes in doubles,
// the engine in decimals).
import { evaluate } from 'feelin';
import { writeFileSync } from 'node:fs';
import { expressions } from './expressions.mjs';

function tag(value) {
  if (value === null || value === undefined) return null;
  const kind = value.constructor?.name;
  switch (kind) {
    case 'FeelDate': return { $type: 'date', value: JSON.parse(JSON.stringify(value)) };
    case 'FeelTime': return { $type: 'time', value: JSON.parse(JSON.stringify(value)) };
    case 'FeelDateTime': return { $type: 'date and time', value: JSON.parse(JSON.stringify(value)) };
    case 'FeelDuration': return { $type: 'duration', value: JSON.parse(JSON.stringify(value)) };
    case 'FeelRange': {
      const r = JSON.parse(JSON.stringify(value));
      return { $type: 'range', start: r.start, end: r.end, startIncluded: r['start included'], endIncluded: r['end included'] };
    }
    case 'FeelFunction': throw new Error('functions are not comparable; leave them out of the corpus');
  }
  if (Array.isArray(value)) return value.map(tag);
  if (typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = tag(v);
    return { $type: 'context', value: out };
  }
  return value;
}

const now = '2025-01-06T09:00:00Z';
const corpus = [];
const rejected = [];
for (const [expression, context = {}] of expressions) {
  try {
    const { value } = evaluate(expression, context);
    corpus.push({ expression, context, expected: tag(value) });
  } catch (e) {
    rejected.push(`${expression}: ${e.message}`);
  }
}

if (rejected.length > 0) {
  // The corpus holds only what the reference accepts; say what it refused so the list can be fixed.
  console.error(`feelin refused ${rejected.length} expressions:\n  ${rejected.join('\n  ')}`);
  process.exitCode = 1;
}

writeFileSync(new URL('./feel-corpus.json', import.meta.url), JSON.stringify({ generatedBy: 'feelin 8.2.0', now, entries: corpus }, null, 1) + '\n');
console.log(`wrote ${corpus.length} entries`);
