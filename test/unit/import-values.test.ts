// How import names its plan and writes references: expectations written by hand.
import { describe, expect, it } from 'vitest';
import { planName } from '../../src/import/import.js';
import { commentValue, functionRef, roleAttributes, tableRef } from '../../src/import/values.js';

const role = { name: 'r', login: false, superuser: false, createdb: false, createrole: false, inherit: true, replication: false, bypassrls: false, connection_limit: -1, valid_until: null, comment: null, settings: null, settings_all_databases: null };

describe('import values', () => {
  it('names the plan after the output file, else the database as a folder name', () => {
    expect(planName('plans/app.yaml', 'x')).toBe('app');
    expect(planName(undefined, 'Odd DB')).toBe('Odd_DB');
    expect(planName(undefined, 'données')).toBe('donn_es');
    expect(planName('.yaml', '...')).toBe('imported');
  });

  it('writes only attributes that differ from CREATE ROLE (LOGIN relative to the pattern)', () => {
    expect(roleAttributes(role, { login: false })).toEqual({});
    expect(roleAttributes({ ...role, login: true, inherit: false, connection_limit: 3, valid_until: 'infinity' }, { login: true })).toEqual({ inherit: false, connection_limit: 3 });
    expect(roleAttributes({ ...role, superuser: true, valid_until: '2031-01-01T00:00:00+00:00' }, { login: false })).toEqual({ superuser: true, allow_superuser: true, valid_until: '2031-01-01T00:00:00+00:00' });
  });

  it('keeps a role without a comment without one, and leaves out deploy.sql\'s own', () => {
    expect(commentValue(null, 'app')).toBe('');
    expect(commentValue('Managed by pgrant (plan app)', 'app')).toBeUndefined();
    expect(commentValue('Managed by pgrant (plan other)', 'app')).toBe('Managed by pgrant (plan other)');
  });

  it('writes references as strings where they read back, else as mappings', () => {
    expect(tableRef('public', 'users')).toBe('public.users');
    expect(tableRef('a.b', 'c')).toEqual({ schema: 'a.b', name: 'c' });
    expect(functionRef('public', 'f', 'integer, text')).toBe('public.f(integer, text)');
    expect(functionRef('public', 'f', '')).toBe('public.f()');
    expect(functionRef('s', 'f(x)', '"s"."My, Type", numeric')).toEqual({ schema: 's', name: 'f(x)', args: ['"s"."My, Type"', 'numeric'] });
  });
});
