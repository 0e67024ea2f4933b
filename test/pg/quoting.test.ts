// Quoting proven against each server: its own keyword list and its own quote_ident().
import { describe, expect, it } from 'vitest';
import keywordData from '../../src/sql/keywords.json' with { type: 'json' };
import { connect } from '../../src/harness/db.js';
import { quoteIdent, QUOTED_KEYWORDS } from '../../src/sql/quote.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const servers = useServers();
const keywords = keywordData.keywords as Record<string, string>;
const majors = keywordData.majors as number[];

const HOSTILE = [
  'Sales Team',
  "o'brien",
  'o"brien',
  'données',
  'a$b',
  '$$',
  '$tag$',
  'x; DROP TABLE t; --',
  'a/*b*/c',
  'line\nbreak',
  'tab\there',
  '\u202Eevil',
  'e\u0301',
  '🐘',
  '"',
  '\\',
  ' ',
  'UPPER',
  '1st',
  'é'.repeat(31) + 'a',
];

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it('keywords.json holds exactly this server\'s pg_get_keywords()', async () => {
    const db = await connect(servers.get(major)!, 'postgres');
    try {
      const rows = (await db.query<{ word: string; catcode: string }>('SELECT word, catcode FROM pg_get_keywords()')).rows;
      const column = majors.indexOf(major);
      const fromData = Object.entries(keywords).filter(([, codes]) => codes[column] !== '-').map(([w, codes]) => `${w}:${codes[column]}`).sort();
      expect(rows.map((r) => `${r.word}:${r.catcode}`).sort()).toEqual(fromData);
    } finally {
      await db.end();
    }
  });

  it('quotes every keyword and hostile name at least as quote_ident() does, and never more than another major needs', async () => {
    const db = await connect(servers.get(major)!, 'postgres');
    try {
      const names = [...Object.keys(keywords), ...HOSTILE];
      const rows = (await db.query<{ name: string; quoted: string }>('SELECT n AS name, quote_ident(n) AS quoted FROM unnest($1::text[]) AS n', [names])).rows;
      let compared = 0;
      for (const { name, quoted } of rows) {
        const ours = quoteIdent(name);
        if (ours !== quoted) {
          // Ours may only be stricter, and only for a word another supported major reserves.
          expect(quoted, name).toBe(name);
          expect(ours, name).toBe(`"${name}"`);
          expect(QUOTED_KEYWORDS.has(name), name).toBe(true);
        }
        compared++;
      }
      expect(compared).toBe(names.length);
    } finally {
      await db.end();
    }
  });

  it('every quoted identifier reaches the server as exactly that name', async () => {
    const db = await connect(servers.get(major)!, 'postgres');
    try {
      const names = [...Object.keys(keywords), ...HOSTILE];
      for (let i = 0; i < names.length; i += 500) {
        const chunk = names.slice(i, i + 500);
        const result = await db.query(`SELECT ${chunk.map((n, j) => `${j} AS ${quoteIdent(n)}`).join(', ')}`);
        expect(result.fields.map((f) => f.name)).toEqual(chunk);
      }
    } finally {
      await db.end();
    }
  });

  it('truncates names over 63 bytes, which is why pgrant refuses them', async () => {
    const db = await connect(servers.get(major)!, 'postgres');
    try {
      const long = 'r'.repeat(64);
      const result = await db.query(`SELECT 1 AS ${quoteIdent(long)}`);
      expect(result.fields[0]!.name).toBe('r'.repeat(63));
    } finally {
      await db.end();
    }
  });
});
