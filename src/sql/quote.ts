// Quoting by PostgreSQL's own rules. Every value reaches SQL through one of these functions.
import keywordData from './keywords.json' with { type: 'json' };

/**
 * Words that must be quoted as identifiers: keywords of any category but unreserved, in any supported
 * major (data from each server's pg_get_keywords(); see scripts/generate-keywords.js). Quoting a word that
 * one major would accept bare is harmless; leaving bare a word that another major reserves is not.
 */
export const QUOTED_KEYWORDS: ReadonlySet<string> = new Set(
  Object.entries(keywordData.keywords as Record<string, string>)
    .filter(([, codes]) => /[CTR]/.test(codes))
    .map(([word]) => word),
);

/** PostgreSQL's quote_ident() safe set: a lower-case letter or underscore, then those or digits. */
const SAFE_IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Quotes an identifier as PostgreSQL's quote_ident() would on the strictest supported major. Unlike
 * pg-format's %I, the keyword list is PostgreSQL's own (pg-format's leaves `current_role`, `window`, `none`
 * … bare, so `GRANT … TO current_role` would grant to the session's role).
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('quoteIdent: empty identifier');
  if (name.includes('\0')) throw new Error('quoteIdent: NUL byte in identifier');
  if (SAFE_IDENT.test(name) && !QUOTED_KEYWORDS.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

const LITERAL_SPECIAL = /['\\]/;
const LITERAL_SPECIALS = /['\\]/g;

/**
 * A string literal: quotes doubled; with a backslash, backslashes doubled too and the E'' form, so that it
 * reads back the same whatever standard_conforming_strings is. (What pg-format's %L writes, without its
 * character-by-character concatenation: literals are written for every role of a large plan.)
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('quoteLiteral: NUL byte in literal');
  if (!LITERAL_SPECIAL.test(value)) return `'${value}'`;
  const body = value.replace(LITERAL_SPECIALS, (c) => c + c);
  return value.includes('\\') ? `E'${body}'` : `'${body}'`;
}

export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

const COMMENT_SPECIAL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const COMMENT_SPECIALS = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/**
 * Text safe inside a `--` comment: PostgreSQL and psql end such a comment at a newline or carriage
 * return, so control characters are written as escapes.
 */
export function commentText(value: string): string {
  return COMMENT_SPECIAL.test(value) ? value.replace(COMMENT_SPECIALS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : value;
}
