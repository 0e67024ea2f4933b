// SourceFile.release(): `pgrant render` lets a plan's parsed YAML go once its files are ready to render.
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../src/plan/source.js';

describe('SourceFile', () => {
  it('gives locations until its document is let go, then says so instead of a wrong location', () => {
    const s = new SourceFile('plan.yaml', 'pgrant: 1\ndatabase: app\n');
    expect(s.locNode(s.nodeAt(['database']))).toEqual({ file: 'plan.yaml', line: 2, col: 11 });
    s.release();
    expect(() => s.nodeAt(['database'])).toThrow(/the YAML document of plan.yaml was let go/);
  });
});
