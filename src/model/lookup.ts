// Indexes over a model, built once per model: lookups by role instead of scans, so that rendering and
// linting stay linear in the size of the plan (a 1,000-project plan has thousands of roles).
import type { DefaultPrivilege, Grant, Membership, Model, Role } from './model.js';

export interface ModelIndex {
  roles: Map<string, Role>;
  grantsTo: Map<string, Grant[]>;
  defaultsTo: Map<string, DefaultPrivilege[]>;
  membershipsOf: Map<string, Membership[]>;
}

const cache = new WeakMap<Model, ModelIndex>();

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function lookup(model: Model): ModelIndex {
  let index = cache.get(model);
  if (!index) {
    index = {
      roles: new Map(model.roles.map((r) => [r.name, r])),
      grantsTo: group(model.grants, (g) => g.grantee),
      defaultsTo: group(model.defaults, (d) => d.grantee),
      membershipsOf: group(model.memberships, (m) => m.member),
    };
    cache.set(model, index);
  }
  return index;
}
