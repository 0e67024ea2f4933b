// A skipped phase is never a pass: a proof whose required phases were skipped (or never ran) fails.
import { describe, expect, it } from 'vitest';
import { proofOk, REQUIRED_PHASES } from '../../src/harness/outcome.js';
import type { PhaseReport } from '../../src/harness/prove.js';

const passed = (names: string[]): PhaseReport[] => names.map((name) => ({ name, status: 'pass' }));

describe('proofOk', () => {
  it('passes when every required phase passed, whatever optional phases were skipped', () => {
    expect(proofOk([...passed(REQUIRED_PHASES), { name: "plan's test cases", status: 'skip', detail: 'the plan has no test.cases' }])).toBe(true);
  });

  it('fails when a required phase was skipped, or did not run at all', () => {
    const phases = passed(REQUIRED_PHASES).map((p) => (p.name === 'verify.sql' ? { ...p, status: 'skip' as const, detail: 'not run' } : p));
    expect(proofOk(phases)).toBe(false);
    expect(proofOk(passed(REQUIRED_PHASES.filter((n) => n !== 'revert')))).toBe(false);
  });

  it('fails when any phase failed', () => {
    expect(proofOk([...passed(REQUIRED_PHASES), { name: 'logins over TCP (scram-sha-256)', status: 'fail', detail: 'x' }])).toBe(false);
  });
});
