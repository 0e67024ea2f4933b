#!/usr/bin/env node
// Where the memory goes, for `npm run bench` (scripts/bench.js): the steps of `pgrant render` run one by
// one in this process, with a full garbage collection after each, so that the live heap it reports is
// what each step keeps. Run as `node --expose-gc scripts/bench-heap.js plan.yaml`; prints JSON lines.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { loadPlan, releasePlanSources } = await dist('plan/load.js');
const { buildModel } = await dist('model/expand.js');
const { lint } = await dist('lint/rules.js');
const { renderModelLazily } = await dist('render/render.js');

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const file = process.argv[2];
let t0 = process.hrtime.bigint();
/** After a step: its time, then the live heap and the process's resident memory after a full collection. */
const step = (name, extra = {}) => {
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  globalThis.gc();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ step: name, ms, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss, ...extra })}\n`);
  t0 = process.hrtime.bigint();
};
step('Node and pgrant loaded');
const plan = loadPlan(file);
step('plan read and checked (YAML with positions)');
const model = buildModel(plan);
step('model built');
lint(model);
step('lint rules run');
const files = renderModelLazily(model, { planFile: 'plan.yaml' });
step('view built');
// As `pgrant render` does (pipeline.ts, releaseSources): the view holds every location it reports.
releasePlanSources(plan);
step('the plan\'s YAML document let go');
// Each file goes to a sink piece by piece, as `pgrant render` writes it to disk; here it is only counted.
for (const [name, render] of files) {
  let bytes = 0;
  render((piece) => (bytes += piece.length));
  step(`${name} rendered`, { bytes });
}
