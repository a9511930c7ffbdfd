/**
 * In-memory stand-ins for sluice's activities, for workflow tests on the time-skipping server: they
 * record every call so tests can assert what the workflows asked for and when (in workflow time).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  BatchCompletion,
  ExecutorActivities,
  ExecutorReport,
  ModelWork,
  PauseChange,
  PlanWork,
  PreparedBatch,
  RunReport,
  SchedulerActivities,
  SkipRecord,
} from '../../activities/contracts.ts';
import type { ScheduledModel } from '../../core/schedule.ts';

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
  plansFinished: Array<{ planId: string; status: string; error?: string }> = [];
  /** the schedule each plan installs, by plan id (default: unchanged). */
  planSchedules = new Map<string, ScheduledModel[]>();
  /** when false, ticks find nothing to do and start no run. */
  produceWork = true;
  /** runs reported closed by `closedRuns`. */
  closed = new Set<string>();
  private executionSeq = 0;

  constructor(models: ScheduledModel[]) {
    this.models = models;
  }

  activities(): SchedulerActivities {
    return {
      loadSchedule: async () => this.models,
      findDueWork: async ({ models, now }) => {
        this.dueCalls.push({ now, models: [...models].sort() });
        if (!this.produceWork) return [];
        return models.map((name): ModelWork => {
          const m = this.models.find((x) => x.name === name)!;
          return {
            model: name,
            snapshotId: m.snapshotId,
            gateway: m.gateway,
            dependsOn: m.dependsOn.filter((d) => models.includes(d)),
            batches: [[now - 3_600_000, now]],
          };
        });
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
      prepareBatch: async (ref): Promise<PreparedBatch> => ({
        executionId: `exec-${++this.executionSeq}`,
        gateway: 'warehouse',
        model: ref.model,
        request: { model: ref.model, interval: ref.interval },
      }),
      completeBatch: async (c) => {
        this.completions.push(c);
      },
      recordSkips: async (skips) => {
        this.skips.push(...skips);
      },
      recordPauseChange: async (change) => {
        this.pauseChanges.push(change);
      },
      closedRuns: async (ids) => ids.filter((id) => this.closed.has(id)),
      beginPlan: async ({ planId, environment }): Promise<PlanWork> => {
        this.plansBegun.push(planId);
        return {
          planId,
          environment,
          tables: [],
          backfill: this.models.slice(0, 1).map((m) => ({
            model: m.name,
            snapshotId: `${m.name}@${planId}`,
            gateway: m.gateway,
            dependsOn: [],
            batches: [[0, 3_600_000]],
          })),
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
        this.plansFinished.push({ planId, status, error });
        if (status === 'applied') this.models = this.planSchedules.get(planId) ?? this.models;
        return this.models;
      },
    };
  }
}

/**
 * Executor stand-in: every batch succeeds at once, except for held models, whose execution stays in
 * progress (heartbeating, as a real executor does) until the test releases it. The time-skipping
 * server does not skip time while an activity is in progress, so tests hold models only across short
 * real-time waits.
 */
export class FakeExecutor {
  executed: Array<{ model: string; at: number }> = [];
  private gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  failures = new Map<string, string>();

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

  /** releases every model, so a failed test's workers can drain and stop. */
  releaseAll(): void {
    for (const model of [...this.gates.keys()]) this.release(model);
  }

  activities(now: () => number = Date.now): ExecutorActivities {
    return {
      executeBatch: async (batch): Promise<ExecutorReport> => {
        const startedAt = now();
        this.executed.push({ model: batch.model, at: startedAt });
        const gate = this.gates.get(batch.model);
        if (gate) {
          const beat = setInterval(() => Context.current().heartbeat(), 1000);
          try {
            await gate.promise;
          } finally {
            clearInterval(beat);
          }
        }
        const failure = this.failures.get(batch.model);
        if (failure) throw ApplicationFailure.nonRetryable(failure, 'SQL_ERROR');
        return {
          executor: 'fake',
          attempt: Context.current().info.attempt,
          startedAt,
          finishedAt: now(),
          rowsAffected: 1,
          statements: [],
          notices: [],
          audits: [],
        };
      },
      createPhysicalTables: async () => {},
      promoteViews: async () => {},
      dropViews: async () => {},
      testConnection: async () => ({ executor: 'fake', latencyMs: 0 }),
    };
  }
}
