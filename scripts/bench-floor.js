#!/usr/bin/env node
// The floor of `npm run bench` (scripts/bench.js): the least a process must do to turn a plan file into
// SQL files — start Node, load a YAML parser and pgrant's quoting, read and parse the plan, build the
// statements by string concatenation, write them — with no validation, no model, no templates, no
// checks. pgrant's whole-process times are compared with it, measured in the same run.
//
//   node scripts/bench-floor.js synthetic plan.yaml outDir   the statements with the effect of deploy.sql
//                                                             for a synthetic plan of `project` instances
//   node scripts/bench-floor.js plan plan.yaml outDir        any plan: one statement per value in it
//   node scripts/bench-floor.js check plan.yaml…             what `render --check` must at least do:
//                                                             parse each plan, read its output files
// This file is also imported by bench.js for the synthetic plan and its minimal script (loaded only
// here: a floor process must not pay for the bench's own code).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PLAN = { name: 'bench', database: 'bench', postgres: 17 };

/** p0001, p0002, … */
const projectName = (i) => `p${String(i).padStart(4, '0')}`;

/** The projects of a synthetic plan, as the floor and the minimal script need them. */
export function projects(n) {
  return Array.from({ length: n }, (_, k) => {
    const p = projectName(k + 1);
    return { project: p, owner: `${p}_owner`, passwordVar: `${p}_owner_pw`, schemas: [`${p}_a`, `${p}_b`] };
  });
}

/** The plan's YAML text: n `project` instances, 2 schemas each, the owner's password from a psql variable. */
export function planYaml(n) {
  const lines = ['pgrant: 1', `name: ${PLAN.name}`, `postgres: ${PLAN.postgres}`, `database: ${PLAN.database}`, 'patterns:'];
  for (const p of projects(n)) {
    lines.push(
      '  - pattern: project',
      `    project: ${p.project}`,
      `    owner: {name: ${p.owner}, password: {psql: ${p.passwordVar}}}`,
      `    schemas: [${p.schemas.join(', ')}]`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The minimal script with the same effect as deploy.sql for a plan of `project` instances: the roles the
 * pattern creates (owner login with its password, <project>_role_readwrite / _readonly groups, the
 * <project>_readwrite / _readonly accounts), their comments, the schemas owned by the owner, the grants on
 * existing objects, the default privileges FOR ROLE the owner, the memberships. Plain statements in one
 * transaction: not idempotent, no checks, no convergence, no bookkeeping. Used for the floor (build time)
 * and for the apply comparison (run time).
 */
export function minimalDeploySql(list, { quoteIdent: id, quoteLiteral: lit }) {
  const out = ['BEGIN;'];
  const comment = lit(`Managed by pgrant (plan ${PLAN.name})`);
  for (const p of list) {
    const rw = `${p.project}_role_readwrite`;
    const ro = `${p.project}_role_readonly`;
    const accounts = [
      [`${p.project}_readwrite`, rw],
      [`${p.project}_readonly`, ro],
    ];
    out.push(`CREATE ROLE ${id(p.owner)} LOGIN PASSWORD :'${p.passwordVar}';`, `COMMENT ON ROLE ${id(p.owner)} IS ${comment};`);
    for (const group of [rw, ro]) out.push(`CREATE ROLE ${id(group)} NOLOGIN;`, `COMMENT ON ROLE ${id(group)} IS ${comment};`);
    for (const [login] of accounts) out.push(`CREATE ROLE ${id(login)} LOGIN;`, `COMMENT ON ROLE ${id(login)} IS ${comment};`);
    for (const s of p.schemas) {
      out.push(
        `CREATE SCHEMA ${id(s)} AUTHORIZATION ${id(p.owner)};`,
        `GRANT USAGE ON SCHEMA ${id(s)} TO ${id(rw)};`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${id(s)} TO ${id(rw)};`,
        `GRANT SELECT, UPDATE, USAGE ON ALL SEQUENCES IN SCHEMA ${id(s)} TO ${id(rw)};`,
        `GRANT USAGE ON SCHEMA ${id(s)} TO ${id(ro)};`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA ${id(s)} TO ${id(ro)};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(p.owner)} IN SCHEMA ${id(s)} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${id(rw)};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(p.owner)} IN SCHEMA ${id(s)} GRANT SELECT, UPDATE, USAGE ON SEQUENCES TO ${id(rw)};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(p.owner)} IN SCHEMA ${id(s)} GRANT SELECT ON TABLES TO ${id(ro)};`,
      );
    }
    for (const [login, group] of accounts) out.push(`GRANT ${id(group)} TO ${id(login)};`);
  }
  out.push('COMMIT;');
  return out.join('\n') + '\n';
}

/** One statement per string in the plan: the least any renderer writes for it. */
function valueStatements(node, { quoteLiteral }, out = []) {
  if (typeof node === 'string') out.push(`SELECT ${quoteLiteral(node)};`);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) valueStatements(v, { quoteLiteral }, out);
  return out;
}

async function floor(mode, args) {
  const quote = await import(pathToFileURL(join(ROOT, 'dist', 'sql', 'quote.js')).href);
  const { parse } = await import('yaml');
  const parsePlan = (file) => parse(readFileSync(file, 'utf8'));
  if (mode === 'synthetic') {
    const [planFile, outDir] = args;
    const plan = parsePlan(planFile);
    const list = plan.patterns.map((i) => ({ project: i.project, owner: i.owner.name, passwordVar: i.owner.password.psql, schemas: i.schemas }));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'deploy.sql'), minimalDeploySql(list, quote));
  } else if (mode === 'plan') {
    const [planFile, outDir] = args;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'deploy.sql'), valueStatements(parsePlan(planFile), quote).join('\n') + '\n');
  } else if (mode === 'check') {
    for (const planFile of args) {
      const name = parsePlan(planFile).name ?? basename(planFile, '.yaml');
      const dir = join(ROOT, 'out', name);
      for (const f of readdirSync(dir)) readFileSync(join(dir, f), 'utf8');
    }
  } else {
    throw new Error(`bench-floor: unknown mode ${mode}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode, ...args] = process.argv.slice(2);
  await floor(mode, args);
}
