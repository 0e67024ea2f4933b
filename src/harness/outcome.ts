// Whether a proof counts: no phase failed, and no phase the proof depends on was skipped. A skipped
// phase is never a pass: "nothing to tamper with" is reported as skipped, with its reason.
import type { PhaseReport } from './prove.js';

/** Thrown by a phase that had nothing to do: reported as skipped with the reason, not as passed. */
export class PhaseSkipped extends Error {}

/** Phases every proof needs; each one skipped makes the run fail. */
export const REQUIRED_PHASES = ['setup', 'fixture', 'deploy', 'deploy again (idempotent)', 'verify.sql', 'revert'];

/** The required phases that did not run (with why), e.g. after an earlier phase failed. */
export function skippedRequired(phases: PhaseReport[]): PhaseReport[] {
  return phases.filter((p) => p.status === 'skip' && REQUIRED_PHASES.includes(p.name));
}

export function proofOk(phases: PhaseReport[]): boolean {
  const ran = new Set(phases.map((p) => p.name));
  return phases.every((p) => p.status !== 'fail') && skippedRequired(phases).length === 0 && REQUIRED_PHASES.every((n) => ran.has(n));
}
