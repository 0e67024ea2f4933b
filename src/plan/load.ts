// read → parse (keeping positions) → validate every key, collecting all problems before stopping.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { Collector, UserError, didYouMean } from '../diagnostics.js';
import { instanceType, loadCatalog, type PatternDef } from '../catalog/catalog.js';
import { SourceFile, type PathSegment } from './source.js';
import { checkObject, type Field, type TypeDesc } from './types.js';
import { PLAN_NAME } from './plan-types.js';

export const SUPPORTED_TARGETS = [14, 15, 16, 17, 18];
export const DEFAULT_TARGET = 17;
export const FORMAT_VERSION = 1;

export interface PlanInstance {
  def: PatternDef;
  index: number;
  params: Record<string, unknown>;
  path: PathSegment[];
}

export interface PlanTestCase {
  as: string;
  sql: string;
  ok?: boolean;
  error?: string;
  returns?: string;
  path: PathSegment[];
}

export interface Plan {
  file: string;
  source: SourceFile;
  name: string;
  postgres: number;
  database: string;
  /** Set when the harness runs the plan in a scratch database: every mention of `from` means `to`. */
  databaseAlias: { from: string; to: string } | null;
  reassignTo: string | null;
  instances: PlanInstance[];
  test: { fixture?: string; cases: PlanTestCase[] };
}

/** Top-level keys; `patterns` entries are checked against the catalog separately. */
export const PLAN_FIELDS: Record<string, Field> = {
  pgrant: { type: { kind: 'integer' }, required: true, doc: 'format version of the plan file (1)' },
  name: {
    type: { kind: 'string', pattern: PLAN_NAME, patternDoc: 'a folder name (letters, digits, ".", "_", "-")' },
    doc: 'output folder name (default: the file name without extension)',
  },
  postgres: { type: { kind: 'integer' }, default: DEFAULT_TARGET, doc: 'target server major, 14..18: output uses only syntax valid there' },
  database: { type: { kind: 'ref', name: 'database-name' }, required: true, doc: 'the database the scripts run in' },
  patterns: { type: { kind: 'list', of: { kind: 'string' } }, required: true, doc: 'instances of catalog patterns' },
  reassign_to: {
    type: { kind: 'ref', name: 'role' },
    doc: 'the role revert.sql hands objects owned by the plan\'s roles to (REASSIGN OWNED); default: the role that runs revert.sql',
  },
  test: {
    type: {
      kind: 'object',
      title: 'test settings {fixture, cases}',
      fields: {
        fixture: { type: { kind: 'string' }, doc: 'SQL file (relative to the plan) loaded before deploy by `pgrant test`' },
        cases: {
          type: {
            kind: 'list',
            of: {
              kind: 'object',
              title: 'a test case {as, sql, ok | error | returns}',
              oneOf: ['ok', 'error', 'returns'],
              fields: {
                as: { type: { kind: 'ref', name: 'role' }, required: true, doc: 'the role to run the statement as (SET ROLE)' },
                sql: { type: { kind: 'string' }, required: true, doc: 'one SQL statement' },
                ok: { type: { kind: 'boolean' }, doc: 'true: the statement must succeed; false: it must fail' },
                error: { type: { kind: 'string' }, doc: "the statement must fail with this text in PostgreSQL's message" },
                returns: { type: { kind: 'string' }, doc: 'the statement must succeed and its first value (as text) must be this' },
              },
            },
          },
          default: [],
          doc: 'acceptance cases run after deploy, in order, in a transaction that is rolled back',
        },
      },
    },
    doc: 'settings for `pgrant test` (never rendered into the SQL files)',
  },
};

/** The plan name a file gives when the plan has no `name:`: the file name without its extension. */
function nameFromFile(file: string): string {
  return basename(file, extname(file));
}

// `patterns` is validated item by item, once the target major is known; the header is everything else.
const { patterns: _patterns, ...HEADER_FIELDS } = PLAN_FIELDS;
const HEADER_TYPE: Extract<TypeDesc, { kind: 'object' }> = { kind: 'object', title: 'a plan', fields: HEADER_FIELDS };

/**
 * Loads and validates a plan file; throws a UserError listing every problem. `postgres` overrides the
 * plan's target major (the harness renders a plan for each server it runs on); `database` renames the
 * plan's database (the harness's scratch database on a shared server).
 */
export function loadPlan(file: string, options: { text?: string; postgres?: number; database?: string } = {}): Plan {
  let content = options.text;
  if (content === undefined) {
    try {
      content = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserError({
        level: 'error',
        path: '',
        message: `cannot read plan ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        hint: 'check the path',
      });
    }
  }
  const source = new SourceFile(file, content);
  const out = new Collector();
  source.reportSyntax(out);
  out.throwIfErrors();

  const root = source.doc.contents as Node | null;
  if (!isMap(root)) {
    out.error(source.locNode(root), '', 'a plan is a YAML mapping with keys pgrant, database and patterns', 'start from `pgrant init`');
    out.throwIfErrors();
  }
  const rootMap = root as YAMLMap;
  const patternsNode = source.nodeAt(['patterns']);

  // Validate the header with `patterns` set aside (it is checked per item once `postgres` is known).
  const header = checkObject(rootMap, HEADER_TYPE, { source, out, major: DEFAULT_TARGET }, [], new Set(['patterns']));
  let major = DEFAULT_TARGET;
  if (header && header.pgrant !== FORMAT_VERSION) {
    out.error(
      source.locNode(source.nodeAt(['pgrant'])),
      'pgrant',
      `plan format version ${String(header.pgrant)} is not one this pgrant reads (it reads version ${FORMAT_VERSION})`,
      `write "pgrant: ${FORMAT_VERSION}", or use the pgrant release that wrote this plan`,
    );
  }
  if (header) {
    major = options.postgres ?? (header.postgres as number);
    if (!SUPPORTED_TARGETS.includes(major)) {
      out.error(
        source.locNode(source.nodeAt(['postgres'])),
        'postgres',
        `PostgreSQL ${major} is not supported; supported majors are ${SUPPORTED_TARGETS.join(', ')}`,
        `set "postgres:" to one of ${SUPPORTED_TARGETS.join(', ')}`,
      );
    }
  }
  // Without `name:`, the plan is named after its file: the same rule applies (the name reaches folder
  // names and the generated files), so a hostile file name is refused, not carried into them.
  if (header && header.name === undefined && !PLAN_NAME.test(nameFromFile(file))) {
    out.error(
      source.locNode(root),
      'name',
      `the plan name comes from the file name, and "${nameFromFile(file)}" is not a folder name (letters, digits, ".", "_", "-")`,
      'add "name: …" to the plan (e.g. name: my_plan), or rename the file',
    );
  }
  if (!patternsNode) {
    out.error(source.locNode(root), '', 'missing required key "patterns"', 'add "patterns:" with at least one pattern instance');
  }

  const catalog = loadCatalog();
  const instances: PlanInstance[] = [];
  if (patternsNode && !isSeq(patternsNode)) {
    out.error(source.locNode(patternsNode), 'patterns', 'expected a list of pattern instances');
  } else if (patternsNode && isSeq(patternsNode)) {
    if (patternsNode.items.length === 0) out.error(source.locNode(patternsNode), 'patterns', 'needs at least one pattern instance');
    patternsNode.items.forEach((item, index) => {
      const path: PathSegment[] = ['patterns', index];
      const node = item as Node;
      if (!isMap(node)) {
        out.error(source.locNode(node), `patterns[${index}]`, 'expected a mapping with a "pattern" key');
        return;
      }
      const patternNode = source.nodeAt([...path, 'pattern']);
      if (!patternNode) {
        out.error(source.locNode(node), `patterns[${index}]`, 'missing required key "pattern"', `name one of: ${[...catalog.keys()].join(', ')}`);
        return;
      }
      const patternName = isScalar(patternNode) ? String(patternNode.value) : '';
      const def = catalog.get(patternName);
      if (!def) {
        out.error(
          source.locNode(patternNode),
          `patterns[${index}].pattern`,
          `unknown pattern "${patternName}"`,
          didYouMean(patternName, catalog.keys()) ?? `patterns: ${[...catalog.keys()].join(', ')} (see \`pgrant patterns\`)`,
        );
        return;
      }
      const params = checkObject(node, instanceType(def), { source, out, major }, path);
      if (params) instances.push({ def, index, params, path });
    });
  }
  out.throwIfErrors();

  const h = header!;
  const test = (h.test as { fixture?: string; cases: Omit<PlanTestCase, 'path'>[] } | undefined) ?? { cases: [] };
  return {
    file,
    source,
    name: (h.name as string | undefined) ?? nameFromFile(file),
    postgres: major,
    database: options.database ?? (h.database as string),
    databaseAlias: options.database ? { from: h.database as string, to: options.database } : null,
    reassignTo: (h.reassign_to as string | undefined) ?? null,
    instances,
    test: {
      fixture: test.fixture,
      cases: test.cases.map((c, i) => ({ ...c, path: ['test', 'cases', i] })),
    },
  };
}
