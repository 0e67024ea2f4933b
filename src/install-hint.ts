// How pgrant was installed decides how a message tells to add a package beside it: `npm install
// --save-dev` in a project (or a clone of this repository), `npm install -g` for a global install.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { packagePath } from './paths.js';

export type InstallKind = { kind: 'project' } | { kind: 'global'; prefix: string };

/**
 * A global install lives in <prefix>/lib/node_modules/pgrant, and <prefix>/lib is not a project (no
 * package.json); anything else is a project's node_modules or a clone.
 */
export function installKind(root = packagePath()): InstallKind {
  const modules = dirname(root);
  const lib = dirname(modules);
  if (basename(modules) === 'node_modules' && basename(lib) === 'lib' && !existsSync(join(lib, 'package.json'))) {
    return { kind: 'global', prefix: dirname(lib) };
  }
  return { kind: 'project' };
}

/** npm's own global prefix when none is configured: the folder above node's bin/. */
function defaultPrefix(): string {
  return dirname(dirname(process.execPath));
}

/** The npm command that installs `specs` where this pgrant finds them. */
export function npmInstall(specs: string[], install: InstallKind = installKind()): string {
  if (install.kind === 'project') return `npm install --save-dev ${specs.join(' ')}`;
  const quoted = /^[\w./-]+$/.test(install.prefix) ? install.prefix : `'${install.prefix.replaceAll("'", "'\\''")}'`;
  const prefix = install.prefix === defaultPrefix() ? '' : ` --prefix ${quoted}`;
  return `npm install -g${prefix} ${specs.join(' ')}`;
}
