// Migration → the data migrate.sql.hbs reads.
import type { Model } from '../model/model.js';
import { buildView, managedSetting, membershipOptions, OBJECTS_KEYWORD, ownedSequenceRows } from '../render/view.js';
import type { Migration } from './diff.js';

export function buildMigrationView(from: Model, to: Model, m: Migration, options: { planFile: string; fromLabel: string }) {
  const base = buildView(to, { planFile: options.planFile });
  const roleView = new Map(base.roles.map((r) => [r.name, r]));
  const created = m.created.map((r) => roleView.get(r.name)!);
  const altered = m.altered.map((a) => {
    const v = roleView.get(a.role.name)!;
    return {
      ...v,
      changedFlags: a.flags,
      setConnectionLimit: a.connectionLimit,
      setValidUntil: a.validUntil && v.validUntil !== null,
      resetValidUntil: a.validUntil && v.validUntil === null,
      changePassword: a.password,
      changeComment: a.comment,
      hasAlter: a.flags.length > 0 || a.connectionLimit || (a.validUntil && v.validUntil !== null),
    };
  });
  const needsVariable = new Set([...created.filter((r) => r.psqlPassword).map((r) => r.name), ...altered.filter((r) => r.changePassword && r.psqlPassword).map((r) => r.name)]);
  // A role's recorded plan and scope are written when they change (new roles, changed grants).
  const renamedTo = new Map(m.renames.map((r) => [r.to, r.from]));
  const markers = base.markers.filter(({ role, setting }) => from.roles.every((r) => r.name !== (renamedTo.get(role) ?? role)) || managedSetting(from, renamedTo.get(role) ?? role) !== setting || renamedTo.has(role));
  return {
    ...base,
    markers,
    from: options.fromLabel,
    changes: m.changes,
    psqlVariables: base.psqlVariables.filter((v) => needsVariable.has(v.role)),
    hasPsqlPasswords: base.psqlVariables.some((v) => needsVariable.has(v.role)),
    carriesPasswords: needsVariable.size > 0 || [...created, ...altered.filter((r) => r.changePassword)].some((r) => r.verifier !== null),
    renames: m.renames,
    created,
    altered,
    attributeChanges: altered.filter((a) => a.hasAlter),
    dropped: m.dropped,
    schemasCreated: m.schemasCreated,
    schemaOwners: m.schemaOwners,
    databaseOwners: m.databaseOwners,
    membershipsRevoked: m.membershipsRevoked,
    adminRevoked: m.adminRevoked,
    membershipsGranted: m.membershipsGranted.map((x) => ({ ...x, withOptions: membershipOptions(x, to.plan.postgres) })),
    revoked: m.revoked.filter((g) => g.target.kind !== 'owned-sequences'),
    granted: m.granted.filter((g) => g.target.kind !== 'owned-sequences'),
    ownedSequencesRevoked: ownedSequenceRows(m.revoked),
    ownedSequencesGranted: ownedSequenceRows(m.granted),
    defaultsRevoked: m.defaultsRevoked.map((d) => ({ ...d, objectsKeyword: OBJECTS_KEYWORD[d.objects] })),
    defaultsGranted: m.defaultsGranted.map((d) => ({ ...d, objectsKeyword: OBJECTS_KEYWORD[d.objects] })),
    publicRevoked: m.publicRevoked,
    publicRestored: m.publicRestored,
    rowSecurityChanges: m.rowSecurity.map((r) => ({
      schema: r.table.schema,
      table: r.table.table,
      enable: r.enable,
      force: r.force,
      forceChanged: r.force !== null,
      dropPolicies: r.dropPolicies,
      createPolicies: r.createPolicies.map((p) => ({ ...p, kind: p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE' })),
    })),
    rowSecurityRemoved: m.rowSecurityRemoved,
    migrationDrops: m.drops,
    migrationRevokes: m.revokes,
  };
}
