/**
 * Parses the `MODEL (...)` and `AUDIT (...)` blocks of SQLMesh-format files into a small property
 * tree with line numbers. The tree knows nothing about what properties mean (model.ts, kind.ts and
 * audits.ts interpret it); it only knows the shape: comma-separated `key value` properties, where a
 * value is a sequence of terms and a term is a token or a parenthesised / bracketed list of values.
 * Keywords and property names are case-insensitive; trailing commas and comments are allowed.
 */

import type { Token } from '../sql/tokenize.ts';
import { identifierValue } from '../sql/tokenize.ts';

export type Term =
  | { type: 'word' | 'quoted' | 'string' | 'number' | 'macro' | 'punct'; token: Token; line: number }
  | { type: 'group'; open: '(' | '['; items: Value[]; tokens: Token[]; line: number };

export interface Value {
  terms: Term[];
  /** every significant token of the value, nested lists included. */
  tokens: Token[];
  line: number;
}

export interface Property {
  /** lower-cased property name. */
  key: string;
  keyToken: Token;
  line: number;
  value: Value;
}

export interface Block {
  /** upper-cased block keyword (`MODEL`, `AUDIT`). */
  keyword: string;
  line: number;
  properties: Property[];
  /** index in the significant-token array just after the block (and its `;`, when present). */
  end: number;
}

export class HeaderSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly text?: string,
  ) {
    super(message);
    this.name = 'HeaderSyntaxError';
  }
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']' };

/** Is `tokens[i]` the start of a `KEYWORD (` block? */
export function isBlockStart(tokens: Token[], i: number, keyword: string): boolean {
  const word = tokens[i];
  const paren = tokens[i + 1];
  return (
    word?.type === 'word' &&
    word.text.toUpperCase() === keyword &&
    paren?.type === 'punct' &&
    paren.text === '('
  );
}

/**
 * Parses the block that starts at `tokens[start]` (`KEYWORD ( key value, ... )`, then an optional
 * `;`). `tokens` are significant tokens only. Throws `HeaderSyntaxError` naming the line.
 */
export function parseBlock(tokens: Token[], start: number): Block {
  const keywordToken = tokens[start]!;
  const keyword = keywordToken.text.toUpperCase();
  const open = tokens[start + 1]!;
  const closeIndex = matchingClose(tokens, start + 1, keyword);
  const properties: Property[] = [];
  let i = start + 2;
  while (i < closeIndex) {
    const keyToken = tokens[i]!;
    if (keyToken.type === 'punct' && keyToken.text === ',') {
      throw new HeaderSyntaxError(
        `expected a property name in the ${keyword} block, found ','`,
        keyToken.line,
      );
    }
    if (keyToken.type !== 'word' && keyToken.type !== 'quoted_identifier') {
      throw new HeaderSyntaxError(
        `expected a property name in the ${keyword} block, found '${keyToken.text}'`,
        keyToken.line,
        keyToken.text,
      );
    }
    const key = identifierValue(keyToken);
    const valueEnd = nextSeparator(tokens, i + 1, closeIndex);
    if (valueEnd === i + 1) {
      throw new HeaderSyntaxError(`property ${key} has no value`, keyToken.line, keyToken.text);
    }
    properties.push({ key, keyToken, line: keyToken.line, value: parseValue(tokens, i + 1, valueEnd) });
    i = valueEnd + 1;
  }
  let end = closeIndex + 1;
  const after = tokens[end];
  if (after?.type === 'punct' && after.text === ';') {
    end++;
  } else if (after?.type === 'punct' && (after.text === ')' || after.text === ']' || after.text === ',')) {
    throw new HeaderSyntaxError(
      `unbalanced parentheses in the ${keyword} block: extra '${after.text}' after the block (opened on line ${open.line}) was closed`,
      after.line,
    );
  } else if (after) {
    throw new HeaderSyntaxError(`expected ';' after the ${keyword} block, found '${after.text}'`, after.line);
  }
  return { keyword, line: keywordToken.line, properties, end };
}

/** Index of the bracket that closes `tokens[openIndex]`; throws when it is never closed or mismatched. */
function matchingClose(tokens: Token[], openIndex: number, keyword: string): number {
  const stack: Token[] = [];
  for (let i = openIndex; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[') {
      stack.push(t);
    } else if (t.text === ')' || t.text === ']') {
      const opener = stack.pop()!;
      if (CLOSING[opener.text] !== t.text) {
        throw new HeaderSyntaxError(
          `unbalanced parentheses in the ${keyword} block: '${t.text}' does not close the '${opener.text}' opened on line ${opener.line}`,
          t.line,
        );
      }
      if (stack.length === 0) return i;
    }
  }
  const unclosed = stack[stack.length - 1]!;
  throw new HeaderSyntaxError(
    `unbalanced parentheses in the ${keyword} block: '${unclosed.text}' opened on line ${unclosed.line} is never closed`,
    unclosed.line,
  );
}

/** Index of the next `,` at nesting depth 0 in `[from, end)`, or `end`. */
function nextSeparator(tokens: Token[], from: number, end: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const t = tokens[i]!;
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0) return i;
  }
  return end;
}

/** Parses a whole token list as one value; throws `HeaderSyntaxError` when it is empty or its brackets do not balance. */
export function parseValueTokens(tokens: Token[], what: string): Value {
  if (tokens.length === 0) throw new HeaderSyntaxError(`${what} is empty`, 0);
  const stack: Token[] = [];
  for (const t of tokens) {
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[') stack.push(t);
    else if (t.text === ')' || t.text === ']') {
      const opener = stack.pop();
      if (!opener || CLOSING[opener.text] !== t.text) {
        throw new HeaderSyntaxError(`unbalanced parentheses: unexpected '${t.text}'`, t.line);
      }
    }
  }
  const unclosed = stack.pop();
  if (unclosed)
    throw new HeaderSyntaxError(`unbalanced parentheses: '${unclosed.text}' is never closed`, unclosed.line);
  const comma = nextSeparator(tokens, 0, tokens.length);
  if (comma < tokens.length) throw new HeaderSyntaxError(`unexpected ','`, tokens[comma]!.line);
  return parseValue(tokens, 0, tokens.length);
}

/** Parses `tokens[from, end)` (balanced, non-empty) into a value. */
function parseValue(tokens: Token[], from: number, end: number): Value {
  const terms: Term[] = [];
  let i = from;
  while (i < end) {
    const t = tokens[i]!;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) {
      const close = closeWithin(tokens, i, end);
      const items: Value[] = [];
      let j = i + 1;
      while (j < close) {
        const sep = nextSeparator(tokens, j, close);
        if (sep === j) {
          throw new HeaderSyntaxError(`empty item in the list opened on line ${t.line}`, tokens[j]!.line);
        }
        items.push(parseValue(tokens, j, sep));
        j = sep + 1;
      }
      terms.push({ type: 'group', open: t.text, items, tokens: tokens.slice(i, close + 1), line: t.line });
      i = close + 1;
      continue;
    }
    terms.push({ type: termType(t), token: t, line: t.line });
    i++;
  }
  return { terms, tokens: tokens.slice(from, end), line: tokens[from]!.line };
}

function closeWithin(tokens: Token[], openIndex: number, end: number): number {
  let depth = 0;
  for (let i = openIndex; i < end; i++) {
    const t = tokens[i]!;
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  // parseBlock checked the block's brackets are balanced, so every list closes inside it.
  throw new HeaderSyntaxError('unbalanced parentheses', tokens[openIndex]!.line);
}

function termType(t: Token): 'word' | 'quoted' | 'string' | 'number' | 'macro' | 'punct' {
  switch (t.type) {
    case 'word':
      return 'word';
    case 'quoted_identifier':
      return 'quoted';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'macro':
      return 'macro';
    default:
      return 'punct';
  }
}

/**
 * The SQL text of consecutive tokens, with each run of whitespace and comments between two tokens
 * written as one space (so `DECIMAL(10,  2)` stays `DECIMAL(10, 2)` and a comment never leaks in).
 */
export function tokensText(tokens: Token[]): string {
  let text = '';
  let previous: Token | undefined;
  for (const t of tokens) {
    if (previous && previous.start + previous.text.length < t.start) text += ' ';
    text += t.text;
    previous = t;
  }
  return text;
}

/** The value of a string literal token: quotes removed, doubled quotes and E'' escapes undone. */
export function stringValue(token: Token): string {
  const text = token.text;
  if (text.startsWith('$')) {
    const tag = text.slice(0, text.indexOf('$', 1) + 1);
    return text.slice(tag.length, text.length - tag.length);
  }
  if (text[0] === 'E' || text[0] === 'e') {
    return text.slice(2, -1).replace(/''|\\(.)/g, (m, ch: string | undefined) => {
      if (m === "''") return "'";
      switch (ch) {
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case 'r':
          return '\r';
        default:
          return ch ?? '';
      }
    });
  }
  return text.slice(1, -1).replaceAll("''", "'");
}
