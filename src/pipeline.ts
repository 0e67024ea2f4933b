// The main job as one function: plan file → validated plan → model → rendered files.
import { basename } from 'node:path';
import { loadPlan, releasePlanSources, type Plan } from './plan/load.js';
import type { PlanFiles } from './plan/files.js';
import { buildModel } from './model/expand.js';
import type { Model } from './model/model.js';
import { renderMigration, renderModel, renderModelLazily, type FileWriter } from './render/render.js';
import type { Layout } from './render/layouts.js';
import type { Change } from './migrate/diff.js';
import { loadSqlParser } from './sql/expression.js';
import { lint } from './lint/rules.js';
import { UserError, type Diagnostic } from './diagnostics.js';
import { previousVerifiers } from './write/write.js';

/** A rendered plan; its files as text, or (renderPlanFileLazily) as functions that write their bytes. */
export interface Rendered<Text = string> {
  plan: Plan;
  model: Model;
  files: Map<string, Text>;
  /** Lint findings (warnings and infos; errors stop rendering). */
  findings: Diagnostic[];
  /** With `from`: what changes from the old plan (migrate.sql is among the files). */
  changes?: Change[];
}

export interface OldPlan {
  /** The old plan's text (from a file or from git). */
  text: string;
  /** How the old plan is named in migrate.sql's header, e.g. "main:examples/plan.yaml". */
  label: string;
  /** The old plan's path, from which its includes and catalog folders are found (default: the label). */
  file?: string;
  /** Where its includes and team patterns are read from (default: the disk; a git revision for --from-git). */
  files?: PlanFiles;
}

interface RenderPlanOptions {
  /**
   * Let the plan's parsed YAML go once the files are ready to render (their view holds every location
   * they report): for `pgrant render`, which keeps nothing else of the plan while it writes.
   */
  releaseSources?: boolean;
  text?: string;
  postgres?: number;
  database?: string;
  from?: OldPlan;
  layout?: Layout;
  catalog?: readonly string[];
  /**
   * The output directory a render replaces: a recorded salt is kept only while the password still matches
   * the verifier there (a changed password gets a new salt).
   */
  previousOutput?: string;
}

/** Loads, validates, expands and renders one plan; throws UserError for problems in the plan. */
export function renderPlanFile(file: string, options: RenderPlanOptions = {}): Promise<Rendered> {
  return renderPlan(file, options, renderModel, (sql) => sql);
}

/**
 * renderPlanFile for `pgrant render`: the plan is checked now, and each file is rendered only when its
 * writer is called, its UTF-8 bytes handed on piece by piece, so that a large plan's files are never held whole.
 */
export function renderPlanFileLazily(file: string, options: RenderPlanOptions = {}): Promise<Rendered<FileWriter>> {
  return renderPlan(file, options, renderModelLazily, (sql) => (sink) => sink(Buffer.from(sql, 'utf8')));
}

async function renderPlan<Text>(
  file: string,
  options: RenderPlanOptions,
  render: (model: Model, options: { planFile: string; layout?: Layout }) => Map<string, Text>,
  migrationText: (sql: string) => Text,
): Promise<Rendered<Text>> {
  const plan = loadPlan(file, options);
  if (options.previousOutput !== undefined) plan.salts.comparePrevious(previousVerifiers(options.previousOutput, plan.name));
  // Patterns holding SQL written by the plan's author need the PostgreSQL parser (WebAssembly, loaded once).
  if (plan.instances.some((i) => i.def.settings.sql_parser === true)) await loadSqlParser();
  const model = buildModel(plan);
  const findings = lint(model);
  const errors = findings.filter((f) => f.level === 'error');
  if (errors.length) throw new UserError(errors);
  // The file's name alone, so the output is the same bytes wherever pgrant runs from.
  const files = render(model, { planFile: basename(file), layout: options.layout });
  let changes: Change[] | undefined;
  if (options.from) {
    const old = loadPlan(options.from.file ?? options.from.label, { text: options.from.text, files: options.from.files, postgres: options.postgres, database: options.database, catalog: options.catalog });
    if (old.instances.some((i) => i.def.settings.sql_parser === true)) await loadSqlParser();
    const { sql, migration } = renderMigration(buildModel(old), model, { planFile: basename(file), fromLabel: options.from.label });
    files.set('migrate.sql', migrationText(sql));
    changes = migration.changes;
  }
  if (options.releaseSources) releasePlanSources(plan);
  return changes ? { plan, model, files, findings, changes } : { plan, model, files, findings };
}

/** Validates a plan and runs the lint rules; validation errors come back as error findings. */
export async function lintPlanFile(file: string): Promise<Diagnostic[]> {
  try {
    const plan = loadPlan(file);
    if (plan.instances.some((i) => i.def.settings.sql_parser === true)) await loadSqlParser();
    return lint(buildModel(plan));
  } catch (e) {
    if (e instanceof UserError) return e.diagnostics;
    throw e;
  }
}
