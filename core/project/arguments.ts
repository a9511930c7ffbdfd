/**
 * Reads named arguments as SQLMesh writes them in audit calls and audit defaults:
 * `name := value` or `name = value`, each value kept as SQL text.
 */

import type { Value } from './header.ts';
import { termsValue, ValueError, valueText } from './values.ts';

export function readArguments(items: Value[], what: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const item of items) {
    const [name, first, second] = item.terms;
    const walrus =
      first?.type === 'punct' &&
      first.token.text === ':' &&
      second?.type === 'punct' &&
      second.token.text === '=' &&
      second.token.start === first.token.start + 1;
    const equals = first?.type === 'punct' && first.token.text === '=';
    if (!name || (name.type !== 'word' && name.type !== 'quoted') || !(walrus || equals)) {
      throw new ValueError(`${what}: expected name := value`, item.line, valueText(item));
    }
    const rest = item.terms.slice(walrus ? 3 : 2);
    const key = name.token.text.toLowerCase();
    if (rest.length === 0)
      throw new ValueError(`${what}: argument ${key} has no value`, item.line, valueText(item));
    if (key in args) throw new ValueError(`${what}: argument ${key} is given twice`, item.line, key);
    args[key] = valueText(termsValue(rest));
  }
  return args;
}
