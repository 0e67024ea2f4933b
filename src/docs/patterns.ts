// docs/patterns.md, generated from patterns/: what each pattern is for, its parameters with defaults,
// its example plan and an excerpt of the SQL that example produces. `npm run docs:update` rewrites it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../catalog/catalog.js';
import { renderPlanFile } from '../pipeline.js';

/** Statements worth showing: what the pattern grants, creates or changes (not the shared plumbing). */
const EXCERPT = /^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES|CREATE SCHEMA|ALTER SCHEMA|CREATE POLICY|ALTER TABLE|ALTER DATABASE|SELECT format\('CREATE DATABASE| {4}REASSIGN OWNED| {4}DROP OWNED|DROP ROLE)/;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export async function patternsMarkdown(): Promise<string> {
  const lines: string[] = [
    '# The pattern catalog',
    '',
    'Generated from `patterns/*.yaml` by `npm run docs:update`; do not edit. `npx pgrant patterns NAME` shows',
    'the same in a terminal. Every pattern instance also accepts `mode: authoritative | additive` (default',
    'authoritative: deploy.sql revokes what the plan no longer gives the roles it creates).',
    '',
  ];
  const catalog = [...loadCatalog().values()];
  lines.push(...catalog.map((d) => `- [\`${d.name}\`](#${d.name}): ${d.summary}`), '');
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-docs-'));
  try {
    for (const def of catalog) {
      lines.push(`## ${def.name}`, '', def.summary, '', def.description.trim(), '');
      lines.push('| parameter | type | default | what it is |', '|---|---|---|---|');
      for (const [key, p] of Object.entries(def.parameters)) {
        const dflt = p.required ? 'required' : p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
        lines.push(`| \`${key}\` | \`${cell(p.typeExpr)}\` | ${dflt} | ${cell(p.doc)} |`);
      }
      lines.push('', 'Example:', '', '```yaml', def.example.trimEnd(), '```', '');
      const file = join(dir, `${def.name}.yaml`);
      writeFileSync(file, def.example);
      const { files } = await renderPlanFile(file);
      const excerpt = files.get('deploy.sql')!.split('\n').filter((l) => EXCERPT.test(l));
      lines.push('Excerpt of the deploy.sql it renders:', '', '```sql', ...excerpt.slice(0, 16), ...(excerpt.length > 16 ? ['-- …'] : []), '```', '');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
