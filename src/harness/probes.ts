// Probes: act as each role (SET ROLE, each statement in a savepoint that is rolled back) and compare
// what PostgreSQL allows with what the plan's intent says.
import type { Db } from './db.js';
import { ident, literal } from './db.js';
import type { ColumnFact, Facts, TableFact } from './facts.js';
import type { Intent } from './intent.js';

export interface Probe {
  role: string;
  /** e.g. "SELECT public.users", "CREATE in public" */
  capability: string;
  statement: string;
  /** What the intent says: true = must be allowed, false = must be denied. */
  expected: boolean;
  /**
   * Errors that come only after the privilege checks passed, listed per probe (SQLSTATE → why), e.g. a
   * NOT NULL violation on INSERT … DEFAULT VALUES. Any error not listed here, and not a privilege error,
   * fails the probe: a syntax or quoting mistake can never count as "allowed".
   */
  afterPrivileges?: Record<string, string>;
  /** Calls a routine: an error raised while its body runs (it has a context line) means EXECUTE passed. */
  routine?: boolean;
  /** Commands that skip a relation with a WARNING instead of failing (VACUUM, ANALYZE): the warning's text. */
  deniedByWarning?: RegExp;
}

/** allowed = passed the privilege checks; denied = refused for lack of a privilege; error = anything else. */
export type ProbeOutcome = 'allowed' | 'denied' | 'error';

export interface ProbeResult extends Probe {
  outcome: ProbeOutcome;
  /** Whether PostgreSQL let it pass the privilege checks. */
  actual: boolean;
  ok: boolean;
  /** PostgreSQL's message when the statement failed (or the warning that skipped it). */
  error?: string;
}

// Errors PostgreSQL raises only once the privilege checks passed.
const ROW_ERRORS: Record<string, string> = {
  '23502': 'a NOT NULL column without a default',
  '23503': 'a foreign key',
  '23505': 'a unique constraint',
  '23514': 'a check constraint',
  '23P01': 'an exclusion constraint',
  '2200H': 'a sequence at its limit',
};
// A policy's expression runs after the privilege checks: e.g. current_setting() of a setting the session never set.
const POLICY_ERRORS: Record<string, string> = { '42704': 'a row-level security policy reading a setting that is not set' };
const TRUNCATE_ERRORS: Record<string, string> = { '0A000': 'a foreign key from another table' };

const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
const isTable = (t: TableFact) => t.relkind === 'r' || t.relkind === 'p';

/**
 * The column the INSERT probe names: the first one a value may be written to. A generated column takes
 * only DEFAULT; an identity column GENERATED ALWAYS takes a value with OVERRIDING SYSTEM VALUE, so it is
 * chosen only when every other column is generated.
 */
function insertProbeColumn(t: TableFact): ColumnFact | undefined {
  const writable = t.columns.filter((c) => !c.generated);
  return writable.find((c) => c.identity !== 'a') ?? writable[0];
}

/** The probes for each role on each object in scope, with the intent's expectation. */
export function buildProbes(intent: Intent, facts: Facts, roles: string[], options: { major: number }): Probe[] {
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
      const allColumns = t.columns.length > 0 && t.columns.every((c) => intent.canColumn(role, t, c.name, 'SELECT'));
      const policy = t.rowSecurity ? POLICY_ERRORS : undefined;
      probes.push({ role, capability: `SELECT ${label}`, statement: `SELECT * FROM ${name} LIMIT 0`, expected: can('SELECT') || (u && allColumns), afterPrivileges: policy });
      // Column-level grants: probe each column of tables where the role has some.
      if (t.columns.some((c) => intent.plannedColumn(role, t, c.name).size > 0)) {
        for (const c of t.columns) {
          probes.push({
            role,
            capability: `SELECT ${label} (${c.name})`,
            statement: `SELECT ${ident(c.name)} FROM ${name} LIMIT 0`,
            expected: u && intent.canColumn(role, t, c.name, 'SELECT'),
            afterPrivileges: policy,
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
      const written = insertProbeColumn(t);
      if (written) {
        // Zero rows: only the INSERT privilege is checked (no defaults evaluated, no constraints).
        const overriding = written.identity === 'a' ? ' OVERRIDING SYSTEM VALUE' : '';
        probes.push({ role, capability: `INSERT ${label}`, statement: `INSERT INTO ${name} (${ident(written.name)})${overriding} SELECT NULL WHERE false`, expected: can('INSERT'), afterPrivileges: policy });
      }
      if (t.serialSequences.length) {
        // A real row with serial defaults also needs USAGE on their sequences (the classic trap).
        probes.push({ role, capability: `INSERT ${label} using its serial sequences`, statement: `INSERT INTO ${name} DEFAULT VALUES`, expected: can('INSERT') && sequencesOk, afterPrivileges: { ...ROW_ERRORS, ...policy } });
      }
      if (first) {
        probes.push({ role, capability: `UPDATE ${label}`, statement: `UPDATE ${name} SET ${ident(first.name)} = DEFAULT WHERE false`, expected: can('UPDATE'), afterPrivileges: policy });
      }
      probes.push({ role, capability: `DELETE ${label}`, statement: `DELETE FROM ${name} WHERE false`, expected: can('DELETE'), afterPrivileges: policy });
      probes.push({ role, capability: `TRUNCATE ${label}`, statement: `TRUNCATE ${name}`, expected: can('TRUNCATE'), afterPrivileges: TRUNCATE_ERRORS });
      if (options.major >= 17) {
        // MAINTAIN (17+): ANALYZE skips a table the role may not maintain with a warning, not an error.
        probes.push({
          role,
          capability: `MAINTAIN ${label} (ANALYZE)`,
          statement: `ANALYZE ${name}`,
          expected: u && (intent.can(role, subject, 'MAINTAIN') || intent.isOwner(role, facts.databaseOwner)),
          deniedByWarning: /permission denied to analyze/,
        });
      }
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
        afterPrivileges: { '2200H': 'a sequence at its limit' },
      });
    }
    for (const f of facts.functions) {
      // Polymorphic arguments cannot be called with typed NULLs; such routines are not probed.
      if (f.argTypes.some((t) => /^"?any/.test(t))) continue;
      const args = f.argTypes.map((t) => `NULL::${t}`).join(', ');
      const call = `${qualified(f.schema, f.name)}(${args})`;
      probes.push({
        role,
        capability: `EXECUTE ${f.schema}.${f.name}(${f.argTypes.join(', ')})`,
        statement: f.kind === 'p' ? `CALL ${call}` : `SELECT ${call}`,
        expected: usage(f.schema) && intent.can(role, { kind: 'function', fact: f }, 'EXECUTE'),
        routine: true,
      });
    }
  }
  return probes;
}

/** How PostgreSQL answered one probe, strictly: only a privilege error is "denied". */
export function classify(probe: Probe, error: { code?: string; message: string; where?: string } | undefined, warnings: string[]): ProbeOutcome {
  if (!error) return probe.deniedByWarning && warnings.some((w) => probe.deniedByWarning!.test(w)) ? 'denied' : 'allowed';
  // Raised while the routine's body ran: EXECUTE itself was granted.
  if (probe.routine && error.where) return 'allowed';
  if (error.code === '42501') {
    // A row-level security policy rejecting the new row: the privilege itself passed.
    return /row-level security policy/.test(error.message) ? 'allowed' : 'denied';
  }
  return error.code !== undefined && probe.afterPrivileges?.[error.code] !== undefined ? 'allowed' : 'error';
}

/** One line for a probe that did not go as intended. */
export function describeProbeFailure(p: ProbeResult): string {
  const was = p.outcome === 'error' ? 'failed for a reason that is not about privileges' : `was ${p.outcome}`;
  return `${p.role}: ${p.capability}: expected ${p.expected ? 'allowed' : 'denied'}, ${was} (${p.statement}${p.error ? `: ${p.error}` : ''})`;
}

/**
 * Runs probes in one transaction that is rolled back: each in a savepoint, under SET ROLE. Denied means
 * PostgreSQL answered insufficient_privilege (42501); allowed means success, or one of the errors the
 * probe lists as coming after the privilege checks; anything else is an error and fails the probe.
 */
export async function runProbes(db: Db, probes: Probe[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const warnings: string[] = [];
  const onNotice = (n: { message?: string }) => warnings.push(n.message ?? '');
  db.on('notice', onNotice);
  // Two round trips per probe: rolling back to the savepoint (which stays) undoes the previous probe and
  // its SET ROLE, and the next SET ROLE travels with it.
  await db.query("BEGIN; SET LOCAL statement_timeout = '10s'; SAVEPOINT pgrant_probe");
  try {
    for (const probe of probes) {
      warnings.length = 0;
      let error: { code?: string; message: string; where?: string } | undefined;
      try {
        await db.query(`ROLLBACK TO SAVEPOINT pgrant_probe; SET ROLE ${ident(probe.role)}`);
        await db.query(probe.statement);
      } catch (e) {
        error = e as { code?: string; message: string; where?: string };
      }
      const outcome = classify(probe, error, warnings);
      const actual = outcome === 'allowed';
      const ok = outcome !== 'error' && actual === probe.expected;
      results.push({ ...probe, outcome, actual, ok, error: error?.message ?? warnings.find((w) => probe.deniedByWarning?.test(w)) });
    }
  } finally {
    db.removeListener('notice', onNotice);
    await db.query('ROLLBACK');
  }
  return results;
}
