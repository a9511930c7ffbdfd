/**
 * In-memory stand-ins for sluice's activities, for workflow tests on the time-skipping server: they
 * record every call so tests can assert what the workflows asked for and when (in workflow time).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type {
  BatchCompletion,
  ExecutorActivities,
  ExecutorReport,
  ModelWork,
  PauseChange,
  PlanWork,
  PreparedSegment,
  RunReport,
  SchedulerActivities,
  SkipRecord,
} from '../../activities/contracts.ts';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { AuditFailedError } from '../../activities/execution/audit-failed-error.ts';
import { GatewayNotConfiguredError } from '../../activities/executor/gateway-not-configured-error.ts';
import { MemoryLimitError } from '../../activities/executor/memory-limit-error.ts';
import { executeSegmentActivity } from '../../activities/executor/segment-activity.ts';
import { closedRuns } from '../../activities/scheduler/closed-runs.ts';
import { executionIdOf } from '../../activities/scheduler/execution-id.ts';
import { signalRunSlotKeeper } from '../../activities/scheduler/run-slots.ts';
import type { ExecutionRequest } from '../../core/execution/request.ts';
import type { SlotRequest } from '../../core/run-slots.ts';
import type { ScheduledModel } from '../../core/schedule.ts';
import { RetryableEngineError, SqlExecutionError } from '../../engines/errors.ts';
import { EXECUTOR_MAX_ATTEMPTS } from '../../workflows/activity-failure.ts';

const HOUR = 3_600_000;

export function scheduled(
  name: string,
  cron: string,
  cronTz = 'UTC',
  dependsOn: string[] = [],
): ScheduledModel {
  return {
    name,
    snapshotId: `${name}@v1`,
    kind: 'INCREMENTAL_BY_TIME_RANGE',
    cron,
    cronTz,
    dependsOn,
    gateway: 'warehouse',
  };
}

export class FakeScheduler {
  models: ScheduledModel[];
  dueCalls: Array<{ now: number; models: string[] }> = [];
  runsStarted: Array<{ runId: string; models: string[]; trigger: string; scheduledAt: number }> = [];
  runsFinished: RunReport[] = [];
  completions: BatchCompletion[] = [];
  skips: SkipRecord[] = [];
  pauseChanges: PauseChange[] = [];
  cleared: Array<{ models: string[]; start: number; end: number }> = [];
  plansBegun: string[] = [];
  /** every plan's begin and finish, and every backfill batch's start and end, in the order they happened. */
  timeline: string[] = [];
  plansFinished: Array<{ planId: string; status: string; error?: string }> = [];
  /** the schedule each plan installs, by plan id (default: unchanged). */
  planSchedules = new Map<string, ScheduledModel[]>();
  /** when false, ticks find nothing to do and start no run. */
  produceWork = true;
  /** runs reported closed by `closedRuns` (without a Temporal client to ask). */
  closed = new Set<string>();
  /** the models each plan backfills (default: the first model), by plan id. */
  planBackfill = new Map<string, string[]>();
  /**
   * when set, the scheduler keeps each model's completed hourly intervals since this instant, and a
   * run is due exactly the missing ones (otherwise every run is due the hour before now).
   */
  intervalsSince: number | undefined;
  /** completed hourly interval starts, by model. */
  completed = new Map<string, Set<number>>();
  /** answers `closedRuns` from this Temporal client, as production does. */
  temporal: Client | undefined;
  /** the models of each segment prepared, in the order asked. */
  segmentsPrepared: string[][] = [];
  /** every artifact write asked for (`run <id>`, `plan <id>`), failed ones included. */
  artifactWrites: string[] = [];
  /** when set, every artifact write fails with this message (as a broken store would). */
  failArtifacts: string | undefined;
  sweeps = 0;
  /** runs recorded queued, with the reason, in order. */
  queued: Array<{ runId: string; reason: string; models: string[] }> = [];
  /** queued runs that ended without starting: nothing was due, or they were cancelled. */
  queuedEnded: Array<{ runId: string; status: string; reason: string }> = [];
  /** runs that got their slot, in order. */
  ready: Array<{ runId: string; readyAt: number }> = [];
  /** every slot request, in order (sent on to the keeper through `temporal`, as production does). */
  slotRequests: SlotRequest[] = [];
  /** janitor passes begun (each asks for the expired environments first). */
  janitorPasses = 0;
  /** while set, a janitor pass fails at its first step, as with the state database away. */
  janitorFails = false;

  constructor(models: ScheduledModel[]) {
    this.models = models;
  }

  private writeArtifacts(what: string): { location: string; files: string[] } {
    this.artifactWrites.push(what);
    if (this.failArtifacts !== undefined) throw new Error(this.failArtifacts);
    return { location: 'fake', files: ['run_results.json'] };
  }

  /** the hours `model` misses since `intervalsSince`, or the hour before `now` without it. */
  private dueBatches(model: string, now: number): Array<[number, number]> {
    if (this.intervalsSince === undefined) return [[now - HOUR, now]];
    const done = this.completed.get(model) ?? new Set<number>();
    const batches: Array<[number, number]> = [];
    for (let t = this.intervalsSince; t + HOUR <= now; t += HOUR)
      if (!done.has(t)) batches.push([t, t + HOUR]);
    return batches;
  }

  /** the hours completed for `model`, in order. */
  completedHours(model: string): number[] {
    return [...(this.completed.get(model) ?? [])].sort((a, b) => a - b);
  }

  activities(): SchedulerActivities {
    return {
      loadSchedule: async () => this.models,
      findDueWork: async ({ models, now }) => {
        this.dueCalls.push({ now, models: [...models].sort() });
        if (!this.produceWork) return [];
        const work = models.map((name): ModelWork => {
          const m = this.models.find((x) => x.name === name)!;
          return {
            model: name,
            snapshotId: m.snapshotId,
            gateway: m.gateway,
            dependsOn: m.dependsOn.filter((d) => models.includes(d)),
            batches: this.dueBatches(name, now),
          };
        });
        const due = work.filter((w) => w.batches.length > 0).map((w) => w.model);
        return work
          .filter((w) => w.batches.length > 0)
          .map((w) => ({ ...w, dependsOn: w.dependsOn.filter((d) => due.includes(d)) }));
      },
      clearIntervals: async ({ models, start, end }) => {
        this.cleared.push({ models: [...models].sort(), start, end });
      },
      recordRunStarted: async ({ runId, models, trigger, scheduledAt }) => {
        this.runsStarted.push({ runId, models, trigger, scheduledAt });
      },
      recordRunFinished: async (report) => {
        this.runsFinished.push(report);
      },
      recordRunQueued: async ({ runId, reason, models }) => {
        this.queued.push({ runId, reason, models });
      },
      endQueuedRun: async ({ runId, status, reason }) => {
        this.queuedEnded.push({ runId, status, reason });
      },
      recordRunReady: async ({ runId, readyAt }) => {
        this.ready.push({ runId, readyAt });
      },
      requestRunSlot: async (request) => {
        this.slotRequests.push(request);
        if (!this.temporal) throw new Error('requestRunSlot: this scheduler has no Temporal client');
        await signalRunSlotKeeper(this.temporal, request);
      },
      prepareSegment: async (ref): Promise<PreparedSegment> => {
        this.segmentsPrepared.push(ref.items.map((item) => item.model));
        return {
          gateway: ref.gateway,
          batches: ref.items.map((item) => ({
            executionId: executionIdOf(ref.runId, item.model, item.interval),
            gateway: ref.gateway,
            model: item.model,
            interval: item.interval,
            request: fakeRequest(item.model, item.snapshotId),
          })),
        };
      },
      completeSegment: async (completions) => {
        for (const c of completions) {
          this.completions.push(c);
          if (c.status === 'succeeded' && c.interval) {
            const done = this.completed.get(c.model) ?? new Set<number>();
            for (let t = c.interval[0]; t < c.interval[1]; t += HOUR) done.add(t);
            this.completed.set(c.model, done);
          }
        }
      },
      recordSkips: async (skips) => {
        this.skips.push(...skips);
      },
      recordPauseChange: async (change) => {
        this.pauseChanges.push(change);
      },
      closedRuns: async (ids) =>
        this.temporal ? closedRuns(this.temporal, ids) : ids.filter((id) => this.closed.has(id)),
      tableRequests: async ({ models }) => models.map((model) => ({ model })),
      beginPlan: async ({ planId, environment }): Promise<PlanWork> => {
        this.plansBegun.push(planId);
        this.timeline.push(`begin ${planId}`);
        const names = this.planBackfill.get(planId) ?? this.models.slice(0, 1).map((m) => m.name);
        return {
          planId,
          environment,
          tables: [],
          backfill: names.map((name) => {
            const m = this.models.find((x) => x.name === name)!;
            return {
              model: m.name,
              snapshotId: `${m.name}@${planId}`,
              gateway: m.gateway,
              dependsOn: m.dependsOn.filter((d) => names.includes(d)),
              batches: [[0, 3_600_000]],
            };
          }),
          views: [
            {
              gateway: 'warehouse',
              entries: this.models.map((m) => ({ model: m.name, physical: `p.${m.name}` })),
            },
          ],
          removed: [],
        };
      },
      finishPlan: async ({ planId, status, error }) => {
        // As the state DB does: a plan already finished keeps its outcome.
        if (this.plansFinished.some((p) => p.planId === planId)) return this.models;
        this.plansFinished.push({ planId, status, error });
        this.timeline.push(`finish ${planId}`);
        if (status === 'applied') this.models = this.planSchedules.get(planId) ?? this.models;
        return this.models;
      },
      writeRunArtifacts: async ({ runId }) => this.writeArtifacts(`run ${runId}`),
      writePlanArtifacts: async ({ planId }) => this.writeArtifacts(`plan ${planId}`),
      sweepArtifacts: async () => {
        this.sweeps += 1;
        return { cutoff: null, removed: [], kept: 0 };
      },
      stopEnvironment: async () => noDeletion(),
      environmentViews: async () => noDeletion(),
      removeEnvironmentState: async () => noDeletion(),
      expiredEnvironments: async () => {
        this.janitorPasses += 1;
        if (this.janitorFails) {
          throw ApplicationFailure.nonRetryable('the state database is away', 'INVALID_INPUT');
        }
        return [];
      },
      chooseDrops: async () => ({ createdBefore: 0, groups: [], kept: [] }),
      sweepStoredPayloads: async () => ({ before: null, payloads: 0, bytes: 0 }),
      recordDrops: async () => noDeletion(),
    };
  }
}

/** The ways an executor's batch fails, each raised as the real executor raises it. */
export type BatchFailure = 'sql' | 'audit' | 'non-retryable' | 'retryable' | 'memory';

/** The failure type each kind reaches the workflows as, and how many attempts Temporal makes of it. */
export const BATCH_FAILURES: Record<BatchFailure, { type: string; attempts: number }> = {
  sql: { type: 'SQL_ERROR', attempts: 1 },
  audit: { type: 'AUDIT_FAILED', attempts: 1 },
  'non-retryable': { type: 'GATEWAY_NOT_CONFIGURED', attempts: 1 },
  retryable: { type: 'CONNECTION_LOST', attempts: EXECUTOR_MAX_ATTEMPTS },
  memory: { type: 'MEMORY_LIMIT', attempts: 1 },
};

/** The error an engine or the executor raises for each kind of failure. */
function failureOf(kind: BatchFailure, model: string): Error {
  switch (kind) {
    case 'sql':
      return new SqlExecutionError({
        gateway: 'warehouse',
        engineMessage: `relation "raw.${model}_source" does not exist`,
        label: model,
        statement: `insert into ${model} select * from raw.${model}_source`,
        statementIndex: 0,
      });
    case 'audit':
      return new AuditFailedError('not_null', model, 3, 'warehouse');
    case 'non-retryable':
      return new GatewayNotConfiguredError('warehouse', 'fake-executor', [], TASK_QUEUES.run);
    case 'retryable':
      return new RetryableEngineError('CONNECTION_LOST', 'connection to the warehouse was lost', 'warehouse');
    case 'memory':
      return new MemoryLimitError(
        `executor fake-executor stopped ${model}: memory limit of 64 MB passed`,
        'fake-executor',
        model,
        64,
        80,
      );
  }
}

/**
 * Executor stand-in: every batch succeeds at once, except for held models, whose execution stays in
 * progress (heartbeating, as a real executor does) until the test releases it, and failing models,
 * which fail on every attempt the way the real executor fails (the same error classes, turned into
 * Temporal failures by the executor's own mapping). The time-skipping server does not skip time
 * while an activity is in progress, so tests hold models only across short real-time waits.
 */
export class FakeExecutor {
  executed: Array<{ model: string; at: number; attempt: number }> = [];
  /** executions cancelled while they ran. */
  cancelled: string[] = [];
  /** each view swap: the environment and the models whose views it pointed at new snapshots. */
  promoted: Array<{ environment: string; models: string[] }> = [];
  private gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  private failing = new Map<string, BatchFailure>();

  hold(model: string): void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gates.set(model, { promise, open });
  }

  release(model: string): void {
    this.gates.get(model)?.open();
    this.gates.delete(model);
  }

  /** the model's batches fail this way from now on, on every attempt. */
  fail(model: string, kind: BatchFailure): void {
    this.failing.set(model, kind);
  }

  /** the model's batches succeed again. */
  heal(model: string): void {
    this.failing.delete(model);
  }

  /** releases every model, so a failed test's workers can drain and stop. */
  releaseAll(): void {
    for (const model of [...this.gates.keys()]) this.release(model);
  }

  activities(now: () => number = Date.now): ExecutorActivities {
    return {
      executeSegment: (work) =>
        executeSegmentActivity(work, {
          identity: 'fake-executor',
          runBatch: async (batch, signal): Promise<ExecutorReport> => {
            const startedAt = now();
            const attempt = Context.current().info.attempt;
            this.executed.push({ model: batch.model, at: startedAt, attempt });
            try {
              const gate = this.gates.get(batch.model);
              if (gate) await Promise.race([gate.promise, cancelled(signal)]);
              const failure = this.failing.get(batch.model);
              if (failure) throw failureOf(failure, batch.model);
            } catch (error) {
              if (signal.aborted) this.cancelled.push(batch.model);
              throw error;
            }
            return {
              executor: 'fake-executor',
              attempt,
              startedAt,
              finishedAt: now(),
              rowsAffected: 1,
              statements: [],
              notices: [],
              audits: [],
            };
          },
        }),
      createPhysicalTables: async () => {},
      promoteViews: async ({ environment, entries }) => {
        this.promoted.push({ environment, models: entries.map((e) => e.model).sort() });
      },
      dropViews: async () => {},
      dropEnvironment: async () => noDeletion(),
      dropTables: async () => noDeletion(),
      testConnection: async () => ({ executor: 'fake-executor', latencyMs: 0 }),
      fetchQuery: async () => {
        throw ApplicationFailure.nonRetryable(
          'the fake executor holds no warehouse to query',
          'QUERY_FAILED',
        );
      },
    };
  }
}

/**
 * Deleting environments and dropping tables run on the real activities only
 * (test/integration/environments/).
 */
function noDeletion(): never {
  throw ApplicationFailure.nonRetryable('the fake activities delete and drop nothing', 'INVALID_INPUT');
}

/** Rejects once the activity is cancelled. */
function cancelled(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** An execution request of the shape the executors accept; the fake executor runs none of its SQL. */
function fakeRequest(model: string, snapshot: string): ExecutionRequest {
  return {
    model,
    snapshot,
    kind: 'FULL',
    statements: [{ sql: 'SELECT 1', label: model }],
    createStatements: 0,
    writeStatements: [],
    audits: [],
    physical: { schema: 'sluice__fake', table: model.replaceAll('.', '__') },
  };
}
