/**
 * The environment's state machine: `(state, event, now) -> (state, commands)`. Pure and
 * deterministic: the workflow feeds it signals, updates and the answers to its commands, with the
 * workflow's time, and carries out the commands it gives.
 */
import { releasedByEnvironmentResume } from './catch-up.ts';
import type { EnvironmentCommand } from './commands.ts';
import { copyJson, fail, type TransitionContext } from './context.ts';
import type { EnvironmentEvent, LoopEvent, OutsideEvent } from './events.ts';
import { markDone, remember } from './in-flight.ts';
import { advanceLoop } from './loop.ts';
import { blockedModels, pausesChanged } from './schedule-cache.ts';
import type { EnvironmentMachine } from './state.ts';

export interface Transition {
  state: EnvironmentMachine;
  commands: EnvironmentCommand[];
}

const LOOP_EVENTS: ReadonlySet<string> = new Set<LoopEvent['type']>([
  'started',
  'scheduleLoaded',
  'runsWaited',
  'closedRunsFound',
  'planApplied',
  'planNotApplied',
  'planEndRecorded',
  'intervalsCleared',
  'uniqueDrawn',
  'skipsRecorded',
  'dueWorkFound',
  'runStarted',
  'queuedRunRecorded',
  'queuedRunSkipped',
  'historyChecked',
  'handlersFinished',
  'woke',
  'stepFailed',
]);

function isLoopEvent(event: EnvironmentEvent): event is LoopEvent {
  return LOOP_EVENTS.has(event.type);
}

/** The next state and the commands to carry out; the state given is left as it was. */
export function transition(state: EnvironmentMachine, event: EnvironmentEvent, now: number): Transition {
  return transitionInPlace(copyJson(state), event, now);
}

/**
 * The same transition, made on the state given, which it returns changed: for the one owner of the
 * state (the workflow), which drops the previous state anyway. Its cost depends on what the event
 * changes, not on the size of the state: a run's progress costs the same with 10 or 10,000 models.
 */
export function transitionInPlace(
  state: EnvironmentMachine,
  event: EnvironmentEvent,
  now: number,
): Transition {
  const c: TransitionContext = { state, now, commands: [] };
  if (isLoopEvent(event)) advanceLoop(c, event);
  else onOutsideEvent(c, event);
  return { state: c.state, commands: c.commands };
}

/** Signals and updates change the state at once; recording them is the handler's side command. */
function onOutsideEvent(c: TransitionContext, event: OutsideEvent): void {
  const { state, now } = c;
  const m = state.memory;
  const environment = state.config.environment;
  switch (event.type) {
    case 'pauseEnvironment': {
      const { reason, actor } = event;
      m.pauses.environment = { reason, actor, at: now };
      pausesChanged(state);
      state.dirty = true;
      c.commands.push({
        kind: 'recordPauseChange',
        change: { environment, action: 'pause', reason, actor },
        what: 'recording the pause',
      });
      return;
    }
    case 'resumeEnvironment': {
      if (!m.pauses.environment) return;
      m.pauses.environment = null;
      pausesChanged(state);
      // Every model that is no longer blocked catches up what it missed.
      m.catchUp.push(...releasedByEnvironmentResume(m));
      state.dirty = true;
      c.commands.push({
        kind: 'recordPauseChange',
        change: { environment, action: 'resume', actor: event.actor },
        what: 'recording the resume',
      });
      return;
    }
    case 'pauseModel': {
      const { model, reason, actor } = event;
      if (!m.models.some((known) => known.name === model)) {
        c.commands.push({
          kind: 'log',
          level: 'warn',
          message: 'pause for a model the environment does not have is ignored',
          fields: { model, environment },
        });
        return;
      }
      m.pauses.models[model] = { reason, actor, at: now };
      pausesChanged(state);
      state.dirty = true;
      c.commands.push({
        kind: 'recordPauseChange',
        change: { environment, model, action: 'pause', reason, actor },
        what: 'recording the pause',
      });
      return;
    }
    case 'resumeModel': {
      const { model, actor } = event;
      if (!m.pauses.models[model]) return;
      const before = Object.keys(blockedModels(state));
      delete m.pauses.models[model];
      pausesChanged(state);
      const after = blockedModels(state);
      m.catchUp.push(...before.filter((name) => !Object.hasOwn(after, name)));
      state.dirty = true;
      c.commands.push({
        kind: 'recordPauseChange',
        change: { environment, model, action: 'resume', actor },
        what: 'recording the resume',
      });
      return;
    }
    case 'runProgress': {
      const run = m.runs[event.runId];
      if (run) markDone(run, Object.keys(event.models));
      remember(m, event.runId, event.models);
      state.dirty = true;
      return;
    }
    case 'runFinished':
      delete m.runs[event.report.runId];
      remember(m, event.report.runId, event.report.models);
      state.dirty = true;
      return;
    case 'cancelPlan': {
      const { planId, actor } = event;
      if (state.applying?.planId === planId) {
        // The apply workflow cancels its statements and records the plan cancelled.
        c.commands.push({
          kind: 'cancelApply',
          workflowId: state.applying.workflowId,
          what: `cancelling the application of plan ${planId}`,
        });
        return;
      }
      const index = m.plans.findIndex((p) => p.planId === planId);
      if (index < 0) return;
      m.plans.splice(index, 1);
      state.dirty = true;
      c.commands.push({
        kind: 'recordPlanCancelled',
        plan: { planId, environment, status: 'cancelled', error: `cancelled by ${actor} while queued` },
        what: `recording plan ${planId} cancelled`,
      });
      return;
    }
    case 'cancelQueuedRun': {
      const index = m.triggers.findIndex((t) => t.runId === event.runId);
      // Already started: the run's own workflow is cancelled instead.
      if (index < 0) return;
      const [trigger] = m.triggers.splice(index, 1);
      state.dirty = true;
      // Recorded only when it was recorded queued; a trigger not yet recorded has no record to end.
      if (trigger?.queuedReason === undefined) return;
      c.commands.push({
        kind: 'recordQueuedRunCancelled',
        runId: event.runId,
        reason: `cancelled by ${event.actor} while queued`,
        what: `recording run ${event.runId} cancelled`,
      });
      return;
    }
    case 'submitPlan':
      m.plans.push({ planId: event.planId, submittedBy: event.submittedBy, submittedAt: now });
      state.dirty = true;
      return;
    case 'triggerRun':
      m.triggers.push({ ...event.request, runId: event.runId, requestedAt: now });
      state.dirty = true;
      return;
    case 'sideCommandFailed':
      fail(c, `${event.what}: ${event.message}`);
      return;
  }
}
