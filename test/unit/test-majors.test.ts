// PGRANT_TEST_MAJORS narrows the server tests; a value that names no supported major is an error.
import { describe, expect, it } from 'vitest';
import { parseTestMajors } from '../support/servers.js';

describe('PGRANT_TEST_MAJORS', () => {
  it('defaults to every supported major, and accepts a list', () => {
    expect(parseTestMajors(undefined)).toEqual([14, 15, 16, 17, 18]);
    expect(parseTestMajors('all')).toEqual([14, 15, 16, 17, 18]);
    expect(parseTestMajors('18, 14')).toEqual([14, 18]);
  });

  it.each(['', '19', '17,19', 'seventeen', '17,', '16.5'])('refuses %j', (value) => {
    expect(() => parseTestMajors(value)).toThrow(/^PGRANT_TEST_MAJORS=.* is not a supported major \(14, 15, 16, 17, 18/);
  });
});
