import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cronPeriodMs,
  OVER_SCHEDULED_MIN_RUNS,
  OVER_SCHEDULED_RECENT_RUNS,
  overScheduled,
  overScheduledAverage,
  overScheduledMessage,
} from '../../core/over-scheduled.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A Thursday, mid-afternoon UTC: none of the crons below ticks at this instant. */
const AT = Date.parse('2026-06-04T14:37:00Z');

describe('a cron period', () => {
  it('is the gap between ticks of a regular cron, whatever the time of day it is judged at', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 366 * DAY }), (offset) => {
        const at = Date.parse('2026-01-01T00:00:00Z') + offset;
        expect(cronPeriodMs('* * * * *', 'UTC', at)).toBe(MINUTE);
        expect(cronPeriodMs('*/5 * * * *', 'UTC', at)).toBe(5 * MINUTE);
        expect(cronPeriodMs('@hourly', 'Asia/Kolkata', at)).toBe(HOUR);
      }),
      { numRuns: 50 },
    );
    expect(cronPeriodMs('@daily', 'UTC', AT)).toBe(DAY);
  });

  it("is a varying cron's usual gap, not the weekend or the short stretch that comes next", () => {
    // Weekdays at 09:00: judged on Thursday and on Friday evening, the weekend's three days do not count.
    expect(cronPeriodMs('0 9 * * 1-5', 'UTC', AT)).toBe(DAY);
    expect(cronPeriodMs('0 9 * * 1-5', 'UTC', Date.parse('2026-06-05T18:00:00Z'))).toBe(DAY);
    // Twice an evening an hour apart: the hour is what a long execution collides with.
    expect(cronPeriodMs('0 20,21 * * *', 'UTC', AT)).toBe(HOUR);
  });

  it('follows the wall clock of its time zone across a daylight saving change', () => {
    // The night America/New_York springs forward (2026-03-08) is 23 hours long, but the usual day is 24.
    const beforeChange = Date.parse('2026-03-06T12:00:00Z');
    expect(cronPeriodMs('0 0 * * *', 'America/New_York', beforeChange)).toBe(DAY);
    expect(cronPeriodMs('*/30 * * * *', 'America/New_York', beforeChange)).toBe(30 * MINUTE);
  });
});

describe('over-scheduling', () => {
  const minute = (durationsMs: number[]) =>
    overScheduled({ cron: '* * * * *', cronTz: 'UTC', durationsMs }, AT);

  it('needs enough recent executions before it judges', () => {
    expect(OVER_SCHEDULED_MIN_RUNS).toBe(3);
    expect(minute([])).toBeNull();
    expect(minute([600_000, 600_000])).toBeNull();
    expect(overScheduledAverage([70_000, 80_000], MINUTE)).toBeNull();
    expect(minute([90_000, 90_000, 90_000])).toMatchObject({ executions: 3, averageMs: 90_000 });
  });

  it('is strictly longer than the period: exactly the period is not over-scheduled', () => {
    expect(minute([MINUTE, MINUTE, MINUTE])).toBeNull();
    expect(minute([MINUTE + 3, MINUTE, MINUTE])).toMatchObject({ averageMs: MINUTE + 1 });
    expect(minute([MINUTE - 3, MINUTE, MINUTE + 3])).toBeNull();
    expect(overScheduledAverage([70_000, 80_000, 30_000], MINUTE)).toBeNull();
  });

  it('averages only the latest executions', () => {
    const recent = [90_000, 90_000, 90_000, 90_000, 100_000];
    expect(OVER_SCHEDULED_RECENT_RUNS).toBe(5);
    expect(minute([...recent, 1, 1, 1])).toMatchObject({ executions: 5, averageMs: 92_000 });
    // The model got faster: its latest five are under the period, its slow past does not count.
    expect(minute([10_000, 10_000, 10_000, 10_000, 10_000, 900_000, 900_000])).toBeNull();
  });

  it('judges each cron by its own period', () => {
    const hour = [2 * HOUR, 2 * HOUR, 2 * HOUR];
    expect(overScheduled({ cron: '@hourly', cronTz: 'UTC', durationsMs: hour }, AT)).not.toBeNull();
    expect(overScheduled({ cron: '@daily', cronTz: 'UTC', durationsMs: hour }, AT)).toBeNull();
    expect(overScheduled({ cron: '0 9 * * 1-5', cronTz: 'Europe/Berlin', durationsMs: hour }, AT)).toBeNull();
    const weekdaysOver = overScheduled(
      { cron: '0 9 * * 1-5', cronTz: 'Europe/Berlin', durationsMs: [30 * HOUR, 30 * HOUR, 30 * HOUR] },
      Date.parse('2026-06-05T18:00:00Z'),
    );
    expect(weekdaysOver).toMatchObject({ periodMs: DAY, averageMs: 30 * HOUR });
  });

  it('says what it measured and what to change', () => {
    expect(minute([92_000, 92_000, 92_000, 92_000, 92_000])?.message).toBe(
      'over-scheduled: its last 5 executions took 92 s on average, longer than its cron period of 60 s ' +
        '(* * * * *); give it a longer cron or larger batches (batch_size)',
    );
    expect(
      overScheduledMessage({
        executions: 3,
        averageMs: 30 * HOUR,
        periodMs: DAY,
        cron: '0 9 * * 1-5',
        cronTz: 'Europe/Berlin',
      }),
    ).toBe(
      'over-scheduled: its last 3 executions took 30 h on average, longer than its cron period of 24 h ' +
        '(0 9 * * 1-5 in Europe/Berlin); give it a longer cron or larger batches (batch_size)',
    );
    expect(
      overScheduledMessage({
        executions: 4,
        averageMs: 20 * MINUTE,
        periodMs: 15 * MINUTE,
        cron: '*/15 * * * *',
        cronTz: 'UTC',
      }),
    ).toContain('took 20 min on average, longer than its cron period of 15 min (*/15 * * * *)');
  });
});
