import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../../../core/environment/run-report.ts';
import {
  nextMoves,
  type OrderedModel,
  type RunMove,
  STRANDED_REASON,
} from '../../../core/execution/run-order.ts';

const model = (name: string, dependsOn: string[] = [], gateway = 'warehouse'): OrderedModel => ({
  model: name,
  gateway,
  dependsOn,
});

function progress(
  work: OrderedModel[],
  {
    started = [],
    finished = {},
    threads = 4,
  }: { started?: string[]; finished?: Record<string, ModelStatus>; threads?: number } = {},
) {
  const done = new Set([...started, ...Object.keys(finished)]);
  const active = new Map<string, number>();
  for (const w of work) {
    if (started.includes(w.model) && finished[w.model] === undefined) {
      active.set(w.gateway, (active.get(w.gateway) ?? 0) + 1);
    }
  }
  return {
    work,
    waiting: new Set(work.map((w) => w.model).filter((m) => !done.has(m))),
    started: new Set(started),
    finished,
    active,
    threads,
  };
}

describe('the order a run starts its models in', () => {
  it('starts the roots and prepares ahead the models whose upstream is running', () => {
    const work = [model('a'), model('b', ['a']), model('c', ['b'])];
    expect(nextMoves(progress(work))).toEqual([
      { kind: 'prefetch', model: 'a' },
      { kind: 'start', model: 'a' },
      { kind: 'prefetch', model: 'b' },
    ]);
  });

  it('ignores upstream models that are not part of the run', () => {
    expect(nextMoves(progress([model('b', ['outside'])]))).toEqual([
      { kind: 'prefetch', model: 'b' },
      { kind: 'start', model: 'b' },
    ]);
  });

  it('skips the downstream of a failure, and the downstream of that skip in the same pass', () => {
    const work = [model('a'), model('b', ['a']), model('c', ['b']), model('d')];
    expect(nextMoves(progress(work, { started: ['a', 'd'], finished: { a: 'failed' } }))).toEqual([
      { kind: 'skip', model: 'b', reason: 'upstream a failed' },
      { kind: 'skip', model: 'c', reason: 'upstream b skipped' },
    ]);
  });

  it('keeps to the threads of each gateway', () => {
    const work = [model('a', [], 'pg'), model('b', [], 'pg'), model('c', [], 'duck'), model('d', [], 'pg')];
    const moves = nextMoves(progress(work, { threads: 2 })).filter((m) => m.kind === 'start');
    expect(moves.map((m) => m.model)).toEqual(['a', 'b', 'c']);
  });

  it('leaves a cycle waiting, for the run to end it as stranded', () => {
    expect(nextMoves(progress([model('a', ['b']), model('b', ['a'])]))).toEqual([]);
    expect(STRANDED_REASON).toBe('upstream not part of the run');
  });
});

/** A random run: models with upstream among them (earlier ones only, unless cycles are allowed). */
const runs = (cycles: boolean) =>
  fc
    .record({
      size: fc.integer({ min: 1, max: 12 }),
      threads: fc.integer({ min: 1, max: 3 }),
      seed: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 12, maxLength: 12 }),
      outside: fc.boolean(),
    })
    .map(({ size, threads, seed, outside }) => {
      const work: OrderedModel[] = [];
      for (let i = 0; i < size; i++) {
        const [a, b, second] = seed[i]!;
        const pool = cycles ? size : i;
        const deps = pool === 0 ? [] : [`m${a % pool}`, ...(second ? [`m${b % pool}`] : [])];
        const dependsOn = [...new Set(deps.filter((d) => d !== `m${i}`))];
        if (outside && i === 0) dependsOn.push('not_in_run');
        work.push(model(`m${i}`, dependsOn, second ? 'pg' : 'duck'));
      }
      return { work, threads };
    });

/** Carries moves out as the run workflow does, finishing running models in the order `picks` says. */
function simulate(work: OrderedModel[], threads: number, picks: Array<{ which: number; ok: boolean }>) {
  const inRun = new Set(work.map((w) => w.model));
  const byName = new Map(work.map((w) => [w.model, w]));
  const waiting = new Set(work.map((w) => w.model));
  const started = new Set<string>();
  const finished: Record<string, ModelStatus> = {};
  const active = new Map<string, number>();
  const running: string[] = [];
  const history: Array<{ move: RunMove; finished: Record<string, ModelStatus>; started: Set<string> }> = [];
  let step = 0;
  for (;;) {
    for (const move of nextMoves({ work, waiting, started, finished, active, threads })) {
      history.push({ move, finished: { ...finished }, started: new Set(started) });
      if (move.kind === 'skip') {
        finished[move.model] = 'skipped';
        waiting.delete(move.model);
      } else if (move.kind === 'start') {
        const gateway = byName.get(move.model)!.gateway;
        active.set(gateway, (active.get(gateway) ?? 0) + 1);
        expect(active.get(gateway)).toBeLessThanOrEqual(threads);
        waiting.delete(move.model);
        started.add(move.model);
        running.push(move.model);
      }
    }
    if (running.length === 0) break;
    const pick = picks[step++ % Math.max(1, picks.length)] ?? { which: 0, ok: true };
    const [done] = running.splice(pick.which % running.length, 1);
    finished[done!] = pick.ok ? 'succeeded' : 'failed';
    const gateway = byName.get(done!)!.gateway;
    active.set(gateway, active.get(gateway)! - 1);
  }
  return { inRun, waiting, started, finished, history };
}

const picks = fc.array(fc.record({ which: fc.nat(), ok: fc.boolean() }), { maxLength: 30 });

describe('a run, whatever its DAG and however its models end', () => {
  it('starts a model only after its upstream succeeded, and skips one only for an upstream that did not', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, threads }, order) => {
        const { inRun, history } = simulate(work, threads, order);
        for (const { move, finished, started } of history) {
          const upstream = work.find((w) => w.model === move.model)!.dependsOn.filter((d) => inRun.has(d));
          if (move.kind === 'start') expect(upstream.every((d) => finished[d] === 'succeeded')).toBe(true);
          if (move.kind === 'prefetch') {
            expect(upstream.every((d) => finished[d] === 'succeeded' || started.has(d))).toBe(true);
          }
          if (move.kind === 'skip') {
            const [, upstreamModel, status] = /^upstream (\S+) (\S+)$/.exec(move.reason) ?? [];
            expect(upstream).toContain(upstreamModel);
            expect(finished[upstreamModel!]).toBe(status);
            expect(status).not.toBe('succeeded');
          }
        }
      }),
    );
  });

  it('gives every model of an acyclic run an end: none is left waiting', () => {
    fc.assert(
      fc.property(runs(false), picks, ({ work, threads }, order) => {
        const { waiting, finished } = simulate(work, threads, order);
        expect([...waiting]).toEqual([]);
        expect(Object.keys(finished).sort()).toEqual(work.map((w) => w.model).sort());
      }),
    );
  });

  it('leaves waiting only models on or below a cycle, which the run ends as stranded', () => {
    fc.assert(
      fc.property(runs(true), picks, ({ work, threads }, order) => {
        const { waiting, inRun, finished, started } = simulate(work, threads, order);
        for (const model of waiting) {
          const upstream = work.find((w) => w.model === model)!.dependsOn.filter((d) => inRun.has(d));
          // something it waits for never succeeded: it is itself waiting (a cycle) or was never started
          expect(upstream.some((d) => finished[d] !== 'succeeded' && !started.has(d))).toBe(true);
        }
      }),
    );
  });
});
