// pgrant audit [--file audit.sql] [--database-url URL]: the server's access state as JSON, with psql alone.
import { writeFile } from 'node:fs/promises';
import type { CommandModule } from '../main.js';

export const auditCommand: CommandModule = {
  command: 'audit',
  describe: 'write audit.sql (psql-only, read-only: prints the server\'s access state as JSON); with --database-url, run it',
  builder: (y) =>
    y
      .option('file', { type: 'string', default: 'audit.sql', describe: 'where to write audit.sql' })
      .option('database-url', { type: 'string', describe: 'run the audit on this server now and print the JSON' }),
  async run(args, io) {
    const { auditServer, auditSql } = await import('../../audit/audit.js');
    if (args.databaseUrl) {
      io.out(JSON.stringify(await auditServer(args.databaseUrl as string), null, 2));
      return 0;
    }
    await writeFile(args.file as string, auditSql());
    io.out(`wrote ${args.file as string}: run psql -X -q -d <database> -f ${args.file as string} > state.json, then pgrant diff plan.yaml --audit state.json`);
    return 0;
  },
};
