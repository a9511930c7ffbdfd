import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUnits, floorToUnit } from '../../core/interval-unit.ts';
import type { Interval } from '../../core/intervals.ts';
import type { IntervalUnit } from '../../core/project/types.ts';
import { coveringRange, type RestatementNode, restatementRanges } from '../../core/restatement.ts';
import { formatUtc, parseTimeValue } from '../../core/time.ts';

const T = (value: string) => parseTimeValue(value, 0);
const show = (ranges: Map<string, Interval>) =>
  Object.fromEntries([...ranges].map(([name, [s, e]]) => [name, [formatUtc(s), formatUtc(e)]]));
const node = (name: string, intervalUnit: IntervalUnit, parents: string[] = []): RestatementNode => ({
  name,
  intervalUnit,
  parents,
});

describe('coveringRange', () => {
  it('widens a range outwards to whole intervals of the unit, and keeps an aligned one', () => {
    const range: Interval = [T('2024-01-05 10:30:00'), T('2024-01-05 11:00:00')];
    expect(coveringRange(range, 'hour')).toEqual([T('2024-01-05 10:00:00'), T('2024-01-05 11:00:00')]);
    expect(coveringRange(range, 'day')).toEqual([T('2024-01-05'), T('2024-01-06')]);
    expect(coveringRange(range, 'month')).toEqual([T('2024-01-01'), T('2024-02-01')]);
    expect(coveringRange([T('2024-01-05'), T('2024-01-06')], 'day')).toEqual([
      T('2024-01-05'),
      T('2024-01-06'),
    ]);
  });
});

describe('restatementRanges', () => {
  it('restates exactly the requested day of a daily model, and those 24 hours downstream', () => {
    const nodes = [node('hourly', 'hour', ['daily']), node('daily', 'day'), node('other', 'day')];
    const day: Interval = [T('2024-01-05'), T('2024-01-06')];
    expect(show(restatementRanges(nodes, new Map([['daily', day]])))).toEqual({
      daily: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
      hourly: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
    });
  });

  it('restates the day (or month) holding a restated hour in a coarser downstream model', () => {
    const nodes = [
      node('a', 'hour'),
      node('b', 'day', ['a']),
      node('c', 'hour', ['b']),
      node('m', 'month', ['a']),
    ];
    const hour: Interval = [T('2024-01-05 10:00:00'), T('2024-01-05 11:00:00')];
    expect(show(restatementRanges(nodes, new Map([['a', hour]])))).toEqual({
      a: ['2024-01-05 10:00:00', '2024-01-05 11:00:00'],
      b: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
      // the whole day b restates changes for c too
      c: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
      m: ['2024-01-01 00:00:00', '2024-02-01 00:00:00'],
    });
  });

  it('widens a requested range that does not sit on the unit, as SQLMesh does', () => {
    const range: Interval = [T('2024-01-05 06:00:00'), T('2024-01-06 01:00:00')];
    expect(show(restatementRanges([node('daily', 'day')], new Map([['daily', range]])))).toEqual({
      daily: ['2024-01-05 00:00:00', '2024-01-07 00:00:00'],
    });
  });

  it('passes a range on through a model of any kind, and widens a requested model by its parents', () => {
    // daily → a view on an hourly cron → hourly
    const nodes = [node('daily', 'day'), node('view', 'hour', ['daily']), node('hourly', 'hour', ['view'])];
    const hour: Interval = [T('2024-01-05 10:00:00'), T('2024-01-05 11:00:00')];
    const requested = new Map([
      ['daily', hour],
      ['hourly', hour],
    ]);
    expect(show(restatementRanges(nodes, requested))).toEqual({
      daily: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
      view: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
      hourly: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
    });
  });

  it('ignores parents that are not nodes, and rejects an empty requested range', () => {
    const day: Interval = [T('2024-01-05'), T('2024-01-06')];
    expect(show(restatementRanges([node('a', 'day', ['external.table'])], new Map([['a', day]])))).toEqual({
      a: ['2024-01-05 00:00:00', '2024-01-06 00:00:00'],
    });
    expect(() => restatementRanges([node('a', 'day')], new Map([['a', [day[1], day[0]] as const]]))).toThrow(
      'the range restated for a must end after it starts',
    );
  });

  describe('over random DAGs', () => {
    const UNITS: IntervalUnit[] = ['month', 'day', 'hour', 'quarter_hour'];
    const BASE = T('2024-01-01');
    const QUARTER = 15 * 60_000;
    const graph = fc
      .array(
        fc.record({
          unit: fc.constantFrom(...UNITS),
          parents: fc.uniqueArray(fc.nat(7), { maxLength: 3 }),
          asked: fc.option(fc.tuple(fc.nat(40 * 96), fc.integer({ min: 1, max: 10 * 96 })), {
            nil: undefined,
          }),
        }),
        { minLength: 1, maxLength: 8 },
      )
      .map((specs) =>
        specs.map((spec, i) => ({
          // only earlier models can be parents, so the graph has no cycle
          node: node(
            `m${i}`,
            spec.unit,
            spec.parents.filter((p) => p < i).map((p) => `m${p}`),
          ),
          asked:
            spec.asked &&
            ([BASE + spec.asked[0] * QUARTER, BASE + (spec.asked[0] + spec.asked[1]) * QUARTER] as const),
        })),
      );
    type Spec = { node: RestatementNode; asked: Interval | undefined };
    const requestedOf = (specs: readonly Spec[]) =>
      new Map(specs.flatMap((s) => (s.asked ? [[s.node.name, s.asked] as const] : [])));

    it('restates requested models and their downstream, each over the least range of its unit covering its sources', () => {
      fc.assert(
        fc.property(graph, (specs) => {
          const ranges = restatementRanges(
            specs.map((s) => s.node),
            requestedOf(specs),
          );
          for (const { node: n, asked } of specs) {
            const sources = [
              ...(asked ? [asked] : []),
              ...n.parents.flatMap((p) => (ranges.has(p) ? [ranges.get(p)!] : [])),
            ];
            const range = ranges.get(n.name);
            if (sources.length === 0) {
              expect(range).toBeUndefined();
              continue;
            }
            const [start, end] = range!;
            expect(floorToUnit(start, n.intervalUnit)).toBe(start);
            expect(floorToUnit(end, n.intervalUnit)).toBe(end);
            const first = Math.min(...sources.map(([s]) => s));
            const last = Math.max(...sources.map(([, e]) => e));
            expect(start).toBeLessThanOrEqual(first);
            expect(end).toBeGreaterThanOrEqual(last);
            // one unit less on either side would leave part of a source out
            expect(addUnits(start, n.intervalUnit, 1)).toBeGreaterThan(first);
            expect(addUnits(end, n.intervalUnit, -1)).toBeLessThan(last);
          }
        }),
      );
    });

    it('does not depend on the order the models are listed in', () => {
      const reordered = graph.chain((specs) =>
        fc.tuple(
          fc.constant(specs),
          fc.shuffledSubarray(
            specs.map((s) => s.node),
            { minLength: specs.length, maxLength: specs.length },
          ),
        ),
      );
      fc.assert(
        fc.property(reordered, ([specs, shuffled]) => {
          const requested = requestedOf(specs);
          expect(restatementRanges(shuffled, requested)).toEqual(
            restatementRanges(
              specs.map((s) => s.node),
              requested,
            ),
          );
        }),
      );
    });
  });
});
