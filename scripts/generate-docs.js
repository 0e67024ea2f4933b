#!/usr/bin/env node
// Rewrites docs/patterns.md (from patterns/) and docs/plan-format.md (from the plan's type definitions and
// the commands); the test suite fails when either is stale.
import { writeFile } from 'node:fs/promises';
import { patternsMarkdown } from '../dist/docs/patterns.js';
import { planFormatMarkdown } from '../dist/docs/plan-format.js';

await writeFile(new URL('../docs/patterns.md', import.meta.url), await patternsMarkdown());
await writeFile(new URL('../docs/plan-format.md', import.meta.url), planFormatMarkdown());
console.log('wrote docs/patterns.md and docs/plan-format.md');
