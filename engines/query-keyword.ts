/**
 * The first keyword of a statement (after comments and opening parentheses), lower-cased: how an
 * engine names the kind of statement it refuses to read, and how the PostgreSQL engine refuses
 * statements that are not queries (COPY, SET, CALL) before sending anything. PostgreSQL's
 * read-only transaction is what stops writes; this check only keeps non-queries out.
 */

import { SqlLexError, significant, tokenize } from '../core/sql/tokenize.ts';

/** The keywords a query for reading may start with. */
export const READ_QUERY_KEYWORDS: ReadonlySet<string> = new Set(['select', 'with', 'values', 'table']);

/** `''` for a text without statements; null when the text cannot be split into tokens. */
export function firstKeyword(sql: string): string | null {
  let tokens: ReturnType<typeof significant>;
  try {
    tokens = significant(tokenize(sql));
  } catch (error) {
    if (error instanceof SqlLexError) return null;
    throw error;
  }
  for (const token of tokens) {
    if (token.type === 'punct' && token.text === '(') continue;
    return token.type === 'word' ? token.text.toLowerCase() : token.text;
  }
  return '';
}
