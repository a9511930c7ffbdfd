/**
 * The environment workflow: one per environment (`sluice-env-<name>`), alive as long as the
 * environment. It sleeps on a durable timer until the earliest next cron tick among the models it may
 * run, takes signals to pause and resume, queues plans and applies them one at a time, and starts a
 * run child workflow per tick without waiting for it. Runs report back by signal.
 *
 * Every decision is the state machine's (core/environment): this file turns signals, updates and the
 * answers of activities and children into its events, and carries out the commands it gives.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunRequest, RunTrigger, SchedulerActivities } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import {
  planSubmissionError,
  readyFor,
  triggerModelError,
  triggerRangeError,
  triggerRequestError,
} from '../core/environment/admission.ts';
import {
  type EnvironmentCommand,
  type ImmediateCommand,
  isImmediateCommand,
  isSideCommand,
  type LoopCommand,
  type SideCommand,
} from '../core/environment/commands.ts';
import type { EnvironmentEvent, LoopEvent, OutsideEvent } from '../core/environment/events.ts';
import { hasRunsInFlight } from '../core/environment/in-flight.ts';
import type { EnvironmentMemory } from '../core/environment/memory.ts';
import type { PlanOutcome } from '../core/environment/records.ts';
import { initialState } from '../core/environment/state.ts';
import { transitionInPlace } from '../core/environment/transition.ts';
import { environmentView } from '../core/environment/view.ts';
import type { ErrorCode } from '../core/errors.ts';
import { DEFAULT_STUCK_AFTER_MS } from '../core/watchdog.ts';
import { runWorkflowId } from '../core/workflow-ids.ts';
import { failureMessage } from './activity-failure.ts';
import type { applyWorkflow } from './apply.ts';
import type { runWorkflow } from './run.ts';
import {
  SCHEDULE_LOAD_ACTIVITY_OPTIONS,
  SCHEDULER_ACTIVITY_OPTIONS,
  schedulerActivityOptionsFor,
} from './scheduler-activity-options.ts';
import { modelsAttribute, SluiceEnvironment, SluiceModels, SluiceTrigger } from './search-attributes.ts';
import {
  cancelPlanSignal,
  cancelQueuedRunSignal,
  pauseEnvironmentSignal,
  pauseModelSignal,
  resumeEnvironmentSignal,
  resumeModelSignal,
  runFinishedSignal,
  runProgressSignal,
  stateQuery,
  submitPlanUpdate,
  triggerRunUpdate,
} from './signals.ts';

export type {
  EnvironmentMemory,
  LastExecution,
  QueuedPlan,
  RunInFlight,
  TriggerRequest,
} from '../core/environment/memory.ts';
export type { ApplyingPlan } from '../core/environment/state.ts';
export type { EnvironmentState } from '../core/environment/view.ts';

export interface EnvironmentInput {
  environment: string;
  /** executions at once per gateway in this environment's runs. */
  threads?: number;
  /** set typed search attributes on children (the servers sluice starts register them). */
  searchAttributes?: boolean;
  /** continue-as-new once history reaches this many events, even before the server suggests it. */
  maxHistoryEvents?: number;
  /** the least time a run or a plan application may take before it is reported stuck (1 hour). */
  stuckAfterMs?: number;
  /**
   * SLUICE_RUN_SLOTS and this environment's priority (SLUICE_RUN_PRIORITY): each run waits for a
   * slot of the namespace's keeper. Absent: runs never ask.
   */
  runSlots?: { limit: number; priority: number };
  memory?: EnvironmentMemory;
}

/** Quick state-database activities: a killed scheduler worker delays the environment a few seconds. */
const scheduler = proxyActivities<SchedulerActivities>(SCHEDULER_ACTIVITY_OPTIONS);
/** Loading a whole project's schedule may take longer. */
const scheduleLoader = proxyActivities<SchedulerActivities>(SCHEDULE_LOAD_ACTIVITY_OPTIONS);
/** Activities about `models` models: their timeout grows with them. */
const schedulerFor = (models: number) =>
  proxyActivities<SchedulerActivities>(schedulerActivityOptionsFor(models));

const DEFAULT_THREADS = 4;
const DEFAULT_MAX_HISTORY_EVENTS = 10_000;

/** The message of a step's failure: the activity's or child's own, not Temporal's wrapper. */
function messageOf(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
}

/** How an apply child that did not succeed ended (it records its own failure or cancellation). */
function planOutcome(err: ChildWorkflowFailure): PlanOutcome {
  if (err.cause instanceof TerminatedFailure || err.cause instanceof TimeoutFailure) return 'terminated';
  return isCancellation(err) ? 'cancelled' : 'failed';
}

export async function environmentWorkflow(input: EnvironmentInput): Promise<void> {
  const env = input.environment;
  const threads = input.threads ?? DEFAULT_THREADS;
  // Histories written before triggered runs queued replay with triggers that skip busy models.
  const config = {
    environment: env,
    stuckAfterMs: input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS,
    queueTriggers: patched('triggered-runs-queue'),
  };
  let state = initialState(config, input.memory, Date.now());

  // The workflow is the state's one owner: each event changes it in place, never copying it whole.
  const feed = (event: EnvironmentEvent): EnvironmentCommand[] => {
    const next = transitionInPlace(state, event, Date.now());
    state = next.state;
    return next.commands;
  };
  const doAtOnce = (command: ImmediateCommand): void => {
    if (command.kind === 'showDetails') setCurrentDetails(command.details);
    else log[command.level](command.message, command.fields);
  };

  function searchAttributes(trigger: RunTrigger, models: string[]) {
    if (input.searchAttributes === false) return {};
    return {
      typedSearchAttributes: [
        { key: SluiceEnvironment, value: env },
        { key: SluiceModels, value: models },
        { key: SluiceTrigger, value: trigger },
      ],
    };
  }

  // Handlers are registered before the first await, so no signal or update sent right after the
  // start is refused; those that look at models wait for the first schedule load.
  async function sideCommand(command: SideCommand): Promise<unknown> {
    switch (command.kind) {
      case 'recordPauseChange':
        return scheduler.recordPauseChange(command.change);
      case 'cancelApply':
        return getExternalWorkflowHandle(command.workflowId).cancel();
      case 'recordPlanCancelled':
        return scheduleLoader.finishPlan(command.plan);
      case 'recordQueuedRunCancelled':
        return scheduler.endQueuedRun({ runId: command.runId, status: 'cancelled', reason: command.reason });
    }
  }
  /** A handler's commands: one that fails for good is logged and shown as lastError. */
  async function carryOut(commands: EnvironmentCommand[]): Promise<void> {
    for (const command of commands) {
      if (isImmediateCommand(command)) {
        doAtOnce(command);
        continue;
      }
      if (!isSideCommand(command))
        throw new Error(`environment ${env}: a handler cannot carry out ${command.kind}`);
      try {
        await sideCommand(command);
      } catch (err) {
        if (isCancellation(err)) throw err;
        await carryOut(feed({ type: 'sideCommandFailed', what: command.what, message: messageOf(err) }));
      }
    }
  }
  const take = (event: OutsideEvent) => carryOut(feed(event));
  const takeWhenReady = async (event: OutsideEvent) => {
    await condition(() => readyFor(state, event.type));
    await take(event);
  };

  setHandler(stateQuery, () => environmentView(state, Date.now()));
  setHandler(pauseEnvironmentSignal, (reason, actor) => take({ type: 'pauseEnvironment', reason, actor }));
  setHandler(resumeEnvironmentSignal, (actor) => takeWhenReady({ type: 'resumeEnvironment', actor }));
  setHandler(pauseModelSignal, (model, reason, actor) =>
    takeWhenReady({ type: 'pauseModel', model, reason, actor }),
  );
  setHandler(resumeModelSignal, (model, actor) => takeWhenReady({ type: 'resumeModel', model, actor }));
  setHandler(runProgressSignal, (runId, models) => take({ type: 'runProgress', runId, models }));
  setHandler(runFinishedSignal, (report) => take({ type: 'runFinished', report }));
  setHandler(cancelPlanSignal, (planId, actor) => take({ type: 'cancelPlan', planId, actor }));
  setHandler(cancelQueuedRunSignal, (runId, actor) => take({ type: 'cancelQueuedRun', runId, actor }));
  setHandler(
    submitPlanUpdate,
    ({ planId, submittedBy }) => {
      void take({ type: 'submitPlan', planId, submittedBy });
      return { planId, position: state.memory.plans.length };
    },
    {
      validator: (plan) => {
        const error = planSubmissionError(state, plan);
        if (error) throw new Error(error);
      },
    },
  );
  setHandler(
    triggerRunUpdate,
    async (request) => {
      // A plan being applied may be adding the model: judge the request against its result.
      await condition(() => readyFor(state, 'triggerRun'));
      const unknown = triggerModelError(state, request);
      if (unknown) throw ApplicationFailure.nonRetryable(unknown, 'UNKNOWN_MODEL' satisfies ErrorCode);
      // A request taken before the schedule was known is judged on it now; histories written before
      // this check have no marker, and replay without it.
      if (patched('trigger-range-check')) {
        const badRange = triggerRangeError(state, request, Date.now());
        if (badRange) throw ApplicationFailure.nonRetryable(badRange, 'INVALID_INPUT' satisfies ErrorCode);
      }
      const runId = runWorkflowId(env, request.restate ? 'restatement' : 'manual', Date.now(), uuid4());
      await take({ type: 'triggerRun', request, runId });
      return { runId };
    },
    {
      // Validators are not recorded in history: what they judge may change without breaking replay.
      validator: (request) => {
        const malformed = triggerRequestError(state, request);
        if (malformed) throw ApplicationFailure.nonRetryable(malformed, 'INVALID_INPUT' satisfies ErrorCode);
        // Until the schedule is loaded and no plan is being applied, the handler judges the rest.
        if (!readyFor(state, 'triggerRun')) return;
        const unknown = triggerModelError(state, request);
        if (unknown) throw ApplicationFailure.nonRetryable(unknown, 'UNKNOWN_MODEL' satisfies ErrorCode);
        const badRange = triggerRangeError(state, request, Date.now());
        if (badRange) throw ApplicationFailure.nonRetryable(badRange, 'INVALID_INPUT' satisfies ErrorCode);
      },
    },
  );

  /** Carries out one of the loop's commands; its answer, or its failure, is the loop's next event. */
  async function loopCommand(command: LoopCommand): Promise<LoopEvent> {
    switch (command.kind) {
      case 'loadSchedule':
        return { type: 'scheduleLoaded', models: await scheduleLoader.loadSchedule(command.environment) };
      case 'waitForRuns': {
        const drained = await condition(() => !hasRunsInFlight(state.memory), command.timeoutMs);
        return { type: 'runsWaited', drained };
      }
      case 'closedRuns':
        return { type: 'closedRunsFound', runIds: await scheduler.closedRuns(command.runIds) };
      case 'applyPlan':
        try {
          const models = await executeChild<typeof applyWorkflow>('applyWorkflow', {
            workflowId: command.workflowId,
            args: [{ planId: command.planId, environment: command.environment, threads }],
            staticSummary: `apply plan ${command.planId} to ${env} (submitted by ${command.submittedBy})`,
            ...searchAttributes('plan', []),
          });
          return { type: 'planApplied', models };
        } catch (err) {
          if (!(err instanceof ChildWorkflowFailure)) throw err;
          return { type: 'planNotApplied', outcome: planOutcome(err), message: failureMessage(err) };
        }
      case 'finishPlan':
        return { type: 'planEndRecorded', models: await scheduleLoader.finishPlan(command.plan) };
      case 'clearIntervals': {
        const { environment, models, start, end } = command;
        await schedulerFor(models.length).clearIntervals({ environment, models, start, end });
        return { type: 'intervalsCleared' };
      }
      case 'drawUnique':
        return { type: 'uniqueDrawn', unique: uuid4() };
      case 'recordSkips':
        await schedulerFor(command.skips.length).recordSkips(command.skips);
        return { type: 'skipsRecorded' };
      case 'findDueWork': {
        const { environment, models, now, restrict } = command;
        const work = await schedulerFor(models.length).findDueWork({
          environment,
          models,
          now,
          ...(restrict ? { restrict } : {}),
        });
        return { type: 'dueWorkFound', work };
      }
      case 'startRun': {
        const request: RunRequest = {
          runId: command.runId,
          environment: command.environment,
          trigger: command.trigger,
          scheduledAt: command.scheduledAt,
          work: command.work,
          threads,
          executorQueue: TASK_QUEUES.run,
          parentWorkflowId: workflowInfo().workflowId,
          ...(input.runSlots ? { runSlots: input.runSlots } : {}),
        };
        const names = command.work.map((w) => w.model);
        await startChild<typeof runWorkflow>('runWorkflow', {
          workflowId: command.runId,
          args: [request],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          staticSummary: `${command.trigger} run of ${names.length} model(s) in ${env}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`,
          ...searchAttributes(command.trigger, modelsAttribute(names)),
        });
        return { type: 'runStarted' };
      }
      case 'recordQueuedRun':
        await schedulerFor(command.run.models.length).recordRunQueued(command.run);
        return { type: 'queuedRunRecorded' };
      case 'skipQueuedRun':
        await scheduler.endQueuedRun({ runId: command.runId, status: 'skipped', reason: command.reason });
        return { type: 'queuedRunSkipped' };
      case 'checkHistory': {
        const info = workflowInfo();
        const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
        return { type: 'historyChecked', full: info.continueAsNewSuggested || info.historyLength >= limit };
      }
      case 'awaitHandlers':
        await condition(allHandlersFinished);
        return { type: 'handlersFinished' };
      case 'sleep': {
        const { timeoutMs } = command;
        const woken =
          timeoutMs === undefined
            ? await condition(() => state.dirty)
            : await condition(() => state.dirty, timeoutMs);
        return { type: 'woke', timedOut: woken === false };
      }
      case 'continueAsNew':
        return continueAsNew<typeof environmentWorkflow>({ ...input, memory: command.memory });
    }
  }

  let commands = feed({ type: 'started' });
  for (;;) {
    const command = commands.shift();
    if (command === undefined)
      throw new Error(`environment ${env}: the state machine gave its loop nothing to do`);
    if (isImmediateCommand(command)) {
      doAtOnce(command);
      continue;
    }
    if (isSideCommand(command))
      throw new Error(`environment ${env}: the loop cannot carry out ${command.kind}`);
    let event: LoopEvent;
    try {
      event = await loopCommand(command);
    } catch (err) {
      // Continuing as new ends this run by throwing; so do a cancellation and a fatal first load.
      const fatal = command.kind === 'continueAsNew' || (command.kind === 'loadSchedule' && command.fatal);
      if (fatal || isCancellation(err)) throw err;
      event = { type: 'stepFailed', message: messageOf(err) };
    }
    commands = [...commands, ...feed(event)];
  }
}
