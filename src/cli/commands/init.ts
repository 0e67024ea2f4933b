// pgrant init [--pattern NAME] [--file plan.yaml]: a starter plan that editors can check as you type.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { UserError, didYouMean } from '../../diagnostics.js';
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
    const schema = relative(dirname(resolve(file)), packagePath('schema', 'plan.schema.json')).split('\\').join('/');
    const text = `# yaml-language-server: $schema=${schema}\n# A starter plan from the ${def.name} pattern (${def.summary}). pgrant patterns ${def.name} lists its parameters.\n${def.example}`;
    await writeFile(file, text);
    io.out(`wrote ${file}: edit it, then run pgrant lint ${file} and pgrant render ${file}`);
    return 0;
  },
};
