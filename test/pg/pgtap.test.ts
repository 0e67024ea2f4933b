// pgTAP, the ecosystem's own checker, on each example (examples/<name>.pgtap.sql, one per example): deploy.sql runs
// as a DBA would, pgTAP is loaded into a schema of its own, and pg_prove runs the hand-written file.
// pgTAP's SQL (Debian: postgresql-15-pgtap) adapts to the server at run time: one file serves 14–18.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { withDeployed } from '../support/deployed.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { hasTool, pgtapScript } from '../support/tools.js';

function pgProve(server: Server, database: string, file: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...server.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGDATABASE: database };
  if (server.password !== undefined) env.PGPASSWORD = server.password;
  const r = spawnSync('pg_prove', ['--verbose', file], { env, encoding: 'utf8' });
  if (r.error) throw new Error(`pg_prove could not run (${r.error.message}): apt-get install libtap-parser-sourcehandler-pgtap-perl`);
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const files = readdirSync('examples').filter((f) => f.endsWith('.pgtap.sql')).sort();

if (await hasTool('pgtap')) {
  const servers = useServers();

  describe.each(TEST_MAJORS)('pgTAP on PostgreSQL %i', (major) => {
    it('finds pgTAP and a hand-written file for every example', () => {
      expect(pgtapScript()).toMatch(/pgtap\.sql$/);
      const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '.pgtap.sql'));
      expect(files).toEqual(examples.sort());
    });

    it.each(files)('examples/%s passes pg_prove', async (file) => {
      const plan = `examples/${file.replace(/\.pgtap\.sql$/, '.yaml')}`;
      const fixture = (parse(readFileSync(plan, 'utf8')) as { test?: { fixture?: string } }).test?.fixture;
      const server = servers.get(major)!;
      await withDeployed(server, major, { file: plan, fixture: fixture ? resolve('examples', fixture) : undefined }, async (d) => {
        const load = await runPsql(server, { database: d.database, command: 'CREATE SCHEMA tap' });
        expect(load.code, load.stderr).toBe(0);
        const tap = await runPsql(server, { database: d.database, file: pgtapScript()!, env: { PGOPTIONS: '-c search_path=tap -c client_min_messages=warning' } });
        expect(tap.code, tap.stderr).toBe(0);
        const r = pgProve(server, d.database, resolve('examples', file));
        expect(r.output).toMatch(/^Result: PASS$/m);
        expect(r.code, r.output).toBe(0);
        expect(r.output).not.toMatch(/^not ok/m);
      });
    });
  });
}
