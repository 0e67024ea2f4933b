#!/usr/bin/env node
// Second step of `npm run build`, after tsc: checks every template under templates/ for escaping and
// compiles it with Handlebars into dist/templates/ (see src/render/engine.ts, precompileTemplates).
// A template that fails the check fails the build, with its file:line:col.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'templates');

const { precompileTemplates, TemplateError } = await import(pathToFileURL(join(ROOT, 'dist', 'render', 'engine.js')).href);
let files;
try {
  files = precompileTemplates(join(ROOT, 'templates'));
} catch (e) {
  if (!(e instanceof TemplateError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
// Rewritten whole, so that a template deleted from templates/ does not linger in dist/.
rmSync(OUT, { recursive: true, force: true });
for (const [name, text] of files) {
  mkdirSync(dirname(join(OUT, name)), { recursive: true });
  writeFileSync(join(OUT, name), text);
}
