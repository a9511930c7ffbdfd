/** Times given in requests, read as the CLI and project files read them (core/time.ts). */
import { ACCEPTED_TIME_FORMS, parseEndTimeValue, parseTimeValue } from '../core/time.ts';
import { badRequest } from './errors.ts';

/** A start or a point in time. */
export function readTime(field: string, value: string | number, now: number): number {
  try {
    return parseTimeValue(value, now);
  } catch {
    throw badRequest(`${field} ${JSON.stringify(value)} is not a time: use ${ACCEPTED_TIME_FORMS}`, {
      field,
    });
  }
}

/** An exclusive end: a date-only end covers that whole day, as in SQLMesh. */
export function readEnd(field: string, value: string | number, now: number): number {
  try {
    return parseEndTimeValue(value, now);
  } catch {
    throw badRequest(`${field} ${JSON.stringify(value)} is not a time: use ${ACCEPTED_TIME_FORMS}`, {
      field,
    });
  }
}

/** A range's start and end, each read as a time; what the range may be is checked by its user. */
export function readRange(
  field: string,
  range: { start: string | number; end: string | number },
  now: number,
): { start: number; end: number } {
  return {
    start: readTime(`${field}.start`, range.start, now),
    end: readEnd(`${field}.end`, range.end, now),
  };
}

/** Comma-separated values of a query parameter (already checked by its schema). */
export function commaValues<T extends string>(value: string | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').filter((v) => v !== '');
  return items.length === 0 ? undefined : (items as T[]);
}
