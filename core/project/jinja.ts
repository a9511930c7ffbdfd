/**
 * Finds Jinja templating in a SQL file (`{{ ... }}`, `{% ... %}`, `{# ... #}` or SQLMesh's
 * `JINJA_QUERY_BEGIN` / `JINJA_STATEMENT_BEGIN` blocks), which sluice does not render.
 */

import type { Token } from '../sql/tokenize.ts';

const JINJA_WORDS = new Set(['jinja_query_begin', 'jinja_statement_begin', 'jinja_end']);
const JINJA_TEXT = /\{\{|\{%|\{#|\bJINJA_(QUERY|STATEMENT)_BEGIN\b/i;

/**
 * Line of the first Jinja construct outside strings and comments, given the file's tokens; when the
 * file could not be tokenized (Jinja often breaks SQL lexing), pass `undefined` and the raw text is
 * searched instead.
 */
export function findJinja(source: string, tokens: Token[] | undefined): number | undefined {
  if (!tokens) {
    const lines = source.split('\n');
    const index = lines.findIndex((l) => JINJA_TEXT.test(l));
    return index < 0 ? undefined : index + 1;
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'word' && JINJA_WORDS.has(t.text.toLowerCase())) return t.line;
    if (t.type === 'punct' && t.text === '{') {
      const next = tokens[i + 1];
      if (next?.type === 'punct' && next.start === t.start + 1 && ['{', '%', '#'].includes(next.text))
        return t.line;
    }
  }
  return undefined;
}
