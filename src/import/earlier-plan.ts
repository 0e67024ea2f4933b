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

/**
 * The roles earlier deploys recorded as managed. The only place import reads pgrant's bookkeeping
 * (today the role setting `pgrant.managed`, a JSON object, in the database): if the bookkeeping moves,
 * only this function changes.
 */
export function recordedRoles(state: ImportState): RecordedRole[] {
  const recorded: RecordedRole[] = [];
  for (const r of state.roles) {
    for (const setting of r.settings ?? []) {
      if (!setting.startsWith('pgrant.managed=')) continue;
      let value: { plan?: unknown; schemas?: unknown };
      try {
        value = JSON.parse(setting.slice('pgrant.managed='.length)) as typeof value;
      } catch {
        continue;
      }
      if (typeof value.plan !== 'string') continue;
      const schemas = Array.isArray(value.schemas) ? value.schemas.filter((s): s is string => typeof s === 'string') : [];
      recorded.push({ role: r.name, plan: value.plan, schemas });
    }
  }
  return recorded;
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
