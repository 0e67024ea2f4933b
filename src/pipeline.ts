// The main job as one function: plan file → validated plan → model → rendered files.
import { basename } from 'node:path';
import { loadPlan, type Plan } from './plan/load.js';
import { buildModel } from './model/expand.js';
import type { Model } from './model/model.js';
import { renderModel } from './render/render.js';

export interface Rendered {
  plan: Plan;
  model: Model;
  files: Map<string, string>;
}

/** Loads, validates, expands and renders one plan; throws UserError for problems in the plan. */
export function renderPlanFile(file: string, options: { text?: string; postgres?: number; database?: string } = {}): Rendered {
  const plan = loadPlan(file, options);
  const model = buildModel(plan);
  // The file's name alone, so the output is the same bytes wherever pgrant runs from.
  return { plan, model, files: renderModel(model, { planFile: basename(file) }) };
}
