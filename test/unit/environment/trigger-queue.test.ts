/**
 * Triggered runs wait for models other runs hold, in the environment's state machine: recorded
 * queued with the runs they wait for, started once those end, in the order they were asked, before
 * the next tick; a scheduled tick still skips busy models. Histories written before this (the
 * workflow's patch marker absent) keep skipping.
 */
import { describe, expect, it } from 'vitest';
import { nextTriggerTurn, triggerWants, waitReason } from '../../../core/environment/trigger-queue.ts';
import { Driver, HOUR, SHOP_MODELS as MODELS, work } from './driver.ts';

function loaded(queueTriggers = true): Driver {
  const d = new Driver(undefined, undefined, { queueTriggers });
  d.feed({ type: 'started' });
  d.feed({ type: 'scheduleLoaded', models: MODELS });
  d.feed({ type: 'historyChecked', full: false });
  return d;
}

/** Starts a run for `models` through the loop (a trigger's or a tick's), answering each command. */
function startThrough(d: Driver, models: string[]): string {
  if (d.loop?.kind === 'closedRuns') d.feed({ type: 'closedRunsFound', runIds: [] });
  if (d.loop?.kind === 'recordSkips') d.feed({ type: 'skipsRecorded' });
  expect(d.loop).toMatchObject({ kind: 'findDueWork', models });
  d.feed({ type: 'dueWorkFound', work: work(models) });
  const started = d.loop;
  expect(started?.kind).toBe('startRun');
  d.feed({ type: 'runStarted' });
  return started?.kind === 'startRun' ? started.runId : '';
}

function trigger(d: Driver, runId: string, models: string[], requestedBy = 'ann') {
  d.feed({ type: 'triggerRun', runId, request: { models, requestedBy } });
}

function finish(d: Driver, runId: string) {
  d.feed({
    type: 'runFinished',
    report: {
      runId,
      environment: 'prod',
      trigger: 'manual',
      status: 'succeeded',
      scheduledAt: d.now,
      startedAt: d.now,
      finishedAt: d.now,
      models: {},
    },
  });
}

/** r1 runs shop.a; r2 is asked for `models` and the loop, woken, is told to record it queued. */
function r2BehindR1(models: string[]): { d: Driver; r1: string } {
  const d = loaded();
  trigger(d, 'r1', ['shop.a']);
  d.feed({ type: 'woke', timedOut: false });
  const r1 = startThrough(d, ['shop.a']);
  trigger(d, 'r2', models);
  d.feed({ type: 'historyChecked', full: false });
  d.feed({ type: 'woke', timedOut: false });
  expect(d.loop).toMatchObject({ kind: 'recordQueuedRun', run: { runId: 'r2', reason: waitReason([r1]) } });
  return { d, r1 };
}

describe('triggered runs that wait for their models', () => {
  it('records a trigger queued with the run it waits for, and starts it once that run ends', () => {
    const d = loaded();
    trigger(d, 'r1', ['shop.a']);
    d.feed({ type: 'woke', timedOut: false });
    const r1 = startThrough(d, ['shop.a']);
    d.feed({ type: 'historyChecked', full: false });

    d.now += 1000;
    trigger(d, 'r2', ['shop.b']);
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toEqual({
      kind: 'recordQueuedRun',
      run: {
        runId: 'r2',
        environment: 'prod',
        trigger: 'manual',
        scheduledAt: d.now,
        models: ['shop.b'],
        reason: `waiting for run ${r1} of the same models`,
        triggeredBy: 'ann',
      },
    });
    d.feed({ type: 'queuedRunRecorded' });
    // Nothing else to do: it sleeps, and no skip was recorded.
    expect(d.loop?.kind).toBe('checkHistory');
    d.feed({ type: 'historyChecked', full: false });
    expect(d.state.memory.triggers.map((t) => t.runId)).toEqual(['r2']);
    expect(d.state.memory.catchUp).toEqual([]);

    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    expect(startThrough(d, ['shop.b'])).toBe('r2');
    expect(d.state.memory.triggers).toEqual([]);
  });

  it('keeps the order asked: a later trigger on free models waits behind an earlier one wanting them', () => {
    const d = loaded();
    trigger(d, 'r1', ['shop.a']);
    d.feed({ type: 'woke', timedOut: false });
    const r1 = startThrough(d, ['shop.a']);
    trigger(d, 'r2', ['shop.a', 'shop.c']);
    trigger(d, 'r3', ['shop.c']);
    d.feed({ type: 'historyChecked', full: false });
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toMatchObject({ kind: 'recordQueuedRun', run: { runId: 'r2', reason: waitReason([r1]) } });
    d.feed({ type: 'queuedRunRecorded' });
    expect(d.loop).toMatchObject({
      kind: 'recordQueuedRun',
      run: { runId: 'r3', reason: waitReason(['r2']) },
    });
    d.feed({ type: 'queuedRunRecorded' });
    expect(d.loop?.kind).toBe('checkHistory');
    d.feed({ type: 'historyChecked', full: false });

    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    const r2 = startThrough(d, ['shop.a', 'shop.c']);
    expect(r2).toBe('r2');
    // r3 now waits for r2 in flight; already recorded, it is not recorded again.
    expect(d.loop?.kind).toBe('checkHistory');
    d.feed({ type: 'historyChecked', full: false });
    finish(d, r2);
    d.feed({ type: 'woke', timedOut: false });
    expect(startThrough(d, ['shop.c'])).toBe('r3');
  });

  it('goes before a due tick once its models are free; the tick still skips what is busy', () => {
    const { d, r1 } = r2BehindR1(['shop.a']);
    d.feed({ type: 'queuedRunRecorded' });
    d.feed({ type: 'historyChecked', full: false });

    // At the tick r1 still runs: the tick skips shop.a and its downstream, and runs shop.c.
    d.now = d.state.wake!.at + 100;
    d.feed({ type: 'woke', timedOut: true });
    d.feed({ type: 'closedRunsFound', runIds: [] });
    expect(d.loop).toMatchObject({ kind: 'recordSkips' });
    d.feed({ type: 'skipsRecorded' });
    const tickRun = startThrough(d, ['shop.c']);
    d.feed({ type: 'historyChecked', full: false });

    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    expect(startThrough(d, ['shop.a'])).toBe('r2');
    expect(d.state.memory.runs[tickRun]).toBeDefined();
  });

  it('ends a queued run as skipped when nothing was due once its models were free', () => {
    const { d, r1 } = r2BehindR1(['shop.a']);
    d.feed({ type: 'queuedRunRecorded' });
    d.feed({ type: 'historyChecked', full: false });
    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'dueWorkFound', work: [] });
    expect(d.loop).toEqual({
      kind: 'skipQueuedRun',
      runId: 'r2',
      reason: 'nothing was due once its models were free',
    });
    d.feed({ type: 'queuedRunSkipped' });
    expect(d.loop?.kind).toBe('checkHistory');
  });

  it('a trigger cancelled while queued leaves the queue and its record ends cancelled', () => {
    const { d, r1 } = r2BehindR1(['shop.a']);
    d.feed({ type: 'queuedRunRecorded' });
    d.feed({ type: 'historyChecked', full: false });
    d.feed({ type: 'cancelQueuedRun', runId: 'r2', actor: 'carol' });
    expect(d.side).toEqual([
      {
        kind: 'recordQueuedRunCancelled',
        runId: 'r2',
        reason: 'cancelled by carol while queued',
        what: 'recording run r2 cancelled',
      },
    ]);
    expect(d.state.memory.triggers).toEqual([]);
    // Once started, a run is not the queue's to cancel: its workflow is.
    d.feed({ type: 'cancelQueuedRun', runId: r1, actor: 'carol' });
    expect(d.commands).toEqual([]);
    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop?.kind).toBe('checkHistory');
  });

  it('a failed recording is the last error, and the trigger still starts when its models are free', () => {
    const { d, r1 } = r2BehindR1(['shop.b']);
    d.feed({ type: 'stepFailed', message: 'state db down' });
    expect(d.state.lastError?.message).toBe('recording run r2 queued: state db down');
    expect(d.loop?.kind).toBe('checkHistory');
    d.feed({ type: 'historyChecked', full: false });
    finish(d, r1);
    d.feed({ type: 'woke', timedOut: false });
    expect(startThrough(d, ['shop.b'])).toBe('r2');
  });

  it('continues as new with waiting triggers in its memory, not before', () => {
    const d = loaded();
    trigger(d, 'r1', ['shop.a']);
    d.feed({ type: 'woke', timedOut: false });
    startThrough(d, ['shop.a']);
    trigger(d, 'r2', ['shop.a']);
    d.feed({ type: 'historyChecked', full: false });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'queuedRunRecorded' });
    d.feed({ type: 'historyChecked', full: true });
    d.feed({ type: 'handlersFinished' });
    expect(d.loop).toMatchObject({ kind: 'continueAsNew' });
    const memory = d.loop?.kind === 'continueAsNew' ? d.loop.memory : undefined;
    expect(memory?.triggers).toMatchObject([
      { runId: 'r2', queuedReason: expect.stringContaining('waiting for run') },
    ]);
  });

  it('without the patch marker a trigger skips busy models, as histories before it did', () => {
    const d = loaded(false);
    trigger(d, 'r1', ['shop.a']);
    d.feed({ type: 'woke', timedOut: false });
    startThrough(d, ['shop.a']);
    trigger(d, 'r2', ['shop.a', 'shop.c']);
    d.feed({ type: 'historyChecked', full: false });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'closedRunsFound', runIds: [] });
    expect(d.loop).toMatchObject({ kind: 'recordSkips' });
  });

  it('a trigger wants its selection, its upstream when asked, and a restatement its downstream', () => {
    const d = loaded();
    const base = { runId: 'x', requestedAt: 0, requestedBy: 'ann' };
    const m = d.state.memory;
    expect(triggerWants(m, { ...base, models: ['shop.b'], includeUpstream: true }).sort()).toEqual([
      'shop.a',
      'shop.b',
    ]);
    expect(triggerWants(m, { ...base, models: ['shop.a'], restate: { start: 0, end: HOUR } }).sort()).toEqual(
      ['shop.a', 'shop.b'],
    );
    expect(triggerWants(m, base).sort()).toEqual(['shop.a', 'shop.b', 'shop.c']);
    expect(nextTriggerTurn(m)).toBeNull();
  });
});
