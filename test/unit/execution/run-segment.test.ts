import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchResult, ExecutorReport, SegmentWork } from '../../../activities/contracts.ts';
import {
  type RunProgress,
  runSegment,
  type SegmentBatch,
  SegmentStoppedError,
} from '../../../activities/execution/run-segment.ts';

/** How a batch's SQL ends when it runs. */
type Outcome = 'ok' | 'fail' | 'retry';

interface Case {
  work: SegmentWork;
  outcomes: Map<string, Outcome>;
  resumed: BatchResult[];
  /** the number of batches started when the test aborts the signal, if it does. */
  abortAfter: number | undefined;
}

class RetryableError extends Error {}

const report = (executor: string): ExecutorReport => ({
  executor,
  attempt: 1,
  startedAt: 0,
  finishedAt: 0,
  rowsAffected: null,
  statements: [],
  notices: [],
  audits: [],
});

const failedResult = (batch: { executionId: string; model: string }): BatchResult => ({
  executionId: batch.executionId,
  model: batch.model,
  status: 'failed',
  type: 'SQL_ERROR',
  message: `${batch.executionId} failed`,
  attempt: 1,
  executor: 'test',
  startedAt: 0,
});

/**
 * A random segment: models m0..mN, each depending on some earlier ones (and sometimes on a model
 * outside the segment), each with 1-3 batches; the batches interleaved in a random order that keeps
 * each model's own order. Each batch gets an outcome, some are already complete, some resumed.
 */
const caseArbitrary = (options: { retries: boolean; abort: boolean }): fc.Arbitrary<Case> =>
  fc
    .integer({ min: 1, max: 7 })
    .chain((models) =>
      fc.record({
        threads: fc.integer({ min: 1, max: 4 }),
        models: fc.tuple(
          ...Array.from({ length: models }, (_, index) =>
            fc.record({
              dependsOn: fc.subarray(Array.from({ length: index }, (_, upstream) => `m${upstream}`)),
              outside: fc.boolean(),
              batches: fc.array(
                fc.record({
                  order: fc.double({ min: 0, max: 1, noNaN: true }),
                  outcome: fc.constantFrom<Outcome>(
                    ...(options.retries
                      ? (['ok', 'ok', 'ok', 'fail', 'retry'] as const)
                      : (['ok', 'ok', 'fail'] as const)),
                  ),
                  alreadyComplete: fc.integer({ min: 0, max: 9 }).map((value) => value < 2),
                  resumed: fc.constantFrom<'no' | 'succeeded' | 'failed'>(
                    'no',
                    'no',
                    'no',
                    'succeeded',
                    'failed',
                  ),
                }),
                { minLength: 1, maxLength: 3 },
              ),
            }),
          ),
        ),
        abortAfter: options.abort ? fc.integer({ min: 0, max: 6 }) : fc.constant(undefined),
      }),
    )
    .map(({ threads, models, abortAfter }) => {
      // a model's batches take increasing keys, so sorting by key interleaves models but keeps
      // each model's own order
      const drafts = models.flatMap((model, index) => {
        let key = 0;
        return model.batches.map((batch) => {
          key += batch.order;
          return { model: `m${index}`, key, ...batch, dependsOn: model.dependsOn, outside: model.outside };
        });
      });
      drafts.sort((a, b) => a.key - b.key);
      const outcomes = new Map<string, Outcome>();
      const resumed: BatchResult[] = [];
      const positions = new Map<string, number>();
      const batches = drafts.map((draft): SegmentBatch => {
        const position = positions.get(draft.model) ?? 0;
        positions.set(draft.model, position + 1);
        const executionId = `${draft.model}#${position}`;
        outcomes.set(executionId, draft.outcome);
        if (draft.resumed === 'succeeded') {
          resumed.push({ executionId, model: draft.model, status: 'succeeded', report: report('earlier') });
        } else if (draft.resumed === 'failed')
          resumed.push(failedResult({ executionId, model: draft.model }));
        return {
          executionId,
          gateway: 'warehouse',
          model: draft.model,
          interval: null,
          request: {},
          dependsOn: draft.outside ? [...draft.dependsOn, 'elsewhere.model'] : draft.dependsOn,
          ...(draft.alreadyComplete ? { alreadyComplete: true } : {}),
        };
      });
      return {
        work: { segmentId: 'seg', gateway: 'warehouse', threads, batches },
        outcomes,
        resumed,
        abortAfter,
      };
    });

interface Trace {
  events: Array<{ kind: 'start' | 'end'; id: string; status?: 'succeeded' | 'failed' | 'retry' | 'aborted' }>;
  maxRunning: number;
  runningAtSettle: number | undefined;
  outcome: { results: BatchResult[] } | { error: unknown } | undefined;
  sawAbort: string[];
  progress: RunProgress[];
}

/** Runs the case with fast-check's scheduler deciding the order in which batches finish. */
async function play(testCase: Case, scheduler: fc.Scheduler): Promise<Trace> {
  const { work, outcomes, resumed, abortAfter } = testCase;
  const controller = new AbortController();
  const trace: Trace = {
    events: [],
    maxRunning: 0,
    runningAtSettle: undefined,
    outcome: undefined,
    sawAbort: [],
    progress: [],
  };
  let running = 0;
  let started = 0;
  if (abortAfter === 0) controller.abort(new Error('cancelled'));
  const promise = runSegment(work, {
    signal: controller.signal,
    resumed,
    runBatch: async (batch, signal) => {
      trace.events.push({ kind: 'start', id: batch.executionId });
      started += 1;
      running += 1;
      trace.maxRunning = Math.max(trace.maxRunning, running);
      if (abortAfter !== undefined && started === abortAfter) controller.abort(new Error('cancelled'));
      try {
        await scheduler.schedule(Promise.resolve(), batch.executionId);
        if (signal.aborted) {
          trace.sawAbort.push(batch.executionId);
          trace.events.push({ kind: 'end', id: batch.executionId, status: 'aborted' });
          throw new Error('statement cancelled');
        }
        const outcome = outcomes.get(batch.executionId);
        if (outcome === 'retry') {
          trace.events.push({ kind: 'end', id: batch.executionId, status: 'retry' });
          throw new RetryableError(`${batch.executionId}: connection lost`);
        }
        if (outcome === 'fail') {
          trace.events.push({ kind: 'end', id: batch.executionId, status: 'failed' });
          throw new Error(`${batch.executionId}: syntax error`);
        }
        trace.events.push({ kind: 'end', id: batch.executionId, status: 'succeeded' });
        return report('test');
      } finally {
        running -= 1;
      }
    },
    emptyReport: () => report('already'),
    isRetryable: (error) => error instanceof RetryableError,
    failed: (_error, batch) => failedResult(batch),
    onProgress: (progress) => {
      // a runner that starts batches again and again must fail the check, not hang the test
      if (started > work.batches.length) throw new Error('a batch started once too often');
      trace.progress.push(progress);
    },
  });
  promise.then(
    (results) => {
      trace.runningAtSettle = running;
      trace.outcome = { results };
    },
    (error: unknown) => {
      trace.runningAtSettle = running;
      trace.outcome = { error };
    },
  );
  // a batch ends a few microtasks after its task is released, and only then do the next start:
  // let those run before deciding that nothing more is scheduled
  for (let idle = 0; trace.outcome === undefined && idle < 3; ) {
    if (scheduler.count() > 0) {
      idle = 0;
      await scheduler.waitOne();
    } else {
      idle += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return trace;
}

/** Checks every invariant of one played case. */
function check(testCase: Case, trace: Trace): void {
  const { work, resumed } = testCase;
  const inSegment = new Set(work.batches.map((batch) => batch.model));
  const resumedIds = new Set(resumed.map((result) => result.executionId));
  const succeeded = new Set(resumed.filter((r) => r.status === 'succeeded').map((r) => r.executionId));
  const failedModels = new Set(resumed.filter((r) => r.status === 'failed').map((r) => r.model));
  const running = new Set<string>();
  const ran = new Set<string>();
  // an abort stops the segment as the batch that fires it starts (or before anything, at 0)
  let stoppedAt: number | undefined = testCase.abortAfter === 0 ? -1 : undefined;
  let starts = 0;
  const byId = new Map(work.batches.map((batch) => [batch.executionId, batch]));
  const modelSucceeded = (model: string) =>
    work.batches.every((batch) => batch.model !== model || succeeded.has(batch.executionId));
  // alreadyComplete batches succeed without a start event: count them as they become ready
  const markAlreadyComplete = () => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const batch of work.batches) {
        if (!batch.alreadyComplete || succeeded.has(batch.executionId) || resumedIds.has(batch.executionId))
          continue;
        if (failedModels.has(batch.model)) continue;
        const earlier = work.batches
          .slice(0, work.batches.indexOf(batch))
          .filter((b) => b.model === batch.model);
        if (!earlier.every((b) => succeeded.has(b.executionId))) continue;
        const upstream = batch.dependsOn.filter((name) => inSegment.has(name) && name !== batch.model);
        if (!upstream.every(modelSucceeded)) continue;
        succeeded.add(batch.executionId);
        changed = true;
      }
    }
  };
  markAlreadyComplete();

  for (const [index, event] of trace.events.entries()) {
    const batch = byId.get(event.id)!;
    if (event.kind === 'start') {
      expect(resumedIds.has(event.id), `${event.id} was resumed and ran again`).toBe(false);
      expect(batch.alreadyComplete, `${event.id} is already complete and ran`).not.toBe(true);
      expect(ran.has(event.id), `${event.id} ran twice`).toBe(false);
      expect(
        stoppedAt,
        `${event.id} started after the segment stopped at event ${stoppedAt}`,
      ).toBeUndefined();
      expect(failedModels.has(batch.model), `${event.id} started after its model failed`).toBe(false);
      const earlier = work.batches
        .slice(0, work.batches.indexOf(batch))
        .filter((b) => b.model === batch.model);
      for (const before of earlier) {
        expect(
          succeeded.has(before.executionId),
          `${event.id} started before ${before.executionId} succeeded`,
        ).toBe(true);
      }
      for (const other of running) {
        expect(byId.get(other)!.model, `${event.id} started while ${other} of its model ran`).not.toBe(
          batch.model,
        );
      }
      for (const upstream of batch.dependsOn.filter((name) => inSegment.has(name))) {
        expect(
          modelSucceeded(upstream),
          `${event.id} started before its upstream ${upstream} succeeded`,
        ).toBe(true);
      }
      running.add(event.id);
      ran.add(event.id);
      starts += 1;
      if (starts === testCase.abortAfter) stoppedAt ??= index;
      expect(running.size).toBeLessThanOrEqual(work.threads);
    } else {
      running.delete(event.id);
      if (event.status === 'succeeded') succeeded.add(event.id);
      if (event.status === 'failed') failedModels.add(batch.model);
      if (event.status === 'retry' || event.status === 'aborted') stoppedAt ??= index;
      markAlreadyComplete();
    }
  }
  expect(trace.maxRunning).toBeLessThanOrEqual(work.threads);
  expect(trace.outcome, 'runSegment settled').toBeDefined();
  expect(trace.runningAtSettle, 'runSegment settled while batches ran').toBe(0);

  const retried = trace.events.find((event) => event.status === 'retry');
  const aborted =
    testCase.abortAfter !== undefined &&
    testCase.abortAfter <= trace.events.filter((e) => e.kind === 'start').length;
  const outcome = trace.outcome!;
  if (retried !== undefined || aborted) {
    expect('error' in outcome, 'a retryable failure or an abort rejects').toBe(true);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(SegmentStoppedError);
    const stopped = error as SegmentStoppedError;
    if (!aborted) {
      expect(stopped.cause).toBeInstanceOf(RetryableError);
      expect(stopped.failing).toBe(retried!.id);
    }
    expect(stopped.progress.running).toEqual([]);
    expect(stopped.progress.results.map((r) => r.executionId)).toEqual(endedIds(trace, testCase));
    return;
  }
  expect('results' in outcome, `rejected: ${String((outcome as { error?: unknown }).error)}`).toBe(true);
  const results = (outcome as { results: BatchResult[] }).results;
  expect(results.map((r) => r.executionId)).toEqual(endedIds(trace, testCase));
  expect(results.slice(0, resumedIds.size)).toEqual(resumed);
  expect(trace.progress.at(-1)?.running ?? []).toEqual([]);

  // everything that could run did: the reference fixed point of "ready" over the outcomes
  const expected = expectedEnds(testCase);
  expect(new Map(results.map((r) => [r.executionId, r.status]))).toEqual(expected);
}

/** The ids whose results a run reports, in order: the resumed, then those that ended. */
function endedIds(trace: Trace, testCase: Case): string[] {
  const resumedIds = testCase.resumed.map((r) => r.executionId);
  const fromProgress = trace.progress.at(-1)?.results.map((r) => r.executionId) ?? resumedIds;
  const ended = trace.events
    .filter((e) => e.status === 'succeeded' || e.status === 'failed')
    .map((e) => e.id);
  // the ended ones appear in the same relative order as their end events
  expect(fromProgress.filter((id) => ended.includes(id))).toEqual(ended);
  return fromProgress;
}

/** The status each batch ends with when nothing retryable happens and nothing aborts. */
function expectedEnds(testCase: Case): Map<string, 'succeeded' | 'failed'> {
  const { work, outcomes, resumed } = testCase;
  const inSegment = new Set(work.batches.map((batch) => batch.model));
  const ends = new Map<string, 'succeeded' | 'failed'>(resumed.map((r) => [r.executionId, r.status]));
  const modelSucceeded = (model: string) =>
    work.batches.every((batch) => batch.model !== model || ends.get(batch.executionId) === 'succeeded');
  let changed = true;
  while (changed) {
    changed = false;
    for (const [index, batch] of work.batches.entries()) {
      if (ends.has(batch.executionId)) continue;
      const mine = work.batches.filter((b) => b.model === batch.model);
      if (mine.some((b) => ends.get(b.executionId) === 'failed')) continue;
      const earlier = work.batches.slice(0, index).filter((b) => b.model === batch.model);
      if (!earlier.every((b) => ends.get(b.executionId) === 'succeeded')) continue;
      const upstream = batch.dependsOn.filter((name) => inSegment.has(name) && name !== batch.model);
      if (!upstream.every(modelSucceeded)) continue;
      const outcome = batch.alreadyComplete ? 'ok' : outcomes.get(batch.executionId);
      ends.set(batch.executionId, outcome === 'fail' ? 'failed' : 'succeeded');
      changed = true;
    }
  }
  return ends;
}

describe('runSegment', () => {
  it('runs every batch that can run, in dependency order, within the thread budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArbitrary({ retries: false, abort: false }),
        fc.scheduler(),
        async (testCase, scheduler) => {
          check(testCase, await play(testCase, scheduler));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops starting batches at a retryable failure and rejects once the running ones ended', async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArbitrary({ retries: true, abort: false }),
        fc.scheduler(),
        async (testCase, scheduler) => {
          check(testCase, await play(testCase, scheduler));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops at an abort, lets the running batches see it and rejects once they ended', async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArbitrary({ retries: true, abort: true }),
        fc.scheduler(),
        async (testCase, scheduler) => {
          const trace = await play(testCase, scheduler);
          check(testCase, trace);
          const starts = trace.events.filter((e) => e.kind === 'start').map((e) => e.id);
          if (
            testCase.abortAfter !== undefined &&
            testCase.abortAfter <= starts.length &&
            testCase.abortAfter > 0
          ) {
            // the batch that aborted and every batch running with it saw the abort
            expect(trace.sawAbort).toContain(starts[testCase.abortAfter - 1]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('succeeds already complete batches at once without running them', async () => {
    const batch = (id: string, model: string, dependsOn: string[] = [], alreadyComplete = false) => ({
      executionId: id,
      gateway: 'warehouse',
      model,
      interval: null,
      request: {},
      dependsOn,
      ...(alreadyComplete ? { alreadyComplete } : {}),
    });
    const ran: string[] = [];
    const results = await runSegment(
      {
        segmentId: 'seg',
        gateway: 'warehouse',
        threads: 1,
        batches: [batch('a1', 'a', [], true), batch('b1', 'b', ['a']), batch('a2', 'a', [], true)],
      },
      {
        signal: new AbortController().signal,
        resumed: [],
        runBatch: async (b) => {
          ran.push(b.executionId);
          return report('test');
        },
        emptyReport: () => report('already'),
        isRetryable: () => false,
        failed: (_error, b) => failedResult(b),
        onProgress: () => {},
      },
    );
    expect(ran).toEqual(['b1']);
    expect(results.map((r) => [r.executionId, r.status === 'succeeded' && r.report.executor])).toEqual([
      ['a1', 'already'],
      ['a2', 'already'],
      ['b1', 'test'],
    ]);
  });
});
