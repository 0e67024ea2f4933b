// model → Map<file name, content>. Nothing here touches the file system.
import type { Model } from '../model/model.js';
import { UserError, type Diagnostic } from '../diagnostics.js';
import { locationOf } from '../model/builder.js';
import { formatPath } from '../plan/source.js';
import { shippedTemplates } from './templates.js';
import type { ByteSink, TemplateSet } from './template-runtime.js';
import { buildView, fileView } from './view.js';
import { diffModels, type Migration } from '../migrate/diff.js';
import { buildMigrationView } from '../migrate/view.js';

export const OUTPUT_FILES = ['deploy.sql', 'verify.sql', 'revert.sql', 'ACCESS.md'] as const;

/** How the files are laid out: plain psql scripts, a sqitch project, or Flyway migrations. */
export { LAYOUTS, type Layout } from './layouts.js';
import type { Layout } from './layouts.js';

interface RenderOptions {
  planFile: string;
  layout?: Layout;
  /** Default: pgrant's own templates (compiled by the build); tests pass others to compare them. */
  templates?: TemplateSet;
}

/** The files of a plan, as text. */
export function renderModel(model: Model, options: RenderOptions): Map<string, string> {
  const templates = options.templates ?? shippedTemplates();
  return new Map([...planFiles(model, options)].map(([file, f]) => [file, templates.get(f.template)(f.view())]));
}

/**
 * Writes one file's UTF-8 bytes to `sink`, piece by piece, as it is rendered. `pgrant render` writes
 * each file to disk as it goes: a large plan's files are never held whole.
 */
export type FileWriter = (sink: ByteSink) => void;

/** The files of a plan, each rendered when its writer is called. */
export function renderModelLazily(model: Model, options: RenderOptions): Map<string, FileWriter> {
  const templates = options.templates ?? shippedTemplates();
  return new Map([...planFiles(model, options)].map(([file, f]) => [file, (sink: ByteSink) => templates.write(f.template, f.view(), sink)]));
}

/**
 * Each file of the plan: the template that renders it, and its view. A file's view is made when asked
 * for, so what only one file reads (fileView) is let go once that file is rendered.
 */
function planFiles(model: Model, options: RenderOptions): Map<string, { template: string; view: () => unknown }> {
  const layout = options.layout ?? 'plain';
  if (layout === 'flyway') checkFlyway(model);
  const view = buildView(model, { planFile: options.planFile, psql: layout !== 'flyway' });
  const out = new Map<string, { template: string; view: () => unknown }>();
  const rendered = (template: (typeof OUTPUT_FILES)[number]) => ({ template, view: () => fileView(view, model, template) });
  const change = `pgrant_${model.plan.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  switch (layout) {
    case 'plain':
      for (const name of OUTPUT_FILES) out.set(name, rendered(name));
      break;
    case 'sqitch':
      // One sqitch change holding the whole plan: sqitch runs each script with psql, as pgrant does.
      out.set('sqitch.conf', { template: 'sqitch/sqitch.conf', view: () => view });
      out.set('sqitch.plan', { template: 'sqitch/sqitch.plan', view: () => ({ ...view, change }) });
      out.set(`deploy/${change}.sql`, rendered('deploy.sql'));
      out.set(`verify/${change}.sql`, rendered('verify.sql'));
      out.set(`revert/${change}.sql`, rendered('revert.sql'));
      out.set('ACCESS.md', rendered('ACCESS.md'));
      break;
    case 'flyway':
      // Versioned migration, repeatable verification (it fails the migration run when a check fails), undo.
      out.set(`V1__${change}.sql`, rendered('deploy.sql'));
      out.set(`R__${change}_verify.sql`, rendered('verify.sql'));
      out.set(`U1__${change}.sql`, rendered('revert.sql'));
      out.set('ACCESS.md', rendered('ACCESS.md'));
      break;
  }
  return out;
}

/** Flyway runs SQL over JDBC, without psql: what needs psql cannot be written for it. */
function checkFlyway(model: Model): void {
  const problems: Diagnostic[] = [];
  for (const r of model.roles) {
    if (r.password?.kind === 'psql') {
      const loc = locationOf(r.origins[0]!);
      problems.push({ level: 'error', loc, path: formatPath(r.origins[0]!.path), message: `the password of "${r.name}" comes from a psql variable, and Flyway has no psql`, hint: 'give it as {env: VAR} (a SCRAM verifier computed at render time) or {scram: …} for --layout flyway' });
    }
  }
  for (const d of model.databases.filter((x) => x.create)) {
    problems.push({ level: 'error', loc: locationOf(d.origin), path: formatPath(d.origin.path), message: `database ${d.name} is created by the plan: CREATE DATABASE cannot run inside a Flyway migration`, hint: 'create it before Flyway runs, and set create: false' });
  }
  if (problems.length) throw new UserError(problems);
}

/** migrate.sql: the statements that take a database from the old plan's state to the new one's. */
export function renderMigration(from: Model, to: Model, options: { planFile: string; fromLabel: string; templates?: TemplateSet }): { sql: string; migration: Migration } {
  const templates = options.templates ?? shippedTemplates();
  const migration = diffModels(from, to);
  return { sql: templates.get('migrate.sql')(buildMigrationView(from, to, migration, options)), migration };
}
