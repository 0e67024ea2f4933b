// Row-level security expressions are the one place where plan text reaches SQL unquoted: each must be
// exactly one expression that psql and the server read the same way whatever the database's settings.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkExpression, loadSqlParser } from '../../src/sql/expression.js';

beforeAll(() => loadSqlParser());

describe('checkExpression', () => {
  it('accepts one expression, with standard and E-strings', () => {
    expect(checkExpression('owner = current_user')).toBeUndefined();
    expect(checkExpression("status IN ('open', 'it''s')")).toBeUndefined();
    expect(checkExpression("path LIKE E'C:\\\\%'")).toBeUndefined();
  });

  it('refuses statements, comments, psql variables and meta-commands', () => {
    expect(checkExpression('true); DROP TABLE orders; --')).toMatch(/";"|parenthesis|comment/);
    expect(checkExpression('true /* hidden */')).toMatch(/comment/);
    expect(checkExpression('user_id = :uid')).toMatch(/variable/);
  });

  // With standard_conforming_strings off, psql reads 'a\' as an unfinished string and the text after the
  // second quote as a meta-command: \! runs a shell command.
  it('refuses a backslash in a standard string, whose meaning depends on standard_conforming_strings', () => {
    expect(checkExpression("owner = 'a\\' OR owner = ' \\! touch /tmp/x #'")).toMatch(/backslash in a string .*standard_conforming_strings.*E'…'/);
    expect(checkExpression("owner = 'a\\b'")).toMatch(/backslash in a string/);
  });
});
