/**
 * Splits a model file (`models/**\/*.sql`) into its `MODEL (...)` header and the statements after
 * it, reporting what sluice cannot read: lexing errors, Jinja, a missing or malformed header, and
 * macros in the header.
 */

import type { Token } from '../sql/tokenize.ts';
import { macroName, SqlLexError, significant, tokenize } from '../sql/tokenize.ts';
import type { Block } from './header.ts';
import { HeaderSyntaxError, isBlockStart, parseBlock } from './header.ts';
import type { Issues } from './issues.ts';
import { findJinja } from './jinja.ts';
import type { Statement } from './statements.ts';
import { splitStatements } from './statements.ts';

export interface ModelFile {
  header: Block;
  statements: Statement[];
}

/** Tokenizes a SQL file; reports Jinja or a lexing error and returns undefined when it cannot be read. */
export function tokenizeSqlFile(file: string, source: string, issues: Issues): Token[] | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (error) {
    if (!(error instanceof SqlLexError)) throw error;
    const jinja = findJinja(source, undefined);
    if (jinja !== undefined) issues.error(file, jinja, 'Jinja is not supported by sluice');
    else issues.error(file, error.line, error.message);
    return undefined;
  }
  const jinja = findJinja(source, tokens);
  if (jinja !== undefined) {
    issues.error(file, jinja, 'Jinja is not supported by sluice');
    return undefined;
  }
  return significant(tokens);
}

/** Every macro token in `tokens` reported as unsupported (header values cannot use macros). */
export function reportHeaderMacros(file: string, tokens: Token[], issues: Issues): void {
  for (const t of tokens) {
    if (t.type === 'macro')
      issues.error(file, t.line, `macro @${macroName(t)} is not supported by sluice`, t.text);
  }
}

export function readModelFile(file: string, source: string, issues: Issues): ModelFile | undefined {
  const tokens = tokenizeSqlFile(file, source, issues);
  if (!tokens) return undefined;
  if (!isBlockStart(tokens, 0, 'MODEL')) {
    const first = tokens[0];
    issues.error(
      file,
      first?.line ?? 1,
      'a model file must start with a MODEL (...) block',
      first ? first.text : undefined,
    );
    return undefined;
  }
  let header: Block;
  try {
    header = parseBlock(tokens, 0);
  } catch (error) {
    if (!(error instanceof HeaderSyntaxError)) throw error;
    issues.error(file, error.line, error.message, error.text);
    return undefined;
  }
  // `cron @daily` is a cron written without quotes, not a macro: model.ts says so.
  const cronTokens = new Set(
    header.properties.filter((p) => p.key === 'cron').flatMap((p) => p.value.tokens),
  );
  reportHeaderMacros(
    file,
    tokens.slice(0, header.end).filter((t) => !cronTokens.has(t)),
    issues,
  );
  return { header, statements: splitStatements(source, tokens, header.end) };
}
