// The catalog: patterns/*.yaml read and checked once, as data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Collector, UserError } from '../diagnostics.js';
import { SourceFile } from '../plan/source.js';
import { checkObject, parseTypeExpr, type Field, type TypeDesc } from '../plan/types.js';
import '../plan/plan-types.js';
import { packagePath } from '../paths.js';
import { shippedCatalog } from './shipped.js';

/** A privilege list in a pattern's intent: words, `$param` (a privilege-list parameter), or `{if: param, then: [...]}`. */
export type IntentEntry = string | { if: string; then: string[] };

export interface PatternDef {
  name: string;
  summary: string;
  description: string;
  /** The TypeScript function that expands an instance into the model (src/catalog/expanders/). */
  expander: string;
  /** Settings the expander reads (e.g. the attributes of the role it creates). */
  settings: Record<string, unknown>;
  parameters: Record<string, Field & { typeExpr: string }>;
  /** What each role the pattern creates must be able to do, per object kind; everything else it must not. */
  intent: Record<string, IntentEntry[]>;
  example: string;
  /** What `pgrant init --pattern` writes: neutral names, renders with no warning. */
  starter: string;
  file: string;
}

/** Keys every pattern instance accepts besides its parameters. */
export const COMMON_INSTANCE_FIELDS: Record<string, Field> = {
  pattern: { type: { kind: 'string' }, required: true, doc: 'the catalog pattern to use (see `pgrant patterns`)' },
  mode: {
    type: { kind: 'string', enum: ['authoritative', 'additive'] },
    default: 'authoritative',
    doc: 'authoritative: deploy.sql also revokes what the plan no longer grants to the roles this pattern creates; additive: it only grants',
  },
  merge: {
    type: { kind: 'boolean' },
    default: false,
    doc: 'true: the role this instance is about may also get access from an instance of another pattern, and holds what both give; without it, that is an error',
  },
};

const PATTERN_FILE_TYPE: Extract<TypeDesc, { kind: 'object' }> = {
  kind: 'object',
  title: 'a pattern definition',
  fields: {
    pattern: { type: { kind: 'string', pattern: /^[a-z][a-z-]*$/, patternDoc: 'a kebab-case name' }, required: true, doc: 'name' },
    summary: { type: { kind: 'string' }, required: true, doc: 'one line' },
    description: { type: { kind: 'string' }, default: '', doc: 'longer text' },
    expander: { type: { kind: 'string' }, required: true, doc: 'expander function' },
    settings: { type: { kind: 'map', key: { kind: 'string' }, value: { kind: 'union', doc: 'any', options: [{ kind: 'boolean' }, { kind: 'string' }, { kind: 'integer' }] } }, default: {}, doc: 'expander settings' },
    parameters: {
      type: {
        kind: 'map',
        key: { kind: 'string' },
        value: {
          kind: 'object',
          fields: {
            type: { type: { kind: 'string' }, required: true, doc: 'type expression' },
            required: { type: { kind: 'boolean' }, default: false, doc: 'required' },
            default: { type: { kind: 'union', doc: 'a default', options: [{ kind: 'boolean' }, { kind: 'integer' }, { kind: 'string' }, { kind: 'list', of: { kind: 'string' } }] }, doc: 'default value' },
            doc: { type: { kind: 'string' }, required: true, doc: 'documentation' },
            since: { type: { kind: 'integer' }, doc: 'first major' },
          },
        },
      },
      required: true,
      doc: 'parameters',
    },
    intent: {
      type: {
        kind: 'map',
        key: { kind: 'string' },
        value: {
          kind: 'list',
          of: {
            kind: 'union',
            doc: 'a privilege, $param or {if, then}',
            options: [
              { kind: 'string' },
              { kind: 'object', fields: { if: { type: { kind: 'string' }, required: true, doc: 'parameter' }, then: { type: { kind: 'list', of: { kind: 'string' } }, required: true, doc: 'privileges' } } },
            ],
          },
        },
      },
      default: {},
      doc: 'intent',
    },
    example: { type: { kind: 'string' }, required: true, doc: 'an example plan' },
    starter: { type: { kind: 'string' }, required: true, doc: 'the plan `pgrant init --pattern` writes (neutral names, no lint warning)' },
  },
};

let catalog: Map<string, PatternDef> | undefined;

/** The catalog, read from patterns/ on first use. A broken pattern file is a bug in pgrant (exit 2). */
export function loadCatalog(dir = packagePath('patterns')): Map<string, PatternDef> {
  if (catalog && dir === packagePath('patterns')) return catalog;
  // An installed pgrant reads the catalog as the build checked it (see shipped.ts).
  const shipped = dir === packagePath('patterns') ? shippedCatalog() : undefined;
  if (shipped) return (catalog = shipped);

  const result = new Map<string, PatternDef>();
  const out = new Collector();
  for (const entry of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const file = join(dir, entry);
    const source = new SourceFile(file, readFileSync(file, 'utf8'));
    source.reportSyntax(out);
    const raw = checkObject(source.doc.contents, PATTERN_FILE_TYPE, { source, out, major: 18 }, []);
    if (!raw) continue;
    const parameters: PatternDef['parameters'] = {};
    for (const [key, p] of Object.entries(raw.parameters as Record<string, Record<string, unknown>>)) {
      const typeExpr = p.type as string;
      parameters[key] = {
        typeExpr,
        type: parseTypeExpr(typeExpr),
        required: p.required as boolean,
        default: p.default,
        doc: p.doc as string,
        since: p.since as number | undefined,
      };
    }
    const def: PatternDef = {
      name: raw.pattern as string,
      summary: raw.summary as string,
      description: raw.description as string,
      expander: raw.expander as string,
      settings: raw.settings as Record<string, unknown>,
      parameters,
      intent: raw.intent as Record<string, IntentEntry[]>,
      example: raw.example as string,
      starter: raw.starter as string,
      file,
    };
    if (`${def.name}.yaml` !== entry) out.error(source.locNode(source.doc.contents), 'pattern', `pattern "${def.name}" must live in ${def.name}.yaml`);
    result.set(def.name, def);
  }
  if (out.errors.length) throw new Error(`the pattern catalog is broken:\n${new UserError(out.errors).message}`);
  if (dir === packagePath('patterns')) catalog = result;
  return result;
}

const instanceTypes = new WeakMap<Pick<PatternDef, 'name' | 'parameters'>, Extract<TypeDesc, { kind: 'object' }>>();

/** The object type an instance of the pattern is validated against. */
export function instanceType(def: Pick<PatternDef, 'name' | 'parameters'>): Extract<TypeDesc, { kind: 'object' }> {
  // Once per pattern definition: a plan of thousands of instances checks each against the same type.
  let type = instanceTypes.get(def);
  if (!type) {
    type = { kind: 'object', title: `a "${def.name}" pattern instance`, fields: { ...COMMON_INSTANCE_FIELDS, ...def.parameters } };
    instanceTypes.set(def, type);
  }
  return type;
}
