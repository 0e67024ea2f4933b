// The string values of a team pattern's `expands`: Handlebars templates over the pattern's parameters.
// Their output is data (a role name, a schema name) that the plan's validation and the escaping helpers
// downstream treat like any value a plan states; it never reaches SQL by itself.
import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';

let instance: typeof Handlebars | undefined;

/**
 * A Handlebars instance of its own (compiled with strict: an unknown name is an error; noEscape: nothing
 * HTML-escaped), loaded on first use: plans without team patterns never pay for it.
 */
function handlebars(): typeof Handlebars {
  instance ??= (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
  return instance;
}

/** Block helpers a value template may use; everything else is a parameter name. */
const BLOCK_HELPERS = new Set(['if', 'unless']);

export interface TemplateProblem {
  message: string;
  hint?: string;
}

export interface TemplateInfo {
  /** Exactly `{{param}}`: the value is the parameter's own value, of its own type (a list, a mapping). */
  exact?: string;
  /** The parameters the template reads as text (`{{p}}` among other text), and in conditions. */
  asText: string[];
  inConditions: string[];
}

/** True when a string holds template syntax (plain strings are copied as they are). */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

/**
 * Parses a value template and lists the parameters it reads; returns a problem for what a value
 * template may not do (partials, helpers, paths into objects, @data, sub-expressions).
 */
export function analyzeTemplate(text: string): TemplateInfo | TemplateProblem {
  let ast: hbs.AST.Program;
  try {
    ast = handlebars().parse(text);
  } catch (e) {
    const detail = (e as Error).message.split('\n').filter((l) => !/^[-^ ]*$/.test(l) && !l.startsWith('Parse error')).pop();
    return { message: `the template "${text}" does not parse: ${detail ?? (e as Error).message}`, hint: 'write {{parameter}}, or {{#if parameter}}…{{else}}…{{/if}}' };
  }
  const info: TemplateInfo = { asText: [], inConditions: [] };
  const problem = walk(ast, info);
  if (problem) return problem;
  const [only] = ast.body;
  if (ast.body.length === 1 && only!.type === 'MustacheStatement') {
    const m = only as hbs.AST.MustacheStatement;
    if (m.params.length === 0 && !m.hash) info.exact = (m.path as hbs.AST.PathExpression).original;
  }
  return info;
}

function parameterName(node: hbs.AST.Expression): string | TemplateProblem {
  if (node.type !== 'PathExpression') {
    if (['StringLiteral', 'BooleanLiteral', 'NumberLiteral'].includes(node.type)) return '';
    return { message: 'a value template reads parameters only (no sub-expressions)', hint: 'write {{parameter}}' };
  }
  const path = node as hbs.AST.PathExpression;
  if (path.data || path.depth > 0 || path.parts.length !== 1 || path.original.startsWith('this')) {
    return { message: `"{{${path.original}}}" is not a parameter name`, hint: 'a value template names parameters of the team pattern: {{name}}' };
  }
  return path.parts[0]!;
}

function walk(program: hbs.AST.Program, info: TemplateInfo): TemplateProblem | undefined {
  for (const statement of program.body) {
    switch (statement.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        break;
      case 'MustacheStatement': {
        const m = statement as hbs.AST.MustacheStatement;
        if (m.params.length || m.hash) return { message: `"{{${(m.path as hbs.AST.PathExpression).original ?? '…'} …}}": a value template calls no helpers`, hint: 'write {{parameter}}' };
        const name = parameterName(m.path);
        if (typeof name !== 'string') return name;
        if (name) info.asText.push(name);
        break;
      }
      case 'BlockStatement': {
        const b = statement as hbs.AST.BlockStatement;
        const helper = (b.path as hbs.AST.PathExpression).original;
        if (!BLOCK_HELPERS.has(helper) || b.params.length !== 1 || b.hash) {
          return { message: `"{{#${helper}}}" is not available in a value template`, hint: 'use {{#if parameter}}…{{else}}…{{/if}} or {{#unless parameter}}…{{/unless}}' };
        }
        const name = parameterName(b.params[0]!);
        if (typeof name !== 'string') return name;
        if (name) info.inConditions.push(name);
        const inner = walk(b.program, info) ?? (b.inverse ? walk(b.inverse, info) : undefined);
        if (inner) return inner;
        break;
      }
      default:
        return { message: `${statement.type.replace('Statement', '').toLowerCase()}s are not available in a value template`, hint: 'write {{parameter}}, or {{#if parameter}}…{{/if}}' };
    }
  }
  return undefined;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders a checked value template over parameter values (absent optional parameters are null). */
export function renderTemplate(text: string, values: Record<string, unknown>): string {
  let template = compiled.get(text);
  if (!template) {
    template = handlebars().compile(text, { strict: true, noEscape: true, knownHelpers: { if: true, unless: true }, knownHelpersOnly: true });
    compiled.set(text, template);
  }
  return template(values);
}
