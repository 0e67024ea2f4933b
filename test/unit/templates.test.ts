// Templates can emit values only through escaping helpers: anything else fails when templates load.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTemplate, loadTemplates, TemplateError } from '../../src/render/engine.js';
import { tempDir } from '../support/tmp.js';

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
    const dir = tempDir('templates');
    writeFileSync(join(dir, 'x.sql.hbs'), 'CREATE ROLE {{ident name}};\n');
    const t = loadTemplates(dir).get('x.sql');
    expect(t({ name: 'a b' })).toBe('CREATE ROLE "a b";\n');
    expect(() => t({ name: null })).toThrow(/got null/);
    expect(() => t({})).toThrow(/got undefined|not defined/);
  });

  it('DO blocks get a dollar-quote tag their body does not contain', () => {
    const dir = tempDir('templates');
    writeFileSync(join(dir, 'x.sql.hbs'), '{{#do}}\nBEGIN PERFORM {{literal value}}; END\n{{/do}}');
    const out = loadTemplates(dir).get('x.sql')({ value: '$pgrant$; DROP TABLE t; --' });
    expect(out).toBe("DO $pgrant_1$\nBEGIN PERFORM '$pgrant$; DROP TABLE t; --'; END\n$pgrant_1$;\n");
  });
});
