// The shipped entry point: bin/pgrant.js and the compiled dist/ (npm test builds first), run as a user
// runs them — exit 0, 1 and 2, --version's fast path, and features no other test drives from the outside.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(join(tmpdir(), 'pgrant-entry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pgrant(args: string[], options: { cwd?: string; bin?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [options.bin ?? join(ROOT, 'bin/pgrant.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(cwd: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

describe('bin/pgrant.js', () => {
  it('is built: dist/ has the CLI the bin loads', () => {
    expect(existsSync('dist/bundle/main.js'), 'run npm run build first').toBe(true);
  });

  it('--version and -V answer with the package version and exit 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = pgrant([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });

  it('a reader that closes the pipe early (pgrant patterns | head -1) ends pgrant quietly, exit 0', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(ROOT, 'bin/pgrant.js'), 'patterns'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before pgrant writes a line: its first write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise((done) => child.on('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('exit 0: a plan renders, and the files are there', () => {
    const out = join(scratch, 'out0');
    const r = pgrant(['render', 'examples/team.yaml', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'team', 'deploy.sql'))).toBe(true);
  });

  it('exit 1: a user error is file:line:col: path: message, with a hint, no stack, nothing written', () => {
    const out = join(scratch, 'out1');
    const r = pgrant(['render', 'test/cases/unknown-key/plan.yaml', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^test\/cases\/unknown-key\/plan\.yaml:\d+:\d+: /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it('exit 2: an internal error says it is a bug (a copy of the package with a deliberately broken module)', () => {
    const pkg = join(scratch, 'broken');
    for (const part of ['bin', 'dist', 'templates', 'patterns', 'schema', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    // The CLI runs from the bundle (scripts/bundle.js): break lintPlanFile in the chunk that holds it.
    const chunks = readdirSync(join(pkg, 'dist/bundle')).map((f) => join(pkg, 'dist/bundle', f));
    const pipeline = chunks.filter((f) => readFileSync(f, 'utf8').includes('async function lintPlanFile(file) {'));
    expect(pipeline).toHaveLength(1);
    const text = readFileSync(pipeline[0]!, 'utf8');
    writeFileSync(pipeline[0]!, text.replace('async function lintPlanFile(file) {', "async function lintPlanFile(file) {\n  throw new TypeError('a deliberate bug');"));
    const r = pgrant(['lint', join(ROOT, 'examples/team.yaml')], { bin: join(pkg, 'bin/pgrant.js') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pgrant: internal error: TypeError: a deliberate bug/m);
    expect(r.stderr).toMatch(/This is a bug in pgrant/);
    // --version still answers from the broken copy: it never loads the CLI.
    expect(pgrant(['--version'], { bin: join(pkg, 'bin/pgrant.js') })).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });
});

describe('features driven from the command line', () => {
  it('--from-git: migrate.sql holds exactly the change committed since the revision', () => {
    const repo = join(scratch, 'git');
    cpSync('examples', repo, { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'v1');
    const plan = join(repo, 'datatweets.yaml');
    writeFileSync(plan, readFileSync(plan, 'utf8').replace('    privileges: [SELECT]\n', '    privileges: [SELECT, INSERT]\n'));
    const r = pgrant(['render', plan, '--from-git', 'HEAD', '--out', join(repo, 'out')], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    const migrate = readFileSync(join(repo, 'out', 'datatweets', 'migrate.sql'), 'utf8');
    expect(migrate).toMatch(/^-- Changes:\n-- {3}grant INSERT on table public\.sales to report_bot\n--\s*$/m);
    expect(migrate).toContain('GRANT INSERT ON TABLE public.sales TO report_bot;');
    expect(r.stdout).toBe(`wrote ${join(repo, 'out')}/datatweets/ (deploy.sql, verify.sql, revert.sql, ACCESS.md, migrate.sql)\n  grant INSERT on table public.sales to report_bot\n`);
    const missing = pgrant(['render', plan, '--from-git', 'no-such-revision', '--out', join(repo, 'out2')], { cwd: repo });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*datatweets\.yaml at git revision no-such-revision/);
  });

  it('the grant-to-public rule warns, naming the line, when a plan grants to PUBLIC', () => {
    const file = join(scratch, 'public.yaml');
    writeFileSync(
      file,
      `pgrant: 1
database: app
patterns:
  - pattern: roles
    roles:
      - name: reader
    public_grants:
      - {privileges: [SELECT], tables: [public.menu]}
`,
    );
    const r = pgrant(['lint', file]);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:\\d+: warning: .*PUBLIC gets SELECT: every role, present and future, has them.*\\(grant-to-public\\)`));
  });
});
