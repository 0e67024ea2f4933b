// Where import reads what earlier deploys recorded: table pgrant.managed_role (audit.sql's `managed_roles`),
// and the previous release's role settings only for a plan with no row there. Expectations written by hand.
import { describe, expect, it } from 'vitest';
import { recordedRoles } from '../../src/import/earlier-plan.js';
import type { ImportState } from '../../src/import/state.js';

const role = (name: string, settings: string[] | null = null) => ({
  name, login: false, superuser: false, createdb: false, createrole: false, inherit: true, replication: false, bypassrls: false,
  connection_limit: -1, valid_until: null, comment: null, settings,
});
const state = (roles: ReturnType<typeof role>[], managed_roles: ImportState['managed_roles']) => ({ roles, managed_roles }) as unknown as ImportState;

describe('recordedRoles', () => {
  it('reads the rows of pgrant.managed_role', () => {
    const s = state([role('alice')], [
      { plan: 'app', role: 'alice', scope: { plan: 'app', schemas: ['sales', 'public'], databases: [], owners: [] } },
      { plan: 'app', role: 'bob', scope: { plan: 'app', schemas: [] } },
    ]);
    expect(recordedRoles(s)).toEqual([
      { role: 'alice', plan: 'app', schemas: ['sales', 'public'] },
      { role: 'bob', plan: 'app', schemas: [] },
    ]);
  });

  it('reads the previous release\'s settings for a plan with no row (an audit without the table, or one it may not read)', () => {
    const legacy = [role('carol', ['pgrant.managed={"plan":"old","schemas":["s"]}', 'search_path=x']), role('dan', ['pgrant.managed={"plan":"app","schemas":["t"]}'])];
    expect(recordedRoles(state(legacy, null))).toEqual([
      { role: 'carol', plan: 'old', schemas: ['s'] },
      { role: 'dan', plan: 'app', schemas: ['t'] },
    ]);
    // Plan app has rows in the table: its settings were read into it once and are not read again.
    expect(recordedRoles(state(legacy, [{ plan: 'app', role: 'erin', scope: { plan: 'app', schemas: [] } }]))).toEqual([
      { role: 'erin', plan: 'app', schemas: [] },
      { role: 'carol', plan: 'old', schemas: ['s'] },
    ]);
  });

  it('skips a record that is not a plan\'s scope', () => {
    expect(recordedRoles(state([role('x', ['pgrant.managed=not json', 'pgrant.managed={"schemas":[]}'])], [{ plan: 'p', role: 'y', scope: 'text' }]))).toEqual([]);
  });
});
