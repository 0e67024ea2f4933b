// One Handlebars instance, strict and unescaped, whose templates are checked when they are loaded:
// a template can emit a value only through an escaping helper, or it does not load.
import Handlebars from 'handlebars';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILTIN_BLOCKS, MARKDOWN_HELPERS, SQL_BLOCK_HELPERS, SQL_HELPERS, TEXT_HELPERS } from './helpers.js';
import { packagePath } from '../paths.js';

type AST = hbs.AST.Node;

export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(`${file}:${line}:${col}: ${message}`);
    this.name = 'TemplateError';
  }
}

type Flavor = 'sql' | 'md' | 'text';

/**
 * Helpers whose output psql reads back as exactly the value in a meta-command's arguments (\\echo, \\connect,
 * \\set, \\if, \\gset …): psql expands variables and backquoted shell commands there, so nothing else may go in.
 */
export const PSQL_QUOTING_HELPERS: ReadonlySet<string> = new Set(['psqlarg', 'connect', 'psqlvar', 'psqlvar-defined']);

/**
 * A psql meta-command starts on this line before `column`: a backslash and a letter outside SQL quotes
 * (psql reads one anywhere in a line, `SELECT … \\gset` too). Lines that are SQL comments are not.
 */
export function inMetaCommand(line: string, column: number): boolean {
  const before = line
    .slice(0, column)
    .replace(/\{\{[^}]*\}\}/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
  return !/^\s*--/.test(before) && /\\[A-Za-z]/.test(before);
}

function flavorOf(file: string): Flavor {
  if (file.endsWith('.sql.hbs')) return 'sql';
  if (file.endsWith('.md.hbs')) return 'md';
  if (file.endsWith('.conf.hbs') || file.endsWith('.plan.hbs')) return 'text';
  throw new Error(`template ${file}: name must end in .sql.hbs, .md.hbs, .conf.hbs or .plan.hbs`);
}

function helpersFor(flavor: Flavor): ReadonlySet<string> {
  return new Set(Object.keys(flavor === 'sql' ? SQL_HELPERS : flavor === 'md' ? MARKDOWN_HELPERS : TEXT_HELPERS));
}

/**
 * Walks a template's AST and throws at the first construct that could emit a value without escaping:
 * a bare or triple-stash mustache, an unknown helper, a dynamic partial, a decorator.
 */
export function checkTemplate(file: string, source: string, partials: ReadonlySet<string>): void {
  const flavor = flavorOf(file);
  const escaping = helpersFor(flavor);
  const blocks = new Set([...BUILTIN_BLOCKS, ...(flavor === 'sql' ? Object.keys(SQL_BLOCK_HELPERS) : [])]);
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (e) {
    const m = /line (\d+)/.exec(String(e));
    throw new TemplateError(file, m ? Number(m[1]) : 1, 1, `does not parse: ${String((e as Error).message).split('\n')[0]}`);
  }
  const lines = source.split('\n');
  const fail = (node: AST, message: string): never => {
    throw new TemplateError(file, node.loc.start.line, node.loc.start.column + 1, message);
  };
  const checkParams = (node: AST, params: hbs.AST.Expression[], hash: hbs.AST.Hash | undefined): void => {
    for (const p of [...params, ...(hash?.pairs.map((pair: hbs.AST.HashPair) => pair.value) ?? [])]) {
      if (p.type === 'SubExpression') fail(node, 'sub-expressions are not allowed: compute the value in the view');
    }
  };
  const walk = (node: AST | undefined | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach(walk);
        return;
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (!m.escaped) fail(node, 'triple-stash {{{…}}} is not allowed: emit values through an escaping helper');
        const name = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
        if (!escaping.has(name)) {
          fail(
            node,
            m.params.length === 0
              ? `bare mustache {{${name}}} is not allowed: write {{ident …}}, {{literal …}} or another escaping helper`
              : `unknown helper "${name}": allowed are ${[...escaping].join(', ')}`,
          );
        }
        if (m.params.length === 0) fail(node, `helper "${name}" needs a value`);
        if (flavor === 'sql' && inMetaCommand(lines[node.loc.start.line - 1] ?? '', node.loc.start.column) && !PSQL_QUOTING_HELPERS.has(name)) {
          fail(node, `{{${name} …}} in a psql meta-command: psql runs backquoted text there as a shell command; use ${[...PSQL_QUOTING_HELPERS].join(', ')}`);
        }
        checkParams(node, m.params, m.hash);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const name = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
        if (!blocks.has(name)) fail(node, `unknown block helper "${name}": allowed are ${[...blocks].join(', ')}`);
        checkParams(node, b.params, b.hash);
        walk(b.program);
        walk(b.inverse);
        return;
      }
      case 'PartialStatement': {
        const p = node as hbs.AST.PartialStatement;
        if (p.name.type !== 'PathExpression') fail(node, 'dynamic partial names are not allowed');
        const name = (p.name as hbs.AST.PathExpression).original;
        if (!partials.has(name)) fail(node, `unknown partial "${name}"`);
        checkParams(node, p.params, p.hash);
        return;
      }
      default:
        fail(node, `${node.type} is not allowed in pgrant templates`);
    }
  };
  walk(ast);
}

function listTemplates(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...listTemplates(path));
    else if (entry.endsWith('.hbs')) files.push(path);
  }
  return files;
}

export type Template = (context: unknown) => string;

export interface TemplateSet {
  /** Top-level templates by name relative to the directory, without `.hbs`: `deploy.sql`, `ACCESS.md`. */
  get(name: string): Template;
  names(): string[];
}

/**
 * Loads every template under `dir`: files in `partials/` (at any depth) become partials named by their
 * path below it without extension (`partials/role.sql.hbs` → `role`), the rest are top-level templates.
 */
export function loadTemplates(dir = packagePath('templates')): TemplateSet {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries({ ...SQL_HELPERS, ...MARKDOWN_HELPERS, ...TEXT_HELPERS })) {
    // Handlebars passes its options object last; helpers see only their own arguments.
    hb.registerHelper(name, (...args: unknown[]) => fn(...args.slice(0, -1)));
  }
  for (const [name, fn] of Object.entries(SQL_BLOCK_HELPERS)) hb.registerHelper(name, fn);
  const files = listTemplates(dir);
  const partialName = (file: string): string | undefined => {
    const rel = relative(dir, file).split('\\').join('/');
    const m = /(?:^|\/)partials\/(.+)\.(sql|md|conf|plan)\.hbs$/.exec(rel);
    return m ? `${rel.startsWith('partials/') ? '' : rel.slice(0, rel.indexOf('/partials/')) + '/'}${m[1]}` : undefined;
  };
  const partials = new Set(files.map(partialName).filter((n): n is string => n !== undefined));
  const top = new Map<string, Template>();
  const options = { noEscape: true, strict: true, knownHelpersOnly: false, preventIndent: true } as const;
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const shown = relative(packagePath(), file);
    checkTemplate(shown, source, partials);
    const pname = partialName(file);
    if (pname) hb.registerPartial(pname, hb.compile(source, options));
    else top.set(relative(dir, file).replace(/\.hbs$/, ''), hb.compile(source, options));
  }
  return {
    get(name) {
      const t = top.get(name);
      if (!t) throw new Error(`no template ${name}`);
      return t as Template;
    },
    names: () => [...top.keys()],
  };
}
