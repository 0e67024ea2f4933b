// Recognition of a team hierarchy: NOLOGIN teams linked by plain memberships (a team inherits another),
// each with its own grants, and logins in teams. Every grant is written as it is; an all_*_in grant
// keeps `future` only where each owner's default privileges are exactly the ones it would set.
import { grantsOf, type GrantOut } from './grants.js';
import type { Recognised } from './recognise.js';
import { atomKey, compare, defaultKey, type DefaultFact, type Gap, type MembershipFact, type RoleFacts, type Scoped } from './scope.js';
import { commentValue, roleAttributes } from './values.js';

const plainMembership = (m: MembershipFact) => !m.admin && m.inherit === null && m.set === null;

export function recogniseTeams(scoped: Scoped, planName: string, taken: Set<string>, isPlainGroup: (r: RoleFacts) => boolean): Recognised[] {
  const candidates = new Map(scoped.roles.filter((r) => !taken.has(r.name) && isPlainGroup(r)).map((r) => [r.name, r]));
  const found: Recognised[] = [];
  for (const component of components(candidates)) {
    const instance = teamInstance(scoped, planName, component, taken);
    if (instance) {
      found.push(instance);
      instance.defines.forEach((n) => taken.add(n));
    }
  }
  return found;
}

/** Groups of candidate teams connected by plain memberships, each with at least one such link. */
function components(candidates: Map<string, RoleFacts>): RoleFacts[][] {
  const parent = new Map([...candidates.keys()].map((n) => [n, n]));
  const find = (n: string): string => (parent.get(n) === n ? n : find(parent.get(n)!));
  const linked = new Set<string>();
  for (const r of candidates.values()) {
    for (const m of r.memberOf) {
      if (!candidates.has(m.group) || !plainMembership(m)) continue;
      parent.set(find(r.name), find(m.group));
      linked.add(r.name);
    }
  }
  const by = new Map<string, RoleFacts[]>();
  for (const r of candidates.values()) {
    const root = find(r.name);
    by.set(root, [...(by.get(root) ?? []), r]);
  }
  return [...by.values()].filter((c) => c.some((r) => linked.has(r.name))).map((c) => c.sort((a, b) => compare(a.name, b.name))).sort((a, b) => compare(a[0]!.name, b[0]!.name));
}

/** Default privileges an all_*_in grant sets FOR ROLE each owner, when it keeps `future`. */
function defaultsOf(g: GrantOut, owners: string[]): DefaultFact[] {
  const all = g.all!;
  if (!all.objects) return [];
  const objects = all.objects;
  return owners.flatMap((owner) => all.schemas.flatMap((schema) => all.privileges.map((privilege) => ({ owner, schema, objects, privilege, grantable: all.grantable }))));
}

function teamInstance(scoped: Scoped, planName: string, teams: RoleFacts[], taken: Set<string>): Recognised | undefined {
  const names = new Set(teams.map((t) => t.name));
  const owners = [...new Set(teams.flatMap((t) => t.defaults.map((d) => d.owner)))].sort(compare);
  const consumed: Recognised['consumed'] = new Map();
  const teamValues: Record<string, unknown>[] = [];
  // Teams that inherit none first, then by name: the plan reads from the top of the hierarchy down.
  const depth = (t: RoleFacts, seen = new Set<string>()): number => {
    if (seen.has(t.name)) return 0;
    seen.add(t.name);
    const parents = t.memberOf.filter((m) => names.has(m.group) && plainMembership(m));
    return parents.length ? 1 + Math.max(...parents.map((m) => depth(teams.find((x) => x.name === m.group)!, seen))) : 0;
  };
  for (const team of [...teams].sort((a, b) => depth(a) - depth(b) || compare(a.name, b.name))) {
    const gaps: Gap[] = [];
    const grants = grantsOf(scoped, team.name, team.atoms, gaps);
    if (gaps.length) return undefined;
    // Keep `future` on an all_*_in grant whose default privileges are all there; none there: future: false.
    const have = new Set(team.defaults.map(defaultKey));
    const expected: DefaultFact[] = [];
    for (const g of grants.filter((x) => x.all?.objects)) {
      const wanted = defaultsOf(g, owners);
      if (wanted.length && wanted.every((d) => have.has(defaultKey(d)))) {
        delete g.value.future;
        expected.push(...wanted);
      }
    }
    if (expected.length !== have.size || !expected.every((d) => have.has(defaultKey(d)))) return undefined;
    const inherits = team.memberOf.filter((m) => names.has(m.group) && plainMembership(m)).map((m) => m.group).sort(compare);
    const value: Record<string, unknown> = { role: team.name };
    if (inherits.length) value.inherits = inherits;
    if (grants.length) value.grants = grants.map((g) => g.value);
    const comment = commentValue(team.attrs.comment, planName);
    if (comment !== undefined) value.comment = comment;
    teamValues.push(value);
    consumed.set(team.name, { atoms: new Set(team.atoms.map(atomKey)), defaults: new Set(team.defaults.map(defaultKey)), memberships: new Set(inherits) });
  }

  // Members: logins in the teams (plain memberships), defined with their attributes.
  const members: Record<string, unknown>[] = [];
  for (const r of scoped.roles) {
    if (!r.attrs.login || taken.has(r.name)) continue;
    const inTeams = r.memberOf.filter((m) => names.has(m.group) && plainMembership(m)).map((m) => m.group).sort(compare);
    if (!inTeams.length) continue;
    const value: Record<string, unknown> = { name: r.name, ...roleAttributes(r.attrs, { login: true }) };
    const comment = commentValue(r.attrs.comment, planName);
    if (comment !== undefined) value.comment = comment;
    value.teams = inTeams;
    members.push(value);
    consumed.set(r.name, { atoms: new Set(), defaults: new Set(), memberships: new Set(inTeams) });
  }

  const params: Record<string, unknown> = { pattern: 'team-hierarchy', teams: teamValues };
  if (members.length) params.members = members;
  if (owners.length) params.owners = owners;
  const chain = teamValues.filter((t) => t.inherits).map((t) => `${t.role as string} inherits ${(t.inherits as string[]).join(', ')}`);
  return {
    pattern: 'team-hierarchy',
    params,
    why: `team-hierarchy: teams ${teams.map((t) => t.name).join(', ')} (${chain.join('; ')}), each with its own grants${members.length ? `; logins ${members.map((m) => m.name as string).join(', ')} in teams` : ''}: the team-hierarchy pattern states exactly this`,
    defines: [...teams.map((t) => t.name), ...members.map((m) => m.name as string)],
    consumed,
  };
}
