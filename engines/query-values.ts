/**
 * The JSON-safe form of a driver value in a read query's result (`Engine.readQuery`): integers as
 * numbers when they are safe, as decimal strings when not; instants as ISO-8601; bytes as base64;
 * non-finite numbers as their names; lists and records element by element. Decimals are already
 * strings (postgres.js leaves `numeric` as text; DuckDB's converter writes them as text), so they
 * keep every digit.
 */

import type { QueryValue } from './engine.ts';
import { jsonScalar, NOT_SCALAR } from './metadata.ts';

export function toQueryValue(value: unknown): QueryValue {
  const scalar = jsonScalar(value, 'base64');
  if (scalar !== NOT_SCALAR) return scalar;
  if (Array.isArray(value)) return value.map(toQueryValue);
  if (typeof value === 'object' && value !== null) {
    const record: { [key: string]: QueryValue } = {};
    for (const [key, inner] of Object.entries(value)) record[key] = toQueryValue(inner);
    return record;
  }
  return String(value);
}
