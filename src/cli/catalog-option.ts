// `--catalog DIR`: folders of team pattern files, on the commands that read plans or the catalog.
import type { Argv } from 'yargs';

export function withCatalogOption(y: Argv): Argv {
  return y.option('catalog', {
    type: 'string',
    requiresArg: true,
    describe: 'a folder of team pattern files (repeat for several); added to each plan\'s own catalog: folders',
  });
}

/** The --catalog folders given (the option may be repeated). */
export function catalogDirs(args: Record<string, unknown>): string[] {
  const value = args.catalog;
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Makes every plan this command loads use the --catalog folders (set per run: tests run commands in one process). */
export async function useCatalogOption(args: Record<string, unknown>): Promise<void> {
  const { setCommandLineCatalogs } = await import('../plan/load.js');
  setCommandLineCatalogs(catalogDirs(args));
}
