// Real PostgreSQL servers for a test file: started once per file, shared by its tests, stopped after.
import { afterAll, beforeAll } from 'vitest';
import { SUPPORTED_MAJORS, startServer, type Major, type Server } from '../../src/harness/server.js';

/** Majors the suite runs on: all supported ones unless PGRANT_TEST_MAJORS narrows them (e.g. "17"). */
export const TEST_MAJORS: Major[] = (process.env.PGRANT_TEST_MAJORS?.split(',').map(Number) ?? [...SUPPORTED_MAJORS]).filter((m): m is Major =>
  (SUPPORTED_MAJORS as readonly number[]).includes(m),
);

export function useServers(majors: readonly Major[] = TEST_MAJORS): Map<Major, Server> {
  const servers = new Map<Major, Server>();
  beforeAll(async () => {
    for (const m of majors) servers.set(m, await startServer(m));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });
  return servers;
}
