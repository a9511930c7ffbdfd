/**
 * Whether one transaction entry holds more than one SQL statement. Engines report a row count only
 * for single-statement entries: for several, the drivers disagree on which statement's count they
 * give (postgres.js keeps the first command's, DuckDB the last one's).
 */

import { significant, tokenize } from '../core/sql/tokenize.ts';

export function holdsSeveralStatements(sql: string): boolean {
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = significant(tokenize(sql));
  } catch {
    // text the lexer cannot read is left to the warehouse to judge
    return false;
  }
  let statements = 0;
  let open = false;
  for (const token of tokens) {
    if (token.type === 'punct' && token.text === ';') {
      if (open) statements++;
      open = false;
    } else {
      open = true;
    }
  }
  if (open) statements++;
  return statements > 1;
}
