// `pgrant test --hostile` (issue 23): the harness makes the server hostile before the plan's files run, and
// fails, naming the cause, when the attack takes effect. Each test takes a protection out of (or puts it
// into) the rendered files and checks that the mode tells the two apart.
import { describe, expect, it } from 'vitest';
import { provePlan, type CaseReport } from '../../src/harness/prove.js';
import { addressOf, type Major } from '../../src/harness/server.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;
const servers = useServers(MAJORS, { statements: true });
const PLAN = 'test/hostile/plan.yaml';
const FIXTURE = 'test/hostile/fixture.sql';
const CHECK = 'hostile: no planted overload ran, no password in the log or statistics, no meta-command';
/** What every generated file should start with (issue 23): names resolve in pg_catalog only, psql lexes as the server does. */
const PIN = 'SET search_path = pg_catalog, pg_temp;\nSET standard_conforming_strings = on;\n';

/** The file without any statement that sets search_path: what a template that forgot its pin renders. */
const unpinned = (content: string) => content.replace(/^\s*SET\s+(?:LOCAL\s+)?search_path\b[^\n]*$/gim, '').replace(/^[^\n]*set_config\('search_path'[^\n]*$/gim, '');
/** The file with the pin put first (whether or not it already has one). */
const pinned = (content: string) => PIN + content;
/**
 * A value that a plan could carry into a file, crafted for standard_conforming_strings = off: psql then
 * reads 'a\' as one string and runs the rest of the line as a meta-command.
 */
const SMUGGLED = `SELECT 'a\\' AS x, ' \\! touch "$PGRANT_HOSTILE_MARKER" #';\n`;

const detail = (report: CaseReport, phase: string) => report.phases.find((p) => p.name === phase);

function prove(major: Major, deployer: 'superuser' | 'managed', edit: (name: string, content: string) => string): Promise<CaseReport> {
  return provePlan({ planFile: PLAN, fixture: FIXTURE, server: addressOf(servers.get(major)!), deployer, hostile: true, editFile: (name, content) => (name.endsWith('.sql') ? edit(name, content) : content) });
}

describe.each(MAJORS)('PostgreSQL %i: pgrant test --hostile', (major) => {
  it.each(['superuser', 'managed'] as const)('as %s: a file without its search_path pin fails, naming the planted overload that ran; with the pin no generated file runs one', async (deployer) => {
    const bare = await prove(major, deployer, (_, content) => unpinned(content));
    expect(bare.ok).toBe(false);
    const check = detail(bare, CHECK);
    expect(check?.status).toBe('fail');
    // An overload of a function or operator deploy.sql calls, planted in a schema a plan login could write.
    expect(check?.detail).toMatch(/planted (function|aggregate|operator) (public|postgres|pgrant_admin_\w+)\.\S+\(.*\) ran \d+ times? during deploy\.sql, with the powers of a superuser or CREATEROLE/);

    const safe = await prove(major, deployer, (_, content) => pinned(content));
    const after = detail(safe, CHECK);
    expect(after?.status, JSON.stringify(safe.phases, null, 2)).toBeDefined();
    expect(after?.detail ?? '').not.toMatch(/during (deploy|verify|revert|audit)\.sql/);
    expect(safe.phases.find((p) => p.name === 'hostile: audit.sql (pgrant import) runs')?.status).toBe('pass');
  }, 240_000);

  it('audit.sql (what pgrant import runs, in a read-only transaction) is attacked too: without its pin it fails, naming the overload', async () => {
    const report = await prove(major, 'superuser', (name, content) => (name === 'audit.sql' ? unpinned(content) : pinned(content)));
    expect(detail(report, 'hostile: audit.sql (pgrant import) runs')?.status).toBe('pass');
    expect(detail(report, CHECK)?.detail).toMatch(/planted (function|aggregate|operator) (public|postgres)\.\S+\(.*\) ran \d+ times? during audit\.sql/);
  }, 240_000);

  it('a meta-command smuggled past psql by standard_conforming_strings = off is caught by its marker file; with the pin it stays text', async () => {
    // First in deploy.sql: the run's first file, before anything else that could stop it.
    const smuggled = await prove(major, 'superuser', (name, content) => unpinned(name === 'deploy.sql' ? SMUGGLED + content : content));
    expect(detail(smuggled, CHECK)?.detail).toMatch(/a psql meta-command ran: the shell created \$PGRANT_HOSTILE_MARKER \(.*meta-command-ran\) while a generated file ran/);
    expect(smuggled.ok).toBe(false);

    const safe = await prove(major, 'superuser', (name, content) => pinned(name === 'deploy.sql' ? SMUGGLED + content : content));
    expect(detail(safe, CHECK)?.detail).not.toContain('a psql meta-command ran');
  }, 240_000);

  it('a password that reaches the server log fails the run, and the report names its variable, not the password', async () => {
    const password = 'Hostile-pw-in-the-log-7';
    const leaky = await provePlan({
      planFile: PLAN,
      fixture: FIXTURE,
      server: addressOf(servers.get(major)!),
      deployer: 'superuser',
      hostile: true,
      passwordFor: () => password,
      // After deploy.sql's transaction, statement logging is back on: this statement is logged with the value.
      editFile: (name, content) => (name === 'deploy.sql' ? `${pinned(content)}\nSELECT :'alice_password' AS leaked;\n` : content),
    });
    const check = detail(leaky, CHECK);
    expect(check?.status).toBe('fail');
    expect(check?.detail).toContain("a password is in the server log: ");
    expect(check?.detail).toContain("SELECT '<password of alice_password>' AS leaked");
    expect(JSON.stringify(leaky)).not.toContain(password);
  }, 240_000);
});
