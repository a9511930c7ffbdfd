import { describe, expect, it } from 'vitest';
import { strftime, timeRangeCondition } from '../../../core/execution/time-filter.ts';
import { days } from './model.ts';

describe('timeRangeCondition', () => {
  it('selects [start, end) with TIMESTAMP values', () => {
    expect(timeRangeCondition({ column: 'event_date' }, days('2020-01-01', 2))).toBe(
      `"event_date" >= CAST('2020-01-01 00:00:00' AS TIMESTAMP) AND "event_date" < CAST('2020-01-03 00:00:00' AS TIMESTAMP)`,
    );
  });

  it('uses TIMESTAMPTZ values with a UTC offset for a column declared with a time zone', () => {
    const interval = [Date.UTC(2020, 0, 1, 5), Date.UTC(2020, 0, 1, 6)] as const;
    for (const type of ['TIMESTAMPTZ', 'timestamp with time zone', 'TIMESTAMP(3) WITH TIME ZONE']) {
      expect(timeRangeCondition({ column: '"At"' }, interval, [{ name: 'At', type }])).toBe(
        `"At" >= CAST('2020-01-01 05:00:00+00:00' AS TIMESTAMPTZ) AND "At" < CAST('2020-01-01 06:00:00+00:00' AS TIMESTAMPTZ)`,
      );
    }
    expect(timeRangeCondition({ column: 'at' }, interval, [{ name: 'at', type: 'TIMESTAMP' }])).toContain(
      'AS TIMESTAMP)',
    );
  });

  it('compares formatted strings for a string column with a format, as SQLMesh does', () => {
    expect(timeRangeCondition({ column: 'ds', format: '%Y%m%d' }, days('2020-01-01', 3))).toBe(
      `"ds" BETWEEN '20200101' AND '20200103'`,
    );
    const hour = [Date.UTC(2020, 0, 1, 5), Date.UTC(2020, 0, 1, 6)] as const;
    expect(timeRangeCondition({ column: 'ts', format: '%Y-%m-%d %H:%M:%S.%f' }, hour)).toBe(
      `"ts" BETWEEN '2020-01-01 05:00:00.000000' AND '2020-01-01 05:59:59.999999'`,
    );
  });

  it('rejects an empty interval and an unsupported directive', () => {
    expect(() => timeRangeCondition({ column: 'ds' }, [5, 5])).toThrow('the start must be before the end');
    expect(() => timeRangeCondition({ column: 'ds', format: '%Q' }, days('2020-01-01'))).toThrow(
      'time column format "%Q": unsupported directive %Q',
    );
  });
});

describe('strftime', () => {
  const instant = { ms: Date.UTC(2021, 2, 7, 15, 4, 5, 123), extraMicros: 456 };
  it.each([
    ['%Y-%m-%d', '2021-03-07'],
    ['%y%m%d', '210307'],
    ['%H:%M:%S.%f', '15:04:05.123456'],
    ['%I %p', '03 PM'],
    ['%j', '066'],
    ['%b %B %a %A', 'Mar March Sun Sunday'],
    ['%F %T', '2021-03-07 15:04:05'],
    ['100%%', '100%'],
  ])('%s -> %s', (format, expected) => {
    expect(strftime(instant, format)).toBe(expected);
  });
});
