/**
 * How DuckDB values of a read query's result (`Engine.readQuery`) become JSON-safe values: DuckDB's
 * own JSON converter, except for 64-bit and wider integers (numbers when safe, else decimal text),
 * timestamps (ISO-8601, `T` between date and time), and blobs (base64, where DuckDB writes escapes).
 * Nested values (lists, structs, maps) go through the same rules element by element.
 */

import {
  type DuckDBBlobValue,
  DuckDBTypeId,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';
import type { QueryValue } from './engine.ts';
import { integerValue } from './metadata.ts';

const WIDE_INTEGERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

const TIMESTAMPS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

export const duckdbQueryValue: DuckDBValueConverter<QueryValue> = (value, type, _converter) => {
  if (value === null) return null;
  if (WIDE_INTEGERS.has(type.typeId) && typeof value === 'bigint') return integerValue(value);
  if (type.typeId === DuckDBTypeId.BLOB)
    return Buffer.from((value as DuckDBBlobValue).bytes).toString('base64');
  if (TIMESTAMPS.has(type.typeId)) return String(value).replace(' ', 'T');
  return JsonDuckDBValueConverter(value, type, duckdbQueryValue as DuckDBValueConverter<Json>);
};
