// Every pattern rendered with its optional parameters all absent, all present and each alone, for every
// target major: the combinations listed in test/support/template-combos.ts are refused with their
// message and a location; every other one renders, with no "undefined" and no empty identifier.
// test/pg/template-matrix.test.ts then runs what renders on the target's own server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { combos, expectedRefusals } from '../support/template-combos.js';

const scratch = mkdtempSync(join(tmpdir(), 'pgrant-matrix-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const all = combos();

describe.each([...new Set(all.map((c) => c.pattern))])('pattern %s', (pattern) => {
  it.each(all.filter((c) => c.pattern === pattern).map((c) => [`${c.label} on ${c.postgres}`, c] as const))('%s', async (_label, c) => {
    const file = join(mkdtempSync(join(scratch, 'c-')), 'p.yaml');
    writeFileSync(file, c.plan);
    const refusals = expectedRefusals(c);
    let files: Map<string, string> | undefined;
    let error: unknown;
    try {
      files = (await renderPlanFile(file)).files;
    } catch (e) {
      error = e;
    }
    if (refusals.length) {
      expect(error, `must be refused:\n${c.plan}`).toBeInstanceOf(UserError);
      const messages = (error as UserError).diagnostics.map((d) => d.message);
      for (const m of refusals) expect(messages.some((x) => m.test(x)), `${messages.join('\n')} should match ${m}`).toBe(true);
      expect(messages.filter((x) => !refusals.some((m) => m.test(x))), 'no other refusal').toEqual([]);
      for (const d of (error as UserError).diagnostics) expect(d.loc, d.message).toBeDefined();
      return;
    }
    expect(error, `must render:\n${c.plan}\n${String(error)}`).toBeUndefined();
    for (const [name, content] of files!) {
      expect(content, name).not.toMatch(/undefined|\[object Object\]|NaN/);
      if (name.endsWith('.sql')) expect(content, name).not.toContain('""');
    }
  });
});

it('both kinds of combination exist: some render, some are refused', () => {
  expect(all.filter((c) => expectedRefusals(c).length).length).toBeGreaterThan(0);
  expect(all.filter((c) => !expectedRefusals(c).length).length).toBeGreaterThan(all.length / 2);
});
