// Where pgrant's own files live: the package root holds patterns/ and templates/ beside dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the first folder up from this module with a package.json. This module runs as
 * src/paths.ts (tests), dist/paths.js, or inside dist/bundle/ (the CLI, scripts/bundle.js).
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`pgrant: no package.json above ${from}`);
  }
}

const root = packageRoot(dirname(fileURLToPath(import.meta.url)));

export function packagePath(...parts: string[]): string {
  return join(root, ...parts);
}

let version: string | undefined;

export function pgrantVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
