#!/usr/bin/env node
// Regenerates src/sql/keywords.json from the servers themselves: SELECT word, catcode FROM pg_get_keywords()
// on every supported major. Run after adding a major: `npm run build && node scripts/generate-keywords.js`.
import { writeFile } from 'node:fs/promises';
import { SUPPORTED_MAJORS, startServer } from '../dist/harness/server.js';
import { runPsql } from '../dist/harness/psql.js';

const words = new Map();
const versions = {};
for (const [i, major] of SUPPORTED_MAJORS.entries()) {
  const server = await startServer(major);
  try {
    const result = await runPsql(server, {
      database: 'postgres',
      tuplesOnly: true,
      command: "SELECT json_build_object('version', current_setting('server_version'), 'words', (SELECT json_object_agg(word, catcode) FROM pg_get_keywords()))",
    });
    if (result.code !== 0) throw new Error(result.stderr);
    const { version, words: catcodes } = JSON.parse(result.stdout);
    versions[major] = version;
    for (const [word, catcode] of Object.entries(catcodes)) {
      if (!words.has(word)) words.set(word, Array(SUPPORTED_MAJORS.length).fill('-'));
      words.get(word)[i] = catcode;
    }
  } finally {
    await server.stop();
  }
}
const keywords = Object.fromEntries([...words.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([w, c]) => [w, c.join('')]));
const data = {
  source: 'SELECT word, catcode FROM pg_get_keywords() on each server; scripts/generate-keywords.js',
  legend: 'one letter per major in "majors" order: U unreserved, C column name, T type or function name, R reserved, - not a keyword',
  majors: SUPPORTED_MAJORS,
  versions,
  keywords,
};
await writeFile(new URL('../src/sql/keywords.json', import.meta.url), JSON.stringify(data, null, 1) + '\n');
console.log(`wrote ${words.size} keywords from PostgreSQL ${Object.values(versions).join(', ')}`);
