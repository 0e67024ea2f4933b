#!/usr/bin/env node
// Second step of `npm run build`, after tsc: what pgrant would otherwise check and compile on every run.
//   - every template under templates/: checked for escaping, compiled by Handlebars into dist/templates/
//     (src/render/engine.ts, precompileTemplates); a template that fails the check fails the build;
//   - the pattern catalog patterns/*.yaml: read and checked, written as data to dist/catalog.json
//     (src/catalog/shipped.ts); a broken pattern fails the build.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const dist = (path) => import(pathToFileURL(join(DIST, path)).href);

const { precompileTemplates, TemplateError } = await dist('render/engine.js');
let templates;
try {
  templates = precompileTemplates(join(ROOT, 'templates'));
} catch (e) {
  if (!(e instanceof TemplateError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
// Rewritten whole, so that a template deleted from templates/ does not linger in dist/.
rmSync(join(DIST, 'templates'), { recursive: true, force: true });
for (const [name, text] of templates) {
  mkdirSync(dirname(join(DIST, 'templates', name)), { recursive: true });
  writeFileSync(join(DIST, 'templates', name), text);
}

// loadCatalog() reads dist/catalog.json when it exists: remove the old one, so that patterns/ is read.
const { SHIPPED_CATALOG, catalogJson } = await dist('catalog/shipped.js');
rmSync(SHIPPED_CATALOG, { force: true });
const { loadCatalog } = await dist('catalog/catalog.js');
writeFileSync(SHIPPED_CATALOG, catalogJson(loadCatalog()));
