// The built-in pattern catalog as `npm run build` checked it (scripts/precompile.js): dist/catalog.json.
// Parsing patterns/*.yaml with positions and checking every definition took longer, on each run, than
// rendering a small plan; an installed pgrant reads the checked result instead. From src/ (the tests),
// patterns/ is read and checked as before, so an edited pattern takes effect without a build.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTypeExpr } from '../plan/types.js';
import '../plan/plan-types.js'; // registers the named types (role-name …) parseTypeExpr resolves
import { packagePath } from '../paths.js';
import type { PatternDef } from './catalog.js';

/** A parameter as stored: its type as written (`string[]`), parsed again when read. */
type StoredParameter = Omit<PatternDef['parameters'][string], 'type'>;
type StoredPattern = Omit<PatternDef, 'parameters'> & { parameters: Record<string, StoredParameter> };

const fromSource = import.meta.url.endsWith('.ts');

/** dist/catalog.json's text for a checked catalog (file paths relative to the package). */
export function catalogJson(catalog: Map<string, PatternDef>): string {
  const stored: StoredPattern[] = [...catalog.values()].map((def) => ({
    ...def,
    file: relative(packagePath(), def.file).split('\\').join('/'),
    parameters: Object.fromEntries(Object.entries(def.parameters).map(([key, p]) => [key, { ...p, type: undefined }])),
  }));
  return `${JSON.stringify(stored, null, 1)}\n`;
}

/** dist/catalog.json: the catalog as the build checked it. */
export const SHIPPED_CATALOG = fileURLToPath(new URL('../catalog.json', import.meta.url));

/**
 * The catalog checked at build time; undefined when pgrant runs from source, or before the build wrote
 * it (then patterns/ is read and checked, which gives the same catalog, only slower).
 */
export function shippedCatalog(): Map<string, PatternDef> | undefined {
  if (fromSource || !existsSync(SHIPPED_CATALOG)) return undefined;
  const stored = JSON.parse(readFileSync(SHIPPED_CATALOG, 'utf8')) as StoredPattern[];
  return new Map(
    stored.map((def) => {
      const parameters: PatternDef['parameters'] = {};
      for (const [key, p] of Object.entries(def.parameters)) {
        parameters[key] = { typeExpr: p.typeExpr, type: parseTypeExpr(p.typeExpr), required: p.required, default: p.default, doc: p.doc, since: p.since };
      }
      return [def.name, { ...def, parameters, file: packagePath(def.file) }];
    }),
  );
}
