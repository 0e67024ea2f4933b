// writeOutputs renders each file as it writes it: a failure while rendering is not a disk problem.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/diagnostics.js';
import { staleFiles, writeOutputs } from '../../src/write/write.js';
import { tempDir } from '../support/tmp.js';

describe('writeOutputs', () => {
  it('writes each file as it is rendered, text or bytes', async () => {
    const out = tempDir('write');
    const output = { name: 'p', files: new Map<string, () => string | Uint8Array>([['a.sql', () => 'é\n'], ['b.sql', () => Buffer.from('é\n', 'utf8')]]) };
    await writeOutputs(out, [output]);
    expect(readFileSync(join(out, 'p', 'a.sql'), 'utf8')).toBe('é\n');
    expect(readFileSync(join(out, 'p', 'b.sql'), 'utf8')).toBe('é\n');
    expect(await staleFiles(out, output)).toEqual([]);
    expect(await staleFiles(out, { name: 'p', files: new Map([['a.sql', () => 'e\n']]) })).toEqual([join(out, 'p', 'a.sql'), join(out, 'p', 'b.sql')]);
  });

  it('a file that fails to render leaves the previous output and no temporary folder, and is not called a disk problem', async () => {
    const out = tempDir('write');
    await writeOutputs(out, [{ name: 'p', files: new Map([['a.sql', () => 'old\n']]) }]);
    const failing = new Map<string, () => string>([
      ['a.sql', () => 'new\n'],
      [
        'b.sql',
        () => {
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
});
