// read → parse (keeping positions) → validate every key, collecting all problems before stopping.
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { Collector, UserError, didYouMean, type Location } from '../diagnostics.js';
import { instanceType, loadCatalog, type PatternDef } from '../catalog/catalog.js';
import { isTeamPattern, loadTeamCatalog, type AnyPatternDef, type CatalogDir } from '../catalog/team.js';
import { expandTeamInstance, withUse, type TeamExpansion, type TeamUse } from '../catalog/team-expand.js';
import { PLAN_SIZE_LIMIT, diskFiles, expandGlob, globBase, isGlob, isInside, mib, type PlanFiles } from './files.js';
import { SourceFile, formatPath, type PathSegment } from './source.js';
import { checkObject, type Field, type TypeDesc } from './types.js';
import { PLAN_NAME } from './plan-types.js';
import { readPlanSalts, type PlanSalts } from './salts.js';

export const SUPPORTED_TARGETS = [14, 15, 16, 17, 18];
export const DEFAULT_TARGET = 17;
export const FORMAT_VERSION = 1;

export interface PlanInstance {
  def: PatternDef;
  index: number;
  params: Record<string, unknown>;
  path: PathSegment[];
  /** The file the instance is written in: the plan, an included file, or a team pattern's file. */
  source: SourceFile;
  /** The team patterns it came through, outermost first; empty when a plan file states it. */
  via: TeamUse[];
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
  /** The SCRAM salts of its passwords, from the salt file next to it. */
  salts: PlanSalts;
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
  catalog: {
    type: { kind: 'list', of: { kind: 'string' } },
    doc: "folders of the team's own pattern files (relative to this file); plans use them like built-in patterns",
  },
  include: {
    type: { kind: 'list', of: { kind: 'string' } },
    doc: "plan files (relative to this file; globs such as teams/*.yaml allowed, sorted) whose patterns are appended to this plan's, in order; regular files inside the plan's folder (or include_root)",
  },
  include_root: {
    type: { kind: 'string' },
    doc: "the folder (relative to this file) that every file in include: and every catalog: folder must be inside; default: this file's folder",
  },
  patterns: {
    type: { kind: 'list', of: { kind: 'string' } },
    doc: 'instances of catalog patterns (built-in or team patterns); may be empty or absent when the plan includes files that have them',
  },
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

/** The keys of a file a plan includes: its patterns, and the team catalogs and files it needs itself. */
export const INCLUDED_FILE_FIELDS: Record<string, Field> = {
  pgrant: { type: { kind: 'integer' }, doc: 'format version (1); optional in an included file' },
  catalog: PLAN_FIELDS.catalog!,
  include: PLAN_FIELDS.include!,
  patterns: { ...PLAN_FIELDS.patterns!, doc: 'instances of catalog patterns, appended to the including plan\'s' },
};
const { patterns: _included, ...INCLUDED_HEADER_FIELDS } = INCLUDED_FILE_FIELDS;
const INCLUDED_TYPE: Extract<TypeDesc, { kind: 'object' }> = { kind: 'object', title: 'an included plan file', fields: INCLUDED_HEADER_FIELDS };

/** The --catalog folders of this command line: every plan the command loads uses them (pgrant test too). */
let commandLineCatalogs: readonly string[] = [];

export function setCommandLineCatalogs(dirs: readonly string[] | undefined): void {
  commandLineCatalogs = dirs ?? [];
}

export interface LoadOptions {
  /** The plan's text, when it does not come from `files`. */
  text?: string;
  /** Renders the plan for another major (the harness renders a plan for each server it runs on). */
  postgres?: number;
  /** Renames the plan's database (the harness's scratch database on a shared server). */
  database?: string;
  /** Where the plan, its includes and its team patterns are read from (default: the disk). */
  files?: PlanFiles;
  /** Team pattern folders besides the plan's own `catalog:` (default: the command line's --catalog). */
  catalog?: readonly string[];
}

/** One file of the plan: the plan itself or an included file, with what it names. */
interface PlanPart {
  source: SourceFile;
  patterns: Node | undefined;
}

/**
 * Loads and validates a plan file, its included files and its team patterns; throws a UserError
 * listing every problem.
 */
/**
 * Lets go of the parsed YAML of the plan and of every file its instances come from (includes, team
 * patterns): for `pgrant render`, once the view holds every location it reports (SourceFile.release).
 */
export function releasePlanSources(plan: Plan): void {
  for (const source of new Set([plan.source, ...plan.instances.map((i) => i.source)])) source.release();
}

export function loadPlan(file: string, options: LoadOptions = {}): Plan {
  const files = options.files ?? diskFiles;
  const out = new Collector();
  const source = readSource(file, options.text, files, undefined, '');
  source.reportSyntax(out);
  out.throwIfErrors();

  const root = source.doc.contents as Node | null;
  if (!isMap(root)) {
    out.error(source.locNode(root), '', 'a plan is a YAML mapping with keys pgrant, database and patterns', 'start from `pgrant init`');
    out.throwIfErrors();
  }
  const rootMap = root as YAMLMap;

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

  // The plan's files: itself, then each included file (and what that one includes), in order.
  const catalogDirs: CatalogDir[] = (options.catalog ?? commandLineCatalogs).map((dir) => ({ dir, path: '--catalog' }));
  const parts: PlanPart[] = [];
  const visited = new Set<string>();
  const hasIncludes = source.nodeAt(['include']) !== undefined;
  const bytes = { total: Buffer.byteLength(source.text) };
  const folder = includeRoot(file, (header ?? {}) as Record<string, unknown>, files);
  collectParts(file, source, (header ?? {}) as Record<string, unknown>, { files, out, parts, catalogDirs, visited, major, root: folder, bytes });

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
  const patternsNode = source.nodeAt(['patterns']);
  if (!patternsNode && !hasIncludes) {
    out.error(source.locNode(root), '', 'missing required key "patterns"', 'add "patterns:" with at least one pattern instance, or "include:" files that have them');
  }

  const builtins = loadCatalog();
  const team = loadTeamCatalog(catalogDirs, files, builtins);
  out.items.push(...team.errors);
  const expansion: TeamExpansion = {
    major,
    out,
    firstUse: new Map(),
    lookup: (name) => builtins.get(name) ?? team.patterns.get(name),
    known: [...builtins.keys(), ...team.patterns.keys()],
  };
  const instances: PlanInstance[] = [];
  for (const part of parts) instances.push(...readInstances(part, expansion, hasIncludes));
  // A team pattern's own mistakes, followed by the plan instance that uses it (when one does).
  for (const def of team.patterns.values()) out.items.push(...withUse(def.problems, expansion.firstUse.get(def.name) ?? []));
  if (hasIncludes && instances.length === 0 && out.errors.length === 0) {
    out.error(source.locNode(source.nodeAt(['include'])), 'include', 'the plan and the files it includes have no pattern instance', 'add "patterns:" to the plan or to an included file');
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
    salts: readPlanSalts(file, files),
    test: {
      fixture: test.fixture,
      cases: test.cases.map((c, i) => ({ ...c, path: ['test', 'cases', i] })),
    },
  };
}

/**
 * Reads a plan file (or an included one) and parses it; a file that cannot be read, or that would take
 * the plan past PLAN_SIZE_LIMIT (`bytes` counts what was read before it), is reported where it was named.
 */
function readSource(file: string, text: string | undefined, files: PlanFiles, namedAt: Location | undefined, path: string, bytes = { total: 0 }): SourceFile {
  const what = namedAt ? 'included file' : 'plan';
  const refuse = (reason: string, hint: string) => new UserError({ level: 'error', loc: namedAt, path, message: `cannot read ${what} ${files.label(file)}: ${reason}`, hint });
  let content = text;
  if (content === undefined) {
    try {
      content = files.read(file);
    } catch (e) {
      const refusedFile = /regular file|may hold/.test(String((e as NodeJS.ErrnoException).code));
      throw refuse(String((e as NodeJS.ErrnoException).code ?? e), refusedFile ? SIZE_HINT : namedAt ? 'paths in "include:" are relative to the file that names them' : 'check the path');
    }
  }
  // Counted before parsing: a plan too large to render in reasonable time is refused at once.
  bytes.total += Buffer.byteLength(content);
  if (bytes.total > PLAN_SIZE_LIMIT) {
    throw refuse(`the plan${namedAt ? ' and the files it includes' : ''} would hold more than ${mib(PLAN_SIZE_LIMIT)} of YAML, the most pgrant reads`, SIZE_HINT);
  }
  return new SourceFile(files.label(file), content);
}

const SIZE_HINT = `a plan and the files it includes are regular files holding at most ${mib(PLAN_SIZE_LIMIT)} of YAML together (about 100,000 roles); split a larger one into several plans`;

/** The folder a plan reads files under: its `include_root:`, else its own folder (symlinks resolved). */
interface IncludeRoot {
  real: string;
  /** How messages name it. */
  label: string;
}

function includeRoot(file: string, header: Record<string, unknown>, files: PlanFiles): IncludeRoot {
  const named = header.include_root as string | undefined;
  const dir = named === undefined ? dirname(file) : isAbsolute(named) ? named : join(dirname(file), named);
  return { real: files.realPath(dir), label: named === undefined ? `the plan's folder ${files.label(dir)}` : `include_root ${files.label(dir)}` };
}

interface CollectContext {
  files: PlanFiles;
  out: Collector;
  parts: PlanPart[];
  catalogDirs: CatalogDir[];
  visited: Set<string>;
  major: number;
  root: IncludeRoot;
  /** The bytes of YAML read so far (the plan and its included files). */
  bytes: { total: number };
}

/** True when a file or folder the plan names is inside its root; otherwise reports it where it is named. */
function insideRoot(c: CollectContext, target: string, entry: string, namedAt: Location, path: string): boolean {
  const real = c.files.realPath(target);
  if (isInside(real, c.root.real)) return true;
  const through = real === resolve(target) ? '' : ` (it resolves to ${real})`;
  c.out.error(namedAt, path, `"${entry}" is outside ${c.root.label}${through}: a plan reads files only inside it`, 'move the file under that folder, or set "include_root:" in the plan to a folder that holds both');
  return false;
}

/** Adds a plan file and, after it, every file it includes (depth first), with their catalog folders. */
function collectParts(file: string, source: SourceFile, header: Record<string, unknown>, c: CollectContext): void {
  c.visited.add(resolve(file));
  c.parts.push({ source, patterns: source.nodeAt(['patterns']) });
  const here = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
  ((header.catalog as string[] | undefined) ?? []).forEach((dir, i) => {
    const namedAt = source.locNode(source.nodeAt(['catalog', i]));
    if (!insideRoot(c, here(dir), dir, namedAt, formatPath(['catalog', i]))) return;
    c.catalogDirs.push({ dir: here(dir), namedAt, path: formatPath(['catalog', i]) });
  });
  ((header.include as string[] | undefined) ?? []).forEach((entry, i) => {
    const namedAt = source.locNode(source.nodeAt(['include', i]));
    const path = formatPath(['include', i]);
    // A glob's folder is checked before it is listed; each file it matches (maybe a symlink) after.
    if (!insideRoot(c, isGlob(entry) ? globBase(here(entry)) : here(entry), entry, namedAt, path)) return;
    const matches = isGlob(entry) ? expandGlob(c.files, here(entry)) : [here(entry)];
    if (matches.length === 0) {
      c.out.error(namedAt, path, `"${entry}" matches no file`, 'paths in "include:" are relative to the file that names them');
    }
    for (const included of matches) {
      // A file included twice (two globs, or a file including its includer) is read once.
      if (c.visited.has(resolve(included))) continue;
      if (isGlob(entry) && !insideRoot(c, included, entry, namedAt, path)) continue;
      let includedSource: SourceFile;
      try {
        includedSource = readSource(included, undefined, c.files, namedAt, path, c.bytes);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        c.out.items.push(...e.diagnostics);
        continue;
      }
      const before = c.out.errors.length;
      includedSource.reportSyntax(c.out);
      if (c.out.errors.length > before) continue;
      const includedHeader = checkObject(includedSource.doc.contents, INCLUDED_TYPE, { source: includedSource, out: c.out, major: c.major }, [], new Set(['patterns']));
      if (!includedHeader) continue;
      if (includedHeader.pgrant !== undefined && includedHeader.pgrant !== FORMAT_VERSION) {
        c.out.error(includedSource.locNode(includedSource.nodeAt(['pgrant'])), 'pgrant', `plan format version ${String(includedHeader.pgrant)} is not one this pgrant reads (it reads version ${FORMAT_VERSION})`, `write "pgrant: ${FORMAT_VERSION}"`);
      }
      collectParts(included, includedSource, includedHeader, c);
    }
  });
}

/** The instances a plan file states, team patterns expanded into the built-in instances they stand for. */
function readInstances(part: PlanPart, x: TeamExpansion, hasIncludes: boolean): PlanInstance[] {
  const { source, patterns } = part;
  const out = x.out;
  const instances: PlanInstance[] = [];
  if (!patterns) return instances;
  if (!isSeq(patterns)) {
    out.error(source.locNode(patterns), 'patterns', 'expected a list of pattern instances');
    return instances;
  }
  // A plan whose patterns all live in included files may say `patterns: []`.
  if (patterns.items.length === 0 && !hasIncludes) out.error(source.locNode(patterns), 'patterns', 'needs at least one pattern instance');
  patterns.items.forEach((item, index) => {
    const path: PathSegment[] = ['patterns', index];
    const node = item as Node;
    if (!isMap(node)) {
      out.error(source.locNode(node), `patterns[${index}]`, 'expected a mapping with a "pattern" key');
      return;
    }
    const patternNode = source.nodeAt([...path, 'pattern']);
    const known = (): readonly string[] => x.known;
    if (!patternNode) {
      out.error(source.locNode(node), `patterns[${index}]`, 'missing required key "pattern"', `name one of: ${known().join(', ')}`);
      return;
    }
    const patternName = isScalar(patternNode) ? String(patternNode.value) : '';
    const def: AnyPatternDef | undefined = x.lookup(patternName);
    if (!def) {
      out.error(
        source.locNode(patternNode),
        `patterns[${index}].pattern`,
        `unknown pattern "${patternName}"`,
        didYouMean(patternName, known()) ?? `patterns: ${known().join(', ')} (see \`pgrant patterns\`)`,
      );
      return;
    }
    const use: TeamUse = { pattern: def.name, at: source.locNode(node), path: formatPath(path) };
    if (isTeamPattern(def) && !x.firstUse.has(def.name)) x.firstUse.set(def.name, [use]);
    const params = checkObject(node, instanceType(def), { source, out, major: x.major }, path);
    if (!params) return;
    if (isTeamPattern(def)) instances.push(...expandTeamInstance(def, params, [use], index, x));
    else instances.push({ def, index, params, path, source, via: [] });
  });
  return instances;
}
