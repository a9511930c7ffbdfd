/**
 * The shape of metadata reads (`queryScalar`, `queryRows`): driver values are reduced to JSON-safe
 * scalars so both engines give the same shapes (integers as numbers when they fit, as strings when
 * they do not; instants as ISO-8601 strings; bytes as hex; nested values as JSON text), and row
 * limits are checked and capped.
 */

import { MAX_METADATA_ROWS, type MetadataRow, type MetadataValue } from './engine.ts';

/** A caller's row limit, checked, and capped at MAX_METADATA_ROWS. */
export function metadataLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`a metadata read needs a positive integer row limit, got ${limit}`);
  }
  return Math.min(limit, MAX_METADATA_ROWS);
}

/** Marks a value `jsonScalar` leaves to its caller: a list, a record, or another object. */
export const NOT_SCALAR = Symbol('not a scalar');

/**
 * The JSON-safe form of a scalar driver value: integers as numbers when safe, else their digits;
 * instants as ISO-8601; bytes in `bytes` encoding; non-finite numbers as their names. NOT_SCALAR for
 * anything else.
 */
export function jsonScalar(value: unknown, bytes: 'hex' | 'base64'): MetadataValue | typeof NOT_SCALAR {
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
  if (value instanceof Uint8Array) return Buffer.from(value).toString(bytes);
  return NOT_SCALAR;
}

export function toMetadataValue(value: unknown): MetadataValue {
  const scalar = jsonScalar(value, 'hex');
  if (scalar !== NOT_SCALAR) return scalar;
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'bigint' ? integerValue(inner) : inner,
  );
}

export function toMetadataRow(row: Record<string, unknown>): MetadataRow {
  const result: MetadataRow = {};
  for (const [key, value] of Object.entries(row)) result[key] = toMetadataValue(value);
  return result;
}

/** Parses an integer's text form (Postgres int8) the same way. */
export function parseInteger(text: string): number | string {
  return integerValue(BigInt(text));
}

/** A 64-bit or wider integer: a number when it is safe, else its decimal text. */
export function integerValue(value: bigint): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value.toString();
}
