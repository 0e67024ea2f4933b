// Diagnostics: problems found in a user's input, each with a location, a path and a hint.

export type Level = 'error' | 'warning' | 'info';

export interface Location {
  file: string;
  line: number;
  col: number;
}

export interface Diagnostic {
  level: Level;
  /** Where in the input; absent only when no file is involved (e.g. a command-line flag). */
  loc?: Location;
  /** The plan path, e.g. `patterns[0].role`; empty for the document itself. */
  path: string;
  message: string;
  hint?: string;
  /** Lint rule id, for findings from `pgrant lint`. */
  rule?: string;
}

/** Thrown when the user's input is wrong: exit code 1, nothing written. */
export class UserError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[] | Diagnostic | string) {
    const list =
      typeof diagnostics === 'string'
        ? [{ level: 'error' as const, path: '', message: diagnostics }]
        : Array.isArray(diagnostics)
          ? diagnostics
          : [diagnostics];
    super(list.map((d) => formatDiagnostic(d)).join('\n'));
    this.name = 'UserError';
    this.diagnostics = list;
  }
}

const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const CONTROL_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text safe to print: each control character (C0, DEL, C1) as an escape (`\n`, `\x1b`), so that a name
 * from a plan or a server can neither send the terminal an escape sequence nor fake a line of output.
 * `keepNewlines`: for text whose line breaks are pgrant's own (a psql error quoted whole).
 */
export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `file:line:col: path: message` then, indented, the hint. Level is shown for non-errors. */
export function formatDiagnostic(d: Diagnostic, options: { showLevel?: boolean } = {}): string {
  const parts: string[] = [];
  if (d.loc) parts.push(`${printable(d.loc.file)}:${d.loc.line}:${d.loc.col}`);
  if (options.showLevel || d.level !== 'error') parts.push(d.level);
  if (d.path) parts.push(printable(d.path));
  let text = `${parts.join(': ')}${parts.length ? ': ' : ''}${printable(d.message)}`;
  if (d.rule) text += ` (${d.rule})`;
  if (d.hint) text += `\n  hint: ${printable(d.hint)}`;
  return text;
}

/** Collects problems so validation can report all of them at once. */
export class Collector {
  readonly items: Diagnostic[] = [];
  add(d: Diagnostic): void {
    this.items.push(d);
  }
  error(loc: Location | undefined, path: string, message: string, hint?: string): void {
    this.items.push({ level: 'error', loc, path, message, hint });
  }
  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.level === 'error');
  }
  /** Throws a UserError carrying every error collected so far, if any. */
  throwIfErrors(): void {
    const errors = this.errors;
    if (errors.length > 0) throw new UserError(sortDiagnostics(errors));
  }
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      (a.loc?.file ?? '').localeCompare(b.loc?.file ?? '') ||
      (a.loc?.line ?? 0) - (b.loc?.line ?? 0) ||
      (a.loc?.col ?? 0) - (b.loc?.col ?? 0),
  );
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a small distance, as a hint sentence, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? `did you mean "${best}"?` : undefined;
}
