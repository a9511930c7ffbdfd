import { describe, expect, it } from 'vitest';
import type { Value } from '../../../core/project/header.ts';
import { HeaderSyntaxError, parseBlock, stringValue, tokensText } from '../../../core/project/header.ts';
import { significant, tokenize } from '../../../core/sql/tokenize.ts';

function parse(sql: string) {
  return parseBlock(significant(tokenize(sql)), 0);
}

function shape(value: Value): unknown {
  return value.terms.map((t) => (t.type === 'group' ? { [t.open]: t.items.map(shape) } : t.token.text));
}

function syntaxError(sql: string): { message: string; line: number } {
  try {
    parse(sql);
  } catch (error) {
    if (error instanceof HeaderSyntaxError) return { message: error.message, line: error.line };
    throw error;
  }
  throw new Error('expected a syntax error');
}

const SOURCE = `model (
  NAME s.orders, -- a comment
  Kind INCREMENTAL_BY_TIME_RANGE (time_column (ds, '%Y-%m-%d'), batch_size 7),
  /* comment */ columns (id INT, total DECIMAL(10, 2), at TIMESTAMP WITH TIME ZONE),
  tags [a, 'b'],
  audits (not_null(columns := (id))),
);
SELECT 1`;

describe('parseBlock', () => {
  it('reads properties, nested lists and their lines, case-insensitively', () => {
    const block = parse(SOURCE);
    expect(block.keyword).toBe('MODEL');
    expect(block.properties.map((p) => [p.key, p.line])).toEqual([
      ['name', 2],
      ['kind', 3],
      ['columns', 4],
      ['tags', 5],
      ['audits', 6],
    ]);
    const [name, kind, columns, tags, audits] = block.properties.map((p) => shape(p.value));
    expect(name).toEqual(['s', '.', 'orders']);
    expect(kind).toEqual([
      'INCREMENTAL_BY_TIME_RANGE',
      {
        '(': [
          ['time_column', { '(': [['ds'], ["'%Y-%m-%d'"]] }],
          ['batch_size', '7'],
        ],
      },
    ]);
    expect(columns).toEqual([
      {
        '(': [
          ['id', 'INT'],
          ['total', 'DECIMAL', { '(': [['10'], ['2']] }],
          ['at', 'TIMESTAMP', 'WITH', 'TIME', 'ZONE'],
        ],
      },
    ]);
    expect(tags).toEqual([{ '[': [['a'], ["'b'"]] }]);
    expect(audits).toEqual([{ '(': [['not_null', { '(': [['columns', ':', '=', { '(': [['id']] }]] }]] }]);
    // The block ends after its semicolon: the next token is the query.
    const tokens = significant(tokenize(SOURCE));
    expect(tokens[block.end]?.text).toBe('SELECT');
  });

  it('accepts a block without a final semicolon at the end of the file', () => {
    expect(parse('MODEL (name s.seed)').properties).toHaveLength(1);
  });

  it('reports a parenthesis that is never closed, with the line it was opened on', () => {
    expect(syntaxError('MODEL (\n  name s.a,\n  columns (id INT,\n);\nSELECT 1')).toEqual({
      message: "unbalanced parentheses in the MODEL block: '(' opened on line 1 is never closed",
      line: 1,
    });
  });

  it('reports mismatched brackets', () => {
    expect(syntaxError('MODEL (\n  name s.a,\n  tags [a, b),\n);')).toEqual({
      message: "unbalanced parentheses in the MODEL block: ')' does not close the '[' opened on line 3",
      line: 3,
    });
  });

  it('reports an extra closing parenthesis', () => {
    expect(syntaxError('AUDIT (name x));\nSELECT 1')).toEqual({
      message:
        "unbalanced parentheses in the AUDIT block: extra ')' after the block (opened on line 1) was closed",
      line: 1,
    });
  });

  it('reports a property without a value', () => {
    expect(syntaxError('MODEL (\n  name s.a,\n  cron\n);')).toEqual({
      message: 'property cron has no value',
      line: 3,
    });
  });

  it('reports an empty property', () => {
    expect(syntaxError('MODEL (\n  name s.a,,\n  kind FULL\n);')).toEqual({
      message: "expected a property name in the MODEL block, found ','",
      line: 2,
    });
  });

  it('reports an empty list item', () => {
    expect(syntaxError('MODEL (\n  name s.a,\n  tags (a,\n    , b)\n);')).toEqual({
      message: 'empty item in the list opened on line 3',
      line: 4,
    });
  });

  it('requires a semicolon between the block and the query', () => {
    expect(syntaxError('MODEL (name s.a)\nSELECT 1')).toEqual({
      message: "expected ';' after the MODEL block, found 'SELECT'",
      line: 2,
    });
  });

  it('rejects a property name that is not a name', () => {
    expect(syntaxError("MODEL (\n  'name' s.a\n);")).toEqual({
      message: "expected a property name in the MODEL block, found ''name''",
      line: 2,
    });
  });
});

describe('tokensText', () => {
  it('joins tokens with one space where the source had whitespace or comments', () => {
    const tokens = significant(tokenize('DECIMAL(10,   2) /* c */ NOT  NULL'));
    expect(tokensText(tokens)).toBe('DECIMAL(10, 2) NOT NULL');
  });
});

describe('stringValue', () => {
  it('unquotes standard, escape and dollar-quoted strings', () => {
    const [plain, escaped, dollar] = significant(tokenize("'it''s' E'a\\'b\\n' $tag$x'y$tag$"));
    expect(stringValue(plain!)).toBe("it's");
    expect(stringValue(escaped!)).toBe("a'b\n");
    expect(stringValue(dollar!)).toBe("x'y");
  });
});
