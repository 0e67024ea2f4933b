// pgrant import: read the state (audit.sql's JSON, live or from a file) → scope → recognise patterns →
// emit the plan as YAML → check that the plan loads and renders, as the first reviewer would.
import { basename, extname } from 'node:path';
import { UserError } from '../diagnostics.js';
import { renderPlanFile } from '../pipeline.js';
import { PLAN_NAME } from '../plan/plan-types.js';
import { loadSqlParser } from '../sql/expression.js';
import { earlierPlanGaps } from './earlier-plan.js';
import { emitPlan } from './emit.js';
import { recognise } from './recognise.js';
import { compare, scope, type Gap, type ScopeOptions } from './scope.js';
import type { ImportState } from './state.js';

export interface ImportOptions extends ScopeOptions {
  /** Where the plan goes (its file name gives the plan's name), if anywhere. */
  output?: string;
  /** --flat: only the `roles` pattern, no recognition. */
  flat: boolean;
}

export interface ImportResult {
  name: string;
  database: string;
  postgres: number;
  yaml: string;
  instances: { pattern: string; roles: string[]; why: string }[];
  gaps: Gap[];
  notes: string[];
}

export async function importPlan(state: ImportState, options: ImportOptions): Promise<ImportResult> {
  // Policy expressions are checked by PostgreSQL's parser, as when the plan is rendered.
  await loadSqlParser();
  const scoped = scope(state, options);
  const name = planName(options.output, state.database);
  const recognised = options.flat ? [] : recognise(scoped, name);
  scoped.gaps.push(...earlierPlanGaps(state, name, new Set(scoped.roles.map((r) => r.name)), scoped.schemas));
  const first = emitPlan({ scoped, name, recognised, flat: options.flat });
  const renderGaps: Gap[] = [];
  const external = await checkRenders(first.yaml, name, renderGaps);
  scoped.gaps.push(...renderGaps);
  // Written again with the roles it refers to in its header, or why it does not render in its footer.
  const { yaml, gaps, instances } = external.length || renderGaps.length ? emitPlan({ scoped, name, recognised, flat: options.flat, external }) : first;
  return { name, database: state.database, postgres: scoped.major, yaml, instances, gaps, notes: scoped.notes };
}

/** The plan's name: the output file's, else the database's, as a folder name. */
export function planName(output: string | undefined, database: string): string {
  const fromFile = output ? basename(output, extname(output)) : '';
  if (PLAN_NAME.test(fromFile)) return fromFile;
  const cleaned = database.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]+/, '');
  return PLAN_NAME.test(cleaned) ? cleaned : 'imported';
}

/**
 * A plan import writes must load, lint without errors and render; if not, that is a gap too.
 * Returns the roles the plan refers to but does not create.
 */
async function checkRenders(yaml: string, name: string, gaps: Gap[]): Promise<string[]> {
  try {
    const { model } = await renderPlanFile(`${name}.yaml`, { text: yaml });
    return [...model.external].sort(compare);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    for (const d of e.diagnostics) gaps.push({ what: `the plan does not render: ${d.path ? `${d.path}: ` : ''}${d.message}`, why: d.hint ?? 'edit the plan by hand' });
    return [];
  }
}
