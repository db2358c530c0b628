// Runs one benchmark shape on bpmn-engine and prints one JSON line:
//   node run.mjs <file.bpmn> <throughput|memory> <count> <runs>
// throughput: instances run one after another to their end, user tasks signalled as soon as they wait;
//             the median of <runs> timed runs after one warm-up run.
// memory:     <count> instances started and left waiting at their first user task; heap growth per instance.
// The BPMN is parsed once (as the engine under test caches its definitions) and conditions are FEEL,
// evaluated with feelin, so both engines run the very same files.
import { readFileSync } from 'node:fs';
import { Engine } from 'bpmn-engine';
import BpmnModdle from 'bpmn-moddle';
import * as elements from 'bpmn-elements';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { evaluate } from 'feelin';

const [file, mode, countText, runsText] = process.argv.slice(2);
const count = Number(countText);
const runs = Number(runsText ?? 5);
const source = readFileSync(file, 'utf8');
const moddleContext = await new BpmnModdle().fromXML(source);
const sourceContext = serializer(moddleContext, TypeResolver(elements));

const services = { work: (_context, next) => next(null, { ok: true }) };
const expressions = {
  resolveExpression(expression, context) {
    if (expression.startsWith('=')) return evaluate(expression.slice(1), context.environment.variables).value;
    const service = /^\$\{environment\.services\.(\w+)\}$/.exec(expression);
    if (service) return services[service[1]];
    throw new Error(`unsupported expression ${expression}`);
  },
};

async function runOne(signalUserTasks) {
  const engine = new Engine({ sourceContext, services, expressions, variables: { amount: 1500 } });
  if (!signalUserTasks) {
    await engine.execute(); // resolves once the instance waits at its first user task
    return engine;
  }

  const ended = new Promise((resolve, reject) => {
    engine.once('end', resolve);
    engine.once('error', reject);
  });
  const execution = await engine.execute({ listener: signaller() });
  if (execution.state !== 'completed') await ended;
  return engine;
}

function signaller() {
  return {
    emit(eventName, api) {
      if (eventName === 'activity.wait') api.signal();
    },
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (mode === 'throughput') {
  const timed = async () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await runOne(true);
    return count / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await timed();
  const results = [];
  for (let r = 0; r < runs; r++) results.push(await timed());
  console.log(JSON.stringify({ instancesPerSecond: median(results), runs: results }));
} else {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const waiting = [];
  for (let i = 0; i < count; i++) waiting.push(await runOne(false));
  global.gc?.();
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ bytesPerWaitingInstance: (after - before) / count, waiting: waiting.length }));
}
