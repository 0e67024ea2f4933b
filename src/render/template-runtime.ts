// What rendering needs at run time: pgrant's helpers and the templates compiled by `npm run build`
// (scripts/precompile.js) into dist/templates/ — JavaScript generated from each checked template by
// render/codegen.ts. Handlebars itself is build-time code: it parses and checks the templates there.
import { createRequire } from 'node:module';
import { dollarTag, MARKDOWN_HELPERS, SQL_HELPERS, TEXT_HELPERS } from './helpers.js';

export type Template = (context: unknown) => string;

export interface TemplateSet {
  /** Top-level templates by name relative to the templates directory, without `.hbs`: `deploy.sql`, `ACCESS.md`. */
  get(name: string): Template;
  /**
   * The template's text as UTF-8, handed to `sink` in pieces as it is rendered: a large file is written
   * to disk as it goes, never held whole.
   */
  write(name: string, context: unknown, sink: ByteSink): void;
  names(): string[];
}

/** Receives a rendered file's UTF-8 bytes, piece by piece, in order. */
export type ByteSink = (bytes: Uint8Array) => void;

/** Text is collected in pieces of about this many characters. */
const PIECE = 1 << 16;

/**
 * Where a template writes its text, in pieces: each piece is joined once it is large enough, then kept
 * (text) or encoded and handed on (bytes). A large file never exists as millions of small strings, which
 * the garbage collector would copy again and again, and its bytes need not all be held at once.
 */
export class TemplateOutput {
  private pending = '';
  private readonly pieces: string[] = [];

  /** Without a sink, the text is kept for text(); with one, each piece goes to it as UTF-8. */
  constructor(private readonly sink?: ByteSink) {}

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= PIECE) this.cut();
  }

  /** Hands on (or keeps) what was written so far. */
  cut(): void {
    if (!this.pending) return;
    if (this.sink) this.sink(Buffer.from(this.pending, 'utf8'));
    else this.pieces.push(flattened(this.pending));
    this.pending = '';
  }

  text(): string {
    this.cut();
    return this.pieces.join(''); // join makes one flat string
  }

  /** The text written, in its pieces (an output without a sink). */
  textPieces(): readonly string[] {
    this.cut();
    return this.pieces;
  }
}

type Helper = (...args: unknown[]) => string;
/** A block helper as generated code calls it: its block's text was written to `body`; it writes to `out`. */
type BlockWriter = (body: TemplateOutput, out: TemplateOutput) => void;
/** A compiled template's function: writes the template for `context` (and @root) to `out`. */
export type TemplateWriter = (context: unknown, root: unknown, out: TemplateOutput) => void;
/** A compiled template: given the runtime, its function. */
export type TemplateFactory = (rt: TemplateRuntime) => TemplateWriter;

/** What generated template code calls (render/codegen.ts). */
export interface TemplateRuntime {
  helper(name: string): Helper;
  blockHelper(name: string): BlockWriter;
  partial(name: string): TemplateWriter;
  /** {{#if}}: false, null, undefined, 0, "", NaN and an empty list are false, as in Handlebars. */
  truthy(value: unknown): boolean;
  /** {{#with}}: Handlebars' isEmpty. */
  isEmpty(value: unknown): boolean;
  /** {{#each}}: the list to repeat over; nothing to repeat for a missing or scalar value. */
  eachList(value: unknown): readonly unknown[];
  /** A string output, for block helpers that need their block's text. */
  output(): TemplateOutput;
}

/** The helpers every template may call: the escaping check (engine.ts) decides which per kind of file. */
const HELPERS: Record<string, Helper> = { ...SQL_HELPERS, ...MARKDOWN_HELPERS, ...TEXT_HELPERS };

/**
 * The block helpers of helpers.ts (SQL_BLOCK_HELPERS), as generated code calls them: the block's text
 * is passed on in its pieces, not joined into one string and copied again (a converge block of a large
 * plan is megabytes). test/unit/codegen.test.ts checks each against its helpers.ts version.
 */
export const BLOCK_WRITERS: Record<string, BlockWriter> = {
  /** {{#do}}…{{/do}} → DO $tag$ … $tag$; with a tag that the body cannot contain (helpers.ts, dollarQuote). */
  do(body, out) {
    const pieces = body.textPieces();
    const tag = dollarTag((t) => piecesInclude(pieces, t));
    out.write(`DO ${tag}\n`);
    for (const piece of pieces) out.write(piece);
    out.write(`${pieces.at(-1)?.endsWith('\n') ? '' : '\n'}${tag};\n`);
  },
};

/** Whether text cut into pieces contains `s`, within a piece or across the cut between two. */
function piecesInclude(pieces: readonly string[], s: string): boolean {
  let carry = '';
  for (const piece of pieces) {
    if ((carry + piece.slice(0, s.length - 1)).includes(s) || piece.includes(s)) return true;
    carry = (carry + piece).slice(-(s.length - 1));
  }
  return false;
}

/**
 * `text` as one flat string. Text built by concatenation is a tree of pieces in V8 (about 13 bytes per
 * character for short appends); reading a character of it makes V8 copy the pieces into one string and
 * keep only that. (`indexOf` flattens into a copy and leaves the tree: it does not do this.)
 */
export function flattened(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** Each template's function, made from its factory the first time it is asked for. */
function loadOnce(kind: string, factories: Record<string, () => TemplateFactory>, rt: TemplateRuntime): (name: string) => TemplateWriter {
  const made = new Map<string, TemplateWriter>();
  return (name) => {
    let w = made.get(name);
    if (!w) {
      const load = factories[name];
      if (!load) throw new Error(`no ${kind} ${name}`);
      made.set(name, (w = load()(rt)));
    }
    return w;
  };
}

/**
 * A runtime over compiled templates: `templates` and `partials` give each one's factory (loaded the
 * first time it is used).
 */
export function templateRuntime(templates: Record<string, () => TemplateFactory>, partials: Record<string, () => TemplateFactory>): TemplateSet {
  const rt: TemplateRuntime = {
    helper(name) {
      const h = HELPERS[name];
      if (!h) throw new Error(`no template helper ${name}`);
      return h;
    },
    blockHelper(name) {
      const h = BLOCK_WRITERS[name];
      if (!h) throw new Error(`no template block helper ${name}`);
      return h;
    },
    partial: (name) => partial(name),
    truthy: (v) => !(!v || (Array.isArray(v) && v.length === 0)),
    isEmpty: (v) => (!v && v !== 0) || (Array.isArray(v) && v.length === 0),
    eachList(v) {
      if (Array.isArray(v)) return v;
      if (v && typeof v === 'object') throw new Error('{{#each}} over something that is not a list: pgrant templates repeat over lists only');
      return [];
    },
    output: () => new TemplateOutput(),
  };
  const partial = loadOnce('partial', partials, rt);
  const writer = loadOnce('template', templates, rt);
  const render = (name: string, context: unknown, out: TemplateOutput): TemplateOutput => {
    writer(name)(context, context, out);
    out.cut();
    return out;
  };
  return {
    get(name) {
      writer(name);
      return (context) => render(name, context, new TemplateOutput()).text();
    },
    write: (name, context, sink) => void render(name, context, new TemplateOutput(sink)),
    names: () => Object.keys(templates),
  };
}

/** dist/templates/index.cjs, written by scripts/precompile.js. */
export interface CompiledIndex {
  templates: Record<string, () => TemplateFactory>;
  partials: Record<string, () => TemplateFactory>;
}

/** The templates compiled into `indexFile` (CommonJS, so that loading one is a synchronous require). */
export function loadCompiledTemplates(indexFile: string): TemplateSet {
  let index: CompiledIndex;
  try {
    index = createRequire(import.meta.url)(indexFile) as CompiledIndex;
  } catch (e) {
    throw new Error(`the compiled templates are missing (${indexFile}): run "npm run build"`, { cause: e });
  }
  return templateRuntime(index.templates, index.partials);
}
