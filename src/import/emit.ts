// Step 4 of import: the plan as YAML — recognised instances, a `roles` instance for everything else,
// row-level security, every choice commented. Sorted throughout, so the same state gives the same bytes.
import { Document, isMap, isScalar, isSeq, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import { checkExpression } from '../sql/expression.js';
import type { Recognised } from './recognise.js';
import { defaultPrivilegesOf, grantsOf } from './grants.js';
import { atomKey, compare, defaultKey, type Gap, type MembershipFact, type RoleFacts, type Scoped } from './scope.js';
import { commentValue, roleAttributes, tableRef } from './values.js';

export interface EmitInput {
  scoped: Scoped;
  name: string;
  recognised: Recognised[];
  flat: boolean;
  /** Roles the plan refers to but does not create (known once the plan is rendered): named in the header. */
  external?: string[];
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
  doc.commentBefore = header(scoped, input.external ?? []).flatMap((l) => wrap(l)).map((l) => ` ${l}`).join('\n');
  const patterns = doc.get('patterns') as YAMLSeq;
  instances.forEach((inst, i) => {
    const node = patterns.items[i] as YAMLMap;
    node.commentBefore = wrap(inst.comment).map((l) => ` ${l}`).join('\n');
    for (const [key, text] of KEY_COMMENTS) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
    }
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

/** Comments on keys of the roles instance that say what PUBLIC's entries mean. */
const KEY_COMMENTS: [string, string][] = [
  ['public_grants', 'PUBLIC (every role, present and future) holds these beyond what PostgreSQL gives it by default'],
  ['revokes', 'PUBLIC lacks these, which PostgreSQL gives it by default (verify.sql checks it still does)'],
];

function header(scoped: Scoped, external: string[]): string[] {
  const s = scoped.state;
  const outside = external.filter((r) => !r.startsWith('pg_'));
  return [
    `Imported by pgrant import from database ${s.database} on PostgreSQL ${s.server_version} (schemas: ${scoped.schemas.join(', ') || 'none'}).`,
    'Its deploy.sql, run on that database, changes nothing; edit it from here and review each change.',
    'Passwords are never imported: logins keep the ones they have (add password: {psql: VAR} to manage one).',
    'comment: "" keeps a role without a comment (deploy.sql would otherwise write its own).',
    ...(outside.length ? [`Roles it refers to but does not manage (deploy.sql checks they exist): ${outside.join(', ')}.`] : []),
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
    if (memberOf.length) entry.member_of = memberOf.map(membershipValue);
    const grants = grantsOf(scoped, r.name, atoms, gaps).map((g) => g.value);
    if (grants.length) entry.grants = grants;
    const dp = defaultPrivilegesOf(defaults);
    if (dp.length) entry.default_privileges = dp;
    entries.push(entry);
    comments.push(defined.has(r.name) ? `${r.name}: what its pattern does not give it` : flat ? '' : explainFallback(r));
  }
  const publicGrants = grantsOf(scoped, 'PUBLIC', scoped.publicExtra, gaps).map((g) => g.value);
  // A revoke takes the grant's object keys, not `future` (PUBLIC gets no default privileges from it).
  const revokes = grantsOf(scoped, 'PUBLIC', scoped.publicMissing, gaps).map(({ value: { future: _f, ...rest } }) => ({ ...rest, from: ['PUBLIC'] }));
  if (!entries.length && !publicGrants.length && !revokes.length) return undefined;
  // Entries that add grants to a role a recognised instance defines: the plan says the two merge.
  const adds = entries.some((e) => defined.has(e.name as string) && (e.grants !== undefined || e.default_privileges !== undefined));
  const value: Record<string, unknown> = { pattern: 'roles', ...(adds ? { merge: true } : {}), roles: entries };
  const names = entries.map((e) => e.name as string).filter((n) => !defined.has(n)).join(', ') || 'none';
  if (publicGrants.length) value.public_grants = publicGrants;
  if (revokes.length) value.revokes = revokes;
  return {
    value,
    comment: flat
      ? `roles: every role in scope (${names}), with attributes, memberships and explicit grants (--flat: no pattern recognition)`
      : `roles: ${names}: no catalog pattern gives exactly their privileges, so they are written out (attributes, memberships, explicit grants)${entries.length > names.split(', ').length || names === 'none' ? '; the others add what their pattern does not give' : ''}`,
    entryComments: comments,
  };
}

/** A membership: the group's name, or {role, admin, inherit, set} with the options that are not GRANT's defaults. */
function membershipValue(m: MembershipFact): string | Record<string, unknown> {
  if (!m.admin && m.inherit === null && m.set === null) return m.group;
  return { role: m.group, ...(m.admin ? { admin: true } : {}), ...(m.inherit !== null ? { inherit: m.inherit } : {}), ...(m.set !== null ? { set: m.set } : {}) };
}

function explainFallback(r: RoleFacts): string {
  if (!r.atoms.length && !r.defaults.length) return `${r.name}: holds no privilege in scope itself${r.memberOf.length ? `; it has those of ${r.memberOf.map((m) => m.group).join(', ')}` : ''}`;
  return '';
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
