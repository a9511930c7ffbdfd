/**
 * The environment workflow: one per environment (`sluice-env-<name>`), alive as long as the
 * environment. It sleeps on a durable timer until the earliest next cron tick among the models it may
 * run, takes signals to pause and resume, queues plans and applies them one at a time, and starts a
 * run child workflow per tick without waiting for it. Runs report back by signal.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ModelOutcome,
  ModelStatus,
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
import type { applyWorkflow } from './apply.ts';
import { environmentWorkflowId, planWorkflowId, runWorkflowId } from './ids.ts';
import type { runWorkflow } from './run.ts';
import { SluiceEnvironment, SluiceModels, SluiceTrigger } from './search-attributes.ts';

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
}

export interface EnvironmentInput {
  environment: string;
  /** executions at once per gateway in this environment's runs. */
  threads?: number;
  /** set typed search attributes on children (the servers sluice starts register them). */
  searchAttributes?: boolean;
  /** continue-as-new once history reaches this many events, even before the server suggests it. */
  maxHistoryEvents?: number;
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
  lastExecutions: Record<string, LastExecution>;
  models: ScheduledModel[];
  details: string;
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
  let applying: string | null = null;
  let dirty = false;
  let wake: { at: number; models: string[] } | null = null;
  const wakeUp = () => {
    dirty = true;
  };

  const blocked = () => blockedByPauses(memory.models, memory.pauses);
  const modelsInFlight = () =>
    new Set(Object.values(memory.runs).flatMap((r) => r.models.filter((m) => !r.done.includes(m))));
  const remember = (runId: string, models: Record<string, ModelOutcome>) => {
    for (const [model, outcome] of Object.entries(models)) {
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
      applyingPlan: applying ?? undefined,
    });

  setHandler(stateQuery, () => ({
    environment: env,
    paused: memory.pauses.environment !== null,
    pauses: memory.pauses,
    nextWake: wake,
    blocked: Object.fromEntries(blocked()),
    runsInFlight: Object.values(memory.runs),
    modelsInFlight: [...modelsInFlight()].sort(),
    plansQueued: memory.plans,
    applyingPlan: applying,
    lastExecutions: memory.lastExecutions,
    models: memory.models,
    details: details(),
  }));

  setHandler(pauseEnvironmentSignal, async (reason, actor) => {
    memory.pauses.environment = { reason, actor, at: Date.now() };
    wakeUp();
    await scheduler.recordPauseChange({ environment: env, action: 'pause', reason, actor });
  });
  setHandler(resumeEnvironmentSignal, async (actor) => {
    await condition(() => loaded);
    if (!memory.pauses.environment) return;
    memory.pauses.environment = null;
    // Every model that is no longer blocked catches up what it missed.
    const stillBlocked = blocked();
    memory.catchUp.push(...runnableModels(memory.models, stillBlocked).map((m) => m.name));
    wakeUp();
    await scheduler.recordPauseChange({ environment: env, action: 'resume', actor });
  });
  setHandler(pauseModelSignal, async (model, reason, actor) => {
    await condition(() => loaded);
    if (!known(model)) {
      log.warn('pause for a model the environment does not have is ignored', { model, environment: env });
      return;
    }
    memory.pauses.models[model] = { reason, actor, at: Date.now() };
    wakeUp();
    await scheduler.recordPauseChange({ environment: env, model, action: 'pause', reason, actor });
  });
  setHandler(resumeModelSignal, async (model, actor) => {
    await condition(() => loaded);
    if (!memory.pauses.models[model]) return;
    const before = blocked();
    delete memory.pauses.models[model];
    const after = blocked();
    memory.catchUp.push(...[...before.keys()].filter((m) => !after.has(m)));
    wakeUp();
    await scheduler.recordPauseChange({ environment: env, model, action: 'resume', actor });
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
    applying = plan.planId;
    setCurrentDetails(details());
    try {
      memory.models = await executeChild<typeof applyWorkflow>('applyWorkflow', {
        workflowId: planWorkflowId(plan.planId),
        args: [{ planId: plan.planId, environment: env, threads }],
        staticSummary: `apply plan ${plan.planId} to ${env} (submitted by ${plan.submittedBy})`,
        ...searchAttributes('plan', []),
      });
    } catch (err) {
      // The apply workflow records its own failure; the environment keeps its previous schedule.
      log.error('plan failed', {
        planId: plan.planId,
        error: err instanceof Error ? err.message : String(err),
      });
      memory.models = await scheduler.loadSchedule(env);
    } finally {
      applying = null;
      memory.plans.shift();
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
      restrict: args.restrict,
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
      ...searchAttributes(args.trigger, names),
    });
    memory.runs[args.runId] = {
      runId: args.runId,
      trigger: args.trigger,
      models: names,
      done: [],
      scheduledAt: args.scheduledAt,
      startedAt: Date.now(),
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
      await applyNextPlan();
      continue;
    }
    if (memory.triggers.length > 0) {
      await startTriggeredRun(memory.triggers.shift()!);
      continue;
    }
    const inFlight = withDownstream(memory.models, modelsInFlight());
    if (memory.catchUp.some((m) => !inFlight.has(m) && !blocked().has(m))) {
      await startCatchUp();
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
    const timeout = wake ? Math.max(1, wake.at - Date.now()) : undefined;
    if (timeout === undefined) await condition(() => dirty);
    else await condition(() => dirty, timeout);
    if (memory.plans.length > 0) continue;
    const now = Date.now();
    if (wake && now >= wake.at) {
      const due = dueModels(runnableModels(memory.models, blocked()), memory.cursor, now);
      const tick = wake.at;
      memory.cursor = now;
      await startRun({
        runId: runWorkflowId(env, 'schedule', tick),
        trigger: 'schedule',
        scheduledAt: tick,
        wanted: due,
      });
    }
  }
}

export { environmentWorkflowId };
