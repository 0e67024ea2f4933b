// writeOutputs renders each file as it writes it: a failure while rendering is not a disk problem.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { staleFiles, writeOutputs, type PlanOutput } from '../../src/write/write.js';
import { tempDir } from '../support/tmp.js';

/** A file rendered in the given pieces. */
const pieces =
  (...texts: string[]) =>
  (sink: (bytes: Uint8Array) => void) => {
    for (const t of texts) sink(Buffer.from(t, 'utf8'));
  };

describe('writeOutputs', () => {
  it('writes each file piece by piece as it is rendered; --check compares it the same way', async () => {
    const out = tempDir('write');
    const output: PlanOutput = { name: 'p', files: new Map([['a.sql', pieces('é', '\n')], ['b.sql', pieces('x\n')]]) };
    await writeOutputs(out, [output]);
    expect(readFileSync(join(out, 'p', 'a.sql'), 'utf8')).toBe('é\n');
    expect(readFileSync(join(out, 'p', 'b.sql'), 'utf8')).toBe('x\n');
    expect(await staleFiles(out, output)).toEqual([]);
    expect(await staleFiles(out, { name: 'p', files: new Map([['a.sql', pieces('é\n')], ['b.sql', pieces('x', '\n')]]) })).toEqual([]);
    // Changed, shorter, longer, missing on disk, and on disk but no longer rendered.
    const changed: PlanOutput = { name: 'p', files: new Map([['a.sql', pieces('e\n')], ['c.sql', pieces('new\n')]]) };
    expect(await staleFiles(out, changed)).toEqual(['a.sql', 'b.sql', 'c.sql'].map((f) => join(out, 'p', f)));
    expect(await staleFiles(out, { name: 'p', files: new Map([['a.sql', pieces('é')], ['b.sql', pieces('x\n', 'more')]]) })).toEqual(['a.sql', 'b.sql'].map((f) => join(out, 'p', f)));
  });

  it('a file that fails to render leaves the previous output and no temporary folder, and is not called a disk problem', async () => {
    const out = tempDir('write');
    await writeOutputs(out, [{ name: 'p', files: new Map([['a.sql', pieces('old\n')]]) }]);
    const failing = new Map([
      ['a.sql', pieces('new\n')],
      [
        'b.sql',
        (sink: (bytes: Uint8Array) => void) => {
          sink(Buffer.from('half'));
          throw new Error('template helper "ident" got undefined');
        },
      ],
    ]);
    const error = await writeOutputs(out, [{ name: 'p', files: failing }]).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/got undefined/);
    expect(readdirSync(out)).toEqual(['p']);
    expect(readFileSync(join(out, 'p', 'a.sql'), 'utf8')).toBe('old\n');
  });

  it('an output directory that cannot be made is a user error, not a hang: under a file, or where the parent refuses new entries', async () => {
    const out = tempDir('write');
    writeFileSync(join(out, 'a-file'), '');
    const files = new Map([['a.sql', pieces('x\n')]]);
    await expect(writeOutputs(join(out, 'a-file', 'out'), [{ name: 'p', files }])).rejects.toBeInstanceOf(UserError);
    // Node's own recursive mkdir loops forever on /proc/… (ENOENT, then EEXIST for /proc, again and again).
    if (existsSync('/proc/self')) await expect(writeOutputs('/proc/pgrant-out', [{ name: 'p', files }])).rejects.toThrow(/cannot write to \/proc\/pgrant-out/);
  }, 10_000);
});
