// A plain `pgrant render …` is parsed without yargs: for every command line the simple parser accepts,
// the command must get exactly what yargs would give it; everything else must be left to yargs.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import type { Options } from 'yargs';
import { parseSimply } from '../../src/cli/simple-args.js';
import { renderCommand } from '../../src/cli/commands/render.js';
import { lintCommand } from '../../src/cli/commands/lint.js';
import type { CommandModule } from '../../src/cli/main.js';

const GLOBALS: Record<string, Options> = {
  quiet: { type: 'boolean', default: false, global: true, describe: 'quiet' },
  verbose: { type: 'boolean', default: false, global: true, describe: 'verbose' },
};

/** The arguments yargs hands to the command's handler. */
async function viaYargs(command: CommandModule, argv: string[]): Promise<Record<string, unknown>> {
  let got: Record<string, unknown> = {};
  await yargs()
    .options(GLOBALS)
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .command(command.command, command.describe, command.builder, (args) => {
      got = { ...args };
    })
    .parseAsync([command.command.split(' ')[0]!, ...argv]);
  return got;
}

/** The keys a command reads: yargs' own ($0, _) and the declared options with their camelCase aliases. */
function comparable(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([k]) => k !== '$0' && k !== '_'));
}

describe('parseSimply', () => {
  const accepted: [CommandModule, string[]][] = [
    [renderCommand, ['examples/streamflow.yaml']],
    [renderCommand, ['a.yaml', 'b.yaml', './c.yaml', '--out', 'build/sql', '--check']],
    [renderCommand, ['--quiet', 'a.yaml', '--out=o', '--layout', 'sqitch', '--verbose']],
    [renderCommand, ['a.yaml', '--from-git', 'main', '--json']],
    [renderCommand, ['a.yaml', '--from', 'old/a.yaml', '--layout=flyway']],
    [lintCommand, ['a.yaml', 'b.yaml', '--json', '--quiet']],
  ];
  it.each(accepted)('%#: gives the command what yargs gives it', async (command, argv) => {
    const simple = parseSimply(command, GLOBALS, argv);
    expect(simple, 'accepted').toBeDefined();
    expect(comparable(simple!)).toEqual(comparable(await viaYargs(command, argv)));
  });

  const left: string[][] = [
    [],
    ['--help'],
    ['a.yaml', '-h'],
    ['a.yaml', '--version'],
    ['a.yaml', '--unknown'],
    ['a.yaml', '--check', 'false'],
    ['a.yaml', '--check=true'],
    ['a.yaml', '--no-check'],
    ['a.yaml', '--out'],
    ['a.yaml', '--out', '--check'],
    ['a.yaml', '--out', 'a', '--out', 'b'],
    ['a.yaml', '--layout', 'other'],
    ['a.yaml', '--fromGit', 'main'],
    ['a.yaml', '--', 'b.yaml'],
    ['a.yaml', '42'],
    ['a.yaml', '--out', '1e3'],
    ['a.yaml', ''],
  ];
  it.each(left)('leaves %j to yargs', (...argv) => {
    expect(parseSimply(renderCommand, GLOBALS, argv)).toBeUndefined();
  });

  it('leaves a command whose builder uses more than .positional() and .option() to yargs', () => {
    const fancy: CommandModule = { ...renderCommand, builder: (y) => renderCommand.builder(y).conflicts('from', 'from-git') };
    expect(parseSimply(fancy, GLOBALS, ['a.yaml'])).toBeUndefined();
    const aliased: CommandModule = { ...renderCommand, builder: (y) => y.positional('plans', { type: 'string', array: true }).option('out', { type: 'string', alias: 'o' }) };
    expect(parseSimply(aliased, GLOBALS, ['a.yaml'])).toBeUndefined();
  });
});
