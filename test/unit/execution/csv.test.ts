import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../../core/execution/csv.ts';

describe('parseCsv', () => {
  it('reads a header and rows', () => {
    expect(parseCsv('id,name\n1,Ada\n2,Grace\n')).toEqual({
      header: ['id', 'name'],
      rows: [
        ['1', 'Ada'],
        ['2', 'Grace'],
      ],
      lines: [2, 3],
    });
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const table = parseCsv('a,b\n"x, y","say ""hi"""\n"multi\nline",z\r\nlast,"q"\n');
    expect(table.rows).toEqual([
      ['x, y', 'say "hi"'],
      ['multi\nline', 'z'],
      ['last', 'q'],
    ]);
    expect(table.lines).toEqual([2, 3, 5]);
  });

  it('reads pandas default missing-value markers as NULL, quoted or not', () => {
    const table = parseCsv('a,b,c,d,e,f\n,NULL,NA,"",nan,None\nn/a,null,NaN,#N/A,<NA>,ok\n');
    expect(table.rows).toEqual([
      [null, null, null, null, null, null],
      [null, null, null, null, null, 'ok'],
    ]);
  });

  it('keeps whitespace and text that only looks missing', () => {
    expect(parseCsv('a,b,c\n x ,None2, \n').rows).toEqual([[' x ', 'None2', ' ']]);
  });

  it('skips blank lines, pads short rows, strips a byte-order mark', () => {
    const table = parseCsv('\uFEFFa,b,c\n\n1,2,3\n\n4\n');
    expect(table.header).toEqual(['a', 'b', 'c']);
    expect(table.rows).toEqual([
      ['1', '2', '3'],
      ['4', null, null],
    ]);
    expect(table.lines).toEqual([3, 5]);
  });

  it('handles a file without a trailing newline and classic Mac line ends', () => {
    expect(parseCsv('a\r1\r2').rows).toEqual([['1'], ['2']]);
  });

  it('rejects rows with more fields than the header, naming the line', () => {
    expect(() => parseCsv('a,b\n1,2\n3,4,5\n')).toThrow(CsvError);
    try {
      parseCsv('a,b\n1,2\n3,4,5\n');
    } catch (error) {
      expect((error as CsvError).line).toBe(3);
      expect((error as CsvError).message).toBe('row has 3 fields but the header has 2 columns');
    }
  });

  it('rejects an unterminated quote and an empty file', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow('a quoted field is never closed');
    expect(() => parseCsv('\n\n')).toThrow('the CSV file has no header row');
  });
});
