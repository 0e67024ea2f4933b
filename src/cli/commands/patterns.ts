// pgrant patterns [NAME] [--catalog DIR]: the catalog (and a team's), or one pattern's parameters, defaults and example.
import { UserError, didYouMean } from '../../diagnostics.js';
import type { PatternDef } from '../../catalog/catalog.js';
import type { TeamPatternDef } from '../../catalog/team.js';
import { catalogDirs, withCatalogOption } from '../catalog-option.js';
import type { CommandModule } from '../main.js';
import type { Io } from '../io.js';

function showDefault(value: unknown): string {
  return value === undefined ? '' : ` (default: ${JSON.stringify(value)})`;
}

export const patternsCommand: CommandModule = {
  command: 'patterns [name]',
  describe: 'list the catalog of patterns (with --catalog, the team\'s too); with NAME, its parameters, defaults and an example',
  builder: (y) =>
    withCatalogOption(y.positional('name', { type: 'string', describe: 'a pattern name' })).option('markdown', {
      type: 'boolean',
      default: false,
      describe: 'print the reference as Markdown (with --catalog: the team\'s patterns, e.g. > docs/team-patterns.md)',
    }),
  async run(args, io) {
    if (args.markdown) {
      const { patternsMarkdown, teamPatternsMarkdown } = await import('../../docs/patterns.js');
      const dirs = catalogDirs(args);
      io.out((dirs.length ? await teamPatternsMarkdown(dirs) : await patternsMarkdown()).trimEnd());
      return 0;
    }
    const { loadCatalog } = await import('../../catalog/catalog.js');
    const { loadTeamCatalogFolders } = await import('../../catalog/team.js');
    const { diskFiles } = await import('../../plan/files.js');
    const catalog = loadCatalog();
    const team = loadTeamCatalogFolders(catalogDirs(args), diskFiles, catalog);
    const name = args.name as string | undefined;
    if (!name) {
      const width = Math.max(...[...catalog.keys(), ...team.keys()].map((k) => k.length));
      for (const def of catalog.values()) io.out(`${def.name.padEnd(width)}  ${def.summary}`);
      if (team.size) {
        io.out('');
        io.out('Team patterns:');
        for (const def of team.values()) io.out(`${def.name.padEnd(width)}  ${def.summary} [team: ${def.file}]`);
      }
      io.out('');
      io.out('pgrant patterns NAME shows a pattern\'s parameters and an example.');
      return 0;
    }
    const def = catalog.get(name) ?? team.get(name);
    if (!def) {
      const known = [...catalog.keys(), ...team.keys()];
      throw new UserError({ level: 'error', path: '', message: `unknown pattern "${name}"`, hint: didYouMean(name, known) ?? `patterns: ${known.join(', ')}` });
    }
    io.out(`${def.name}: ${def.summary}`);
    if ('team' in def) io.out(`Team pattern, from ${def.file}`);
    if (def.description.trim()) {
      io.out('');
      for (const line of def.description.trim().split('\n')) io.out(line);
    }
    showParameters(def, io);
    if ('team' in def) showExpansion(def, io);
    const example = 'team' in def ? (def.example ?? teamExample(def)) : def.example;
    io.out('\nExample:');
    for (const line of example.trimEnd().split('\n')) io.out(`  ${line}`);
    return 0;
  },
};

function showParameters(def: PatternDef | TeamPatternDef, io: Io): void {
  io.out('\nParameters:');
  const width = Math.max(4, ...Object.keys(def.parameters).map((k) => k.length));
  for (const [key, p] of Object.entries(def.parameters)) {
    io.out(`  ${key.padEnd(width)}  ${p.typeExpr}${p.required ? ', required' : ''}${showDefault(p.default)}: ${p.doc}`);
  }
  io.out(`  ${'mode'.padEnd(width)}  authoritative | additive (default: "authoritative"): whether deploy.sql also revokes what the plan no longer grants`);
}

/** The instances a team pattern stands for, as its file writes them. */
function showExpansion(def: TeamPatternDef, io: Io): void {
  io.out('\nExpands to:');
  const node = def.source.nodeAt(['expands']);
  const [start, , end] = node?.range ?? [0, 0, 0];
  const lineStart = def.source.text.lastIndexOf('\n', start) + 1;
  for (const line of def.source.text.slice(lineStart, end).trimEnd().split('\n')) io.out(`  ${line}`);
}

/** A minimal instance when the file gives no example: the required parameters, to fill in. */
function teamExample(def: TeamPatternDef): string {
  const required = Object.entries(def.parameters).filter(([, p]) => p.required);
  return [`- pattern: ${def.name}`, ...required.map(([key, p]) => `  ${key}: …  # ${p.typeExpr}: ${p.doc}`)].join('\n');
}
