// pgrant init: a starter plan for every pattern, with neutral names, that lints and renders with no
// warning; a $schema line that fits where pgrant is installed; install hints that fit it too.
import Ajv2020 from 'ajv/dist/2020.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.js';
import { installKind, npmInstall } from '../src/install-hint.js';
import { planJsonSchema } from '../src/plan/json-schema.js';
import { cli } from './support/cli.js';

const Ajv = Ajv2020.default;
const dir = mkdtempSync(join(tmpdir(), 'pgrant-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pgrant init --pattern X', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(planJsonSchema());

  for (const def of loadCatalog().values()) {
    it(`${def.name}: writes a plan with neutral names that lints and renders with no warning`, async () => {
      const file = join(dir, `${def.name}.yaml`);
      const init = await cli('init', '--pattern', def.name, '--file', file);
      expect(init.code, init.stderr).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith(def.starter)).toBe(true);
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
      // The names of the examples' stories stay in the examples.
      expect(text).not.toMatch(/streamflow|datatweets|polardbpg|alice|bob\b/);
      const lint = await cli('lint', file);
      expect(lint.code, lint.stderr).toBe(0);
      expect(lint.stdout + lint.stderr).toMatch(/0 error\(s\), 0 warning\(s\)/);
      const render = await cli('render', file, '--out', join(dir, 'out'));
      expect(render.code, render.stderr).toBe(0);
      expect(render.stderr).not.toMatch(/warning/);
    });
  }

  it('points $schema at the schema relative to the plan\'s own folder', async () => {
    const file = join(dir, 'db', 'access', 'plan.yaml');
    mkdirSync(dirname(file), { recursive: true });
    expect((await cli('init', '--file', file)).code).toBe(0);
    const schema = readFileSync(file, 'utf8').split('\n')[0]!.split('$schema=')[1]!;
    expect(schema).toMatch(/^(\.\.\/)+.*schema\/plan\.schema\.json$/);
    expect(existsSync(join(dirname(file), schema))).toBe(true);
  });
});

describe('install hints', () => {
  it('tell a project to add packages with --save-dev, a global install with -g (and its prefix)', () => {
    const defaultPrefix = dirname(dirname(process.execPath));
    expect(installKind(join(dir, 'project', 'node_modules', 'pgrant'))).toEqual({ kind: 'project' });
    expect(installKind('/home/dev/src/pgrant')).toEqual({ kind: 'project' });
    expect(installKind('/opt/tools/lib/node_modules/pgrant')).toEqual({ kind: 'global', prefix: '/opt/tools' });
    expect(npmInstall(['pg16@npm:x@1'], { kind: 'project' })).toBe('npm install --save-dev pg16@npm:x@1');
    expect(npmInstall(['pg16@npm:x@1'], { kind: 'global', prefix: '/opt/tools' })).toBe('npm install -g --prefix /opt/tools pg16@npm:x@1');
    expect(npmInstall(['a', 'b'], { kind: 'global', prefix: defaultPrefix })).toBe('npm install -g a b');
    expect(npmInstall(['a'], { kind: 'global', prefix: "/opt/my tools" })).toBe("npm install -g --prefix '/opt/my tools' a");
  });
});
