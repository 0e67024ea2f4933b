#!/usr/bin/env node
// pgrant's performance bench: `npm run bench` builds, then runs this file, which rewrites
// docs/performance.md with every figure, the machine, its load, and the targets met or missed.
//
// What a user waits for is a whole process, so that is what is timed: `node bin/pgrant.js render …`
// from spawn to exit (Node start, module loading, the work, writing files), for
//   1. the StreamFlow example, synthetic plans of 100 / 1,000 / 5,000 `project` instances, and
//      `render --check` of all examples — each next to a floor process (scripts/bench-floor.js: read,
//      parse, concatenate the minimal statements, write) measured in the same run, interleaved with it;
//      peak memory (maxRSS) of both;
//   2. where the time goes: a CPU profile of the StreamFlow and 1,000-project renders, by module;
//   3. cold start: `pgrant --version` against `node -e 0`;
//   4–5. deploy.sql on PostgreSQL 17 against a minimal, non-idempotent script; verify.sql; then 4 deploy.sql
//      at once on a fresh server (the advisory lock makes them take turns; all must succeed).
// On a machine shared with other work, times are noisy: the load average at the start and end of the run
// is part of the report. Environment: BENCH_RUNS (runs per measurement, default 5; a render over 10 s is
// run BENCH_RUNS_LONG times, default 1), BENCH_TIMEOUT_S (per process, default 300), BENCH_SKIP_APPLY=1
// (no PostgreSQL: sections 4–5 say "not measured"). Sections 6–7 (`pgrant test` on every example, the
// suite per file) are in scripts/bench-test.js; BENCH_ONLY=test runs only them, BENCH_SUITE_JSON names
// the suite's vitest JSON report (BENCH_SUITE_NOTE says how that run was made).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { minimalDeploySql, PLAN, planYaml, projects } from './bench-floor.js';
import { benchCaseCpu, benchPgrantTest, readSuite, spliceTestSections, testMarkdown } from './bench-test.js';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SCRIPT), '..');
const DOC = join(ROOT, 'docs', 'performance.md');
const FLOOR = join(ROOT, 'scripts', 'bench-floor.js');
const PGRANT = join(ROOT, 'bin', 'pgrant.js');
/** For the CPU profile only: the same CLI, loaded module by module rather than from the bundle. */
const UNBUNDLED = join(ROOT, 'scripts', 'bench-unbundled.js');

const SIZES = [100, 1000, 5000];
/** The size the render ratio, apply and verify targets are about. */
const TARGET_SIZE = 1000;
/** The size the memory target is about. */
const MEMORY_SIZE = 5000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RUNS_LONG = Number(process.env.BENCH_RUNS_LONG ?? 1);
const LONG_MS = 10_000;
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);
const SKIP_APPLY = process.env.BENCH_SKIP_APPLY === '1';
const PG_MAJOR = PLAN.postgres;
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`);

const TARGETS = {
  smallMs: 150,
  renderMs: 1000,
  renderOverFloor: 2.5,
  memoryMb: 400,
  versionMs: 80,
  deployOverMinimal: 1.5,
  verifyMs: 10_000,
};

// ---------------------------------------------------------------------------------------------------
// Small helpers: time, formatting.

const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const int = (n) => n.toLocaleString('en-US');
const ms = (x) => (x < 10 ? `${x.toFixed(2)} ms` : x < 1000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(2)} s`);
const bytes = (b) => (b < 1024 ** 2 ? `${(b / 1024).toFixed(0)} kB` : b < 1024 ** 3 ? `${(b / 1024 ** 2).toFixed(1)} MB` : `${(b / 1024 ** 3).toFixed(2)} GB`);
const kb = (k) => bytes(k * 1024);
const ratio = (x) => `${x.toFixed(2)}×`;
const progress = (message) => process.stderr.write(`bench: ${message}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ');

async function importDist(path) {
  const file = join(ROOT, 'dist', path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first (or "npm run bench", which builds)`);
  return import(pathToFileURL(file).href);
}

/** Bytes under a directory. */
function sizeOf(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((sum, f) => {
    const p = join(dir, f);
    return sum + (statSync(p).isDirectory() ? sizeOf(p) : statSync(p).size);
  }, 0);
}

// ---------------------------------------------------------------------------------------------------
// Whole processes. GNU time, when installed, reports the peak memory of exactly the process it runs
// (its own start adds about a millisecond, to pgrant and the floor alike); without it, /proc is polled.

const GNU_TIME = ['/usr/bin/time', '/bin/time'].find((p) => spawnSync(p, ['-f', '%M', 'true']).status === 0);

/** The child's peak resident memory so far, read from /proc while it runs. */
function vmHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs `node …args`; resolves with wall time from spawn to exit, peak memory, and why it failed if it did. */
function runNode(args, { nodeArgs = [] } = {}) {
  return new Promise((done) => {
    const command = [process.execPath, ...nodeArgs, ...args];
    const [file, ...argv] = GNU_TIME ? [GNU_TIME, '-f', 'BENCH-MAXRSS %M %U %S', ...command] : command;
    const t0 = now();
    const child = spawn(file, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let polledKb = 0;
    let timedOut = false;
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8192)));
    const poll = GNU_TIME ? undefined : setInterval(() => (polledKb = Math.max(polledKb, vmHwmKb(child.pid))), 20);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      const wallMs = msSince(t0);
      clearInterval(poll);
      clearTimeout(timer);
      const m = /BENCH-MAXRSS (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      const rssKb = m ? Number(m[1]) : polledKb;
      // CPU time (user + system, all threads): steadier than wall time when other work shares the machine.
      const cpuMs = m ? (Number(m[2]) + Number(m[3])) * 1000 : null;
      const lastLine = stderr.replace(/BENCH-MAXRSS .*\s*$/, '').trim().split('\n').pop() ?? '';
      // GNU time reports a child killed by a signal as "Command terminated by signal N" and exits non-zero.
      if (code === 0 && !timedOut) return done({ ok: true, wallMs, rssKb, cpuMs });
      const reason = timedOut ? `timed out after ${ms(wallMs)}` : /heap out of memory|Allocation failed/.test(stderr) ? `out of memory after ${ms(wallMs)}` : `exited with ${signal ?? `code ${code}`}: ${lastLine}`;
      done({ ok: false, wallMs, rssKb, reason });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// 1. pgrant against the floor, interleaved: run k of the floor, then run k of pgrant, so that both see
//    the same machine. One untimed run of each first (file cache, and a first failure stops early).

/** What is measured: each case's pgrant command line and its floor's. */
function cases(work) {
  const out = (id) => join(work, `out-${id}`);
  const list = [
    {
      id: 'streamflow',
      label: '`pgrant render examples/streamflow.yaml`',
      pgrant: [PGRANT, 'render', 'examples/streamflow.yaml', '--out', out('streamflow'), '--quiet'],
      floor: [FLOOR, 'plan', 'examples/streamflow.yaml', out('streamflow-floor')],
      outDir: out('streamflow'),
    },
  ];
  for (const n of SIZES) {
    const planFile = join(work, `plan-${n}.yaml`);
    writeFileSync(planFile, planYaml(n));
    list.push({
      id: `n${n}`,
      n,
      planFile,
      label: `render ${int(n)} projects (${int(5 * n)} roles)`,
      pgrant: [PGRANT, 'render', planFile, '--out', out(`n${n}`), '--quiet'],
      floor: [FLOOR, 'synthetic', planFile, out(`n${n}-floor`)],
      outDir: join(out(`n${n}`), PLAN.name),
    });
  }
  list.push({
    id: 'check',
    label: `\`pgrant render examples/*.yaml --check\` (${EXAMPLES.length} plans)`,
    pgrant: [PGRANT, 'render', ...EXAMPLES, '--check'],
    floor: [FLOOR, 'check', ...EXAMPLES],
  });
  return list;
}

async function benchCase(c) {
  progress(`${c.label}: warm-up…`);
  const warm = await runNode(c.pgrant);
  if (!warm.ok) return { ...c, ok: false, reason: warm.reason, rssKb: warm.rssKb };
  const floorWarm = await runNode(c.floor);
  if (!floorWarm.ok) throw new Error(`the floor of ${c.label} failed: ${floorWarm.reason}`);
  const runs = warm.wallMs > LONG_MS ? RUNS_LONG : RUNS;
  const pgrant = [];
  const floor = [];
  for (let k = 0; k < runs; k++) {
    const f = await runNode(c.floor);
    if (!f.ok) throw new Error(`the floor of ${c.label} failed: ${f.reason}`);
    floor.push(f);
    const r = await runNode(c.pgrant);
    if (!r.ok) return { ...c, ok: false, reason: r.reason, rssKb: r.rssKb };
    pgrant.push(r);
    progress(`${c.label}: run ${k + 1}/${runs}: pgrant ${ms(r.wallMs)} (${kb(r.rssKb)}), floor ${ms(f.wallMs)} (${kb(f.rssKb)})`);
  }
  const wall = median(pgrant.map((r) => r.wallMs));
  const floorWall = median(floor.map((r) => r.wallMs));
  return {
    ...c,
    ok: true,
    runs,
    wallMs: wall,
    minMs: Math.min(...pgrant.map((r) => r.wallMs)),
    floorMs: floorWall,
    ratio: wall / floorWall,
    rssKb: Math.max(...pgrant.map((r) => r.rssKb)),
    floorRssKb: Math.max(...floor.map((r) => r.rssKb)),
    cpuMs: GNU_TIME ? median(pgrant.map((r) => r.cpuMs)) : null,
    floorCpuMs: GNU_TIME ? median(floor.map((r) => r.cpuMs)) : null,
    output: c.outDir ? sizeOf(c.outDir) : null,
  };
}

// ---------------------------------------------------------------------------------------------------
// 2b. Where the memory goes: the steps of a render, each followed by a full collection
//     (scripts/bench-heap.js), so that what each step keeps shows apart from garbage not yet collected.

function benchHeap(c) {
  progress(`${c.label}: live heap after each step…`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'scripts', 'bench-heap.js'), c.planFile], { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_S * 1000, maxBuffer: 1 << 20 });
  if (r.status !== 0) return { ok: false, label: c.label, reason: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  return { ok: true, label: c.label, steps: r.stdout.trim().split('\n').map((l) => JSON.parse(l)) };
}

// ---------------------------------------------------------------------------------------------------
// 2. Where the time goes: one render under --cpu-prof, self time summed by module.

/** A module's name in the profile: an npm package, a file of pgrant's, Node itself, or V8's own work. */
function moduleOf(frame) {
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (['(program)', '(idle)', '(root)'].includes(frame.functionName) || !frame.url) return 'V8 and native code (compiling, startup, I/O)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (pkg) return `${pkg[1]} (npm)`;
  if (frame.url.startsWith('node:')) return 'Node.js (module loading, file system)';
  const own = /\/dist\/(.+)$/.exec(frame.url);
  if (own) return own[1].startsWith('templates/') ? 'compiled templates (dist/templates/)' : `src/${own[1].replace(/\.js$/, '.ts')}`;
  return relative(ROOT, fileURLToPath(frame.url));
}

async function profile(work, c) {
  const dir = mkdtempSync(join(work, 'prof-'));
  progress(`${c.label}: CPU profile…`);
  const args = c.pgrant.map((a) => (a === PGRANT ? UNBUNDLED : a));
  const r = await runNode(args, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'] });
  if (!r.ok) return { label: c.label, ok: false, reason: r.reason };
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byModule = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const t = (p.timeDeltas[i] ?? 0) / 1000;
    const name = moduleOf(nodes.get(id).callFrame);
    byModule.set(name, (byModule.get(name) ?? 0) + t);
    total += t;
  });
  const rows = [...byModule].sort((a, b) => b[1] - a[1]);
  return { label: c.label, ok: true, wallMs: r.wallMs, total, rows };
}

// ---------------------------------------------------------------------------------------------------
// 3. Cold start: Node doing nothing, and `pgrant --version` (what scripts call to probe for pgrant).

async function benchColdStart() {
  const commands = [
    { label: '`node -e 0`', args: ['-e', '0'] },
    { label: '`pgrant --version`', args: [PGRANT, '--version'] },
  ];
  const times = commands.map(() => []);
  progress(`cold start × ${COLD_RUNS}…`);
  for (let i = 0; i <= COLD_RUNS; i++) {
    for (const [k, c] of commands.entries()) {
      const r = await runNode(c.args);
      if (!r.ok) throw new Error(`node ${c.args.join(' ')} failed: ${r.reason}`);
      if (i > 0) times[k].push(r.wallMs); // run 0 warms the file cache
    }
  }
  return commands.map((c, k) => ({ label: c.label, median: median(times[k]), min: Math.min(...times[k]), max: Math.max(...times[k]) }));
}

// ---------------------------------------------------------------------------------------------------
// 4–5. Apply on PostgreSQL: deploy.sql against the minimal script, then verify.sql. Roles are cluster-
//      wide, so each script gets its own fresh server (same settings), and both run in database `bench`.

async function benchApply(work, n, outDir) {
  const { startServer } = await importDist('harness/server.js');
  const { runPsql } = await importDist('harness/psql.js');
  const list = projects(n);
  const vars = Object.fromEntries(list.map((p) => [p.passwordVar, `bench-${p.project}-secret`]));
  const minimalFile = join(work, 'minimal.sql');
  writeFileSync(minimalFile, minimalDeploySql(list, await importDist('sql/quote.js')));

  /** A fresh server with the plan's database; `use` runs against it, the server is always stopped. */
  const withServer = async (use) => {
    const server = await startServer(PG_MAJOR);
    try {
      const created = await runPsql(server, { database: 'postgres', command: `CREATE DATABASE ${PLAN.database}` });
      if (created.code !== 0) throw new Error(`CREATE DATABASE failed: ${created.stderr}`);
      return await use(server);
    } finally {
      await server.stop();
    }
  };
  const timed = async (server, file, label) => {
    const t0 = now();
    const r = await runPsql(server, { database: PLAN.database, file, vars });
    return { ms: msSince(t0), code: r.code, stdout: r.stdout, stderr: r.stderr, label };
  };

  progress(`apply: minimal script, ${int(n)} projects, fresh PostgreSQL ${PG_MAJOR}…`);
  const minimal = await withServer((server) => timed(server, minimalFile, 'minimal script'));
  if (minimal.code !== 0) throw new Error(`the minimal script failed (${minimal.code}): ${minimal.stderr.slice(0, 2000)}`);

  progress(`apply: deploy.sql, deploy.sql again, verify.sql, ${int(n)} projects, fresh PostgreSQL ${PG_MAJOR}…`);
  const applied = await withServer(async (server) => {
    const version = await runPsql(server, { database: 'postgres', command: 'SHOW server_version', tuplesOnly: true });
    const deploy = await timed(server, join(outDir, 'deploy.sql'), 'deploy.sql');
    const serverVersion = version.stdout.trim();
    if (deploy.code !== 0) {
      progress(`deploy.sql failed (exit ${deploy.code}): ${deploy.stderr.slice(0, 2000)}`);
      return { n, serverVersion, minimal, deploy, redeploy: null, verify: null };
    }
    const redeploy = await timed(server, join(outDir, 'deploy.sql'), 'deploy.sql again');
    const verify = await timed(server, join(outDir, 'verify.sql'), 'verify.sql');
    const passed = /all ([\d,]+) checks passed/.exec(verify.stdout + verify.stderr);
    const failures = (verify.stdout + verify.stderr).split('\n').filter((l) => l.includes('FAIL:')).length;
    return { n, serverVersion, minimal, deploy, redeploy, verify: { ...verify, checks: passed ? passed[1] : null, failures } };
  });
  if (applied.deploy.code !== 0) return { ...applied, concurrent: null };
  // Four deploys at once (new roles): the advisory lock makes them take turns, and all must succeed.
  progress(`apply: 4 deploy.sql at once, ${int(n)} projects, fresh PostgreSQL ${PG_MAJOR}…`);
  const concurrent = await withServer(async (server) => {
    const t0 = now();
    const runs = await Promise.all([1, 2, 3, 4].map((i) => timed(server, join(outDir, 'deploy.sql'), `deploy.sql #${i}`)));
    return { ms: msSince(t0), code: runs.every((r) => r.code === 0) ? 0 : 1, codes: runs.map((r) => r.code), stderr: runs.map((r) => r.stderr).join('\n') };
  });
  return { ...applied, concurrent };
}

// ---------------------------------------------------------------------------------------------------
// 6. docs/performance.md: every figure, the machine, its load, the targets. Same layout on every run.

/**
 * What to do next about a missed target, from the profiles so far (section 2 shows the current one).
 * Kept here, beside the measurements, so the report says it whenever the target is missed.
 */
const NEXT_STEPS = {
  small:
    'About a third of a small render is Node starting (`node -e 0`); most of the rest is loading code and V8 ' +
    'compiling it. The CLI is bundled with `yaml` (scripts/bundle.js), templates and the pattern catalog are checked ' +
    'and compiled at build time, and yargs, Handlebars, the PostgreSQL parser and the harness are not loaded. Next ' +
    'step: Node\'s compile cache (`module.enableCompileCache`, Node ≥ 22.1) once the minimum Node version allows it.',
  large:
    'The floor spends about two thirds of its time parsing the YAML. pgrant parses the same YAML with positions (for ' +
    'error messages: the same parser, about the same time), then checks it against the plan types, builds the model, ' +
    'runs the lint rules, builds the view and renders about nine times the floor\'s text (deploy.sql with its checks ' +
    'and convergence, verify.sql with the expected state as data and the privileges members get through their ' +
    'groups, revert.sql, ACCESS.md with a matrix per role), which must stay byte-identical. The templates are plain ' +
    'JavaScript generated at build time and write each file to disk in pieces as it renders; what remains is spread ' +
    'over many steps (section 2): garbage collection is the largest item (the plan, the model and the view live ' +
    'through the whole run, so young-generation collections copy and promote them), then `yaml`, then the view. ' +
    'Tried, and not the way: a larger or smaller young generation (`--max-semi-space-size` 16–64, ' +
    '`--min-semi-space-size`) and V8\'s compiler flags (`--no-opt`: 3% less at 1,000 projects, 30% more at 5,000; ' +
    '`--max-lazy`, `--single-threaded-gc`) changed nothing beyond the noise once the text stopped piling up; the ' +
    'bundle (scripts/bundle.js) saves about 25 ms of loading per run. Next steps, by ' +
    'expected gain: (1) ACCESS.md\'s matrix and verify.sql\'s inherited rows built as the template walks them, ' +
    'role by role, instead of as a whole before it (they are most of the view\'s time and garbage); (2) fewer ' +
    'objects while building the model and checking the plan (copies of each expanded instance, a key string per ' +
    'merged grant, the per-field checks of the plan types).',
  version:
    '`pgrant --version` does not load the CLI: bin/pgrant.js reads package.json and prints the version, so its time ' +
    'is Node\'s own start (`node -e 0`, section 3) plus a millisecond or two. Over the target, it is Node starting ' +
    'slowly on this machine at this load: rerun on a quiet machine.',
  memory:
    'The live heap (section 2, "Where the memory goes") is the plan as parsed, the model and the view; no file is ' +
    'held whole, since each goes to disk in pieces as it renders. The peak is above the live heap because V8 grows ' +
    'the heap rather than collect while allocation is fast. Next step: the per-role building of the first large-plan ' +
    'step (ACCESS.md and verify.sql need no whole-plan lists then).',
};

function report({ machine, results, profiles, heap, cold, apply, applyNote }) {
  const byId = new Map(results.map((r) => [r.id, r]));
  const at = byId.get(`n${TARGET_SIZE}`);
  const memoryCase = byId.get(`n${MEMORY_SIZE}`);
  const small = byId.get('streamflow');
  const version = cold.find((c) => c.label.includes('--version'));
  const nodeZero = cold[0];
  const L = [];
  L.push('# Performance', '');
  L.push('<!-- Generated by scripts/bench.js (`npm run bench`). Every run rewrites this file: do not edit by hand. -->', '');
  L.push(`Measured on ${machine.date}: ${machine.code}.`, '');
  L.push('| machine | |', '|---|---|');
  L.push(`| CPU | ${machine.cores} × ${machine.model} |`);
  L.push(`| memory | ${bytes(machine.memory)} |`);
  L.push(`| load average (1 / 5 / 15 min) | ${machine.loadStart} at the start, ${machine.loadEnd} at the end${machine.busy ? ' — **a busy machine: times are inflated by other work; rerun on a quiet one**' : ''} |`);
  L.push(`| Node | ${machine.node} |`);
  L.push(`| PostgreSQL | ${machine.postgres} (embedded, fsync off: a throwaway server) |`);
  L.push(`| psql | ${machine.psql} |`, '');

  L.push('## 1. Whole processes, as a user runs them', '');
  L.push(
    'Wall time of `node bin/pgrant.js …` from spawn to exit: Node starting, loading modules, the work, writing the files. ' +
      'Each next to its floor (`scripts/bench-floor.js`): a process that starts Node, loads `yaml` and pgrant\'s quoting ' +
      '(dist/sql/quote.js), reads and parses the plan, builds the minimal statements by string concatenation and writes them ' +
      '— no validation, no model, no templates, no checks. For the synthetic plans the floor writes the statements with ' +
      'the effect of deploy.sql (CREATE ROLE, COMMENT, CREATE SCHEMA … AUTHORIZATION, GRANT … ON SCHEMA / ALL TABLES / ' +
      'ALL SEQUENCES, ALTER DEFAULT PRIVILEGES, GRANT role TO login); for an example, one statement per value of the plan; ' +
      'for `--check`, it parses every plan and reads its files in out/. ' +
      `Floor and pgrant runs alternate, after one untimed run of each; median of ${RUNS} runs (of ${RUNS_LONG} for a render over ${ms(LONG_MS)}). ` +
      `Synthetic plans: N \`project\` instances, 2 schemas each, the owner's password from a psql variable (5 roles per project). ` +
      `Peak memory is maxRSS${GNU_TIME ? ' (GNU time)' : ' (highest VmHWM polled from /proc)'}. ` +
      'CPU time is user + system time of the process, all its threads (garbage collection runs in helper threads): on a busy machine it moves less than wall time.',
    '',
  );
  L.push('| what | runs | pgrant (median) | pgrant (min) | floor | pgrant ÷ floor | CPU time, pgrant / floor | peak memory | floor peak memory | output |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cpu = (r) => (r.cpuMs === null ? '—' : `${ms(r.cpuMs)} / ${ms(r.floorCpuMs)}`);
  for (const r of results) {
    if (!r.ok) L.push(`| ${r.label} | — | **failed**: ${r.reason} | — | — | — | — | ≥ ${kb(r.rssKb)} | — | — |`);
    else L.push(`| ${r.label} | ${r.runs} | ${ms(r.wallMs)} | ${ms(r.minMs)} | ${ms(r.floorMs)} | ${ratio(r.ratio)} | ${cpu(r)} | ${kb(r.rssKb)} | ${kb(r.floorRssKb)} | ${r.output === null ? '—' : bytes(r.output)} |`);
  }
  L.push('');
  const sized = SIZES.map((n) => byId.get(`n${n}`)).filter((r) => r?.ok);
  if (sized.length > 1) {
    const growth = sized.slice(1).map((r, i) => `${ms((r.wallMs - sized[i].wallMs) / (r.n - sized[i].n))} per project from ${int(sized[i].n)} to ${int(r.n)}`);
    L.push(`Growth: ${growth.join(', ')}. Rendering is linear when the time per added project stays about the same from size to size.`, '');
  }

  L.push('## 2. Where the time goes', '');
  L.push(
    'Self time by module in a CPU profile (`node --cpu-prof`, one run each; profiling slows the run a little). The profiled run loads tsc\'s module-per-file ' +
      'output (scripts/bench-unbundled.js) rather than the bundle of section 1, so that each sample names its module: the same code, with more time in loading. ' +
      '"V8 and native code" is compiling JavaScript, Node\'s startup and system calls.',
    '',
  );
  for (const p of profiles) {
    if (!p.ok) {
      L.push(`${p.label}: profile failed (${p.reason}).`, '');
      continue;
    }
    L.push(`**${p.label}**: ${ms(p.total)} of samples.`, '');
    L.push('| module | self time | share |', '|---|---:|---:|');
    const shown = p.rows.filter(([, t]) => t / p.total >= 0.01);
    for (const [name, t] of shown) L.push(`| ${name} | ${ms(t)} | ${((100 * t) / p.total).toFixed(0)}% |`);
    const rest = p.rows.slice(shown.length).reduce((a, [, t]) => a + t, 0);
    if (rest > 0) L.push(`| ${p.rows.length - shown.length} other modules, under 1% each | ${ms(rest)} | ${((100 * rest) / p.total).toFixed(0)}% |`);
    L.push('');
  }

  if (heap) {
    L.push('### Where the memory goes', '');
    if (!heap.ok) L.push(`${heap.label}: not measured (${heap.reason}).`, '');
    else {
      L.push(
        `**${heap.label}**, the steps of \`pgrant render\` run one by one in one process (scripts/bench-heap.js), each followed by a full garbage ` +
          'collection: the live heap is what the steps so far keep. Each file goes to disk in pieces of about 64 kB as it is rendered, so no file is held whole. ' +
          'The peak memory of section 1 is higher than the largest live heap here: while a step allocates quickly, V8 grows the heap before it collects.',
        '',
      );
      L.push('| step | time | live heap | kept by this step | file written | resident memory |', '|---|---:|---:|---:|---:|---:|');
      heap.steps.forEach((x, i) => {
        const before = i ? heap.steps[i - 1].heapUsed : 0;
        L.push(`| ${x.step} | ${ms(x.ms)} | ${bytes(x.heapUsed)} | ${i ? `${x.heapUsed >= before ? '+' : '−'}${bytes(Math.abs(x.heapUsed - before))}` : '—'} | ${x.bytes ? bytes(x.bytes) : '—'} | ${bytes(x.rss)} |`);
      });
      L.push('');
    }
  }

  L.push('## 3. Cold start', '');
  L.push(`Wall time of a whole process, median of ${COLD_RUNS} runs after one warm-up, interleaved.`, '');
  L.push('| command | median | min | max | over `node -e 0` |', '|---|---:|---:|---:|---:|');
  for (const c of cold) L.push(`| ${c.label} | ${ms(c.median)} | ${ms(c.min)} | ${ms(c.max)} | ${c === nodeZero ? '—' : `+${ms(c.median - nodeZero.median)}`} |`);
  L.push('');

  L.push(`## 4–5. Apply on PostgreSQL ${PG_MAJOR}`, '');
  L.push(
    'psql runs each file against a fresh database `bench` of a fresh throwaway server (roles are cluster-wide: the minimal script and deploy.sql get ' +
      'a server each), with a `-v` password variable per owner. The minimal script is the floor\'s statements in one transaction: not idempotent, ' +
      'no checks, no convergence, no bookkeeping. Times include starting psql and connecting.',
    '',
  );
  if (applyNote) L.push(`**Note:** ${applyNote}`, '');
  L.push('| step | projects | time | result |', '|---|---:|---:|---|');
  if (apply) {
    const firstError = (r) => r.stderr.split('\n').find((l) => l.includes('ERROR')) ?? '';
    const exit = (r) => (r.code === 0 ? 'exit 0' : `**exit ${r.code}**: ${firstError(r).replaceAll('|', '\\|')}`);
    const row = (label, r, result) => L.push(`| ${label} | ${int(apply.n)} | ${r ? ms(r.ms) : '—'} | ${r ? result(r) : 'not run: deploy.sql failed'} |`);
    row('minimal script (fresh database)', apply.minimal, exit);
    row('deploy.sql (fresh database)', apply.deploy, exit);
    L.push(`| deploy.sql / minimal script | ${int(apply.n)} | ${ratio(apply.deploy.ms / apply.minimal.ms)} | |`);
    row('deploy.sql again (nothing to change)', apply.redeploy, exit);
    row('verify.sql', apply.verify, (v) => (v.code === 0 ? `exit 0, all ${v.checks} checks passed` : `**exit ${v.code}**, ${v.failures} FAIL lines`));
    row('4 × deploy.sql at once (fresh server; they take turns)', apply.concurrent, (c) => (c.code === 0 ? 'all 4 exit 0' : `**exit codes ${c.codes.join(', ')}**: ${c.stderr.split('\n').find((l) => l.includes('ERROR')) ?? ''}`.replaceAll('|', '\\|')));
  } else {
    for (const label of ['minimal script (fresh database)', 'deploy.sql (fresh database)', 'deploy.sql / minimal script', 'deploy.sql again (nothing to change)', 'verify.sql', '4 × deploy.sql at once (fresh server; they take turns)']) L.push(`| ${label} | — | — | not measured |`);
  }
  L.push('');

  // Targets: met, missed, or not measured.
  const failed = (r) => `failed: ${r?.reason ?? 'not run'}`;
  const t = [];
  // CPU time beside wall time: on a busy machine it tells what the process itself cost.
  const cpuNote = (r) => (r.cpuMs === null ? '' : ` (CPU time ${ms(r.cpuMs)})`);
  const cpuRatio = (r) => (r.cpuMs === null ? '' : `; CPU time ${ratio(r.cpuMs / r.floorCpuMs)}`);
  t.push({ id: 'small', target: `StreamFlow render, whole process ≤ ${ms(TARGETS.smallMs)}`, measured: small?.ok ? `${ms(small.wallMs)}${cpuNote(small)}` : failed(small), met: small?.ok ? small.wallMs <= TARGETS.smallMs : false });
  t.push({ id: 'large', target: `render of ${int(TARGET_SIZE)} projects, whole process ≤ ${ms(TARGETS.renderMs)}`, measured: at?.ok ? `${ms(at.wallMs)}${cpuNote(at)}` : failed(at), met: at?.ok ? at.wallMs <= TARGETS.renderMs : false });
  // Two medians divided: on this machine the quotient moves by several percent from run to run, so a
  // result near the target says so rather than look settled.
  const nearRatio = at?.ok && Math.abs(at.ratio - TARGETS.renderOverFloor) / TARGETS.renderOverFloor < 0.1;
  t.push({
    id: 'large',
    target: `the same ÷ its floor ≤ ${TARGETS.renderOverFloor}×`,
    measured: at?.ok ? `${ratio(at.ratio)} (floor ${ms(at.floorMs)}${cpuRatio(at)})${nearRatio ? '; within 10% of the target, where runs on this machine spread: a rerun may land on the other side' : ''}` : failed(at),
    met: at?.ok ? at.ratio <= TARGETS.renderOverFloor : false,
  });
  t.push({ id: 'memory', target: `peak memory, ${int(MEMORY_SIZE)} projects ≤ ${TARGETS.memoryMb} MB`, measured: memoryCase?.ok ? kb(memoryCase.rssKb) : failed(memoryCase), met: memoryCase?.ok ? memoryCase.rssKb / 1024 <= TARGETS.memoryMb : false });
  t.push({ id: 'version', target: `\`pgrant --version\` ≤ ${ms(TARGETS.versionMs)}`, measured: `${ms(version.median)} (\`node -e 0\`: ${ms(nodeZero.median)})`, met: version.median <= TARGETS.versionMs });
  const applyAtTarget = apply && apply.n === TARGET_SIZE;
  const deployRatio = apply ? apply.deploy.ms / apply.minimal.ms : NaN;
  t.push({
    id: 'deploy',
    target: `deploy.sql of ${int(TARGET_SIZE)} projects ≤ ${TARGETS.deployOverMinimal}× the minimal script`,
    measured: apply ? `${ratio(deployRatio)}${applyAtTarget ? '' : ` at ${int(apply.n)} projects`}` : 'not measured',
    met: applyAtTarget ? apply.deploy.code === 0 && deployRatio <= TARGETS.deployOverMinimal : null,
  });
  const v = apply?.verify;
  t.push({
    id: 'verify',
    target: `verify.sql of ${int(TARGET_SIZE)} projects ≤ ${ms(TARGETS.verifyMs)} (exit 0)`,
    measured: v ? `${ms(v.ms)}, exit ${v.code}${applyAtTarget ? '' : ` at ${int(apply.n)} projects`}` : apply ? 'not run: deploy.sql failed' : 'not measured',
    met: applyAtTarget ? Boolean(v && v.code === 0 && v.ms <= TARGETS.verifyMs) : null,
  });
  L.push('## Targets', '');
  L.push(`On this machine (${machine.cores} × ${machine.model}, load ${machine.loadStart} at the start of the run):`, '');
  L.push('| target | measured | met |', '|---|---|---|');
  for (const x of t) L.push(`| ${x.target} | ${x.measured} | ${x.met === null ? 'not measured' : x.met ? 'yes' : '**no**'} |`);
  L.push('');
  const missed = [...new Set(t.filter((x) => x.met === false && NEXT_STEPS[x.id]).map((x) => x.id))];
  if (missed.length) {
    L.push('### Missed targets: where the time goes, and the next step', '');
    const titles = { small: 'The small plan', large: `The ${int(TARGET_SIZE)}-project plan`, memory: `Memory at ${int(MEMORY_SIZE)} projects`, version: '`pgrant --version`' };
    for (const id of missed) L.push(`**${titles[id]}.** ${NEXT_STEPS[id]}`, '');
  }
  return { markdown: L.join('\n'), targets: t };
}

// ---------------------------------------------------------------------------------------------------

/** Sections 6–7: `pgrant test` on every example, and the suite per file (from BENCH_SUITE_JSON). */
async function testSections() {
  progress('pgrant test: every example, 5 majors × 2 deployers');
  const test = SKIP_APPLY ? null : await benchPgrantTest({ root: ROOT, pgrant: PGRANT, examples: EXAMPLES });
  progress('pgrant test: CPU time by phase, every example × 2 deployers on PostgreSQL 17');
  const perCase = SKIP_APPLY ? null : await benchCaseCpu({ root: ROOT, examples: EXAMPLES });
  const suiteFile = process.env.BENCH_SUITE_JSON;
  return testMarkdown({ test, perCase, suite: readSuite(suiteFile, ROOT), suiteFile, suiteNote: process.env.BENCH_SUITE_NOTE, load: load() });
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'templates', 'index.cjs'))) throw new Error('dist/ is not built: run "npm run bench", which builds');
  if (process.env.BENCH_ONLY === 'test') {
    const doc = spliceTestSections(existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Performance\n', await testSections());
    writeFileSync(DOC, doc);
    progress(`wrote sections 6–7 of ${DOC}`);
    return;
  }
  const loadStart = load();
  const work = mkdtempSync(join(tmpdir(), 'pgrant-bench-'));
  // Interrupted (Ctrl-C): the temporary folder goes too.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    const list = cases(work);
    const results = [];
    for (const c of list) results.push(await benchCase(c));
    const byId = new Map(results.map((r) => [r.id, r]));
    const profiles = [];
    for (const id of ['streamflow', `n${TARGET_SIZE}`]) profiles.push(await profile(work, list.find((c) => c.id === id)));
    const memoryCase = list.find((c) => c.id === `n${MEMORY_SIZE}`);
    const heap = byId.get(memoryCase.id)?.ok ? benchHeap(memoryCase) : null;
    const cold = await benchColdStart();

    // deploy.sql and verify.sql come from the render at the target size (its output is still in place).
    const target = byId.get(`n${TARGET_SIZE}`);
    let apply = null;
    let applyNote = '';
    if (SKIP_APPLY) applyNote = 'BENCH_SKIP_APPLY=1: PostgreSQL was not started.';
    else if (!target.ok) applyNote = `deploy.sql for ${int(TARGET_SIZE)} projects could not be rendered (${target.reason}).`;
    else apply = await benchApply(work, TARGET_SIZE, target.outDir);

    const psql = (spawnSync(process.env.PGRANT_PSQL ?? 'psql', ['--version'], { encoding: 'utf8' }).stdout ?? 'not found').trim().replace(/^psql \(PostgreSQL\) /, '');
    // What was measured: the commit, and whether the code that renders differs from it.
    const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
    const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
    const dirty = git('status', '--porcelain', '--', 'src', 'templates', 'patterns', 'bin') !== '';
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const loadEnd = load();
    const machine = {
      code: `pgrant ${version}, commit ${commit}${dirty ? ' with uncommitted changes in src/, templates/, patterns/ or bin/' : ''}`,
      date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      cores: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memory: totalmem(),
      loadStart,
      loadEnd,
      // More runnable work than cores at either end of the run: other processes shared the CPU.
      busy: Math.max(loadavg()[0], Number(loadStart.split(' / ')[0])) > cpus().length * 0.75,
      node: process.version,
      postgres: apply?.serverVersion ?? `${PG_MAJOR} (not started)`,
      psql,
    };
    const { markdown, targets } = report({ machine, results, profiles, heap, cold, apply, applyNote });
    mkdirSync(dirname(DOC), { recursive: true });
    writeFileSync(DOC, `${markdown}\n${await testSections()}`);
    process.stdout.write(markdown + '\n');
    progress(`wrote ${DOC}`);
    const missed = targets.filter((x) => x.met !== true);
    if (missed.length) progress(`${missed.length} of ${targets.length} targets not met or not measured: ${missed.map((x) => x.target).join('; ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
