// pgrant init [--pattern NAME] [--file plan.yaml]: a starter plan that editors can check as you type.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { UserError, didYouMean } from '../../diagnostics.js';
import { installKind } from '../../install-hint.js';
import { packagePath } from '../../paths.js';
import type { CommandModule } from '../main.js';

export const initCommand: CommandModule = {
  command: 'init',
  describe: 'write a starter plan (with the $schema line editors use for completion and checks)',
  builder: (y) =>
    y
      .option('pattern', { type: 'string', default: 'readonly', describe: 'the catalog pattern to start from' })
      .option('file', { type: 'string', default: 'plan.yaml', describe: 'where to write the plan' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing file' }),
  async run(args, io) {
    const { loadCatalog } = await import('../../catalog/catalog.js');
    const catalog = loadCatalog();
    const name = args.pattern as string;
    const def = catalog.get(name);
    if (!def) throw new UserError({ level: 'error', path: '', message: `unknown pattern "${name}"`, hint: didYouMean(name, catalog.keys()) ?? `patterns: ${[...catalog.keys()].join(', ')}` });
    const file = args.file as string;
    if (existsSync(file) && !args.force) throw new UserError({ level: 'error', path: '', message: `${file} already exists; nothing was written`, hint: 'choose another --file, or --force to overwrite it' });
    const schema = schemaReference(file);
    const summary = def.summary.replace(/\.$/, '');
    const text = `# yaml-language-server: $schema=${schema.path}\n# A starter plan from the ${def.name} pattern (${summary}). pgrant patterns ${def.name} lists its parameters.\n${def.starter}`;
    await writeFile(file, text);
    io.out(`wrote ${file}: edit it, then run pgrant lint ${file} and pgrant render ${file}`);
    if (schema.note) io.err(`note: ${schema.note}`);
    return 0;
  },
};

/**
 * The $schema line, resolved from the plan's own folder: a relative path into node_modules/pgrant in a
 * project (valid on every clone once npm install ran); for a global install, the absolute path on this machine.
 */
function schemaReference(file: string): { path: string; note?: string } {
  const schema = packagePath('schema', 'plan.schema.json');
  if (installKind().kind === 'global') {
    return {
      path: schema,
      note: `the $schema line points into pgrant's global install on this machine (${schema}); with pgrant in the project (npm install --save-dev pgrant), run init there for a path that works on every clone`,
    };
  }
  return { path: relative(dirname(resolve(file)), schema).split(sep).join('/') };
}
