// The command line: parses arguments, runs one command, maps outcomes to exit codes.
// 0 success; 1 the user's input is wrong, a check failed or a file is stale; 2 an internal error.
import yargs, { type Argv } from 'yargs';
import { UserError, formatDiagnostic } from '../diagnostics.js';
import { pgrantVersion } from '../paths.js';
import { renderCommand } from './commands/render.js';
import { patternsCommand } from './commands/patterns.js';
import { testCommand } from './commands/test.js';
import { lintCommand } from './commands/lint.js';
import { schemaCommand } from './commands/schema.js';
import { initCommand } from './commands/init.js';
import { auditCommand } from './commands/audit.js';
import { diffCommand } from './commands/diff.js';
import { importCommand } from './commands/import.js';
import type { Io } from './io.js';
import { processIo } from './io.js';

export interface CommandModule {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  run: (args: Record<string, unknown>, io: Io) => Promise<number>;
}

export const COMMANDS: CommandModule[] = [renderCommand, lintCommand, testCommand, patternsCommand, schemaCommand, initCommand, auditCommand, diffCommand, importCommand];

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode = 0;
  let parser = yargs()
    .scriptName('pgrant')
    .usage('$0 <command> [options]\n\nPostgreSQL access control as code: YAML plans rendered to reviewable SQL.')
    .version(pgrantVersion())
    .option('quiet', { type: 'boolean', default: false, global: true, describe: 'print only errors and results (no progress, no notes)' })
    .option('verbose', { type: 'boolean', default: false, global: true, describe: 'print more detail (e.g. every phase\'s notes in pgrant test)' })
    .completion('completion', 'print a shell completion script (bash/zsh): pgrant completion >> ~/.bashrc')
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command: render, test, patterns, …')
    .recommendCommands()
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      throw new UserError({ level: 'error', path: '', message, hint: 'see pgrant --help' });
    });
  for (const c of COMMANDS) {
    parser = parser.command(c.command, c.describe, c.builder, async (args) => {
      exitCode = await c.run(args as Record<string, unknown>, io);
    });
  }
  try {
    // A parse callback makes yargs hand over --help/--version text instead of printing it itself.
    let failure: unknown;
    await parser.parseAsync(argv, {}, (err, _args, output) => {
      if (err) failure = err;
      else if (output) io.out(output);
    });
    if (failure) throw failure;
    return exitCode;
  } catch (e) {
    if (e instanceof UserError) {
      // Labelled like lint's findings (`file:line:col: error: path: message`), whatever the command.
      for (const d of e.diagnostics) io.err(formatDiagnostic(d, { showLevel: true }));
      return 1;
    }
    io.err(`pgrant: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    io.err('This is a bug in pgrant; please report it with the plan that triggered it.');
    return 2;
  }
}
