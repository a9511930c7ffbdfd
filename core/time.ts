/**
 * Time values as a project writes them (`start`, `end`, plan and run ranges), resolved to epoch
 * milliseconds in UTC with SQLMesh's rules: dates and timestamps without an offset are UTC, numbers
 * are epoch milliseconds (except an eight-digit `YYYYMMDD`, which is a date), and relative
 * expressions are read against a minute-floored `now`, floored again to UTC midnight when they
 * count whole days (`today`, `yesterday`, `2 days ago`, `1 month ago`).
 */

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const ACCEPTED_TIME_FORMS =
  "a date (2020-01-01), a timestamp (2020-01-01 12:30:00 or 2020-01-01T12:30:00Z, optionally with an offset such as +02:00; UTC when none is given), epoch milliseconds, or a relative expression (now, today, yesterday, tomorrow, 'N <unit>s ago' with second, minute, hour, day, week, month or year)";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE_RE = /^(\d{4})(\d{2})(\d{2})$/;
const EPOCH_RE = /^-?\d+(?:\.\d+)?$/;
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const RELATIVE_RE = /^(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week|month|year)s?\s+ago$/i;

type RelativeUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

const FIXED_UNIT_MS: Partial<Record<RelativeUnit, number>> = {
  second: SECOND_MS,
  minute: MINUTE_MS,
  hour: HOUR_MS,
  day: DAY_MS,
  week: 7 * DAY_MS,
};

function invalid(value: unknown, why?: string): Error {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new Error(`invalid time value ${shown}${why ? ` (${why})` : ''}: expected ${ACCEPTED_TIME_FORMS}`);
}

/** Epoch ms of a calendar date-time in UTC, or undefined when a field is out of range (2020-02-30). */
function utcCalendar(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date.getTime();
}

/** Adds calendar months in UTC, clamping the day to the target month's length (Mar 31 - 1 month = Feb 29). */
export function addUtcMonths(ms: number, months: number): number {
  const date = new Date(ms);
  const day = date.getUTCDate();
  const target = new Date(ms);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

function digits(text: string | undefined): number {
  return text === undefined ? 0 : Number(text);
}

function parseOffsetMs(text: string): number {
  if (text.toUpperCase() === 'Z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.slice(1).replace(':', '');
  const hours = Number(body.slice(0, 2));
  const minutes = body.length > 2 ? Number(body.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * HOUR_MS + minutes * MINUTE_MS);
}

function parseEpochMs(value: unknown, epoch: number): number {
  if (!Number.isFinite(epoch)) throw invalid(value, 'not a finite number');
  const ms = Math.trunc(epoch);
  if (Math.abs(ms) > 8.64e15) throw invalid(value, 'out of range');
  return ms;
}

function parseRelative(text: string, now: number): number | undefined {
  const lower = text.toLowerCase();
  const base = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const midnight = Math.floor(now / DAY_MS) * DAY_MS;
  if (lower === 'now') return base;
  if (lower === 'today') return midnight;
  if (lower === 'yesterday') return midnight - DAY_MS;
  if (lower === 'tomorrow') return midnight + DAY_MS;
  const m = RELATIVE_RE.exec(lower);
  if (!m) return undefined;
  const amount = Number(m[1]);
  const unit = m[2] as RelativeUnit;
  const categorical = unit !== 'second' && unit !== 'minute' && unit !== 'hour';
  const from = categorical ? midnight : base;
  const fixed = FIXED_UNIT_MS[unit];
  if (fixed !== undefined) return from - Math.round(amount * fixed);
  if (!Number.isInteger(amount)) throw invalid(text, `${unit}s must be a whole number`);
  return addUtcMonths(from, -(unit === 'year' ? amount * 12 : amount));
}

/**
 * Resolves a time value to epoch milliseconds (UTC). `now` is the reference for relative expressions.
 * Throws an Error naming the value and the accepted forms when it cannot be read.
 */
export function parseTimeValue(value: string | number | Date, now: number): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw invalid(value, 'invalid Date');
    return ms;
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) {
      const date = compactDate(String(value));
      if (date !== undefined) return date;
    }
    return parseEpochMs(value, value);
  }
  if (typeof value !== 'string') throw invalid(value, `a ${typeof value} is not a time`);
  const text = value.trim().replace(/\s+/g, ' ');
  if (text === '') throw invalid(value, 'empty');

  const date = DATE_RE.exec(text);
  if (date) {
    const ms = utcCalendar(digits(date[1]), digits(date[2]), digits(date[3]));
    if (ms === undefined) throw invalid(value, 'no such date');
    return ms;
  }
  const compact = compactDate(text);
  if (compact !== undefined) return compact;
  if (EPOCH_RE.test(text)) return parseEpochMs(value, Number(text));

  const ts = TIMESTAMP_RE.exec(text);
  if (ts) {
    const fraction = ts[7] === undefined ? 0 : Number(ts[7].padEnd(3, '0').slice(0, 3));
    const local = utcCalendar(
      digits(ts[1]),
      digits(ts[2]),
      digits(ts[3]),
      digits(ts[4]),
      digits(ts[5]),
      digits(ts[6]),
      fraction,
    );
    if (local === undefined) throw invalid(value, 'no such date or time');
    const offset = ts[8] === undefined ? 0 : parseOffsetMs(ts[8]);
    if (Number.isNaN(offset)) throw invalid(value, `bad offset ${ts[8]}`);
    return local - offset;
  }

  const relative = parseRelative(text, now);
  if (relative !== undefined) return relative;
  throw invalid(value);
}

function compactDate(text: string): number | undefined {
  const m = COMPACT_DATE_RE.exec(text);
  return m ? utcCalendar(digits(m[1]), digits(m[2]), digits(m[3])) : undefined;
}

/** True when the value names a whole calendar day (`2020-01-01`, `20200101`), as SQLMesh's `is_date`. */
export function isDateOnly(value: string | number | Date): boolean {
  if (value instanceof Date) return false;
  const text = String(value).trim();
  if (DATE_RE.test(text)) {
    const m = DATE_RE.exec(text)!;
    return utcCalendar(digits(m[1]), digits(m[2]), digits(m[3])) !== undefined;
  }
  return compactDate(text) !== undefined;
}

/**
 * Resolves an end value to an exclusive end in epoch ms: a date-only end covers that whole day (SQLMesh
 * treats `end: '2020-01-05'` as inclusive of the 5th), any other value is already an instant.
 */
export function parseEndTimeValue(value: string | number | Date, now: number): number {
  const ms = parseTimeValue(value, now);
  return isDateOnly(value) ? ms + DAY_MS : ms;
}

/** `2020-01-01 00:00:00` (UTC), with `.123` when there are milliseconds; for messages and logs. */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const iso = new Date(ms).toISOString();
  const text = iso.replace('T', ' ').replace('Z', '');
  return text.endsWith('.000') ? text.slice(0, -4) : text;
}
