// Editor schema, starter plans, generated docs and the Mermaid role graph.
import Ajv2020 from 'ajv/dist/2020.js';

const Ajv = Ajv2020.default;
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planJsonSchema } from '../src/plan/json-schema.js';
import { loadTeamCatalogFolders } from '../src/catalog/team.js';
import { diskFiles } from '../src/plan/files.js';
import { patternsMarkdown } from '../src/docs/patterns.js';
import { loadCatalog } from '../src/catalog/catalog.js';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`);
const errorCases = readdirSync('test/cases').filter((c) => existsSync(`test/cases/${c}/expected-error.txt`));

describe('pgrant schema', () => {
  it('matches the committed schema/plan.schema.json (npm run schema:update)', async () => {
    const r = await cli('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync('schema/plan.schema.json', 'utf8')));
    expect(r.stdout).toEqual(JSON.stringify(planJsonSchema(), null, 2));
  });

  it('accepts every example and pattern example, and rejects unknown keys and patterns', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(planJsonSchema());
    for (const f of examples) {
      const plan = parse(readFileSync(f, 'utf8')) as { catalog?: string[] };
      // A plan with a team catalog is checked against the schema `pgrant schema --catalog` writes for it.
      const check = plan.catalog ? new Ajv({ allErrors: true, strict: false }).compile(planJsonSchema([...loadTeamCatalogFolders(plan.catalog.map((d) => join('examples', d)), diskFiles, loadCatalog()).values()])) : validate;
      expect(check(plan), `${f}: ${JSON.stringify(check.errors)}`).toBe(true);
    }
    for (const def of loadCatalog().values()) expect(validate(parse(def.example)), def.name).toBe(true);
    for (const c of ['unknown-key', 'unknown-pattern', 'unknown-top-level-key', 'wrong-types', 'grant-two-kinds', 'missing-required']) {
      expect(validate(parse(readFileSync(`test/cases/${c}/plan.yaml`, 'utf8'))), c).toBe(false);
    }
    expect(errorCases.length).toBeGreaterThan(25);
  });
});

describe('pgrant init', () => {
  it('writes a starter plan whose first line points editors at the schema, and which renders', async () => {
    const dir = tempDir('init');
    const file = join(dir, 'plan.yaml');
    const r = await cli('init', '--pattern', 'project', '--file', file);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    const first = text.split('\n')[0]!;
    expect(first).toMatch(/^# yaml-language-server: \$schema=.*schema\/plan\.schema\.json$/);
    expect(existsSync(join(dir, first.split('$schema=')[1]!))).toBe(true);
    expect((await cli('render', file, '--out', join(dir, 'out'), '--quiet')).code).toBe(0);
    const again = await cli('init', '--file', file);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; nothing was written/);
  });
});

describe('docs/patterns.md', () => {
  it('is fresh (npm run docs:update)', async () => {
    expect(await patternsMarkdown()).toBe(readFileSync('docs/patterns.md', 'utf8'));
  });
});

/**
 * A structural check of the Mermaid flowchart subset ACCESS.md uses (@mermaid-js/parser does not parse
 * flowcharts): one header, then node and edge lines only; labels quoted with no raw quote; every edge
 * between declared nodes.
 */
function checkMermaid(block: string): { nodes: Map<string, string>; edges: [string, string, string][] } {
  const lines = block.split('\n');
  expect(lines[0]).toBe('flowchart LR');
  const nodes = new Map<string, string>();
  const edges: [string, string, string][] = [];
  const label = String.raw`"((?:[^"\\]|#\d+;)*)"`;
  const nodeRe = new RegExp(String.raw`^  (r\d+)(?:\(\[${label}\]\)|\[${label}\]|\[/${label}/\])$`);
  const edgeRe = new RegExp(String.raw`^  (r\d+) (?:--> |== ${label} ==> |-\. ${label} \.-> )(r\d+)$`);
  for (const line of lines.slice(1)) {
    const n = nodeRe.exec(line);
    if (n) {
      expect(nodes.has(n[1]!), `duplicate node ${n[1]}`).toBe(false);
      nodes.set(n[1]!, (n[2] ?? n[3] ?? n[4])!.replace(/#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))));
      continue;
    }
    const e = edgeRe.exec(line);
    expect(e, `not a node or edge line: ${line}`).not.toBeNull();
    edges.push([e![1]!, e![4]!, e![2] ?? e![3] ?? '']);
  }
  for (const [from, to] of edges) expect(nodes.has(from) && nodes.has(to), `${from} --> ${to}`).toBe(true);
  return { nodes, edges };
}

describe('ACCESS.md role graph', () => {
  const files = [...examples.map((f) => `out/${f.slice('examples/'.length, -'.yaml'.length)}/ACCESS.md`), 'test/cases/hostile-names/expected/ACCESS.md'];
  it.each(files)('%s has a valid Mermaid flowchart of every membership', async (file) => {
    const text = readFileSync(file, 'utf8');
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(text)![1]!;
    const { nodes, edges } = checkMermaid(block);
    expect(edges.length).toBeGreaterThan(0);
    expect(nodes.size).toBeGreaterThan(1);
  });

  it('draws ADMIN and NOINHERIT memberships distinctly', () => {
    const team = /```mermaid\n([\s\S]*?)\n```/.exec(readFileSync('out/team/ACCESS.md', 'utf8'))![1]!;
    expect(team).toMatch(/== "admin" ==>/);
    const streamflow = /```mermaid\n([\s\S]*?)\n```/.exec(readFileSync('out/streamflow/ACCESS.md', 'utf8'))![1]!;
    expect(streamflow).toMatch(/-\. "SET ROLE" \.->/);
    const hostile = checkMermaid(/```mermaid\n([\s\S]*?)\n```/.exec(readFileSync('test/cases/hostile-names/expected/ACCESS.md', 'utf8'))![1]!);
    expect([...hostile.nodes.values()]).toEqual(expect.arrayContaining(['Sales Team', 'window', 'données']));
  });
});
