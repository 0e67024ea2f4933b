// `pgrant test --hostile`: the throwaway server made hostile the way real ones are, before the plan's
// files run. An attacker role (with no more power than a plan login may have) plants, in `public` and in
// a schema named like the deployer ("$user", first on the default search_path), an overload that beats
// pg_catalog's for every function and operator the generated files call; each leaves a mark if it ever
// runs with the deployer's powers (a superuser, or CREATEROLE). The database gets standard_conforming_strings = off and the most verbose logging;
// a CREATEROLE squatter made the plan's roles first. The check phase then fails, naming the cause, if a
// mark appeared, a password reached the log or pg_stat_statements, a psql meta-command ran, or the
// squatter kept power. Marks are sequence increments: nextval and setval survive a rolled-back deploy.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { connect, ident, literal, type Db } from './db.js';
import { callsIn, type FunctionCall } from './sql-calls.js';
import type { ServerAddress } from './server.js';

/** Argument types tried for each planted function: what the generated files pass, and what unknown literals become. */
const FUNCTION_TYPES = ['text', 'name', 'oid', 'integer', 'bigint', 'boolean', 'json', 'jsonb', 'text[]', 'name[]', 'oid[]', 'regclass', 'regrole', 'regnamespace'];
/** Operand types tried for each planted operator. */
const OPERATOR_TYPES = ['text', 'name', 'oid', 'integer', 'bigint', 'smallint', 'boolean', '"char"', 'json', 'jsonb', 'regclass', 'regrole', 'regnamespace', 'text[]', 'name[]', 'oid[]'];
/** The attacker's own schema: the marks (sequences) and the helpers its overloads call. */
const MARKS_SCHEMA = 'pgrant_hostile';
/** psql runs with this variable in its environment: a meta-command smuggled into a file can only name it. */
export const MARKER_VARIABLE = 'PGRANT_HOSTILE_MARKER';
const ON_PURPOSE = 'pgrant hostile: this deploy is stopped on purpose after its password step';
/** What a planted overload says (with its id and overload) where it cannot move a sequence. */
const WARNED_MARK = 'pgrant hostile mark';

/** One planted name in one schema: its overloads, and the sequences that count its runs. */
interface Planted {
  id: number;
  schema: string;
  kind: 'function' | 'aggregate' | 'operator';
  name: string;
  /** Argument types of each overload (index + 1 is what its mark records as the last one run). */
  overloads: string[][];
}

export interface Hostile {
  attacker: string;
  squatter: string;
  /** Schemas the overloads were planted in, and those left out (with why). */
  plantedIn: string[];
  leftOut: string[];
  planted: Planted[];
  /** Marks already counted: runs of a generated file each take theirs. */
  seen: Map<number, number>;
  /** What each generated file (or the harness itself) set off: planted id → runs, and the last overload. */
  found: { during: string; planted: Planted; runs: number; last: number }[];
  markerFile: string;
  logFile?: string;
  logOffset: number;
  /** Schema holding pg_stat_statements in the plan's database, when the server loads it. */
  statsSchema?: string;
  /** Why pg_stat_statements is not read (not loaded by the server). */
  statsMissing?: string;
  /** What deploys forced to fail said, and what the squatter check found. */
  notes: string[];
}

/** A connection that resolves names in pg_catalog only (the plants must not capture the harness's own reads). */
export async function pinnedConnection(server: ServerAddress, database: string): Promise<Db> {
  const db = await connect(server, database);
  await db.query('SET search_path = pg_catalog, pg_temp');
  await db.query("SET lc_messages = 'C'");
  return db;
}

const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
const nulls = (types: string[]) => types.map((t) => `NULL::${t}`).join(', ');
const params = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
/** Operator symbols come from the parser: only operator characters, never quoted. */
const isOperatorSymbol = (s: string) => /^[+\-*/<>=~!@#%^&|`?]+$/.test(s);

/**
 * Server side: for each probe (a SELECT calling pg_catalog's function or operator with typed NULLs), the
 * columns it returns, unless pg_catalog has that exact signature (a planted twin would lose) or cannot take
 * those types (a planted one would capture nothing the files run today).
 */
const PROBE_FUNCTION = `
CREATE FUNCTION pg_temp.pgrant_hostile_probe(probes text[], exact text[], operator boolean[])
RETURNS TABLE(i int, columns text[]) LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $probe$
BEGIN
  FOR n IN 1 .. coalesce(array_length(probes, 1), 0) LOOP
    CONTINUE WHEN CASE WHEN operator[n] THEN to_regoperator(exact[n]) IS NOT NULL ELSE to_regprocedure(exact[n]) IS NOT NULL END;
    BEGIN
      EXECUTE 'CREATE TEMP VIEW pgrant_hostile_probe_view AS ' || probes[n];
      i := n;
      SELECT array_agg(format('%I %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum) INTO columns
      FROM pg_attribute WHERE attrelid = 'pg_temp.pgrant_hostile_probe_view'::regclass AND attnum > 0;
      DROP VIEW pg_temp.pgrant_hostile_probe_view;
      RETURN NEXT;
    EXCEPTION WHEN invalid_table_definition THEN
      IF SQLERRM LIKE '%pseudo-type void' THEN
        i := n;
        columns := ARRAY['r void'];
        RETURN NEXT;
      END IF;
    WHEN OTHERS THEN
      NULL;
    END;
  END LOOP;
END
$probe$`;

interface Candidate {
  name: string;
  kind: Planted['kind'];
  retset: boolean;
  types: string[];
  probe: string;
  exact: string;
}

/** Argument-type lists to try for a call of `arity` arguments: each type throughout, and text first then each type. */
function argumentLists(arity: number): string[][] {
  const lists = new Map<string, string[]>();
  for (const t of FUNCTION_TYPES) {
    const same = Array<string>(arity).fill(t);
    lists.set(same.join(), same);
    const textFirst = ['text', ...Array<string>(arity - 1).fill(t)];
    lists.set(textFirst.join(), textFirst);
  }
  return [...lists.values()];
}

async function functionCandidates(db: Db, calls: FunctionCall[]): Promise<Candidate[]> {
  // Only names pg_catalog has can be captured from it; calls qualified with another schema are the plan's own.
  const wanted = calls.filter((c) => c.arity > 0 && (c.schema === null || c.schema === 'pg_catalog'));
  const kinds = await db.query<{ name: string; aggregate: boolean; retset: boolean }>(
    `SELECT proname AS name, bool_or(prokind = 'a') AS aggregate, bool_or(proretset) AS retset
     FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY($1) AND prokind IN ('f', 'a') GROUP BY proname`,
    [[...new Set(wanted.map((c) => c.name))]],
  );
  const kindOf = new Map(kinds.rows.map((r) => [r.name, r]));
  const out: Candidate[] = [];
  const arities = new Set(wanted.filter((c) => kindOf.has(c.name)).map((c) => `${c.name}/${c.arity}`));
  for (const key of [...arities].sort()) {
    const [name, n] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
    const k = kindOf.get(name)!;
    for (const types of argumentLists(n)) {
      const call = `pg_catalog.${ident(name)}(${nulls(types)})`;
      out.push({
        name,
        kind: k.aggregate ? 'aggregate' : 'function',
        retset: k.retset && !k.aggregate,
        types,
        probe: k.retset && !k.aggregate ? `SELECT * FROM ${call}` : `SELECT ${call} AS r`,
        exact: `pg_catalog.${ident(name)}(${types.join(', ')})`,
      });
    }
  }
  return out;
}

function operatorCandidates(operators: string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const op of operators.filter(isOperatorSymbol)) {
    for (const left of OPERATOR_TYPES) {
      for (const right of OPERATOR_TYPES) {
        out.push({ name: op, kind: 'operator', retset: false, types: [left, right], probe: `SELECT NULL::${left} OPERATOR(pg_catalog.${op}) NULL::${right} AS r`, exact: `pg_catalog.${op}(${left}, ${right})` });
      }
    }
  }
  return out;
}

/** The candidates pg_catalog can take with other types than its own: each with the columns it returns. */
async function probeCandidates(db: Db, candidates: Candidate[]): Promise<{ candidate: Candidate; columns: string[] }[]> {
  await db.query(PROBE_FUNCTION);
  try {
    const rows = await db.query<{ i: number; columns: string[] }>('SELECT i, columns FROM pg_temp.pgrant_hostile_probe($1, $2, $3)', [
      candidates.map((c) => c.probe),
      candidates.map((c) => c.exact),
      candidates.map((c) => c.kind === 'operator'),
    ]);
    return rows.rows.map((r) => ({ candidate: candidates[r.i - 1]!, columns: r.columns }));
  } finally {
    await db.query('DROP FUNCTION pg_temp.pgrant_hostile_probe(text[], text[], boolean[])');
  }
}

/** The statements that plant one overload in `schema`, its runs counted by `mark(id, overload)`. */
function plantStatements(schema: string, p: Planted, overload: number, c: Candidate, columns: string[]): string[] {
  const mark = `PERFORM ${qualified(MARKS_SCHEMA, 'mark')}(${p.id}, ${overload});`;
  const helper = (what: string) => qualified(MARKS_SCHEMA, `${what}_${p.id}_${overload}`);
  const args = c.types.join(', ');
  const target = qualified(schema, c.name);
  const returns = columns.length === 1 ? columns[0]!.slice(columns[0]!.indexOf(' ') + 1) : `TABLE(${columns.join(', ')})`;
  const body = (code: string) => `LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS ${literal(`BEGIN ${mark} ${code} END`)}`;
  if (c.kind === 'operator') {
    return [
      `CREATE FUNCTION ${helper('op')}(${args}) RETURNS ${returns} ${body(`RETURN $1 OPERATOR(pg_catalog.${c.name}) $2;`)}`,
      `CREATE OPERATOR ${ident(schema)}.${c.name} (LEFTARG = ${c.types[0]}, RIGHTARG = ${c.types[1]}, FUNCTION = ${helper('op')})`,
    ];
  }
  if (c.kind === 'aggregate') {
    // Each row's arguments are kept as text and handed to pg_catalog's aggregate at the end, in order.
    const row = c.types.map((_, i) => `$${i + 2}::text`).join(', ');
    const back = c.types.map((t, i) => `(e ->> ${i})::${t}`).join(', ');
    return [
      `CREATE FUNCTION ${helper('step')}(jsonb, ${args}) RETURNS jsonb LANGUAGE sql SET search_path = pg_catalog, pg_temp AS ${literal(`SELECT $1 || jsonb_build_array(jsonb_build_array(${row}))`)}`,
      `CREATE FUNCTION ${helper('final')}(jsonb) RETURNS ${returns} ${body(`RETURN (SELECT pg_catalog.${ident(c.name)}(${back} ORDER BY o) FROM jsonb_array_elements($1) WITH ORDINALITY AS x(e, o));`)}`,
      `CREATE AGGREGATE ${target}(${args}) (SFUNC = ${helper('step')}, STYPE = jsonb, INITCOND = '[]', FINALFUNC = ${helper('final')})`,
    ];
  }
  const call = `pg_catalog.${ident(c.name)}(${params(c.types.length)})`;
  if (c.retset) return [`CREATE FUNCTION ${target}(${args}) RETURNS ${columns.length === 1 ? `SETOF ${returns}` : returns} ${body(`RETURN QUERY SELECT * FROM ${call};`)}`];
  if (returns === 'void') return [`CREATE FUNCTION ${target}(${args}) RETURNS void ${body(`PERFORM ${call};`)}`];
  return [`CREATE FUNCTION ${target}(${args}) RETURNS ${returns} ${body(`RETURN ${call};`)}`];
}

/** The attacker's schema: the mark function and a pair of sequences (runs, last overload) per planted name. */
function marksStatements(attacker: string, planted: Planted[]): string[] {
  const statements = [
    `CREATE SCHEMA ${ident(MARKS_SCHEMA)}`,
    `GRANT USAGE ON SCHEMA ${ident(MARKS_SCHEMA)} TO PUBLIC`,
    // Only runs with the deployer's powers count (a plan role running a test case or a probe is no
    // escalation). In a read-only transaction (audit.sql) a sequence cannot move: the mark is a warning there.
    `CREATE FUNCTION ${qualified(MARKS_SCHEMA, 'mark')}(id int, overload int) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS ${literal(
      `BEGIN IF current_user <> ${literal(attacker)} AND EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN PERFORM nextval(format('${MARKS_SCHEMA}.runs_%s', id)::regclass); PERFORM setval(format('${MARKS_SCHEMA}.last_%s', id)::regclass, overload); END IF;
       EXCEPTION WHEN read_only_sql_transaction THEN RAISE WARNING '${WARNED_MARK} % %', id, overload; END`,
    )}`,
  ];
  for (const p of planted) {
    statements.push(`CREATE SEQUENCE ${qualified(MARKS_SCHEMA, `runs_${p.id}`)}`, `CREATE SEQUENCE ${qualified(MARKS_SCHEMA, `last_${p.id}`)}`);
  }
  statements.push(`GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA ${ident(MARKS_SCHEMA)} TO PUBLIC`);
  return statements;
}

export interface HostileSetupOptions {
  server: ServerAddress;
  database: string;
  /** The generated files' text, for the calls to capture. */
  files: string[];
  /** The role that runs them ("$user" on its search_path). */
  deployer: string;
  deployerIsSuperuser: boolean;
  /** Schemas whose objects are the plan's (planting there is the plan's business: deploy.sql checks their owners). */
  scope: string[];
  planRoles: string[];
  markerFile: string;
  /** When the plan's database belongs to the squatter (not for the managed admin, which owns it). */
  squatterOwnsDatabase: boolean;
  major: number;
  /** Told each role the setup creates, before it creates it: the run drops them, even after a failure. */
  creating: (role: string) => void;
}

/**
 * Makes the plan's database hostile: overloads planted by an attacker, standard_conforming_strings off,
 * verbose logging, pg_stat_statements, and a squatter that made the plan's roles first. Returns what it
 * did, for the check at the end; every role it makes is named to `creating` first, so the run can drop it.
 */
export async function makeHostile(o: HostileSetupOptions, db: Db): Promise<Hostile> {
  const suffix = randomBytes(4).toString('hex');
  const attacker = `pgrant_attacker_${suffix}`;
  const squatter = `pgrant_squatter_${suffix}`;
  const schemas = [o.deployer, 'public'];
  const plantedIn = schemas.filter((s) => !o.scope.includes(s));
  const leftOut = schemas.filter((s) => o.scope.includes(s)).map((s) => `${s} (in the plan's scope: its objects are the plan's)`);
  const hostile: Hostile = { attacker, squatter, plantedIn, leftOut, planted: [], seen: new Map(), found: [], markerFile: o.markerFile, logOffset: 0, notes: [] };

  o.creating(attacker);
  o.creating(squatter);
  const calls = await callsIn(o.files);
  if (calls.unparsed.length) throw new Error(`the SQL parser could not read these statements of the generated files, so their calls would go unchecked:\n${calls.unparsed.slice(0, 3).join('\n---\n')}`);
  const probed = await probeCandidates(db, [...(await functionCandidates(db, calls.functions)), ...operatorCandidates(calls.operators)]);

  // An attacker with what a plan login may be given: CREATE on the database (a schema named like the
  // deployer), CREATE on public (PUBLIC has it on databases upgraded from 14).
  await db.query(`CREATE ROLE ${ident(attacker)} NOLOGIN NOSUPERUSER`);
  await db.query(`GRANT CREATE ON DATABASE ${ident(o.database)} TO ${ident(attacker)}`);
  await db.query('GRANT CREATE ON SCHEMA public TO PUBLIC');
  const byName = new Map<string, Planted>();
  const plant: string[] = [];
  for (const schema of plantedIn) {
    for (const { candidate: c } of probed) {
      const key = `${schema}\0${c.kind}\0${c.name}`;
      if (!byName.has(key)) byName.set(key, { id: byName.size + 1, schema, kind: c.kind, name: c.name, overloads: [] });
    }
  }
  hostile.planted = [...byName.values()];
  for (const schema of plantedIn) {
    if (schema !== 'public') plant.push(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`, `GRANT USAGE ON SCHEMA ${ident(schema)} TO PUBLIC`);
    for (const { candidate: c, columns } of probed) {
      const p = byName.get(`${schema}\0${c.kind}\0${c.name}`)!;
      p.overloads.push(c.types);
      plant.push(...plantStatements(schema, p, p.overloads.length, c, columns));
    }
  }
  await db.query(`SET ROLE ${ident(attacker)}`);
  try {
    await db.query([...marksStatements(attacker, hostile.planted), ...plant].join(';\n'));
  } finally {
    await db.query('RESET ROLE');
  }
  // What the attacker made stays; the door closes again (verify.sql would rightly report it open).
  await db.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  await db.query(`REVOKE CREATE ON DATABASE ${ident(o.database)} FROM ${ident(attacker)}`);

  await hostileSettings(db, o.database, hostile);
  await squat(db, o, squatter);
  hostile.logFile = o.server.logFile;
  if (hostile.logFile) hostile.logOffset = (await stat(hostile.logFile)).size;
  return hostile;
}

/** The database's settings an attacker or a careless DBA could leave: lexing changed, everything logged. */
async function hostileSettings(db: Db, database: string, hostile: Hostile): Promise<void> {
  const settings: [string, string][] = [
    ['standard_conforming_strings', 'off'],
    ['log_statement', 'all'],
    ['log_min_duration_statement', '0'],
    ['log_min_error_statement', 'debug5'],
    ['log_min_messages', 'info'],
    ['log_error_verbosity', 'verbose'],
    ['log_parameter_max_length', '-1'],
    ['log_parameter_max_length_on_error', '-1'],
  ];
  const preload = (await db.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v")).rows[0]!.v;
  if (/\bpg_stat_statements\b/.test(preload)) {
    hostile.statsSchema = `${MARKS_SCHEMA}_stats`;
    await db.query(`CREATE SCHEMA ${ident(hostile.statsSchema)}`);
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA ${ident(hostile.statsSchema)}`);
    await db.query(`SELECT ${ident(hostile.statsSchema)}.pg_stat_statements_reset()`);
    settings.push(['pg_stat_statements.track', 'all'], ['pg_stat_statements.track_utility', 'on']);
  } else {
    hostile.statsMissing = 'pg_stat_statements is not loaded by this server (shared_preload_libraries): not checked';
  }
  for (const [name, value] of settings) await db.query(`ALTER DATABASE ${ident(database)} SET ${name} = ${literal(value)}`);
}

/**
 * A role with CREATEROLE that made the plan's roles before the plan was deployed (from 16 that gives it
 * ADMIN OPTION on them), holds ADMIN OPTION on those that existed, and owns the database.
 */
async function squat(db: Db, o: HostileSetupOptions, squatter: string): Promise<void> {
  await db.query(`CREATE ROLE ${ident(squatter)} LOGIN CREATEROLE NOSUPERUSER PASSWORD ${literal(randomBytes(12).toString('base64url'))}`);
  const existing = new Set((await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [o.planRoles])).rows.map((r) => r.rolname));
  for (const role of o.planRoles) {
    if (existing.has(role)) {
      await db.query(`GRANT ${ident(role)} TO ${ident(squatter)} WITH ADMIN OPTION`);
      continue;
    }
    await db.query(`SET ROLE ${ident(squatter)}`);
    await db.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
    await db.query('RESET ROLE');
    if (o.deployerIsSuperuser) continue;
    // A managed admin is given ADMIN OPTION on roles that exist, as deploy.sql's hint asks of whoever can.
    await db.query(`GRANT ${ident(role)} TO ${ident(o.deployer)} WITH ADMIN OPTION`);
    // From 16 the squatter's ADMIN OPTION comes from the bootstrap superuser, which no admin can revoke
    // (deploy.sql reports it, verify.sql fails): here it comes through the admin, so deploy.sql can act.
    if (o.major >= 16) {
      await db.query(`REVOKE ${ident(role)} FROM ${ident(squatter)}`);
      await db.query(`GRANT ${ident(role)} TO ${ident(squatter)} WITH ADMIN OPTION GRANTED BY ${ident(o.deployer)}`);
    }
  }
  if (o.squatterOwnsDatabase) await db.query(`ALTER DATABASE ${ident(o.database)} OWNER TO ${ident(squatter)}`);
}

/** Marks a planted overload printed as warnings (in read-only transactions) in psql's output or the log. */
function warnedMarks(text: string): Map<number, { runs: number; last: number }> {
  const marks = new Map<number, { runs: number; last: number }>();
  for (const m of text.matchAll(new RegExp(`${WARNED_MARK} (\\d+) (\\d+)`, 'g'))) {
    const id = Number(m[1]);
    marks.set(id, { runs: (marks.get(id)?.runs ?? 0) + 1, last: Number(m[2]) });
  }
  return marks;
}

/**
 * Planted names that ran since the last look, charged to `during` (a generated file, or the harness
 * itself): moved sequences, and warnings in `output` (psql's, for a generated file).
 */
export async function takeMarks(db: Db, hostile: Hostile, during: string, output = ''): Promise<void> {
  for (const [id, { runs, last }] of warnedMarks(output)) {
    const planted = hostile.planted.find((p) => p.id === id);
    if (planted) hostile.found.push({ during, planted, runs, last });
  }
  const rows = await db.query<{ name: string; v: string | null }>(
    `SELECT c.relname AS name, pg_sequence_last_value(c.oid) AS v FROM pg_class c
     WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'S'`,
    [MARKS_SCHEMA],
  );
  const value = new Map(rows.rows.map((r) => [r.name, r.v === null ? 0 : Number(r.v)]));
  for (const p of hostile.planted) {
    const runs = value.get(`runs_${p.id}`) ?? 0;
    const before = hostile.seen.get(p.id) ?? 0;
    if (runs > before) hostile.found.push({ during, planted: p, runs: runs - before, last: value.get(`last_${p.id}`) ?? 0 });
    hostile.seen.set(p.id, runs);
  }
}

/** A hold on a plan login's row of pg_authid, so deploy.sql stops at that role's password (lock_timeout). */
export async function holdRole(server: ServerAddress, database: string, role: string): Promise<{ release(): Promise<void> }> {
  const blocker = await pinnedConnection(server, database);
  await blocker.query('BEGIN');
  await blocker.query(`ALTER ROLE ${ident(role)} CONNECTION LIMIT -1`);
  return {
    async release() {
      await blocker.query('ROLLBACK');
      await blocker.end();
    },
  };
}

/** An event trigger that stops the first GRANT or REVOKE of a session that asks for it: after the passwords. */
export async function stopAfterPasswords(db: Db): Promise<{ env: Record<string, string>; message: string; remove(): Promise<void> }> {
  const fn = qualified(MARKS_SCHEMA, 'stop_after_passwords');
  await db.query(
    `CREATE FUNCTION ${fn}() RETURNS event_trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS ${literal(
      `BEGIN IF current_setting('pgrant_hostile.stop', true) = 'on' THEN RAISE EXCEPTION ${literal(ON_PURPOSE)}; END IF; END`,
    )}`,
  );
  await db.query(`CREATE EVENT TRIGGER pgrant_hostile_stop ON ddl_command_start WHEN TAG IN ('GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES') EXECUTE FUNCTION ${fn}()`);
  return {
    env: { PGOPTIONS: '-c pgrant_hostile.stop=on' },
    message: ON_PURPOSE,
    async remove() {
      await db.query('DROP EVENT TRIGGER IF EXISTS pgrant_hostile_stop');
      await db.query(`DROP FUNCTION IF EXISTS ${fn}()`);
    },
  };
}

function describeFound(f: Hostile['found'][number]): string {
  const p = f.planted;
  const types = p.overloads[f.last - 1] ?? [];
  const what = p.kind === 'operator' ? `operator ${p.schema}.${p.name}(${types.join(', ')})` : `${p.kind} ${p.schema}.${p.name}(${types.join(', ')})`;
  return `planted ${what} ran ${f.runs} time${f.runs === 1 ? '' : 's'} during ${f.during}, with the powers of a superuser or CREATEROLE: it resolved through a schema a plan login can write`;
}

/** A line of text with every password replaced by its variable's name (the report never prints one). */
function redact(line: string, passwords: Map<string, string>): string {
  let out = line;
  for (const [variable, password] of passwords) out = out.split(password).join(`<password of ${variable}>`);
  return out.slice(0, 300);
}

/**
 * Everything the hostile server saw: marks (a planted overload ran), passwords in the server log or
 * pg_stat_statements, the marker file of a meta-command. Returns the problems (empty when none) and
 * what was checked.
 */
export async function hostileFindings(
  db: Db,
  hostile: Hostile,
  passwords: Map<string, string>,
  { superuserDeploys }: { superuserDeploys: boolean },
): Promise<{ problems: string[]; checked: string[] }> {
  await takeMarks(db, hostile, "the harness's own SQL");
  const problems = hostile.found.map(describeFound);
  // A managed admin cannot turn logging off: there the README tells users to give passwords as {env} or {scram}.
  const leaked: string[] = [];
  const leak = (text: string) => (superuserDeploys ? problems : leaked).push(text);
  const checked = [`${hostile.planted.reduce((n, p) => n + p.overloads.length, 0)} overloads of ${new Set(hostile.planted.map((p) => `${p.kind} ${p.name}`)).size} functions and operators planted in ${hostile.plantedIn.join(', ') || 'no schema'}${hostile.leftOut.length ? ` (not in ${hostile.leftOut.join(', ')})` : ''}`];
  const secrets = new Map([...passwords].filter(([, p]) => p.length >= 4));

  if (hostile.logFile) {
    const log = (await readFile(hostile.logFile, 'utf8').catch(() => '')).slice(hostile.logOffset);
    // A warned mark psql did not show (a file that hides warnings) is still in the log.
    const shown = new Set(hostile.found.map((f) => f.planted.id));
    for (const [id, { runs, last }] of warnedMarks(log)) {
      const planted = hostile.planted.find((p) => p.id === id);
      if (planted && !shown.has(id)) problems.push(describeFound({ during: 'a generated file (its warning is in the server log)', planted, runs, last }));
    }
    const leaks = log.split('\n').filter((line) => [...secrets.values()].some((p) => line.includes(p)));
    for (const line of leaks.slice(0, 5)) leak(`a password is in the server log: ${redact(line, secrets)}`);
    checked.push(`server log (${log.split('\n').length} lines) searched for ${secrets.size} password${secrets.size === 1 ? '' : 's'}`);
  } else {
    checked.push('server log: not readable from here (only the embedded engine exposes it), not checked');
  }
  if (hostile.statsSchema) {
    const rows = await db.query<{ query: string }>(`SELECT query FROM ${qualified(hostile.statsSchema, 'pg_stat_statements')}`);
    const leaks = rows.rows.filter((r) => [...secrets.values()].some((p) => r.query.includes(p)));
    for (const r of leaks.slice(0, 5)) leak(`a password is in pg_stat_statements (readable by pg_read_all_stats): ${redact(r.query, secrets)}`);
    checked.push(`pg_stat_statements (${rows.rowCount} statements) searched`);
  } else if (hostile.statsMissing) {
    checked.push(hostile.statsMissing);
  }
  if (leaked.length) checked.push(`as documented for a managed service's admin (it may not turn logging off), passwords from psql variables reached the log or statistics ${leaked.length} time${leaked.length === 1 ? '' : 's'}`);
  if (existsSync(hostile.markerFile)) problems.push(`a psql meta-command ran: the shell created $${MARKER_VARIABLE} (${hostile.markerFile}) while a generated file ran`);
  else checked.push(`no meta-command created $${MARKER_VARIABLE}`);
  return { problems, checked };
}

/**
 * Whether the squatter still has power over the plan's roles: ADMIN OPTION on one of them, or (tried in a
 * transaction rolled back) changing a plan login's password. Before 16 CREATEROLE alone gives that
 * power, which deploy.sql cannot take away: there it must have said so.
 */
export async function squatterPower(db: Db, hostile: Hostile, planRoles: string[], logins: string[], major: number, deployOutput: string): Promise<string[]> {
  const { squatter } = hostile;
  if (major < 16) {
    return deployOutput.includes(`role ${squatter} has CREATEROLE`) ? [] : [`the squatter ${squatter} (CREATEROLE, before PostgreSQL 16 power over every role) was not reported by deploy.sql`];
  }
  const problems: string[] = [];
  const admin = await db.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
     WHERE m.member = $1::regrole AND m.admin_option AND r.rolname = ANY($2) ORDER BY 1`,
    [squatter, planRoles],
  );
  for (const { rolname } of admin.rows) problems.push(`the squatter ${squatter} still holds ADMIN OPTION on plan role ${rolname} after deploy.sql`);
  for (const login of logins) {
    await db.query('BEGIN');
    try {
      await db.query(`SET LOCAL ROLE ${ident(squatter)}`);
      await db.query(`ALTER ROLE ${ident(login)} PASSWORD ${literal(randomBytes(9).toString('base64url'))}`);
      problems.push(`the squatter ${squatter} can still change the password of plan login ${login} after deploy.sql`);
    } catch {
      // Refused: as it should be.
    } finally {
      await db.query('ROLLBACK');
    }
  }
  return problems;
}
