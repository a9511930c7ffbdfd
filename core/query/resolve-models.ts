/**
 * How a query asked of an executor (`sluice fetchdf`) reads an environment's models, as SQLMesh's
 * `fetchdf` does: each reference to a model (`schema.table` where a table goes, found with the
 * loader's rules in core/project/references.ts, so strings and comments are never touched) is
 * replaced by the SQL name `resolve` gives it, the environment's view of the model. Names
 * `resolve` does not know (external tables, views of other schemas) stay as written.
 */

import { findTableReferences } from '../project/references.ts';
import { significant, tokenize } from '../sql/tokenize.ts';

export interface ResolvedQuery {
  sql: string;
  /** every two-part table name the query reads, normalised (unquoted parts lower-cased), in order. */
  references: string[];
}

/** Throws SqlLexError (with the line) when the text cannot be split into tokens. */
export function resolveModelReferences(
  sql: string,
  resolve: (model: string) => string | undefined,
): ResolvedQuery {
  const tokens = significant(tokenize(sql));
  const references: string[] = [];
  let out = '';
  let copied = 0;
  for (const reference of findTableReferences(tokens)) {
    references.push(reference.name);
    const replacement = resolve(reference.name);
    if (replacement === undefined) continue;
    const first = tokens[reference.index]!;
    const last = tokens[reference.index + 2]!;
    out += sql.slice(copied, first.start) + replacement;
    copied = last.start + last.text.length;
  }
  return { sql: out + sql.slice(copied), references };
}
