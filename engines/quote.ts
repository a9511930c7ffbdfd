/**
 * Identifier quoting for the warehouse dialects sluice runs on. Postgres and DuckDB both quote with
 * double quotes and escape an embedded quote by doubling it; names are kept exactly as given (no
 * case folding), so callers pass the normalised lower-case names models use.
 */

export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new Error('an identifier cannot be empty');
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal: single quotes, an embedded quote doubled. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error(`text ${JSON.stringify(text)} contains a NUL character`);
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Splits a dotted name (`schema.table`, `catalog.schema.table`) into its parts. A part may itself be
 * double-quoted (`"my.schema".orders`), in which case dots inside it do not split and `""` stands
 * for one quote.
 */
export function splitQualifiedName(name: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < name.length; i++) {
    const char = name[i];
    if (quoted) {
      if (char === '"') {
        if (name[i + 1] === '"') {
          current += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        current += char;
      }
    } else if (char === '"') {
      if (current.length > 0 || wasQuoted) throw badName(name, 'a quote may only open a whole part');
      quoted = true;
      wasQuoted = true;
    } else if (char === '.') {
      if (current.length === 0) throw badName(name, 'empty part');
      parts.push(current);
      current = '';
      wasQuoted = false;
    } else {
      if (wasQuoted) throw badName(name, 'text after a closing quote');
      if (/\s/.test(char ?? '')) throw badName(name, 'whitespace outside quotes');
      current += char;
    }
  }
  if (quoted) throw badName(name, 'unterminated quote');
  if (current.length === 0) throw badName(name, 'empty part');
  parts.push(current);
  if (parts.length > 3) throw badName(name, 'more than three parts');
  return parts;
}

/** Quotes every part of a dotted name: `sushi.orders` → `"sushi"."orders"`. */
export function quoteQualifiedName(name: string): string {
  return splitQualifiedName(name).map(quoteIdentifier).join('.');
}

function badName(name: string, problem: string): Error {
  return new Error(`invalid qualified name ${JSON.stringify(name)}: ${problem}`);
}
