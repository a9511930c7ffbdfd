import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addUnits,
  ceilToUnit,
  floorToUnit,
  INTERVAL_UNITS,
  inferIntervalUnit,
  intervalUnitIssue,
  isIntervalUnit,
  smallestGapMs,
  UNIT_MIN_MS,
  unitMs,
  unitsBetween,
} from '../../core/interval-unit.ts';
import type { IntervalUnit } from '../../core/project/types.ts';

/** `IntervalUnit.from_cron(cron)` from SQLMesh 0.236.4. */
const SQLMESH_FROM_CRON: Array<[string, IntervalUnit]> = [
  ['@yearly', 'year'],
  ['@annually', 'year'],
  ['@monthly', 'month'],
  ['@weekly', 'day'],
  ['@daily', 'day'],
  ['@hourly', 'hour'],
  ['0 0 * * *', 'day'],
  ['0 10 * * *', 'day'],
  ['0 */2 * * *', 'hour'],
  ['*/30 * * * *', 'half_hour'],
  ['*/15 * * * *', 'quarter_hour'],
  ['*/20 * * * *', 'quarter_hour'],
  ['*/10 * * * *', 'five_minute'],
  ['*/5 * * * *', 'five_minute'],
  ['0 0 1 */3 *', 'month'],
  ['0 0 * * 1-5', 'day'],
  ['0 9-17 * * *', 'hour'],
  ['0 0 1,15 * *', 'day'],
  ['0 0 29 2 *', 'year'],
  ['30 2 * * 0', 'day'],
  ['0 0,12 * * *', 'hour'],
  ['0 0 L * *', 'month'],
  ['45 * * * *', 'hour'],
  ['0 0 1 1,7 *', 'month'],
];

const D = (iso: string) => Date.parse(iso);

describe('inferIntervalUnit', () => {
  it.each(SQLMESH_FROM_CRON)('%s -> %s as SQLMesh infers it', (cron, unit) => {
    expect(inferIntervalUnit(cron)).toBe(unit);
  });

  it('gives minute to crons firing more often than every five minutes', () => {
    expect(inferIntervalUnit('* * * * *')).toBe('minute');
    expect(inferIntervalUnit('*/2 * * * *')).toBe('minute');
    expect(inferIntervalUnit('0,3 * * * *')).toBe('minute');
  });

  it('sees a short gap that comes only at the full hour, whatever the time', () => {
    // */7 fires at :56 and then :00, four minutes apart.
    expect(smallestGapMs('*/7 * * * *')).toBe(4 * 60_000);
    expect(inferIntervalUnit('*/7 * * * *')).toBe('minute');
    // 0 */7: 21:00 then 00:00, three hours apart.
    expect(inferIntervalUnit('0 */7 * * *')).toBe('hour');
  });

  it('rejects an invalid cron', () => {
    expect(() => inferIntervalUnit('0 0 0 * * *')).toThrow('invalid cron "0 0 0 * * *": six fields');
  });
});

describe('intervalUnitIssue', () => {
  it('accepts a unit no longer than the cron allows', () => {
    expect(intervalUnitIssue('@daily', 'hour')).toBeUndefined();
    expect(intervalUnitIssue('@daily', 'day')).toBeUndefined();
  });

  it('rejects a unit longer than the gap between ticks', () => {
    expect(intervalUnitIssue('@hourly', 'day')).toBe(
      "cron '@hourly' fires more often than interval unit 'day' (at most 'hour' fits it)",
    );
  });
});

describe('unit arithmetic', () => {
  it('lists the units largest first', () => {
    expect(INTERVAL_UNITS).toEqual([
      'year',
      'month',
      'day',
      'hour',
      'half_hour',
      'quarter_hour',
      'five_minute',
      'minute',
    ]);
    expect(isIntervalUnit('half_hour')).toBe(true);
    expect(isIntervalUnit('week')).toBe(false);
  });

  it('floors to UTC boundaries', () => {
    const t = D('2024-02-29T13:47:12.345Z');
    expect(new Date(floorToUnit(t, 'year')).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(new Date(floorToUnit(t, 'month')).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(new Date(floorToUnit(t, 'day')).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(floorToUnit(t, 'hour')).toISOString()).toBe('2024-02-29T13:00:00.000Z');
    expect(new Date(floorToUnit(t, 'half_hour')).toISOString()).toBe('2024-02-29T13:30:00.000Z');
    expect(new Date(floorToUnit(t, 'quarter_hour')).toISOString()).toBe('2024-02-29T13:45:00.000Z');
    expect(new Date(floorToUnit(t, 'five_minute')).toISOString()).toBe('2024-02-29T13:45:00.000Z');
    expect(new Date(floorToUnit(t, 'minute')).toISOString()).toBe('2024-02-29T13:47:00.000Z');
    expect(new Date(floorToUnit(D('1969-12-31T23:59:59Z'), 'day')).toISOString()).toBe(
      '1969-12-31T00:00:00.000Z',
    );
  });

  it('steps months and years on the calendar', () => {
    expect(new Date(addUnits(D('2024-01-01T00:00:00Z'), 'month', 1)).toISOString()).toBe(
      '2024-02-01T00:00:00.000Z',
    );
    expect(new Date(addUnits(D('2024-01-31T00:00:00Z'), 'month', 1)).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
    expect(new Date(addUnits(D('2024-03-01T00:00:00Z'), 'month', -14)).toISOString()).toBe(
      '2023-01-01T00:00:00.000Z',
    );
    expect(new Date(addUnits(D('2024-02-29T00:00:00Z'), 'year', 1)).toISOString()).toBe(
      '2025-02-28T00:00:00.000Z',
    );
    expect(new Date(ceilToUnit(D('2024-02-01T00:00:00.001Z'), 'month')).toISOString()).toBe(
      '2024-03-01T00:00:00.000Z',
    );
    expect(unitsBetween(D('2023-11-01T00:00:00Z'), D('2024-02-01T00:00:00Z'), 'month')).toBe(3);
    expect(unitsBetween(D('2020-01-01T00:00:00Z'), D('2024-01-01T00:00:00Z'), 'year')).toBe(4);
    expect(unitsBetween(D('2020-01-01T00:00:00Z'), D('2020-01-01T02:00:00Z'), 'quarter_hour')).toBe(8);
  });

  it('gives fixed lengths only to fixed units', () => {
    expect(unitMs('five_minute')).toBe(300_000);
    expect(unitMs('day')).toBe(86_400_000);
    expect(() => unitMs('month')).toThrow('interval unit month has no fixed length; step it with addUnits');
    expect(UNIT_MIN_MS.month).toBe(28 * 86_400_000);
  });

  it('floors every instant into the unit interval that holds it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1950, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...INTERVAL_UNITS),
        fc.integer({ min: -30, max: 30 }),
        (ms, unit, n) => {
          const floor = floorToUnit(ms, unit);
          const next = addUnits(floor, unit, 1);
          expect(floor).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(next);
          expect(floorToUnit(floor, unit)).toBe(floor);
          expect(floorToUnit(next, unit)).toBe(next);
          expect(next - floor).toBeGreaterThanOrEqual(UNIT_MIN_MS[unit]);
          const moved = addUnits(floor, unit, n);
          expect(floorToUnit(moved, unit)).toBe(moved);
          expect(unitsBetween(floor, moved, unit)).toBe(n);
          expect(ceilToUnit(ms, unit)).toBe(ms === floor ? floor : next);
        },
      ),
    );
  });
});
