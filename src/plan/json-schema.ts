// The JSON Schema of plan files, generated from the same type definitions validation uses (one source),
// for editors: `# yaml-language-server: $schema=…` gives completion and checks in VS Code and JetBrains.
import { COMMON_INSTANCE_FIELDS, instanceType, loadCatalog } from '../catalog/catalog.js';
import { MAX_NAME_BYTES } from '../sql/names.js';
import type { TeamPatternDef } from '../catalog/team.js';
import { PLAN_FIELDS } from './load.js';
import { namedTypes, type Field, type TypeDesc } from './types.js';

type Schema = Record<string, unknown>;

function fieldSchema(field: Field): Schema {
  const schema = typeSchema(field.type);
  const doc = field.since ? `${field.doc} (PostgreSQL ${field.since}+)` : field.doc;
  return { ...schema, description: doc, ...(field.default !== undefined ? { default: field.default } : {}) };
}

function typeSchema(type: TypeDesc): Schema {
  switch (type.kind) {
    case 'ref':
      return { $ref: `#/$defs/${type.name}` };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', ...(type.min !== undefined ? { minimum: type.min } : {}), ...(type.max !== undefined ? { maximum: type.max } : {}) };
    case 'string': {
      const s: Schema = { type: 'string' };
      if (type.enum) {
        // Privilege words are accepted in any case; the schema offers the canonical spelling.
        s.enum = type.caseless ? [...new Set([...type.enum, ...type.enum.map((e) => e.toLowerCase())])] : type.enum;
      }
      if (type.pattern) s.pattern = type.pattern.source;
      if (type.patternDoc) s.description = type.patternDoc;
      return s;
    }
    case 'name':
      // JSON Schema counts characters, PostgreSQL bytes: the 63-byte rule is checked by pgrant itself.
      return { type: 'string', minLength: 1, maxLength: MAX_NAME_BYTES, description: `a PostgreSQL name (at most ${MAX_NAME_BYTES} bytes of UTF-8)` };
    case 'list':
      return { type: 'array', items: typeSchema(type.of), ...(type.minItems ? { minItems: type.minItems } : {}) };
    case 'map':
      return { type: 'object', additionalProperties: typeSchema(type.value) };
    case 'union':
      return { anyOf: type.options.map(typeSchema), description: type.doc };
    case 'object': {
      const properties = Object.fromEntries(Object.entries(type.fields).map(([k, f]) => [k, fieldSchema(f)]));
      const required = Object.entries(type.fields).filter(([, f]) => f.required).map(([k]) => k);
      const object: Schema = { type: 'object', properties, additionalProperties: false, ...(required.length ? { required } : {}) };
      if (type.oneOf) object.oneOf = type.oneOf.map((k) => ({ required: [k] }));
      if (type.title) object.title = type.title;
      if (!type.shorthand) return object;
      return { anyOf: [typeSchema(type.fields[type.shorthand.into]!.type), object] };
    }
  }
}

/** The schema of plan files; team patterns (`pgrant schema --catalog DIR`) are offered beside the built-ins. */
export function planJsonSchema(teamPatterns: readonly TeamPatternDef[] = []): Schema {
  const catalog = new Map<string, { name: string; summary: string; parameters: TeamPatternDef['parameters'] }>(loadCatalog());
  for (const def of teamPatterns) catalog.set(def.name, { ...def, summary: `${def.summary} (team pattern, ${def.file})` });
  const defs: Record<string, Schema> = {};
  for (const [name, type] of [...namedTypes().entries()].sort(([a], [b]) => a.localeCompare(b))) defs[name] = typeSchema(type);
  for (const def of catalog.values()) {
    const t = instanceType(def);
    const schema = typeSchema({ ...t, fields: { ...t.fields, pattern: { ...COMMON_INSTANCE_FIELDS.pattern!, type: { kind: 'string', enum: [def.name] } } } });
    defs[`pattern.${def.name}`] = { ...schema, description: def.summary };
  }
  const { patterns: _patterns, ...header } = PLAN_FIELDS;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://pgrant.dev/schema/plan.schema.json',
    title: 'pgrant plan',
    description: 'A pgrant plan: catalog patterns and their parameters, rendered to deploy.sql, verify.sql, revert.sql and ACCESS.md.',
    type: 'object',
    properties: {
      ...Object.fromEntries(Object.entries(header).map(([k, f]) => [k, fieldSchema(f)])),
      postgres: { ...fieldSchema(PLAN_FIELDS.postgres!), enum: [14, 15, 16, 17, 18] },
      patterns: {
        type: 'array',
        description: PLAN_FIELDS.patterns!.doc,
        items: {
          type: 'object',
          required: ['pattern'],
          properties: { pattern: { enum: [...catalog.keys()], description: 'a catalog pattern (pgrant patterns)' } },
          allOf: [...catalog.keys()].map((name) => ({ if: { properties: { pattern: { const: name } } }, then: { $ref: `#/$defs/pattern.${name}` } })),
        },
      },
    },
    required: Object.entries(PLAN_FIELDS).filter(([, f]) => f.required).map(([k]) => k),
    additionalProperties: false,
    $defs: defs,
  };
}
