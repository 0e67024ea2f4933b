// audit.sql: rendered once (it depends on no plan), and run against a server when a connection exists.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../diagnostics.js';
import { runPsqlUrl } from '../harness/psql.js';
import { pgrantVersion } from '../paths.js';
import { shippedTemplates } from '../render/templates.js';
import { checkAuditState, type AuditState } from './drift.js';

export function auditSql(): string {
  return shippedTemplates().get('audit.sql')({ tool: { name: 'pgrant', version: pgrantVersion() } });
}

/** Runs audit.sql with psql on the server at `url` and returns its JSON. */
export async function auditServer(url: string): Promise<AuditState> {
  const dir = await mkdtemp(join(tmpdir(), 'pgrant-audit-'));
  try {
    const file = join(dir, 'audit.sql');
    await writeFile(file, auditSql());
    const result = await runPsqlUrl(url, file);
    if (result.code !== 0) throw new UserError(`the audit failed on the server: ${result.stderr.trim()}`);
    return checkAuditState(JSON.parse(result.stdout), 'the audit');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
