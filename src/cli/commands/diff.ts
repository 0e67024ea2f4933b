// pgrant diff <plan.yaml> (--audit state.json | --database-url URL) [--json]: drift between plan and server.
import { readFile } from 'node:fs/promises';
import { UserError, printable } from '../../diagnostics.js';
import type { AuditState } from '../../audit/drift.js';
import { useCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';

export const diffCommand: CommandModule = {
  command: 'diff <plan>',
  describe: 'report drift between a plan and a server\'s audited state (missing, extra, different); exit 1 on drift',
  builder: (y) =>
    y
      .positional('plan', { type: 'string', describe: 'the plan file' })
      .option('audit', { type: 'string', describe: 'the JSON audit.sql printed' })
      .option('database-url', { type: 'string', describe: 'audit this server now instead' })
      .option('json', { type: 'boolean', default: false, describe: 'print the drift as JSON' }),
  async run(args, io) {
    await useCatalogOption(args);
    const { auditServer } = await import('../../audit/audit.js');
    const { checkAuditState, drift } = await import('../../audit/drift.js');
    const { renderPlanFile } = await import('../../pipeline.js');
    if (!args.audit === !args.databaseUrl) throw new UserError({ level: 'error', path: '', message: 'give one of --audit state.json or --database-url URL', hint: 'pgrant audit writes audit.sql, whose output is the state' });
    let state: AuditState;
    if (args.audit) {
      let text: string;
      try {
        text = await readFile(args.audit as string, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read ${args.audit as string}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new UserError({ level: 'error', path: '', message: `${args.audit as string} is not JSON`, hint: 'run audit.sql with psql -X -q (quiet, so only the JSON is printed)' });
      }
      state = checkAuditState(parsed, args.audit as string);
    } else state = await auditServer(args.databaseUrl as string);
    // On a server older than the plan's target, compare with the plan as rendered for that server.
    const serverMajor = Number.parseInt(String((state as { server_version?: string }).server_version ?? ''), 10);
    let { model } = await renderPlanFile(args.plan as string);
    if (serverMajor >= 14 && serverMajor < model.plan.postgres) ({ model } = await renderPlanFile(args.plan as string, { postgres: serverMajor }));
    if (state.database !== model.plan.database) io.err(printable(`note: the audit is of database ${state.database}; the plan's is ${model.plan.database}`));
    const found = drift(model, state);
    if (args.json) io.out(JSON.stringify({ plan: model.plan.name, database: state.database, drift: found }, null, 2));
    else {
      for (const d of found) io.out(printable(`${d.kind}: ${d.what}`));
      io.out(printable(found.length ? `pgrant diff: ${found.length} difference(s) between plan ${model.plan.name} and database ${state.database}` : `pgrant diff: no drift between plan ${model.plan.name} and database ${state.database}`));
    }
    return found.length ? 1 : 0;
  },
};
