/**
 * Cron schedules read in an IANA time zone. Pure and deterministic: this module is bundled into
 * Temporal workflow code, so it never reads the clock or the filesystem, and every parse is given
 * its current date, time zone and hash seed. cron-parser's index also carries a crontab file reader
 * that requires `fs` when called; it is never called, and the workflow bundle leaves `fs` out
 * (workers/scheduler-worker.ts).
 *
 * A cron expression matches wall-clock times in its zone. cron-parser walks those wall-clock times
 * in UTC (where every wall-clock time exists exactly once) and this module maps each one to real
 * instants, with the usual cron rules for daylight saving time changes:
 *
 * - a wall-clock time that does not exist (skipped on spring-forward day) fires once, at the first
 *   instant after the gap (`30 2 * * *` in America/New_York on 2024-03-10 fires at 03:00 EDT);
 *   several skipped times collapse into that one tick;
 * - a wall-clock time that happens twice (fall-back day) fires once, at its first occurrence;
 * - except for crons that fire in every hour of the day (`0 * * * *`, `*\/15 * * * *`): they follow
 *   real time, firing in both repeated hours and not at all in the skipped one, so an hourly cron
 *   ticks exactly once per real hour.
 *
 * The result: ticks strictly increase, a daily cron ticks exactly once per local calendar day (in
 * every zone whose clock changes do not straddle midnight), and an hourly cron never ticks twice at
 * one instant nor misses an hour.
 */
import { CronExpressionParser } from 'cron-parser';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Every UTC offset in use lies within [-12h, +14h]; wall-clock time L happens within [L-14h, L+12h]. */
const EARLIEST_OFFSET_MS = -12 * HOUR_MS;
const LATEST_OFFSET_MS = 14 * HOUR_MS;
/** Wall-clock ticks examined without finding the next real tick before giving up. */
const MAX_STEPS = 200_000;
/** Fixed so that the parser never draws on randomness (sluice rejects `H` fields anyway). */
const HASH_SEED = 'sluice';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const FIELD_CHARS = /^[0-9A-Za-z*,/\-#]+$/;

interface CompiledCron {
  /** the five-field form handed to cron-parser. */
  fields: string;
  /** true when the hour field matches all 24 hours: such crons follow real time across DST changes. */
  everyHour: boolean;
}

const compiled = new Map<string, CompiledCron>();

function parse(fields: string, currentDate: number) {
  return CronExpressionParser.parse(fields, {
    currentDate: new Date(currentDate),
    tz: 'UTC',
    hashSeed: HASH_SEED,
  });
}

function compileUncached(expr: string): CompiledCron | string {
  const text = expr.trim().replace(/\s+/g, ' ');
  if (text === '') return `invalid cron ${JSON.stringify(expr)}: empty`;
  if (text.startsWith('@')) {
    const fields = MACROS[text.toLowerCase()];
    if (!fields) {
      return `invalid cron ${JSON.stringify(expr)}: unknown shortcut; use ${Object.keys(MACROS).join(', ')} or five fields`;
    }
    return check(expr, fields);
  }
  const parts = text.split(' ');
  if (parts.length === 6) {
    return `invalid cron ${JSON.stringify(expr)}: six fields (seconds) are not supported; use five fields: minute hour day-of-month month day-of-week`;
  }
  if (parts.length !== 5) {
    return `invalid cron ${JSON.stringify(expr)}: expected five fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  }
  for (const [i, part] of parts.entries()) {
    const name = FIELD_NAMES[i]!;
    if (!FIELD_CHARS.test(part)) {
      return `invalid cron ${JSON.stringify(expr)}: unexpected character in ${name} field ${JSON.stringify(part)}`;
    }
    if (part.split(/[^A-Za-z]+/).some((word) => word.toUpperCase() === 'H')) {
      return `invalid cron ${JSON.stringify(expr)}: hashed values (H) are not supported in the ${name} field`;
    }
    if (i === 4 && /L/i.test(part)) {
      return `invalid cron ${JSON.stringify(expr)}: "last weekday of month" (L) is not supported in the day of week field`;
    }
  }
  return check(expr, text);
}

function check(expr: string, fields: string): CompiledCron | string {
  try {
    const parsed = parse(fields, 0);
    parsed.next();
    return { fields, everyHour: parsed.fields.hour.values.length === 24 };
  } catch (error) {
    return `invalid cron ${JSON.stringify(expr)}: ${(error as Error).message}`;
  }
}

function compile(expr: string): CompiledCron {
  let entry = compiled.get(expr);
  if (!entry) {
    const result = compileUncached(expr);
    if (typeof result === 'string') throw new Error(result);
    entry = result;
    compiled.set(expr, entry);
  }
  return entry;
}

/** undefined when `expr` is a cron sluice accepts, otherwise a message naming it and what is wrong. */
export function validateCron(expr: string): string | undefined {
  if (typeof expr !== 'string') return `invalid cron ${JSON.stringify(expr)}: not a string`;
  if (compiled.has(expr)) return undefined;
  const result = compileUncached(expr);
  if (typeof result === 'string') return result;
  compiled.set(expr, result);
  return undefined;
}

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

interface Zone {
  formatter: Intl.DateTimeFormat;
  /** positions of year, month, day, hour, minute, second among the digit groups of a formatted date. */
  order: number[];
}

const zones = new Map<string, Zone>();
const ZONE_FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;

function zoneFor(tz: string): Zone | undefined {
  const known = zones.get(tz);
  if (known) return known;
  if (typeof tz !== 'string' || !IANA_NAME.test(tz)) return undefined;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const types = formatter
    .formatToParts(new Date(0))
    .map((part) => part.type)
    .filter((type) => type !== 'literal');
  const zone = { formatter, order: ZONE_FIELDS.map((field) => types.indexOf(field)) };
  zones.set(tz, zone);
  return zone;
}

/** True for an IANA time zone name the runtime knows (`UTC`, `America/New_York`, `Asia/Kolkata`). */
export function isValidTimeZone(tz: string): boolean {
  return zoneFor(tz) !== undefined;
}

function zoneOrThrow(tz: string): Zone {
  const zone = zoneFor(tz);
  if (!zone) {
    throw new Error(
      `invalid time zone ${JSON.stringify(tz)}: expected an IANA name such as UTC or America/New_York`,
    );
  }
  return zone;
}

/** The zone's UTC offset at instant t (years 1 to 9999), in ms: wall clock minus UTC, to the second. */
function offsetAt(zone: Zone, t: number): number {
  const groups = zone.formatter.format(t).match(/\d+/g)!;
  const [year, month, day, hour, minute, second] = zone.order.map((i) => Number(groups[i]));
  const wall = new Date(0);
  wall.setUTCFullYear(year!, month! - 1, day!);
  wall.setUTCHours(hour!, minute!, second!, 0);
  return wall.getTime() - (t - (((t % 1000) + 1000) % 1000));
}

function isUtc(tz: string): boolean {
  return tz === 'UTC' || tz === 'Etc/UTC';
}

interface Resolved {
  /** the real instants at which this wall-clock tick fires (zero, one or two). */
  instants: number[];
  /** bounds of the offsets near this wall-clock time: every instant it could map to is in [L-max, L-min]. */
  minOffset: number;
  maxOffset: number;
}

/** Maps a wall-clock tick L (wall-clock time written as UTC ms) to the instants it fires at. */
function resolveWallClock(zone: Zone, cron: CompiledCron, L: number): Resolved {
  const sampled = [
    offsetAt(zone, L - LATEST_OFFSET_MS),
    offsetAt(zone, L),
    offsetAt(zone, L - EARLIEST_OFFSET_MS),
  ];
  const minOffset = Math.min(...sampled);
  const maxOffset = Math.max(...sampled);
  if (minOffset === maxOffset) return { instants: [L - minOffset], minOffset, maxOffset };
  const matches: number[] = [];
  for (const offset of new Set(sampled)) {
    const t = L - offset;
    if (offsetAt(zone, t) === offset && !matches.includes(t)) matches.push(t);
  }
  matches.sort((a, b) => a - b);
  if (matches.length === 0) {
    if (cron.everyHour) return { instants: [], minOffset, maxOffset };
    // Skipped by a spring-forward change: fire at the first instant whose wall clock is past L.
    let lo = L - maxOffset;
    let hi = L - minOffset;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (mid + offsetAt(zone, mid) >= L) hi = mid;
      else lo = mid;
    }
    return { instants: [hi], minOffset, maxOffset };
  }
  return { instants: cron.everyHour ? matches : matches.slice(0, 1), minOffset, maxOffset };
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function checkInstant(what: string, ms: number): void {
  if (!Number.isFinite(ms)) throw new Error(`${what} must be epoch milliseconds, got ${ms}`);
}

function tooManySteps(expr: string, tz: string, from: number): Error {
  return new Error(`cron ${JSON.stringify(expr)} in ${tz} has no tick near ${new Date(from).toISOString()}`);
}

/** Real ticks strictly after `after`, ascending. Infinite for every valid cron: callers bound it. */
export function* ticksAfter(expr: string, tz: string, after: number): Generator<number, void, undefined> {
  checkInstant('after', after);
  const cron = compile(expr);
  const zone = zoneOrThrow(tz);
  if (isUtc(tz)) {
    const it = parse(cron.fields, floorMinute(after));
    for (;;) yield it.next().getTime();
  }
  // Wall-clock times whose instants could come after `after` start at `after` plus the smallest
  // offset in use just after it.
  const offsets = [0, 13, 26, 40].map((h) => offsetAt(zone, after + h * HOUR_MS));
  const start = floorMinute(after + Math.min(...offsets));
  const it = parse(cron.fields, start - 1000);
  const pending: number[] = [];
  let last = after;
  let idle = 0;
  for (;;) {
    const L = it.next().getTime();
    const r = resolveWallClock(zone, cron, L);
    // Every instant of this or a later wall-clock tick is at least L - maxOffset.
    const bound = L - r.maxOffset;
    while (pending.length > 0 && pending[0]! < bound) {
      const t = pending.shift()!;
      if (t > last) {
        last = t;
        idle = 0;
        yield t;
      }
    }
    for (const t of r.instants) {
      if (t > last && !pending.includes(t)) pending.push(t);
    }
    pending.sort((a, b) => a - b);
    if (++idle > MAX_STEPS) throw tooManySteps(expr, tz, after);
  }
}

/** Real ticks at or before `atOrBefore`, descending. */
export function* ticksAtOrBefore(
  expr: string,
  tz: string,
  atOrBefore: number,
): Generator<number, void, undefined> {
  checkInstant('atOrBefore', atOrBefore);
  const cron = compile(expr);
  const zone = zoneOrThrow(tz);
  if (isUtc(tz)) {
    const it = parse(cron.fields, floorMinute(atOrBefore) + 1000);
    for (;;) yield it.prev().getTime();
  }
  const offsets = [0, 13, 26, 40].map((h) => offsetAt(zone, atOrBefore - h * HOUR_MS));
  const start = ceilMinute(atOrBefore + Math.max(...offsets));
  const it = parse(cron.fields, start + 1000);
  const pending: number[] = [];
  let last = atOrBefore + 1;
  let idle = 0;
  for (;;) {
    const L = it.prev().getTime();
    const r = resolveWallClock(zone, cron, L);
    // Every instant of this or an earlier wall-clock tick is at most L - minOffset.
    const bound = L - r.minOffset;
    while (pending.length > 0 && pending[0]! > bound) {
      const t = pending.shift()!;
      if (t < last) {
        last = t;
        idle = 0;
        yield t;
      }
    }
    for (const t of r.instants) {
      if (t < last && !pending.includes(t)) pending.push(t);
    }
    pending.sort((a, b) => b - a);
    if (++idle > MAX_STEPS) throw tooManySteps(expr, tz, atOrBefore);
  }
}

/** The first tick strictly after `afterMs`. */
export function nextTick(expr: string, tz: string, afterMs: number): number {
  for (const t of ticksAfter(expr, tz, afterMs)) return t;
  throw tooManySteps(expr, tz, afterMs);
}

/** The latest tick at or before `atOrBeforeMs`. */
export function previousTick(expr: string, tz: string, atOrBeforeMs: number): number {
  for (const t of ticksAtOrBefore(expr, tz, atOrBeforeMs)) return t;
  throw tooManySteps(expr, tz, atOrBeforeMs);
}

/** Every tick in (fromExclusive, toInclusive], ascending; throws beyond `limit` ticks. */
export function ticksBetween(
  expr: string,
  tz: string,
  fromExclusive: number,
  toInclusive: number,
  limit = 100_000,
): number[] {
  const out: number[] = [];
  if (toInclusive <= fromExclusive) return out;
  for (const t of ticksAfter(expr, tz, fromExclusive)) {
    if (t > toInclusive) break;
    if (out.length >= limit) {
      throw new Error(
        `cron ${JSON.stringify(expr)} in ${tz} ticks more than ${limit} times between ${new Date(fromExclusive).toISOString()} and ${new Date(toInclusive).toISOString()}`,
      );
    }
    out.push(t);
  }
  return out;
}
