// Rewrites docs/patterns.md (from patterns/) and docs/plan-format.md (from the plan's type definitions and
// the commands); the test suite fails when either is stale. With `--catalog DIR [--catalog DIR…] --out FILE`,
// writes the reference of a team's catalog instead (the same as `pgrant patterns --catalog DIR --markdown`).
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { patternsMarkdown, teamPatternsMarkdown } from '../dist/docs/patterns.js';
import { planFormatMarkdown } from '../dist/docs/plan-format.js';

const { values } = parseArgs({ options: { catalog: { type: 'string', multiple: true }, out: { type: 'string' } } });
if (values.catalog?.length) {
  const out = values.out ?? 'docs/team-patterns.md';
  await writeFile(out, await teamPatternsMarkdown(values.catalog));
  console.log(`wrote ${out}`);
} else {
  await writeFile(new URL('../docs/patterns.md', import.meta.url), await patternsMarkdown());
  await writeFile(new URL('../docs/plan-format.md', import.meta.url), await planFormatMarkdown());
  console.log('wrote docs/patterns.md and docs/plan-format.md');
}
