// pgrant lint <plan.yaml>... [--json]: least-privilege and safety findings; exit 1 on any error.
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../../diagnostics.js';
import { useCatalogOption, withCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';

export const lintCommand: CommandModule = {
  command: 'lint <plans..>',
  describe: 'report least-privilege and safety findings (file:line:col: level: message (rule)); exit 1 on errors',
  builder: (y) =>
    withCatalogOption(y)
      .positional('plans', { type: 'string', array: true, default: undefined, describe: 'plan files' })
      .option('json', { type: 'boolean', default: false, describe: 'print findings as JSON' }),
  async run(args, io) {
    await useCatalogOption(args);
    const { lintPlanFile } = await import('../../pipeline.js');
    const findings: Diagnostic[] = [];
    for (const file of args.plans as string[]) findings.push(...(await lintPlanFile(file)));
    const sorted = sortDiagnostics(findings);
    if (args.json) {
      io.out(
        JSON.stringify(
          sorted.map((d) => ({ file: d.loc?.file, line: d.loc?.line, col: d.loc?.col, level: d.level, rule: d.rule ?? null, path: d.path, message: d.message, hint: d.hint ?? null })),
          null,
          2,
        ),
      );
    } else {
      for (const d of sorted.filter((x) => !args.quiet || x.level === 'error')) io.out(formatDiagnostic(d, { showLevel: true }));
      const count = (level: string) => sorted.filter((d) => d.level === level).length;
      io.out(`pgrant lint: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s)`);
    }
    return sorted.some((d) => d.level === 'error') ? 1 : 0;
  },
};
