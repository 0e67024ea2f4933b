// Which psql runs: Debian's /usr/bin/psql is pg_wrapper, a Perl script costing ~60 ms of CPU per call; with
// a single client installed, the harness runs that client directly.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPsql } from '../../src/harness/psql.js';

describe('findPsql', () => {
  it("runs Debian's only installed client directly, not through pg_wrapper", () => {
    const clients = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/psql`)) : [];
    const wrapped = existsSync('/usr/bin/psql') && basename(realpathSync('/usr/bin/psql')) === 'pg_wrapper';
    const psql = findPsql();
    if (wrapped && clients.length === 1 && !process.env.PGRANT_PSQL) expect(psql).toBe(`/usr/lib/postgresql/${clients[0]}/bin/psql`);
    else expect(psql).toBe(process.env.PGRANT_PSQL ?? 'psql');
  });
});
