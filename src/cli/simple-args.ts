// The common command lines, parsed without yargs: `pgrant render plan.yaml --out out --check` needs
// neither yargs' help machinery nor its option parser, whose loading took longer than the render of a
// small plan. Anything outside the plain subset below — help, a flag this parser does not know, an
// unusual spelling, a value yargs would coerce or reject — returns undefined and goes to yargs, so
// every error message and every corner case stays yargs' own.
import type { Argv, Options } from 'yargs';
import type { CommandModule } from './main.js';

/** The options a command declares in its yargs builder, recorded without yargs. */
interface Declared {
  positional: string | undefined;
  options: Map<string, Options>;
  /** The builder used something beyond .positional() and .option(): only yargs can parse it. */
  unsupported: boolean;
}

/**
 * Runs a command's yargs builder against a recorder: .positional() and .option() are noted, any other
 * call marks the command as needing yargs. The builder stays the one place where options are declared.
 */
function declared(command: CommandModule): Declared {
  const result: Declared = { positional: undefined, options: new Map(), unsupported: false };
  const recorder: Argv = new Proxy({} as Argv, {
    get(_target, method) {
      return (name: string, opts: Options) => {
        if (method === 'positional') result.positional = name;
        else if (method === 'option') result.options.set(name, opts);
        else result.unsupported = true;
        return recorder;
      };
    },
  });
  command.builder(recorder);
  return result;
}

/**
 * Option settings this parser implements; any other (alias, array, coerce, demandOption …) is yargs' job.
 * `requiresArg` holds by construction: a string option without a value goes to yargs.
 */
const SIMPLE_KEYS = new Set(['type', 'default', 'describe', 'choices', 'global', 'requiresArg']);

function isSimple(opts: Options): boolean {
  if (!Object.keys(opts).every((k) => SIMPLE_KEYS.has(k))) return false;
  if (opts.type === 'boolean') return opts.choices === undefined;
  return opts.type === undefined || opts.type === 'string';
}

/** Words yargs may turn into numbers: left to it. */
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$|^0x[0-9a-f]+$/i;

/** `from-git` → `fromGit`, the alias yargs adds for every dashed option. */
const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The arguments yargs would hand to `command`'s handler for `argv` (the words after the command name),
 * when `argv` uses only plain forms: positional words, `--flag` for a boolean, `--name value` or
 * `--name=value` for a string, each option at most once. Otherwise undefined.
 */
export function parseSimply(command: CommandModule, globals: Record<string, Options>, argv: string[]): Record<string, unknown> | undefined {
  const positional = /^\S+ <(\w+)\.\.>$/.exec(command.command)?.[1];
  const spec = declared(command);
  if (!positional || spec.unsupported || spec.positional !== positional) return undefined;
  const options = new Map([...Object.entries(globals), ...spec.options]);
  if (![...options.values()].every(isSimple)) return undefined;

  const args: Record<string, unknown> = {};
  const words: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) {
      if (word === '' || NUMBER.test(word)) return undefined;
      words.push(word);
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(word);
    const opts = m ? options.get(m[1]!) : undefined;
    if (!m || !opts || seen.has(m[1]!)) return undefined;
    const name = m[1]!;
    seen.add(name);
    let value: string | boolean;
    if (opts.type === 'boolean') {
      // `--check=false`, `--check false`: yargs reads a value after a boolean; so does nothing here.
      if (m[2] !== undefined || argv[i + 1] === 'true' || argv[i + 1] === 'false') return undefined;
      value = true;
    } else {
      const v = m[2] ?? argv[++i];
      if (v === undefined || v === '' || v.startsWith('-') || NUMBER.test(v)) return undefined;
      if (opts.choices && !(opts.choices as unknown[]).includes(v)) return undefined;
      value = v;
    }
    args[name] = value;
    if (name.includes('-')) args[camel(name)] = value;
  }
  if (words.length === 0) return undefined;
  for (const [name, opts] of options) {
    if (seen.has(name) || opts.default === undefined) continue;
    args[name] = opts.default;
    if (name.includes('-')) args[camel(name)] = opts.default;
  }
  return { ...args, [positional]: words, _: [command.command.split(' ')[0]], $0: 'pgrant' };
}
