import { describe, expect, it } from 'vitest';
import { formatCsv } from '../../cli/csv.ts';

describe('formatCsv (RFC 4180)', () => {
  it('ends records with CRLF, quotes fields that need it and doubles quotes inside', () => {
    expect(
      formatCsv(
        ['id', 'note', 'tags'],
        [
          [1, 'plain', null],
          [2, 'a, "quoted"\nline', ['x', 'y']],
        ],
      ),
    ).toBe('id,note,tags\r\n1,plain,\r\n2,"a, ""quoted""\nline","[""x"",""y""]"\r\n');
  });

  it('writes the header alone for no rows', () => {
    expect(formatCsv(['n'], [])).toBe('n\r\n');
  });
});
