// The command line's contract: exit codes, --check, nothing written on error, atomic writes.
import { existsSync, readFileSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeHooks } from '../src/write/write.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const tmp = () => tempDir('cli');

afterEach(() => {
  writeHooks.beforeWrite = undefined;
});

describe('pgrant', () => {
  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('--help works on every command', async () => {
    for (const args of [['--help'], ['render', '--help'], ['test', '--help'], ['patterns', '--help']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/pgrant/);
    }
  });

  it('an unknown command or flag is a user error (exit 1)', async () => {
    expect((await cli('rendr', 'x.yaml')).code).toBe(1);
    const r = await cli('render', 'examples/streamflow.yaml', '--outt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unknown argument/);
  });

  it('render writes every file; --check passes when fresh and fails, naming files, when stale', async () => {
    const out = tmp();
    const r = await cli('render', 'examples/streamflow.yaml', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(out, 'streamflow')).sort()).toEqual(['ACCESS.md', 'deploy.sql', 'revert.sql', 'verify.sql']);
    expect((await cli('render', 'examples/streamflow.yaml', '--out', out, '--check')).code).toBe(0);
    writeFileSync(join(out, 'streamflow', 'verify.sql'), '-- edited by hand\n');
    const stale = await cli('render', 'examples/streamflow.yaml', '--out', out, '--check');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(join(out, 'streamflow', 'verify.sql'));
    expect(readFileSync(join(out, 'streamflow', 'verify.sql'), 'utf8')).toBe('-- edited by hand\n');
  });

  it('the same plan renders the same bytes', async () => {
    const [a, b] = [tmp(), tmp()];
    await cli('render', 'examples/streamflow.yaml', '--out', a);
    await cli('render', 'examples/streamflow.yaml', '--out', b);
    for (const f of readdirSync(join(a, 'streamflow'))) {
      expect(readFileSync(join(a, 'streamflow', f), 'utf8')).toBe(readFileSync(join(b, 'streamflow', f), 'utf8'));
    }
  });

  it('writes nothing when any plan has an error', async () => {
    const out = tmp();
    const r = await cli('render', 'examples/streamflow.yaml', 'test/cases/unknown-key/plan.yaml', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^test\/cases\/unknown-key\/plan\.yaml:6:5: error: patterns\[0\]\.shemas: unknown key "shemas"/m);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a render interrupted mid-way leaves the previous output intact', async () => {
    const out = tmp();
    cpSync('out/streamflow', join(out, 'streamflow'), { recursive: true });
    const before = readFileSync(join(out, 'streamflow', 'deploy.sql'), 'utf8');
    writeFileSync(join(out, 'streamflow', 'deploy.sql'), `${before}-- previous version\n`);
    let writes = 0;
    writeHooks.beforeWrite = () => {
      if (++writes === 3) throw new Error('disk full (simulated)');
    };
    const r = await cli('render', 'examples/streamflow.yaml', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write to .*: disk full \(simulated\); the previous output is unchanged/);
    expect(readFileSync(join(out, 'streamflow', 'deploy.sql'), 'utf8')).toBe(`${before}-- previous version\n`);
    expect(readdirSync(out)).toEqual(['streamflow']);
  });

  it('a missing plan file is a user error', async () => {
    const r = await cli('render', 'no/such/plan.yaml', '--out', tmp());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read plan no\/such\/plan\.yaml: ENOENT/);
  });

  it('patterns lists the catalog and shows one pattern with its parameters and example', async () => {
    const list = await cli('patterns');
    expect(list.code).toBe(0);
    for (const name of loadCatalog().keys()) expect(list.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    const one = await cli('patterns', 'readonly');
    expect(one.stdout).toMatch(/^ {2}role +role-name, required: the group role to create/m);
    expect(one.stdout).toMatch(/schemas +schema\[\], \(default: \["public"\]\)|schemas +schema\[\] \(default: \["public"\]\)/);
    expect(one.stdout).toMatch(/Example:\n {2}pgrant: 1/);
    const bad = await cli('patterns', 'readonlyy');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/did you mean "readonly"/);
  });

  it('every pattern\'s example renders', async () => {
    for (const def of loadCatalog().values()) {
      const dir = tmp();
      writeFileSync(join(dir, `${def.name}.yaml`), def.example);
      const r = await cli('render', join(dir, `${def.name}.yaml`), '--out', join(dir, 'out'));
      expect(r.code, `${def.name}: ${r.stderr}`).toBe(0);
      expect(existsSync(join(dir, 'out'))).toBe(true);
    }
  });
});

describe('pgrant render --from', () => {
  it('writes migrate.sql with the changes, and --json lists them', async () => {
    const dir = tmp();
    const v2 = join(dir, 'conv.yaml');
    writeFileSync(v2, readFileSync('test/converge/v1.yaml', 'utf8').replace('members: [c_alice, c_bob]', 'members: [c_alice]').replace('schemas: [app, extra]', 'schemas: [app]'));
    const r = await cli('render', v2, '--from', 'test/converge/v1.yaml', '--out', join(dir, 'out'), '--json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { plans: { name: string; files: string[]; changes: { kind: string; text: string }[] }[] };
    expect(out.plans[0]!.files).toContain('migrate.sql');
    expect(out.plans[0]!.changes.map((c) => c.text)).toEqual(
      expect.arrayContaining([
        'drop role c_bob (what it owns goes to the role running migrate.sql)',
        'revoke USAGE on schema extra from c_readers',
        'revoke SELECT on every table in schema extra from c_readers',
      ]),
    );
    const sql = readFileSync(join(dir, 'out', 'conv', 'migrate.sql'), 'utf8');
    expect(sql).toMatch(/^REVOKE USAGE ON SCHEMA extra FROM c_readers CASCADE;$/m);
    expect(sql).toMatch(/^ {4}REASSIGN OWNED BY c_bob TO CURRENT_USER;$/m);
  });

  it('--from-git reads the old plan from git; no change gives an empty migration', async () => {
    const r = await cli('render', 'examples/streamflow.yaml', '--from-git', 'HEAD', '--out', tmp(), '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no changes from the old plan/);
    const bad = await cli('render', 'examples/streamflow.yaml', '--from-git', 'no-such-revision', '--out', tmp());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot read examples\/streamflow\.yaml at git revision no-such-revision/);
  });

  it('--from takes one plan at a time', async () => {
    const r = await cli('render', 'examples/streamflow.yaml', 'examples/team.yaml', '--from', 'examples/team.yaml', '--out', tmp());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--from and --from-git take one plan at a time/);
  });
});

describe('conventions', () => {
  it('pgrant completion prints a shell completion script', async () => {
    const r = await cli('completion');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pgrant completion >> ~\/\.bashrc/);
    expect(r.stdout).toMatch(/complete -o/);
  });

  it('--quiet keeps lint to errors', async () => {
    const quiet = await cli('lint', 'test/lint/all-rules.yaml', '--quiet');
    const findings = quiet.stdout.split('\n').filter((l) => /^test\//.test(l));
    expect(findings.length).toBe(2);
    expect(findings.every((l) => l.includes(': error: '))).toBe(true);
  });

  it('colours only on a terminal, never with NO_COLOR', async () => {
    const { processIo } = await import('../src/cli/io.js');
    const saved = { tty: process.stdout.isTTY, noColor: process.env.NO_COLOR };
    try {
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      delete process.env.NO_COLOR;
      expect(processIo().color).toBe(true);
      process.env.NO_COLOR = '1';
      expect(processIo().color).toBe(false);
      Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
      delete process.env.NO_COLOR;
      expect(processIo().color).toBe(false);
    } finally {
      Object.defineProperty(process.stdout, 'isTTY', { value: saved.tty, configurable: true });
      if (saved.noColor === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved.noColor;
    }
  });
});

describe('pgrant import -o', () => {
  /** The audit JSON of a database where one group may connect, as audit.sql prints it. */
  const smallAudit = (dir: string): string => {
    const file = join(dir, 'state.json');
    const role = { name: 'app_reader', login: false, superuser: false, createdb: false, createrole: false, inherit: true, replication: false, bypassrls: false, connection_limit: -1, valid_until: null, comment: null, settings: null, settings_all_databases: null };
    const database = { kind: 'database', schema: null, name: 'app', signature: null, arguments: null, owner: 'postgres', owned_by: null };
    const connect = { kind: 'database', schema: null, name: 'app', signature: null, column: null, grantee: 'app_reader', grantor: 'postgres', privilege: 'CONNECT', grantable: false };
    const state = { pgrant_audit: 1, server_version: '17.0', database: 'app', current_user: 'postgres', bootstrap_superuser: 'postgres', managed_roles: null, roles: [role], memberships: [], objects: [database], privileges: [connect], default_privileges: [], default_privileges_revoked: [], row_security: [], large_objects: [], type_acls: [] };
    writeFileSync(file, JSON.stringify(state));
    return file;
  };

  it('refuses to overwrite an existing plan (exit 1, the file unchanged) unless --force', async () => {
    const dir = tmp();
    const audit = smallAudit(dir);
    const plan = join(dir, 'app.yaml');
    writeFileSync(plan, '# edited by hand\n');
    const refused = await cli('import', '--audit', audit, '-o', plan);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${plan} already exists; nothing was written`);
    expect(refused.stderr).toMatch(/--force/);
    expect(readFileSync(plan, 'utf8')).toBe('# edited by hand\n');
    const forced = await cli('import', '--audit', audit, '-o', plan, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(plan, 'utf8')).toMatch(/^database: app$/m);
  });
});
