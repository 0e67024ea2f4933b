// docs/plan-format.md: the plan format and the command line. The tables of keys, types and defaults are
// generated from the same type definitions validation and the JSON Schema use (src/plan/), the commands
// from the CLI's own definitions; the prose around them says what the tables cannot. `npm run docs:update`
// rewrites it and the test suite fails when it is stale.
import { COMMON_INSTANCE_FIELDS, loadCatalog } from '../catalog/catalog.js';
import { PLAN_FIELDS, SUPPORTED_TARGETS, DEFAULT_TARGET, FORMAT_VERSION } from '../plan/load.js';
import { namedTypes, resolveType, type Field, type TypeDesc } from '../plan/types.js';
import { MAX_NAME_BYTES } from '../sql/names.js';
import { allCommands } from '../cli/main.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A type as a reader sees it, linking named types to their section. */
function typeText(type: TypeDesc): string {
  switch (type.kind) {
    case 'ref':
      return `[${type.name}](#${type.name})`;
    case 'list':
      return `list of ${typeText(type.of)}`;
    case 'map':
      return `mapping of ${typeText(type.key)} to ${typeText(type.value)}`;
    case 'string':
      return type.enum ? type.enum.map((e) => `\`${e}\``).join(' | ') : 'string';
    case 'integer':
      return type.min !== undefined || type.max !== undefined ? `integer (${type.min ?? '…'}..${type.max ?? '…'})` : 'integer';
    case 'name':
      return 'name';
    case 'object':
      return type.title ?? 'mapping';
    case 'union':
      return type.options.map(typeText).join(' or ');
    case 'boolean':
      return 'boolean';
  }
}

function defaultText(field: Field): string {
  if (field.required) return '**required**';
  return field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``;
}

/** One row per key; nested objects (like `test`) get their keys as `parent.key` rows. */
function fieldRows(fields: Record<string, Field>, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const since = field.since && !field.doc.includes(`PostgreSQL ${field.since}`) ? ` (PostgreSQL ${field.since}+)` : '';
    rows.push(`| \`${prefix}${key}\` | ${cell(typeText(field.type))} | ${defaultText(field)} | ${cell(field.doc)}${since} |`);
    const inner = field.type.kind === 'list' ? field.type.of : field.type;
    if (inner.kind === 'object' && !inner.shorthand) rows.push(...fieldRows(inner.fields, `${prefix}${key}${field.type.kind === 'list' ? '[]' : ''}.`));
  }
  return rows;
}

function fieldTable(fields: Record<string, Field>): string[] {
  return ['| key | type | default | what it is |', '|---|---|---|---|', ...fieldRows(fields)];
}

const capital = (text: string) => `${text[0]!.toUpperCase()}${text.slice(1)}`;

/** What each kind of name stands for, beyond the rules every name follows. */
const NAME_PURPOSES: Record<string, string> = {
  role: 'a role: one the plan creates, one that exists already, a predefined `pg_*` role, or `PUBLIC`',
  'create-role': 'a role the plan creates: not `public` or `none`, not starting with `pg_`',
  schema: 'a schema',
  table: 'a table or view',
  column: 'a column',
  function: 'a function or procedure',
  database: 'a database',
  policy: 'a row-level-security policy',
  object: 'a name',
};

/** A named type: what it accepts, and for mappings their keys. */
function typeSection(name: string, type: TypeDesc): string[] {
  const lines = [`### ${name}`, ''];
  const t = resolveType(type);
  const describeOne = (option: TypeDesc): string[] => {
    const o = resolveType(option);
    switch (o.kind) {
      case 'object': {
        const shorthand = o.shorthand ? ` A plain value stands for \`{${o.shorthand.into}: value}\`.` : '';
        const oneOf = o.oneOf ? ` Exactly one of ${o.oneOf.map((k) => `\`${k}\``).join(', ')}.` : '';
        return [`${capital(o.title ?? 'a mapping')}.${shorthand}${oneOf}`, '', ...fieldTable(o.fields), ''];
      }
      case 'string': {
        const what = o.doc ?? (o.enum ? `one of ${o.enum.map((e) => `\`${e}\``).join(', ')}${o.caseless ? ' (any case)' : ''}` : 'a string');
        return [`${capital(what)}${o.patternDoc ? `: ${o.patternDoc}` : ''}.`, ''];
      }
      case 'name':
        return [`${capital(NAME_PURPOSES[o.purpose] ?? 'a name')} (see [Names](#names)).`, ''];
      case 'map':
        return [`A ${typeText(o)}.`, ''];
      default:
        return [`${typeText(o)}.`, ''];
    }
  };
  if (t.kind === 'union') {
    lines.push(`${capital(t.doc)}. One of:`, '');
    t.options.forEach((option, i) => lines.push(`${i + 1}. ${describeOne(option).join('\n').trim().replace(/\n/g, '\n   ')}`, ''));
  } else lines.push(...describeOne(t));
  return lines;
}

export async function planFormatMarkdown(): Promise<string> {
  const commands = await allCommands();
  const catalog = [...loadCatalog().values()];
  const { patterns: _patterns, ...header } = PLAN_FIELDS;
  const lines: string[] = [
    '# The plan format and the command line',
    '',
    'Generated by `npm run docs:update` from the type definitions that validate plans (the same ones the',
    'JSON Schema in `schema/plan.schema.json` comes from) and from the command definitions; do not edit.',
    'Every pattern\'s own parameters are in [patterns.md](patterns.md).',
    '',
    '- [Command line](#command-line) · [Exit codes](#exit-codes) · [Output files](#output-files)',
    '- [Plan file](#plan-file) · [Pattern instances](#pattern-instances) · [Names](#names) · [Passwords](#passwords) · [Types](#types)',
    '',
    '## Command line',
    '',
    'Run as `npx pgrant …` in a project that has pgrant installed (Node 20.19+ or 22+, and the `psql` client',
    'to run the generated files). `--help` works on every command.',
    '',
    '| command | what it does |',
    '|---|---|',
    ...commands.map((c) => `| \`pgrant ${cell(c.command)}\` | ${cell(c.describe)} |`),
    '',
    'On every command: `--quiet` prints only errors and results, `--verbose` adds detail (every phase\'s notes',
    'in `pgrant test`, and the stack of an unexpected error), `--json` (render, lint, test, diff) prints a',
    'document for tools. Colours only on a terminal, never with `NO_COLOR`.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    '| 0 | success |',
    '| 1 | the input is wrong, a check failed (lint error, `pgrant test` failure, drift), or a file is stale (`render --check`); nothing is written |',
    '| 2 | an internal error: a bug in pgrant (please report it with the plan) |',
    '',
    'A problem in a plan is printed as `file:line:col: error: path: message`, then `hint: …` on the next line;',
    'every problem in the file is listed at once. Warnings and notes use the same form with `warning` and',
    '`info`, and name the lint rule in parentheses.',
    '',
    '## Output files',
    '',
    '`pgrant render plan.yaml` writes `out/<plan name>/` (`--out DIR` for another directory). The plan name',
    'is `name:`, else the file name without its extension.',
    '',
    '| file | what it is | how it is run |',
    '|---|---|---|',
    '| `deploy.sql` | creates and converges the plan\'s roles, memberships, privileges, default privileges and policies; idempotent; one transaction (CREATE DATABASE, which PostgreSQL forbids in one, runs before it) | `psql -X -v ON_ERROR_STOP=1 -d DATABASE -f deploy.sql`, plus `-v VAR=…` for each `{psql: VAR}` password |',
    '| `verify.sql` | read-only checks that the database matches the plan: what each role can do, and nothing more; one `FAIL:` line per problem, then exit 3 | `psql -X -v ON_ERROR_STOP=1 -d DATABASE -f verify.sql` |',
    '| `revert.sql` | removes the plan\'s roles, never data: REASSIGN OWNED, DROP OWNED, DROP ROLE | like deploy.sql |',
    '| `ACCESS.md` | for reviewers: roles, attributes, memberships (as a diagram), objects × privileges | read it |',
    '| `migrate.sql` | with `--from old.yaml` or `--from-git REV`: only the statements from the old plan to this one | like deploy.sql |',
    '',
    'A plan whose `database` pattern has `create: true` runs deploy.sql connected to the maintenance database',
    '(`-d postgres`): it creates the database, then `\\connect`s to it. Each file\'s header gives the exact',
    'command and the psql variables it expects. No output file holds a plain-text password. The same plan',
    'always gives the same bytes. `--layout sqitch` and `--layout flyway` lay the same SQL out for those tools.',
    '',
    '## Plan file',
    '',
    '```yaml',
    `pgrant: ${FORMAT_VERSION}                # format version (required)`,
    'name: shop               # output folder (default: the file name)',
    `postgres: ${DEFAULT_TARGET}             # target major, ${SUPPORTED_TARGETS[0]}..${SUPPORTED_TARGETS.at(-1)}: the SQL uses only syntax valid there`,
    'database: shop           # the database the scripts run in',
    'patterns:',
    '  - pattern: readonly',
    '    role: shop_readonly',
    '    schemas: [sales]',
    '```',
    '',
    `Top-level keys (\`patterns\` is required: a list of [pattern instances](#pattern-instances); \`postgres\` is one of ${SUPPORTED_TARGETS.join(', ')}):`,
    '',
    ...fieldTable(header),
    '',
    'Unknown keys are errors, with a "did you mean" when one is close. YAML anchors and aliases work.',
    '',
    '## Pattern instances',
    '',
    'Each item of `patterns` names a catalog pattern and gives its parameters ([patterns.md](patterns.md), or',
    '`npx pgrant patterns NAME`). Statements are ordered by dependency whatever the order of the instances.',
    'Every instance also accepts:',
    '',
    ...fieldTable(COMMON_INSTANCE_FIELDS),
    '',
    '| pattern | what it is for |',
    '|---|---|',
    ...catalog.map((d) => `| [\`${d.name}\`](patterns.md#${d.name}) | ${cell(d.summary)} |`),
    '',
    '`owners` (in the patterns that grant on schemas) names the roles whose future tables, sequences and',
    'functions get default privileges (`ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA …`); without it,',
    'only objects created by the role running deploy.sql are covered, and `pgrant lint` says so. With',
    '`tables` listed, a role gets exactly those tables and the sequences their serial and identity columns',
    'own (as they exist when deploy.sql runs), and no default privileges for tables or sequences.',
    '',
    '## Names',
    '',
    `A name is a PostgreSQL identifier: anything but empty, a NUL byte, or more than ${MAX_NAME_BYTES} bytes of UTF-8`,
    '(PostgreSQL would silently truncate a longer one, and two names could collide: pgrant refuses, naming',
    'the parameter). Names are written as you spell them and quoted in SQL exactly when PostgreSQL needs it:',
    '`Sales Team`, `o\'brien`, `données`, `user` and `current_role` are all valid role names. A role the plan',
    'creates cannot be `public` or `none`, or start with `pg_` (PostgreSQL reserves them); predefined roles',
    'such as `pg_read_all_data` may still be referenced, e.g. in `member_of`. `PUBLIC`, in any case, means',
    'every role. Names derived from parameters (`<project>_owner`) are checked too, naming the parameter.',
    '',
    'A **table** is `schema.table`, or `table` (in the pattern\'s first schema, else `public`); a name that',
    'itself contains a dot is written `{schema: s, name: t}`. A **function** is `schema.name(argtype, …)`.',
    '',
    'Without a fixture, `pgrant test` creates whatever the plan names, so names are checked against a real',
    'schema only when you give one (`--fixture schema.sql` or `test.fixture`).',
    '',
    '## Passwords',
    '',
    '`password` (on any role the plan creates) takes one of these forms; no output file ever holds the',
    'password itself:',
    '',
    '| form | what happens |',
    '|---|---|',
    '| absent | the role keeps the password it has (none for a new role); set one by hand with `\\password` |',
    '| `{psql: VAR}` | read by psql when deploy.sql runs (`psql -v VAR=…`), sent as `ALTER ROLE … PASSWORD :\'VAR\'` and stored by the server as SCRAM-SHA-256; deploy.sql stops before any change if the variable is missing |',
    '| `{env: VAR}` | read from the environment when rendering and written as a SCRAM-SHA-256 verifier; an unset or empty variable is an error |',
    '| `{scram: "SCRAM-SHA-256$4096:…"}` | a verifier, written as given (its format is checked) |',
    '| a plain string | written only as a SCRAM-SHA-256 verifier; `pgrant lint` warns that the plan file now holds a secret |',
    '',
    'Verifiers are computed offline with 4096 iterations, applying SASLprep as PostgreSQL does, and a',
    'random 16-byte salt per role, never derived from the password (a verifier in a committed file then costs',
    'an attacker a full PBKDF2 run per guess). The salts live in a **salt file** next to the plan',
    '(`plan.yaml` → `plan.salts.json`), which `pgrant render` creates and updates like a lock file: commit it',
    'with the plan and the output, and the same plan, salt file and passwords render the same bytes. A role',
    'gets a new salt when it first has such a password, and when its password changed (the previous output',
    'holds a verifier with the recorded salt that the password no longer matches); a role that leaves the',
    'plan leaves the file. `render --check` writes nothing: a missing or outdated salt file is stale (exit 1,',
    'naming it), as is the output. The salts are not secret; a damaged file is an error naming it (delete it',
    'to draw new salts). A string that looks like a variable',
    'reference — `${SHOP_APP_PASSWORD}`, `$SHOP_APP_PASSWORD`, `{{ … }}` or `%(…)s` — is an error: it would',
    'become the password itself. Write `{env: SHOP_APP_PASSWORD}` or `{psql: shop_app_password}` instead.',
    '',
    '## Role attributes',
    '',
    'Any role the plan creates takes `login`, `superuser`, `createdb`, `createrole`, `inherit`, `replication`',
    'and `bypassrls` (booleans: false unless stated, except `inherit`, true as in PostgreSQL; a pattern may',
    'set its own, e.g. `app-user` logs in), `connection_limit` (-1 = unlimited, the default), `valid_until`',
    '(a timestamp or `infinity`, written as given: the server\'s time zone applies unless it carries one),',
    '`password` and `comment`. deploy.sql converges them on every run; an expiry the plan no longer sets is',
    'lifted. `pgrant lint` refuses `superuser: true` unless `allow_superuser: true` is beside it.',
    '',
    '## Types',
    '',
    'The named types the tables above refer to.',
    '',
  ];
  for (const [name, type] of [...namedTypes().entries()].sort(([a], [b]) => a.localeCompare(b))) lines.push(...typeSection(name, type));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
