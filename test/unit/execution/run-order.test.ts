import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../../../core/environment/run-report.ts';
import {
  dependencyOrder,
  nextMoves,
  type OrderedModel,
  type RunMove,
  type RunProgress,
  runOrder,
  STRANDED_REASON,
} from '../../../core/execution/run-order.ts';

const model = (name: string, dependsOn: string[] = [], gateway = 'warehouse', batches = 1): OrderedModel => ({
  model: name,
  gateway,
  dependsOn,
  batches,
});

function progress(
  work: OrderedModel[],
  {
    done = {},
    finished = {},
    busy = [],
    maxBatches = 100,
  }: {
    done?: Record<string, number>;
    finished?: Record<string, ModelStatus>;
    busy?: string[];
    maxBatches?: number;
  } = {},
): RunProgress {
  return { work, done: new Map(Object.entries(done)), finished, busy: new Set(busy), maxBatches };
}

describe('the segments a run executes its models in', () => {
  it('puts a whole chain into one segment, upstream first', () => {
    const work = [model('c', ['b']), model('b', ['a']), model('a')];
    expect(nextMoves(progress(work))).toEqual([
      {
        kind: 'segment',
        gateway: 'warehouse',
        items: [
          { model: 'a', batch: 0 },
          { model: 'b', batch: 0 },
          { model: 'c', batch: 0 },
        ],
      },
    ]);
  });

  it('ignores upstream models that are not part of the run', () => {
    expect(nextMoves(progress([model('b', ['outside'])]))).toEqual([
      { kind: 'segment', gateway: 'warehouse', items: [{ model: 'b', batch: 0 }] },
    ]);
  });

  it('skips the downstream of a failure, and the downstream of that skip in the same pass', () => {
    const work = [model('a'), model('b', ['a']), model('c', ['b']), model('d')];
    expect(nextMoves(progress(work, { finished: { a: 'failed', d: 'succeeded' } }))).toEqual([
      { kind: 'skip', model: 'b', reason: 'upstream a failed' },
      { kind: 'skip', model: 'c', reason: 'upstream b skipped' },
    ]);
  });

  it('starts no segment on a gateway that has one running, and one per free gateway', () => {
    const work = [model('a', [], 'pg'), model('b', [], 'duck'), model('c', ['a'], 'duck')];
    expect(nextMoves(progress(work, { busy: ['pg'] }))).toEqual([
      { kind: 'segment', gateway: 'duck', items: [{ model: 'b', batch: 0 }] },
    ]);
  });

  it('cuts a segment at its size, and a model cut in two keeps its downstream out', () => {
    const work = [model('a', [], 'warehouse', 3), model('b', ['a'])];
    expect(nextMoves(progress(work, { maxBatches: 2 }))).toEqual([
      {
        kind: 'segment',
        gateway: 'warehouse',
        items: [
          { model: 'a', batch: 0 },
          { model: 'a', batch: 1 },
        ],
      },
    ]);
    // the next segment resumes after the batches done
    expect(nextMoves(progress(work, { maxBatches: 2, done: { a: 2 } }))).toEqual([
      {
        kind: 'segment',
        gateway: 'warehouse',
        items: [
          { model: 'a', batch: 2 },
          { model: 'b', batch: 0 },
        ],
      },
    ]);
  });

  it('keeps the downstream of a model with nothing left to run out of a segment until that model succeeded', () => {
    // b has no batch left but waits for a: were b in the segment, c would wait on nothing
    const work = [model('a'), model('b', ['a'], 'warehouse', 0), model('c', ['b'])];
    expect(nextMoves(progress(work))).toEqual([
      { kind: 'segment', gateway: 'warehouse', items: [{ model: 'a', batch: 0 }] },
    ]);
  });

  it('ends a model whose batches are all done as succeeded once its upstream succeeded', () => {
    const work = [model('a'), model('b', ['a'], 'warehouse', 0)];
    expect(nextMoves(progress(work, { done: { a: 1 } }))).toEqual([
      { kind: 'succeed', model: 'a' },
      { kind: 'succeed', model: 'b' },
    ]);
  });

  it('leaves a cycle waiting, for the run to end it as stranded', () => {
    expect(nextMoves(progress([model('a', ['b']), model('b', ['a'])]))).toEqual([]);
    expect(STRANDED_REASON).toBe('upstream not part of the run');
  });

  it('orders a 10,000-model chain without recursion', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => model(`m${i}`, i === 0 ? [] : [`m${i - 1}`]));
    const order = dependencyOrder([...chain].reverse()).map((w) => w.model);
    expect(order).toEqual(chain.map((w) => w.model));
  });
});

/** A random run: models with upstream among them (earlier ones only, unless cycles are allowed). */
const runs = (cycles: boolean) =>
  fc
    .record({
      size: fc.integer({ min: 1, max: 12 }),
      maxBatches: fc.integer({ min: 1, max: 6 }),
      seed: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean(), fc.integer({ min: 0, max: 3 })), {
        minLength: 12,
        maxLength: 12,
      }),
      outside: fc.boolean(),
      shuffle: fc.nat(),
    })
    .map(({ size, maxBatches, seed, outside, shuffle }) => {
      const work: OrderedModel[] = [];
      for (let i = 0; i < size; i++) {
        const [a, b, second, batches] = seed[i]!;
        const pool = cycles ? size : i;
        const deps = pool === 0 ? [] : [`m${a % pool}`, ...(second ? [`m${b % pool}`] : [])];
        const dependsOn = [...new Set(deps.filter((d) => d !== `m${i}`))];
        if (outside && i === 0) dependsOn.push('not_in_run');
        work.push(model(`m${i}`, dependsOn, second ? 'pg' : 'duck', batches));
      }
      // the run's order need not be the DAG's
      const turn = shuffle % work.length;
      return { work: [...work.slice(turn), ...work.slice(0, turn)], maxBatches };
    });

interface Segment {
  gateway: string;
  items: Array<{ model: string; batch: number }>;
}

/**
 * Carries moves out as the run workflow does: each segment runs its batches in order until `picks`
 * fails one (which ends that model; what depends on it in the segment does not run), and segments
 * end in the order `picks` says.
 */
function simulate(
  work: OrderedModel[],
  maxBatches: number,
  picks: Array<{ which: number; fail: number }>,
  decide: (progress: RunProgress) => RunMove[] = (progress) => nextMoves(progress),
) {
  const inRun = new Set(work.map((w) => w.model));
  const byName = new Map(work.map((w) => [w.model, w]));
  const done = new Map<string, number>();
  const finished: Record<string, ModelStatus> = {};
  const busy = new Set<string>();
  const running: Segment[] = [];
  const history: Array<{ move: RunMove; finished: Record<string, ModelStatus>; done: Map<string, number> }> =
    [];
  let step = 0;
  for (;;) {
    for (const move of decide({ work, done, finished, busy, maxBatches })) {
      history.push({ move, finished: { ...finished }, done: new Map(done) });
      if (move.kind === 'skip') finished[move.model] = 'skipped';
      else if (move.kind === 'succeed') finished[move.model] = 'succeeded';
      else {
        expect(busy.has(move.gateway)).toBe(false);
        busy.add(move.gateway);
        running.push(move);
      }
    }
    if (running.length === 0) break;
    const pick = picks[step++ % Math.max(1, picks.length)] ?? { which: 0, fail: -1 };
    const [segment] = running.splice(pick.which % running.length, 1);
    const failed = new Set<string>();
    for (const [index, item] of segment!.items.entries()) {
      const w = byName.get(item.model)!;
      if (failed.has(item.model) || w.dependsOn.some((d) => failed.has(d))) {
        failed.add(item.model);
        continue;
      }
      if (index === pick.fail) {
        finished[item.model] = 'failed';
        failed.add(item.model);
        continue;
      }
      done.set(item.model, (done.get(item.model) ?? 0) + 1);
    }
    busy.delete(segment!.gateway);
  }
  return { inRun, finished, history, done };
}

const picks = fc.array(fc.record({ which: fc.nat(), fail: fc.integer({ min: -3, max: 6 }) }), {
  maxLength: 30,
});

describe('a run in segments, whatever its DAG and however its batches end', () => {
  it('puts a model in a segment only after its upstream succeeded or with it, whole, earlier in the segment', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, maxBatches }, order) => {
        const { inRun, history } = simulate(work, maxBatches, order);
        for (const { move, finished, done } of history) {
          if (move.kind !== 'segment') continue;
          expect(move.items.length).toBeGreaterThan(0);
          expect(move.items.length).toBeLessThanOrEqual(maxBatches);
          const seen = new Map<string, number>();
          for (const item of move.items) {
            const w = work.find((x) => x.model === item.model)!;
            expect(w.gateway).toBe(move.gateway);
            expect(finished[item.model]).toBeUndefined();
            // a model's batches, in order, from the first not done
            expect(item.batch).toBe(seen.get(item.model) ?? done.get(item.model) ?? 0);
            expect(item.batch).toBeLessThan(w.batches);
            seen.set(item.model, item.batch + 1);
            for (const d of w.dependsOn.filter((x) => inRun.has(x) && x !== item.model)) {
              const whole = seen.get(d) === work.find((x) => x.model === d)!.batches;
              expect(finished[d] === 'succeeded' || whole).toBe(true);
            }
          }
        }
      }),
    );
  });

  it('skips a model only for an upstream that did not succeed, and succeeds one only when all its batches ran', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, maxBatches }, order) => {
        const { inRun, history } = simulate(work, maxBatches, order);
        for (const { move, finished, done } of history) {
          if (move.kind === 'segment') continue;
          const w = work.find((x) => x.model === move.model)!;
          const upstream = w.dependsOn.filter((d) => inRun.has(d));
          if (move.kind === 'succeed') {
            expect(done.get(move.model) ?? 0).toBe(w.batches);
            expect(upstream.every((d) => finished[d] === 'succeeded')).toBe(true);
          } else {
            const [, upstreamModel, status] = /^upstream (\S+) (\S+)$/.exec(move.reason) ?? [];
            expect(upstream).toContain(upstreamModel);
            expect(finished[upstreamModel!]).toBe(status);
            expect(status).not.toBe('succeeded');
          }
        }
      }),
    );
  });

  it('gives every model of an acyclic run an end', () => {
    fc.assert(
      fc.property(runs(false), picks, ({ work, maxBatches }, order) => {
        const { finished } = simulate(work, maxBatches, order);
        expect(Object.keys(finished).sort()).toEqual(work.map((w) => w.model).sort());
      }),
    );
  });

  it('leaves without an end only models on or below a cycle, which the run ends as stranded', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, maxBatches }, order) => {
        const { inRun, finished } = simulate(work, maxBatches, order);
        for (const w of work.filter((x) => finished[x.model] === undefined)) {
          const upstream = w.dependsOn.filter((d) => inRun.has(d));
          expect(upstream.some((d) => finished[d] === undefined)).toBe(true);
        }
      }),
    );
  });

  it('moves the same with the run order worked out once as with it worked out at every decision', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, maxBatches }, order) => {
        const prepared = runOrder(work);
        const once = simulate(work, maxBatches, order, (progress) => nextMoves(progress, prepared));
        const every = simulate(work, maxBatches, order);
        expect(once.history).toEqual(every.history);
        expect(once.finished).toEqual(every.finished);
      }),
    );
  });
});

describe('the run order worked out once', () => {
  it('lists each model after its upstream, with the upstream models that are part of the run', () => {
    const work = [model('c', ['b', 'outside', 'c']), model('b', ['a']), model('a')];
    const prepared = runOrder(work);
    expect(prepared.order.map((w) => w.model)).toEqual(['a', 'b', 'c']);
    expect(prepared.upstream).toEqual([[], ['a'], ['b']]);
  });

  it('is worked out again for progress over other work', () => {
    const prepared = runOrder([model('a')]);
    const other = [model('b'), model('c', ['b'])];
    expect(nextMoves(progress(other), prepared)).toEqual(nextMoves(progress(other)));
    expect(nextMoves(progress(other), prepared)).toEqual([
      {
        kind: 'segment',
        gateway: 'warehouse',
        items: [
          { model: 'b', batch: 0 },
          { model: 'c', batch: 0 },
        ],
      },
    ]);
  });

  it('decides a 10,000-model run as the order worked out afresh does', () => {
    const work = Array.from({ length: 10_000 }, (_, i) =>
      model(`m${i}`, i === 0 ? [] : [`m${Math.floor(i / 2)}`, `m${i - 1}`]),
    );
    const prepared = runOrder(work);
    const done = new Map(work.slice(0, 5_000).map((w) => [w.model, 1]));
    const finished = Object.fromEntries(work.slice(0, 5_000).map((w) => [w.model, 'succeeded' as const]));
    const state = { work, done, finished, busy: new Set<string>(), maxBatches: 200 };
    const moves = nextMoves(state, prepared);
    expect(moves).toEqual(nextMoves(state));
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({ kind: 'segment', items: { length: 200 } });
  });
});
