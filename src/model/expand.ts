// plan → model: every pattern instance expanded into one resolved access model.
import { EXPANDERS } from '../catalog/expanders/index.js';
import { basename } from 'node:path';
import type { Plan, PlanInstance } from '../plan/load.js';
import { formatPath, type PathSegment } from '../plan/source.js';
import { ModelBuilder } from './builder.js';
import type { Model, Origin } from './model.js';

export function buildModel(plan: Plan): Model {
  const b = new ModelBuilder({ name: plan.name, file: plan.file, postgres: plan.postgres, database: plan.database, reassignTo: plan.reassignTo }, plan.databaseAlias);
  if (plan.reassignTo) b.reference(plan.reassignTo, { source: plan.source, path: ['reassign_to'], label: 'reassign_to' });
  for (const instance of plan.instances) {
    const expander = EXPANDERS[instance.def.expander];
    if (!expander) throw new Error(`pattern ${instance.def.name} names an unknown expander "${instance.def.expander}"`);
    const label = instanceLabel(instance);
    expander({
      plan,
      instance,
      def: instance.def,
      params: instance.params,
      b,
      origin: (...sub: PathSegment[]): Origin => ({ source: instance.source, path: [...instance.path, ...sub], label, pattern: instance.def.name, via: instance.via }),
    });
  }
  plan.test.cases.forEach((c) => {
    const origin: Origin = { source: plan.source, path: c.path, label: formatPath(c.path) };
    const expect = c.error !== undefined ? { error: c.error } : c.returns !== undefined ? { returns: c.returns } : { ok: c.ok ?? true };
    b.reference(c.as, origin);
    b.addTest({ as: c.as, sql: c.sql, expect, origin });
  });
  return b.build();
}

/** `readonly patterns[0]`; through a team pattern: `readonly expands[1] of team pattern service (plan.yaml:7 patterns[0])`. */
function instanceLabel(instance: PlanInstance): string {
  const own = `${instance.def.name} ${formatPath(instance.path)}`;
  const uses = [...instance.via].reverse().map((u) => `of team pattern ${u.pattern} (${basename(u.at.file)}:${u.at.line} ${u.path})`);
  return [own, ...uses].join(' ');
}
