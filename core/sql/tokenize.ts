/**
 * A small SQL lexer shared by the loader (header parsing, dependency discovery), macro rendering and
 * fingerprint normalisation. It knows just enough SQL to tell strings, comments and identifiers apart
 * in every dialect sluice runs (DuckDB and PostgreSQL): it never has to understand a statement.
 */

export type TokenType =
  | 'whitespace'
  | 'comment'
  | 'string'
  | 'quoted_identifier'
  | 'number'
  | 'word'
  | 'macro'
  | 'punct';

export interface Token {
  type: TokenType;
  text: string;
  /** offset of the first character in the source. */
  start: number;
  /** 1-based line of the first character. */
  line: number;
}

export class SqlLexError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'SqlLexError';
  }
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const TWO_CHAR_PUNCT = new Set(['::', '<=', '>=', '<>', '!=', '||', '->', '=>', '**']);

/** Splits SQL text into tokens; the concatenation of all token texts is the input, unchanged. */
export function tokenize(sql: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = firstLine;
  const push = (type: TokenType, end: number) => {
    const text = sql.slice(i, end);
    tokens.push({ type, text, start: i, line });
    for (const ch of text) if (ch === '\n') line++;
    i = end;
  };
  const closeQuoted = (quote: string, from: number, what: string): number => {
    let j = from;
    for (;;) {
      const k = sql.indexOf(quote, j);
      if (k < 0) throw new SqlLexError(`unterminated ${what}`, line, i);
      if (sql[k + 1] === quote) {
        j = k + 2;
        continue;
      }
      return k + 1;
    }
  };

  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('whitespace', j);
    } else if (ch === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl < 0 ? sql.length : nl);
    } else if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlLexError('unterminated /* comment', line, i);
      push('comment', close + 2);
    } else if (ch === "'") {
      push('string', closeQuoted("'", i + 1, 'string literal'));
    } else if ((ch === 'E' || ch === 'e') && next === "'") {
      // PostgreSQL escape string: backslash escapes a quote too.
      let j = i + 2;
      for (;;) {
        if (j >= sql.length) throw new SqlLexError('unterminated string literal', line, i);
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      push('string', j + 1);
    } else if (ch === '$' && /[$A-Za-z_]/.test(next ?? '')) {
      // PostgreSQL dollar quoting: $$...$$ or $tag$...$tag$.
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (!m) {
        push('punct', i + 1);
        continue;
      }
      const close = sql.indexOf(m[0], i + m[0].length);
      if (close < 0) throw new SqlLexError(`unterminated ${m[0]} quoted string`, line, i);
      push('string', close + m[0].length);
    } else if (ch === '"') {
      push('quoted_identifier', closeQuoted('"', i + 1, 'quoted identifier'));
    } else if (ch === '`') {
      push('quoted_identifier', closeQuoted('`', i + 1, 'quoted identifier'));
    } else if (ch === '@') {
      if (next === '{') {
        const close = sql.indexOf('}', i);
        if (close < 0) throw new SqlLexError('unterminated @{...} macro variable', line, i);
        push('macro', close + 1);
      } else {
        let j = i + 1;
        while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
        push(j > i + 1 ? 'macro' : 'punct', j);
      }
    } else if (DIGIT.test(ch) || (ch === '.' && DIGIT.test(next ?? ''))) {
      let j = i + 1;
      while (j < sql.length && /[0-9.eE_]/.test(sql[j]!)) {
        if ((sql[j] === 'e' || sql[j] === 'E') && /[+-]/.test(sql[j + 1] ?? '')) j++;
        j++;
      }
      push('number', j);
    } else if (WORD_START.test(ch)) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
      push('word', j);
    } else if (TWO_CHAR_PUNCT.has(ch + (next ?? ''))) {
      push('punct', i + 2);
    } else {
      push('punct', i + 1);
    }
  }
  return tokens;
}

/** Tokens that carry meaning: no whitespace, no comments. */
export function significant(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.type !== 'whitespace' && t.type !== 'comment');
}

/** The name a macro token refers to: `@start_ds` and `@{start_ds}` both give `start_ds`. */
export function macroName(token: Token): string {
  return token.text.startsWith('@{') ? token.text.slice(2, -1).trim() : token.text.slice(1);
}

/** An identifier's value: unquoted words are lower-cased (as SQLMesh normalises), quoted ones kept. */
export function identifierValue(token: Token): string {
  if (token.type === 'quoted_identifier') {
    const q = token.text[0]!;
    return token.text.slice(1, -1).replaceAll(q + q, q);
  }
  return token.text.toLowerCase();
}
