// The plan's type system: one set of definitions drives validation, defaults, docs and the JSON Schema.
import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { didYouMean, type Collector, type Location } from '../diagnostics.js';
import { formatPath, type PathSegment, type SourceFile } from './source.js';
import { own, setOwn } from './own.js';
import { checkName, type NamePurpose } from '../sql/names.js';

export interface Field {
  type: TypeDesc;
  required?: boolean;
  default?: unknown;
  doc: string;
  /** The first PostgreSQL major where this field may be set. */
  since?: number;
}

export type TypeDesc =
  | { kind: 'string'; enum?: readonly string[]; caseless?: boolean; pattern?: RegExp; patternDoc?: string; doc?: string }
  | { kind: 'name'; purpose: NamePurpose }
  | { kind: 'boolean' }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'list'; of: TypeDesc; minItems?: number }
  | { kind: 'map'; key: TypeDesc; value: TypeDesc }
  | {
      kind: 'object';
      title?: string;
      fields: Record<string, Field>;
      /** A scalar written in place of the object means `{[into]: scalar}`. */
      shorthand?: { into: string };
      /** Exactly one of these keys must be present. */
      oneOf?: readonly string[];
    }
  | { kind: 'ref'; name: string }
  | { kind: 'union'; options: readonly TypeDesc[]; doc: string };

/** Everything a validation step needs to report problems with locations. */
export interface CheckContext {
  source: SourceFile;
  out: Collector;
  major: number;
}

const registry = new Map<string, TypeDesc>();

export function defineType(name: string, type: TypeDesc): void {
  registry.set(name, type);
}

export function resolveType(type: TypeDesc): TypeDesc {
  let t = type;
  while (t.kind === 'ref') {
    const found = registry.get(t.name);
    if (!found) throw new Error(`unknown plan type "${t.name}"`);
    t = found;
  }
  return t;
}

export function namedTypes(): ReadonlyMap<string, TypeDesc> {
  return registry;
}

/** Parses a type expression from a pattern file: `name`, `name[]`, `login[]`, … */
export function parseTypeExpr(expr: string): TypeDesc {
  if (expr.endsWith('[]')) return { kind: 'list', of: parseTypeExpr(expr.slice(0, -2)) };
  switch (expr) {
    case 'boolean':
      return { kind: 'boolean' };
    case 'integer':
      return { kind: 'integer' };
    case 'string':
      return { kind: 'string' };
  }
  if (!registry.has(expr)) throw new Error(`unknown plan type "${expr}"`);
  return { kind: 'ref', name: expr };
}

export function describeType(type: TypeDesc): string {
  switch (type.kind) {
    case 'ref':
      return type.name;
    case 'list':
      return `list of ${describeType(type.of)}`;
    case 'map':
      return `mapping of ${describeType(type.key)} to ${describeType(type.value)}`;
    case 'name':
      return 'name';
    case 'object':
      return type.title ?? 'mapping';
    case 'union':
      return type.doc;
    default:
      return type.kind;
  }
}

function nodeKind(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'an unsupported value';
}

/**
 * Validates `node` against `type`; returns the plain value (with defaults applied) or undefined after
 * reporting every problem found beneath it.
 */
export function check(input: Node | null | undefined, type: TypeDesc, ctx: CheckContext, path: PathSegment[]): unknown {
  // YAML aliases (*name) stand for the anchored node (&name): validate that node.
  const node = isAlias(input) ? (input.resolve(ctx.source.doc) as Node | undefined) : input;
  const t = resolveType(type);
  // Where the value is, for a message: computed only when there is one (most values have none).
  const loc = (): Location => ctx.source.locNode(node);
  const where = (): string => formatPath(path);
  const wrongType = (expected: string, hint?: string): undefined => {
    ctx.out.error(loc(), where(), `expected ${expected}, got ${nodeKind(node)}`, hint);
    return undefined;
  };

  switch (t.kind) {
    case 'boolean': {
      if (isScalar(node) && typeof node.value === 'boolean') return node.value;
      return wrongType('true or false');
    }
    case 'integer': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) return wrongType('an integer');
      const v = node.value;
      if ((t.min !== undefined && v < t.min) || (t.max !== undefined && v > t.max)) {
        ctx.out.error(loc(), where(), `${v} is out of range (${t.min ?? '-∞'}..${t.max ?? '∞'})`);
        return undefined;
      }
      return v;
    }
    case 'string': {
      if (!isScalar(node) || typeof node.value !== 'string') {
        return wrongType(t.enum ? `one of ${t.enum.join(', ')}` : 'a string', t.enum ? undefined : 'quote the value');
      }
      let v = node.value;
      if (t.enum) {
        const match = t.enum.find((e) => (t.caseless ? e.toLowerCase() === v.toLowerCase() : e === v));
        if (match === undefined) {
          ctx.out.error(loc(), where(), `"${v}" is not one of ${t.enum.join(', ')}`, didYouMean(v, t.enum));
          return undefined;
        }
        v = match;
      }
      if (t.pattern && !t.pattern.test(v)) {
        ctx.out.error(loc(), where(), `"${v}" is not ${t.patternDoc ?? `of the form ${t.pattern}`}`);
        return undefined;
      }
      if (v.includes('\0')) {
        ctx.out.error(loc(), where(), 'contains a NUL byte, which PostgreSQL cannot store');
        return undefined;
      }
      return v;
    }
    case 'name': {
      if (!isScalar(node) || typeof node.value !== 'string') {
        return wrongType('a name (string)', 'quote names that YAML would read as numbers or booleans');
      }
      const problem = checkName(node.value, t.purpose);
      if (problem) {
        ctx.out.add({ level: 'error', loc: loc(), path: where(), message: problem.message, hint: problem.hint, rule: problem.rule });
        return undefined;
      }
      // PUBLIC, however written, is the pseudo-role of every role (PostgreSQL reads "public" that way too).
      if (t.purpose === 'role' && node.value.toLowerCase() === 'public') return 'public';
      return node.value;
    }
    case 'list': {
      if (!isSeq(node)) {
        // A single scalar where a list of scalars is expected is a common slip; say so.
        return wrongType(describeType(t), isScalar(node) ? 'write a list: [value] or one "- value" per line' : undefined);
      }
      if (t.minItems !== undefined && node.items.length < t.minItems) {
        ctx.out.error(loc(), where(), `needs at least ${t.minItems} item${t.minItems === 1 ? '' : 's'}`);
        return undefined;
      }
      const values: unknown[] = [];
      let ok = true;
      node.items.forEach((item, i) => {
        const v = check(item as Node, t.of, ctx, [...path, i]);
        if (v === undefined) ok = false;
        values.push(v);
      });
      return ok ? values : undefined;
    }
    case 'map': {
      if (!isMap(node)) return wrongType(describeType(t));
      const result: Record<string, unknown> = {};
      let ok = true;
      for (const pair of node.items) {
        const key = check(pair.key as Node, t.key, ctx, path);
        const keyString = isScalar(pair.key) ? String(pair.key.value) : '?';
        const value = check(pair.value as Node, t.value, ctx, [...path, keyString]);
        if (key === undefined || value === undefined) ok = false;
        else setOwn(result, keyString, value);
      }
      return ok ? result : undefined;
    }
    case 'union': {
      // Pick the first option whose outer shape fits the node; report against that option.
      for (const option of t.options) {
        if (shapeFits(node, option)) return check(node, option, ctx, path);
      }
      return wrongType(t.doc);
    }
    case 'object':
      return checkObject(node, t, ctx, path);
    default:
      throw new Error(`unhandled type ${(t as TypeDesc).kind}`);
  }
}

function shapeFits(node: Node | null | undefined, type: TypeDesc): boolean {
  if (isAlias(node)) return true;
  const t = resolveType(type);
  switch (t.kind) {
    case 'object':
      return isMap(node) || (t.shorthand !== undefined && isScalar(node));
    case 'list':
      return isSeq(node);
    case 'map':
      return isMap(node);
    case 'boolean':
      return isScalar(node) && typeof node.value === 'boolean';
    case 'integer':
      return isScalar(node) && typeof node.value === 'number';
    case 'string':
    case 'name':
      return isScalar(node) && typeof node.value === 'string';
    case 'union':
      return t.options.some((o) => shapeFits(node, o));
    default:
      return false;
  }
}

const NO_KEYS: ReadonlySet<string> = new Set();

export function checkObject(
  input: Node | null | undefined,
  t: Extract<TypeDesc, { kind: 'object' }>,
  ctx: CheckContext,
  path: PathSegment[],
  /** Keys checked elsewhere (the plan's `patterns`, checked per item once the target major is known). */
  skip: ReadonlySet<string> = NO_KEYS,
): Record<string, unknown> | undefined {
  const node = isAlias(input) ? (input.resolve(ctx.source.doc) as Node | undefined) : input;
  // Formatted only for a message: most instances have none.
  const where = (): string => formatPath(path);
  if (t.shorthand && isScalar(node)) {
    const field = t.fields[t.shorthand.into]!;
    const v = check(node, field.type, ctx, path);
    if (v === undefined) return undefined;
    return applyDefaults({ [t.shorthand.into]: v }, t);
  }
  if (!isMap(node)) {
    ctx.out.error(ctx.source.locNode(node), where(), `expected ${t.title ?? 'a mapping'}, got ${nodeKind(node)}`);
    return undefined;
  }
  const result: Record<string, unknown> = {};
  let ok = true;
  const seen = new Set<string>();
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      ctx.out.error(ctx.source.locNode(keyNode), where(), 'keys must be plain strings');
      ok = false;
      continue;
    }
    const key = keyNode.value;
    if (skip.has(key)) continue;
    const field = own(t.fields, key);
    if (!field) {
      const known = Object.keys(t.fields);
      ctx.out.error(
        ctx.source.locNode(keyNode),
        formatPath([...path, key]),
        `unknown key "${key}"`,
        didYouMean(key, known) ?? `known keys: ${known.join(', ')}`,
      );
      ok = false;
      continue;
    }
    seen.add(key);
    if (field.since !== undefined && ctx.major < field.since) {
      ctx.out.error(
        ctx.source.locNode(keyNode),
        formatPath([...path, key]),
        `"${key}" needs PostgreSQL ${field.since} or later; this plan targets ${ctx.major}`,
        `set "postgres: ${field.since}" (or later) at the top of the plan, or remove "${key}"`,
      );
      ok = false;
      continue;
    }
    const value = check(pair.value as Node, field.type, ctx, [...path, key]);
    if (value === undefined) ok = false;
    else setOwn(result, key, value);
  }
  for (const [key, field] of Object.entries(t.fields)) {
    if (field.required && !seen.has(key)) {
      ctx.out.error(ctx.source.locNode(node), where(), `missing required key "${key}"`, `add "${key}:": ${field.doc}`);
      ok = false;
    }
  }
  if (t.oneOf) {
    const present = t.oneOf.filter((k) => seen.has(k));
    if (present.length !== 1) {
      ctx.out.error(
        ctx.source.locNode(node),
        where(),
        present.length === 0
          ? `needs one of: ${t.oneOf.join(', ')}`
          : `has ${present.join(' and ')}; give exactly one of: ${t.oneOf.join(', ')}`,
        'one grant names one kind of object; write several grants for several kinds',
      );
      ok = false;
    }
  }
  return ok ? applyDefaults(result, t) : undefined;
}

function applyDefaults(value: Record<string, unknown>, t: Extract<TypeDesc, { kind: 'object' }>): Record<string, unknown> {
  for (const [key, field] of Object.entries(t.fields)) {
    if (!Object.hasOwn(value, key) && field.default !== undefined) setOwn(value, key, structuredClone(field.default));
  }
  return value;
}
