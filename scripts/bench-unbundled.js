#!/usr/bin/env node
// pgrant run from tsc's module-per-file output (dist/cli/main.js) instead of the bundle bin/pgrant.js
// loads (dist/bundle/): the same code, loaded module by module, so that each sample of the bench's CPU
// profile (scripts/bench.js, section 2) names the module it comes from.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
