#!/usr/bin/env node
// Rewrites docs/patterns.md from patterns/ (the test suite fails when it is stale).
import { writeFile } from 'node:fs/promises';
import { patternsMarkdown } from '../dist/docs/patterns.js';

await writeFile(new URL('../docs/patterns.md', import.meta.url), await patternsMarkdown());
console.log('wrote docs/patterns.md');
