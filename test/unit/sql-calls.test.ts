// The calls `pgrant test --hostile` plants overloads for are read from the files with PostgreSQL's parser:
// in plain SQL, in DO blocks (PL/pgSQL expressions and assignments), around psql meta-commands.
import { describe, expect, it } from 'vitest';
import { callsIn } from '../../src/harness/sql-calls.js';

const names = (calls: Awaited<ReturnType<typeof callsIn>>) => calls.functions.map((f) => `${f.schema ? `${f.schema}.` : ''}${f.name}/${f.arity}`);

describe('callsIn', () => {
  it('finds calls in SQL, in DO blocks and in assignments, with their schema and number of arguments', async () => {
    const calls = await callsIn([
      [
        '\\set ON_ERROR_STOP on',
        "SELECT format('%I', :'role') AS x \\gset",
        'DO $pgrant$',
        'DECLARE kept text;',
        'BEGIN',
        "  kept := concat_ws(', ', kept, 'a');",
        "  IF pg_catalog.current_setting('is_superuser') = 'on' THEN",
        "    PERFORM string_agg(r, ', ' ORDER BY r) FROM unnest(ARRAY['a']::text[]) AS v(r) WHERE r BETWEEN 'a' AND 'z' AND r LIKE 'a%';",
        '  END IF;',
        'END',
        '$pgrant$;',
        "\\if :{?alice_password}",
        '\\endif',
        "SELECT 1 WHERE 'a' || 'b' IN ('ab');",
      ].join('\n'),
    ]);
    expect(calls.unparsed).toEqual([]);
    expect(names(calls)).toEqual(['concat_ws/3', 'pg_catalog.current_setting/1', 'format/2', 'string_agg/2', 'unnest/1']);
    // BETWEEN calls >= and <=, LIKE ~~, IN =.
    expect(calls.operators).toEqual(['<=', '=', '>=', '||', '~~']);
  });

  it('names a statement it cannot read instead of skipping it', async () => {
    const calls = await callsIn(['SELECT format(1);\nSELEC broken(;\nSELECT lower(2);']);
    expect(names(calls)).toEqual(['format/1', 'lower/1']);
    expect(calls.unparsed).toEqual(['SELEC broken(;']);
  });
});
