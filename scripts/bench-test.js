// Sections 6–7 of the bench (scripts/bench.js): what users and contributors wait for on real servers.
//   6. `pgrant test examples/*.yaml --pg all`: every example on 5 majors × 2 deployers, one process;
//   7. the test suite, per file, from a vitest JSON report (the suite takes minutes: it is run on its own,
//      with the command below, and its report handed to the bench in BENCH_SUITE_JSON).
// `BENCH_ONLY=test npm run bench` runs these sections alone and replaces them in docs/performance.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const CLOCK_TICK_MS = 10; // /proc/<pid>/stat counts CPU time in ticks of 1/100 s (USER_HZ)

/** CPU time (ms) of a process from /proc: its own, and that of its children it has waited for. */
function procCpu(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { own: (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS, children: (Number(f[13]) + Number(f[14])) * CLOCK_TICK_MS };
  } catch {
    return { own: 0, children: 0 };
  }
}

/** CPU time of a server so far: the postmaster, its ended backends, and its running ones. */
function serverCpu(postmaster) {
  const pm = procCpu(postmaster);
  const running = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return pm.own + pm.children + running.reduce((a, pid) => a + procCpu(pid).own, 0);
}

/**
 * Where the CPU time of a `pgrant test` case goes, by phase: every example as both deployers on one
 * PostgreSQL 17 server in this process (the harness's own functions), CPU time of the server, of
 * pgrant (this process) and of psql (its children). Unlike wall time, this hardly moves with the load.
 */
export async function benchCaseCpu({ root, examples }) {
  const { startServer, addressOf } = await import(pathToFileURL(join(root, 'dist', 'harness', 'server.js')).href);
  const { provePlan } = await import(pathToFileURL(join(root, 'dist', 'harness', 'prove.js')).href);
  const server = await startServer(17);
  const postmaster = Number(readFileSync(join(server.host, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const phases = new Map();
  let cases = 0;
  let failed = 0;
  try {
    for (const planFile of examples) {
      for (const deployer of ['superuser', 'managed']) {
        let phase = 'render';
        let last = { server: serverCpu(postmaster), ...procCpu(process.pid) };
        const mark = (next) => {
          const now = { server: serverCpu(postmaster), ...procCpu(process.pid) };
          const sum = phases.get(phase) ?? { server: 0, pgrant: 0, psql: 0 };
          phases.set(phase, { server: sum.server + now.server - last.server, pgrant: sum.pgrant + now.own - last.own, psql: sum.psql + now.children - last.children });
          [last, phase] = [now, next];
        };
        const report = await provePlan({ planFile: join(root, planFile), server: addressOf(server), deployer, onPhase: mark });
        mark('');
        cases++;
        if (!report.ok) failed++;
      }
    }
  } finally {
    await server.stop();
  }
  return { cases, failed, phases: [...phases].map(([name, cpu]) => ({ name, ...cpu })) };
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
export function testMarkdown({ test, perCase, suite, suiteFile, suiteNote, load }) {
  const L = [START, '', '## 6. `pgrant test`: every example on 5 majors × 2 deployers', ''];
  L.push(
    'One process, `node bin/pgrant.js test examples/*.yaml --pg all --quiet`: one embedded server per major (started from the cached data directory), ' +
      'all majors side by side, and on each server every plan as the superuser and as a managed service\'s admin, each in a ' +
      'database of its own. CPU time is pgrant\'s and its children\'s (psql, pg_ctl); the servers\' own CPU time is not in it.',
    '',
  );
  L.push(`Load average at the time: ${load}.`, '');
  L.push('| what | cases | wall time | CPU time (pgrant + psql) | result | target |', '|---|---:|---:|---:|---|---|');
  if (test) L.push(`| all examples, 5 majors × 2 deployers | ${test.cases} | ${s(test.wallMs)} | ${test.cpuMs === null ? '—' : s(test.cpuMs)} | ${test.code === 0 ? 'exit 0' : `**exit ${test.code}**`}: ${test.summary ?? ''} | ≤ ${s(TEST_TARGET_MS)} quiet: ${test.wallMs <= TEST_TARGET_MS ? 'met' : '**not met**'} |`);
  else L.push('| all examples, 5 majors × 2 deployers | — | — | — | not measured | |');
  if (perCase) {
    const sum = (k) => perCase.phases.reduce((a, p) => a + p[k], 0);
    const total = sum('server') + sum('pgrant') + sum('psql');
    const each = total / perCase.cases;
    const floor = (each * (test?.cases ?? 80)) / cpus().length;
    L.push('', '### Where a case\'s CPU time goes', '');
    L.push(
      `Every example as both deployers on one PostgreSQL 17 server, run by the harness's own functions in one process (${perCase.cases} cases, ${perCase.failed} failed): ` +
        'CPU time by phase of the server (postmaster and backends), of pgrant, and of psql. CPU time hardly moves with the load, unlike wall time.',
      '',
    );
    L.push('| phase | server | pgrant | psql | share |', '|---|---:|---:|---:|---:|');
    for (const p of perCase.phases) L.push(`| ${p.name} | ${s(p.server)} | ${s(p.pgrant)} | ${s(p.psql)} | ${((100 * (p.server + p.pgrant + p.psql)) / total).toFixed(0)}% |`);
    L.push(`| **all** | ${s(sum('server'))} | ${s(sum('pgrant'))} | ${s(sum('psql'))} | ${s(each)} per case |`, '');
    L.push(
      `At ${s(each)} of CPU per case, the ${test?.cases ?? 80} cases of section 6 need ${s(floor)} on ${cpus().length} cores even with every core busy all the time: ` +
        `${floor <= TEST_TARGET_MS ? 'the target is within reach' : `**that is what stands in the way of the ${s(TEST_TARGET_MS)} target**, whatever the scheduling; reaching it means doing less per case (fewer psql runs and deploys per case, a cheaper drift check)`}.`,
      '',
    );
  }
  L.push('', '## 7. The test suite, per file', '');
  L.push(`Measured with \`${SUITE_COMMAND}\`, then \`BENCH_SUITE_JSON=/tmp/suite.json BENCH_ONLY=test npm run bench\`. A file's time is from its start to its end in its worker; two workers run files side by side, so the run's wall time is less than the sum.`, '');
  if (suiteNote) L.push(`**This run:** ${suiteNote}`, '');
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
