/**
 * The condition that selects one batch's rows of an INCREMENTAL_BY_TIME_RANGE model: the
 * half-open interval `[start, end)` on its `time_column` (quoted, as SQLMesh quotes the
 * identifiers it writes, so a column named like a keyword works).
 *
 * - A column of dates or timestamps is compared with `TIMESTAMP` values (`>= start AND < end`);
 *   DATE columns compare correctly against them in both warehouses. A column the model declares as
 *   `TIMESTAMPTZ` is compared with `TIMESTAMPTZ` values carrying an explicit UTC offset instead, so
 *   the session's time zone never shifts the range.
 * - A string column with a format (`time_column (ds, '%Y%m%d')`) is compared as formatted strings,
 *   as SQLMesh does: `ds BETWEEN '<start>' AND '<end minus one microsecond>'`, both written with the
 *   column's format (Python `strftime` directives).
 */

import type { Interval } from '../intervals.ts';
import { quoteIdentifier } from '../naming.ts';
import type { ColumnDefinition } from '../project/types.ts';
import { identifierName, stringLiteral, timestampLiteral, timestamptzLiteral } from './sql-text.ts';

export interface TimeColumn {
  /** the column as SQL (`event_date`, `"EventDate"`). */
  column: string;
  format?: string;
}

const TIMESTAMPTZ = /^(timestamptz|timestamp\s*(\(\s*\d+\s*\))?\s+with\s+time\s+zone)$/i;

/** The SQL condition selecting `interval` on the time column. */
export function timeRangeCondition(
  time: TimeColumn,
  interval: Interval,
  columns: readonly ColumnDefinition[] = [],
): string {
  const [start, end] = interval;
  const column = quoteIdentifier(identifierName(time.column));
  if (!(Number.isFinite(start) && Number.isFinite(end) && start < end)) {
    throw new Error(`invalid interval [${start}, ${end}): the start must be before the end`);
  }
  if (time.format !== undefined) {
    const low = strftime({ ms: start, extraMicros: 0 }, time.format);
    const high = strftime({ ms: end - 1, extraMicros: 999 }, time.format);
    return `${column} BETWEEN ${stringLiteral(low)} AND ${stringLiteral(high)}`;
  }
  const declared = columns.find((c) => c.name === identifierName(time.column));
  const literal = declared && TIMESTAMPTZ.test(declared.type.trim()) ? timestamptzLiteral : timestampLiteral;
  return `${column} >= ${literal(start)} AND ${column} < ${literal(end)}`;
}

/** An instant with microsecond precision: epoch milliseconds plus 0-999 microseconds. */
interface Instant {
  ms: number;
  extraMicros: number;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** Formats a UTC instant with Python `strftime` directives (the ones that do not depend on a locale's translations). */
export function strftime(instant: Instant, format: string): string {
  const date = new Date(instant.ms);
  if (Number.isNaN(date.getTime())) throw new Error(`cannot format time ${instant.ms}`);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  const hour = date.getUTCHours();
  const micros = (((instant.ms % 1000) + 1000) % 1000) * 1000 + instant.extraMicros;
  const dayOfYear = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const directives: Record<string, () => string> = {
    Y: () => pad(year, 4),
    y: () => pad(year % 100, 2),
    m: () => pad(month + 1, 2),
    d: () => pad(day, 2),
    e: () => String(day).padStart(2, ' '),
    H: () => pad(hour, 2),
    I: () => pad(hour % 12 === 0 ? 12 : hour % 12, 2),
    p: () => (hour < 12 ? 'AM' : 'PM'),
    M: () => pad(date.getUTCMinutes(), 2),
    S: () => pad(date.getUTCSeconds(), 2),
    f: () => pad(micros, 6),
    j: () => pad(dayOfYear, 3),
    b: () => MONTHS[month]!.slice(0, 3),
    B: () => MONTHS[month]!,
    a: () => WEEKDAYS[date.getUTCDay()]!.slice(0, 3),
    A: () => WEEKDAYS[date.getUTCDay()]!,
    F: () => `${pad(year, 4)}-${pad(month + 1, 2)}-${pad(day, 2)}`,
    T: () => `${pad(hour, 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`,
    z: () => '+0000',
    Z: () => 'UTC',
    '%': () => '%',
  };
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const directive = format[i + 1];
    const render = directive === undefined ? undefined : directives[directive];
    if (render === undefined) {
      throw new Error(
        `time column format ${JSON.stringify(format)}: unsupported directive %${directive ?? ''} (supported: ${Object.keys(
          directives,
        )
          .map((d) => `%${d}`)
          .join(' ')})`,
      );
    }
    out += render();
    i++;
  }
  return out;
}
