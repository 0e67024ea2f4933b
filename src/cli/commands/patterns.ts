// pgrant patterns [NAME]: the catalog, or one pattern's parameters, defaults and example.
import { UserError, didYouMean } from '../../diagnostics.js';
import type { CommandModule } from '../main.js';

function showDefault(value: unknown): string {
  return value === undefined ? '' : ` (default: ${JSON.stringify(value)})`;
}

export const patternsCommand: CommandModule = {
  command: 'patterns [name]',
  describe: 'list the catalog of patterns; with NAME, its parameters, defaults and an example',
  builder: (y) => y.positional('name', { type: 'string', describe: 'a pattern name' }),
  async run(args, io) {
    const { loadCatalog } = await import('../../catalog/catalog.js');
    const catalog = loadCatalog();
    const name = args.name as string | undefined;
    if (!name) {
      const width = Math.max(...[...catalog.keys()].map((k) => k.length));
      for (const def of catalog.values()) io.out(`${def.name.padEnd(width)}  ${def.summary}`);
      io.out('');
      io.out('pgrant patterns NAME shows a pattern\'s parameters and an example.');
      return 0;
    }
    const def = catalog.get(name);
    if (!def) {
      throw new UserError({ level: 'error', path: '', message: `unknown pattern "${name}"`, hint: didYouMean(name, catalog.keys()) ?? `patterns: ${[...catalog.keys()].join(', ')}` });
    }
    io.out(`${def.name}: ${def.summary}`);
    io.out('');
    for (const line of def.description.trim().split('\n')) io.out(line);
    io.out('\nParameters:');
    const width = Math.max(...Object.keys(def.parameters).map((k) => k.length));
    for (const [key, p] of Object.entries(def.parameters)) {
      io.out(`  ${key.padEnd(width)}  ${p.typeExpr}${p.required ? ', required' : ''}${showDefault(p.default)}: ${p.doc}`);
    }
    io.out(`  ${'mode'.padEnd(width)}  authoritative | additive (default: "authoritative"): whether deploy.sql also revokes what the plan no longer grants`);
    io.out('\nExample:');
    for (const line of def.example.trimEnd().split('\n')) io.out(`  ${line}`);
    return 0;
  },
};
