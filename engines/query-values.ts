/**
 * The JSON-safe form of a driver value in a read query's result (`Engine.readQuery`): integers as
 * numbers when they are safe, as decimal strings when not; instants as ISO-8601; bytes as base64;
 * non-finite numbers as their names; lists and records element by element. Decimals are already
 * strings (postgres.js leaves `numeric` as text; DuckDB's converter writes them as text), so they
 * keep every digit.
 */

import type { QueryValue } from './engine.ts';

export function toQueryValue(value: unknown): QueryValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return integerValue(value);
    default:
      break;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toQueryValue);
  if (typeof value === 'object') {
    const record: { [key: string]: QueryValue } = {};
    for (const [key, inner] of Object.entries(value)) record[key] = toQueryValue(inner);
    return record;
  }
  return String(value);
}

/** A 64-bit or wider integer: a number when it is safe, else its decimal text. */
export function integerValue(value: bigint): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}
