/**
 * The one check of a restatement's range: bounds, order, the models' life and their interval
 * boundaries, with examples and properties (any range of whole intervals within the life is taken;
 * any backwards or misaligned range is refused naming the field).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUnits, floorToUnit, INTERVAL_UNITS } from '../../../core/interval-unit.ts';
import type { IntervalUnit } from '../../../core/project/types.ts';
import {
  RANGE_MAX_MS,
  RANGE_MIN_MS,
  type RangeModel,
  rangeShapeProblem,
  restatementRangeProblem,
} from '../../../core/validation/range.ts';

const NOW = Date.UTC(2026, 10, 25, 12, 34, 56);
const day = (d: number) => Date.UTC(2026, 10, d);
const orders: RangeModel = {
  name: 'shop.orders',
  intervalUnit: 'day',
  startMs: Date.UTC(2024, 0, 1),
};
const hourly: RangeModel = { name: 'shop.hits', intervalUnit: 'hour', startMs: Date.UTC(2025, 0, 1) };

const check = (range: { start: unknown; end: unknown }, models: RangeModel[] = [orders], selected = true) =>
  restatementRangeProblem({ field: 'restate', range, models, selected, now: NOW });

describe('rangeShapeProblem', () => {
  it('takes whole epoch ms within bounds, start before end', () => {
    expect(rangeShapeProblem('restate', { start: day(1), end: day(2) })).toBeNull();
  });

  it('names the field at fault', () => {
    expect(rangeShapeProblem('restate', { start: -99_999_999_999_999, end: -1 })).toEqual({
      field: 'restate.start',
      message:
        'restate.start (-99999999999999) is out of range: give a time from 1900-01-01T00:00:00.000Z to +010000-01-01T00:00:00.000Z',
    });
    expect(rangeShapeProblem('restate', { start: day(1), end: RANGE_MAX_MS + 1 })?.field).toBe('restate.end');
    expect(rangeShapeProblem('restate', { start: 1.5, end: day(2) })?.message).toBe(
      'restate.start must be whole epoch milliseconds (got 1.5)',
    );
    expect(rangeShapeProblem('restate', { start: day(1), end: '2026-11-02' })?.field).toBe('restate.end');
    expect(rangeShapeProblem('restate', { start: day(2), end: day(1) })).toEqual({
      field: 'restate.end',
      message:
        'restate.end (2026-11-01T00:00:00.000Z) must be after restate.start (2026-11-02T00:00:00.000Z)',
    });
  });
});

describe('restatementRangeProblem', () => {
  it('takes a range of whole intervals within the life, up to the end of today', () => {
    expect(check({ start: day(1), end: day(26) })).toBeNull();
    expect(check({ start: Date.UTC(2024, 0, 1), end: day(2) })).toBeNull();
    expect(check({ start: day(25) + 3_600_000, end: day(26) }, [hourly])).toBeNull();
  });

  it('refuses a range starting before the earliest model, naming it and where to start', () => {
    expect(check({ start: Date.UTC(2023, 11, 1), end: day(1) })).toEqual({
      field: 'restate.start',
      message:
        'restate.start (2023-12-01T00:00:00.000Z) is before the start of shop.orders (2024-01-01T00:00:00.000Z): restate from 2024-01-01T00:00:00.000Z or later',
    });
    // the earliest of the models concerned counts
    expect(check({ start: Date.UTC(2024, 5, 1), end: day(1) }, [orders, hourly])).toBeNull();
  });

  it('refuses a range after now, or past the interval holding now', () => {
    expect(check({ start: day(26), end: day(27) })?.message).toContain('must be before now');
    expect(check({ start: day(1), end: day(27) })).toEqual({
      field: 'restate.end',
      message:
        'restate.end (2026-11-27T00:00:00.000Z) is after the current interval: end the range at 2026-11-26T00:00:00.000Z or earlier',
    });
    const monthly: RangeModel = { name: 'shop.months', intervalUnit: 'month', startMs: Date.UTC(2024, 0, 1) };
    expect(check({ start: Date.UTC(2026, 9, 1), end: Date.UTC(2026, 11, 1) }, [monthly])).toBeNull();
  });

  it('refuses a range wholly after the models ended', () => {
    const ended: RangeModel = { ...orders, endMs: day(1) };
    expect(check({ start: day(2), end: day(3) }, [ended])).toEqual({
      field: 'restate.start',
      message:
        'restate.start (2026-11-02T00:00:00.000Z) must be before the end of shop.orders (2026-11-01T00:00:00.000Z)',
    });
  });

  it("refuses a range off a selected model's boundaries, saying the nearest ones", () => {
    expect(check({ start: day(1) + 3_600_000, end: day(3) })).toEqual({
      field: 'restate.start',
      message:
        "restate.start (2026-11-01T01:00:00.000Z) is not on a boundary of shop.orders's interval unit (day): use 2026-11-01T00:00:00.000Z or 2026-11-02T00:00:00.000Z",
    });
    expect(check({ start: day(1), end: day(3) + 1 }, [orders, hourly])?.field).toBe('restate.end');
  });

  it('without a selection, aligns to the finest unit of the environment', () => {
    expect(check({ start: day(1) + 3_600_000, end: day(3) }, [orders, hourly], false)).toBeNull();
    expect(check({ start: day(1) + 60_000, end: day(3) }, [orders, hourly], false)?.message).toContain(
      "shop.hits's interval unit (hour)",
    );
  });

  it('checks a model remembered without its start or unit on what is known of it', () => {
    expect(check({ start: day(1) + 1, end: day(3) }, [{ name: 'shop.old' }])).toBeNull();
    expect(check({ start: day(26), end: day(27) }, [{ name: 'shop.old' }])?.field).toBe('restate.start');
  });
});

describe('restatementRangeProblem, as properties', () => {
  const units = fc.constantFrom(...INTERVAL_UNITS.filter((u) => u !== 'year')) as fc.Arbitrary<IntervalUnit>;
  const modelStart = Date.UTC(2020, 0, 1);
  const model = (unit: IntervalUnit): RangeModel => ({
    name: 'm.x',
    intervalUnit: unit,
    startMs: modelStart,
  });

  it('takes any range of whole intervals within the life', () => {
    fc.assert(
      fc.property(
        units,
        fc.integer({ min: modelStart, max: NOW - 1 }),
        fc.integer({ min: 1, max: 50 }),
        (unit, at, count) => {
          const start = floorToUnit(at, unit);
          const end = Math.min(addUnits(start, unit, count), addUnits(floorToUnit(NOW, unit), unit, 1));
          fc.pre(start >= modelStart && start < end);
          expect(
            restatementRangeProblem({
              field: 'restate',
              range: { start, end },
              models: [model(unit)],
              selected: true,
              now: NOW,
            }),
          ).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses any range whose start is not before its end, naming restate.end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: RANGE_MIN_MS, max: RANGE_MAX_MS }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        (end, back) => {
          const start = Math.min(end + back, RANGE_MAX_MS);
          const problem = restatementRangeProblem({
            field: 'restate',
            range: { start, end },
            models: [orders],
            selected: true,
            now: NOW,
          });
          expect(problem?.field).toBe('restate.end');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses any misaligned start or end, naming that field', () => {
    fc.assert(
      fc.property(
        units,
        fc.integer({ min: Date.UTC(2021, 0, 1), max: Date.UTC(2025, 0, 1) }),
        fc.boolean(),
        (unit, at, moveStart) => {
          const start = floorToUnit(at, unit);
          const end = addUnits(start, unit, 2);
          const off = 1 + (at % 59_999);
          const range = moveStart ? { start: start + off, end } : { start, end: end - off };
          const problem = restatementRangeProblem({
            field: 'restate',
            range,
            models: [model(unit)],
            selected: true,
            now: NOW,
          });
          expect(problem?.field).toBe(moveStart ? 'restate.start' : 'restate.end');
          expect(problem?.message).toContain(`interval unit (${unit})`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
