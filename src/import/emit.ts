// Step 4 of import: the plan as YAML — recognised instances, a `roles` instance for everything else,
// row-level security, every choice commented. Sorted throughout, so the same state gives the same bytes.
import { Document, isMap, isScalar, isSeq, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import { unite } from '../model/builder.js';
import { checkExpression } from '../sql/expression.js';
import type { Recognised } from './recognise.js';
import { atomKey, compare, defaultKey, describeAtomObject, type Atom, type DefaultFact, type Gap, type RoleFacts, type Scoped } from './scope.js';
import { commentValue, functionRef, roleAttributes, tableRef } from './values.js';

export interface EmitInput {
  scoped: Scoped;
  name: string;
  recognised: Recognised[];
  flat: boolean;
}

/** One instance of the plan with its comment. */
interface Instance {
  value: Record<string, unknown>;
  comment: string;
  /** For the `roles` instance: a comment per role entry. */
  entryComments?: string[];
}

export function emitPlan(input: EmitInput): { yaml: string; gaps: Gap[]; instances: { pattern: string; roles: string[]; why: string }[] } {
  const { scoped, name, recognised, flat } = input;
  const gaps: Gap[] = [];
  const instances: Instance[] = recognised.map((r) => ({ value: r.params, comment: r.why }));
  const roles = rolesInstance(scoped, name, recognised, flat, gaps);
  if (roles) instances.push(roles);
  instances.push(...rowSecurityInstances(scoped, gaps));

  const plan = { pgrant: 1, name, postgres: scoped.major, database: scoped.database, patterns: instances.map((i) => i.value) };
  const doc = new Document(plan);
  doc.commentBefore = header(scoped).map((l) => ` ${l}`).join('\n');
  const patterns = doc.get('patterns') as YAMLSeq;
  instances.forEach((inst, i) => {
    const node = patterns.items[i] as YAMLMap;
    node.commentBefore = wrap(inst.comment).map((l) => ` ${l}`).join('\n');
    if (inst.entryComments) {
      const entries = node.get('roles') as YAMLSeq;
      inst.entryComments.forEach((c, j) => {
        if (c) (entries.items[j] as YAMLMap).commentBefore = wrap(c).map((l) => ` ${l}`).join('\n');
      });
    }
  });
  compactLeaves(doc);
  const allGaps = [...scoped.gaps, ...gaps];
  const footer = [
    ...(allGaps.length ? ['', 'Not expressed by this plan (pgrant import exits 1 unless --allow-partial):', ...allGaps.map((g) => `- ${g.what}: ${g.why}`)] : []),
    ...(scoped.notes.length ? ['', 'Left as they are (deploy.sql does not touch them):', ...scoped.notes.map((n) => `- ${n}`)] : []),
  ];
  if (footer.length) doc.comment = footer.flatMap((l) => wrap(l)).map((l) => (l ? ` ${l}` : '')).join('\n');
  const summary = [
    ...recognised.map((r) => ({ pattern: r.pattern, roles: r.defines, why: r.why })),
    ...(roles ? [{ pattern: 'roles', roles: (roles.value.roles as { name: string }[]).map((r) => r.name), why: roles.comment }] : []),
  ];
  return { yaml: doc.toString({ lineWidth: 120, flowCollectionPadding: false }), gaps: allGaps, instances: summary };
}

function header(scoped: Scoped): string[] {
  const s = scoped.state;
  return [
    `Imported by pgrant import from database ${s.database} on PostgreSQL ${s.server_version} (schemas: ${scoped.schemas.join(', ') || 'none'}).`,
    'Its deploy.sql, run on that database, changes nothing; edit it from here and review each change.',
    'Passwords are never imported: logins keep the ones they have (add password: {psql: VAR} to manage one).',
    'comment: "" keeps a role without a comment (deploy.sql would otherwise write its own).',
  ];
}

/** Splits a long comment into lines of at most 110 characters. */
function wrap(text: string): string[] {
  if (text.length <= 110) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 110) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines;
}

/** Lists of scalars and small mappings (grants, memberships) are written inline, one per line. */
function compactLeaves(doc: Document): void {
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_, node) {
      const leaves = node.items.every((p) => isScalar(p.value) || (isSeq(p.value) && p.value.items.every((i) => isScalar(i))) || (isMap(p.value) && p.value.items.every((q) => isSeq(q.value) && q.value.items.every((i) => isScalar(i)))));
      const keys = node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      // Short enough for one line; a longer one stays a block rather than being folded.
      if (leaves && (keys.includes('privileges') || keys.includes('role')) && !keys.includes('pattern')) node.flow = JSON.stringify(node.toJSON()).length <= 90;
    },
  });
}

// ---- the roles instance ----

function rolesInstance(scoped: Scoped, planName: string, recognised: Recognised[], flat: boolean, gaps: Gap[]): Instance | undefined {
  const defined = new Set(recognised.flatMap((r) => r.defines));
  const entries: Record<string, unknown>[] = [];
  const comments: string[] = [];
  for (const r of scoped.roles) {
    const consumed = recognised.map((x) => x.consumed.get(r.name)).filter((c) => c !== undefined);
    const atoms = r.atoms.filter((a) => !consumed.some((c) => c.atoms.has(atomKey(a))));
    const defaults = r.defaults.filter((d) => !consumed.some((c) => c.defaults.has(defaultKey(d))));
    const memberOf = r.memberOf.filter((m) => !consumed.some((c) => c.memberships.has(m.group)));
    const entry: Record<string, unknown> = { name: r.name };
    if (!defined.has(r.name)) {
      Object.assign(entry, roleAttributes(r.attrs, { login: false }));
      const comment = commentValue(r.attrs.comment, planName);
      if (comment !== undefined) entry.comment = comment;
    } else if (!atoms.length && !defaults.length && !memberOf.length) continue;
    if (memberOf.length) entry.member_of = memberOf.map((m) => (m.admin || m.inherit !== null || m.set !== null ? { role: m.group, ...(m.admin ? { admin: true } : {}), ...(m.inherit !== null ? { inherit: m.inherit } : {}), ...(m.set !== null ? { set: m.set } : {}) } : m.group));
    const grants = grantsOf(scoped, r.name, atoms, gaps);
    if (grants.length) entry.grants = grants;
    const dp = defaultPrivilegesOf(defaults);
    if (dp.length) entry.default_privileges = dp;
    entries.push(entry);
    comments.push(defined.has(r.name) ? `${r.name}: what the pattern above does not give it` : flat ? '' : explainFallback(r));
  }
  if (!entries.length) return undefined;
  return {
    value: { pattern: 'roles', roles: entries },
    comment: flat ? 'roles: every role in scope, with its attributes, memberships and explicit grants (--flat: no pattern recognition)' : 'roles: roles no catalog pattern describes exactly, with their attributes, memberships and explicit grants',
    entryComments: comments,
  };
}

function explainFallback(r: RoleFacts): string {
  if (!r.atoms.length && !r.defaults.length) return `${r.name}: holds no privilege in scope itself${r.memberOf.length ? `; it has those of ${r.memberOf.map((m) => m.group).join(', ')}` : ''}`;
  return '';
}

const GRANT_KEY_ORDER = ['databases', 'schemas', 'all_tables_in', 'tables', 'columns', 'all_sequences_in', 'sequences', 'all_functions_in', 'functions', 'all_procedures_in', 'procedures'];
const ALL_KEY: Record<string, string> = { table: 'all_tables_in', sequence: 'all_sequences_in', function: 'all_functions_in', procedure: 'all_procedures_in' };
const LIST_KEY: Record<string, string> = { table: 'tables', sequence: 'sequences', function: 'functions', procedure: 'procedures', schema: 'schemas', database: 'databases' };

/**
 * A role's privileges as generic grants: objects with the same privileges in one grant; a schema's
 * every table (sequence, function) as all_*_in when each of them (two or more) holds the same.
 */
function grantsOf(scoped: Scoped, role: string, atoms: Atom[], gaps: Gap[]): Record<string, unknown>[] {
  // Per object and grant option: the privileges held.
  const perObject = new Map<string, { a: Atom; privileges: string[] }>();
  for (const a of atoms) {
    const key = JSON.stringify([a.kind, a.schema, a.name, a.kind === 'column' ? null : a.sub, a.grantable, a.kind === 'column' ? a.sub : null]);
    const entry = perObject.get(key);
    if (entry) entry.privileges = unite(entry.privileges, [a.privilege]);
    else perObject.set(key, { a, privileges: [a.privilege] });
  }
  // Grouped by grant key, privileges and option: the targets.
  const groups = new Map<string, { key: string; privileges: string[]; grantable: boolean; targets: unknown[]; columns?: Map<string, string[]> }>();
  const group = (key: string, privileges: string[], grantable: boolean) => {
    const id = JSON.stringify([GRANT_KEY_ORDER.indexOf(key), key, privileges, grantable]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, privileges, grantable, targets: [] }));
    return g;
  };
  const whole = new Set<string>();
  for (const kind of ['table', 'sequence', 'function', 'procedure'] as const) {
    for (const schema of scoped.schemas) {
      const all = scoped.objects.filter((o) => o.kind === kind && o.schema === schema);
      if (all.length < 2) continue;
      const held = [...perObject.values()].filter((e) => e.a.kind === kind && e.a.schema === schema);
      const lists = new Map<string, typeof held>();
      for (const e of held) {
        const id = JSON.stringify([e.privileges, e.a.grantable]);
        lists.set(id, [...(lists.get(id) ?? []), e]);
      }
      for (const list of lists.values()) {
        if (list.length !== all.length) continue;
        group(ALL_KEY[kind]!, list[0]!.privileges, list[0]!.a.grantable).targets.push(schema);
        for (const e of list) whole.add(JSON.stringify([e.a.kind, e.a.schema, e.a.name, e.a.sub, e.a.grantable]));
      }
    }
  }
  for (const { a, privileges } of perObject.values()) {
    if (whole.has(JSON.stringify([a.kind, a.schema, a.name, a.sub, a.grantable]))) continue;
    switch (a.kind) {
      case 'column': {
        if (a.schema!.includes('.') || a.name.includes('.')) {
          gaps.push({ what: `${privileges.join(', ')} on ${describeAtomObject('column', a.schema, a.name, a.sub)} to ${role}`, why: 'a column grant on a name holding a dot cannot be written' });
          continue;
        }
        const g = group('columns', privileges, a.grantable);
        g.columns ??= new Map();
        const table = `${a.schema}.${a.name}`;
        g.columns.set(table, [...(g.columns.get(table) ?? []), a.sub!].sort(compare));
        break;
      }
      case 'function':
      case 'procedure': {
        const ref = functionRef(a.schema!, a.name, a.sub ?? '');
        if (!ref) {
          gaps.push({ what: `${privileges.join(', ')} on ${describeAtomObject(a.kind, a.schema, a.name, a.sub)} to ${role}`, why: 'an argument type pgrant cannot write' });
          continue;
        }
        group(LIST_KEY[a.kind]!, privileges, a.grantable).targets.push(ref);
        break;
      }
      case 'schema':
      case 'database':
        group(LIST_KEY[a.kind]!, privileges, a.grantable).targets.push(a.name);
        break;
      default:
        group(LIST_KEY[a.kind]!, privileges, a.grantable).targets.push(tableRef(a.schema!, a.name));
    }
  }
  const sortKey = (t: unknown) => (typeof t === 'string' ? t : JSON.stringify(t));
  return [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, g]) => {
      const value: Record<string, unknown> = { privileges: g.privileges };
      if (g.columns) value.columns = Object.fromEntries([...g.columns].sort(([a], [b]) => compare(a, b)));
      else value[g.key] = [...g.targets].sort((a, b) => compare(sortKey(a), sortKey(b)));
      // The all_*_in form would also set default privileges: those are written as they are, below.
      if (g.key.startsWith('all_')) value.future = false;
      if (g.grantable) value.with_grant_option = true;
      return value;
    });
}

const ON: Record<DefaultFact['objects'], string> = { tables: 'tables', sequences: 'sequences', functions: 'functions', 'large objects': 'large_objects' };

/** Default privileges: per object kind, privileges and option, the schemas (none: any schema) and owners. */
function defaultPrivilegesOf(defaults: DefaultFact[]): Record<string, unknown>[] {
  const perOwner = new Map<string, { owner: string; schema: string | null; objects: DefaultFact['objects']; grantable: boolean; privileges: string[] }>();
  for (const d of defaults) {
    const key = JSON.stringify([d.owner, d.schema, d.objects, d.grantable]);
    const e = perOwner.get(key);
    if (e) e.privileges = unite(e.privileges, [d.privilege]);
    else perOwner.set(key, { owner: d.owner, schema: d.schema, objects: d.objects, grantable: d.grantable, privileges: [d.privilege] });
  }
  // Schemas per owner, then owners with the same schemas.
  const bySchemas = new Map<string, { objects: DefaultFact['objects']; privileges: string[]; grantable: boolean; owner: string; schemas: (string | null)[] }>();
  for (const e of perOwner.values()) {
    const key = JSON.stringify([e.objects, e.privileges, e.grantable, e.owner, e.schema === null]);
    const x = bySchemas.get(key);
    if (x) x.schemas.push(e.schema);
    else bySchemas.set(key, { objects: e.objects, privileges: e.privileges, grantable: e.grantable, owner: e.owner, schemas: [e.schema] });
  }
  const byOwners = new Map<string, { objects: DefaultFact['objects']; privileges: string[]; grantable: boolean; owners: string[]; schemas: (string | null)[] }>();
  for (const e of bySchemas.values()) {
    const schemas = [...e.schemas].sort((a, b) => compare(a ?? '', b ?? ''));
    const key = JSON.stringify([Object.keys(ON).indexOf(e.objects), e.privileges, e.grantable, schemas]);
    const x = byOwners.get(key);
    if (x) x.owners.push(e.owner);
    else byOwners.set(key, { objects: e.objects, privileges: e.privileges, grantable: e.grantable, owners: [e.owner], schemas });
  }
  return [...byOwners.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, e]) => {
      const value: Record<string, unknown> = { on: ON[e.objects], privileges: e.privileges };
      if (e.schemas[0] !== null) value.schemas = e.schemas;
      value.owners = [...e.owners].sort(compare);
      if (e.grantable) value.with_grant_option = true;
      return value;
    });
}

// ---- row-level security ----

function rowSecurityInstances(scoped: Scoped, gaps: Gap[]): Instance[] {
  const out: Instance[] = [];
  const tables = scoped.state.row_security.filter((r) => r.enabled && scoped.schemas.includes(r.schema)).sort((a, b) => compare(a.schema, b.schema) || compare(a.table, b.table));
  for (const r of tables) {
    const policies: Record<string, unknown>[] = [];
    let additive = false;
    for (const p of [...r.policies].sort((a, b) => compare(a.name, b.name))) {
      const problems = [p.using, p.with_check].filter((e): e is string => e !== null).map((e) => checkExpression(e)).filter(Boolean);
      if (problems.length) {
        // Left out, and the instance made additive so deploy.sql does not drop the policy it cannot state.
        gaps.push({ what: `policy ${p.name} on ${r.schema}.${r.table}`, why: `its expression ${problems[0]}` });
        additive = true;
        continue;
      }
      const policy: Record<string, unknown> = { name: p.name };
      if (p.command !== 'ALL') policy.command = p.command;
      const roles = [...p.roles].sort(compare);
      if (roles.join() !== 'public') policy.roles = roles;
      if (p.using !== null) policy.using = p.using;
      if (p.with_check !== null) policy.with_check = p.with_check;
      if (!p.permissive) policy.permissive = false;
      policies.push(policy);
    }
    const value: Record<string, unknown> = { pattern: 'row-level-security', table: tableRef(r.schema, r.table) };
    if (!r.forced) value.force = false;
    if (additive) value.mode = 'additive';
    value.policies = policies;
    out.push({ value, comment: `row-level-security: ${r.schema}.${r.table} has row-level security ${r.forced ? 'enabled and forced' : 'enabled'}, with ${r.policies.length} polic${r.policies.length === 1 ? 'y' : 'ies'}` });
  }
  return out;
}
