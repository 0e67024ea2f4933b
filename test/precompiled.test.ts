// pgrant as installed renders with the templates `npm run build` compiled into dist/templates/ and the
// pattern catalog it checked into dist/catalog.json; the other tests run from src/ and read templates/
// and patterns/ themselves. These tests tie the two together: what is shipped is what the sources give,
// and the built CLI writes the same bytes as the golden files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compiledCode, compiledModule, handlebarsTemplates, loadTemplates, precompileTemplates, TemplateError } from '../src/render/engine.js';
import { loadPlan } from '../src/plan/load.js';
import { buildModel } from '../src/model/expand.js';
import { loadSqlParser } from '../src/sql/expression.js';
import { renderMigration, renderModel, renderModelLazily, LAYOUTS } from '../src/render/render.js';
import { UserError } from '../src/diagnostics.js';
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

  it('each shipped template is what the code generator makes of the source text', () => {
    // Independent of the build's own path (check, then compile the checked AST): compile the file's text.
    const sources = filesUnder('templates').filter((f) => f.endsWith('.hbs'));
    expect(sources.length).toBeGreaterThan(10);
    const actual = shipped();
    for (const file of sources) {
      const rel = relative('templates', file).split('\\').join('/').replace(/\.hbs$/, '');
      expect(actual.get(`${rel}.cjs`), rel).toBe(compiledModule(rel, compiledCode(file, readFileSync(file, 'utf8'))));
    }
  });

  it('the generated code writes what Handlebars itself renders: every golden case and example, every layout, migrate.sql, audit.sql', async () => {
    // Handlebars' own compiler and runtime are the reference: the generated code must not change a byte.
    const reference = handlebarsTemplates();
    const generated = loadTemplates();
    const plans = [
      ...readdirSync('test/cases')
        .filter((c) => existsSync(join('test/cases', c, 'expected')))
        .map((c) => join('test/cases', c, 'plan.yaml')),
      ...readdirSync('examples')
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join('examples', f)),
    ].sort();
    await loadSqlParser();
    const models = [];
    for (const file of plans) {
      const envFile = join(dirname(file), 'env');
      const env = existsSync(envFile) ? readFileSync(envFile, 'utf8').split('\n').filter((l) => l.includes('=')) : [];
      for (const l of env) process.env[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
      try {
        models.push({ file, model: buildModel(loadPlan(file)) });
      } finally {
        for (const l of env) delete process.env[l.slice(0, l.indexOf('='))];
      }
    }
    let compared = 0;
    for (const { file, model } of models) {
      for (const layout of LAYOUTS) {
        const render = (templates: typeof reference) => {
          try {
            return renderModel(model, { planFile: basename(file), layout, templates });
          } catch (e) {
            if (e instanceof UserError) return e.message; // Flyway refuses psql variables: both must say so
            throw e;
          }
        };
        const expected = render(reference);
        const actual = render(generated);
        expect(actual, `${file} (${layout})`).toEqual(expected);
        if (typeof expected !== 'string') {
          compared += expected.size;
          // As bytes (what `pgrant render` writes): the same text, in UTF-8.
          const bytes = renderModelLazily(model, { planFile: basename(file), layout, templates: generated });
          const written = (render: (sink: (b: Uint8Array) => void) => void) => {
            const pieces: Uint8Array[] = [];
            render((b) => pieces.push(b));
            return Buffer.concat(pieces).toString('utf8');
          };
          expect(new Map([...bytes].map(([name, render]) => [name, written(render)])), `${file} (${layout}, bytes)`).toEqual(expected);
        }
      }
    }
    // migrate.sql between neighbouring plans (and a plan to itself): what changes, and nothing.
    for (let i = 0; i < models.length; i++) {
      const from = models[i]!.model;
      for (const to of [models[i]!.model, models[(i + 1) % models.length]!.model]) {
        const options = { planFile: 'plan.yaml', fromLabel: 'old.yaml' };
        expect(renderMigration(from, to, { ...options, templates: generated }).sql).toBe(renderMigration(from, to, { ...options, templates: reference }).sql);
        compared++;
      }
    }
    const tool = { tool: { name: 'pgrant', version: '0.0.0' } };
    expect(generated.get('audit.sql')(tool)).toBe(reference.get('audit.sql')(tool));
    expect(compared).toBeGreaterThan(150);
  });

  it('a template that fails the escaping check fails the build, with file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgrant-templates-'));
    try {
      mkdirSync(join(dir, 'partials'));
      writeFileSync(join(dir, 'partials', 'p.sql.hbs'), 'GRANT x TO {{{name}}};\n');
      writeFileSync(join(dir, 'partials', 'pin.sql.hbs'), 'SET search_path = pg_catalog, pg_temp;\n');
      writeFileSync(join(dir, 'deploy.sql.hbs'), '{{> pin}}\n{{> p}}\n');
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
