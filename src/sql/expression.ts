// SQL expressions written by plan authors (row-level security USING / WITH CHECK) are checked with the
// real PostgreSQL parser (libpg-query, parse only) before they are written into deploy.sql.
// The parser is imported only when a plan needs it: most plans have no expression to check.
type LibPgQuery = typeof import('libpg-query');

let loaded: Promise<void> | undefined;
let parser: Pick<LibPgQuery, 'parseSync' | 'scanSync'> | undefined;

/** Loads the parser and its WebAssembly module; needed once before checkExpression. */
export function loadSqlParser(): Promise<void> {
  loaded ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    parser = m;
  });
  return loaded;
}

function loadedParser(): Pick<LibPgQuery, 'parseSync' | 'scanSync'> {
  if (!parser) throw new Error('checkExpression: the SQL parser is not loaded (await loadSqlParser() first)');
  return parser;
}

/**
 * Returns why `expr` is not exactly one SQL expression that can be written safely inside
 * `USING (…)` of a psql script, or undefined when it is. Nothing can ride along: no second statement,
 * no comment, no unbalanced parenthesis, nothing psql would interpret (a backslash command, a :variable).
 */
export function checkExpression(expr: string): string | undefined {
  if (expr.trim() === '') return 'is empty';
  const { parseSync, scanSync } = loadedParser();
  let tokens;
  try {
    tokens = scanSync(expr).tokens;
  } catch (e) {
    return `does not scan as SQL: ${(e as Error).message}`;
  }
  let depth = 0;
  for (const [i, t] of tokens.entries()) {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') return `contains a comment (${t.text.slice(0, 20)}): write the expression alone`;
    if (t.text === ';') return 'contains ";": write one expression, not statements';
    if (t.text === '\\') return 'contains a backslash outside a string, which psql would read as a command';
    // 'a\' ends at the backslash only when standard_conforming_strings is on: psql and the server would read
    // the rest differently with it off. The files pin it on; an expression that depends on it is refused too.
    if (t.tokenName === 'SCONST' && /^'/.test(t.text) && t.text.includes('\\')) {
      return `contains a backslash in a string (${t.text.slice(0, 20)}), whose meaning depends on standard_conforming_strings: write it as E'…' with the backslash doubled`;
    }
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    if (depth < 0) return `closes a parenthesis it did not open (at "${expr.slice(t.start, t.start + 20)}")`;
    const next = tokens[i + 1];
    if (t.text === ':' && next && next.start === t.end && /^[A-Za-z_'"{]/.test(next.text)) {
      return `contains ":${next.text}", which psql would replace with a variable`;
    }
  }
  if (depth !== 0) return 'has an unclosed parenthesis or bracket';
  let result;
  try {
    result = parseSync(`SELECT (${expr})`);
  } catch (e) {
    return `is not a valid SQL expression: ${(e as Error).message}`;
  }
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1) return `is ${stmts.length} statements, not one expression`;
  const select = (stmts[0]!.stmt as { SelectStmt?: Record<string, unknown> }).SelectStmt;
  const targets = select?.targetList as unknown[] | undefined;
  const extra = select ? Object.keys(select).filter((k) => !['targetList', 'limitOption', 'op'].includes(k)) : [];
  if (!select || !targets || targets.length !== 1 || extra.length) return 'is not exactly one expression';
  return undefined;
}
