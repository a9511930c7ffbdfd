import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, nextTick, previousTick, ticksBetween, validateCron } from '../../core/cron.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONES = [
  'America/New_York',
  'Europe/London',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Europe/Berlin',
] as const;

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time of instant t in zone, written as UTC ms: an oracle independent of core/cron.ts. */
function wallClock(zone: string, t: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** Instants in [from, to) at which the zone's UTC offset changes, found by scanning and bisection. */
function transitions(zone: string, from: number, to: number): number[] {
  const offset = (t: number) => wallClock(zone, t) - t;
  const out: number[] = [];
  for (let t = from; t < to; t += 6 * HOUR) {
    if (offset(t) === offset(t + 6 * HOUR)) continue;
    let lo = t;
    let hi = t + 6 * HOUR;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

/**
 * Expected ticks by brute force over every real minute of a window, for a cron `minutes hours * * *`:
 * with hours `*` every real minute whose wall clock matches; otherwise, for each wall-clock time the
 * cron names, the first instant whose wall clock has reached it (its first occurrence, or the end of
 * the gap that skipped it).
 */
function oracleTicks(
  zone: string,
  minutes: number[],
  hours: number[] | '*',
  from: number,
  to: number,
): number[] {
  const instants: number[] = [];
  for (let t = from; t <= to; t += MINUTE) instants.push(t);
  const walls = instants.map((t) => wallClock(zone, t));
  const matches = (wall: number) => {
    const d = new Date(wall);
    return minutes.includes(d.getUTCMinutes()) && (hours === '*' || hours.includes(d.getUTCHours()));
  };
  if (hours === '*') return instants.filter((_, i) => matches(walls[i]!));
  const out = new Set<number>();
  const firstWall = Math.min(...walls);
  const lastWall = Math.max(...walls);
  for (let target = firstWall; target <= lastWall; target += MINUTE) {
    if (!matches(target)) continue;
    const i = walls.findIndex((w) => w >= target);
    // A target before the window's first instant reached it outside the window.
    if (i > 0 || (i === 0 && walls[0] === target)) out.add(instants[i]!);
  }
  return [...out].sort((a, b) => a - b);
}

describe('validateCron', () => {
  it.each([
    '* * * * *',
    '0 0 * * *',
    '30 2 * * 1-5',
    '*/15 9-17 * * MON-FRI',
    '0 0 1 */3 *',
    '0 0 L * *',
    '0 0 * * 1#2',
    '0 12 * JAN,JUL THU',
    '@hourly',
    '@daily',
    '@midnight',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '@DAILY',
    '  0   0 * * *  ',
  ])('accepts %j', (expr) => {
    expect(validateCron(expr)).toBeUndefined();
  });

  it.each([
    ['0 0 0 * * *', 'invalid cron "0 0 0 * * *": six fields (seconds) are not supported; use five fields'],
    [
      '0 0 * *',
      'invalid cron "0 0 * *": expected five fields (minute hour day-of-month month day-of-week), got 4',
    ],
    ['', 'invalid cron "": empty'],
    ['daily', 'invalid cron "daily": expected five fields'],
    ['@weekdays', 'invalid cron "@weekdays": unknown shortcut; use @yearly, @annually, @monthly'],
    ['61 * * * *', 'invalid cron "61 * * * *": Constraint error, got value 61 expected range 0-59'],
    ['0 25 * * *', 'invalid cron "0 25 * * *": Constraint error, got value 25 expected range 0-23'],
    ['0 0 31 2 *', 'invalid cron "0 0 31 2 *": Invalid explicit day of month definition'],
    ['*/0 * * * *', 'invalid cron "*/0 * * * *": Constraint error, cannot repeat at every 0 time.'],
    ['H * * * *', 'invalid cron "H * * * *": hashed values (H) are not supported in the minute field'],
    ['? * * * *', 'invalid cron "? * * * *": unexpected character in minute field "?"'],
    [
      '0 0 * * 5L',
      'invalid cron "0 0 * * 5L": "last weekday of month" (L) is not supported in the day of week field',
    ],
    ['0 0 * * foo', 'invalid cron "0 0 * * foo": Validation error, cannot resolve alias "foo"'],
  ])('rejects %j', (expr, message) => {
    expect(validateCron(expr)).toContain(message);
  });
});

describe('time zones', () => {
  it('knows IANA names', () => {
    for (const zone of [...ZONES, 'UTC', 'Etc/GMT+5', 'America/Argentina/Buenos_Aires']) {
      expect(isValidTimeZone(zone), zone).toBe(true);
    }
    for (const zone of ['Mars/Olympus_Mons', '+05:00', 'GMT+5', '', 'New York']) {
      expect(isValidTimeZone(zone), zone).toBe(false);
    }
  });

  it('rejects a bad zone with its name', () => {
    expect(() => nextTick('@daily', 'Mars/Olympus_Mons', 0)).toThrow(
      'invalid time zone "Mars/Olympus_Mons": expected an IANA name such as UTC or America/New_York',
    );
  });

  it('rejects an invalid cron when asked for ticks', () => {
    expect(() => nextTick('0 0 0 * * *', 'UTC', 0)).toThrow('six fields (seconds) are not supported');
  });

  it('rejects an instant that is not a number', () => {
    expect(() => nextTick('@daily', 'UTC', Number.NaN)).toThrow('after must be epoch milliseconds, got NaN');
    expect(() => previousTick('@daily', 'Europe/Berlin', Number.POSITIVE_INFINITY)).toThrow(
      'atOrBefore must be epoch milliseconds, got Infinity',
    );
  });
});

describe('ticks in UTC', () => {
  it('nextTick is strictly after, previousTick at or before', () => {
    const midnight = at('2024-01-02T00:00:00Z');
    expect(iso(nextTick('@daily', 'UTC', midnight))).toBe('2024-01-03T00:00:00.000Z');
    expect(iso(nextTick('@daily', 'UTC', midnight - 1))).toBe('2024-01-02T00:00:00.000Z');
    expect(iso(previousTick('@daily', 'UTC', midnight))).toBe('2024-01-02T00:00:00.000Z');
    expect(iso(previousTick('@daily', 'UTC', midnight - 1))).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(nextTick('*/5 * * * *', 'UTC', at('2024-01-02T10:04:59.999Z')))).toBe(
      '2024-01-02T10:05:00.000Z',
    );
    expect(iso(previousTick('*/5 * * * *', 'UTC', at('2024-01-02T10:09:59.999Z')))).toBe(
      '2024-01-02T10:05:00.000Z',
    );
  });

  it('lists ticks in (from, to]', () => {
    expect(
      ticksBetween('0 */6 * * *', 'UTC', at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:00Z')).map(iso),
    ).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T12:00:00.000Z',
      '2024-01-01T18:00:00.000Z',
      '2024-01-02T00:00:00.000Z',
    ]);
    expect(ticksBetween('@daily', 'UTC', 10, 5)).toEqual([]);
    expect(() => ticksBetween('* * * * *', 'UTC', 0, DAY, 100)).toThrow('ticks more than 100 times');
  });

  it('reads day of month and day of week as either, like cron and croniter', () => {
    expect(
      ticksBetween('0 0 13 * 5', 'UTC', at('2024-09-01T00:00:00Z'), at('2024-09-15T00:00:00Z')).map(iso),
    ).toEqual(['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z']);
  });
});

describe('ticks across daylight saving time changes', () => {
  const cases: Array<[string, string, string, string, string[]]> = [
    // zone, cron, from, to, expected ticks in (from, to]
    [
      'America/New_York',
      '30 2 * * *',
      '2024-03-08T12:00:00Z',
      '2024-03-11T12:00:00Z',
      [
        '2024-03-09T07:30:00.000Z',
        '2024-03-10T07:00:00.000Z', // 02:30 does not exist: 03:00 EDT
        '2024-03-11T06:30:00.000Z',
      ],
    ],
    [
      'America/New_York',
      '30 1 * * *',
      '2024-11-01T12:00:00Z',
      '2024-11-04T12:00:00Z',
      [
        '2024-11-02T05:30:00.000Z',
        '2024-11-03T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not fire again
        '2024-11-04T06:30:00.000Z',
      ],
    ],
    [
      'America/New_York',
      '*/15 2 * * *',
      '2024-03-10T00:00:00Z',
      '2024-03-10T23:59:00Z',
      [
        '2024-03-10T07:00:00.000Z', // 02:00, 02:15, 02:30 and 02:45 all skipped: one tick at 03:00 EDT
      ],
    ],
    [
      'America/New_York',
      '0 * * * *',
      '2024-03-10T04:30:00Z',
      '2024-03-10T08:30:00Z',
      [
        '2024-03-10T05:00:00.000Z',
        '2024-03-10T06:00:00.000Z', // 01:00 EST
        '2024-03-10T07:00:00.000Z', // 03:00 EDT
        '2024-03-10T08:00:00.000Z',
      ],
    ],
    [
      'America/New_York',
      '0 * * * *',
      '2024-11-03T03:30:00Z',
      '2024-11-03T07:30:00Z',
      [
        '2024-11-03T04:00:00.000Z',
        '2024-11-03T05:00:00.000Z', // 01:00 EDT
        '2024-11-03T06:00:00.000Z', // 01:00 EST
        '2024-11-03T07:00:00.000Z',
      ],
    ],
    [
      'America/New_York',
      '*/20 * * * *',
      '2024-11-03T05:30:00Z',
      '2024-11-03T06:30:00Z',
      ['2024-11-03T05:40:00.000Z', '2024-11-03T06:00:00.000Z', '2024-11-03T06:20:00.000Z'],
    ],
    [
      'Europe/London',
      '30 1 * * *',
      '2024-03-30T00:00:00Z',
      '2024-04-01T12:00:00Z',
      [
        '2024-03-30T01:30:00.000Z',
        '2024-03-31T01:00:00.000Z', // 01:30 GMT does not exist: 02:00 BST
        '2024-04-01T00:30:00.000Z',
      ],
    ],
    [
      'Europe/London',
      '30 1 * * *',
      '2024-10-26T00:00:00Z',
      '2024-10-28T12:00:00Z',
      [
        '2024-10-26T00:30:00.000Z',
        '2024-10-27T00:30:00.000Z', // 01:30 BST only
        '2024-10-28T01:30:00.000Z',
      ],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2024-03-30T00:00:00Z',
      '2024-04-01T12:00:00Z',
      [
        '2024-03-30T01:30:00.000Z',
        '2024-03-31T01:00:00.000Z', // 02:30 CET does not exist: 03:00 CEST
        '2024-04-01T00:30:00.000Z',
      ],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2024-10-26T00:00:00Z',
      '2024-10-28T12:00:00Z',
      [
        '2024-10-26T00:30:00.000Z',
        '2024-10-27T00:30:00.000Z', // 02:30 CEST only
        '2024-10-28T01:30:00.000Z',
      ],
    ],
    [
      'Australia/Sydney',
      '30 2 * * *',
      '2024-10-04T00:00:00Z',
      '2024-10-07T00:00:00Z',
      [
        '2024-10-04T16:30:00.000Z',
        '2024-10-05T16:00:00.000Z', // 02:30 AEST does not exist: 03:00 AEDT
        '2024-10-06T15:30:00.000Z',
      ],
    ],
    [
      'Australia/Sydney',
      '30 2 * * *',
      '2024-04-05T00:00:00Z',
      '2024-04-08T00:00:00Z',
      [
        '2024-04-05T15:30:00.000Z',
        '2024-04-06T15:30:00.000Z', // 02:30 AEDT only
        '2024-04-07T16:30:00.000Z',
      ],
    ],
    [
      'Asia/Kolkata',
      '0 0 * * *',
      '2024-03-09T00:00:00Z',
      '2024-03-11T00:00:00Z',
      ['2024-03-09T18:30:00.000Z', '2024-03-10T18:30:00.000Z'],
    ],
    [
      'Asia/Kolkata',
      '0 * * * *',
      '2024-03-09T00:00:00Z',
      '2024-03-09T02:00:00Z',
      ['2024-03-09T00:30:00.000Z', '2024-03-09T01:30:00.000Z'],
    ],
  ];

  it.each(cases)('%s %s', (zone, cron, from, to, expected) => {
    const ticks = ticksBetween(cron, zone, at(from), at(to));
    expect(ticks.map(iso)).toEqual(expected);
    // nextTick and previousTick agree with the list, tick by tick.
    let cursor = at(from);
    for (const tick of ticks) {
      expect(iso(nextTick(cron, zone, cursor))).toBe(iso(tick));
      expect(iso(previousTick(cron, zone, tick))).toBe(iso(tick));
      expect(iso(previousTick(cron, zone, nextTick(cron, zone, tick) - 1))).toBe(iso(tick));
      cursor = tick;
    }
  });

  it('ticks every real minute through both changes for * * * * *', () => {
    const spring = ticksBetween(
      '* * * * *',
      'America/New_York',
      at('2024-03-10T06:58:00Z'),
      at('2024-03-10T07:02:00Z'),
    );
    expect(spring.map(iso)).toEqual([
      '2024-03-10T06:59:00.000Z',
      '2024-03-10T07:00:00.000Z',
      '2024-03-10T07:01:00.000Z',
      '2024-03-10T07:02:00.000Z',
    ]);
    const fall = ticksBetween(
      '* * * * *',
      'America/New_York',
      at('2024-11-03T04:00:00Z'),
      at('2024-11-03T08:00:00Z'),
    );
    expect(fall.length).toBe(240);
  });
});

describe('DST properties in five zones', () => {
  const year = (y: number) => [Date.UTC(y, 0, 1) - 14 * HOUR, Date.UTC(y + 1, 0, 1) + 14 * HOUR] as const;

  /** Local calendar date (YYYY-MM-DD) of an instant. */
  const localDate = (zone: string, t: number) => new Date(wallClock(zone, t)).toISOString().slice(0, 10);

  it.each(ZONES)('a daily cron ticks exactly once on every day of 2024 in %s', (zone) => {
    for (const cron of ['30 2 * * *', '30 1 * * *', '0 0 * * *', '0 3 * * *', '59 23 * * *']) {
      const [from, to] = year(2024);
      const ticks = ticksBetween(cron, zone, from, to);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
      const days = ticks.map((t) => localDate(zone, t)).filter((d) => d.startsWith('2024-'));
      expect(new Set(days).size, cron).toBe(days.length);
      expect(days.length, cron).toBe(366);
    }
  });

  it('a daily cron at any time of day ticks once per local day around every change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 2000, max: 2037 }),
        fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 23 })),
        fc.constantFrom(0, 15, 30, 45, 59),
        (zone, y, hour, minute) => {
          const [from, to] = year(y);
          const changes = transitions(zone, from, to);
          const windows = changes.length > 0 ? changes : [Date.UTC(y, 5, 1)];
          for (const change of windows) {
            const ticks = ticksBetween(`${minute} ${hour} * * *`, zone, change - 3 * DAY, change + 3 * DAY);
            for (let i = 1; i < ticks.length; i++) expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
            const days = ticks.map((t) => localDate(zone, t));
            expect(new Set(days).size).toBe(days.length);
            for (let i = 1; i < days.length; i++) {
              expect(Date.parse(days[i]!) - Date.parse(days[i - 1]!)).toBe(DAY);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an hourly cron ticks once per real hour, never twice at one instant, around every change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 2000, max: 2037 }),
        fc.integer({ min: 0, max: 59 }),
        (zone, y, minute) => {
          const [from, to] = year(y);
          const changes = transitions(zone, from, to);
          for (const change of changes.length > 0 ? changes : [Date.UTC(y, 5, 1)]) {
            const ticks = ticksBetween(`${minute} * * * *`, zone, change - 12 * HOUR, change + 12 * HOUR);
            expect(ticks.length).toBeGreaterThanOrEqual(23);
            for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(HOUR);
            for (const t of ticks) expect(new Date(wallClock(zone, t)).getUTCMinutes()).toBe(minute);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ticks equal a brute-force scan of every minute around each change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 2000, max: 2037 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 4 }),
        fc.oneof(
          fc.constant('*' as const),
          fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
          fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 6 }),
        ),
        (zone, y, minutes, hours) => {
          const cron = `${[...minutes].sort((a, b) => a - b).join(',')} ${hours === '*' ? '*' : [...hours].sort((a, b) => a - b).join(',')} * * *`;
          const [from, to] = year(y);
          const change = transitions(zone, from, to)[0] ?? Date.UTC(y, 2, 1);
          const start = change - 20 * HOUR;
          const end = change + 20 * HOUR;
          const expected = oracleTicks(zone, minutes, hours, start + MINUTE, end);
          expect(ticksBetween(cron, zone, start, end).map(iso), cron).toEqual(expected.map(iso));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('previousTick and nextTick bracket every instant', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES, 'UTC'),
        fc.constantFrom(
          '30 2 * * *',
          '0 * * * *',
          '*/20 1,2 * * *',
          '15 3 * * 0',
          '0 0 1 * *',
          '45 */3 * * *',
        ),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (zone, cron, t) => {
          const previous = previousTick(cron, zone, t);
          const next = nextTick(cron, zone, t);
          expect(previous).toBeLessThanOrEqual(t);
          expect(next).toBeGreaterThan(t);
          // no tick falls in (previous, t]
          expect(nextTick(cron, zone, previous)).toBe(next);
          expect(previousTick(cron, zone, next - 1)).toBe(previous);
          expect(previousTick(cron, zone, next)).toBe(next);
        },
      ),
      { numRuns: 200 },
    );
  });
});
