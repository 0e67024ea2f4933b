// pgrant render <plan.yaml>... [--out DIR] [--check]
import { join } from 'node:path';
import { UserError, formatDiagnostic, type Diagnostic } from '../../diagnostics.js';
import type { OldPlan } from '../../pipeline.js';
import type { Change } from '../../migrate/diff.js';
import { LAYOUTS, type Layout } from '../../render/layouts.js';
import type { PlanOutput, SaltFile } from '../../write/write.js';
import { useCatalogOption, withCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';

export const renderCommand: CommandModule = {
  command: 'render <plans..>',
  describe: 'write deploy.sql, verify.sql, revert.sql and ACCESS.md for each plan into OUT/<plan name>/ (--out OUT, default out)',
  builder: (y) =>
    withCatalogOption(y)
      .positional('plans', { type: 'string', array: true, default: undefined, describe: 'plan files (YAML)' })
      .option('out', { type: 'string', default: 'out', describe: 'output directory (OUT): each plan is written to OUT/<plan name>/' })
      .option('check', { type: 'boolean', default: false, describe: 'write nothing; exit 1 when a file would change' })
      .option('from', { type: 'string', describe: 'the previous version of the plan: also write migrate.sql, the statements from it to this one' })
      .option('from-git', { type: 'string', describe: 'like --from, reading the plan as it was at this git revision (e.g. main, HEAD~1)' })
      .option('json', { type: 'boolean', default: false, describe: 'print what was written (and, with --from, the changes) as JSON' })
      .option('layout', { choices: LAYOUTS, default: 'plain', describe: 'plain psql files, a sqitch project, or Flyway migrations' }),
  async run(args, io) {
    await useCatalogOption(args);
    const { renderPlanFileLazily } = await import('../../pipeline.js');
    const { saltFileIsStale, staleFiles, writeOutputs, writeSaltFiles } = await import('../../write/write.js');
    const plans = args.plans as string[];
    const outDir = args.out as string;
    if ((args.from || args.fromGit) && plans.length !== 1) {
      throw new UserError({ level: 'error', path: '', message: '--from and --from-git take one plan at a time', hint: 'render each plan with its own --from' });
    }
    if (args.from && args.fromGit) throw new UserError('--from and --from-git do not go together: choose one');
    if ((args.from || args.fromGit) && args.layout !== 'plain') throw new UserError('migrate.sql is written for the plain layout only: drop --layout, or --from');
    const from = args.from ? await readOldPlan(args.from as string) : args.fromGit ? await readGitPlan(args.fromGit as string, plans[0]!) : undefined;
    // Check every plan first: a problem in any plan means nothing is written. Each file is rendered when
    // it is written (or compared), so a large plan's files are not all in memory at once.
    const outputs: PlanOutput[] = [];
    const saltFiles: SaltFile[] = [];
    const changes = new Map<string, Change[]>();
    const problems: Diagnostic[] = [];
    const names = new Map<string, string>();
    for (const file of plans) {
      try {
        const rendered = await renderPlanFileLazily(file, { from, layout: args.layout as Layout, releaseSources: true, previousOutput: outDir });
        const { plan, files, findings } = rendered;
        if (rendered.changes) changes.set(plan.name, rendered.changes);
        // Warnings always (unless --quiet); notes (info) only with --verbose or on their own via pgrant lint.
        if (!args.quiet && !args.check) for (const f of findings.filter((x) => x.level !== 'info' || args.verbose)) io.err(formatDiagnostic(f, { showLevel: true }));
        const previous = names.get(plan.name);
        if (previous) {
          problems.push({ level: 'error', loc: { file, line: 1, col: 1 }, path: 'name', message: `plan name "${plan.name}" is also used by ${previous}; both would write ${join(outDir, plan.name)}`, hint: 'set a distinct "name:" in one of the plans' });
        }
        names.set(plan.name, file);
        outputs.push({ name: plan.name, files });
        const saltText = plan.salts.text();
        if (saltText !== null) saltFiles.push({ file: plan.salts.file, text: saltText });
      } catch (e) {
        if (e instanceof UserError) problems.push(...e.diagnostics);
        else throw e;
      }
    }
    if (problems.length > 0) throw new UserError(problems);

    if (args.check) {
      const stale: string[] = [];
      for (const o of outputs) stale.push(...(await staleFiles(outDir, o)));
      for (const file of stale) io.err(`${file}: stale: run \`pgrant render\` to update it`);
      // A salt file --check cannot write: the verifiers it would hold are new random ones, so stale too.
      for (const salts of saltFiles) {
        if (!(await saltFileIsStale(salts))) continue;
        stale.push(salts.file);
        io.err(`${salts.file}: stale: a password is new or changed, or its role left the plan: run \`pgrant render\` and commit this file with the output`);
      }
      if (stale.length === 0) io.out(`pgrant: ${outputs.length} plan${outputs.length === 1 ? '' : 's'} up to date in ${outDir}/`);
      return stale.length > 0 ? 1 : 0;
    }
    const newSalts = await writeSaltFiles(saltFiles);
    await writeOutputs(outDir, outputs);
    if (args.json) {
      io.out(JSON.stringify({ plans: outputs.map((o) => ({ name: o.name, directory: join(outDir, o.name), files: [...o.files.keys()], changes: changes.get(o.name) })), saltFilesWritten: newSalts }, null, 2));
      return 0;
    }
    for (const file of newSalts) io.out(`wrote ${file} (random SCRAM salts of the plan's passwords: commit it with the plan)`);
    for (const o of outputs) {
      io.out(`wrote ${join(outDir, o.name)}/ (${[...o.files.keys()].join(', ')})`);
      const list = changes.get(o.name);
      if (list) io.out(list.length ? list.map((c) => `  ${c.text}`).join('\n') : '  no changes from the old plan');
    }
    return 0;
  },
};

async function readOldPlan(file: string): Promise<OldPlan> {
  try {
    // Read here, so a missing file is named as the --from argument; its includes are read by the loader.
    const { diskFiles } = await import('../../plan/files.js');
    return { file, text: diskFiles.read(file), label: file };
  } catch (e) {
    throw new UserError({ level: 'error', path: '', message: `cannot read the old plan ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, hint: 'check the path given to --from' });
  }
}

/** The plan as it was at a git revision: the plan file, its includes and its team patterns, all from git. */
async function readGitPlan(rev: string, file: string): Promise<OldPlan> {
  const { gitFiles } = await import('../../plan/files.js');
  try {
    const files = gitFiles(rev, file);
    return { file, files, text: files.read(file), label: files.label(file) };
  } catch (e) {
    const message = String((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n')[0];
    throw new UserError({ level: 'error', path: '', message: `cannot read ${file} at git revision ${rev}: ${message}`, hint: 'name a revision where the plan exists (git log -- the plan file)' });
  }
}
