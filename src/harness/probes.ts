// Probes: act as each role (SET ROLE, each statement in a savepoint that is rolled back) and compare
// what PostgreSQL allows with what the plan's intent says.
import type { Db } from './db.js';
import { ident, literal } from './db.js';
import type { Facts, TableFact } from './facts.js';
import type { Intent } from './intent.js';

export interface Probe {
  role: string;
  /** e.g. "SELECT public.users", "CREATE in public" */
  capability: string;
  statement: string;
  /** What the intent says: true = must be allowed, false = must be denied. */
  expected: boolean;
}

export interface ProbeResult extends Probe {
  /** Whether PostgreSQL let it pass the privilege checks. */
  actual: boolean;
  ok: boolean;
  /** PostgreSQL's message when the statement failed. */
  error?: string;
}

const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
const isTable = (t: TableFact) => t.relkind === 'r' || t.relkind === 'p';

/** The probes for each role on each object in scope, with the intent's expectation. */
export function buildProbes(intent: Intent, facts: Facts, roles: string[]): Probe[] {
  const probes: Probe[] = [];
  const schemaByName = new Map(facts.schemas.map((s) => [s.name, s]));
  const sequenceByName = new Map(facts.sequences.map((s) => [qualified(s.schema, s.name), s]));
  for (const role of roles) {
    const usage = (schema: string): boolean => {
      const s = schemaByName.get(schema);
      return s !== undefined && intent.can(role, { kind: 'schema', fact: s }, 'USAGE');
    };
    for (const s of facts.schemas) {
      probes.push({
        role,
        capability: `CREATE in ${s.name}`,
        statement: `CREATE TABLE ${qualified(s.name, 'pgrant_probe_created')} (id integer)`,
        expected: intent.can(role, { kind: 'schema', fact: s }, 'CREATE'),
      });
    }
    for (const t of facts.tables) {
      const name = qualified(t.schema, t.name);
      const label = `${t.schema}.${t.name}`;
      const subject = { kind: 'table' as const, fact: t };
      const u = usage(t.schema);
      const can = (p: string) => u && intent.can(role, subject, p);
      const allColumns = t.columns.every((c) => intent.canColumn(role, t, c.name, 'SELECT'));
      probes.push({ role, capability: `SELECT ${label}`, statement: `SELECT * FROM ${name} LIMIT 0`, expected: can('SELECT') || (u && allColumns) });
      // Column-level grants: probe each column of tables where the role has some.
      if (t.columns.some((c) => intent.plannedColumn(role, t, c.name).size > 0)) {
        for (const c of t.columns) {
          probes.push({
            role,
            capability: `SELECT ${label} (${c.name})`,
            statement: `SELECT ${ident(c.name)} FROM ${name} LIMIT 0`,
            expected: u && intent.canColumn(role, t, c.name, 'SELECT'),
          });
        }
      }
      if (!isTable(t)) continue;
      const sequencesOk = t.serialSequences.every((q) => {
        const seq = sequenceByName.get(q);
        if (!seq) return true;
        const subjectSeq = { kind: 'sequence' as const, fact: seq };
        return usage(seq.schema) && (intent.can(role, subjectSeq, 'USAGE') || intent.can(role, subjectSeq, 'UPDATE'));
      });
      const first = t.columns[0];
      if (first) {
        // Zero rows: only the INSERT privilege is checked (no defaults evaluated, no constraints).
        probes.push({ role, capability: `INSERT ${label}`, statement: `INSERT INTO ${name} (${ident(first.name)}) SELECT NULL WHERE false`, expected: can('INSERT') });
      }
      if (t.serialSequences.length) {
        // A real row with serial defaults also needs USAGE on their sequences (the classic trap).
        probes.push({ role, capability: `INSERT ${label} using its serial sequences`, statement: `INSERT INTO ${name} DEFAULT VALUES`, expected: can('INSERT') && sequencesOk });
      }
      if (first) {
        probes.push({ role, capability: `UPDATE ${label}`, statement: `UPDATE ${name} SET ${ident(first.name)} = DEFAULT WHERE false`, expected: can('UPDATE') });
      }
      probes.push({ role, capability: `DELETE ${label}`, statement: `DELETE FROM ${name} WHERE false`, expected: can('DELETE') });
      probes.push({ role, capability: `TRUNCATE ${label}`, statement: `TRUNCATE ${name}`, expected: can('TRUNCATE') });
      probes.push({
        role,
        capability: `ALTER ${label} (owner only)`,
        statement: `ALTER TABLE ${name} ADD COLUMN pgrant_probe_column integer`,
        expected: u && intent.isOwner(role, t.owner),
      });
    }
    for (const q of facts.sequences) {
      const subject = { kind: 'sequence' as const, fact: q };
      probes.push({
        role,
        capability: `USAGE ${q.schema}.${q.name} (nextval)`,
        statement: `SELECT nextval(${literal(qualified(q.schema, q.name))}::regclass)`,
        expected: usage(q.schema) && (intent.can(role, subject, 'USAGE') || intent.can(role, subject, 'UPDATE')),
      });
    }
  }
  return probes;
}

/**
 * Runs probes in one transaction that is rolled back: each in a savepoint, under SET ROLE. A statement
 * passes the privilege checks unless PostgreSQL answers insufficient_privilege (42501); other errors
 * (a NOT NULL violation on INSERT … DEFAULT VALUES, a foreign key blocking TRUNCATE) come later.
 */
export async function runProbes(db: Db, probes: Probe[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  await db.query('BEGIN');
  try {
    await db.query("SET LOCAL statement_timeout = '10s'");
    for (const probe of probes) {
      await db.query('SAVEPOINT pgrant_probe');
      let actual = true;
      let error: string | undefined;
      try {
        await db.query(`SET ROLE ${ident(probe.role)}`);
        await db.query(probe.statement);
      } catch (e) {
        const err = e as { code?: string; message: string };
        error = err.message;
        // A row-level security policy rejecting the row also answers 42501: the privilege itself passed.
        if (err.code === '42501' && !/row-level security policy/.test(err.message)) actual = false;
      }
      await db.query('ROLLBACK TO SAVEPOINT pgrant_probe');
      results.push({ ...probe, actual, ok: actual === probe.expected, error });
    }
  } finally {
    await db.query('ROLLBACK');
  }
  return results;
}
