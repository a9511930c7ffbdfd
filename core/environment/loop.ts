/**
 * The environment's loop, one step at a time: what it does next (apply the first queued plan, start
 * a triggered run, catch up, or sleep until the next tick) and what each command's answer leads to.
 * Each step gives exactly one loop command; its answer is the next loop event.
 */
import { planWorkflowId, runWorkflowId } from '../workflow-ids.ts';
import { catchUpDue, takeCatchUp } from './catch-up.ts';
import { copyJson, fail, type TransitionContext } from './context.ts';
import type { LoopEvent } from './events.ts';
import { busyModels, hasRunsInFlight, limitFor, skipOf } from './in-flight.ts';
import type { PendingTrigger } from './memory.ts';
import type { SkipRecord } from './records.ts';
import { advanceCursor, currentWake, isBlocked, replaceModels } from './schedule-cache.ts';
import type { RunStart, Step } from './state.ts';
import { nextTriggerTurn, type TriggerTurn, triggerWants, waitReason } from './trigger-queue.ts';
import { describeEnvironment } from './view.ts';

/** How often stale runs (ended without reporting) are looked for while a plan waits on them. */
export const RECONCILE_WAITING_MS = 60_000;
/** ... and while sleeping with runs in flight. */
export const RECONCILE_IDLE_MS = 5 * 60_000;

export function advanceLoop(c: TransitionContext, event: LoopEvent): undefined {
  const step = c.state.step;
  if (event.type === 'stepFailed') return stepFailed(c, step, event.message);
  const m = c.state.memory;
  switch (step.kind) {
    case 'loading':
      if (event.type === 'started') {
        c.commands.push({ kind: 'loadSchedule', environment: c.state.config.environment, fatal: true });
        return;
      }
      if (event.type === 'scheduleLoaded') {
        replaceModels(c.state, event.models);
        c.state.loaded = true;
        return choose(c);
      }
      break;
    case 'choosing':
      if (event.type === 'started') return choose(c);
      break;
    case 'waiting-for-runs':
      if (event.type === 'runsWaited') {
        if (event.drained || !hasRunsInFlight(m)) return waitOrApply(c, step.planId, step.what);
        const what = step.what;
        c.state.step = { kind: 'reconciling-before-plan', planId: step.planId, what };
        c.commands.push({ kind: 'closedRuns', runIds: Object.keys(m.runs) });
        return;
      }
      break;
    case 'reconciling-before-plan':
      if (event.type === 'closedRunsFound') {
        forget(c, event.runIds);
        return waitOrApply(c, step.planId, step.what);
      }
      break;
    case 'applying':
      if (event.type === 'planApplied') {
        replaceModels(c.state, event.models);
        endPlan(c, step.planId);
        return choose(c);
      }
      if (event.type === 'planNotApplied') {
        c.commands.push({
          kind: 'log',
          level: 'warn',
          message: 'plan not applied',
          fields: { planId: step.planId, outcome: event.outcome, error: event.message },
        });
        c.state.step = { kind: 'recording-plan-end', planId: step.planId, what: step.what };
        const ended = event.outcome === 'failed' ? 'failed' : `was ${event.outcome}`;
        c.commands.push({
          kind: 'finishPlan',
          plan: {
            planId: step.planId,
            environment: c.state.config.environment,
            status: event.outcome,
            error: `the plan's application ${ended}: ${event.message}`,
          },
        });
        return;
      }
      break;
    case 'recording-plan-end':
    case 'reloading-schedule':
      if (event.type === 'planEndRecorded' || event.type === 'scheduleLoaded') {
        replaceModels(c.state, event.models);
        endPlan(c, step.planId);
        return choose(c);
      }
      break;
    case 'clearing-intervals':
      if (event.type === 'intervalsCleared')
        return startTriggeredRun(c, step.trigger, step.wanted, step.what);
      break;
    case 'naming-catch-up':
      if (event.type === 'uniqueDrawn') {
        const { ready, waiting } = takeCatchUp(m, (model) => isBlocked(c.state, model));
        m.catchUp = waiting;
        if (ready.length === 0) return choose(c);
        const env = c.state.config.environment;
        const runId = runWorkflowId(env, 'catchup', c.now, event.unique);
        return startRun(c, { runId, trigger: 'schedule', scheduledAt: c.now, wanted: ready }, step.what);
      }
      break;
    case 'reconciling-before-run':
      if (event.type === 'closedRunsFound') {
        forget(c, event.runIds);
        return decideSkips(c, step.run, step.what);
      }
      break;
    case 'recording-skips':
      if (event.type === 'skipsRecorded') return findWork(c, step.run, step.what);
      break;
    case 'finding-due-work':
      if (event.type === 'dueWorkFound') {
        if (event.work.length === 0) return nothingToRun(c, step.run);
        const { run } = step;
        const models = event.work.map((w) => w.model);
        c.state.step = { kind: 'starting-run', run, models, what: step.what };
        c.commands.push({
          kind: 'startRun',
          runId: run.runId,
          environment: c.state.config.environment,
          trigger: run.trigger,
          scheduledAt: run.scheduledAt,
          work: event.work,
        });
        return;
      }
      break;
    case 'starting-run':
      if (event.type === 'runStarted') {
        const { run, models } = step;
        m.runs[run.runId] = {
          runId: run.runId,
          trigger: run.trigger,
          models,
          done: [],
          scheduledAt: run.scheduledAt,
          startedAt: c.now,
          limitMs: limitFor(m, models, c.state.config.stuckAfterMs),
        };
        return choose(c);
      }
      break;
    case 'recording-queued-run':
      if (event.type === 'queuedRunRecorded') return choose(c);
      break;
    case 'skipping-queued-run':
      if (event.type === 'queuedRunSkipped') return choose(c);
      break;
    case 'checking-history':
      if (event.type === 'historyChecked') return event.full ? finishHandlers(c) : sleep(c);
      break;
    case 'finishing-handlers':
      if (event.type === 'handlersFinished') {
        if (m.plans.length > 0 || triggerPending(c)) return choose(c);
        c.state.step = { kind: 'continued' };
        c.commands.push({ kind: 'continueAsNew', memory: copyJson(m) });
        return;
      }
      break;
    case 'sleeping':
      if (event.type === 'woke') return woke(c, step.runsOpen, event.timedOut);
      break;
    case 'reconciling':
      if (event.type === 'closedRunsFound') {
        forget(c, event.runIds);
        return choose(c);
      }
      break;
    case 'continued':
      break;
  }
  throw new Error(
    `environment ${c.state.config.environment}: event ${event.type} does not answer step ${step.kind}`,
  );
}

/** The top of the loop: the first queued plan, then the first trigger, then catch-up, then sleep. */
function choose(c: TransitionContext): undefined {
  const { state } = c;
  const m = state.memory;
  state.step = { kind: 'choosing' };
  const plan = m.plans[0];
  if (plan) return waitOrApply(c, plan.planId, `applying plan ${plan.planId}`);
  if (state.config.queueTriggers) {
    const turn = nextTriggerTurn(m);
    if (turn && turn.waitsFor.length > 0) return recordQueued(c, turn);
    if (turn) {
      m.triggers.splice(turn.index, 1);
      return beginTriggeredRun(c, turn.trigger);
    }
  } else {
    const trigger = m.triggers.shift();
    if (trigger) return beginTriggeredRun(c, trigger);
  }
  if (catchUpDue(m, (model) => isBlocked(state, model))) {
    state.step = { kind: 'naming-catch-up', what: 'starting a catch-up run' };
    c.commands.push({ kind: 'drawUnique' });
    return;
  }
  // Computed again only when a tick passed, or the models or pauses changed.
  state.wake = currentWake(state);
  showDetails(c);
  state.step = { kind: 'checking-history' };
  c.commands.push({ kind: 'checkHistory' });
}

function showDetails(c: TransitionContext) {
  c.commands.push({ kind: 'showDetails', details: describeEnvironment(c.state, c.now) });
}

/** A plan starts only once no run is in flight, and only if it is still first in the queue. */
function waitOrApply(c: TransitionContext, planId: string, what: string): undefined {
  const { state } = c;
  const m = state.memory;
  if (hasRunsInFlight(m)) {
    showDetails(c);
    state.step = { kind: 'waiting-for-runs', planId, what };
    c.commands.push({ kind: 'waitForRuns', timeoutMs: RECONCILE_WAITING_MS });
    return;
  }
  const plan = m.plans[0];
  // A plan cancelled while it waited for the runs is no longer first in the queue.
  if (plan?.planId !== planId) return choose(c);
  const workflowId = planWorkflowId(planId);
  state.applying = {
    planId,
    workflowId,
    startedAt: c.now,
    limitMs: limitFor(
      m,
      m.models.map((model) => model.name),
      state.config.stuckAfterMs,
    ),
  };
  showDetails(c);
  state.step = { kind: 'applying', planId, what };
  c.commands.push({
    kind: 'applyPlan',
    planId,
    submittedBy: plan.submittedBy,
    workflowId,
    environment: state.config.environment,
  });
}

/** The plan's application is over, however it ended: it leaves the queue. */
function endPlan(c: TransitionContext, planId: string) {
  c.state.applying = null;
  if (c.state.memory.plans[0]?.planId === planId) c.state.memory.plans.shift();
}

/** Whether the loop has something to do for a trigger (see core/environment/trigger-queue.ts). */
function triggerPending(c: TransitionContext): boolean {
  const m = c.state.memory;
  return c.state.config.queueTriggers ? nextTriggerTurn(m) !== null : m.triggers.length > 0;
}

/** A trigger must wait for other runs: its run is recorded `queued`, with the runs it waits for. */
function recordQueued(c: TransitionContext, turn: TriggerTurn): undefined {
  const { trigger } = turn;
  const reason = waitReason(turn.waitsFor);
  trigger.queuedReason = reason;
  c.state.step = { kind: 'recording-queued-run', what: `recording run ${trigger.runId} queued` };
  c.commands.push({
    kind: 'recordQueuedRun',
    run: {
      runId: trigger.runId,
      environment: c.state.config.environment,
      trigger: trigger.restate ? 'restatement' : 'manual',
      scheduledAt: trigger.requestedAt,
      models: triggerWants(c.state.memory, trigger).sort(),
      reason,
      triggeredBy: trigger.requestedBy,
    },
  });
}

/** A run found nothing to run: a triggered one that waited ends its `queued` record as skipped. */
function nothingToRun(c: TransitionContext, run: RunStart): undefined {
  if (!run.queued) return choose(c);
  c.state.step = { kind: 'skipping-queued-run', what: `ending run ${run.runId}, which had nothing to run` };
  c.commands.push({
    kind: 'skipQueuedRun',
    runId: run.runId,
    reason: 'nothing was due once its models were free',
  });
}

function beginTriggeredRun(c: TransitionContext, trigger: PendingTrigger): undefined {
  const what = `starting run ${trigger.runId}`;
  const wanted = triggerWants(c.state.memory, trigger);
  if (!trigger.restate) return startTriggeredRun(c, trigger, wanted, what);
  c.state.step = { kind: 'clearing-intervals', trigger, wanted, what };
  c.commands.push({
    kind: 'clearIntervals',
    environment: c.state.config.environment,
    models: wanted,
    start: trigger.restate.start,
    end: trigger.restate.end,
  });
}

function startTriggeredRun(
  c: TransitionContext,
  trigger: PendingTrigger,
  wanted: string[],
  what: string,
): undefined {
  // Named models run even when paused; a whole-environment run leaves paused models alone.
  const explicit = new Set(trigger.models ?? []);
  const runnable = wanted.filter((model) => explicit.has(model) || !isBlocked(c.state, model)).sort();
  startRun(
    c,
    {
      runId: trigger.runId,
      trigger: trigger.restate ? 'restatement' : 'manual',
      scheduledAt: trigger.requestedAt,
      wanted: runnable,
      ...(trigger.restate ? { restrict: trigger.restate } : {}),
      ...(trigger.queuedReason ? { queued: true } : {}),
    },
    what,
  );
}

/**
 * Starts a run for `run.wanted` (which must not be blocked by pauses): runs that ended unreported
 * are forgotten first, then models still running, and their downstream, are skipped with the reason
 * and caught up when the run in flight ends.
 */
function startRun(c: TransitionContext, run: RunStart, what: string): undefined {
  const m = c.state.memory;
  if (!hasRunsInFlight(m)) return decideSkips(c, run, what);
  c.state.step = { kind: 'reconciling-before-run', run, what };
  c.commands.push({ kind: 'closedRuns', runIds: Object.keys(m.runs) });
}

function decideSkips(c: TransitionContext, run: RunStart, what: string): undefined {
  const m = c.state.memory;
  const busy = busyModels(m);
  const skips: SkipRecord[] = [];
  const models: string[] = [];
  for (const model of run.wanted) {
    if (!busy.has(model)) {
      models.push(model);
      continue;
    }
    const environment = c.state.config.environment;
    skips.push({ environment, model, ...skipOf(m, model), scheduledAt: run.scheduledAt, runId: run.runId });
    if (!m.catchUp.includes(model)) m.catchUp.push(model);
  }
  const decided = { ...run, models };
  if (skips.length === 0) return findWork(c, decided, what);
  c.state.step = { kind: 'recording-skips', run: decided, what };
  c.commands.push({ kind: 'recordSkips', skips });
}

function findWork(c: TransitionContext, run: RunStart, what: string): undefined {
  const models = run.models ?? [];
  if (models.length === 0) return nothingToRun(c, run);
  c.state.step = { kind: 'finding-due-work', run, what };
  c.commands.push({
    kind: 'findDueWork',
    environment: c.state.config.environment,
    models,
    now: c.now,
    ...(run.restrict ? { restrict: run.restrict } : {}),
  });
}

/** Runs that ended without reporting (terminated, timed out) are forgotten: their models are free. */
function forget(c: TransitionContext, closed: string[]) {
  for (const runId of closed) {
    if (!c.state.memory.runs[runId]) continue;
    c.commands.push({
      kind: 'log',
      level: 'warn',
      message: 'run ended without reporting; forgetting it',
      fields: { runId },
    });
    delete c.state.memory.runs[runId];
  }
}

function finishHandlers(c: TransitionContext): undefined {
  c.state.step = { kind: 'finishing-handlers' };
  c.commands.push({ kind: 'awaitHandlers' });
}

/** Sleeps until the next tick; with runs in flight, wakes at least every few minutes to look for stale ones. */
function sleep(c: TransitionContext): undefined {
  const { state } = c;
  state.dirty = false;
  const untilWake = state.wake ? Math.max(1, state.wake.at - c.now) : undefined;
  const runsOpen = hasRunsInFlight(state.memory);
  const timeoutMs = runsOpen ? Math.min(untilWake ?? RECONCILE_IDLE_MS, RECONCILE_IDLE_MS) : untilWake;
  state.step = { kind: 'sleeping', runsOpen };
  c.commands.push(timeoutMs === undefined ? { kind: 'sleep' } : { kind: 'sleep', timeoutMs });
}

function woke(c: TransitionContext, runsOpen: boolean, timedOut: boolean): undefined {
  const { state } = c;
  const m = state.memory;
  // A trigger whose models came free goes before the tick (it waited; the tick skips what is busy).
  if (m.plans.length > 0 || (state.config.queueTriggers && triggerPending(c))) return choose(c);
  const wake = state.wake;
  if (wake && c.now >= wake.at) {
    const due = advanceCursor(state, c.now);
    const runId = runWorkflowId(state.config.environment, 'schedule', wake.at);
    const what = `starting the run of the ${new Date(wake.at).toISOString()} tick`;
    return startRun(c, { runId, trigger: 'schedule', scheduledAt: wake.at, wanted: due }, what);
  }
  if (timedOut && runsOpen && hasRunsInFlight(m)) {
    state.step = { kind: 'reconciling', what: 'looking for runs that ended unreported' };
    c.commands.push({ kind: 'closedRuns', runIds: Object.keys(m.runs) });
    return;
  }
  choose(c);
}

/** The loop's command failed for good: shown as the last error, and the loop goes on from the top. */
function stepFailed(c: TransitionContext, step: Step, message: string): undefined {
  switch (step.kind) {
    case 'applying':
      endPlan(c, step.planId);
      fail(c, `${step.what}: ${message}`);
      return choose(c);
    case 'recording-plan-end':
      fail(c, `recording the end of plan ${step.planId}: ${message}`);
      c.state.step = { kind: 'reloading-schedule', planId: step.planId, what: step.what };
      c.commands.push({ kind: 'loadSchedule', environment: c.state.config.environment });
      return;
    case 'reloading-schedule':
      endPlan(c, step.planId);
      fail(c, `${step.what}: ${message}`);
      return choose(c);
    case 'waiting-for-runs':
    case 'reconciling-before-plan':
    case 'clearing-intervals':
    case 'naming-catch-up':
    case 'reconciling-before-run':
    case 'recording-skips':
    case 'finding-due-work':
    case 'starting-run':
    case 'recording-queued-run':
    case 'skipping-queued-run':
    case 'reconciling':
      fail(c, `${step.what}: ${message}`);
      return choose(c);
    default:
      throw new Error(
        `environment ${c.state.config.environment}: step ${step.kind} cannot fail (${message})`,
      );
  }
}
