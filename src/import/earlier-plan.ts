// What earlier deploys of pgrant plans recorded on this database, and what that means for the plan
// import writes: deploy.sql drops the roles an earlier deploy of a plan of the same name managed and
// the new plan has not, and cleans the schemas it recorded.
import type { Gap } from './scope.js';
import type { ImportState } from './state.js';

/** One role an earlier deploy managed: the plan's name and the schemas it gave the role access in. */
export interface RecordedRole {
  role: string;
  plan: string;
  schemas: string[];
}

/** A recorded scope (`{"plan": …, "schemas": […], …}`) as a RecordedRole, or undefined when it is not one. */
function recordedScope(role: string, scope: unknown): RecordedRole | undefined {
  if (typeof scope !== 'object' || scope === null) return undefined;
  const value = scope as { plan?: unknown; schemas?: unknown };
  if (typeof value.plan !== 'string') return undefined;
  const schemas = Array.isArray(value.schemas) ? value.schemas.filter((s): s is string => typeof s === 'string') : [];
  return { role, plan: value.plan, schemas };
}

/** The previous release's records: the role setting `pgrant.managed` (a JSON object) in the database. */
function legacyRecords(state: ImportState): RecordedRole[] {
  const recorded: RecordedRole[] = [];
  for (const r of state.roles) {
    for (const setting of r.settings ?? []) {
      if (!setting.startsWith('pgrant.managed=')) continue;
      let value: unknown;
      try {
        value = JSON.parse(setting.slice('pgrant.managed='.length));
      } catch {
        continue;
      }
      const role = recordedScope(r.name, value);
      if (role) recorded.push(role);
    }
  }
  return recorded;
}

/**
 * The roles earlier deploys recorded as managed. The only place import reads pgrant's bookkeeping: the
 * table pgrant.managed_role (audit.sql prints its rows when the auditing role may read them); for a plan
 * with no row there, the previous release's role settings, as deploy.sql itself reads them once.
 */
export function recordedRoles(state: ImportState): RecordedRole[] {
  const recorded: RecordedRole[] = [];
  for (const row of state.managed_roles ?? []) {
    const role = recordedScope(row.role, row.scope);
    if (role) recorded.push({ ...role, plan: row.plan });
  }
  const inTable = new Set(recorded.map((r) => r.plan));
  return [...recorded, ...legacyRecords(state).filter((r) => !inTable.has(r.plan))];
}

/** What deploy.sql of the imported plan, named `name`, would undo of an earlier deploy under that name. */
export function earlierPlanGaps(state: ImportState, name: string, roles: Set<string>, schemas: string[]): Gap[] {
  const gaps: Gap[] = [];
  for (const r of recordedRoles(state)) {
    if (r.plan !== name) continue;
    if (!roles.has(r.role)) gaps.push({ what: `role ${r.role}, managed by an earlier deploy of a plan named ${name}`, why: 'deploy.sql of this plan would drop it: include it (--roles) or name the plan differently (-o other.yaml)' });
    const outside = r.schemas.filter((x) => !schemas.includes(x));
    if (roles.has(r.role) && outside.length) gaps.push({ what: `schemas ${outside.join(', ')} of role ${r.role}, recorded by an earlier deploy of plan ${name}`, why: 'deploy.sql of this plan would revoke what it holds there: include them (--schemas) or name the plan differently' });
  }
  return gaps;
}
