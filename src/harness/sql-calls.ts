// Which functions and operators a generated file calls, read with PostgreSQL's own parser (libpg-query,
// parse only) so that a call a template adds tomorrow is known without a list kept by hand. The hostile
// mode of `pgrant test` plants an overload for each of them (hostile.ts).
type LibPgQuery = typeof import('libpg-query');

let parser: Promise<LibPgQuery> | undefined;

function loadParser(): Promise<LibPgQuery> {
  parser ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    return m;
  });
  return parser;
}

export interface FunctionCall {
  /** As written: unqualified, or with its schema (`pg_catalog.format`). */
  schema: string | null;
  name: string;
  /** Number of arguments (an aggregate's ORDER BY is not one). */
  arity: number;
}

export interface Calls {
  functions: FunctionCall[];
  /** Binary operators by symbol (`=`, `||`, `->>` …), including those implied by IN, LIKE, BETWEEN, NULLIF. */
  operators: string[];
}

/**
 * The statements psql sends: a meta-command ends the statement before it (\\gset, \\gexec send it), psql
 * variables become a literal of their kind, and a DO block whose body is a variable is left out (its text
 * is built by a statement read here).
 */
export function sqlOfPsqlScript(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*\\/.test(line) ? ';' : line.replace(/\s\\g(?:set|exec|x)?(?:\s.*)?$/, ';')))
    .join('\n')
    .replace(/^DO\s+:'[A-Za-z_][A-Za-z0-9_]*'\s*;/gm, '')
    .replace(/(?<!:):'[A-Za-z_][A-Za-z0-9_]*'/g, "'v'")
    .replace(/(?<!:):"[A-Za-z_][A-Za-z0-9_]*"/g, '"v"')
    .replace(/(?<![:\w]):\{\?[A-Za-z_][A-Za-z0-9_]*\}/g, 'true');
}

/** BETWEEN is written with a keyword but calls these operators (IN, LIKE, NULLIF carry their own symbol). */
const BETWEEN_OPERATORS: Record<string, string[]> = {
  AEXPR_BETWEEN: ['>=', '<='],
  AEXPR_NOT_BETWEEN: ['>=', '<='],
  AEXPR_BETWEEN_SYM: ['>=', '<='],
  AEXPR_NOT_BETWEEN_SYM: ['>=', '<='],
};

type Node = Record<string, unknown>;

function names(list: unknown): string[] {
  return ((list as Node[] | undefined) ?? []).map((n) => ((n as { String?: { sval: string } }).String?.sval ?? ''));
}

class Collector {
  readonly functions = new Map<string, FunctionCall>();
  readonly operators = new Set<string>();
  readonly unparsed: string[] = [];

  constructor(private readonly pg: LibPgQuery) {}

  statements(sql: string): void {
    this.walk(this.pg.parseSync(sql));
  }

  private walk(node: unknown): void {
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Node)) {
      if (key === 'FuncCall') this.funcCall(value as Node);
      else if (key === 'A_Expr') this.operator(value as Node);
      else if (key === 'DoStmt') this.doBlock(value as Node);
      this.walk(value);
    }
  }

  private funcCall(call: Node): void {
    const parts = names(call.funcname);
    const name = parts.at(-1)!;
    const schema = parts.length > 1 ? parts.at(-2)! : null;
    const arity = ((call.args as unknown[] | undefined) ?? []).length;
    this.functions.set(`${schema}.${name}/${arity}`, { schema, name, arity });
  }

  private operator(expr: Node): void {
    const kind = expr.kind as string;
    const symbol = names(expr.name).at(-1);
    const implied = BETWEEN_OPERATORS[kind];
    for (const op of implied ?? (symbol ? [symbol] : [])) this.operators.add(op);
  }

  /** A DO block's PL/pgSQL: every SQL expression and statement in it, through the PL/pgSQL parser. */
  private doBlock(stmt: Node): void {
    const body = ((stmt.args as Node[]) ?? [])
      .map((a) => (a as { DefElem: { defname: string; arg: { String: { sval: string } } } }).DefElem)
      .find((d) => d.defname === 'as')?.arg.String.sval;
    if (body === undefined) return;
    const language = ((stmt.args as Node[]) ?? []).map((a) => (a as { DefElem: { defname: string; arg: { String: { sval: string } } } }).DefElem).find((d) => d.defname === 'language')?.arg.String.sval;
    if (language && language !== 'plpgsql') return;
    this.plpgsql(body);
  }

  plpgsql(body: string): void {
    const tree = this.pg.parsePlPgSQLSync(`CREATE FUNCTION pg_temp.pgrant_body() RETURNS void LANGUAGE plpgsql AS $pgrant_body$${body}$pgrant_body$`);
    for (const query of embeddedQueries(tree)) this.expression(query);
  }

  /** A PL/pgSQL expression is a SELECT list, a statement, or an assignment `target := expression`. */
  private expression(query: string): void {
    const assignment = /^\s*[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*:=([\s\S]*)$/.exec(query);
    const candidates = assignment ? [`SELECT ${assignment[1]}`] : [query, `SELECT ${query}`];
    for (const sql of candidates) {
      try {
        this.statements(sql);
        return;
      } catch {
        // Try the next reading.
      }
    }
    this.unparsed.push(query);
  }
}

function embeddedQueries(tree: unknown): string[] {
  const found: string[] = [];
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) for (const x of n) visit(x);
    else if (n && typeof n === 'object') {
      for (const [key, value] of Object.entries(n as Node)) {
        if (key === 'PLpgSQL_expr') found.push((value as { query: string }).query);
        visit(value);
      }
    }
  };
  visit(tree);
  return found;
}

/**
 * The functions and operators the given psql scripts call, in their SQL and in their DO blocks. A
 * statement the parser cannot read is named in `unparsed` (never silently skipped).
 */
export async function callsIn(scripts: string[]): Promise<Calls & { unparsed: string[] }> {
  const collector = new Collector(await loadParser());
  for (const script of scripts) {
    const sql = sqlOfPsqlScript(script);
    try {
      collector.statements(sql);
    } catch {
      // One bad statement must not hide the others: read them one by one.
      for (const piece of splitStatements(sql)) {
        try {
          collector.statements(piece);
        } catch {
          collector.unparsed.push(piece.trim().slice(0, 200));
        }
      }
    }
  }
  const functions = [...collector.functions.values()].sort((a, b) => a.name.localeCompare(b.name) || a.arity - b.arity || String(a.schema).localeCompare(String(b.schema)));
  return { functions, operators: [...collector.operators].sort(), unparsed: collector.unparsed };
}

/** Statements split at top-level semicolons (outside quotes and dollar quotes), for error recovery only. */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'") i = sql.indexOf("'", i + 1) < 0 ? sql.length : sql.indexOf("'", i + 1);
    else if (c === '"') i = sql.indexOf('"', i + 1) < 0 ? sql.length : sql.indexOf('"', i + 1);
    else if (c === '-' && sql[i + 1] === '-') i = sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i);
    else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? sql.length : end + tag.length - 1;
      }
    } else if (c === ';') {
      out.push(sql.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (sql.slice(start).trim()) out.push(sql.slice(start));
  return out;
}
