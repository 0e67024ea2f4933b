// Templates from source: strict and unescaped, checked before they are compiled: a template can emit a
// value only through an escaping helper, or it does not compile. `npm run build` runs this check and
// compiles every template into JavaScript (codegen.ts, precompileTemplates); pgrant itself then loads the
// compiled functions (template-runtime.ts), and this module only when it runs from source (tests) or for
// a template directory of its own. Handlebars' own compiler is kept as the reference the generated code
// is compared with (handlebarsTemplates).
import Handlebars, { type HelperOptions, type RuntimeOptions } from 'handlebars';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILTIN_BLOCKS, MARKDOWN_HELPERS, SQL_BLOCK_HELPERS, SQL_HELPERS, TEXT_HELPERS } from './helpers.js';
import { packagePath } from '../paths.js';
import { flattened, templateRuntime, type Template, type TemplateFactory, type TemplateSet } from './template-runtime.js';
import { generateTemplate } from './codegen.js';
import { TemplateError } from './template-error.js';
import { checkNameResolution, PIN_PARTIAL } from './name-resolution.js';

export type { Template, TemplateSet } from './template-runtime.js';
export { TemplateError } from './template-error.js';

type AST = hbs.AST.Node;

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
export function checkTemplate(file: string, source: string, partials: ReadonlySet<string>, options: { topLevel?: boolean } = {}): hbs.AST.Program {
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
  if (flavor === 'sql') checkNameResolution(file, source, ast, options.topLevel ?? false);
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
  /** Path relative to the package, for messages: `templates/deploy.sql.hbs`. */
  file: string;
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
    const shown = relative(packagePath(), file);
    // A template set with the pin partial (pgrant's own) pins every whole file with it.
    const ast = checkTemplate(shown, source, partials, { topLevel: partialName(file) === undefined && partials.has(PIN_PARTIAL) });
    return { rel: relative(dir, file).split('\\').join('/').replace(/\.hbs$/, ''), file: shown, partial: partialName(file), source, ast };
  });
}

/** What the generated code may call: the helpers and block helpers the check allows. */
const CODEGEN_NAMES = {
  helpers: new Set([...Object.keys(SQL_HELPERS), ...Object.keys(MARKDOWN_HELPERS), ...Object.keys(TEXT_HELPERS)]),
  blockHelpers: new Set(Object.keys(SQL_BLOCK_HELPERS)),
};

/** Loads every template under `dir`, checked, and compiles them as the build does (codegen.ts). */
export function loadTemplates(dir = packagePath('templates')): TemplateSet {
  const templates: Record<string, () => TemplateFactory> = {};
  const partials: Record<string, () => TemplateFactory> = {};
  for (const t of checkedTemplates(dir)) {
    // The build writes the same code into a module (precompileTemplates); here it is compiled in place.
    const factory = new Function('rt', compiledCode(t.file, t.ast)) as TemplateFactory;
    if (t.partial) partials[t.partial] = () => factory;
    else templates[t.rel] = () => factory;
  }
  return templateRuntime(templates, partials);
}

/** Compile options for Handlebars' own compiler: strict, no HTML escaping, partials not indented. */
const HANDLEBARS_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: false, preventIndent: true } as const;

/**
 * Every template under `dir`, checked, compiled by Handlebars' own compiler and run by its runtime: the
 * reference that the generated code must match byte for byte (test/precompiled.test.ts).
 */
export function handlebarsTemplates(dir = packagePath('templates')): TemplateSet {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries({ ...SQL_HELPERS, ...MARKDOWN_HELPERS, ...TEXT_HELPERS })) {
    // Handlebars passes its options object last; helpers see only their own arguments.
    hb.registerHelper(name, (...args: unknown[]) => fn(...args.slice(0, -1)));
  }
  for (const [name, fn] of Object.entries(SQL_BLOCK_HELPERS)) hb.registerHelper(name, fn);
  // Each iteration flattened, as the generated code does: the same text either way, less memory.
  const each = hb.helpers.each!;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: HelperOptions) {
    const fn = options.fn;
    return each.call(this, context, { ...options, fn: (value: unknown, frame?: RuntimeOptions) => flattened(fn(value, frame)) });
  });
  const top = new Map<string, Template>();
  for (const t of checkedTemplates(dir)) {
    if (t.partial) hb.registerPartial(t.partial, hb.compile(t.ast, HANDLEBARS_OPTIONS));
    else top.set(t.rel, hb.compile(t.ast, HANDLEBARS_OPTIONS));
  }
  const get = (name: string): Template => {
    const t = top.get(name);
    if (!t) throw new Error(`no template ${name}`);
    return t;
  };
  return { get, write: (name, context, sink) => sink(Buffer.from(get(name)(context), 'utf8')), names: () => [...top.keys()] };
}

/** The JavaScript for one template (a function body of `rt`), from its source text or its checked AST. */
export function compiledCode(file: string, input: string | hbs.AST.Program): string {
  return generateTemplate(file, typeof input === 'string' ? Handlebars.parse(input) : input, CODEGEN_NAMES);
}

/** The module written for one template: a CommonJS module exporting its factory (template-runtime.ts). */
export function compiledModule(rel: string, code: string): string {
  return `// Compiled from templates/${rel}.hbs by scripts/precompile.js: do not edit.\nmodule.exports = function (rt) {\n${code}\n};\n`;
}

/**
 * What `npm run build` writes into dist/templates/: one module per template (`deploy.sql.cjs`,
 * `partials/role.sql.cjs`) and `index.cjs`, which lists them. Throws TemplateError like loadTemplates
 * when a template fails the check.
 */
export function precompileTemplates(dir = packagePath('templates')): Map<string, string> {
  const templates = checkedTemplates(dir);
  const files = new Map<string, string>();
  const req = (t: CheckedTemplate) => `() => require(${JSON.stringify(`./${t.rel}.cjs`)})`;
  const index = ['// The templates compiled by scripts/precompile.js: do not edit.', 'module.exports = {', '  templates: {'];
  for (const t of templates) {
    files.set(`${t.rel}.cjs`, compiledModule(t.rel, compiledCode(t.file, t.ast)));
    if (!t.partial) index.push(`    ${JSON.stringify(t.rel)}: ${req(t)},`);
  }
  index.push('  },', '  partials: {');
  for (const t of templates) if (t.partial) index.push(`    ${JSON.stringify(t.partial)}: ${req(t)},`);
  index.push('  },', '};', '');
  files.set('index.cjs', index.join('\n'));
  return files;
}
