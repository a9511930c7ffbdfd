/**
 * The environment workflow: one per environment (`sluice-env-<name>`), alive as long as the
 * environment. It sleeps on a durable timer until the earliest next cron tick among the models it may
 * run, takes signals to pause and resume, queues plans and applies them one at a time, and starts a
 * run child workflow per tick without waiting for it. Runs report back by signal.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  TerminatedFailure,
  TimeoutFailure,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ModelOutcome,
  ModelStatus,
  PlanOutcome,
  RunReport,
  RunRequest,
  RunTrigger,
  SchedulerActivities,
  SkipRecord,
} from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import {
  blockedByPauses,
  describeSchedule,
  dueModels,
  nextWake,
  type Pauses,
  runnableModels,
  runsOnSchedule,
  type ScheduledModel,
  withDownstream,
  withUpstream,
} from '../core/schedule.ts';
import { DEFAULT_STUCK_AFTER_MS, stuckLimitMs, type WorkInFlight } from '../core/watchdog.ts';
import type { applyWorkflow } from './apply.ts';
import { failureMessage } from './execute-models.ts';
import { environmentWorkflowId, planWorkflowId, runWorkflowId } from './ids.ts';
import type { runWorkflow } from './run.ts';
import { modelsAttribute, SluiceEnvironment, SluiceModels, SluiceTrigger } from './search-attributes.ts';

export interface QueuedPlan {
  planId: string;
  submittedBy: string;
  submittedAt: number;
}

export interface RunInFlight {
  runId: string;
  trigger: RunTrigger;
  models: string[];
  /** models of the run that have already finished. */
  done: string[];
  scheduledAt: number;
  startedAt: number;
  /** how long the run may take before the watchdog calls it stuck (see core/watchdog.ts). */
  limitMs?: number;
}

/** The plan being applied, for the watchdog. */
export interface ApplyingPlan {
  planId: string;
  workflowId: string;
  startedAt: number;
  limitMs: number;
}

export interface LastExecution {
  runId: string;
  status: ModelStatus;
  finishedAt: number;
  error?: string;
  reason?: string;
}

export interface TriggerRequest {
  /** models to run; all the environment's scheduled models when empty. */
  models?: string[];
  includeUpstream?: boolean;
  /** restatement: completed intervals in [start, end) are cleared and run again, downstream follows. */
  restate?: { start: number; end: number };
  requestedBy: string;
}

interface PendingTrigger extends TriggerRequest {
  runId: string;
  requestedAt: number;
}

/** Everything the workflow carries across continue-as-new. */
export interface EnvironmentMemory {
  models: ScheduledModel[];
  /** every cron tick at or before this instant has been handled. */
  cursor: number;
  pauses: Pauses;
  plans: QueuedPlan[];
  runs: Record<string, RunInFlight>;
  triggers: PendingTrigger[];
  /** models to run as soon as possible: resumed ones, and ones skipped because they were still running. */
  catchUp: string[];
  lastExecutions: Record<string, LastExecution>;
  /** the longest batch seen of each model, ms: the watchdog's measure. */
  longestBatchMs?: Record<string, number>;
}

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
  memory?: EnvironmentMemory;
}

export interface EnvironmentState {
  environment: string;
  paused: boolean;
  pauses: Pauses;
  nextWake: { at: number; models: string[] } | null;
  /** models not run on schedule now, with the reason (paused, or downstream of a paused model). */
  blocked: Record<string, string>;
  runsInFlight: RunInFlight[];
  modelsInFlight: string[];
  plansQueued: QueuedPlan[];
  applyingPlan: string | null;
  /** the plan being applied, since when and its watchdog limit. */
  applying: ApplyingPlan | null;
  lastExecutions: Record<string, LastExecution>;
  models: ScheduledModel[];
  details: string;
  /** each run in flight and the plan being applied, with when it began and its limit. */
  workInFlight: WorkInFlight[];
  /** why the environment's last step failed (it carries on), when it did. */
  lastError: { at: number; message: string } | null;
}

export const pauseEnvironmentSignal = defineSignal<[reason: string, actor: string]>('pauseEnvironment');
export const resumeEnvironmentSignal = defineSignal<[actor: string]>('resumeEnvironment');
export const pauseModelSignal = defineSignal<[model: string, reason: string, actor: string]>('pauseModel');
export const resumeModelSignal = defineSignal<[model: string, actor: string]>('resumeModel');
/** sent by run children as each model finishes. */
export const runProgressSignal =
  defineSignal<[runId: string, models: Record<string, ModelOutcome>]>('runProgress');
/** sent by run children when they end. */
export const runFinishedSignal = defineSignal<[report: RunReport]>('runFinished');
/** cancels a queued plan, or the application of the plan being applied. */
export const cancelPlanSignal = defineSignal<[planId: string, actor: string]>('cancelPlan');
export const stateQuery = defineQuery<EnvironmentState>('state');
export const submitPlanUpdate = defineUpdate<
  { planId: string; position: number },
  [plan: { planId: string; submittedBy: string }]
>('submitPlan');
export const triggerRunUpdate = defineUpdate<{ runId: string }, [request: TriggerRequest]>('triggerRun');

const scheduler = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const DEFAULT_THREADS = 4;
const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
/** how often stale runs (ended without reporting) are looked for while waiting on them. */
const RECONCILE_EVERY = '1 minute';
/** ... and while sleeping with runs in flight. */
const RECONCILE_IDLE_MS = 5 * 60_000;

export async function environmentWorkflow(input: EnvironmentInput): Promise<void> {
  const env = input.environment;
  const threads = input.threads ?? DEFAULT_THREADS;
  // Handlers are registered before the first await, so no signal or update sent right after the
  // start is refused; the first schedule load completes before they look at models.
  let loaded = input.memory !== undefined;
  const memory: EnvironmentMemory = input.memory ?? {
    models: [],
    cursor: Date.now(),
    pauses: { environment: null, models: {} },
    plans: [],
    runs: {},
    triggers: [],
    catchUp: [],
    lastExecutions: {},
  };
  let applying: ApplyingPlan | null = null;
  let lastError: { at: number; message: string } | null = null;
  let dirty = false;
  let wake: { at: number; models: string[] } | null = null;
  const wakeUp = () => {
    dirty = true;
  };

  const blocked = () => blockedByPauses(memory.models, memory.pauses);
  const modelsInFlight = () =>
    new Set(Object.values(memory.runs).flatMap((r) => r.models.filter((m) => !r.done.includes(m))));
  const remember = (runId: string, models: Record<string, ModelOutcome>) => {
    memory.longestBatchMs ??= {};
    for (const [model, outcome] of Object.entries(models)) {
      if (outcome.longestBatchMs !== undefined) {
        memory.longestBatchMs[model] = Math.max(memory.longestBatchMs[model] ?? 0, outcome.longestBatchMs);
      }
      memory.lastExecutions[model] = {
        runId,
        status: outcome.status,
        finishedAt: outcome.finishedAt,
        error: outcome.error,
        reason: outcome.reason,
      };
    }
  };
  const known = (model: string) => memory.models.some((m) => m.name === model);
  const details = () =>
    describeSchedule({
      wake,
      now: Date.now(),
      pauses: memory.pauses,
      runsInFlight: Object.keys(memory.runs).length,
      plansQueued: memory.plans.length,
      applyingPlan: applying?.planId,
    });
  const limitFor = (models: readonly string[]) =>
    stuckLimitMs(models, memory.longestBatchMs ?? {}, input.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS);
  const workInFlight = (): WorkInFlight[] => [
    ...Object.values(memory.runs).map((r) => ({
      kind: 'run' as const,
      id: r.runId,
      workflowId: r.runId,
      startedAt: r.startedAt,
      limitMs: r.limitMs ?? limitFor(r.models),
    })),
    ...(applying
      ? [
          {
            kind: 'plan' as const,
            id: applying.planId,
            workflowId: applying.workflowId,
            startedAt: applying.startedAt,
            limitMs: applying.limitMs,
          },
        ]
      : []),
  ];
  /** An activity of a handler that failed for good is logged; the environment carries on. */
  const survive = async (what: string, body: () => Promise<unknown>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      if (isCancellation(err)) throw err;
      fail(what, err);
    }
  };
  const fail = (what: string, err: unknown) => {
    const message = `${what}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
    lastError = { at: Date.now(), message };
    log.error('environment step failed; the environment carries on', { environment: env, error: message });
  };

  setHandler(stateQuery, () => ({
    environment: env,
    paused: memory.pauses.environment !== null,
    pauses: memory.pauses,
    nextWake: wake,
    blocked: Object.fromEntries(blocked()),
    runsInFlight: Object.values(memory.runs),
    modelsInFlight: [...modelsInFlight()].sort(),
    plansQueued: memory.plans,
    applyingPlan: applying?.planId ?? null,
    applying,
    lastExecutions: memory.lastExecutions,
    models: memory.models,
    details: details(),
    workInFlight: workInFlight(),
    lastError,
  }));

  setHandler(pauseEnvironmentSignal, async (reason, actor) => {
    memory.pauses.environment = { reason, actor, at: Date.now() };
    wakeUp();
    await survive('recording the pause', () =>
      scheduler.recordPauseChange({ environment: env, action: 'pause', reason, actor }),
    );
  });
  setHandler(resumeEnvironmentSignal, async (actor) => {
    await condition(() => loaded);
    if (!memory.pauses.environment) return;
    memory.pauses.environment = null;
    // Every model that is no longer blocked catches up what it missed.
    const stillBlocked = blocked();
    memory.catchUp.push(...runnableModels(memory.models, stillBlocked).map((m) => m.name));
    wakeUp();
    await survive('recording the resume', () =>
      scheduler.recordPauseChange({ environment: env, action: 'resume', actor }),
    );
  });
  setHandler(pauseModelSignal, async (model, reason, actor) => {
    await condition(() => loaded);
    if (!known(model)) {
      log.warn('pause for a model the environment does not have is ignored', { model, environment: env });
      return;
    }
    memory.pauses.models[model] = { reason, actor, at: Date.now() };
    wakeUp();
    await survive('recording the pause', () =>
      scheduler.recordPauseChange({ environment: env, model, action: 'pause', reason, actor }),
    );
  });
  setHandler(resumeModelSignal, async (model, actor) => {
    await condition(() => loaded);
    if (!memory.pauses.models[model]) return;
    const before = blocked();
    delete memory.pauses.models[model];
    const after = blocked();
    memory.catchUp.push(...[...before.keys()].filter((m) => !after.has(m)));
    wakeUp();
    await survive('recording the resume', () =>
      scheduler.recordPauseChange({ environment: env, model, action: 'resume', actor }),
    );
  });
  setHandler(runProgressSignal, (runId, models) => {
    const run = memory.runs[runId];
    if (run) run.done.push(...Object.keys(models).filter((m) => !run.done.includes(m)));
    remember(runId, models);
    wakeUp();
  });
  setHandler(runFinishedSignal, (report) => {
    delete memory.runs[report.runId];
    remember(report.runId, report.models);
    wakeUp();
  });
  setHandler(cancelPlanSignal, async (planId, actor) => {
    if (applying?.planId === planId) {
      // The apply workflow cancels its statements and records the plan cancelled.
      await survive(`cancelling the application of plan ${planId}`, () =>
        getExternalWorkflowHandle(applying!.workflowId).cancel(),
      );
      return;
    }
    const index = memory.plans.findIndex((p) => p.planId === planId);
    if (index < 0) return;
    memory.plans.splice(index, 1);
    wakeUp();
    await survive(`recording plan ${planId} cancelled`, () =>
      scheduler.finishPlan({
        planId,
        environment: env,
        status: 'cancelled',
        error: `cancelled by ${actor} while queued`,
      }),
    );
  });
  setHandler(
    submitPlanUpdate,
    ({ planId, submittedBy }) => {
      memory.plans.push({ planId, submittedBy, submittedAt: Date.now() });
      wakeUp();
      return { planId, position: memory.plans.length };
    },
    {
      validator: ({ planId }) => {
        if (typeof planId !== 'string' || planId.length === 0) throw new Error('planId is required');
        if (memory.plans.some((p) => p.planId === planId)) {
          throw new Error(`plan ${planId} is already queued for environment ${env}`);
        }
      },
    },
  );
  setHandler(
    triggerRunUpdate,
    async (request) => {
      // A plan being applied may be adding the model: judge the request against its result.
      await condition(() => loaded && applying === null);
      for (const model of request.models ?? []) {
        if (!known(model)) {
          throw ApplicationFailure.nonRetryable(`environment ${env} has no model ${model}`, 'UNKNOWN_MODEL');
        }
      }
      const runId = runWorkflowId(env, request.restate ? 'restatement' : 'manual', Date.now(), uuid4());
      memory.triggers.push({ ...request, runId, requestedAt: Date.now() });
      wakeUp();
      return { runId };
    },
    {
      validator: (request) => {
        if (request.restate && !(request.restate.start < request.restate.end)) {
          throw new Error('restatement start must be before its end');
        }
      },
    },
  );

  /** Looks for runs that ended without reporting (terminated, timed out) and forgets them. */
  async function reconcileRuns(): Promise<void> {
    const ids = Object.keys(memory.runs);
    if (ids.length === 0) return;
    for (const closed of await scheduler.closedRuns(ids)) {
      if (memory.runs[closed]) {
        log.warn('run ended without reporting; forgetting it', { runId: closed });
        delete memory.runs[closed];
      }
    }
  }

  async function waitForRunsInFlight(): Promise<void> {
    while (Object.keys(memory.runs).length > 0) {
      setCurrentDetails(details());
      const drained = await condition(() => Object.keys(memory.runs).length === 0, RECONCILE_EVERY);
      if (!drained) await reconcileRuns();
    }
  }

  async function applyNextPlan(): Promise<void> {
    const plan = memory.plans[0]!;
    await waitForRunsInFlight();
    // A plan cancelled while it waited for the runs is no longer first in the queue.
    if (memory.plans[0] !== plan) return;
    applying = {
      planId: plan.planId,
      workflowId: planWorkflowId(plan.planId),
      startedAt: Date.now(),
      limitMs: limitFor(memory.models.map((m) => m.name)),
    };
    setCurrentDetails(details());
    try {
      memory.models = await executeChild<typeof applyWorkflow>('applyWorkflow', {
        workflowId: applying.workflowId,
        args: [{ planId: plan.planId, environment: env, threads }],
        staticSummary: `apply plan ${plan.planId} to ${env} (submitted by ${plan.submittedBy})`,
        ...searchAttributes('plan', []),
      });
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      // The apply workflow records its own failure or cancellation; one terminated or timed out from
      // the Temporal side could not, so it is recorded here. The environment keeps its schedule.
      const outcome: PlanOutcome =
        err.cause instanceof TerminatedFailure || err.cause instanceof TimeoutFailure
          ? 'terminated'
          : isCancellation(err)
            ? 'cancelled'
            : 'failed';
      log.warn('plan not applied', { planId: plan.planId, outcome, error: failureMessage(err) });
      try {
        memory.models = await scheduler.finishPlan({
          planId: plan.planId,
          environment: env,
          status: outcome,
          error: `the plan's application ${outcome === 'failed' ? 'failed' : `was ${outcome}`}: ${failureMessage(err)}`,
        });
      } catch (recordErr) {
        if (isCancellation(recordErr)) throw recordErr;
        fail(`recording the end of plan ${plan.planId}`, recordErr);
        memory.models = await scheduler.loadSchedule(env);
      }
    } finally {
      applying = null;
      if (memory.plans[0] === plan) memory.plans.shift();
    }
  }

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

  /**
   * Starts a run for `wanted` (which must not be blocked by pauses): models still running, and their
   * downstream, are skipped with the reason and caught up when the run in flight ends.
   */
  async function startRun(args: {
    runId: string;
    trigger: RunTrigger;
    scheduledAt: number;
    wanted: string[];
    restrict?: { start: number; end: number };
  }): Promise<void> {
    if (Object.keys(memory.runs).length > 0) await reconcileRuns();
    const busy = withDownstream(memory.models, modelsInFlight());
    const skips: SkipRecord[] = [];
    const models: string[] = [];
    for (const model of args.wanted) {
      if (busy.has(model)) {
        const holder = Object.values(memory.runs).find(
          (r) => r.models.includes(model) && !r.done.includes(model),
        );
        const reason = holder
          ? `previous execution still running in ${holder.runId}`
          : 'an upstream model is still running';
        skips.push({ environment: env, model, reason, scheduledAt: args.scheduledAt, runId: args.runId });
        if (!memory.catchUp.includes(model)) memory.catchUp.push(model);
      } else {
        models.push(model);
      }
    }
    if (skips.length > 0) await scheduler.recordSkips(skips);
    if (models.length === 0) return;
    const work = await scheduler.findDueWork({
      environment: env,
      models,
      now: Date.now(),
      ...(args.restrict ? { restrict: args.restrict } : {}),
    });
    if (work.length === 0) return;
    const request: RunRequest = {
      runId: args.runId,
      environment: env,
      trigger: args.trigger,
      scheduledAt: args.scheduledAt,
      work,
      threads,
      executorQueue: TASK_QUEUES.run,
      parentWorkflowId: workflowInfo().workflowId,
    };
    const names = work.map((w) => w.model);
    await startChild<typeof runWorkflow>('runWorkflow', {
      workflowId: args.runId,
      args: [request],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${args.trigger} run of ${names.length} model(s) in ${env}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`,
      ...searchAttributes(args.trigger, modelsAttribute(names)),
    });
    memory.runs[args.runId] = {
      runId: args.runId,
      trigger: args.trigger,
      models: names,
      done: [],
      scheduledAt: args.scheduledAt,
      startedAt: Date.now(),
      limitMs: limitFor(names),
    };
  }

  async function startTriggeredRun(trigger: PendingTrigger): Promise<void> {
    const scheduled = memory.models.filter(runsOnSchedule).map((m) => m.name);
    const selected = trigger.models?.length ? trigger.models : scheduled;
    let wanted = new Set(trigger.includeUpstream ? withUpstream(memory.models, selected) : selected);
    if (trigger.restate) {
      wanted = withDownstream(memory.models, wanted);
      await scheduler.clearIntervals({
        environment: env,
        models: [...wanted],
        start: trigger.restate.start,
        end: trigger.restate.end,
      });
    }
    // Named models run even when paused; a whole-environment run leaves paused models alone.
    const pausedOut = blocked();
    const explicit = new Set(trigger.models ?? []);
    const runnable = [...wanted].filter((m) => explicit.has(m) || !pausedOut.has(m)).sort();
    await startRun({
      runId: trigger.runId,
      trigger: trigger.restate ? 'restatement' : 'manual',
      scheduledAt: trigger.requestedAt,
      wanted: runnable,
      ...(trigger.restate ? { restrict: trigger.restate } : {}),
    });
  }

  async function startCatchUp(): Promise<void> {
    const stillBlocked = blocked();
    const inFlight = withDownstream(memory.models, modelsInFlight());
    const ready = [...new Set(memory.catchUp)].filter(
      (m) => known(m) && !stillBlocked.has(m) && !inFlight.has(m),
    );
    memory.catchUp = memory.catchUp.filter((m) => known(m) && !stillBlocked.has(m) && inFlight.has(m));
    if (ready.length === 0) return;
    await startRun({
      runId: runWorkflowId(env, 'catchup', Date.now(), uuid4()),
      trigger: 'schedule',
      scheduledAt: Date.now(),
      wanted: ready.sort(),
    });
  }

  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS)
    );
  }

  if (!loaded) {
    memory.models = await scheduler.loadSchedule(env);
    loaded = true;
  }

  for (;;) {
    if (memory.plans.length > 0) {
      await survive(`applying plan ${memory.plans[0]!.planId}`, applyNextPlan);
      continue;
    }
    if (memory.triggers.length > 0) {
      const trigger = memory.triggers.shift()!;
      await survive(`starting run ${trigger.runId}`, () => startTriggeredRun(trigger));
      continue;
    }
    const inFlight = withDownstream(memory.models, modelsInFlight());
    if (memory.catchUp.some((m) => !inFlight.has(m) && !blocked().has(m))) {
      await survive('starting a catch-up run', startCatchUp);
      continue;
    }
    wake = nextWake(runnableModels(memory.models, blocked()), memory.cursor);
    setCurrentDetails(details());
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      if (memory.plans.length === 0 && memory.triggers.length === 0) {
        await continueAsNew<typeof environmentWorkflow>({ ...input, memory });
      }
      continue;
    }
    dirty = false;
    // While runs are in flight the environment also wakes to look for ones that ended unreported.
    const untilWake = wake ? Math.max(1, wake.at - Date.now()) : undefined;
    const runsOpen = Object.keys(memory.runs).length > 0;
    const timeout = runsOpen ? Math.min(untilWake ?? RECONCILE_IDLE_MS, RECONCILE_IDLE_MS) : untilWake;
    const woken =
      timeout === undefined ? await condition(() => dirty) : await condition(() => dirty, timeout);
    if (memory.plans.length > 0) continue;
    const now = Date.now();
    if (wake && now >= wake.at) {
      const due = dueModels(runnableModels(memory.models, blocked()), memory.cursor, now);
      const tick = wake.at;
      memory.cursor = now;
      await survive(`starting the run of the ${new Date(tick).toISOString()} tick`, () =>
        startRun({
          runId: runWorkflowId(env, 'schedule', tick),
          trigger: 'schedule',
          scheduledAt: tick,
          wanted: due,
        }),
      );
    } else if (!woken && runsOpen) {
      await survive('looking for runs that ended unreported', reconcileRuns);
    }
  }
}

export { environmentWorkflowId };
