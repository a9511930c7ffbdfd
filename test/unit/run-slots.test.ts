import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answerFor,
  emptySlots,
  grantFree,
  holdsSlot,
  knownRuns,
  priorityOf,
  releaseSlots,
  requestSlot,
  slotLimitProblem,
} from '../../core/run-slots.ts';

const ask = (runId: string, priority = 0, limit = 2, environment = 'prod') => ({
  runId,
  environment,
  priority,
  limit,
});

describe('run slots', () => {
  it('grants up to the limit and queues the rest with the holders named', () => {
    const slots = emptySlots(2);
    expect(requestSlot(slots, ask('a'), 1).map((h) => h.runId)).toEqual(['a']);
    expect(requestSlot(slots, ask('b'), 2).map((h) => h.runId)).toEqual(['b']);
    expect(requestSlot(slots, ask('c'), 3)).toEqual([]);
    expect(answerFor(slots, 'c')).toEqual({
      granted: false,
      reason: 'waiting for a run slot: 2 of 2 in use by a, b',
    });
    expect(answerFor(slots, 'a')).toEqual({ granted: true });
  });

  it('gives a freed slot to the highest priority, first come first within a priority', () => {
    const slots = emptySlots(1);
    requestSlot(slots, ask('holder', 0, 1), 0);
    requestSlot(slots, ask('dev-1', 0, 1, 'dev'), 1);
    requestSlot(slots, ask('prod-1', 10, 1), 2);
    requestSlot(slots, ask('prod-2', 10, 1), 3);
    const order: string[] = [];
    let last = 'holder';
    for (let t = 10; t < 13; t++) {
      const granted = releaseSlots(slots, [last], t);
      expect(granted).toHaveLength(1);
      last = granted[0]!.runId;
      order.push(last);
    }
    expect(order).toEqual(['prod-1', 'prod-2', 'dev-1']);
    expect(slots.holders[0]).toMatchObject({ runId: 'dev-1', requestedAt: 1, grantedAt: 12 });
  });

  it('takes a repeated request once, and tells a holder that asks again once more', () => {
    const slots = emptySlots(1);
    requestSlot(slots, ask('a', 0, 1), 0);
    expect(requestSlot(slots, ask('a', 0, 1), 1).map((h) => h.runId)).toEqual(['a']);
    requestSlot(slots, ask('b', 0, 1), 2);
    requestSlot(slots, ask('b', 0, 1), 3);
    expect(slots.waiters).toHaveLength(1);
    expect(slots.holders).toHaveLength(1);
  });

  it('drops a waiter that ended before its turn', () => {
    const slots = emptySlots(1);
    requestSlot(slots, ask('a', 0, 1), 0);
    requestSlot(slots, ask('b', 0, 1), 1);
    requestSlot(slots, ask('c', 0, 1), 2);
    expect(releaseSlots(slots, ['b'], 3)).toEqual([]);
    expect(releaseSlots(slots, ['a'], 4).map((h) => h.runId)).toEqual(['c']);
    expect(knownRuns(slots)).toEqual(['c']);
  });

  it('takes the latest valid limit: a raised limit grants at once', () => {
    const slots = emptySlots(1);
    requestSlot(slots, ask('a', 0, 1), 0);
    requestSlot(slots, ask('b', 0, 1), 1);
    expect(requestSlot(slots, ask('c', 0, 3), 2).map((h) => h.runId)).toEqual(['b', 'c']);
    requestSlot(slots, ask('d', 0, 0), 3);
    expect(slots.limit).toBe(3);
  });

  it('a lowered limit revokes nothing and grants only once holders are under it', () => {
    const slots = emptySlots(2);
    requestSlot(slots, ask('a'), 0);
    requestSlot(slots, ask('b'), 0);
    requestSlot(slots, ask('c', 0, 1), 1);
    expect(slots.holders).toHaveLength(2);
    expect(releaseSlots(slots, ['a'], 2)).toEqual([]);
    expect(releaseSlots(slots, ['b'], 3).map((h) => h.runId)).toEqual(['c']);
  });

  it('names bad limits', () => {
    expect(slotLimitProblem(0)).toMatch(/at least 1, got 0/);
    expect(slotLimitProblem(1.5)).toMatch(/got 1.5/);
    expect(slotLimitProblem('3')).toMatch(/got "3"/);
    expect(slotLimitProblem(3)).toBeNull();
  });

  it('gives unnamed environments priority 0', () => {
    expect(priorityOf({ prod: 10 }, 'prod')).toBe(10);
    expect(priorityOf({ prod: 10 }, 'dev')).toBe(0);
    expect(priorityOf({ prod: 10 }, 'toString')).toBe(0);
  });

  it('never holds more than the limit, never loses a run, and grants in priority order', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('ask' as const),
        run: fc.integer({ min: 0, max: 9 }),
        priority: fc.integer({ min: 0, max: 2 }),
      }),
      fc.record({ kind: fc.constant('release' as const), run: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (limit, ops) => {
        const slots = emptySlots(limit);
        const live = new Set<string>();
        ops.forEach((o, t) => {
          const runId = `r${o.run}`;
          if (o.kind === 'ask') {
            if (!live.has(runId)) live.add(runId);
            requestSlot(slots, { runId, environment: 'e', priority: o.priority, limit }, t);
          } else {
            live.delete(runId);
            releaseSlots(slots, [runId], t);
          }
          expect(slots.holders.length).toBeLessThanOrEqual(limit);
          expect(new Set(knownRuns(slots))).toEqual(live);
          // A slot is free only when nobody waits.
          if (slots.waiters.length > 0) expect(slots.holders.length).toBe(limit);
          expect(grantFree(slots, t)).toEqual([]);
          for (const h of slots.holders) expect(holdsSlot(slots, h.runId)).toBe(true);
        });
      }),
    );
  });
});
