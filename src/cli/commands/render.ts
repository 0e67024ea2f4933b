// pgrant render <plan.yaml>... [--out DIR] [--check]
import { join } from 'node:path';
import { UserError, formatDiagnostic, type Diagnostic } from '../../diagnostics.js';
import { renderPlanFile } from '../../pipeline.js';
import { staleFiles, writeOutputs, type PlanOutput } from '../../write/write.js';
import type { CommandModule } from '../main.js';

export const renderCommand: CommandModule = {
  command: 'render <plans..>',
  describe: 'write deploy.sql, verify.sql, revert.sql and ACCESS.md for each plan into DIR/<plan name>/',
  builder: (y) =>
    y
      .positional('plans', { type: 'string', array: true, describe: 'plan files (YAML)' })
      .option('out', { type: 'string', default: 'out', describe: 'output directory' })
      .option('check', { type: 'boolean', default: false, describe: 'write nothing; exit 1 when a file would change' })
      .option('quiet', { type: 'boolean', default: false, describe: 'do not print lint warnings and notes' }),
  async run(args, io) {
    const plans = args.plans as string[];
    const outDir = args.out as string;
    // Render everything first: a problem in any plan means nothing is written.
    const outputs: PlanOutput[] = [];
    const problems: Diagnostic[] = [];
    const names = new Map<string, string>();
    for (const file of plans) {
      try {
        const { plan, files, findings } = await renderPlanFile(file);
        if (!args.quiet && !args.check) for (const f of findings) io.err(formatDiagnostic(f, { showLevel: true }));
        const previous = names.get(plan.name);
        if (previous) {
          problems.push({ level: 'error', loc: { file, line: 1, col: 1 }, path: 'name', message: `plan name "${plan.name}" is also used by ${previous}; both would write ${join(outDir, plan.name)}`, hint: 'set a distinct "name:" in one of the plans' });
        }
        names.set(plan.name, file);
        outputs.push({ name: plan.name, files });
      } catch (e) {
        if (e instanceof UserError) problems.push(...e.diagnostics);
        else throw e;
      }
    }
    if (problems.length > 0) throw new UserError(problems);

    if (args.check) {
      const stale = (await Promise.all(outputs.map((o) => staleFiles(outDir, o)))).flat();
      for (const file of stale) io.err(`${file}: stale: run \`pgrant render\` to update it`);
      if (stale.length === 0) io.out(`pgrant: ${outputs.length} plan${outputs.length === 1 ? '' : 's'} up to date in ${outDir}/`);
      return stale.length > 0 ? 1 : 0;
    }
    await writeOutputs(outDir, outputs);
    for (const o of outputs) io.out(`wrote ${join(outDir, o.name)}/ (${[...o.files.keys()].join(', ')})`);
    return 0;
  },
};
