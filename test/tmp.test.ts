// The run's temporary directory is its own (test/support/global-setup.ts), so what a test leaves behind
// there can be found and fails the run.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/tmp.js';

describe('temporary folders', () => {
  it('are made in a directory of this run, which the global teardown checks is empty', () => {
    expect(basename(tmpdir())).toMatch(/^pgrant-testrun-/);
    const dir = tempDir('tmp-check');
    expect(dirname(dir)).toBe(tmpdir());
    expect(existsSync(dir)).toBe(true);
  });
});
