// model → Map<file name, content>. Nothing here touches the file system.
import type { Model } from '../model/model.js';
import { loadTemplates, type TemplateSet } from './engine.js';
import { buildView } from './view.js';

export const OUTPUT_FILES = ['deploy.sql', 'verify.sql', 'revert.sql', 'ACCESS.md'] as const;

let templates: TemplateSet | undefined;

export function renderModel(model: Model, options: { planFile: string }): Map<string, string> {
  templates ??= loadTemplates();
  const view = buildView(model, options);
  const files = new Map<string, string>();
  for (const name of OUTPUT_FILES) files.set(name, templates.get(name)(view));
  return files;
}
