// pgrant as installed renders with the templates `npm run build` compiled into dist/templates/ and the
// pattern catalog it checked into dist/catalog.json; the other tests run from src/ and read templates/
// and patterns/ themselves. These tests tie the two together: what is shipped is what the sources give,
// and the built CLI writes the same bytes as the golden files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compiledCode, compiledModule, precompileTemplates, TemplateError } from '../src/render/engine.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { catalogJson } from '../src/catalog/shipped.js';

const DIST = 'dist/templates';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

function shipped(): Map<string, string> {
  if (!existsSync(join(DIST, 'index.cjs'))) throw new Error(`${DIST} is missing: run "npm run build"`);
  return new Map(filesUnder(DIST).map((f) => [relative(DIST, f).split('\\').join('/'), readFileSync(f, 'utf8')]));
}

describe('compiled templates', () => {
  it('dist/templates holds exactly what templates/ compiles to (run "npm run build" after editing a template)', () => {
    const expected = precompileTemplates();
    const actual = shipped();
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(actual.get(name), `${DIST}/${name} differs from its source: run "npm run build"`).toBe(text);
  });

  it('each shipped template is what Handlebars compiles from the source text', () => {
    // Independent of the build's own path (check, then compile the checked AST): compile the file's text.
    const sources = filesUnder('templates').filter((f) => f.endsWith('.hbs'));
    expect(sources.length).toBeGreaterThan(10);
    const actual = shipped();
    for (const file of sources) {
      const rel = relative('templates', file).split('\\').join('/').replace(/\.hbs$/, '');
      expect(actual.get(`${rel}.cjs`), rel).toBe(compiledModule(rel, compiledCode(readFileSync(file, 'utf8'))));
    }
  });

  it('a template that fails the escaping check fails the build, with file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgrant-templates-'));
    try {
      mkdirSync(join(dir, 'partials'));
      writeFileSync(join(dir, 'partials', 'p.sql.hbs'), 'GRANT x TO {{{name}}};\n');
      writeFileSync(join(dir, 'deploy.sql.hbs'), '{{> p}}\n');
      expect(() => precompileTemplates(dir)).toThrow(TemplateError);
      expect(() => precompileTemplates(dir)).toThrow(/p\.sql\.hbs:1:12: triple-stash/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the built CLI renders every golden case byte for byte, and finds out/ fresh', () => {
    const cases = readdirSync('test/cases').filter((c) => existsSync(join('test/cases', c, 'expected'))).sort();
    expect(cases.length).toBeGreaterThan(5);
    const work = mkdtempSync(join(tmpdir(), 'pgrant-compiled-'));
    try {
      for (const name of cases) {
        const dir = join('test/cases', name);
        const envFile = join(dir, 'env');
        const env = existsSync(envFile) ? Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) : {};
        const out = join(work, name);
        const r = spawnSync(process.execPath, ['bin/pgrant.js', 'render', join(dir, 'plan.yaml'), '--out', out, '--quiet'], { encoding: 'utf8', env: { ...process.env, ...env } });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        const [folder] = readdirSync(out);
        const expected = readdirSync(join(dir, 'expected')).sort();
        expect(readdirSync(join(out, folder!)).sort(), name).toEqual(expected);
        for (const f of expected) expect(readFileSync(join(out, folder!, f), 'utf8'), `${name}/${f}`).toBe(readFileSync(join(dir, 'expected', f), 'utf8'));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`);
    const check = spawnSync(process.execPath, ['bin/pgrant.js', 'render', ...examples, '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('checked pattern catalog', () => {
  it('dist/catalog.json is what patterns/ gives (run "npm run build" after editing a pattern)', () => {
    expect(existsSync('dist/catalog.json'), 'dist/catalog.json is missing: run "npm run build"').toBe(true);
    expect(readFileSync('dist/catalog.json', 'utf8')).toBe(catalogJson(loadCatalog()));
  });

  it('the built pgrant reads back the same pattern definitions', async () => {
    const shipped = (await import(pathToFileURL(resolve('dist/catalog/shipped.js')).href)) as typeof import('../src/catalog/shipped.js');
    const fromDist = shipped.shippedCatalog();
    expect(fromDist, 'dist/ reads dist/catalog.json').toBeDefined();
    const fromSource = loadCatalog();
    expect([...fromDist!.keys()]).toEqual([...fromSource.keys()]);
    for (const [name, def] of fromSource) expect(fromDist!.get(name), name).toStrictEqual(def);
  });
});
