// The command line: parses arguments, runs one command, maps outcomes to exit codes.
// 0 success; 1 the user's input is wrong, a check failed or a file is stale; 2 an internal error.
// A plain `pgrant render …` or `pgrant lint …` is parsed without yargs (simple-args.ts), and only the
// command that runs is loaded: starting pgrant is most of what a user waits for on a small plan.
import type { Argv, Options } from 'yargs';
import { UserError, formatDiagnostic } from '../diagnostics.js';
import { pgrantVersion } from '../paths.js';
import type { Io } from './io.js';
import { processIo } from './io.js';
import { parseSimply } from './simple-args.js';

export interface CommandModule {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  run: (args: Record<string, unknown>, io: Io) => Promise<number>;
}

/** Every command by name, in the order help lists them; a module is loaded when its command runs. */
export const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  render: async () => (await import('./commands/render.js')).renderCommand,
  lint: async () => (await import('./commands/lint.js')).lintCommand,
  test: async () => (await import('./commands/test.js')).testCommand,
  patterns: async () => (await import('./commands/patterns.js')).patternsCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
};

/** Every command's module, in help order (loads them all: for help and generated docs). */
export async function allCommands(): Promise<CommandModule[]> {
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
}

/** Options every command takes. */
const GLOBAL_OPTIONS: Record<string, Options> = {
  quiet: { type: 'boolean', default: false, global: true, describe: 'print only errors and results (no progress, no notes)' },
  verbose: { type: 'boolean', default: false, global: true, describe: 'print more detail (e.g. every phase\'s notes in pgrant test)' },
};

/** `argv` run without yargs when it is a plain command line (see simple-args.ts); undefined otherwise. */
async function runSimply(argv: string[], io: Io): Promise<number | undefined> {
  const load = Object.hasOwn(COMMANDS, argv[0] ?? '') ? COMMANDS[argv[0]!] : undefined;
  if (!load) return undefined;
  const command = await load();
  const args = parseSimply(command, GLOBAL_OPTIONS, argv.slice(1));
  return args ? command.run(args, io) : undefined;
}

/** Everything else (help, completion, errors in the command line, other commands): yargs. */
async function runWithYargs(argv: string[], io: Io): Promise<number> {
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  let parser = yargs()
    .scriptName('pgrant')
    .usage('$0 <command> [options]\n\nPostgreSQL access control as code: YAML plans rendered to reviewable SQL.')
    .version(pgrantVersion())
    .options(GLOBAL_OPTIONS)
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
  for (const c of await allCommands()) {
    parser = parser.command(c.command, c.describe, c.builder, async (args) => {
      exitCode = await c.run(args as Record<string, unknown>, io);
    });
  }
  // A parse callback makes yargs hand over --help/--version text instead of printing it itself.
  let failure: unknown;
  await parser.parseAsync(argv, {}, (err, _args, output) => {
    if (err) failure = err;
    else if (output) io.out(output);
  });
  if (failure) throw failure;
  return exitCode;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    return (await runSimply(argv, io)) ?? (await runWithYargs(argv, io));
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
