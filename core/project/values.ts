/**
 * Readers for header property values (see header.ts): each one checks the value has the expected
 * shape and throws `ValueError` with the line and offending text when it does not.
 */

import type { Token } from '../sql/tokenize.ts';
import { identifierValue, SqlLexError, significant, tokenize } from '../sql/tokenize.ts';
import type { Term, Value } from './header.ts';
import { HeaderSyntaxError, parseValueTokens, stringValue, tokensText } from './header.ts';

export class ValueError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly text?: string,
  ) {
    super(message);
    this.name = 'ValueError';
  }
}

/** The value's SQL text, whitespace and comments collapsed to single spaces. */
export function valueText(value: Value): string {
  return tokensText(value.tokens);
}

function fail(value: Value, message: string): never {
  throw new ValueError(message, value.line, valueText(value));
}

/** A sub-value made of some of a value's terms. */
export function termsValue(terms: Term[]): Value {
  const tokens = terms.flatMap((t) => (t.type === 'group' ? t.tokens : [t.token]));
  return { terms, tokens, line: terms[0]?.line ?? 0 };
}

function onlyTerm(value: Value, what: string, expected: string): Term {
  if (value.terms.length !== 1) fail(value, `${what} must be ${expected}`);
  return value.terms[0]!;
}

/** An identifier as SQL: unquoted words lower-cased (as SQLMesh normalises them), quoted ones kept as written. */
export function identifierSql(token: Token): string {
  return token.type === 'quoted_identifier' ? token.text : token.text.toLowerCase();
}

/** `a`, `"A"`, `a.b`, `"a"."b"`: the identifier tokens of a dotted name. */
export function readIdentifierPath(value: Value, what: string): Token[] {
  const parts: Token[] = [];
  value.terms.forEach((term, i) => {
    const isDot = term.type === 'punct' && term.token.text === '.';
    const isName = term.type === 'word' || term.type === 'quoted';
    if (i % 2 === 1 ? !isDot : !isName) fail(value, `${what} must be an identifier`);
    if (isName) parts.push(term.token);
  });
  if (value.terms.length % 2 === 0) fail(value, `${what} must be an identifier`);
  return parts;
}

/** A single column name as SQL (see `identifierSql`). */
export function readColumn(value: Value, what: string): string {
  const term = onlyTerm(value, what, 'a column name');
  if (term.type !== 'word' && term.type !== 'quoted') fail(value, `${what} must be a column name`);
  return identifierSql(term.token);
}

export function readString(value: Value, what: string, example = 'text'): string {
  const term = onlyTerm(value, what, `a quoted string (like '${example}')`);
  if (term.type !== 'string') fail(value, `${what} must be a quoted string (like '${example}')`);
  return stringValue(term.token);
}

/** A string literal, a bare word or a quoted identifier, as text (`owner jen`, `owner 'jen'`). */
export function readText(value: Value, what: string): string {
  const term = onlyTerm(value, what, 'a name or a quoted string');
  if (term.type === 'string') return stringValue(term.token);
  if (term.type === 'word') return term.token.text;
  if (term.type === 'quoted') return identifierValue(term.token);
  fail(value, `${what} must be a name or a quoted string`);
}

export function readPositiveInteger(value: Value, what: string): number {
  const term = onlyTerm(value, what, 'a positive integer');
  const text = term.type === 'group' ? '' : term.token.text;
  if (term.type !== 'number' || !/^[0-9]+$/.test(text) || Number(text) <= 0) {
    fail(value, `${what} must be a positive integer`);
  }
  return Number(text);
}

export function readBoolean(value: Value, what: string): boolean {
  const term = onlyTerm(value, what, 'true or false');
  const text =
    term.type === 'string' ? stringValue(term.token) : term.type === 'group' ? '' : term.token.text;
  if (term.type === 'word' || term.type === 'string') {
    if (/^true$/i.test(text)) return true;
    if (/^false$/i.test(text)) return false;
  }
  fail(value, `${what} must be true or false`);
}

/** `(a, b)` or `[a, b]` give their items; any other value is a list of itself. */
export function readList(value: Value): Value[] {
  const first = value.terms[0];
  if (value.terms.length === 1 && first?.type === 'group') return first.items;
  return [value];
}

/** Parses a stand-alone SQL snippet (a config value such as `FULL` or `INCREMENTAL_BY_TIME_RANGE (time_column ds)`) as a value. */
export function valueFromText(text: string, line: number, what: string): Value {
  try {
    return parseValueTokens(significant(tokenize(text, line)), what);
  } catch (error) {
    if (error instanceof HeaderSyntaxError || error instanceof SqlLexError) {
      throw new ValueError(`${what}: ${error.message}`, line, text);
    }
    throw error;
  }
}
