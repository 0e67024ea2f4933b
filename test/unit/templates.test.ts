// Templates can emit values only through escaping helpers: anything else fails when templates load.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTemplate, loadTemplates, TemplateError } from '../../src/render/engine.js';
import { tempDir } from '../support/tmp.js';

/** A template folder whose `pin` partial (which every top-level SQL template starts with) is empty. */
function pinnedTemplateDir(): string {
  const dir = tempDir('templates');
  mkdirSync(join(dir, 'partials'));
  writeFileSync(join(dir, 'partials', 'pin.sql.hbs'), '');
  return dir;
}

function rejects(source: string, pattern: RegExp, file = 't.sql.hbs'): TemplateError {
  try {
    checkTemplate(file, source, new Set(['known']));
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    expect((e as Error).message).toMatch(pattern);
    return e as TemplateError;
  }
  throw new Error(`template was accepted: ${source}`);
}

describe('checkTemplate', () => {
  it('refuses a bare mustache, naming file, line and column', () => {
    const e = rejects('GRANT SELECT ON t\nTO {{name}};', /bare mustache \{\{name\}\}/);
    expect(e.message.startsWith('t.sql.hbs:2:4:')).toBe(true);
  });

  it('refuses triple-stash, unknown helpers, sub-expressions, dynamic and unknown partials, decorators', () => {
    rejects('{{{ident name}}}', /triple-stash/);
    rejects('{{raw name}}', /unknown helper "raw"/);
    rejects('{{ident (lookup this "x")}}', /sub-expressions/);
    rejects('{{> (whichPartial) }}', /dynamic partial/);
    rejects('{{> unknown}}', /unknown partial "unknown"/);
    rejects('{{#raw}}x{{/raw}}', /unknown block helper "raw"/);
    rejects('{{* decorator}}', /not allowed/);
    rejects('{{@index}}', /bare mustache/);
    rejects('{{md name}}', /unknown helper "md"/); // Markdown helpers are not SQL helpers
    rejects('{{ident name}}', /unknown helper "ident"/, 't.md.hbs');
  });

  it('refuses a value in a psql meta-command unless psql quoting escapes it (psql runs backquoted text there)', () => {
    const e = rejects('SELECT 1;\n\\echo passed for plan {{comment plan.name}}', /\{\{comment …\}\} in a psql meta-command: psql runs backquoted text/);
    expect(e.message.startsWith('t.sql.hbs:2:')).toBe(true);
    rejects('\\connect {{ident db}}', /in a psql meta-command/);
    rejects('SELECT {{literal x}} AS y \\gset {{ident prefix}}', /in a psql meta-command/);
    rejects('{{#if x}}\\set v {{literal x}}{{/if}}', /in a psql meta-command/);
    expect(() => checkTemplate('t.sql.hbs', "\\echo 'done for' {{psqlarg plan.name}}\n\\connect {{connect db}}\n\\if {{psqlvar-defined v}}\n\\endif", new Set())).not.toThrow();
    // SQL before a \gset, E'\n' escapes and comments are not meta-command arguments.
    expect(() => checkTemplate('t.sql.hbs', "SELECT {{literal x}} AS y \\gset\nSELECT E'\\n' || {{literal x}};\n-- then \\connects to {{comment db}}", new Set())).not.toThrow();
  });

  it('accepts escaping helpers, blocks and known partials', () => {
    expect(() => checkTemplate('t.sql.hbs', '{{#each roles}}{{ident name}} {{literal comment}}{{> known}}{{/each}}', new Set(['known']))).not.toThrow();
  });

  it('loads the real templates, and fails at load time on a broken one', () => {
    expect(loadTemplates().names()).toEqual(expect.arrayContaining(['deploy.sql', 'verify.sql', 'revert.sql', 'ACCESS.md']));
    const dir = tempDir('templates');
    mkdirSync(join(dir, 'partials'));
    writeFileSync(join(dir, 'deploy.sql.hbs'), 'CREATE ROLE {{name}};\n');
    expect(() => loadTemplates(dir)).toThrow(/deploy\.sql\.hbs:1:13: bare mustache/);
  });

  it('helpers throw on missing values instead of emitting an empty slot', () => {
    const dir = pinnedTemplateDir();
    writeFileSync(join(dir, 'x.sql.hbs'), '{{> pin}}CREATE ROLE {{ident name}};\n');
    const t = loadTemplates(dir).get('x.sql');
    expect(t({ name: 'a b' })).toBe('CREATE ROLE "a b";\n');
    expect(() => t({ name: null })).toThrow(/got null/);
    expect(() => t({})).toThrow(/got undefined|not defined/);
  });

  it('DO blocks get a dollar-quote tag their body does not contain', () => {
    const dir = pinnedTemplateDir();
    writeFileSync(join(dir, 'x.sql.hbs'), '{{> pin}}\n{{#do}}\nBEGIN PERFORM {{literal value}}; END\n{{/do}}');
    const out = loadTemplates(dir).get('x.sql')({ value: '$pgrant$; DROP TABLE t; --' });
    expect(out).toBe("DO $pgrant_1$\nBEGIN PERFORM '$pgrant$; DROP TABLE t; --'; END\n$pgrant_1$;\n");
  });

  it('check-cells writes a Markdown cell per mark and refuses anything but booleans', () => {
    const dir = tempDir('templates');
    writeFileSync(join(dir, 'x.md.hbs'), '| a | {{check-cells marks}}\n');
    const t = loadTemplates(dir).get('x.md');
    expect(t({ marks: [true, false, true] })).toBe('| a | ✓ |  | ✓ | \n');
    expect(() => t({ marks: ['✓'] })).toThrow(/expects booleans/);
    expect(() => t({ marks: null })).toThrow(/got null/);
  });
});

// A role that can create on the deployer's search_path plants better-matching overloads (public.format(text),
// public.unnest(text[]) …): generated SQL pins search_path first and qualifies every call.
describe('name resolution in SQL templates', () => {
  const topLevel = (source: string): (() => unknown) => () => checkTemplate('deploy.sql.hbs', source, new Set(['pin', 'known']), { topLevel: true });
  const partial = (source: string): (() => unknown) => () => checkTemplate('partials/p.sql.hbs', source, new Set(['known']));

  it('refuses an unqualified function call, naming file, line, column and the fix', () => {
    expect(partial('SELECT 1;\nSELECT  format(%L, x);')).toThrow(/^partials\/p\.sql\.hbs:2:9: format\(…\) is not schema-qualified: write pg_catalog\.format/);
    for (const call of ['string_agg(x, y)', 'concat_ws(a, b)', 'unnest(x)', 'json_agg(x)', 'count(*)', 'current_database()', 'my_function ()']) {
      expect(partial(`SELECT ${call} FROM t;`), call).toThrow(/is not schema-qualified/);
    }
    // inside PL/pgSQL (DO blocks are template text) and in an EXECUTE's argument
    expect(partial('{{#do}}\nBEGIN\n  EXECUTE format({{literal q}});\nEND\n{{/do}}')).toThrow(/p\.sql\.hbs:3:11: format/);
  });

  it('accepts qualified calls, SQL syntax that looks like a call, declarations, strings and comments', () => {
    const ok = [
      'SELECT pg_catalog.format(%L, x), pg_temp.f(1), coalesce(a, b), greatest(1, 2), EXISTS (SELECT), x IN (1), ARRAY(SELECT 1);',
      "SELECT CAST(x AS text), substring(x FROM 1), count FROM (VALUES (1)) AS v(count) WHERE x = ANY (y);",
      'CREATE TEMP TABLE pgrant_x (ok boolean);\nINSERT INTO pgrant_x (ok) VALUES (true) ON CONFLICT (ok) DO NOTHING;',
      'WITH pgrant_a(x, y) AS (SELECT 1, 2), b(z) AS MATERIALIZED (SELECT 3) SELECT 1;',
      "SELECT 'format(x)', E'it''s format(\\' x', \"format\"(1);",
      '-- a comment calling format(x)\n/* and unnest(y) */ SELECT 1;',
      '\\if :{?x}\n\\endif',
    ];
    for (const source of ok) expect(partial(source), source).not.toThrow();
  });

  it('a top-level SQL template pins before any SQL or value, and again after \\connect', () => {
    expect(topLevel('-- header {{comment plan.name}}\n\\set ON_ERROR_STOP on\n{{> pin}}\nSELECT {{literal x}};\n{{> known}}')).not.toThrow();
    expect(topLevel('{{#if psql}}\n\\set ON_ERROR_STOP on\n{{/if}}\n{{> pin}}\nSELECT 1;')).not.toThrow();
    expect(topLevel('SELECT 1;\n{{> pin}}')).toThrow(/^deploy\.sql\.hbs:1:1: SQL before \{\{> pin\}\}/);
    expect(topLevel('{{> known}}\n{{> pin}}')).toThrow(/^deploy\.sql\.hbs:1:1: a value or partial before \{\{> pin\}\}/);
    expect(topLevel('\\echo {{psqlarg x}}\n{{> pin}}')).not.toThrow();
    expect(topLevel('{{> pin}}\nSELECT 1;\n\\connect {{connect db}}\nSELECT 2;')).toThrow(/^deploy\.sql\.hbs:4:1: SQL before \{\{> pin\}\}/);
    expect(topLevel('{{> pin}}\nSELECT 1;\n\\connect {{connect db}}\n{{> pin}}\nSELECT 2;')).not.toThrow();
    // a partial is included after its file's pin: only its calls are checked
    expect(partial('SELECT 1;')).not.toThrow();
  });

  it('every shipped top-level SQL template passes (the build runs the same check)', () => {
    expect(existsSync(join('templates', 'partials', 'pin.sql.hbs'))).toBe(true);
    expect(() => loadTemplates()).not.toThrow();
  });
});
