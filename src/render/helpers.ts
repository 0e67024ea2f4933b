// The only ways a template may emit a value: each helper escapes for its context and throws on
// undefined or null, so a missing value is a crash in our tests, never an empty SQL slot.
import { commentText, quoteIdent, quoteLiteral, quoteQualified } from '../sql/quote.js';
import { KEYWORDS } from '../sql/privileges.js';
import { PSQL_VARIABLE } from '../plan/plan-types.js';
import { ARGUMENT_TYPE } from '../catalog/expanders/common.js';
import { checkExpression } from '../sql/expression.js';
import { PUBLIC, type Target } from '../model/model.js';

type Helper = (...args: unknown[]) => string;

function present<T>(helper: string, value: T): NonNullable<T> {
  if (value === undefined || value === null) throw new Error(`template helper "${helper}" got ${String(value)}`);
  return value as NonNullable<T>;
}

function str(helper: string, value: unknown): string {
  const v = present(helper, value);
  if (typeof v !== 'string') throw new Error(`template helper "${helper}" expects a string, got ${typeof v}`);
  return v;
}

function list(helper: string, value: unknown): unknown[] {
  const v = present(helper, value);
  if (!Array.isArray(v)) throw new Error(`template helper "${helper}" expects a list`);
  return v;
}

function keyword(value: unknown): string {
  const word = str('keyword', value);
  if (!KEYWORDS.has(word)) throw new Error(`template helper "keyword": "${word}" is not an allowed SQL keyword`);
  return word;
}

const PSQL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "''", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The arguments of `\\connect` that reach exactly database `name`. psql reads \\connect's argument with
 * C-like escapes in single quotes, then strips SQL-identifier double quotes, then treats text with "=" as
 * a connection string: so the name goes into a connection string (conninfo quoting), that into an
 * identifier (double quotes), that into a single-quoted argument. Proven against psql by the fuzz tests.
 */
export function connectArguments(name: string): string {
  const conninfo = `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `-reuse-previous=on ${psqlArgument(`"${conninfo.replace(/"/g, '""')}"`)}`;
}

/** psql reads single-quoted meta-command arguments with C-like escapes: quote so it reads back the name. */
export function psqlArgument(value: string): string {
  const body = value.replace(/[\\'\u0000-\u001f\u007f]/g, (c) => PSQL_ESCAPES[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return `'${body}'`;
}

function psqlVariable(helper: string, v: unknown): string {
  const name = str(helper, v);
  if (!PSQL_VARIABLE.test(name)) throw new Error(`template helper "${helper}": "${name}" is not a psql variable name`);
  return name;
}

/** A role in a GRANT/REVOKE list: PUBLIC is the keyword, any other name an identifier. */
export function roleSpec(name: string): string {
  return name === PUBLIC ? 'PUBLIC' : quoteIdent(name);
}

function argumentType(value: string): string {
  if (!ARGUMENT_TYPE.test(value)) throw new Error(`template helper: "${value}" is not an argument type`);
  return value;
}

/** The object clause of GRANT/REVOKE for a target. */
export function onClause(t: Target): string {
  switch (t.kind) {
    case 'table':
      return `TABLE ${quoteQualified(t.schema, t.name)}`;
    case 'columns':
      return `TABLE ${quoteQualified(t.schema, t.table)}`;
    case 'all-tables':
      return `ALL TABLES IN SCHEMA ${quoteIdent(t.schema)}`;
    case 'sequence':
      return `SEQUENCE ${quoteQualified(t.schema, t.name)}`;
    case 'all-sequences':
      return `ALL SEQUENCES IN SCHEMA ${quoteIdent(t.schema)}`;
    case 'owned-sequences':
      // No single GRANT names them: partials/owned-sequences.sql.hbs finds them when the SQL runs.
      throw new Error('template helper: the sequences of a table are granted by the owned-sequences partial');
    case 'function':
      return `${t.routine} ${quoteQualified(t.schema, t.name)}(${t.args.map(argumentType).join(', ')})`;
    case 'all-functions':
      return `ALL ${t.routine === 'PROCEDURE' ? 'PROCEDURES' : 'FUNCTIONS'} IN SCHEMA ${quoteIdent(t.schema)}`;
    case 'schema':
      return `SCHEMA ${quoteIdent(t.name)}`;
    case 'database':
      return `DATABASE ${quoteIdent(t.name)}`;
  }
}

/** Privilege list; with a column target, each privilege carries the column list. */
function privilegeList(privileges: unknown, target: unknown): string {
  const words = list('privs', privileges).map(keyword);
  const t = target as Target | undefined;
  if (t && t.kind === 'columns') {
    const cols = t.columns.map(quoteIdent).join(', ');
    return words.map((w) => `${w} (${cols})`).join(', ');
  }
  return words.join(', ');
}

/** Picks a dollar-quote tag that does not occur in the body, so nothing inside can end the quote. */
export function dollarQuote(body: string, base = 'pgrant'): string {
  const tag = dollarTag((t) => body.includes(t), base);
  return `${tag}\n${body}${body.endsWith('\n') ? '' : '\n'}${tag}`;
}

/** The first of $pgrant$, $pgrant_1$, $pgrant_2$ … that the body does not contain. */
export function dollarTag(bodyIncludes: (tag: string) => boolean, base = 'pgrant'): string {
  let tag = `$${base}$`;
  for (let i = 1; bodyIncludes(tag); i++) tag = `$${base}_${i}$`;
  return tag;
}

const MARKDOWN_SPECIAL = /[\\`*[\]<>|~&]/;
const MARKDOWN_SPECIALS = /[\\`*[\]<>|~&]/g;

/** Text for a Markdown table cell or paragraph: nothing can open markup, close the cell or add HTML. */
export function markdownText(value: string): string {
  const text = commentText(value);
  return MARKDOWN_SPECIAL.test(text) ? text.replace(MARKDOWN_SPECIALS, (c) => `\\${c}`) : text;
}

/** Helpers for .sql.hbs templates. */
export const SQL_HELPERS: Record<string, Helper> = {
  ident: (v) => quoteIdent(str('ident', v)),
  qname: (schema, name) => quoteQualified(str('qname', schema), str('qname', name)),
  literal: (v) => quoteLiteral(str('literal', v)),
  /** A literal, or NULL when the value is null (only where SQL NULL is meant). */
  nullable: (v) => (v === null ? 'NULL' : quoteLiteral(str('nullable', v))),
  bool: (v) => {
    if (typeof v !== 'boolean') throw new Error(`template helper "bool" expects a boolean, got ${String(v)}`);
    return v ? 'true' : 'false';
  },
  'nullable-bool': (v) => {
    if (v === null) return 'NULL';
    if (typeof v !== 'boolean') throw new Error(`template helper "nullable-bool" expects a boolean or null, got ${String(v)}`);
    return v ? 'true' : 'false';
  },
  /** true when a value is present (a string), false when it is null: for "has a USING clause" columns. */
  'bool-present': (v) => {
    if (v === undefined) throw new Error('template helper "bool-present" got undefined');
    return v === null ? 'false' : 'true';
  },
  number: (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`template helper "number" expects an integer, got ${String(v)}`);
    return String(v);
  },
  keyword: (v) => keyword(v),
  keywords: (v) => list('keywords', v).map(keyword).join(' '),
  idents: (v) => list('idents', v).map((x) => quoteIdent(str('idents', x))).join(', '),
  role: (v) => roleSpec(str('role', v)),
  roles: (v) => list('roles', v).map((x) => roleSpec(str('roles', x))).join(', '),
  on: (t) => onClause(present('on', t) as Target),
  privs: (privileges, target) => privilegeList(privileges, target),
  /** A text[] literal of SQL keywords (privilege names): '{SELECT,INSERT}'. */
  'keyword-array': (v) => `'{${list('keyword-array', v).map(keyword).join(',')}}'`,
  /** ARRAY['a', 'b']::text[] */
  'text-array': (v) => `ARRAY[${list('text-array', v).map((x) => quoteLiteral(str('text-array', x))).join(', ')}]::text[]`,
  comment: (v) => commentText(str('comment', v)),
  /** A POSIX shell word, for commands shown in comments. */
  shell: (v) => {
    const word = str('shell', v);
    return commentText(/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);
  },
  /** An SQL expression written by the plan's author, re-checked with PostgreSQL's parser (see sql/expression.ts). */
  expression: (v) => {
    const expr = str('expression', v);
    const problem = checkExpression(expr);
    if (problem) throw new Error(`template helper "expression": the expression ${problem}`);
    return expr;
  },
  /** A single-quoted argument of a psql meta-command such as \\connect (psql expands \\ escapes in it). */
  psqlarg: (v) => psqlArgument(str('psqlarg', v)),
  /** `\\connect {{connect name}}`: reconnects to exactly that database, keeping host, port and user. */
  connect: (v) => connectArguments(str('connect', v)),
  psqlvar: (v) => psqlVariable('psqlvar', v),
  /** psql's test for a variable being set: `:{?NAME}` (for \\if). */
  'psqlvar-defined': (v) => `:{?${psqlVariable('psqlvar-defined', v)}}`,
};

/** What a block helper is given: its block's text, rendered in the block helper's own context. */
export interface BlockOptions {
  fn(context: unknown): string;
}

/** Block helpers for .sql.hbs templates. They render their block in the context they are called in. */
export const SQL_BLOCK_HELPERS: Record<string, (this: unknown, options: BlockOptions) => string> = {
  /** {{#do}}…{{/do}} → DO $tag$ … $tag$; with a tag that the body cannot contain. */
  do(this: unknown, options: BlockOptions) {
    return `DO ${dollarQuote(options.fn(this))};\n`;
  },
};

/** Helpers for .md.hbs templates. */
export const MARKDOWN_HELPERS: Record<string, Helper> = {
  md: (v) => markdownText(typeof v === 'number' ? String(v) : str('md', v)),
  /** Inline code: a fence longer than any backtick run inside, as CommonMark allows. */
  code: (v) => {
    const text = commentText(str('code', v));
    // Most names hold no backtick: one backtick each side then, as below.
    if (!text.includes('`')) return `\`${text.includes('|') ? text.replaceAll('|', '\\|') : text}\``;
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
    const fence = '`'.repeat(longest + 1);
    const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
    return `${fence}${pad}${text.replaceAll('|', '\\|')}${pad}${fence}`;
  },
  number: SQL_HELPERS.number!,
  /** A Markdown table's cells for a row of yes/no marks: a check mark, or empty. */
  'check-cells': (v) =>
    list('check-cells', v)
      .map((x) => {
        if (typeof x !== 'boolean') throw new Error(`template helper "check-cells" expects booleans, got ${String(x)}`);
        return x ? '✓ | ' : ' | ';
      })
      .join(''),
  mermaid: (v) => str('mermaid', v).replace(/["<>&#]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\u0000-\u001f]/g, ' '),
};

/** Built-in Handlebars block helpers that only choose or repeat content, never emit a value. */
export const BUILTIN_BLOCKS = new Set(['if', 'unless', 'each', 'with']);

/** Helpers for other text templates (sqitch.conf, sqitch.plan). */
export const TEXT_HELPERS: Record<string, Helper> = {
  comment: SQL_HELPERS.comment!,
  number: SQL_HELPERS.number!,
  /** A sqitch project or change name: letters, digits, "_", and inner "." or "-". */
  sqitch: (v) => {
    const name = str('sqitch', v);
    if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(name)) throw new Error(`template helper "sqitch": "${name}" is not a sqitch name`);
    return name;
  },
};
