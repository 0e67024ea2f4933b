// Sections 6–7 of the bench (scripts/bench.js): what users and contributors wait for on real servers.
//   6. `pgrant test examples/*.yaml --pg all`: every example on 5 majors × 2 deployers, one process;
//   7. the test suite, per file, from a vitest JSON report (the suite takes minutes: it is run on its own,
//      with the command below, and its report handed to the bench in BENCH_SUITE_JSON).
// `BENCH_ONLY=test npm run bench` runs these sections alone and replaces them in docs/performance.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';

export const SUITE_COMMAND = 'npx vitest run --reporter=default --reporter=json --outputFile.json=/tmp/suite.json';
export const START = '<!-- bench: pgrant test and the suite (BENCH_ONLY=test replaces from here to the end marker) -->';
export const END = '<!-- bench: end of pgrant test and the suite -->';
const TEST_TARGET_MS = 30_000;
const SUITE_TARGET_MS = 150_000;

const GNU_TIME = ['/usr/bin/time', '/bin/time'].find((p) => spawnSync(p, ['-f', '%M', 'true']).status === 0);
const s = (x) => (x < 100_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x / 1000)} s`);

/** Runs `pgrant test` on every example, all majors, both deployers: wall time, and CPU time of pgrant and its psql children. */
export function benchPgrantTest({ root, pgrant, examples }) {
  return new Promise((done) => {
    const command = [process.execPath, pgrant, 'test', ...examples, '--pg', 'all', '--quiet'];
    const [file, ...argv] = GNU_TIME ? [GNU_TIME, '-f', 'BENCH-CPU %U %S', ...command] : command;
    const t0 = performance.now();
    const child = spawn(file, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output = (output + d).slice(-8192)));
    child.stderr.on('data', (d) => (output = (output + d).slice(-8192)));
    child.on('close', (code) => {
      const m = /BENCH-CPU ([\d.]+) ([\d.]+)/.exec(output);
      const summary = output.split('\n').find((l) => /^(PASS|FAIL):/.test(l)) ?? output.trim().split('\n').pop();
      done({ wallMs: performance.now() - t0, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : null, code, summary, cases: examples.length * 5 * 2 });
    });
  });
}

/** Per-file durations from a vitest JSON report (`--reporter=json`), slowest first. */
export function readSuite(file, root) {
  if (!file || !existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const files = report.testResults.map((r) => ({
    file: relative(root, r.name),
    ms: r.endTime - r.startTime,
    tests: r.assertionResults.length,
    failed: r.assertionResults.filter((a) => a.status === 'failed').length,
    skipped: r.assertionResults.filter((a) => a.status === 'pending' || a.status === 'skipped').length,
  }));
  files.sort((a, b) => b.ms - a.ms);
  const end = Math.max(...report.testResults.map((r) => r.endTime));
  return { files, wallMs: end - report.startTime, success: report.success, tests: report.numTotalTests, failed: report.numFailedTests };
}

/** Sections 6–7 as markdown, between the markers. */
export function testMarkdown({ test, suite, suiteFile, load }) {
  const L = [START, '', '## 6. `pgrant test`: every example on 5 majors × 2 deployers', ''];
  L.push(
    'One process, `node bin/pgrant.js test examples/*.yaml --pg all --quiet`: one embedded server per major (started from the cached data directory), ' +
      'the majors side by side up to the core count, and on each server every plan as the superuser and as a managed service\'s admin, each in a ' +
      'database of its own. CPU time is pgrant\'s and its children\'s (psql, pg_ctl); the servers\' own CPU time is not in it.',
    '',
  );
  L.push(`Load average at the time: ${load}.`, '');
  L.push('| what | cases | wall time | CPU time (pgrant + psql) | result | target |', '|---|---:|---:|---:|---|---|');
  if (test) L.push(`| all examples, 5 majors × 2 deployers | ${test.cases} | ${s(test.wallMs)} | ${test.cpuMs === null ? '—' : s(test.cpuMs)} | ${test.code === 0 ? 'exit 0' : `**exit ${test.code}**`}: ${test.summary ?? ''} | ≤ ${s(TEST_TARGET_MS)} quiet: ${test.wallMs <= TEST_TARGET_MS ? 'met' : '**not met**'} |`);
  else L.push('| all examples, 5 majors × 2 deployers | — | — | — | not measured | |');
  L.push('', '## 7. The test suite, per file', '');
  L.push(`Measured with \`${SUITE_COMMAND}\`, then \`BENCH_SUITE_JSON=/tmp/suite.json BENCH_ONLY=test npm run bench\`. A file's time is from its start to its end in its worker; two workers run files side by side, so the run's wall time is less than the sum.`, '');
  if (!suite) {
    L.push(`Not measured in this run (no report${suiteFile ? ` at ${suiteFile}` : ': set BENCH_SUITE_JSON'}).`, '', END, '');
    return L.join('\n');
  }
  const total = suite.files.reduce((a, f) => a + f.ms, 0);
  L.push(`${suite.tests} tests, ${suite.failed} failed; wall time of the vitest run ${s(suite.wallMs)} (target for \`npm test\` on a quiet machine: ≤ ${s(SUITE_TARGET_MS)}); sum of the files' times ${s(total)}.`, '');
  L.push('| file | tests | skipped | failed | time | share of the sum |', '|---|---:|---:|---:|---:|---:|');
  for (const f of suite.files) L.push(`| ${f.file} | ${f.tests} | ${f.skipped} | ${f.failed} | ${s(f.ms)} | ${((100 * f.ms) / total).toFixed(0)}% |`);
  L.push('', END, '');
  return L.join('\n');
}

/** The document with sections 6–7 replaced (or added at the end). */
export function spliceTestSections(doc, sections) {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a === -1 || b === -1) return `${doc.trimEnd()}\n\n${sections}`;
  return doc.slice(0, a) + sections + doc.slice(b + END.length).replace(/^\n+/, '');
}
