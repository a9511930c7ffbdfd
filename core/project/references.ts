/**
 * Finds the tables a query reads: two-part names (`schema.table`, `"Schema"."table"`) written
 * where a table goes, right after `FROM`, `JOIN`, a comma of a `FROM` list, `TABLE`, `ONLY`,
 * `PIVOT`/`UNPIVOT`, or the parenthesis of a parenthesised `FROM` item. Strings, comments and
 * quoted text are single tokens, so they never match; column references (`alias.column`) are not in
 * a table position, so they never match either; CTE names are single identifiers, never
 * `schema.table`. Names are normalised as SQLMesh does: unquoted parts lower-cased, quoted parts
 * kept. One- and three-part names are not model references (sluice models are `schema.table`).
 */

import type { Token } from '../sql/tokenize.ts';
import { identifierValue } from '../sql/tokenize.ts';

export interface TableReference {
  /** `schema.table`, normalised. */
  name: string;
  line: number;
  /** position in the given tokens of the name's first part (the name spans three tokens). */
  index: number;
}

/** Keywords after which a table name follows directly. */
const TABLE_INTRODUCERS = new Set(['from', 'join', 'table', 'only', 'pivot', 'unpivot']);

/** Keywords that start a clause in which a comma does not separate tables. */
const OTHER_CLAUSES = new Set([
  'select',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'offset',
  'qualify',
  'window',
  'on',
  'using',
  'union',
  'intersect',
  'except',
  'values',
  'returning',
  'set',
  'fetch',
]);

const isName = (t: Token | undefined): t is Token => t?.type === 'word' || t?.type === 'quoted_identifier';
const isPunct = (t: Token | undefined, text: string): boolean => t?.type === 'punct' && t.text === text;

interface Frame {
  /** inside the FROM list of a query at this depth. */
  inFrom: boolean;
  /** the parentheses hold a query (or the top level), so FROM starts a table list; in a call
   * like `EXTRACT(year FROM ts)` it does not. */
  isQuery: boolean;
}

/** `tokens` are the query's significant tokens (no whitespace, no comments). */
export function findTableReferences(tokens: Token[]): TableReference[] {
  const references: TableReference[] = [];
  const frames: Frame[] = [{ inFrom: false, isQuery: true }];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const frame = frames[frames.length - 1]!;
    if (t.type === 'word') {
      const word = t.text.toLowerCase();
      const firstInFrame = isPunct(tokens[i - 1], '(');
      if (word === 'select' || word === 'with') {
        frame.isQuery = true;
        frame.inFrom = false;
      } else if (word === 'from' && tokens[i - 1]?.text.toLowerCase() === 'distinct') {
        // `a IS DISTINCT FROM b.c` compares values.
      } else if ((word === 'from' || word === 'join') && (frame.isQuery || firstInFrame)) {
        frame.isQuery = true;
        frame.inFrom = true;
      } else if (OTHER_CLAUSES.has(word)) {
        frame.inFrom = false;
      }
    }
    if (isPunct(t, '(')) {
      const tablePosition = startsTablePosition(tokens, i, frame.inFrom);
      frames.push({ inFrom: tablePosition, isQuery: tablePosition });
      continue;
    }
    if (isPunct(t, ')')) {
      if (frames.length > 1) frames.pop();
      continue;
    }
    if (!isName(t) || !startsTablePosition(tokens, i, frame.inFrom)) continue;
    const dot = tokens[i + 1];
    const second = tokens[i + 2];
    const after = tokens[i + 3];
    if (!isPunct(dot, '.') || !isName(second)) continue;
    if (isPunct(tokens[i - 1], '.') || isPunct(after, '.') || isPunct(after, '(')) continue;
    references.push({ name: `${identifierValue(t)}.${identifierValue(second)}`, line: t.line, index: i });
  }
  return references;
}

/**
 * Is `tokens[i]` right after something that introduces a table: a table keyword, a comma of a FROM
 * list, or the opening parenthesis of a parenthesised FROM item (`inFrom` is the current depth's
 * FROM state).
 */
function startsTablePosition(tokens: Token[], i: number, inFrom: boolean): boolean {
  const previous = tokens[i - 1];
  if (!previous) return false;
  if (previous.type === 'word') {
    const word = previous.text.toLowerCase();
    return word === 'from' || word === 'join' ? inFrom : TABLE_INTRODUCERS.has(word);
  }
  if (isPunct(previous, ',') || isPunct(previous, '(')) return inFrom;
  return false;
}
