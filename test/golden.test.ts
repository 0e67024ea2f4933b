// Golden cases: test/cases/<case>/plan.yaml with either expected/ (the rendered files, reviewed like code)
// or expected-error.txt (the exact messages; exit 1; nothing written). `npm run golden:update` rewrites them.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const ROOT = 'test/cases';
const UPDATE = process.env.PGRANT_UPDATE_GOLDEN === '1';
const cases = readdirSync(ROOT).filter((c) => existsSync(join(ROOT, c, 'plan.yaml'))).sort();

function readEnv(dir: string): Record<string, string> {
  const file = join(dir, 'env');
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe.each(cases)('case %s', (name) => {
  it('renders exactly as committed', async () => {
    const dir = join(ROOT, name);
    const out = tempDir('golden');
    const env = readEnv(dir);
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const result = await cli('render', join(dir, 'plan.yaml'), '--out', out);
      const errorFile = join(dir, 'expected-error.txt');
      if (existsSync(errorFile) || (UPDATE && result.code !== 0)) {
        if (UPDATE) writeFileSync(errorFile, `${result.stderr}\n`);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toBe(readFileSync(errorFile, 'utf8').trimEnd());
        expect(readdirSync(out), 'nothing is written on error').toEqual([]);
        return;
      }
      expect(result.code, result.stderr).toBe(0);
      const [folder] = readdirSync(out);
      const produced = join(out, folder!);
      const expectedDir = join(dir, 'expected');
      if (UPDATE) {
        rmSync(expectedDir, { recursive: true, force: true });
        mkdirSync(expectedDir);
        for (const f of readdirSync(produced)) writeFileSync(join(expectedDir, f), readFileSync(join(produced, f)));
      }
      expect(readdirSync(produced).sort()).toEqual(readdirSync(expectedDir).sort());
      for (const f of readdirSync(expectedDir)) {
        expect(readFileSync(join(produced, f), 'utf8'), `${name}/${f}`).toBe(readFileSync(join(expectedDir, f), 'utf8'));
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(out, { recursive: true, force: true });
    }
  });
});
