// Team patterns (`catalog:`, --catalog) and split plans (`include:`): how they are checked, reported and
// listed. What they deploy is proven on real servers in test/pg/team-catalog.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder holding the given files (path → text); returns its path. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-team-'));
  temporary.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const SERVICE = `pattern: service
summary: A service's login and its analysts' group.
parameters:
  name: {type: role-name, required: true, doc: the service}
  schemas: {type: "schema[]", default: [app], doc: its schemas}
  limit: {type: integer, doc: connection limit of the login}
  analysts: {type: "login[]", default: [], doc: analysts}
expands:
  - pattern: app-user
    role: "{{name}}_app"
    connection_limit: "{{limit}}"
    schemas: "{{schemas}}"
  - pattern: readonly
    role: "{{name}}_analysts"
    schemas: "{{schemas}}"
    members: "{{analysts}}"
`;

const plan = (patterns: string, extra = '') => `pgrant: 1\ndatabase: shop\ncatalog: [catalog]\n${extra}patterns:\n${patterns}`;

async function render(dir: string, file = 'plan.yaml', ...args: string[]) {
  const out = join(dir, 'out');
  const r = await cli('render', join(dir, file), '--out', out, ...args);
  // The plan's output folder (there is one when rendering succeeded).
  return { ...r, out, read: (name: string) => readFileSync(join(out, readdirSync(out)[0]!, name), 'utf8') };
}

describe('team patterns', () => {
  it('parameters and keys named like Object.prototype\'s (constructor, __proto__, toString, hasOwnProperty) are plain names', async () => {
    const svc = 'pattern: svc\nsummary: A service.\nparameters:\n  constructor: {type: role-name, required: true, doc: the role}\n  __proto__: {type: "schema[]", default: [app], doc: schemas}\n  valueof: {type: "login[]", default: [], doc: members}\nexpands:\n  - pattern: readonly\n    role: "{{constructor}}"\n    schemas: "{{__proto__}}"\n    members: "{{valueof}}"\n';
    const instances = '  - pattern: svc\n    constructor: reader\n    __proto__: [sales]\n  - pattern: readonly\n    role: r2\n    columns: {__proto__: [a], hasOwnProperty: [b]}\n';
    const r = await render(project({ 'catalog/svc.yaml': svc, 'plan.yaml': plan(instances) }));
    expect(r.code, r.stderr).toBe(0);
    const deploy = r.read('deploy.sql');
    expect(deploy).toContain('GRANT USAGE ON SCHEMA sales TO reader;');
    expect(deploy).toContain('GRANT SELECT (a) ON TABLE public.__proto__ TO r2;');
    expect(deploy).toContain('GRANT SELECT (b) ON TABLE public."hasOwnProperty" TO r2;');
    const unknown = await render(project({ 'plan.yaml': 'pgrant: 1\ndatabase: shop\npatterns:\n  - pattern: readonly\n    role: r\n    toString: x\n    constructor: y\n' }));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/plan\.yaml:6:5: error: patterns\[0\]\.toString: unknown key "toString"/);
    expect(unknown.stderr).toMatch(/plan\.yaml:7:5: error: patterns\[0\]\.constructor: unknown key "constructor"/);
  });

  it('expand into built-in instances: templates over the parameters, "{{p}}" keeps lists and numbers, absent optional parameters leave the key out', async () => {
    const dir = project({
      'catalog/service.yaml': SERVICE,
      'plan.yaml': plan('  - pattern: service\n    name: billing\n    limit: 7\n    analysts: [dana]\n  - pattern: service\n    name: orders\n    schemas: [orders, archive]\n', 'name: shop\n'),
    });
    const r = await render(dir);
    expect(r.code, r.stderr).toBe(0);
    const deploy = r.read('deploy.sql');
    expect(deploy).toMatch(/-- billing_app: login \(LOGIN, CONNECTION LIMIT 7\); app-user expands\[0\] of team pattern service \(plan\.yaml:6 patterns\[0\]\) at service\.yaml:10/);
    // "{{limit}}" kept its type (an integer); left out, the key is left out and app-user's default (-1) applies.
    const access = r.read('ACCESS.md');
    expect(access).toMatch(/\| `billing_app` \| login \| LOGIN, CONNECTION LIMIT 7 \|/);
    expect(access).toMatch(/\| `orders_app` \| login \| LOGIN \|/);
    expect(access).toMatch(/\| `dana` \| login \| LOGIN \| `billing_analysts` \|/);
    expect(access).toMatch(/## `orders_analysts`: group \(NOLOGIN\)\n\nFrom team pattern `service` \(`service\.yaml`\), used at `plan\.yaml:10`\./);
    expect(access).toMatch(/every table in schema archive/);
  });

  it('team patterns may use team patterns; an instance\'s mode passes to what it expands to', async () => {
    const dir = project({
      'catalog/service.yaml': SERVICE,
      'catalog/platform.yaml': 'pattern: platform\nsummary: two services\nparameters:\n  prefix: {type: string, required: true, doc: p}\nexpands:\n  - pattern: service\n    name: "{{prefix}}_api"\n  - pattern: service\n    name: "{{prefix}}_jobs"\n    mode: authoritative\n',
      'plan.yaml': plan('  - pattern: platform\n    prefix: pay\n    mode: additive\n'),
    });
    const { renderPlanFile } = await import('../src/pipeline.js');
    const { model } = await renderPlanFile(join(dir, 'plan.yaml'));
    expect(model.roles.map((r) => r.name)).toEqual(['pay_api_app', 'pay_api_analysts', 'pay_jobs_app', 'pay_jobs_analysts']);
    expect([...model.additiveRoles].sort()).toEqual(['pay_api_analysts', 'pay_api_app']);
    const r = await render(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.read('ACCESS.md')).toContain('From team pattern `service` (`service.yaml`) through `platform`, used at `plan.yaml:5`.');
  });

  it('values are data: a name with quotes reaches SQL only through the escaping helpers', async () => {
    const dir = project({ 'catalog/service.yaml': SERVICE, 'plan.yaml': plan('  - pattern: service\n    name: "x\\"; DROP TABLE t; --"\n') });
    const r = await render(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.read('deploy.sql')).toContain('"x""; DROP TABLE t; --_app"');
  });

  it('mistakes in an instance are reported at the plan\'s location', async () => {
    const dir = project({ 'catalog/service.yaml': SERVICE, 'plan.yaml': plan('  - pattern: service\n    limit: many\n    nmae: x\n') });
    const r = await render(dir);
    expect(r.code).toBe(1);
    const file = join(dir, 'plan.yaml');
    expect(r.stderr).toBe(
      [
        `${file}:5:5: error: patterns[0]: missing required key "name"`,
        '  hint: add "name:": the service',
        `${file}:6:12: error: patterns[0].limit: expected an integer, got a string`,
        `${file}:7:5: error: patterns[0].nmae: unknown key "nmae"`,
        '  hint: did you mean "name"?',
      ].join('\n'),
    );
    expect(() => readFileSync(join(dir, 'out'))).toThrow();
  });

  it('mistakes inside a team pattern name the team file, its line and key, and the plan instance that uses it', async () => {
    const broken = SERVICE.replace('    schemas: "{{schemas}}"\n    members', '    shemas: "{{schemas}}"\n    members').replace('role: "{{name}}_app"', 'role: "{{nme}}_app"').replace('connection_limit: "{{limit}}"', 'connection_limit: "{{#if limit}}{{limit}}"');
    const dir = project({ 'catalog/service.yaml': broken, 'plan.yaml': plan('  - pattern: service\n    name: billing\n') });
    const r = await render(dir);
    expect(r.code).toBe(1);
    const team = join(dir, 'catalog', 'service.yaml');
    const used = `(team pattern "service" used at ${join(dir, 'plan.yaml')}:5:5 patterns[0])`;
    expect(r.stderr).toBe(
      [
        `${team}:10:11: error: expands[0].role: "{{nme}}": team pattern "service" has no parameter "nme" ${used}`,
        '  hint: did you mean "name"?',
        `${team}:11:23: error: expands[0].connection_limit: the template "{{#if limit}}{{limit}}" does not parse: Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF' ${used}`,
        '  hint: write {{parameter}}, or {{#if parameter}}…{{else}}…{{/if}}',
        `${team}:15:5: error: expands[1].shemas: unknown key "shemas" for pattern "readonly" ${used}`,
        '  hint: did you mean "schemas"?',
      ].join('\n'),
    );
  });

  it('a value of the wrong type for the built-in pattern is reported in the team file, with the use', async () => {
    const dir = project({
      'catalog/service.yaml': SERVICE.replace('members: "{{analysts}}"', 'members: "{{name}}"'),
      'plan.yaml': plan('  - pattern: service\n    name: billing\n'),
    });
    const r = await render(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `${join(dir, 'catalog', 'service.yaml')}:16:14: error: expands[1].members: expected list of login, got a string (team pattern "service" used at ${join(dir, 'plan.yaml')}:5:5 patterns[0])\n  hint: write a list: [value] or one "- value" per line`,
    );
  });

  it('a team pattern cannot take a built-in\'s name, and cannot expand into itself', async () => {
    const dir = project({
      'catalog/readonly.yaml': 'pattern: readonly\nsummary: mine\nexpands:\n  - pattern: readonly\n    role: r\n',
      'catalog/a.yaml': 'pattern: a\nsummary: a\nexpands:\n  - pattern: b\n',
      'catalog/b.yaml': 'pattern: b\nsummary: b\nexpands:\n  - pattern: a\n',
      'plan.yaml': plan('  - pattern: readonly\n    role: r\n'),
    });
    const r = await render(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'catalog', 'readonly.yaml')}:1:10: error: pattern: "readonly" is a built-in pattern: a team pattern cannot take its name`);
    expect(r.stderr).toContain(`${join(dir, 'catalog', 'b.yaml')}:4:14: error: expands[0].pattern: team patterns expand into each other without end: a → b → a`);
  });

  it('a list parameter inside text, or a helper, is refused where it is written', async () => {
    const dir = project({
      'catalog/service.yaml': SERVICE.replace('role: "{{name}}_analysts"', 'role: "{{schemas}}_analysts"').replace('role: "{{name}}_app"', 'role: "{{lookup name 0}}"'),
      'plan.yaml': plan('  - pattern: service\n    name: billing\n'),
    });
    const r = await render(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/service\.yaml:10:11: error: expands\[0\]\.role: "\{\{lookup …\}\}": a value template calls no helpers/);
    expect(r.stderr).toMatch(/service\.yaml:14:11: error: expands\[1\]\.role: "\{\{schemas\}\}" is list of schema, which cannot be written inside text/);
  });

  it('pgrant patterns --catalog lists team patterns with their file, and shows parameters, expansion and example', async () => {
    const dir = project({ 'catalog/service.yaml': SERVICE });
    const list = await cli('patterns', '--catalog', join(dir, 'catalog'));
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^readonly {2,}/m);
    expect(list.stdout).toContain(`Team patterns:\nservice             A service's login and its analysts' group. [team: ${join(dir, 'catalog', 'service.yaml')}]`);
    const one = await cli('patterns', 'service', '--catalog', join(dir, 'catalog'));
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`Team pattern, from ${join(dir, 'catalog', 'service.yaml')}`);
    expect(one.stdout).toContain('  schemas   schema[] (default: ["app"]): its schemas');
    expect(one.stdout).toContain('Expands to:\n    - pattern: app-user\n      role: "{{name}}_app"');
    expect(one.stdout).toContain('Example:\n  - pattern: service\n    name: …  # role-name: the service');
    const without = await cli('patterns', 'service');
    expect(without.code).toBe(1);
  });

  it('pgrant schema --catalog offers team patterns to editors', async () => {
    const dir = project({ 'catalog/service.yaml': SERVICE });
    const r = await cli('schema', '--catalog', join(dir, 'catalog'));
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { items?: { properties: { pattern: { enum: string[] } } } }>; $defs: Record<string, { description?: string }> };
    expect(schema.properties.patterns!.items!.properties.pattern.enum).toEqual(expect.arrayContaining(['readonly', 'service']));
    expect(schema.$defs['pattern.service']!.description).toMatch(/^A service's login and its analysts' group\. \(team pattern/);
    expect(schema.properties).toHaveProperty('catalog');
    expect(schema.properties).toHaveProperty('include');
    const plain = JSON.parse((await cli('schema')).stdout) as typeof schema;
    expect(plain.$defs).not.toHaveProperty('pattern.service');
  });

  it('--catalog on lint and render adds a folder to the plan\'s own', async () => {
    const dir = project({ 'lib/service.yaml': SERVICE, 'plan.yaml': 'pgrant: 1\ndatabase: shop\npatterns:\n  - pattern: service\n    name: billing\n' });
    const lint = await cli('lint', join(dir, 'plan.yaml'), '--catalog', join(dir, 'lib'));
    expect(lint.code, lint.stdout).toBe(0);
    expect((await cli('lint', join(dir, 'plan.yaml'))).stdout).toMatch(/unknown pattern "service"/);
    const r = await render(dir, 'plan.yaml', '--catalog', join(dir, 'lib'));
    expect(r.code, r.stderr).toBe(0);
    const missing = await cli('render', join(dir, 'plan.yaml'), '--catalog', join(dir, 'nowhere'), '--out', join(dir, 'out2'));
    expect(missing.stderr).toMatch(/catalog folder .*nowhere does not exist/);
  });
});

describe('include', () => {
  const TEAM_A = 'patterns:\n  - pattern: readonly\n    role: a_readers\n    schemas: [app]\n';
  const TEAM_B = 'catalog: [../catalog]\npatterns:\n  - pattern: service\n    name: b\n';

  it('appends the included files\' patterns in order (globs sorted); the plan\'s own patterns may be absent', async () => {
    const dir = project({ 'catalog/service.yaml': SERVICE, 'teams/b.yaml': TEAM_B, 'teams/a.yaml': TEAM_A, 'plan.yaml': 'pgrant: 1\ndatabase: shop\ninclude: [teams/*.yaml]\n' });
    const r = await render(dir);
    expect(r.code, r.stderr).toBe(0);
    const roles = [...r.read('deploy.sql').matchAll(/^-- (\w+): (?:login|group)[^;]*; (.*)$/gm)].map((m) => `${m[1]} ${m[2]!.replace(/ at .*/, '')}`);
    expect(roles).toEqual([
      'a_readers readonly patterns[0]',
      'b_app app-user expands[0] of team pattern service (b.yaml:3 patterns[0])',
      'b_analysts readonly expands[1] of team pattern service (b.yaml:3 patterns[0])',
    ]);
  });

  it('errors point into the included file; a role defined differently in two files names both', async () => {
    const dir = project({
      'teams/a.yaml': 'patterns:\n  - pattern: app-user\n    role: svc\n    connection_limit: 3\n',
      'teams/b.yaml': 'patterns:\n  - pattern: app-user\n    role: svc\n    connection_limit: 5\n  - pattern: readonly\n    rol: x\n',
      'plan.yaml': 'pgrant: 1\ndatabase: shop\ninclude: [teams/a.yaml, teams/b.yaml]\npatterns: []\n',
    });
    const r = await render(dir);
    expect(r.code).toBe(1);
    const a = join(dir, 'teams', 'a.yaml');
    const b = join(dir, 'teams', 'b.yaml');
    expect(r.stderr).toContain(`${b}:5:5: error: patterns[1]: missing required key "role"`);
    expect(r.stderr).toContain(`${b}:6:5: error: patterns[1].rol: unknown key "rol"`);
    const conflict = await render(project({ 'teams/a.yaml': 'patterns:\n  - pattern: app-user\n    role: svc\n    connection_limit: 3\n', 'teams/b.yaml': 'patterns:\n  - pattern: app-user\n    role: svc\n    connection_limit: 5\n', 'plan.yaml': 'pgrant: 1\ndatabase: shop\ninclude: [teams/*.yaml]\n' }));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/teams\/b\.yaml:3:11: error: patterns\[0\]\.role: role "svc" is defined twice with different connection_limit: 3 at .*teams\/a\.yaml:3:11 \(app-user patterns\[0\]\) and 5 here/);
    expect(a).not.toBe(b);
  });

  it('an include that matches nothing, a missing file, and plan-only keys in an included file are errors where they are written', async () => {
    const dir = project({ 'teams/a.yaml': 'database: other\npatterns: []\n', 'plan.yaml': 'pgrant: 1\ndatabase: shop\ninclude: [teams/a.yaml, none/*.yaml, missing.yaml]\n' });
    const r = await render(dir);
    expect(r.code).toBe(1);
    const file = join(dir, 'plan.yaml');
    expect(r.stderr).toContain(`${join(dir, 'teams', 'a.yaml')}:1:1: error: database: unknown key "database"`);
    expect(r.stderr).toContain(`${file}:3:25: error: include[1]: "none/*.yaml" matches no file`);
    expect(r.stderr).toContain(`${file}:3:38: error: include[2]: cannot read included file ${join(dir, 'missing.yaml')}: ENOENT`);
  });

  it('reads only files inside the plan\'s folder: an absolute path, "..", a symlink and a glob out of it are refused where they are named, unread', async () => {
    const outside = project({ 'secret.yaml': 'root_password: hunter2\n' });
    const dir = project({ 'plan.yaml': `pgrant: 1\ndatabase: shop\ninclude:\n  - /etc/passwd\n  - ../${basename(outside)}/secret.yaml\n  - link.yaml\n  - /etc/*\n  - teams/*.yaml\npatterns: []\n`, 'teams/a.yaml': TEAM_A });
    symlinkSync(join(outside, 'secret.yaml'), join(dir, 'link.yaml'));
    symlinkSync(join(outside, 'secret.yaml'), join(dir, 'teams', 'b.yaml'));
    const r = await render(dir);
    expect(r.code).toBe(1);
    const file = join(dir, 'plan.yaml');
    const hint = '  hint: move the file under that folder, or set "include_root:" in the plan to a folder that holds both';
    expect(r.stderr).toContain(`${file}:4:5: error: include[0]: "/etc/passwd" is outside the plan's folder ${dir}: a plan reads files only inside it\n${hint}`);
    expect(r.stderr).toContain(`${file}:5:5: error: include[1]: "../${basename(outside)}/secret.yaml" is outside the plan's folder ${dir}`);
    expect(r.stderr).toContain(`${file}:6:5: error: include[2]: "link.yaml" is outside the plan's folder ${dir} (it resolves to ${join(outside, 'secret.yaml')})`);
    expect(r.stderr).toContain(`${file}:7:5: error: include[3]: "/etc/*" is outside the plan's folder ${dir}`);
    expect(r.stderr).toContain(`${file}:8:5: error: include[4]: "teams/*.yaml" is outside the plan's folder ${dir} (it resolves to ${join(outside, 'secret.yaml')})`);
    // Nothing of those files reaches a message.
    expect(r.stderr).not.toMatch(/root_password|hunter2|root:x:/);
  });

  it('include_root names a wider folder; files outside it are still refused', async () => {
    const shared = project({ 'shared/team.yaml': TEAM_A });
    mkdirSync(join(shared, 'plans'));
    writeFileSync(join(shared, 'plans', 'plan.yaml'), 'pgrant: 1\ndatabase: shop\ninclude_root: ..\ninclude: [../shared/team.yaml]\n');
    const r = await render(shared, join('plans', 'plan.yaml'));
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(join(shared, 'plans', 'plan.yaml'), 'pgrant: 1\ndatabase: shop\ninclude_root: ..\ninclude: [../../x.yaml]\n');
    const refused = await render(shared, join('plans', 'plan.yaml'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: include[0]: "../../x.yaml" is outside include_root ${join(shared, 'plans', '..')}: a plan reads files only inside it`);
  });

  it('a FIFO, a device and a directory are refused at once, not read (a FIFO would wait for a writer forever)', async () => {
    const dir = project({ 'plan.yaml': 'pgrant: 1\ndatabase: shop\ninclude_root: /\ninclude: [fifo.yaml, /dev/zero, teams]\n', 'teams/a.yaml': TEAM_A });
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const started = Date.now();
    const r = await render(dir);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(1);
    const file = join(dir, 'plan.yaml');
    expect(r.stderr).toContain(`${file}:4:11: error: include[0]: cannot read included file ${join(dir, 'fifo.yaml')}: it is a FIFO, not a regular file`);
    expect(r.stderr).toContain(`${file}:4:22: error: include[1]: cannot read included file /dev/zero: it is a device, not a regular file`);
    expect(r.stderr).toContain(`${file}:4:33: error: include[2]: cannot read included file ${join(dir, 'teams')}: it is a directory, not a regular file`);
    expect(r.stderr).toMatch(/hint: a plan and the files it includes are regular files holding at most 4 MiB of YAML together/);
  }, 20_000);

  it('a plan of more than 4 MiB, alone or with its includes, is refused before it is parsed, naming the limit', async () => {
    // About 200,000 members: rendering it would take minutes and gigabytes.
    const members = Array.from({ length: 200_000 }, (_, i) => `      - member_${String(i).padStart(7, '0')}\n`).join('');
    const header = 'pgrant: 1\ndatabase: shop\npatterns:\n  - pattern: readonly\n    role: readers\n    members:\n';
    // 3.9 MiB included by a plan of 0.3 MiB: refused before the included file is parsed.
    const included = 'patterns:\n  - pattern: readonly\n    role: readers\n    members:\n' + members.slice(0, 180_000 * 23);
    const dir = project({ 'big.yaml': header + members, 'plan.yaml': `pgrant: 1\ndatabase: shop\ninclude: [a.yaml]\n# ${'x'.repeat(300_000)}\n`, 'a.yaml': included });
    const started = Date.now();
    const big = await render(dir, 'big.yaml');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain(`error: cannot read plan ${join(dir, 'big.yaml')}: it holds 4.4 MiB, more than the 4 MiB a plan file may hold`);
    expect(big.stderr).toContain('hint: a plan and the files it includes are regular files holding at most 4 MiB of YAML together (about 100,000 roles); split a larger one into several plans');
    const split = await render(dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(split.code).toBe(1);
    expect(split.stderr).toContain(`${join(dir, 'plan.yaml')}:3:11: error: include[0]: cannot read included file ${join(dir, 'a.yaml')}: the plan and the files it includes would hold more than 4 MiB of YAML, the most pgrant reads`);
  }, 30_000);

  it('--from-git refuses a revision that git would read as an option', async () => {
    const dir = project({ 'plan.yaml': 'pgrant: 1\ndatabase: shop\npatterns:\n  - {pattern: readonly, role: r}\n' });
    const r = await cli('render', join(dir, 'plan.yaml'), '--from-git=--output=x', '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"--output=x" is not a revision');
  });

  it('a plan with neither patterns nor include still says patterns are missing', async () => {
    const dir = project({ 'plan.yaml': 'pgrant: 1\ndatabase: shop\n' });
    const r = await render(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plan\.yaml:1:1: error: missing required key "patterns"/);
  });
});

describe('team catalog docs', () => {
  it('examples/team-patterns/README.md is what pgrant patterns --catalog --markdown writes', async () => {
    const r = await cli('patterns', '--catalog', 'examples/team-patterns', '--markdown');
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}\n`).toBe(readFileSync('examples/team-patterns/README.md', 'utf8'));
    expect(r.stdout).toMatch(/## service\n[\s\S]*\| `analysts` \| `login\[\]` \| `\[\]` \|[\s\S]*GRANT billing_analysts TO dana;/);
  });
});
