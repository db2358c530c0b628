// Builds the designer's bundle: the bpmnlint configuration compiled to a module (bpmnlint's rules are resolved by
// name at lint time, so a browser needs them imported into the bundle), then one ES module and one stylesheet
// under ../wwwroot/lib/designer from src/designer.js. Run by the host's build (Workflows.Host.csproj) when an input
// changed; `npm run build` by hand does the same.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const compileConfig = require('bpmnlint/lib/support/compile-config');
const started = Date.now();

// Camunda 8.8's compatibility rules for what the engine shares with Zeebe, with the rules that refuse what the
// engine runs beyond Zeebe turned off (lint/index.js says which and why), and the engine's own rules.
const lintConfig = require('./lint/config.json');
await mkdir('src/generated', { recursive: true });
await writeFile('src/generated/lint-config.js', await compileConfig(lintConfig));

await build({
  entryPoints: {
    designer: 'src/designer.js',
    decisions: 'src/decisions.js',
    'forms-editor': 'src/forms-editor.js',
    'forms-viewer': 'src/forms-viewer.js',
  },
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  target: 'es2022',
  outdir: '../wwwroot/lib/designer',
  // One preact for every bundle: form-js's editor ships an older copy of its own, and hooks of one copy rendered by
  // the other fail (its viewer and properties panel use the top-level one).
  alias: { preact: fileURLToPath(new URL('./node_modules/preact', import.meta.url)) },
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  legalComments: 'linked',
  logLevel: 'warning',
});
console.log(`designer bundle built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
