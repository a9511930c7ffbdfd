/**
 * Input checks shared by the state functions. Each one throws an Error that names the field and
 * shows the offending value, before anything is written.
 */

/** A point in time as a caller may hold it: a Date, an ISO-8601 string or epoch milliseconds. */
export type Instant = Date | string | number;

/** A half-open range `[start, end)` of epoch milliseconds. */
export type Interval = [start: number, end: number];

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function invalid(field: string, value: unknown, expectation: string): Error {
  return new Error(`${field} ${expectation} (got ${describeValue(value)})`);
}

export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(field, value, 'must be a non-empty string');
  if (value !== value.trim()) throw invalid(field, value, 'must not start or end with whitespace');
  if (value.includes('\u0000')) throw invalid(field, value, 'must not contain NUL characters');
  return value;
}

export function optionalText(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : requireText(field, value);
}

/** Free text (an error, a reason): any string, with NUL characters, which Postgres rejects, replaced. */
export function optionalMessage(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, value, 'must be a string');
  return value.replaceAll('\u0000', '\uFFFD');
}

export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, value, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A list filter given as one value or several; undefined means no filter. */
export function optionalChoices<T extends string>(
  field: string,
  value: T | readonly T[] | undefined,
  allowed: readonly T[],
): T[] | null {
  if (value === undefined || value === null) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw invalid(field, value, `must name at least one of ${allowed.join(', ')}`);
  return values.map((item, index) =>
    requireOneOf(Array.isArray(value) ? `${field}[${index}]` : field, item, allowed),
  );
}

export function requireTextList(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid(field, value, 'must be a list of strings');
  return value.map((item, index) => requireText(`${field}[${index}]`, item));
}

export function requireInteger(field: string, value: unknown, minimum = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalid(field, value, 'must be an integer');
  if (value < minimum) throw invalid(field, value, `must be at least ${minimum}`);
  return value;
}

export function optionalInteger(field: string, value: unknown, minimum?: number): number | null {
  return value === undefined || value === null ? null : requireInteger(field, value, minimum);
}

export function toDate(field: string, value: unknown): Date {
  let date: Date | undefined;
  if (value instanceof Date) date = new Date(value.getTime());
  else if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value);
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ]|$)/.test(value.trim()))
    date = new Date(value);
  if (!date || Number.isNaN(date.getTime())) {
    throw invalid(field, value, 'must be a Date, an ISO-8601 timestamp or epoch milliseconds');
  }
  return date;
}

export function optionalDate(field: string, value: unknown): Date | null {
  return value === undefined || value === null ? null : toDate(field, value);
}

export function requireInterval(field: string, value: unknown): Interval {
  if (!Array.isArray(value) || value.length !== 2) throw invalid(field, value, 'must be a [start, end] pair');
  const start = requireInteger(`${field} start`, value[0]);
  const end = requireInteger(`${field} end`, value[1]);
  if (end <= start) throw new Error(`${field} end (${end}) must be greater than its start (${start})`);
  return [start, end];
}

/** Values stored in jsonb columns: anything JSON can hold, checked by a round trip. */
export function requireJson(field: string, value: unknown): unknown {
  if (value === undefined) throw invalid(field, value, 'must be a JSON value');
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new Error(`${field} must be a JSON value: ${(error as Error).message}`);
  }
  if (text === undefined) throw invalid(field, value, 'must be a JSON value');
  const parsed = JSON.parse(text) as unknown;
  if (containsNul(parsed)) throw invalid(field, value, 'must not contain NUL characters');
  return parsed;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item));
  }
  return false;
}

export function iso(value: Date): string;
export function iso(value: Date | null): string | null;
export function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}
