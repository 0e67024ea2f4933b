#!/usr/bin/env node
// Mutation check: does the suite notice when a pattern means something else? Each mutation below changes
// what a pattern grants, in a temporary copy of the repository; golden files, out/ and docs are then
// regenerated as a developer would after an intended change (so they agree with the mutant), and the
// hand-written oracles (the access matrices of test/pg/access.test.ts, the pgTAP files of
// test/pg/pgtap.test.ts) must fail. A mutant that survives is a gap in
// the oracle: this script then exits 1.
//
//   npm run test:mutants                       # every mutation, on PostgreSQL 17
//   PGRANT_TEST_MAJORS=14,18 npm run test:mutants
//   PGRANT_MUTANTS=readonly-insert npm run test:mutants   # only the named ones (comma-separated)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** The tests whose expectations are written by hand, independently of the catalog. */
const ORACLES = ['test/pg/access.test.ts', 'test/pg/pgtap.test.ts'];

/** Each mutation: edits (file, exact text, replacement) that must each match exactly once. */
const MUTATIONS = [
  {
    name: 'readonly-insert',
    what: 'readonly also gets INSERT on its tables',
    edits: [['patterns/readonly.yaml', '  tables: [SELECT]\n', '  tables: [SELECT, INSERT]\n']],
  },
  {
    name: 'app-user-sequences',
    what: 'app-user loses USAGE on its sequences (serial inserts break)',
    edits: [['patterns/app-user.yaml', 'sequences: [{if: sequences, then: [USAGE, SELECT]}]', 'sequences: [{if: sequences, then: [SELECT]}]']],
  },
  {
    name: 'admin-group-inherit',
    what: "admin's noinherit_group becomes INHERIT (powers without SET ROLE)",
    edits: [
      ['src/catalog/expanders/schema-privileges.ts', 'if (group) Object.assign(base, { inherit: false });', 'if (group) Object.assign(base, {});'],
      ['src/catalog/expanders/schema-privileges.ts', 'inherit: ctx.plan.postgres >= 16 ? false : null', 'inherit: null'],
    ],
  },
  {
    name: 'team-parent',
    what: 'a team no longer inherits its parent team',
    edits: [['src/catalog/expanders/team-hierarchy.ts', '(team.inherits as string[]).forEach(', '(team.inherits as string[]).slice(0, 0).forEach(']],
  },
  {
    name: 'project-readonly-delete',
    what: "a project's read-only role may also DELETE",
    edits: [['patterns/project.yaml', '  readonly.tables: [SELECT]\n', '  readonly.tables: [SELECT, DELETE]\n']],
  },
  {
    name: 'database-open',
    what: 'a database stays open to PUBLIC by default',
    edits: [['patterns/database.yaml', 'revoke_public: {type: boolean, default: true', 'revoke_public: {type: boolean, default: false']],
  },
];

function run(cwd, command, args, env = {}) {
  const r = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A copy of the working tree (tracked and new files, as git sees them) sharing node_modules. */
function copyRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-mutant-'));
  const files = run(ROOT, 'git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z']).output.split('\0').filter(Boolean);
  for (const f of files) {
    if (f === 'node_modules') continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(dir, f));
    } catch {
      // A file deleted in the working tree but still in the index: the copy goes without it, as the tree does.
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function applyEdits(dir, edits) {
  for (const [file, from, to] of edits) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`mutation text found ${count} times in ${file} (expected once): ${JSON.stringify(from)}`);
    writeFileSync(path, text.replace(from, to));
  }
}

function examplePlans(dir) {
  return readdirSync(join(dir, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `examples/${f}`);
}

/** What a developer runs after changing a pattern on purpose: build, golden files, out/, docs. */
function regenerate(dir) {
  const steps = [
    ['npm', ['run', 'build']],
    ['npx', ['vitest', 'run', 'test/golden.test.ts'], { PGRANT_UPDATE_GOLDEN: '1' }],
    ['node', ['bin/pgrant.js', 'render', ...examplePlans(dir)]],
    ['node', ['scripts/generate-docs.js']],
  ];
  for (const [command, args, env] of steps) {
    const r = run(dir, command, args, env);
    if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed in the mutant:\n${r.output.slice(-2000)}`);
  }
}

const wanted = process.env.PGRANT_MUTANTS?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = (wanted ?? []).filter((n) => !MUTATIONS.some((m) => m.name === n));
if (unknown.length) {
  console.error(`unknown mutation(s): ${unknown.join(', ')}; known: ${MUTATIONS.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const majors = process.env.PGRANT_TEST_MAJORS ?? '17';

/** A copy with the edits applied and everything regenerated; the oracle's result there. */
function trial(edits) {
  const dir = copyRepo();
  try {
    applyEdits(dir, edits);
    regenerate(dir);
    const golden = run(dir, 'npx', ['vitest', 'run', 'test/golden.test.ts']);
    const oracle = run(dir, 'npx', ['vitest', 'run', ...ORACLES], { PGRANT_TEST_MAJORS: majors, NO_COLOR: '1' });
    return { golden, oracle };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The control: an unmutated copy passes, so a failure below is the mutation's doing.
const control = trial([]);
if (control.oracle.code !== 0) {
  console.error(`the unmutated copy already fails the hand-written oracles; fix that first:\n${control.oracle.output.slice(-3000)}`);
  process.exit(1);
}
console.log(`control  unmutated copy: hand-written oracles pass on PostgreSQL ${majors}`);

let survived = 0;
for (const m of MUTATIONS.filter((x) => !wanted || wanted.includes(x.name))) {
  // The golden files agree with the mutant now; only an independent oracle can tell.
  const { golden, oracle } = trial(m.edits);
  const failures = [...oracle.output.matchAll(/^\s*\+\s+"(.+)",?$|^(not ok .*)$/gm)].map((x) => x[1] ?? x[2]);
  if (oracle.code === 0) {
    survived++;
    console.log(`SURVIVED ${m.name}: ${m.what} — the hand-written oracles did not notice`);
  } else {
    console.log(`killed   ${m.name}: ${m.what} (golden files ${golden.code === 0 ? 'regenerated, pass' : 'fail'}; oracles fail)`);
    for (const f of failures.slice(0, 3)) console.log(`           ${f}`);
  }
}
console.log(survived ? `FAIL: ${survived} mutant(s) survived` : 'PASS: every mutant was killed by the hand-written oracles');
process.exit(survived ? 1 : 0);
