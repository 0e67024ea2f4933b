// One use of a team pattern → the built-in pattern instances it stands for. Each `expands` entry is
// rendered over the instance's parameters into a YAML node that keeps the team file's positions, then
// validated like any instance a plan states: a mistake is reported at the team file's line and column,
// followed by the plan instance that used the pattern.
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isNode, isScalar, isSeq, visit, type Node } from 'yaml';
import { Collector, type Diagnostic, type Location } from '../diagnostics.js';
import type { PlanInstance } from '../plan/load.js';
import { formatPath } from '../plan/source.js';
import { own, setOwn } from '../plan/own.js';
import { checkObject } from '../plan/types.js';
import { instanceType } from './catalog.js';
import { isTeamPattern, type AnyPatternDef, type TeamPatternDef } from './team.js';
import { analyzeTemplate, isTemplate, renderTemplate } from './team-template.js';

/** Where a team pattern was used: the instance that names it. */
export interface TeamUse {
  pattern: string;
  at: Location;
  /** The instance's path in its file, e.g. `patterns[2]` or `expands[0]`. */
  path: string;
}

/** " (team pattern "service" used at plan.yaml:7:5 patterns[0])", innermost use first. */
export function usedAtNote(via: readonly TeamUse[]): string {
  if (via.length === 0) return '';
  const uses = [...via].reverse().map((u) => `team pattern "${u.pattern}" used at ${u.at.file}:${u.at.line}:${u.at.col} ${u.path}`);
  return ` (${uses.join(', in ')})`;
}

/** The diagnostics, each followed by the chain of uses that led to it. */
export function withUse(items: readonly Diagnostic[], via: readonly TeamUse[]): Diagnostic[] {
  const note = usedAtNote(via);
  return items.map((d) => ({ ...d, message: `${d.message}${note}` }));
}

export interface TeamExpansion {
  /** The plan's target major (fields with `since` are checked against it). */
  major: number;
  /** Built-in and team patterns by name. */
  lookup(name: string): AnyPatternDef | undefined;
  /** Every name `lookup` knows (for hints). */
  known: readonly string[];
  out: Collector;
  /** The first chain of uses of each team pattern (to say which plan instance uses a broken one). */
  firstUse: Map<string, TeamUse[]>;
}

/**
 * The built-in instances one use of a team pattern stands for. `params` are the instance's checked
 * parameters (with defaults and `mode`); `via` ends with this use.
 */
export function expandTeamInstance(def: TeamPatternDef, params: Record<string, unknown>, via: TeamUse[], index: number, x: TeamExpansion): PlanInstance[] {
  if (!x.firstUse.has(def.name)) x.firstUse.set(def.name, via);
  // A pattern with mistakes is reported as a whole (see loadPlan); expanding it would only repeat them.
  if (def.problems.some((d) => d.level === 'error')) return [];
  if (via.length > 32) return [];
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(def.parameters)) setOwn(values, key, own(params, key) ?? null);
  const instances: PlanInstance[] = [];
  def.expands.forEach(({ node, pattern }, i) => {
    const path = ['expands', i];
    const target = x.lookup(pattern)!;
    const rendered = renderNode(node, values, def, x.out, via) as YAMLMap;
    if (!rendered.has('mode')) rendered.add(new Pair(positioned(new Scalar('mode'), node), positioned(new Scalar(params.mode), node)));
    const out = new Collector();
    const checked = checkObject(rendered, instanceType(target), { source: def.source, out, major: x.major }, path);
    x.out.items.push(...withUse(out.items, via));
    if (!checked) return;
    if (isTeamPattern(target)) {
      const use: TeamUse = { pattern: target.name, at: def.source.locNode(node), path: formatPath(path) };
      instances.push(...expandTeamInstance(target, checked, [...via, use], index, x));
    } else {
      instances.push({ def: target, index, params: checked, path, source: def.source, via });
    }
  });
  return instances;
}

/** Gives a new node (and everything in it) the position of the team file's node it was rendered from. */
function positioned<T extends Node>(created: T, from: Node): T {
  const range = from.range;
  if (range) visit(created, (_key, n) => {
    if (isNode(n)) n.range = [...range];
  });
  return created;
}

const builder = new Document();

/**
 * A copy of a team file's node with its templates rendered. A string that is exactly "{{p}}" becomes p's
 * value with its own type; when p was left out (an optional parameter), the key or list item is left
 * out too, so the target pattern's default applies.
 */
function renderNode(input: Node, values: Record<string, unknown>, def: TeamPatternDef, out: Collector, via: TeamUse[]): Node | undefined {
  const node = isAlias(input) ? (input.resolve(def.source.doc) as Node) : input;
  if (isMap(node)) {
    const map = positioned(new YAMLMap(), node);
    for (const pair of node.items) {
      const value = renderNode(pair.value as Node, values, def, out, via);
      if (value === undefined) continue;
      map.items.push(new Pair(renderNode(pair.key as Node, values, def, out, via), value));
    }
    return map;
  }
  if (isSeq(node)) {
    const seq = positioned(new YAMLSeq(), node);
    for (const item of node.items) {
      const value = renderNode(item as Node, values, def, out, via);
      if (value !== undefined) seq.items.push(value);
    }
    return seq;
  }
  if (!isScalar(node) || typeof node.value !== 'string' || !isTemplate(node.value)) return node.clone() as Node;
  const info = analyzeTemplate(node.value);
  if (!('message' in info) && info.exact) {
    const value = own(values, info.exact);
    return value === null || value === undefined ? undefined : positioned(builder.createNode(value) as Node, node);
  }
  try {
    return positioned(new Scalar(renderTemplate(node.value, values)), node);
  } catch (e) {
    out.add(withUse([{ level: 'error', loc: def.source.locNode(node), path: '', message: `the template "${node.value}" cannot be rendered: ${(e as Error).message}` }], via)[0]!);
    return positioned(new Scalar(''), node);
  }
}
