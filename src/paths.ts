// Where pgrant's own files live: the package root holds patterns/ and templates/ beside dist/.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/paths.js → the package root (also right for src/paths.ts under vitest). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function packagePath(...parts: string[]): string {
  return join(root, ...parts);
}

let version: string | undefined;

export function pgrantVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
