// The build-time check that generated SQL never lets another role's objects run as the deployer.
//
// Function and operator names are looked up along search_path, and the deployer's default path
// ("$user", public) holds schemas that other roles may write: a role that plants a better-matching
// overload there (public.concat_ws(text, …), public.unnest(text[])) gets its code run by whoever runs
// the file. Every generated file therefore starts with {{> pin}}, which sets search_path to
// pg_catalog, pg_temp (only pg_catalog is searched for functions and operators then, and only superusers
// create there) and standard_conforming_strings to on (psql lexes string literals the standard way). This
// check refuses a top-level template with SQL or a value before that pin, one that does not pin again
// after \connect (a new session), and, as a second wall, any function call that is not schema-qualified
// (write pg_catalog.format(…), not format(…)). Operators are not qualified (OPERATOR(pg_catalog.=)
// would make the files unreadable): the pin alone protects them, which is why the pin is checked first.
import { TemplateError } from './template-error.js';

type AST = hbs.AST.Node;

/** The partial every top-level SQL template includes before anything else, and again after \connect. */
export const PIN_PARTIAL = 'pin';

/**
 * Words followed by "(" that are SQL or PL/pgSQL syntax, never a function looked up on search_path
 * (COALESCE, GREATEST … and EXTRACT, POSITION, SUBSTRING, TRIM, OVERLAY are rewritten by the parser to
 * pg_catalog's functions by name).
 */
const SYNTAX = new Set(
  (
    'all and any array as between by case cast check coalesce collate default delete distinct do else elsif end ' +
    'except exception exists extract filter for foreach from grant greatest group having if in insert intersect ' +
    'into is join lateral least like limit loop not nullif on or order over overlay partition perform position ' +
    'query raise recursive return returns revoke row select set some substring table then to trim union update ' +
    'using values when where while window with conflict key unique references foreign primary ' +
    // type names with modifiers
    'bit char character decimal numeric timestamp time varchar'
  ).split(' '),
);

/** After these words, "name (" declares a name (a table, a column list, an alias), it calls nothing. */
const DECLARING = new Set(['as', 'table', 'type', 'function', 'procedure', 'view', 'into', 'trigger', 'index', 'aggregate', 'domain', 'routine']);

interface NodeEvent {
  offset: number;
  kind: 'pin' | 'value';
  line: number;
  col: number;
}

function lineOffsets(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return starts;
}

/**
 * The template's text with everything Handlebars replaces (mustaches, block tags, partials, comments)
 * turned into U+0001, newlines kept: SQL as the check reads it. And the values and partials, in order.
 */
function sqlSkeleton(source: string, ast: hbs.AST.Program): { text: string; events: NodeEvent[] } {
  const starts = lineOffsets(source);
  const at = (p: hbs.AST.Position): number => starts[p.line - 1]! + p.column;
  const keep = new Uint8Array(source.length);
  const events: NodeEvent[] = [];
  const walk = (node: AST | undefined | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach(walk);
        return;
      case 'ContentStatement':
        keep.fill(1, at(node.loc.start), at(node.loc.end));
        return;
      case 'BlockStatement':
        walk((node as hbs.AST.BlockStatement).program);
        walk((node as hbs.AST.BlockStatement).inverse);
        return;
      case 'PartialStatement': {
        const name = ((node as hbs.AST.PartialStatement).name as hbs.AST.PathExpression).original;
        events.push({ offset: at(node.loc.start), kind: name === PIN_PARTIAL ? 'pin' : 'value', line: node.loc.start.line, col: node.loc.start.column + 1 });
        return;
      }
      case 'MustacheStatement':
        events.push({ offset: at(node.loc.start), kind: 'value', line: node.loc.start.line, col: node.loc.start.column + 1 });
        return;
      default:
        return;
    }
  };
  walk(ast);
  let text = '';
  for (let i = 0; i < source.length; i++) text += keep[i] || source[i] === '\n' ? source[i] : '\u0001';
  events.sort((a, b) => a.offset - b.offset);
  return { text, events };
}

/** Whether the parenthesis at `open` closes into `AS (` (or AS [NOT] MATERIALIZED): a WITH query's columns. */
function namesCte(text: string, open: number): boolean {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === '(') depth++;
    else if (text[k] === ')' && --depth === 0) return /^\s*AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(/i.test(text.slice(k + 1, k + 40));
  }
  return false;
}

/**
 * Throws a TemplateError at the first place in a SQL template where a name could resolve through a
 * schema another role may write (see the top of this file). `topLevel`: the template is a whole file
 * (deploy.sql, verify.sql …), so it must pin before anything else; partials are included after the pin.
 */
export function checkNameResolution(file: string, source: string, ast: hbs.AST.Program, topLevel: boolean): void {
  const { text, events } = sqlSkeleton(source, ast);
  const starts = lineOffsets(source);
  const position = (offset: number): [number, number] => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
    return [line + 1, offset - starts[line]! + 1];
  };
  const fail = (offset: number, message: string): never => {
    const [line, col] = position(offset);
    throw new TemplateError(file, line, col, message);
  };
  const beforePin = (offset: number, what: string): never =>
    fail(offset, `${what} before {{> ${PIN_PARTIAL}}}: a top-level SQL template pins search_path and standard_conforming_strings first (and again after \\connect), so that nothing resolves a name through a schema another role can write`);

  let pinned = !topLevel;
  let next = 0; // the next event
  let prevWord = '';
  let prevChar = '';
  let i = 0;
  const n = text.length;
  const isWordStart = (c: string): boolean => /[A-Za-z_]/.test(c);
  while (i < n) {
    while (next < events.length && events[next]!.offset <= i) {
      const e = events[next++]!;
      if (e.kind === 'pin') pinned = true;
      else if (!pinned) beforePin(e.offset, 'a value or partial');
    }
    const c = text[i]!;
    const rest2 = text.slice(i, i + 2);
    if (rest2 === '--') {
      // A comment: to the end of the line (values inside it are comment text).
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      while (next < events.length && events[next]!.offset < i) next++;
      continue;
    }
    if (rest2 === '/*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      while (next < events.length && events[next]!.offset < i) next++;
      continue;
    }
    if (c === '\\') {
      // A psql meta-command runs to the end of the line; \connect opens a new session, unpinned.
      const end = text.indexOf('\n', i);
      const command = text.slice(i, end < 0 ? n : end);
      if (/^\\c(onnect)?\b/.test(command)) pinned = false;
      i = end < 0 ? n : end;
      while (next < events.length && events[next]!.offset < i) {
        const e = events[next++]!;
        if (e.kind === 'pin') pinned = true;
      }
      prevChar = '';
      prevWord = '';
      continue;
    }
    if (/\s|\u0001/.test(c)) {
      i++;
      continue;
    }
    if (!pinned) beforePin(i, 'SQL');
    if (c === "'") {
      // A string literal: E'…' takes backslash escapes; '' is a quote inside either.
      const escapes = /[Ee]/.test(prevChar) && prevWord.toLowerCase() === 'e';
      i++;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
      prevChar = "'";
      prevWord = '';
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      i = end < 0 ? n : end + 1;
      prevChar = '"';
      prevWord = '';
      continue;
    }
    if (c === '$') {
      // A dollar-quote tag ($pgrant$): the body is code in pgrant's templates (DO blocks, procedures).
      const m = /^\$[A-Za-z_0-9]*\$/.exec(text.slice(i, i + 64));
      i += m ? m[0].length : 1;
      prevChar = '$';
      prevWord = '';
      continue;
    }
    if (isWordStart(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(i, i + 128))!;
      const word = m[0];
      const lower = word.toLowerCase();
      let j = i + word.length;
      while (j < n && /[ \t]/.test(text[j]!)) j++;
      const qualified = prevChar === '.';
      if (text[j] === '(' && !qualified && !SYNTAX.has(lower) && !DECLARING.has(prevWord.toLowerCase()) && !namesCte(text, j)) {
        fail(i, `${word}(…) is not schema-qualified: write pg_catalog.${word}(…) (or pg_temp. for pgrant's own session helpers), so that no function planted on a search_path can capture the call`);
      }
      prevWord = word;
      prevChar = word[word.length - 1]!;
      i += word.length;
      continue;
    }
    prevChar = c;
    prevWord = '';
    i++;
  }
}
