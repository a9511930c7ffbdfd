import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUtc, isDateOnly, parseEndTimeValue, parseTimeValue } from '../../core/time.ts';

/** 2024-03-31 15:47:00 UTC: the reference the SQLMesh values below were computed against. */
const NOW = Date.UTC(2024, 2, 31, 15, 47);

/**
 * `sqlmesh.utils.date.to_timestamp(value, relative_base=2024-03-31 15:47:00 UTC)` from SQLMesh 0.236.4.
 */
const SQLMESH_TIMESTAMPS: Array<[string | number, number]> = [
  ['now', 1711900020000],
  ['NOW', 1711900020000],
  ['today', 1711843200000],
  ['Today', 1711843200000],
  ['yesterday', 1711756800000],
  ['tomorrow', 1711929600000],
  ['1 day ago', 1711756800000],
  ['1 days ago', 1711756800000],
  ['2 days ago', 1711670400000],
  ['2 DAYS AGO', 1711670400000],
  ['2days ago', 1711670400000],
  ['0 days ago', 1711843200000],
  ['1.5 days ago', 1711713600000],
  ['3 hours ago', 1711889220000],
  ['1 hour ago', 1711896420000],
  ['90 minutes ago', 1711894620000],
  ['1 minute ago', 1711899960000],
  ['10 seconds ago', 1711900010000],
  ['1 week ago', 1711238400000],
  ['2 weeks ago', 1710633600000],
  ['1 month ago', 1709164800000],
  ['13 months ago', 1677542400000],
  ['1 year ago', 1680220800000],
  ['2020-01-01', 1577836800000],
  ['2024-02-29', 1709164800000],
  ['2020-01-01 12:30:00', 1577881800000],
  ['2020-01-01 12:30', 1577881800000],
  ['2020-01-01T12:30:00Z', 1577881800000],
  ['2020-01-01T12:30:00+02:00', 1577874600000],
  ['2020-01-01T12:30:00.123', 1577881800123],
  ['20200101', 1577836800000],
  [20200101, 1577836800000],
  ['1577836800000', 1577836800000],
  [1577836800000, 1577836800000],
];

describe('parseTimeValue', () => {
  it.each(SQLMESH_TIMESTAMPS)('reads %j as SQLMesh does', (value, expected) => {
    expect(parseTimeValue(value, NOW)).toBe(expected);
  });

  it('reads relative expressions against the minute-floored now, as SQLMesh reads its own clock', () => {
    const withSeconds = NOW + 30_500;
    expect(parseTimeValue('now', withSeconds)).toBe(NOW);
    expect(parseTimeValue('3 hours ago', withSeconds)).toBe(NOW - 3 * 3_600_000);
    expect(parseTimeValue('today', withSeconds)).toBe(Date.UTC(2024, 2, 31));
  });

  it('accepts a JS Date (YAML timestamps) and offsets in several spellings', () => {
    expect(parseTimeValue(new Date('2021-06-01T00:00:00Z'), NOW)).toBe(Date.UTC(2021, 5, 1));
    expect(parseTimeValue('2020-01-01 12:30:00-0530', NOW)).toBe(Date.UTC(2020, 0, 1, 18, 0));
    expect(parseTimeValue('2020-01-01T12:30:00+05', NOW)).toBe(Date.UTC(2020, 0, 1, 7, 30));
    expect(parseTimeValue('  2020-01-01t12:30:00z ', NOW)).toBe(Date.UTC(2020, 0, 1, 12, 30));
  });

  it('subtracts calendar months and years, clamping to the end of the month', () => {
    const mar31 = Date.UTC(2023, 2, 31, 9);
    expect(parseTimeValue('1 month ago', mar31)).toBe(Date.UTC(2023, 1, 28));
    expect(parseTimeValue('1 year ago', Date.UTC(2024, 1, 29, 12))).toBe(Date.UTC(2023, 1, 28));
  });

  it('round-trips every formatted instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        expect(parseTimeValue(formatUtc(ms), NOW)).toBe(ms);
      }),
    );
  });

  it('rejects a date that does not exist, naming the value and the accepted forms', () => {
    expect(() => parseTimeValue('2020-02-30', NOW)).toThrow(
      /^invalid time value "2020-02-30" \(no such date\): expected a date \(2020-01-01\), a timestamp .*relative expression \(now, today, yesterday, tomorrow, 'N <unit>s ago'/,
    );
  });

  it('rejects words it does not know', () => {
    expect(() => parseTimeValue('last week', NOW)).toThrow('invalid time value "last week": expected a date');
    expect(() => parseTimeValue('in 2 days', NOW)).toThrow('invalid time value "in 2 days"');
    expect(() => parseTimeValue('3 fortnights ago', NOW)).toThrow('invalid time value "3 fortnights ago"');
  });

  it('rejects out-of-range times, offsets, fractional months and empty values', () => {
    expect(() => parseTimeValue('2020-01-01 24:00:00', NOW)).toThrow(
      'invalid time value "2020-01-01 24:00:00" (no such date or time)',
    );
    expect(() => parseTimeValue('2020-01-01T00:00:00+25:00', NOW)).toThrow('(bad offset +25:00)');
    expect(() => parseTimeValue('1.5 months ago', NOW)).toThrow('(months must be a whole number)');
    expect(() => parseTimeValue('  ', NOW)).toThrow('invalid time value "  " (empty)');
    expect(() => parseTimeValue(Number.NaN, NOW)).toThrow('invalid time value NaN (not a finite number)');
    expect(() => parseTimeValue(new Date('nope'), NOW)).toThrow('(invalid Date)');
  });
});

describe('end values', () => {
  it('treats a date-only end as the whole day, as SQLMesh make_exclusive does', () => {
    expect(isDateOnly('2020-01-05')).toBe(true);
    expect(isDateOnly('20200105')).toBe(true);
    expect(isDateOnly('2020-01-05 00:00:00')).toBe(false);
    expect(isDateOnly('yesterday')).toBe(false);
    expect(parseEndTimeValue('2020-01-05', NOW)).toBe(Date.UTC(2020, 0, 6));
    expect(parseEndTimeValue('2020-01-05 06:00:00', NOW)).toBe(Date.UTC(2020, 0, 5, 6));
    expect(parseEndTimeValue('yesterday', NOW)).toBe(Date.UTC(2024, 2, 30));
  });
});

describe('formatUtc', () => {
  it('prints UTC with milliseconds only when there are some', () => {
    expect(formatUtc(Date.UTC(2020, 0, 1))).toBe('2020-01-01 00:00:00');
    expect(formatUtc(Date.UTC(2020, 0, 1, 12, 30, 5, 250))).toBe('2020-01-01 12:30:05.250');
  });
});
