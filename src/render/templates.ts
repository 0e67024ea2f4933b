// The templates pgrant renders with. From dist/ (an installed pgrant, the CLI): the functions
// precompiled by `npm run build`, run by the Handlebars runtime alone. From src/ (the tests, which run
// the TypeScript sources): compiled from templates/ after the same escaping check the build runs.
import { fileURLToPath } from 'node:url';
import { loadCompiledTemplates, type TemplateSet } from './template-runtime.js';

const fromSource = import.meta.url.endsWith('.ts');
// Loaded only from source: the compiler and the check are build-time code for an installed pgrant.
const compileFromSource = fromSource ? (await import('./engine.js')).loadTemplates : undefined;

let shipped: TemplateSet | undefined;

export function shippedTemplates(): TemplateSet {
  shipped ??= compileFromSource ? compileFromSource() : loadCompiledTemplates(fileURLToPath(new URL('../templates/index.cjs', import.meta.url)));
  return shipped;
}
