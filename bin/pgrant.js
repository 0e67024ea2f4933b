#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` in a clone (the `prepare` script) and before packing (`prepack`).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered without loading the CLI: `pgrant --version` is what scripts call to probe for pgrant.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  // dist/bundle/: the CLI bundled by `npm run build` (scripts/bundle.js).
  const { main } = await import('../dist/bundle/main.js');
  process.exitCode = await main(args);
}
