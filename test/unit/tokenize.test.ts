import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifierValue, macroName, SqlLexError, significant, tokenize } from '../../core/sql/tokenize.ts';

const kinds = (sql: string) => significant(tokenize(sql)).map((t) => `${t.type}:${t.text}`);

describe('tokenize', () => {
  it('keeps strings, comments and quoted identifiers whole', () => {
    expect(kinds(`SELECT 'it''s -- not a comment', "My ""Col"" " FROM a.b -- trailing\n/* block */`)).toEqual(
      [
        'word:SELECT',
        "string:'it''s -- not a comment'",
        'punct:,',
        'quoted_identifier:"My ""Col"" "',
        'word:FROM',
        'word:a',
        'punct:.',
        'word:b',
      ],
    );
  });

  it('reads PostgreSQL escape and dollar-quoted strings', () => {
    expect(kinds(`SELECT E'a\\'b', $$x ' y$$, $fn$ @start_ds $fn$`)).toEqual([
      'word:SELECT',
      "string:E'a\\'b'",
      'punct:,',
      "string:$$x ' y$$",
      'punct:,',
      'string:$fn$ @start_ds $fn$',
    ]);
  });

  it('reads macro variables in both forms and casts as one token', () => {
    const tokens = significant(tokenize('WHERE d BETWEEN @start_ds AND @{end_ds} AND x::int > 1.5e3'));
    expect(tokens.filter((t) => t.type === 'macro').map(macroName)).toEqual(['start_ds', 'end_ds']);
    expect(tokens.map((t) => t.text)).toContain('::');
    expect(tokens.find((t) => t.type === 'number')?.text).toBe('1.5e3');
  });

  it('counts lines from the given first line', () => {
    const tokens = significant(tokenize("a\n\n'x\ny'\nb", 10));
    expect(tokens.map((t) => [t.text, t.line])).toEqual([
      ['a', 10],
      ["'x\ny'", 12],
      ['b', 14],
    ]);
  });

  it('lower-cases unquoted identifiers only', () => {
    const [a, b] = significant(tokenize('Orders "Orders"'));
    expect(identifierValue(a!)).toBe('orders');
    expect(identifierValue(b!)).toBe('Orders');
  });

  it('names the line of an unterminated string or comment', () => {
    expect(() => tokenize("select 1\nwhere x = 'open")).toThrow(SqlLexError);
    expect(() => tokenize("select 1\nwhere x = 'open")).toThrow('unterminated string literal');
    try {
      tokenize('select 1\n\n/* never closed');
    } catch (err) {
      expect((err as SqlLexError).line).toBe(3);
    }
    expect.assertions(3);
  });

  it('loses no character of any input it accepts', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...`ab_1 .,()'"-*/@{}$\n\tE:`.split('')) }), (sql) => {
        let tokens: ReturnType<typeof tokenize>;
        try {
          tokens = tokenize(sql);
        } catch (err) {
          return err instanceof SqlLexError;
        }
        return tokens.map((t) => t.text).join('') === sql;
      }),
      { numRuns: 2000 },
    );
  });
});
