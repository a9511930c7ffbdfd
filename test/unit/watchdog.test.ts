import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STUCK_AFTER_MS,
  STUCK_FACTOR,
  stuckLimitMs,
  stuckWork,
  type WorkInFlight,
} from '../../core/watchdog.ts';

const HOUR = 3_600_000;

describe('stuckLimitMs', () => {
  it('is the floor when nothing was seen, and a few times the longest batch of the models otherwise', () => {
    expect(stuckLimitMs(['a'], {})).toBe(DEFAULT_STUCK_AFTER_MS);
    expect(stuckLimitMs(['a', 'b'], { a: HOUR, b: 2 * HOUR, c: 10 * HOUR })).toBe(STUCK_FACTOR * 2 * HOUR);
    expect(stuckLimitMs(['a'], { a: 60_000 }, 5 * 60_000)).toBe(5 * 60_000);
  });

  it('is never below the floor nor below the factor times any model’s longest batch', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(10 * HOUR)),
        fc.subarray(['a', 'b', 'c', 'd']),
        fc.nat(5 * HOUR),
        (seen, models, floor) => {
          const limit = stuckLimitMs(models, seen, floor);
          expect(limit).toBeGreaterThanOrEqual(floor);
          for (const m of models) expect(limit).toBeGreaterThanOrEqual(STUCK_FACTOR * (seen[m] ?? 0));
        },
      ),
    );
  });
});

describe('stuckWork', () => {
  const work = (id: string, startedAt: number, limitMs: number): WorkInFlight => ({
    kind: 'run',
    id,
    workflowId: id,
    startedAt,
    limitMs,
  });

  it('keeps what went past its limit, longest first, with how long it has gone', () => {
    const now = 10 * HOUR;
    const stuck = stuckWork(
      [work('fresh', now - HOUR, 2 * HOUR), work('old', 0, HOUR), work('late', now - 3 * HOUR, 2 * HOUR)],
      now,
    );
    expect(stuck.map((w) => [w.id, w.runningForMs])).toEqual([
      ['old', 10 * HOUR],
      ['late', 3 * HOUR],
    ]);
    expect(stuckWork([work('edge', now - HOUR, HOUR)], now)).toEqual([]);
  });
});
