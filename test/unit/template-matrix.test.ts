// Every pattern rendered with its optional parameters present and absent, in random combinations:
// no "undefined", no empty identifier, and every SQL file parses with PostgreSQL's parser once the
// psql meta-commands are stripped.
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadModule, parseSync } from 'libpg-query';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { UserError } from '../../src/diagnostics.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { tempDir } from '../support/tmp.js';

/** A valid value for each parameter type the catalog uses. */
const SAMPLES: Record<string, unknown> = {
  boolean: true,
  integer: 5,
  string: "a comment with 'quotes'",
  name: 'proj',
  schema: 'app',
  'schema[]': ['app', 'Sales Team'],
  role: 'ext_owner',
  'role[]': ['ext_owner', 'user'],
  'role-name': 'new_role',
  'table[]': ['app.t1', { schema: 'app', name: 't.2' }],
  table: 'app.t1',
  columns: { 'app.t1': ['c1', 'select'] },
  'privilege[]': ['SELECT', 'UPDATE'],
  password: { psql: 'a_password' },
  timestamp: '2030-01-01',
  'login[]': [{ name: 'member_one', password: { psql: 'member_pw' }, connection_limit: 3 }, 'member_two'],
  login: { name: 'the_owner', password: { psql: 'owner_pw' } },
  'database-name': 'appdb',
  'database-name[]': ['appdb'],
  'project-accounts': { readwrite: false, readonly: { name: 'proj_reader' } },
  'team[]': [{ role: 'team_a', grants: [{ privileges: ['SELECT'], all_tables_in: ['app'] }, { privileges: ['USAGE'], schemas: ['app'] }] }, { role: 'team_b', inherits: ['team_a'] }],
  'team-member[]': [{ name: 'teammate', teams: ['team_a'] }],
  'policy[]': [{ name: 'p1', roles: ['ext_owner'], using: "owner = current_user", command: 'SELECT' }, { name: 'p 2', with_check: 'true', command: 'INSERT', permissive: false }],
  'role-definition[]': [
    { name: 'r_one', login: true, valid_until: '2030-01-01', member_of: [{ role: 'ext_owner', admin: true }], grants: [{ privileges: ['EXECUTE'], functions: ['app.f(integer, text)'] }, { privileges: ['USAGE'], schemas: ['app'] }] },
    { name: 'r_two', default_privileges: [{ on: 'sequences', privileges: ['USAGE'], schemas: ['app'] }] },
  ],
  'revoke[]': [{ privileges: ['ALL'], tables: ['app.t1'], from: ['PUBLIC'], cascade: true }],
  'grant[]': [{ privileges: ['SELECT'], tables: ['app.t1'] }],
};

/** Turns a rendered SQL file into what the server's parser sees once psql has done its part. */
function forTheParser(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => !l.startsWith('\\'))
    .join('\n')
    .replace(/\\gexec$/gm, ';')
    .replace(/\\gset( \w+)?$/gm, ';')
    .replace(/:'[A-Za-z_][A-Za-z0-9_]*'/g, "'value'");
}

const catalog = loadCatalog();

describe.each([...catalog.values()].map((d) => [d.name, d] as const))('pattern %s', (_name, def) => {
  it('renders with optional parameters present and absent, to SQL the parser accepts', async () => {
    await loadModule();
    const base = (parse(def.example) as { patterns: Record<string, unknown>[] }).patterns.find((p) => p.pattern === def.name)!;
    const optional = Object.entries(def.parameters).filter(([, p]) => !p.required).map(([k]) => k);
    for (const key of optional) expect(SAMPLES, `a sample for ${def.name}.${key} (${def.parameters[key]!.typeExpr})`).toHaveProperty(def.parameters[key]!.typeExpr);
    let rendered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.subarray(optional), fc.constantFrom(14, 16, 18), async (present, postgres) => {
        const instance: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(base)) if (k === 'pattern' || def.parameters[k]?.required) instance[k] = v;
        for (const key of present) instance[key] = SAMPLES[def.parameters[key]!.typeExpr];
        if (instance.superuser) instance.allow_superuser = true;
        const dir = tempDir('matrix');
        const file = join(dir, 'p.yaml');
        writeFileSync(file, stringify({ pgrant: 1, database: 'appdb', postgres, patterns: [instance] }));
        let files: Map<string, string>;
        try {
          files = (await renderPlanFile(file)).files;
        } catch (e) {
          // Some combinations are refused (e.g. lint errors): a user error with a location, never a crash.
          expect(e, String(e)).toBeInstanceOf(UserError);
          expect((e as UserError).diagnostics[0]!.loc).toBeDefined();
          refused++;
          return;
        }
        rendered++;
        for (const [name, content] of files) {
          expect(content, `${name} with ${present.join(', ')}`).not.toMatch(/undefined|\[object Object\]|NaN/);
          if (!name.endsWith('.sql')) continue;
          expect(content, name).not.toContain('""');
          expect(() => parseSync(forTheParser(content)), `${name} with ${present.join(', ')} on ${postgres}`).not.toThrow();
        }
      }),
      { numRuns: 24 },
    );
    expect(rendered, `${def.name}: ${rendered} rendered, ${refused} refused`).toBeGreaterThan(0);
  });
});
