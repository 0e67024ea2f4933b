// model → Map<file name, content>. Nothing here touches the file system.
import type { Model } from '../model/model.js';
import { loadTemplates, type TemplateSet } from './engine.js';
import { buildView } from './view.js';
import { diffModels, type Migration } from '../migrate/diff.js';
import { buildMigrationView } from '../migrate/view.js';

export const OUTPUT_FILES = ['deploy.sql', 'verify.sql', 'revert.sql', 'ACCESS.md'] as const;

let templates: TemplateSet | undefined;

export function renderModel(model: Model, options: { planFile: string }): Map<string, string> {
  templates ??= loadTemplates();
  const view = buildView(model, options);
  const files = new Map<string, string>();
  for (const name of OUTPUT_FILES) files.set(name, templates.get(name)(view));
  return files;
}

/** migrate.sql: the statements that take a database from the old plan's state to the new one's. */
export function renderMigration(from: Model, to: Model, options: { planFile: string; fromLabel: string }): { sql: string; migration: Migration } {
  templates ??= loadTemplates();
  const migration = diffModels(from, to);
  return { sql: templates.get('migrate.sql')(buildMigrationView(from, to, migration, options)), migration };
}
