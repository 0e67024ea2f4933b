import pgFormat from 'pg-format';
import { describe, expect, it } from 'vitest';
import { commentText, quoteIdent, quoteLiteral, QUOTED_KEYWORDS } from '../../src/sql/quote.js';
import { checkName, MAX_NAME_BYTES, truncatedName } from '../../src/sql/names.js';
import { dollarQuote, markdownText } from '../../src/render/helpers.js';

describe('quoteIdent', () => {
  it('leaves plain lower-case names bare', () => {
    expect(quoteIdent('streamflow_app')).toBe('streamflow_app');
    expect(quoteIdent('_x9')).toBe('_x9');
  });

  it('quotes reserved words that pg-format %I leaves bare', () => {
    for (const word of ['current_role', 'window', 'none', 'user', 'all', 'select', 'current_user', 'session_user']) {
      expect(quoteIdent(word)).toBe(`"${word}"`);
    }
    // The reason pgrant does not use %I: it would grant to the session's own role.
    expect(pgFormat.ident('current_role')).toBe('current_role');
  });

  it('leaves unreserved keywords bare, as quote_ident() does', () => {
    expect(QUOTED_KEYWORDS.has('abort')).toBe(false);
    expect(quoteIdent('abort')).toBe('abort');
  });

  it('quotes upper case, digits first, dollar signs, spaces, quotes and unicode', () => {
    expect(quoteIdent('Sales Team')).toBe('"Sales Team"');
    expect(quoteIdent('1st')).toBe('"1st"');
    expect(quoteIdent('a$b')).toBe('"a$b"');
    expect(quoteIdent('o"brien')).toBe('"o""brien"');
    expect(quoteIdent("o'brien")).toBe(`"o'brien"`);
    expect(quoteIdent('données')).toBe('"données"');
  });

  it('refuses empty names and NUL bytes', () => {
    expect(() => quoteIdent('')).toThrow(/empty/);
    expect(() => quoteIdent('a\0b')).toThrow(/NUL/);
  });
});

describe('quoteLiteral', () => {
  it('doubles quotes and uses E-strings for backslashes', () => {
    expect(quoteLiteral("o'brien")).toBe("'o''brien'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
  });

  it("writes what pg-format's %L writes, for quotes, backslashes, both, and other characters", () => {
    for (const v of ['', 'plain', "o'brien", "''", 'a\\b', "\\'", "it's a\\path", 'données', '😀\'\\', '$pgrant$', '\n\t', 'E\'x\'']) {
      expect(quoteLiteral(v), JSON.stringify(v)).toBe(pgFormat.literal(v));
    }
  });
});

describe('checkName', () => {
  it('accepts 63 bytes and refuses 64, counting UTF-8 bytes', () => {
    expect(checkName('a'.repeat(63), 'role')).toBeUndefined();
    expect(checkName('a'.repeat(64), 'role')?.message).toMatch(/64 bytes long; PostgreSQL keeps 63 bytes and would silently truncate it/);
    // 31 two-byte characters = 62 bytes + 'a' = 63; one more 'é' makes 65.
    expect(checkName('é'.repeat(31) + 'a', 'role')).toBeUndefined();
    expect(checkName('é'.repeat(32) + 'a', 'role')?.message).toMatch(/65 bytes/);
    expect(Buffer.byteLength(truncatedName('é'.repeat(40)))).toBeLessThanOrEqual(MAX_NAME_BYTES);
  });

  it('refuses empty names and NUL', () => {
    expect(checkName('', 'role')?.message).toBe('name is empty');
    expect(checkName('a\0', 'role')?.message).toMatch(/NUL/);
  });

  it('refuses to create roles PostgreSQL reserves, but lets them be referenced', () => {
    expect(checkName('public', 'create-role')?.message).toMatch(/reserves it/);
    expect(checkName('none', 'create-role')?.message).toMatch(/reserves it/);
    expect(checkName('pg_admin', 'create-role')?.message).toMatch(/prefix "pg_"/);
    expect(checkName('pg_read_all_data', 'role')).toBeUndefined();
    expect(checkName('current_role', 'create-role')).toBeUndefined();
  });
});

describe('text in comments and Markdown', () => {
  it('cannot end a -- comment', () => {
    const text = commentText('a\nDROP TABLE x; --\r');
    expect(text).not.toMatch(/[\n\r]/);
    expect(text).toBe('a\\u000aDROP TABLE x; --\\u000d');
  });

  it('cannot open markup or close a table cell', () => {
    expect(markdownText('a|b<script>`x`')).toBe('a\\|b\\<script\\>\\`x\\`');
  });
});

describe('dollarQuote', () => {
  it('picks a tag the body does not contain', () => {
    expect(dollarQuote('BEGIN END')).toBe('$pgrant$\nBEGIN END\n$pgrant$');
    const body = "SELECT '$pgrant$', '$pgrant_1$'";
    const quoted = dollarQuote(body);
    expect(quoted.startsWith('$pgrant_2$\n')).toBe(true);
    expect(quoted.endsWith('\n$pgrant_2$')).toBe(true);
  });
});
