// Templates from source: strict and unescaped, checked before they are compiled: a template can emit a
// value only through an escaping helper, or it does not compile. `npm run build` runs this check and
// Handlebars' compiler on every template (precompileTemplates); pgrant itself then loads the compiled
// functions (template-runtime.ts), and this module only when it runs from source (tests) or for a
// template directory of its own.
import Handlebars from 'handlebars';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILTIN_BLOCKS, MARKDOWN_HELPERS, SQL_BLOCK_HELPERS, SQL_HELPERS, TEXT_HELPERS } from './helpers.js';
import { packagePath } from '../paths.js';
import { TEMPLATE_OPTIONS, templateEnvironment, type Template, type TemplateSet } from './template-runtime.js';

export type { Template, TemplateSet } from './template-runtime.js';

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
 * a bare or triple-stash mustache, an unknown helper, a dynamic partial, a decorator. Returns the AST it
 * checked, which is what gets compiled.
 */
export function checkTemplate(file: string, source: string, partials: ReadonlySet<string>): hbs.AST.Program {
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
  return ast;
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

/** A template file found under a templates directory, checked and parsed. */
interface CheckedTemplate {
  /** Path relative to the directory, without `.hbs`: `deploy.sql`, `partials/role.sql`. */
  rel: string;
  /** Partial name (`partials/role.sql.hbs` → `role`), or undefined for a top-level template. */
  partial: string | undefined;
  source: string;
  ast: hbs.AST.Program;
}

/**
 * Every template under `dir`, each checked: files in `partials/` (at any depth) become partials named by
 * their path below it without extension (`partials/role.sql.hbs` → `role`), the rest are top-level templates.
 */
function checkedTemplates(dir: string): CheckedTemplate[] {
  const files = listTemplates(dir);
  const partialName = (file: string): string | undefined => {
    const rel = relative(dir, file).split('\\').join('/');
    const m = /(?:^|\/)partials\/(.+)\.(sql|md|conf|plan)\.hbs$/.exec(rel);
    return m ? `${rel.startsWith('partials/') ? '' : rel.slice(0, rel.indexOf('/partials/')) + '/'}${m[1]}` : undefined;
  };
  const partials = new Set(files.map(partialName).filter((n): n is string => n !== undefined));
  return files.map((file) => {
    const source = readFileSync(file, 'utf8');
    const ast = checkTemplate(relative(packagePath(), file), source, partials);
    return { rel: relative(dir, file).split('\\').join('/').replace(/\.hbs$/, ''), partial: partialName(file), source, ast };
  });
}

/** Loads every template under `dir`, checked, and compiles them with Handlebars' compiler. */
export function loadTemplates(dir = packagePath('templates')): TemplateSet {
  const hb = Handlebars.create();
  templateEnvironment(hb);
  const top = new Map<string, Template>();
  for (const t of checkedTemplates(dir)) {
    if (t.partial) hb.registerPartial(t.partial, hb.compile(t.ast, TEMPLATE_OPTIONS));
    else top.set(t.rel, hb.compile(t.ast, TEMPLATE_OPTIONS));
  }
  return {
    get(name) {
      const t = top.get(name);
      if (!t) throw new Error(`no template ${name}`);
      return t;
    },
    names: () => [...top.keys()],
  };
}

/** The partials a template names, in order of first use. */
function partialsNamed(node: hbs.AST.Node | undefined | null, into = new Set<string>()): Set<string> {
  if (!node) return into;
  if (node.type === 'Program') for (const n of (node as hbs.AST.Program).body) partialsNamed(n, into);
  if (node.type === 'BlockStatement') {
    partialsNamed((node as hbs.AST.BlockStatement).program, into);
    partialsNamed((node as hbs.AST.BlockStatement).inverse, into);
  }
  if (node.type === 'PartialStatement') into.add(((node as hbs.AST.PartialStatement).name as hbs.AST.PathExpression).original);
  return into;
}

/** Handlebars' JavaScript for one template, compiled from `input` (its source text or its checked AST). */
export function compiledCode(input: string | hbs.AST.Program): string {
  return String(Handlebars.precompile(input, TEMPLATE_OPTIONS));
}

/** The module written for one template: a CommonJS module exporting Handlebars' template specification. */
export function compiledModule(rel: string, code: string): string {
  return `// Compiled from templates/${rel}.hbs by scripts/precompile.js: do not edit.\nmodule.exports = ${code};\n`;
}

/**
 * What `npm run build` writes into dist/templates/: one module per template (`deploy.sql.cjs`,
 * `partials/role.sql.cjs`) and `index.cjs`, which lists them and, for each top-level template, every
 * partial it needs. Throws TemplateError like loadTemplates when a template fails the check.
 */
export function precompileTemplates(dir = packagePath('templates')): Map<string, string> {
  const templates = checkedTemplates(dir);
  const files = new Map<string, string>();
  const byPartial = new Map(templates.filter((t) => t.partial).map((t) => [t.partial!, t]));
  /** Partials used by a template, and by the partials it uses, transitively. */
  const closure = (t: CheckedTemplate, into = new Set<string>()): Set<string> => {
    for (const p of partialsNamed(t.ast)) {
      if (into.has(p)) continue;
      into.add(p);
      closure(byPartial.get(p)!, into);
    }
    return into;
  };
  const req = (t: CheckedTemplate) => `() => require(${JSON.stringify(`./${t.rel}.cjs`)})`;
  const index = ['// The templates compiled by scripts/precompile.js: do not edit.', 'module.exports = {', '  templates: {'];
  for (const t of templates) {
    files.set(`${t.rel}.cjs`, compiledModule(t.rel, compiledCode(t.ast)));
    if (!t.partial) index.push(`    ${JSON.stringify(t.rel)}: { partials: ${JSON.stringify([...closure(t)].sort())}, load: ${req(t)} },`);
  }
  index.push('  },', '  partials: {');
  for (const t of templates) if (t.partial) index.push(`    ${JSON.stringify(t.partial)}: ${req(t)},`);
  index.push('  },', '};', '');
  files.set('index.cjs', index.join('\n'));
  return files;
}
