// A team's own catalog: pattern files in the team's folders (plan key `catalog:`, flag `--catalog`), each a
// named list of instances of built-in (or other team) patterns, with parameters typed like the built-ins'.
// Everything is checked when read, and reported at the team file's own line and column.
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { Collector, UserError, didYouMean, sortDiagnostics, type Diagnostic, type Location } from '../diagnostics.js';
import type { PlanFiles } from '../plan/files.js';
import { SourceFile, formatPath, type PathSegment } from '../plan/source.js';
import { setOwn } from '../plan/own.js';
import { check, checkObject, describeType, namedTypes, parseTypeExpr, resolveType, type Field, type TypeDesc } from '../plan/types.js';
import { COMMON_INSTANCE_FIELDS, instanceType, type PatternDef } from './catalog.js';
import { analyzeTemplate, isTemplate } from './team-template.js';

export interface TeamPatternDef {
  team: true;
  name: string;
  summary: string;
  description: string;
  /** An example plan, when the file gives one. */
  example: string | null;
  parameters: Record<string, Field & { typeExpr: string }>;
  /** The instances the pattern stands for, as written in the file (rendered per use). */
  expands: { node: YAMLMap; pattern: string }[];
  /** The file, as messages name it. */
  file: string;
  source: SourceFile;
  /** Mistakes in the file: reported (with the plan instance that uses it) whenever the plan names the catalog. */
  problems: Diagnostic[];
}

export type AnyPatternDef = PatternDef | TeamPatternDef;

export function isTeamPattern(def: AnyPatternDef): def is TeamPatternDef {
  return 'team' in def;
}

/** A folder of team patterns and where it was named (a plan's `catalog:` entry, or --catalog). */
export interface CatalogDir {
  dir: string;
  namedAt?: Location;
  /** The plan path that named it, e.g. `catalog[0]`. */
  path?: string;
}

export interface TeamCatalog {
  patterns: Map<string, TeamPatternDef>;
  /** Problems with the folders themselves, or that belong to no single pattern (names taken twice). */
  errors: Diagnostic[];
}

/** Parameter names are what a value template reads: `{{name}}`. */
const PARAMETER_NAME = /^[a-z_][a-z0-9_]*$/;

const PARAMETER_TYPE: Extract<TypeDesc, { kind: 'object' }> = {
  kind: 'object',
  title: 'a parameter {type, required, default, doc}',
  fields: {
    type: { type: { kind: 'string' }, required: true, doc: 'its type, as in built-in patterns: role-name, schema[], login[], boolean, …' },
    required: { type: { kind: 'boolean' }, default: false, doc: 'true: every instance must give it' },
    default: { type: { kind: 'string' }, doc: 'the value when an instance leaves it out (checked against the type)' },
    doc: { type: { kind: 'string' }, required: true, doc: 'what it is, for `pgrant patterns` and the docs' },
  },
};

/** The keys of a team pattern file (also documented in the README). */
export const TEAM_PATTERN_FIELDS: Record<string, Field> = {
  pattern: {
    type: { kind: 'string', pattern: /^[a-z][a-z0-9-]*$/, patternDoc: 'a kebab-case name (lower-case letters, digits, "-")' },
    required: true,
    doc: 'the name plans use (`pattern: NAME`); not a built-in pattern\'s name',
  },
  summary: { type: { kind: 'string' }, required: true, doc: 'one line, shown by `pgrant patterns`' },
  description: { type: { kind: 'string' }, default: '', doc: 'what it is for, in a few lines' },
  parameters: { type: { kind: 'map', key: { kind: 'string' }, value: PARAMETER_TYPE }, default: {}, doc: 'the parameters instances give, typed like the built-ins\' ({type, required, default, doc})' },
  expands: {
    type: {
      kind: 'list',
      minItems: 1,
      of: {
        kind: 'object',
        title: 'a pattern instance: `pattern: NAME` and that pattern\'s parameters',
        fields: { pattern: { type: { kind: 'string' }, required: true, doc: 'a built-in pattern or another team pattern (a fixed name, not a template)' } },
      },
    },
    required: true,
    doc: 'instances of built-in or team patterns; string values are templates over the parameters ("{{name}}_app"); exactly "{{p}}" gives the parameter\'s value as it is',
  },
  example: { type: { kind: 'string' }, doc: 'an example plan using the pattern' },
};

// `parameters` and `expands` are read node by node (below), to report each mistake at its own line.
const FILE_TYPE: Extract<TypeDesc, { kind: 'object' }> = {
  kind: 'object',
  title: 'a team pattern',
  fields: { ...TEAM_PATTERN_FIELDS, expands: { ...TEAM_PATTERN_FIELDS.expands!, required: false } },
};

/**
 * Reads every `*.yaml` / `*.yml` file of the folders as one team pattern each. `builtins` are the
 * built-in catalog (a team pattern may not take one of their names).
 */
export function loadTeamCatalog(dirs: readonly CatalogDir[], files: PlanFiles, builtins: ReadonlyMap<string, PatternDef>): TeamCatalog {
  const patterns = new Map<string, TeamPatternDef>();
  const errors = new Collector();
  const seenFiles = new Set<string>();
  for (const { dir, namedAt, path } of dirs) {
    if (!files.isDirectory(dir)) {
      errors.error(namedAt, path ?? '', `catalog folder ${files.label(dir)} does not exist`, 'name a folder of team pattern files, relative to the plan file (--catalog: to the working directory)');
      continue;
    }
    const found = files.list(dir).filter((f) => /\.ya?ml$/.test(f) && join(dir, basename(f)) === f).sort();
    for (const file of found) {
      if (seenFiles.has(file)) continue;
      seenFiles.add(file);
      const def = readTeamPattern(file, files, errors);
      if (!def) continue;
      const builtin = builtins.get(def.name);
      const other = patterns.get(def.name);
      const at = def.source.locNode(def.source.nodeAt(['pattern']));
      if (builtin) {
        errors.error(at, 'pattern', `"${def.name}" is a built-in pattern: a team pattern cannot take its name`, `name it after what it is for, e.g. "${def.name}-team" or "service-${def.name}"`);
      } else if (other) {
        errors.error(at, 'pattern', `team pattern "${def.name}" is also defined in ${other.file}`, 'rename one of them; plans name patterns, not files');
      } else patterns.set(def.name, def);
    }
  }
  for (const def of patterns.values()) checkExpands(def, builtins, patterns);
  reportCycles(patterns);
  return { patterns, errors: errors.items };
}

/** Reads and checks one team pattern file on its own (its `expands` targets are checked afterwards). */
function readTeamPattern(file: string, files: PlanFiles, errors: Collector): TeamPatternDef | undefined {
  let text: string;
  try {
    text = files.read(file);
  } catch (e) {
    errors.error(undefined, '', `cannot read team pattern ${files.label(file)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
  const source = new SourceFile(files.label(file), text);
  const out = new Collector();
  source.reportSyntax(out);
  if (out.errors.length) {
    errors.items.push(...out.items);
    return undefined;
  }
  const ctx = { source, out, major: 18 };
  const raw = checkObject(source.doc.contents, FILE_TYPE, ctx, [], new Set(['parameters', 'expands']));
  const parameters = readParameters(source, out);
  const expandsNode = source.nodeAt(['expands']);
  const expands: TeamPatternDef['expands'] = [];
  if (!expandsNode) {
    if (isMap(source.doc.contents)) out.error(source.locNode(source.doc.contents), '', 'missing required key "expands"', 'add "expands:": the instances this pattern stands for');
  } else if (!isSeq(expandsNode) || expandsNode.items.length === 0) {
    out.error(source.locNode(expandsNode), 'expands', 'expected a list of pattern instances', 'write "- pattern: readonly" and its parameters');
  } else {
    expandsNode.items.forEach((item, i) => {
      const patternNode = source.nodeAt(['expands', i, 'pattern']);
      if (!isMap(item)) out.error(source.locNode(item as Node), `expands[${i}]`, 'expected a mapping with a "pattern" key');
      else if (!isScalar(patternNode) || typeof patternNode.value !== 'string') out.error(source.locNode(item), `expands[${i}]`, 'missing key "pattern": the pattern this instance uses');
      else if (isTemplate(patternNode.value)) out.error(source.locNode(patternNode), `expands[${i}].pattern`, 'the pattern name is a fixed name, not a template');
      else expands.push({ node: item, pattern: patternNode.value });
    });
  }
  // A file that is not even a pattern has no name to report under: its problems stand alone.
  if (!raw || typeof raw.pattern !== 'string' || !parameters) {
    errors.items.push(...out.items);
    return undefined;
  }
  return {
    team: true,
    name: raw.pattern,
    summary: raw.summary as string,
    description: raw.description as string,
    example: (raw.example as string | undefined) ?? null,
    parameters,
    expands,
    file: source.file,
    source,
    problems: out.items,
  };
}

/** The `parameters:` mapping: each a known type, a default of that type, and a name templates can read. */
function readParameters(source: SourceFile, out: Collector): TeamPatternDef['parameters'] | undefined {
  const node = source.nodeAt(['parameters']);
  const parameters: TeamPatternDef['parameters'] = {};
  if (!node) return parameters;
  if (!isMap(node)) {
    out.error(source.locNode(node), 'parameters', 'expected a mapping of parameter names to {type, required, default, doc}');
    return undefined;
  }
  const ctx = { source, out, major: 18 };
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const path: PathSegment[] = ['parameters', key];
    const common = Object.hasOwn(COMMON_INSTANCE_FIELDS, key);
    if (!PARAMETER_NAME.test(key) || common) {
      out.error(source.locNode(pair.key as Node), formatPath(path), common ? `"${key}" is a key of every pattern instance, not a parameter name` : `"${key}" is not a parameter name (lower-case letters, digits, "_")`, 'rename the parameter');
      continue;
    }
    const p = checkObject(pair.value as Node, PARAMETER_TYPE, ctx, path, new Set(['default']));
    if (!p) continue;
    let type: TypeDesc;
    try {
      type = parseTypeExpr(p.type as string);
    } catch {
      out.error(source.locNode(source.nodeAt([...path, 'type'])), formatPath([...path, 'type']), `unknown type "${String(p.type)}"`, didYouMean(String(p.type).replace(/\[\]$/, ''), knownTypeNames()) ?? `types: ${knownTypeNames().join(', ')} (add [] for a list)`);
      continue;
    }
    const defaultNode = source.nodeAt([...path, 'default']);
    const dflt = defaultNode === undefined ? undefined : check(defaultNode, type, ctx, [...path, 'default']);
    if (defaultNode !== undefined && dflt === undefined) continue;
    setOwn(parameters, key, { typeExpr: p.type as string, type, required: p.required as boolean, default: dflt, doc: p.doc as string });
  }
  return parameters;
}

function knownTypeNames(): string[] {
  return ['boolean', 'integer', 'string', ...[...namedTypes().keys()].sort()];
}

/** True when a parameter's values are plain text, numbers or booleans (safe to splice into a string). */
function isScalarType(type: TypeDesc): boolean {
  const t = resolveType(type);
  if (t.kind === 'union') return t.options.every(isScalarType);
  return t.kind === 'string' || t.kind === 'name' || t.kind === 'boolean' || t.kind === 'integer';
}

/** Each `expands` entry: a known target pattern, keys it has, and templates that read real parameters. */
function checkExpands(def: TeamPatternDef, builtins: ReadonlyMap<string, PatternDef>, team: ReadonlyMap<string, TeamPatternDef>): void {
  const out = new Collector();
  def.expands.forEach(({ node, pattern }, i) => {
    const target: AnyPatternDef | undefined = builtins.get(pattern) ?? team.get(pattern);
    if (!target) {
      const known = [...builtins.keys(), ...team.keys()];
      out.error(def.source.locNode(def.source.nodeAt(['expands', i, 'pattern'])), `expands[${i}].pattern`, `unknown pattern "${pattern}"`, didYouMean(pattern, known) ?? `patterns: ${known.join(', ')}`);
    } else {
      const fields = instanceType(target).fields;
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!Object.hasOwn(fields, key)) {
          out.error(def.source.locNode(pair.key as Node), formatPath(['expands', i, key]), `unknown key "${key}" for pattern "${pattern}"`, didYouMean(key, Object.keys(fields)) ?? `known keys: ${Object.keys(fields).join(', ')}`);
        }
      }
    }
    checkTemplates(def, node, ['expands', i], out);
  });
  def.problems.push(...out.items);
}

/** Every string below `node` (keys too) that is a template: parses, and reads declared parameters only. */
function checkTemplates(def: TeamPatternDef, node: Node | null | undefined, path: PathSegment[], out: Collector): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      checkTemplates(def, pair.key as Node, path, out);
      checkTemplates(def, pair.value as Node, [...path, key], out);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => checkTemplates(def, item as Node, [...path, i], out));
    return;
  }
  if (!isScalar(node) || typeof node.value !== 'string' || !isTemplate(node.value)) return;
  const at = def.source.locNode(node);
  const where = formatPath(path);
  const info = analyzeTemplate(node.value);
  if ('message' in info) {
    out.error(at, where, info.message, info.hint);
    return;
  }
  const declared = Object.keys(def.parameters);
  for (const name of [...info.asText, ...info.inConditions]) {
    if (!Object.hasOwn(def.parameters, name)) {
      out.error(at, where, `"{{${name}}}": team pattern "${def.name}" has no parameter "${name}"`, didYouMean(name, declared) ?? (declared.length ? `parameters: ${declared.join(', ')}` : 'declare it under "parameters:"'));
      return;
    }
  }
  if (info.exact) return;
  const list = info.asText.find((name) => !isScalarType(def.parameters[name]!.type));
  if (list) {
    out.error(at, where, `"{{${list}}}" is ${describeType(def.parameters[list]!.type)}, which cannot be written inside text`, `give it as a value of its own: "{{${list}}}" alone`);
  }
}

/** A team pattern that expands (directly or through others) into itself would never end. */
function reportCycles(team: ReadonlyMap<string, TeamPatternDef>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (def: TeamPatternDef, trail: string[]): void => {
    state.set(def.name, 'visiting');
    def.expands.forEach(({ pattern }, i) => {
      const next = team.get(pattern);
      if (!next) return;
      if (state.get(pattern) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(pattern)), def.name, pattern];
        def.problems.push({
          level: 'error',
          loc: def.source.locNode(def.source.nodeAt(['expands', i, 'pattern'])),
          path: `expands[${i}].pattern`,
          message: `team patterns expand into each other without end: ${cycle.join(' → ')}`,
          hint: 'a team pattern may use other team patterns, but not (through them) itself',
        });
      } else if (!state.has(pattern)) visit(next, [...trail, def.name]);
    });
    state.set(def.name, 'done');
  };
  for (const def of team.values()) if (!state.has(def.name)) visit(def, []);
}

/**
 * The team patterns of --catalog folders alone (for `pgrant patterns` and `pgrant schema`); throws a
 * UserError listing every mistake in them.
 */
export function loadTeamCatalogFolders(dirs: readonly string[], files: PlanFiles, builtins: ReadonlyMap<string, PatternDef>): Map<string, TeamPatternDef> {
  const team = loadTeamCatalog(dirs.map((dir) => ({ dir, path: '--catalog' })), files, builtins);
  const errors = [...team.errors, ...[...team.patterns.values()].flatMap((d) => d.problems)].filter((d) => d.level === 'error');
  if (errors.length) throw new UserError(sortDiagnostics(errors));
  return team.patterns;
}
