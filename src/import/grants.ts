// Privileges and default privileges as a plan writes them: generic grants (objects with the same
// privileges together; every table of a schema as all_*_in) and `default_privileges` entries.
import { unite } from '../model/builder.js';
import { compare, describeAtomObject, type Atom, type DefaultFact, type Gap, type Scoped } from './scope.js';
import { functionRef, tableRef } from './values.js';

const GRANT_KEY_ORDER = ['databases', 'schemas', 'all_tables_in', 'tables', 'columns', 'all_sequences_in', 'sequences', 'all_functions_in', 'functions', 'all_procedures_in', 'procedures'];
const ALL_KEY: Record<string, string> = { table: 'all_tables_in', sequence: 'all_sequences_in', function: 'all_functions_in', procedure: 'all_procedures_in' };
const LIST_KEY: Record<string, string> = { table: 'tables', sequence: 'sequences', function: 'functions', procedure: 'procedures', schema: 'schemas', database: 'databases' };

/** A grant as written, with what an all_*_in grant covers (for default privileges that go with it). */
export interface GrantOut {
  value: Record<string, unknown>;
  /** For all_tables_in / all_sequences_in / all_functions_in: the kind of objects and the schemas. */
  all?: { objects: 'tables' | 'sequences' | 'functions' | null; schemas: string[]; privileges: string[]; grantable: boolean };
}

const ALL_OBJECTS: Record<string, 'tables' | 'sequences' | 'functions' | null> = { all_tables_in: 'tables', all_sequences_in: 'sequences', all_functions_in: 'functions', all_procedures_in: null };

/**
 * A role's privileges as generic grants: objects with the same privileges in one grant. Where every
 * table (sequence, function) of a schema — two or more — holds some privileges, those are one all_*_in
 * grant, and only what some hold beyond them is listed.
 */
export function grantsOf(scoped: Scoped, role: string, atoms: Atom[], gaps: Gap[]): GrantOut[] {
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
  for (const kind of ['table', 'sequence', 'function', 'procedure'] as const) {
    for (const schema of scoped.schemas) {
      const all = scoped.objects.filter((o) => o.kind === kind && o.schema === schema);
      if (all.length < 2) continue;
      for (const grantable of [false, true]) {
        const held = [...perObject.values()].filter((e) => e.a.kind === kind && e.a.schema === schema && e.a.grantable === grantable);
        if (held.length !== all.length) continue;
        const common = held.reduce((acc, e) => acc.filter((p) => e.privileges.includes(p)), held[0]!.privileges);
        if (common.length === 0) continue;
        group(ALL_KEY[kind]!, common, grantable).targets.push(schema);
        for (const e of held) e.privileges = e.privileges.filter((p) => !common.includes(p));
      }
    }
  }
  for (const { a, privileges } of perObject.values()) {
    if (privileges.length === 0) continue;
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
      // The all_*_in form would also set default privileges: those are written as they are, apart.
      if (g.key.startsWith('all_')) value.future = false;
      if (g.grantable) value.with_grant_option = true;
      const all = g.key.startsWith('all_') ? { objects: ALL_OBJECTS[g.key]!, schemas: g.targets as string[], privileges: g.privileges, grantable: g.grantable } : undefined;
      return { value, all };
    });
}

const ON: Record<DefaultFact['objects'], string> = { tables: 'tables', sequences: 'sequences', functions: 'functions', 'large objects': 'large_objects' };

/** Default privileges: per object kind, privileges and option, the schemas (none: any schema) and owners. */
export function defaultPrivilegesOf(defaults: DefaultFact[]): Record<string, unknown>[] {
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

