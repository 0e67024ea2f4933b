// pgrant test <plan.yaml>... [--pg 17|14,16|all] [--deployer superuser|managed|both] [--fixture F] [--engine E] [--database-url URL] [--json] [--keep] [--hostile]
import { UserError } from '../../diagnostics.js';
import { SUPPORTED_MAJORS } from '../../harness/server.js';
import type { EngineName } from '../../harness/engines.js';
import { useCatalogOption, withCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';
import type { Io } from '../io.js';

export function parseMajors(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'all') return [...SUPPORTED_MAJORS];
  const majors = value.split(',').map((v) => Number(v.trim()));
  const bad = majors.filter((m) => !(SUPPORTED_MAJORS as readonly number[]).includes(m));
  if (bad.length || majors.length === 0) {
    throw new UserError({ level: 'error', path: '', message: `--pg ${value}: supported majors are ${SUPPORTED_MAJORS.join(', ')}`, hint: 'e.g. --pg 17, --pg 14,16 or --pg all' });
  }
  return [...new Set(majors)].sort();
}

/** A spinner line on a terminal; plain lines otherwise (CI logs). */
function progress(io: Io) {
  const state = new Map<number, string>();
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const line = [...state.entries()].sort(([a], [b]) => a - b).map(([m, s]) => `pg${m} ${s}`).join(' | ');
    process.stderr.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${line}`.slice(0, (process.stderr.columns ?? 120) + 8));
  };
  if (io.isTTY && process.stderr.isTTY) timer = setInterval(draw, 100);
  return {
    update(e: { major: number; plan?: string; phase: string }) {
      const text = e.plan ? `${e.plan.split('/').pop()}: ${e.phase}` : e.phase;
      state.set(e.major, text);
      if (!timer) io.err(`pg${e.major} ${text}`);
    },
    stop() {
      if (timer) {
        clearInterval(timer);
        process.stderr.write('\r\x1b[2K');
      }
    },
  };
}

export const testCommand: CommandModule = {
  command: 'test <plans..>',
  describe: 'prove plans on throwaway PostgreSQL servers: deploy, idempotence, verify, probes as each role, logins, revert',
  builder: (y) =>
    withCatalogOption(y)
      .positional('plans', { type: 'string', array: true, default: undefined, describe: 'plan files' })
      .option('pg', { type: 'string', describe: 'majors: 17, 14,16 or all (default: each plan\'s target)' })
      .option('deployer', {
        choices: ['superuser', 'managed', 'both'],
        default: 'both',
        describe: 'who runs the generated files: the superuser, a managed service\'s admin (NOSUPERUSER CREATEROLE CREATEDB, owner of the database), or each in turn',
      })
      .option('fixture', { type: 'string', describe: 'SQL schema loaded before deploy (overrides the plan\'s test.fixture)' })
      .option('engine', { choices: ['embedded', 'testcontainers'], default: 'embedded', describe: 'where servers come from' })
      .option('database-url', { type: 'string', describe: 'use an existing server (a scratch database; refuses if a plan role exists there)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the scratch databases for inspection' })
      .option('hostile', {
        type: 'boolean',
        default: false,
        describe: 'make the server hostile first (overloads of every function and operator the files call, planted where a plan login can write; standard_conforming_strings off; every statement logged; a squatter that made the roles first) and fail if any of it takes effect',
      }),
  async run(args, io) {
    await useCatalogOption(args);
    const { runTests } = await import('../../harness/run.js');
    const { parseDeployers } = await import('../../harness/deployer.js');
    const { colorStyle, formatReport, plainStyle } = await import('../../harness/report.js');
    const majors = parseMajors(args.pg as string | undefined);
    if (args.databaseUrl && args.pg) throw new UserError('--pg and --database-url do not go together: the server at the URL decides the major');
    const display = args.quiet ? { update() {}, stop() {} } : progress(io);
    let report;
    try {
      report = await runTests({
        plans: args.plans as string[],
        majors,
        deployers: parseDeployers(args.deployer as string | undefined),
        fixture: args.fixture as string | undefined,
        engine: args.engine as EngineName,
        databaseUrl: args.databaseUrl as string | undefined,
        keep: args.keep as boolean,
        hostile: args.hostile as boolean,
        onProgress: (e) => display.update(e),
      });
    } finally {
      display.stop();
    }
    if (args.json) io.out(JSON.stringify(report, null, 2));
    else if (args.quiet) io.out(formatReport(report, plainStyle).pop()!);
    else for (const line of formatReport(report, io.color ? colorStyle : plainStyle, { verbose: args.verbose as boolean })) io.out(line);
    return report.ok ? 0 : 1;
  },
};
