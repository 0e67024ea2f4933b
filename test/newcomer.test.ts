// What a newcomer trips on: docs that point outside the repository, internal jargon, hints in syntax the
// pattern rejects, placeholder passwords taken literally, and the smaller slips of the command line.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFormatMarkdown } from '../src/docs/plan-format.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, ext) : ext.test(name) ? [path] : [];
  });
}

function plan(text: string): string {
  const file = join(tempDir('newcomer'), 'shop.yaml');
  writeFileSync(file, text);
  return file;
}

type Finding = { line: number; col: number; rule: string | null; level: string; message: string; hint: string | null };
async function lintJson(file: string): Promise<Finding[]> {
  return JSON.parse((await cli('lint', file, '--json')).stdout) as Finding[];
}

describe('docs inside the repository', () => {
  it('docs/plan-format.md is fresh (npm run docs:update)', async () => {
    expect(await planFormatMarkdown()).toBe(readFileSync('docs/plan-format.md', 'utf8'));
  });

  it('documents every top-level key, every named type, every command and the exit codes', () => {
    const doc = readFileSync('docs/plan-format.md', 'utf8');
    for (const key of ['pgrant', 'name', 'postgres', 'database', 'reassign_to', 'test.fixture', 'test.cases[].returns', 'mode']) expect(doc).toContain(`| \`${key}\` |`);
    for (const type of ['password', 'login', 'membership', 'grant', 'revoke', 'table', 'function', 'policy', 'team', 'role-definition']) expect(doc).toContain(`### ${type}\n`);
    for (const command of ['render', 'lint', 'test', 'patterns', 'schema', 'init', 'audit', 'diff']) expect(doc).toMatch(new RegExp(`\\| \`pgrant ${command}\\b`));
    expect(doc).toMatch(/\| 2 \| an internal error/);
    expect(doc).toContain('{psql: VAR}');
    expect(doc).toContain('{scram: "SCRAM-SHA-256$4096:…"}');
  });

  it('README and docs/ link only to files that exist in the repository', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('(docs/plan-format.md)');
    for (const file of ['README.md', ...filesUnder('docs', /\.md$/)]) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\.\.\/shared|shared\/seeds|shared\/plan-format/);
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        expect(existsSync(resolve(dirname(file), target!)), `${file} links ${target}`).toBe(true);
      }
    }
  });
});

describe('no internal jargon in what users read', () => {
  // Seed documents, their numbers and the library they came from mean nothing to a user.
  const JARGON = /\bseeds?\b|source documents?|shared\/|pycopg|\b(?:seed|document)s? 00[0-3]\b/i;

  it('README, docs/, patterns/, examples/, templates/ and src/ never mention them', () => {
    const files = [
      'README.md',
      ...filesUnder('docs', /\.md$/),
      ...filesUnder('patterns', /\.yaml$/),
      ...filesUnder('examples', /\.(yaml|sql)$/),
      ...filesUnder('templates', /\.hbs$/),
      ...filesUnder('src', /\.ts$/),
    ];
    expect(files.length).toBeGreaterThan(60);
    for (const file of files) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => expect(line, `${file}:${i + 1}`).not.toMatch(JARGON));
    }
  });

  it('pattern files have no `sources:` list, and the catalog table names uses, not documents', () => {
    for (const file of filesUnder('patterns', /\.yaml$/)) expect(readFileSync(file, 'utf8'), file).not.toMatch(/^sources:/m);
    expect(readFileSync('README.md', 'utf8')).toMatch(/\| pattern \| what it creates \| typical use \|/);
  });

  it('`pgrant patterns` and `pgrant patterns NAME` never mention them', async () => {
    const outputs = [await cli('patterns'), ...(await Promise.all([...loadCatalog().keys()].map((name) => cli('patterns', name))))];
    for (const r of outputs) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(JARGON);
      expect(r.stdout).not.toMatch(/Source documents/);
    }
  });

  it('lint messages describe the trap instead', async () => {
    const findings = await lintJson('test/lint/all-rules.yaml');
    expect(findings.length).toBeGreaterThan(5);
    for (const f of findings) expect(`${f.message} ${f.hint}`).not.toMatch(JARGON);
    expect(findings.find((f) => f.rule === 'schema-usage')!.message).toMatch(/the classic "permission denied for schema"/);
  });
});

describe('lint hints are valid for the pattern at hand', () => {
  const SHOP = `pgrant: 1
database: shop
patterns:
  - pattern: readonly
    role: shop_readonly
    schemas: [inventory]
    tables: [sales.orders]
`;

  it('schema-usage on a readonly instance says to add the schema to its schemas, and doing so fixes it', async () => {
    const findings = await lintJson(plan(SHOP));
    const usage = findings.filter((f) => f.rule === 'schema-usage');
    expect(usage).toHaveLength(1);
    expect(usage[0]!.hint).toBe("add sales to this pattern's schemas: schemas: [inventory, sales]");
    expect(usage[0]!.hint).not.toMatch(/privileges:/);
    const fixed = await lintJson(plan(SHOP.replace('schemas: [inventory]', 'schemas: [inventory, sales]')));
    expect(fixed.filter((f) => f.level === 'error')).toEqual([]);
  });

  it('without `schemas`, the hint starts from the pattern\'s default', async () => {
    const findings = await lintJson(plan(SHOP.replace('    schemas: [inventory]\n', '')));
    expect(findings.find((f) => f.rule === 'schema-usage')!.hint).toBe("add sales to this pattern's schemas: schemas: [public, sales]");
  });

  it('schema-usage on a generic grant (team-hierarchy) still offers a grant, which that syntax accepts', async () => {
    const findings = await lintJson('test/cases/schema-usage-missing/plan.yaml');
    const hint = findings.find((f) => f.rule === 'schema-usage')!.hint!;
    expect(hint).toMatch(/\{privileges: \[USAGE\], schemas: \[ledger\]\}/);
  });
});

describe('passwords that look like variable references', () => {
  const withPassword = (password: string) => `pgrant: 1
database: shop
patterns:
  - pattern: app-user
    role: shop_app
    password: ${JSON.stringify(password)}
`;

  it.each([
    ['${SHOP_APP_PASSWORD}', '${VAR}', 'SHOP_APP_PASSWORD'],
    ['${SHOP_APP_PASSWORD:-changeme}', '${VAR}', 'SHOP_APP_PASSWORD'],
    ['$SHOP_APP_PASSWORD', '$VAR', 'SHOP_APP_PASSWORD'],
    ['{{ .Values.shop.password }}', '{{…}}', 'SHOP_APP_PASSWORD'],
    ['%(SHOP_APP_PASSWORD)s', '%(…)s', 'SHOP_APP_PASSWORD'],
  ])('%s is an error at password:, with the hint {env: …} / {psql: …}, and nothing is written', async (password, form, variable) => {
    const out = tempDir('newcomer-out');
    const r = await cli('render', plan(withPassword(password)), '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/shop\.yaml:6:15: error: patterns\[0\]\.password: the password of "shop_app" looks like a /);
    expect(r.stderr).toContain(`looks like a ${form} variable reference`);
    expect(r.stderr).toContain(`hint: write password: {env: ${variable}}`);
    expect(r.stderr).toContain(`{psql: ${variable.toLowerCase()}}`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('an ordinary password with a dollar sign inside is still a password (with the plaintext warning at password:)', async () => {
    const out = tempDir('newcomer-out');
    const r = await cli('render', plan(withPassword('pa$$word ${not alone}')), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/shop\.yaml:6:15: warning: patterns\[0\]\.password: the plan holds the password of "shop_app" in plain text/);
  });
});

describe('smaller slips', () => {
  it('render errors carry the same `error:` label as lint', async () => {
    const r = await cli('render', 'test/cases/unknown-key/plan.yaml', '--out', tempDir('newcomer-out'));
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => !l.startsWith('  hint:')).every((l) => /^test\/cases\/unknown-key\/plan\.yaml:\d+:\d+: error: /.test(l))).toBe(true);
  });

  it('render --help names --out for the output folder, and plan arguments have no default', async () => {
    for (const command of ['render', 'lint', 'test']) {
      const r = await cli(command, '--help');
      expect(r.stdout, command).not.toMatch(/\[default: \[\]\]/);
    }
    const render = (await cli('render', '--help')).stdout;
    expect(render).not.toMatch(/DIR\/<plan name>/);
    expect(render).toMatch(/OUT\/<plan name>\/ \(--out\s+OUT, default out\)/);
  });

  it('the README asks for the Node version package.json requires', () => {
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20.19');
    expect(readFileSync('README.md', 'utf8')).toMatch(/Node 20\.19\+/);
    expect(readFileSync('README.md', 'utf8')).not.toMatch(/Node 20\+/);
  });

  it('defaults-without-owners does not warn about future tables when the tables are listed', async () => {
    const listed = await lintJson(plan(`pgrant: 1
database: shop
patterns:
  - pattern: readonly
    role: shop_readonly
    schemas: [sales]
    tables: [sales.orders]
`));
    expect(listed.filter((f) => f.rule === 'defaults-without-owners')).toEqual([]);
    const all = await lintJson(plan(`pgrant: 1
database: shop
patterns:
  - pattern: readonly
    role: shop_readonly
    schemas: [sales]
`));
    expect(all.filter((f) => f.rule === 'defaults-without-owners').map((f) => f.message)).toEqual([
      'default privileges for "shop_readonly" apply only to tables and sequences created later by the role that runs deploy.sql; tables and sequences your application or migrations create as another role get nothing',
    ]);
  });
});
