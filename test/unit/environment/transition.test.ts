import { describe, expect, it } from 'vitest';
import {
  planSubmissionError,
  readyFor,
  triggerModelError,
  triggerRequestError,
} from '../../../core/environment/admission.ts';
import { transition } from '../../../core/environment/transition.ts';
import { environmentView } from '../../../core/environment/view.ts';
import { Driver, HOUR, hourly, MINUTE, SHOP_MODELS as MODELS, START, work } from './driver.ts';

/** A driver past its first load, asleep until the next tick. */
function loaded(): Driver {
  const d = new Driver();
  d.feed({ type: 'started' });
  d.feed({ type: 'scheduleLoaded', models: MODELS });
  d.feed({ type: 'historyChecked', full: false });
  return d;
}

/** Wakes at the next tick and starts its run through findDueWork and startChild. */
function tick(d: Driver, due = ['shop.a', 'shop.b', 'shop.c']): string {
  d.now = d.state.wake!.at + 100;
  d.feed({ type: 'woke', timedOut: true });
  if (d.loop?.kind === 'closedRuns') d.feed({ type: 'closedRunsFound', runIds: [] });
  if (d.loop?.kind === 'recordSkips') d.feed({ type: 'skipsRecorded' });
  expect(d.loop?.kind).toBe('findDueWork');
  d.feed({ type: 'dueWorkFound', work: work(due) });
  const started = d.loop;
  expect(started?.kind).toBe('startRun');
  d.feed({ type: 'runStarted' });
  return started?.kind === 'startRun' ? started.runId : '';
}

describe('the environment state machine', () => {
  it('loads its schedule first, then sleeps until the next tick of its models', () => {
    const d = new Driver();
    expect(d.feed({ type: 'started' })).toEqual([{ kind: 'loadSchedule', environment: 'prod', fatal: true }]);
    d.feed({ type: 'scheduleLoaded', models: MODELS });
    expect(d.state.wake).toEqual({ at: START - 30_000 + HOUR, models: ['shop.a', 'shop.b', 'shop.c'] });
    expect(d.commands.map((c) => c.kind)).toEqual(['showDetails', 'checkHistory']);
    d.feed({ type: 'historyChecked', full: false });
    expect(d.loop).toEqual({ kind: 'sleep', timeoutMs: HOUR - 30_000 });
    expect(d.state.dirty).toBe(false);
  });

  it('runs the due models at a tick, under the tick’s run id, and remembers the run', () => {
    const d = loaded();
    const runId = tick(d);
    expect(runId).toBe('sluice-run-prod-20260101T0100Z');
    expect(d.state.memory.runs[runId]).toMatchObject({
      models: ['shop.a', 'shop.b', 'shop.c'],
      trigger: 'schedule',
    });
    expect(d.state.memory.cursor).toBe(d.now);
    expect(d.loop?.kind).toBe('checkHistory');
  });

  it('skips models still in flight and their downstream, and catches them up once released', () => {
    const d = loaded();
    const first = tick(d);
    d.feed({ type: 'historyChecked', full: false });
    expect(d.loop).toEqual({ kind: 'sleep', timeoutMs: 5 * MINUTE });
    d.feed({
      type: 'runProgress',
      runId: first,
      models: { 'shop.c': { status: 'succeeded', batches: 1, rowsAffected: 1, finishedAt: d.now } },
    });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'historyChecked', full: false });
    d.now = d.state.wake!.at;
    d.feed({ type: 'woke', timedOut: true });
    d.feed({ type: 'closedRunsFound', runIds: [] });
    expect(d.loop).toMatchObject({ kind: 'recordSkips' });
    const skips = d.loop?.kind === 'recordSkips' ? d.loop.skips : [];
    expect(skips.map((s) => [s.model, s.reason])).toEqual([
      ['shop.a', `previous execution still running in ${first}`],
      ['shop.b', `previous execution still running in ${first}`],
    ]);
    d.feed({ type: 'skipsRecorded' });
    expect(d.loop).toMatchObject({ kind: 'findDueWork', models: ['shop.c'] });
    d.feed({ type: 'dueWorkFound', work: [] });
    expect(d.state.memory.catchUp).toEqual(['shop.a', 'shop.b']);
    d.feed({ type: 'historyChecked', full: false });
    d.feed({
      type: 'runFinished',
      report: {
        runId: first,
        environment: 'prod',
        trigger: 'schedule',
        status: 'succeeded',
        scheduledAt: 0,
        startedAt: 0,
        finishedAt: d.now,
        models: {},
      },
    });
    expect(d.state.dirty).toBe(true);
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toEqual({ kind: 'drawUnique' });
    d.feed({ type: 'uniqueDrawn', unique: '1f2e3d4c5b6a' });
    expect(d.loop).toMatchObject({ kind: 'findDueWork', models: ['shop.a', 'shop.b'] });
    expect(d.state.step).toMatchObject({ run: { runId: 'sluice-run-prod-catchup-20260101T0200Z-1f2e3d4c' } });
  });

  it('leaves a paused model and its downstream out of scheduled runs, records the pause and catches up on resume', () => {
    const d = loaded();
    d.feed({ type: 'pauseModel', model: 'shop.a', reason: 'source is late', actor: 'alice' });
    expect(d.side).toEqual([
      {
        kind: 'recordPauseChange',
        change: {
          environment: 'prod',
          model: 'shop.a',
          action: 'pause',
          reason: 'source is late',
          actor: 'alice',
        },
        what: 'recording the pause',
      },
    ]);
    expect(environmentView(d.state, d.now).blocked).toEqual({
      'shop.a': 'paused: source is late',
      'shop.b': 'upstream shop.a is paused',
    });
    d.now = d.state.wake!.at;
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toMatchObject({ kind: 'findDueWork', models: ['shop.c'] });
    d.feed({ type: 'dueWorkFound', work: [] });
    d.feed({ type: 'resumeModel', model: 'shop.a', actor: 'alice' });
    expect(d.state.memory.catchUp).toEqual(['shop.a', 'shop.b']);
  });

  it('ignores a pause of a model the environment does not have, with a warning', () => {
    const d = loaded();
    d.feed({ type: 'pauseModel', model: 'shop.nope', reason: 'r', actor: 'a' });
    expect(d.logs).toEqual(['pause for a model the environment does not have is ignored']);
    expect(d.state.memory.pauses.models).toEqual({});
  });

  it('applies a plan only once the runs in flight are over, looking for stale ones every minute', () => {
    const d = loaded();
    const runId = tick(d);
    d.feed({ type: 'historyChecked', full: false });
    d.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'bob' });
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toEqual({ kind: 'waitForRuns', timeoutMs: MINUTE });
    d.feed({ type: 'runsWaited', drained: false });
    expect(d.loop).toEqual({ kind: 'closedRuns', runIds: [runId] });
    d.feed({ type: 'closedRunsFound', runIds: [runId] });
    expect(d.logs).toEqual(['run ended without reporting; forgetting it']);
    expect(d.loop).toEqual({
      kind: 'applyPlan',
      planId: 'p1',
      submittedBy: 'bob',
      workflowId: 'sluice-plan-p1',
      environment: 'prod',
    });
    expect(d.state.applying).toEqual({
      planId: 'p1',
      workflowId: 'sluice-plan-p1',
      startedAt: d.now,
      limitMs: HOUR,
    });
    expect(readyFor(d.state, 'triggerRun')).toBe(false);
    d.feed({ type: 'planApplied', models: [hourly('shop.a')] });
    expect(d.state.applying).toBeNull();
    expect(d.state.memory.plans).toEqual([]);
    expect(d.state.memory.models.map((m) => m.name)).toEqual(['shop.a']);
  });

  it('records a plan whose application failed, and shows a failure to record it while it reloads the schedule', () => {
    const d = loaded();
    d.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'bob' });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'planNotApplied', outcome: 'terminated', message: 'Workflow execution terminated' });
    expect(d.loop).toEqual({
      kind: 'finishPlan',
      plan: {
        planId: 'p1',
        environment: 'prod',
        status: 'terminated',
        error: "the plan's application was terminated: Workflow execution terminated",
      },
    });
    d.feed({ type: 'stepFailed', message: 'state DB down' });
    expect(d.state.lastError).toEqual({ at: d.now, message: 'recording the end of plan p1: state DB down' });
    expect(d.loop).toEqual({ kind: 'loadSchedule', environment: 'prod' });
    d.feed({ type: 'stepFailed', message: 'still down' });
    expect(d.state.lastError?.message).toBe('applying plan p1: still down');
    expect(d.state.applying).toBeNull();
    expect(d.state.memory.plans).toEqual([]);
  });

  it('cancels a queued plan by recording it, and the plan being applied by cancelling its child', () => {
    const d = loaded();
    d.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'bob' });
    d.feed({ type: 'submitPlan', planId: 'p2', submittedBy: 'bob' });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'cancelPlan', planId: 'p2', actor: 'carol' });
    expect(d.side).toEqual([
      {
        kind: 'recordPlanCancelled',
        plan: {
          planId: 'p2',
          environment: 'prod',
          status: 'cancelled',
          error: 'cancelled by carol while queued',
        },
        what: 'recording plan p2 cancelled',
      },
    ]);
    d.feed({ type: 'cancelPlan', planId: 'p1', actor: 'carol' });
    expect(d.side).toEqual([
      { kind: 'cancelApply', workflowId: 'sluice-plan-p1', what: 'cancelling the application of plan p1' },
    ]);
    d.feed({
      type: 'sideCommandFailed',
      what: 'cancelling the application of plan p1',
      message: 'not found',
    });
    expect(d.state.lastError?.message).toBe('cancelling the application of plan p1: not found');
  });

  it('a restatement clears the intervals of the models and their downstream before it runs them', () => {
    const d = loaded();
    d.feed({
      type: 'triggerRun',
      runId: 'r1',
      request: { models: ['shop.a'], restate: { start: 0, end: HOUR }, requestedBy: 'dan' },
    });
    d.feed({ type: 'woke', timedOut: false });
    expect(d.loop).toEqual({
      kind: 'clearIntervals',
      environment: 'prod',
      models: ['shop.a', 'shop.b'],
      start: 0,
      end: HOUR,
    });
    d.feed({ type: 'intervalsCleared' });
    expect(d.loop).toEqual({
      kind: 'findDueWork',
      environment: 'prod',
      models: ['shop.a', 'shop.b'],
      now: d.now,
      restrict: { start: 0, end: HOUR },
    });
  });

  it('a step that fails for good is shown as the last error, and the loop goes on', () => {
    const d = loaded();
    d.now = d.state.wake!.at;
    d.feed({ type: 'woke', timedOut: true });
    d.feed({ type: 'stepFailed', message: 'connection refused' });
    expect(d.state.lastError).toEqual({
      at: d.now,
      message: 'starting the run of the 2026-01-01T01:00:00.000Z tick: connection refused',
    });
    expect(d.logs).toEqual(['environment step failed; the environment carries on']);
    expect(d.loop?.kind).toBe('checkHistory');
  });

  it('continues as new with its whole memory, but not while a plan is pending', () => {
    const d = loaded();
    d.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'bob' });
    d.feed({ type: 'woke', timedOut: false });
    d.feed({ type: 'planApplied', models: MODELS });
    d.feed({ type: 'historyChecked', full: true });
    expect(d.loop).toEqual({ kind: 'awaitHandlers' });
    d.feed({ type: 'submitPlan', planId: 'p2', submittedBy: 'bob' });
    d.feed({ type: 'handlersFinished' });
    expect(d.loop?.kind).toBe('applyPlan');
    d.feed({ type: 'planApplied', models: MODELS });
    d.feed({ type: 'historyChecked', full: true });
    d.feed({ type: 'handlersFinished' });
    expect(d.loop).toEqual({ kind: 'continueAsNew', memory: d.state.memory });
  });

  it('refuses an event that does not answer the step the loop is on, naming both', () => {
    const d = loaded();
    expect(() => d.feed({ type: 'runStarted' })).toThrow(
      'environment prod: event runStarted does not answer step sleeping',
    );
  });

  it('never changes the state it is given', () => {
    const d = loaded();
    const before = JSON.stringify(d.state);
    transition(d.state, { type: 'pauseEnvironment', reason: 'r', actor: 'a' }, d.now);
    expect(JSON.stringify(d.state)).toBe(before);
  });

  it('says what is wrong with a plan or a trigger it refuses', () => {
    const d = loaded();
    d.feed({ type: 'submitPlan', planId: 'p1', submittedBy: 'bob' });
    expect(planSubmissionError(d.state, { planId: '' })).toBe('planId is required');
    expect(planSubmissionError(d.state, { planId: 'p1' })).toBe(
      'plan p1 is already queued for environment prod',
    );
    expect(planSubmissionError(d.state, { planId: 'p2' })).toBeNull();
    expect(triggerRequestError(d.state, { requestedBy: 'a', restate: { start: 5, end: 5 } })).toBe(
      'restate.end (1970-01-01T00:00:00.005Z) must be after restate.start (1970-01-01T00:00:00.005Z)',
    );
    expect(triggerModelError(d.state, { requestedBy: 'a', models: ['shop.a', 'shop.x'] })).toBe(
      'environment prod has no model shop.x',
    );
  });
});
