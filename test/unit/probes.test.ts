// A probe cannot pass by accident: only a privilege error is "denied", only the errors a probe lists
// (as coming after the privilege checks) count as "allowed", and anything else fails it.
import { describe, expect, it } from 'vitest';
import { classify, type Probe } from '../../src/harness/probes.js';

const probe = (extra: Partial<Probe> = {}): Probe => ({ role: 'r', capability: 'c', statement: 's', expected: true, ...extra });

describe('probe outcomes', () => {
  it('success is allowed; insufficient_privilege is denied', () => {
    expect(classify(probe(), undefined, [])).toBe('allowed');
    expect(classify(probe(), { code: '42501', message: 'permission denied for table t' }, [])).toBe('denied');
  });

  it('a syntax or quoting error is neither allowed nor denied', () => {
    expect(classify(probe(), { code: '42601', message: 'syntax error at or near ")"' }, [])).toBe('error');
    expect(classify(probe(), { code: '42P01', message: 'relation "x" does not exist' }, [])).toBe('error');
    expect(classify(probe(), { message: 'Connection terminated' }, [])).toBe('error');
  });

  it('an error after the privilege checks is allowed only when the probe lists it', () => {
    const notNull = { code: '23502', message: 'null value in column "name" violates not-null constraint' };
    expect(classify(probe(), notNull, [])).toBe('error');
    expect(classify(probe({ afterPrivileges: { '23502': 'a NOT NULL column' } }), notNull, [])).toBe('allowed');
  });

  it('a row-level security policy rejecting the new row is past the privilege check', () => {
    expect(classify(probe(), { code: '42501', message: 'new row violates row-level security policy for table "t"' }, [])).toBe('allowed');
  });

  it("a routine's own error (with a context line) means EXECUTE passed; without one it does not", () => {
    expect(classify(probe({ routine: true }), { code: '22012', message: 'division by zero', where: 'SQL function "f" statement 1' }, [])).toBe('allowed');
    expect(classify(probe({ routine: true }), { code: '42501', message: 'permission denied for function f' }, [])).toBe('denied');
    expect(classify(probe({ routine: true }), { code: '42883', message: 'function f(integer) does not exist' }, [])).toBe('error');
  });

  it('ANALYZE skipping a table with a warning is denied', () => {
    const analyze = probe({ deniedByWarning: /permission denied to analyze/ });
    expect(classify(analyze, undefined, ['permission denied to analyze "t", skipping it'])).toBe('denied');
    expect(classify(analyze, undefined, [])).toBe('allowed');
  });
});
