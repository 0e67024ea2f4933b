// pgrant import (--database-url URL | --audit state.json) [-o plan.yaml] …: the plan that describes a database.
import { lstatSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { UserError, printable } from '../../diagnostics.js';
import type { CommandModule } from '../main.js';

/** A --roles / --exclude-roles pattern, refused with its problem when it is not a regular expression. */
function regex(option: string, value: unknown): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(String(value));
  } catch (e) {
    throw new UserError({ level: 'error', path: '', message: `--${option} is not a regular expression: ${(e as Error).message}`, hint: 'for example --roles "^(app|analytics)_"' });
  }
}

/** Refuses to replace a file (or a symlink, even a dangling one) at `output`. */
function refuseExisting(output: string): void {
  if (lstatSync(output, { throwIfNoEntry: false }) === undefined) return;
  throw new UserError({ level: 'error', path: '', message: `${output} already exists; nothing was written`, hint: 'choose another -o file, or add --force to overwrite it' });
}

export const importCommand: CommandModule = {
  command: 'import',
  describe: 'write the plan that describes an existing database (its deploy.sql changes nothing there)',
  builder: (y) =>
    y
      .option('database-url', { type: 'string', describe: 'read the server now (runs audit.sql with psql)' })
      .option('audit', { type: 'string', describe: 'the JSON audit.sql printed (air-gapped)' })
      .option('database', { type: 'string', describe: 'the database to read, for a URL that names none (or another)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the plan here (default: stdout); its file name is the plan\'s name' })
      .option('schemas', { type: 'string', describe: 'comma-separated schemas to describe (default: every non-system schema)' })
      .option('roles', { type: 'string', describe: 'describe only roles matching this regular expression' })
      .option('exclude-roles', { type: 'string', describe: 'leave out roles matching this regular expression' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite the -o file when it exists' })
      .option('manage-owners', { type: 'boolean', default: false, describe: 'describe the roles that own objects in scope too (default: referenced as owners, never altered or dropped)' })
      .option('flat', { type: 'boolean', default: false, describe: 'only the roles pattern, no pattern recognition' })
      .option('allow-partial', { type: 'boolean', default: false, describe: 'exit 0 even when some things cannot be expressed (they are listed)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result (plan, instances, what cannot be expressed) as JSON' }),
  async run(args, io) {
    const { readLiveState, readStateFile } = await import('../../import/state.js');
    const { importPlan } = await import('../../import/import.js');
    if (!args.audit === !args.databaseUrl) throw new UserError({ level: 'error', path: '', message: 'give one of --database-url URL or --audit state.json', hint: 'pgrant audit writes audit.sql; psql -X -q -d <database> -f audit.sql > state.json' });
    if (args.database && !args.databaseUrl) throw new UserError({ level: 'error', path: '', message: '--database goes with --database-url', hint: 'an audit is of the database audit.sql ran in' });
    const output = args.output as string | undefined;
    // A hand-edited plan is not overwritten by accident: checked before reading the server.
    if (output && !args.force) refuseExisting(output);
    const roles = regex('roles', args.roles);
    const excludeRoles = regex('exclude-roles', args.excludeRoles);
    const state = args.audit ? await readStateFile(args.audit as string) : await readLiveState(args.databaseUrl as string, args.database as string | undefined);
    const schemas = args.schemas === undefined ? undefined : String(args.schemas).split(',').map((s) => s.trim()).filter(Boolean);
    const result = await importPlan(state, { schemas, roles, excludeRoles, flat: args.flat as boolean, manageOwners: args.manageOwners as boolean, output: args.output as string | undefined });
    if (output) {
      try {
        // 'wx' fails when the file appeared meanwhile: the check above holds to the end.
        await writeFile(output, result.yaml, { flag: args.force ? 'w' : 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting(output);
        throw new UserError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    const partial = result.gaps.length > 0;
    if (args.json) {
      io.out(JSON.stringify({ plan: result.name, database: result.database, postgres: result.postgres, file: output ?? null, instances: result.instances, not_expressed: result.gaps, left_alone: result.notes, ...(output ? {} : { yaml: result.yaml }) }, null, 2));
    } else if (!output) io.out(result.yaml.replace(/\n$/, ''));
    else if (!args.quiet) io.err(printable(`pgrant import: wrote ${output} (plan ${result.name}: ${result.instances.map((i) => `${i.pattern} ${i.roles.length === 1 ? i.roles[0] : `(${i.roles.length} roles)`}`).join(', ') || 'no roles'})`));
    if (partial) {
      io.err(`pgrant import: ${result.gaps.length} thing(s) in scope the plan cannot express (listed at its end)${args.allowPartial ? '' : '; --allow-partial accepts them'}`);
      for (const g of result.gaps) io.err(printable(`  ${g.what}: ${g.why}`));
    }
    return partial && !args.allowPartial ? 1 : 0;
  },
};
