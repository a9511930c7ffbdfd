/**
 * Splits the SQL that follows a `MODEL (...)` or `AUDIT (...)` block into statements at `;`
 * (strings, quoted identifiers, dollar quotes and comments are single tokens, so a `;` inside them
 * never splits). Each statement's text runs from its first to its last significant token: leading
 * and trailing comments are not part of it, comments inside it are kept as written.
 */

import type { Token } from '../sql/tokenize.ts';

export interface Statement {
  text: string;
  /** 1-based line of the first significant token. */
  line: number;
  /** significant tokens of the statement. */
  tokens: Token[];
}

/** `significantTokens[from, to)` split at `;`; empty statements (`;;`) are skipped. */
export function splitStatements(
  source: string,
  significantTokens: Token[],
  from = 0,
  to = significantTokens.length,
): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  const flush = () => {
    const first = current[0];
    const last = current[current.length - 1];
    if (first && last) {
      statements.push({
        text: source.slice(first.start, last.start + last.text.length),
        line: first.line,
        tokens: current,
      });
    }
    current = [];
  };
  for (let i = from; i < to; i++) {
    const t = significantTokens[i]!;
    if (t.type === 'punct' && t.text === ';') flush();
    else current.push(t);
  }
  flush();
  return statements;
}

const QUERY_START = new Set(['select', 'with', 'from', 'values', 'table', '(']);

/** Does the statement read like a query (`SELECT`, `WITH`, DuckDB's `FROM`-first, `VALUES`, `(`)? */
export function isQuery(statement: Statement): boolean {
  const first = statement.tokens[0];
  return (
    first !== undefined &&
    (first.type === 'word' || first.type === 'punct') &&
    QUERY_START.has(first.text.toLowerCase())
  );
}
