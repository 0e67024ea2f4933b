// Checked template AST → JavaScript that builds the text directly. Handlebars' own runtime looks every
// value up through guarded accessors and hands each helper an options object with source locations;
// on a large plan that is most of the rendering time and much of the garbage. The templates stay
// Handlebars (parsed by Handlebars, whitespace control included, and checked for escaping by
// engine.ts first); this compiles the small subset they use, and refuses the rest at build time.
// test/precompiled.test.ts renders every golden case and example with Handlebars itself and with this,
// and expects the same bytes.
import { TemplateError } from './template-error.js';

type AST = hbs.AST.Node;

/** What the generated code calls: see template-runtime.ts, which provides it. */
export interface CodegenNames {
  /** Helpers that emit a value (escaping). */
  helpers: ReadonlySet<string>;
  /** Block helpers such as {{#do}}: the block is written to an output of its own, which the helper is given. */
  blockHelpers: ReadonlySet<string>;
}

/** Where the code for one program is generated: its contexts (innermost last), loop frame and output. */
interface Scope {
  contexts: string[];
  /** The innermost {{#each}}'s index and length variables, for @index, @first, @last. */
  frame: { index: string; length: string } | null;
  out: string;
}

/**
 * The body of a function `(rt) => (context, root, out) => void` for one template, which writes its text
 * to `out`: `rt` provides the helpers, block helpers, partials and outputs (template-runtime.ts). `file`
 * names the template in errors.
 */
export function generateTemplate(file: string, ast: hbs.AST.Program, names: CodegenNames): string {
  let counter = 0;
  const fresh = (base: string): string => `${base}${++counter}`;
  const bound = new Map<string, string>();
  const bind = (kind: 'helper' | 'block' | 'partial', name: string): string => {
    const key = `${kind}:${name}`;
    let v = bound.get(key);
    if (!v) bound.set(key, (v = `${kind[0]}${bound.size}`));
    return v;
  };
  const fail = (node: AST, message: string): never => {
    throw new TemplateError(file, node.loc.start.line, node.loc.start.column + 1, message);
  };

  const expression = (node: hbs.AST.Expression, scope: Scope): string => {
    switch (node.type) {
      case 'StringLiteral':
        return JSON.stringify((node as hbs.AST.StringLiteral).value);
      case 'NumberLiteral':
        return String((node as hbs.AST.NumberLiteral).value);
      case 'BooleanLiteral':
        return String((node as hbs.AST.BooleanLiteral).value);
      case 'NullLiteral':
        return 'null';
      case 'UndefinedLiteral':
        return 'undefined';
      case 'PathExpression':
        return path(node as hbs.AST.PathExpression, scope);
      default:
        return fail(node, `${node.type} is not supported in pgrant templates`);
    }
  };

  const path = (p: hbs.AST.PathExpression, scope: Scope): string => {
    const parts = p.parts as string[];
    let base: string;
    let rest = parts;
    if (p.data) {
      if (p.depth > 0) fail(p, `@../ is not supported in pgrant templates`);
      const [head, ...tail] = parts;
      rest = tail;
      if (head === 'root') base = 'root';
      else {
        if (!scope.frame) fail(p, `@${head} outside {{#each}}`);
        const f = scope.frame!;
        if (tail.length) fail(p, `@${head} has no fields`);
        if (head === 'index' || head === 'key') base = f.index;
        else if (head === 'first') base = `(${f.index} === 0)`;
        else if (head === 'last') base = `(${f.index} === ${f.length} - 1)`;
        else return fail(p, `@${head} is not supported in pgrant templates`);
      }
    } else {
      const at = scope.contexts.length - 1 - p.depth;
      if (at < 0) fail(p, `${p.original} reaches above this template's own contexts (a partial sees only its own)`);
      base = scope.contexts[at]!;
    }
    // Plain property reads: the view is plain data, built for the templates (render/view.ts).
    return rest.reduce((acc, part) => `${acc}[${JSON.stringify(part)}]`, base);
  };

  const onlyParam = (b: hbs.AST.BlockStatement, name: string): hbs.AST.Expression => {
    if (b.params.length !== 1) fail(b, `#${name} takes exactly one value`);
    if (b.hash?.pairs.length) fail(b, `#${name} takes no hash arguments in pgrant templates`);
    if (b.program?.blockParams?.length) fail(b, `block parameters (as |x|) are not supported in pgrant templates`);
    return b.params[0]!;
  };

  const program = (node: hbs.AST.Program | undefined | null, scope: Scope): string => (node ? node.body.map((s) => statement(s, scope)).join('') : '');

  const statement = (node: hbs.AST.Statement, scope: Scope): string => {
    switch (node.type) {
      case 'ContentStatement': {
        const text = (node as hbs.AST.ContentStatement).value;
        return text ? `${scope.out}.write(${JSON.stringify(text)});\n` : '';
      }
      case 'CommentStatement':
        return '';
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        const name = (m.path as hbs.AST.PathExpression).original;
        if (!names.helpers.has(name)) fail(m, `unknown helper "${name}"`);
        if (m.hash?.pairs.length) fail(m, `helpers take no hash arguments in pgrant templates`);
        return `${scope.out}.write(${bind('helper', name)}(${m.params.map((x) => expression(x, scope)).join(', ')}));\n`;
      }
      case 'BlockStatement':
        return block(node as hbs.AST.BlockStatement, scope);
      case 'PartialStatement': {
        const p = node as hbs.AST.PartialStatement;
        const name = (p.name as hbs.AST.PathExpression).original;
        if (p.params.length > 1) fail(p, `a partial takes at most one context`);
        let context = p.params.length ? expression(p.params[0]!, scope) : scope.contexts.at(-1)!;
        const pairs = p.hash?.pairs ?? [];
        // Handlebars gives the partial a copy of its context with the hash's values added.
        if (pairs.length) context = `{ ...${context}, ${pairs.map((pair) => `${JSON.stringify(pair.key)}: ${expression(pair.value, scope)}`).join(', ')} }`;
        // A partial alone on its line keeps the line's indent as text once (Handlebars' preventIndent).
        const indent = (p as { indent?: string }).indent ? `${scope.out}.write(${JSON.stringify((p as { indent?: string }).indent)});\n` : '';
        return `${indent}${bind('partial', name)}()(${context}, root, ${scope.out});\n`;
      }
      default:
        return fail(node, `${node.type} is not allowed in pgrant templates`);
    }
  };

  const block = (b: hbs.AST.BlockStatement, scope: Scope): string => {
    const name = (b.path as hbs.AST.PathExpression).original;
    switch (name) {
      case 'if':
      case 'unless': {
        const test = `truthy(${expression(onlyParam(b, name), scope)})`;
        return `if (${name === 'if' ? test : `!${test}`}) {\n${program(b.program, scope)}}${b.inverse ? ` else {\n${program(b.inverse, scope)}}` : ''}\n`;
      }
      case 'with': {
        const value = fresh('w');
        const context = fresh('c');
        return (
          `{ const ${value} = ${expression(onlyParam(b, name), scope)};\n` +
          `if (!isEmpty(${value})) { const ${context} = ${value};\n${program(b.program, { ...scope, contexts: [...scope.contexts, context] })}}` +
          `${b.inverse ? ` else {\n${program(b.inverse, scope)}}` : ''} }\n`
        );
      }
      case 'each': {
        const list = fresh('l');
        const index = fresh('i');
        const length = fresh('n');
        const context = fresh('c');
        const inner: Scope = { ...scope, contexts: [...scope.contexts, context], frame: { index, length } };
        return (
          `{ const ${list} = eachList(${expression(onlyParam(b, name), scope)});\n` +
          `if (${list}.length) for (let ${index} = 0, ${length} = ${list}.length; ${index} < ${length}; ${index}++) {\n` +
          `const ${context} = ${list}[${index}];\n${program(b.program, inner)}}` +
          `${b.inverse ? ` else {\n${program(b.inverse, scope)}}` : ''} }\n`
        );
      }
      default: {
        if (!names.blockHelpers.has(name)) fail(b, `unknown block helper "${name}"`);
        if (b.params.length || b.hash?.pairs.length) fail(b, `{{#${name}}} takes no arguments`);
        if (b.inverse) fail(b, `{{#${name}}} has no {{else}}`);
        // The block is rendered in the same context, into an output the helper then writes from.
        const body = fresh('s');
        return `{ const ${body} = output();\n${program(b.program, { ...scope, out: body })}${bind('block', name)}(${body}, ${scope.out}); }\n`;
      }
    }
  };

  const body = program(ast, { contexts: ['c0'], frame: null, out: 'out' });
  const bindings = [...bound].map(([key, v]) => {
    const [kind, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const q = JSON.stringify(name);
    if (kind === 'partial') return `const ${v} = () => rt.partial(${q});`;
    return `const ${v} = rt.${kind === 'helper' ? 'helper' : 'blockHelper'}(${q});`;
  });
  return [
    '"use strict";',
    'const { truthy, isEmpty, eachList, output } = rt;',
    ...bindings,
    'return function (c0, root, out) {',
    body + '};',
  ].join('\n');
}
