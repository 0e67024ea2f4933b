// --engine testcontainers on a real container engine (Docker, or podman serving the Docker API as
// scripts/container-engine.sh sets it up in .ci/run). Without one, the tests are skipped, saying so in one
// line (test/support/tools.ts): never a pass; .ci/run makes that a failure.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { hasTool } from './support/tools.js';

const major = '17';
const engine = await hasTool('container-engine');

interface Report {
  ok: boolean;
  engine: string;
  majors: number[];
  errors: unknown[];
  cases: { ok: boolean; major: number; phases: { name: string; status: string; detail?: string }[]; probes: { role: string; capability: string; expected: boolean; actual: boolean }[] }[];
}

async function runJson(...args: string[]): Promise<{ code: number; report: Report }> {
  const r = await cli('test', ...args, '--json');
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** A report without what differs between runs by design (temporary file names, timings). */
function comparable(report: Report) {
  return report.cases.map((c) => ({
    ok: c.ok,
    major: c.major,
    phases: c.phases.map((p) => ({
      name: p.name,
      status: p.status,
      // The deployer's name differs by design: the container's superuser is `test`, a managed admin's is random.
      detail: p.detail?.replace(/[^\s:]*\/pgrant-case-[^/]+\//g, '<case>/').replace(/^deployer \S+/, 'deployer <name>'),
    })),
  }));
}

if (engine) {
  describe(`--engine testcontainers on PostgreSQL ${major}`, () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'pgrant-container-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      // testcontainers (in the pgrant processes this file starts) leaves its lock in the temporary folder.
      for (const f of readdirSync(tmpdir())) if (/^testcontainers-node-.*\.lock$/.test(f)) rmSync(join(tmpdir(), f), { recursive: true, force: true });
    });

    it('proves a plan in a container, deploying as the container\'s own superuser (test, not postgres)', async () => {
      // No `owners`: default privileges apply to what the deployer creates, here the module's user `test`.
      const plan = join(dir, 'plan.yaml');
      writeFileSync(plan, 'pgrant: 1\nname: tc_readwrite\ndatabase: tc_app\npatterns:\n  - pattern: readwrite\n    role: tc_writer\n    members: [tc_bob]\n');
      const { code, report } = await runJson(plan, '--engine', 'testcontainers', '--pg', major);
      expect(report.engine).toBe('testcontainers');
      expect(report.errors).toEqual([]);
      expect(report.cases[0]!.phases.filter((p) => p.status === 'fail')).toEqual([]);
      expect(report.cases[0]!.phases.find((p) => p.name === 'objects created after deploy (default privileges)')?.detail).toBe('created public.pgrant_after_1 by test');
      const later = report.cases[0]!.probes.filter((p) => p.capability === 'INSERT public.pgrant_after_1');
      expect(later.map((p) => [p.role, p.expected, p.actual]).sort()).toEqual([
        ['tc_bob', true, true],
        ['tc_writer', true, true],
      ]);
      expect([code, report.ok]).toEqual([0, true]);
    });

    it('fails a plan whose deploy fails with exit 1 and the same report as the embedded engine', async () => {
      const plan = 'test/container/broken.yaml';
      const container = await runJson(plan, '--engine', 'testcontainers', '--pg', major);
      const embedded = await runJson(plan, '--engine', 'embedded', '--pg', major);
      expect(container.code).toBe(1);
      expect(container.report.ok).toBe(false);
      expect(container.report.cases[0]!.phases.find((p) => p.status === 'fail')?.name).toBe('deploy');
      expect(comparable(container.report)).toEqual(comparable(embedded.report));
    });
  });
}
