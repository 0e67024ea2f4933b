// Real PostgreSQL servers for a test file: started once per file, shared by its tests, stopped after.
import { afterAll, beforeAll } from 'vitest';
import { SUPPORTED_MAJORS, startServer, type Major, type Server, type StartOptions } from '../../src/harness/server.js';

/**
 * Majors the suite runs on: all supported ones unless PGRANT_TEST_MAJORS narrows them (e.g. "17" or
 * "14,18"). Anything else is an error, never a silently empty list: a typo must not skip every server test.
 */
export function parseTestMajors(value: string | undefined): Major[] {
  if (value === undefined || value.trim() === 'all') return [...SUPPORTED_MAJORS];
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(SUPPORTED_MAJORS as readonly number[]).includes(Number(p)) || !/^\d+$/.test(p));
  if (bad.length || parts.length === 0) {
    throw new Error(`PGRANT_TEST_MAJORS=${JSON.stringify(value)}: ${bad.map((b) => JSON.stringify(b)).join(', ')} is not a supported major (${SUPPORTED_MAJORS.join(', ')}, comma-separated, or "all")`);
  }
  return [...new Set(parts.map(Number))].sort() as Major[];
}

export const TEST_MAJORS: Major[] = parseTestMajors(process.env.PGRANT_TEST_MAJORS);

export function useServers(majors: readonly Major[] = TEST_MAJORS, options: StartOptions = {}): Map<Major, Server> {
  const servers = new Map<Major, Server>();
  beforeAll(async () => {
    for (const m of majors) servers.set(m, await startServer(m, options));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });
  return servers;
}
