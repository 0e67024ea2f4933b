// A test run: plans × majors, majors in parallel (one server each), cases on a server one after another.
import { randomBytes } from 'node:crypto';
import { loadPlan } from '../plan/load.js';
import { embeddedEngine, testcontainersEngine, urlServer, type Engine, type EngineName } from './engines.js';
import { provePlan, type CaseReport } from './prove.js';
import { DEPLOYER_KINDS, type DeployerKind } from './deployer.js';
import { UserError } from '../diagnostics.js';
import { describeFailure } from './errors.js';
import { addressOf, checkTemporaryFolder, findBinaries, SUPPORTED_MAJORS, type Major, type Server } from './server.js';

export interface RunOptions {
  plans: string[];
  /** Majors to run on; undefined = each plan's target. */
  majors?: number[];
  fixture?: string;
  /** Who runs the generated files: the superuser, a managed service's admin, or each in turn (default: both). */
  deployers?: DeployerKind[];
  /** Where servers come from: an engine by name, or one given (e.g. a test suite's running servers). */
  engine: EngineName | Engine;
  databaseUrl?: string;
  keep?: boolean;
  /** Make each server hostile before the plan's files run, and fail on what that catches (see hostile.ts). */
  hostile?: boolean;
  onProgress?: (event: { major: number; plan?: string; phase: string }) => void;
}

export interface RunReport {
  ok: boolean;
  engine: string;
  majors: number[];
  deployers: DeployerKind[];
  cases: CaseReport[];
  /** Problems that stopped a major from running at all (e.g. a server that did not start). */
  errors: { major: number; message: string }[];
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

function notRenderable(file: string, major: number, deployer: DeployerKind, target: number, e: UserError): CaseReport {
  return {
    plan: loadPlan(file).name,
    file,
    major,
    deployer,
    renderedFor: major,
    ok: false,
    phases: [{ name: 'render for this server', status: 'fail', detail: `${major === target ? 'the plan cannot be rendered' : `the plan (target ${target}) cannot be rendered for PostgreSQL ${major}`}:\n${e.message}` }],
    probes: [],
    cases: [],
    hints: [],
    durationMs: 0,
  };
}

export async function runTests(options: RunOptions): Promise<RunReport> {
  // Validate every plan before starting anything: a plan error is the user's, reported with its location.
  const targets = new Map(options.plans.map((file) => [file, loadPlan(file).postgres]));
  const deployers = options.deployers ?? [...DEPLOYER_KINDS];
  const report: RunReport = { ok: false, engine: options.databaseUrl ? 'database-url' : typeof options.engine === 'string' ? options.engine : options.engine.name, majors: [], deployers, cases: [], errors: [] };

  if (options.databaseUrl) {
    let major = 0;
    try {
      const server = await urlServer(options.databaseUrl);
      major = server.major;
      report.majors = [server.major];
      for (const file of options.plans) {
        for (const deployer of deployers) {
          const scratch = `pgrant_test_${randomBytes(4).toString('hex')}`;
          report.cases.push(await provePlan({ planFile: file, server: addressOf(server), deployer, fixture: options.fixture, scratchDatabase: scratch, keep: options.keep, hostile: options.hostile, onPhase: (phase) => options.onProgress?.({ major: server.major, plan: file, phase: `${deployer}: ${phase}` }) }));
        }
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      report.errors.push({ major, message: describeFailure(e).detail });
    }
    report.ok = report.errors.length === 0 && report.cases.every((c) => c.ok);
    return report;
  }

  const byMajor = new Map<number, string[]>();
  for (const file of options.plans) {
    for (const major of options.majors ?? [targets.get(file)!]) byMajor.set(major, [...(byMajor.get(major) ?? []), file]);
  }
  report.majors = [...byMajor.keys()].sort();
  const engine: Engine = typeof options.engine !== 'string' ? options.engine : options.engine === 'testcontainers' ? await testcontainersEngine() : embeddedEngine;
  if (engine === embeddedEngine) {
    // Name every missing major at once, with the command that adds it, before starting anything.
    for (const major of report.majors) {
      if (!(SUPPORTED_MAJORS as readonly number[]).includes(major)) continue;
      await findBinaries(major as Major);
    }
    await checkTemporaryFolder();
  }

  // Every major at once: each has its own server, and with fewer cores than majors a last round of one
  // major would leave cores idle (a case alternates between psql, pgrant and the server, one at a time).
  await pool(report.majors, report.majors.length, async (major) => {
    let server: Server | undefined;
    try {
      options.onProgress?.({ major, phase: 'starting server' });
      server = await engine.start(major, { hostile: options.hostile });
      for (const file of byMajor.get(major)!) {
        for (const deployer of deployers) {
          try {
            report.cases.push(await provePlan({ planFile: file, server: addressOf(server), deployer, fixture: options.fixture, keep: options.keep, hostile: options.hostile, onPhase: (phase) => options.onProgress?.({ major, plan: file, phase: `${deployer}: ${phase}` }) }));
          } catch (e) {
            // The plan asks for something this older server cannot do (e.g. membership options before 16).
            if (!(e instanceof UserError)) throw e;
            report.cases.push(notRenderable(file, major, deployer, targets.get(file)!, e));
          }
        }
      }
      options.onProgress?.({ major, phase: 'done' });
    } catch (e) {
      report.errors.push({ major, message: e instanceof UserError ? e.message : describeFailure(e).detail });
    } finally {
      await server?.stop().catch(() => {});
    }
  });
  report.cases.sort((a, b) => options.plans.indexOf(a.file) - options.plans.indexOf(b.file) || a.major - b.major || deployers.indexOf(a.deployer) - deployers.indexOf(b.deployer));
  report.ok = report.errors.length === 0 && report.cases.length > 0 && report.cases.every((c) => c.ok);
  return report;
}
