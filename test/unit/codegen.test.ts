// The code generator (src/render/codegen.ts) against Handlebars itself, on small templates that use each
// construct pgrant's templates may use; and the constructs it refuses at build time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handlebarsTemplates, loadTemplates } from '../../src/render/engine.js';
import { dollarQuote, SQL_BLOCK_HELPERS } from '../../src/render/helpers.js';
import { BLOCK_WRITERS, TemplateOutput } from '../../src/render/template-runtime.js';
import { tempDir } from '../support/tmp.js';

function templates(files: Record<string, string>): string {
  const dir = tempDir('codegen');
  mkdirSync(join(dir, 'partials'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Renders `x.sql` with both, expects the same text, and returns it. */
function both(files: Record<string, string>, context: unknown): string {
  const dir = templates(files);
  const reference = handlebarsTemplates(dir).get('x.sql')(context);
  expect(loadTemplates(dir).get('x.sql')(context)).toBe(reference);
  const pieces: Uint8Array[] = [];
  loadTemplates(dir).write('x.sql', context, (b) => pieces.push(b));
  expect(Buffer.concat(pieces).toString('utf8')).toBe(reference);
  return reference;
}

describe('generated template code', () => {
  it('#if and #unless treat false, null, undefined, 0, "" and an empty list as false, as Handlebars does', () => {
    const src = '{{#each values}}{{#if v}}T{{else}}F{{/if}}{{#unless v}}u{{/unless}} {{/each}}\n';
    const values = [false, null, undefined, 0, '', [], true, 1, 'x', ['a'], {}].map((v) => ({ v }));
    expect(both({ 'x.sql.hbs': src }, { values })).toBe('Fu Fu Fu Fu Fu Fu T T T T T \n');
  });

  it('#each: @index, @first, @last, {{else}} for an empty or missing list, ../ to the enclosing context', () => {
    const src = '{{#each rows}}{{number @index}}{{#if @first}}^{{/if}}{{literal name}}.{{literal ../schema}}{{#each cols}}({{ident this}}{{literal ../name}}){{/each}}{{#unless @last}}, {{/unless}}{{/each}}\n{{#each none}}x{{else}}none{{/each}}\n{{#each missing}}x{{else}}missing{{/each}}\n';
    const text = both({ 'x.sql.hbs': src }, { schema: 's', rows: [{ name: 'a', cols: ['C1', 'c2'] }, { name: 'b', cols: [] }], none: [] });
    expect(text).toBe(`0^'a'.'s'("C1"'a')(c2'a'), 1'b'.'s'\nnone\nmissing\n`);
  });

  it('@root, standalone lines and ~ whitespace control, partials with and without hash values', () => {
    const files = {
      'partials/p.sql.hbs': '-- {{comment name}} {{#if flag}}flag{{/if}} {{comment @root.plan}}\n',
      'x.sql.hbs': '{{#each roles}}\n  {{> p}}\n  {{> p flag=true}}\n{{/each}}\n{{~#if plan}} plan {{/if~}}\n  end\n',
    };
    expect(both(files, { plan: 'pl', roles: [{ name: 'r1', flag: false }, { name: 'r2' }] })).toBe(
      '  -- r1  pl\n  -- r1 flag pl\n  -- r2  pl\n  -- r2 flag pl\n plan end\n',
    );
  });

  it('block helpers ({{#do}}) get their block rendered in the same context', () => {
    expect(both({ 'x.sql.hbs': '{{#each r}}\n{{#do}}\nPERFORM {{literal this}};\n{{/do}}\n{{/each}}' }, { r: ['$pgrant$', 'b'] })).toBe(
      "DO $pgrant_1$\nPERFORM '$pgrant$';\n$pgrant_1$;\nDO $pgrant$\nPERFORM 'b';\n$pgrant$;\n",
    );
  });

  it('each block helper writes, from its block in pieces, what its helpers.ts version returns', () => {
    expect(Object.keys(BLOCK_WRITERS).sort()).toEqual(Object.keys(SQL_BLOCK_HELPERS).sort());
    const filler = 'x'.repeat(65533);
    // Pieces are cut at 65,536 characters: tags inside a piece, across the cut, at the end, none at all.
    const bodies = [[], ['SELECT 1;'], ['SELECT 1;\n'], [filler, '$pg', 'rant$ and $pgrant_1$'], [filler, '$pgrant', '_1$ $pgrant$'], [filler + '$pgr', 'a', 'nt$\n'], ['$pgrant$', '$pgrant_1$', '$pgrant_2$']];
    for (const parts of bodies) {
      const body = new TemplateOutput();
      for (const p of parts) body.write(p);
      const out = new TemplateOutput();
      BLOCK_WRITERS.do!(body, out);
      expect(out.text(), JSON.stringify(parts.map((p) => p.slice(-20)))).toBe(SQL_BLOCK_HELPERS.do!.call(null, { fn: () => parts.join('') }));
      expect(out.text()).toBe(`DO ${dollarQuote(parts.join(''))};\n`);
    }
  });

  it('a missing value still fails in the helper, and a missing parent object fails the lookup', () => {
    const dir = templates({ 'x.sql.hbs': '{{ident a.b}}\n' });
    const t = loadTemplates(dir).get('x.sql');
    expect(() => t({ a: {} })).toThrow(/got undefined/);
    expect(() => t({})).toThrow(TypeError);
  });

  it('refuses, with file:line:col, what pgrant templates do not use', () => {
    const refuses = (files: Record<string, string>, pattern: RegExp) => expect(() => loadTemplates(templates(files))).toThrow(pattern);
    refuses({ 'x.sql.hbs': '{{#if a b}}x{{/if}}' }, /x\.sql\.hbs:1:1: #if takes exactly one value/);
    refuses({ 'x.sql.hbs': '{{#each a as |x|}}{{ident x}}{{/each}}' }, /block parameters/);
    refuses({ 'x.sql.hbs': '{{ident @index}}' }, /@index outside \{\{#each\}\}/);
    refuses({ 'x.sql.hbs': '\n{{#each a}}{{ident ../../x}}{{/each}}' }, /x\.sql\.hbs:2:\d+: \.\.\/\.\.\/x reaches above/);
    refuses({ 'partials/p.sql.hbs': '{{ident ../x}}', 'x.sql.hbs': '{{#each a}}{{> p}}{{/each}}' }, /p\.sql\.hbs:1:\d+: \.\.\/x reaches above/);
    refuses({ 'x.sql.hbs': '{{ident x y=1}}' }, /no hash arguments/);
    refuses({ 'x.sql.hbs': '{{#do}}a{{else}}b{{/do}}' }, /has no \{\{else\}\}/);
  });
});
