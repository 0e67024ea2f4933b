// What rendering needs at run time: the Handlebars runtime (no parser, no compiler), pgrant's helpers,
// and the templates precompiled by `npm run build` (scripts/precompile.js) into dist/templates/.
// Templates are checked for escaping before they are compiled (render/engine.ts); compiling them at
// build time moves that check there too, so a run loads only the compiled functions it uses.
import HandlebarsRuntime from 'handlebars/runtime.js';
import type { HelperOptions, RuntimeOptions } from 'handlebars';
import { createRequire } from 'node:module';
import { MARKDOWN_HELPERS, SQL_BLOCK_HELPERS, SQL_HELPERS, TEXT_HELPERS } from './helpers.js';

type FullHandlebars = typeof import('handlebars');
/** The runtime is Handlebars without its parser and compiler (its own typings declare nothing). */
const Handlebars = HandlebarsRuntime as unknown as Pick<FullHandlebars, 'create' | 'registerHelper' | 'registerPartial' | 'template'>;
type TemplateSpecification = Parameters<FullHandlebars['template']>[0];

/** Compile options, the same at build time and when compiling from source: strict, no HTML escaping. */
export const TEMPLATE_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: false, preventIndent: true } as const;

export type Template = (context: unknown) => string;

export interface TemplateSet {
  /** Top-level templates by name relative to the templates directory, without `.hbs`: `deploy.sql`, `ACCESS.md`. */
  get(name: string): Template;
  names(): string[];
}

/** The Handlebars environment all templates run in: pgrant's helpers and nothing else. */
export function templateEnvironment(hb: Pick<FullHandlebars, 'registerHelper' | 'helpers'>): void {
  for (const [name, fn] of Object.entries({ ...SQL_HELPERS, ...MARKDOWN_HELPERS, ...TEXT_HELPERS })) {
    // Handlebars passes its options object last; helpers see only their own arguments. Helpers run for
    // every value of a large plan: the usual one or two arguments are passed without copying the list.
    hb.registerHelper(name, (...args: unknown[]) => (args.length === 2 ? fn(args[0]) : args.length === 3 ? fn(args[0], args[1]) : fn(...args.slice(0, -1))));
  }
  for (const [name, fn] of Object.entries(SQL_BLOCK_HELPERS)) hb.registerHelper(name, fn);
  flattenEachIteration(hb);
}

/**
 * Handlebars' own {{#each}}, with each iteration's text flattened before it is appended. A template's
 * text is built by concatenation, which V8 keeps as a tree of pieces (dozens of small objects per line);
 * on a large plan every piece stays alive until the file is complete, and the garbage collector copies
 * them all, again and again. One flat string per iteration is a fraction of the objects; same text.
 */
function flattenEachIteration(hb: Pick<FullHandlebars, 'registerHelper' | 'helpers'>): void {
  const each = hb.helpers.each!;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: HelperOptions) {
    const fn = options.fn;
    return each.call(this, context, { ...options, fn: (value: unknown, frame?: RuntimeOptions) => flattened(fn(value, frame)) });
  });
}

/** `text` as one flat string: searching a string makes V8 copy its pieces into one, in place. */
export function flattened(text: string): string {
  text.indexOf('\0');
  return text;
}

/** dist/templates/index.cjs, written by scripts/precompile.js. */
export interface CompiledIndex {
  /** Top-level template → its compiled spec, and every partial it uses (directly or through another partial). */
  templates: Record<string, { partials: string[]; load: () => TemplateSpecification }>;
  partials: Record<string, () => TemplateSpecification>;
}

/**
 * The precompiled templates in `indexFile` (CommonJS, so that loading one is a synchronous require).
 * A template and its partials are loaded the first time the template is asked for.
 */
export function loadCompiledTemplates(indexFile: string): TemplateSet {
  let index: CompiledIndex;
  try {
    index = createRequire(import.meta.url)(indexFile) as CompiledIndex;
  } catch (e) {
    throw new Error(`the compiled templates are missing (${indexFile}): run "npm run build"`, { cause: e });
  }
  const hb = Handlebars.create();
  templateEnvironment(hb);
  const loaded = new Map<string, Template>();
  const registered = new Set<string>();
  return {
    get(name) {
      let t = loaded.get(name);
      if (t) return t;
      const entry = index.templates[name];
      if (!entry) throw new Error(`no template ${name}`);
      for (const p of entry.partials) {
        if (registered.has(p)) continue;
        hb.registerPartial(p, hb.template(index.partials[p]!()));
        registered.add(p);
      }
      t = hb.template(entry.load()) as Template;
      loaded.set(name, t);
      return t;
    },
    names: () => Object.keys(index.templates),
  };
}
