/**
 * What `sluice dev` tells the person watching while it runs: it polls the state database for runs and
 * plans in progress or just finished, and turns each change into an event: a run started or ended
 * (with its models, duration, rows and first failure), a plan's step (queued, applying, backfill
 * progress at most every `progressEveryMs`, applied or failed), and, when asked, each model
 * execution that finished. It only reads; formatting the events is the caller's (cli/dev-output/).
 */
import type { StateDb } from '../db/client.ts';
import type { PlanRecord } from '../state/plans.ts';
import {
  type ExecutionLine,
  executionsOfRuns,
  plansActiveOrFinishedSince,
  runsActiveOrFinishedSince,
} from '../state/recent-activity.ts';
import { RUN_FINAL, type RunRecord } from '../state/runs.ts';

export interface RunSummary {
  id: string;
  environment: string;
  trigger: RunRecord['trigger'];
  status: RunRecord['status'];
  models: string[];
  planId: string | null;
  /** from start to finish; null for a run that never started. */
  durationMs: number | null;
  /** rows the run's model executions wrote (null before any reported rows). */
  rows: number | null;
  /** the first failed model and its error, or the run's own error. */
  failure: { model: string | null; error: string } | null;
  skipReason: string | null;
}

export interface PlanStep {
  id: string;
  environment: string;
  step: 'queued' | 'applying' | 'backfill' | 'applied' | 'failed' | 'cancelled' | 'rejected' | 'terminated';
  /** batches of the plan's backfill runs finished and in all, for `backfill`. */
  progress: { done: number; total: number } | null;
  /** from applying to its end, for a final step. */
  durationMs: number | null;
  error: string | null;
  /** the plan's backfill run that failed, whose log shows more. */
  failedRun: string | null;
}

export type DevEvent =
  | { kind: 'run-started'; at: number; run: RunSummary }
  | { kind: 'run-finished'; at: number; run: RunSummary }
  | { kind: 'plan-step'; at: number; plan: PlanStep }
  | { kind: 'execution-finished'; at: number; execution: ExecutionLine; environment: string }
  | { kind: 'watch-failed'; at: number; error: string };

export interface DevActivityOptions {
  db: StateDb;
  emit: (event: DevEvent) => void;
  /** how often the state database is read. */
  pollMs?: number;
  /** the least time between two backfill progress events of one plan. */
  progressEveryMs?: number;
  /** also an event per finished model execution. */
  executions?: boolean;
  now?: () => number;
  /** called after each poll, whether it could read the state database or not. */
  onPoll?: () => void;
}

export interface DevActivityWatch {
  /** waits for the poll in flight, then stops; the state database may be closed afterwards. */
  stop(): Promise<void>;
}

const EXECUTION_FINAL = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);
/** How far back each poll looks for finished work, so a clock step or a slow poll loses nothing. */
const OVERLAP_MS = 60_000;

export function watchDevActivity(options: DevActivityOptions): DevActivityWatch {
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 1000;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  const started = new Set<string>();
  const finished = new Map<string, number>();
  const planSteps = new Map<string, string>();
  const progressShown = new Map<string, { at: number; done: number }>();
  const executionsShown = new Set<string>();
  let since = now();
  let lastError: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const poll = async () => {
    const pollStart = now();
    const [runs, plans] = await Promise.all([
      runsActiveOrFinishedSince(options.db, since - OVERLAP_MS),
      plansActiveOrFinishedSince(options.db, since - OVERLAP_MS),
    ]);
    const fresh = runs.filter((run) => !finished.has(run.id));
    // a plan's backfill progress counts the batches of its runs, finished ones included
    const planRuns = runs.filter((run) => run.planId !== null && plans.some((p) => p.id === run.planId));
    const wanted = [...new Set([...fresh, ...planRuns].map((run) => run.id))];
    const executions = await executionsOfRuns(options.db, wanted);
    const byRun = new Map<string, ExecutionLine[]>();
    for (const execution of executions)
      byRun.set(execution.runId, [...(byRun.get(execution.runId) ?? []), execution]);
    const at = now();

    for (const run of fresh) {
      const own = byRun.get(run.id) ?? [];
      if (options.executions) {
        for (const execution of own) {
          if (!EXECUTION_FINAL.has(execution.status) || executionsShown.has(execution.id)) continue;
          executionsShown.add(execution.id);
          options.emit({ kind: 'execution-finished', at, execution, environment: run.environment });
        }
      }
      if (run.startedAt !== null && !started.has(run.id)) {
        started.add(run.id);
        options.emit({ kind: 'run-started', at, run: summary(run, own) });
      }
      if (RUN_FINAL.has(run.status)) {
        finished.set(run.id, Date.parse(run.finishedAt ?? '') || at);
        options.emit({ kind: 'run-finished', at, run: summary(run, own) });
      }
    }

    for (const plan of plans) {
      const shown = planSteps.get(plan.id);
      const step = plan.status;
      if (step === 'applying' && shown === 'applying') {
        const own = runs.filter((run) => run.planId === plan.id);
        const batches = own.flatMap((run) => byRun.get(run.id) ?? []);
        const done = batches.filter((execution) => EXECUTION_FINAL.has(execution.status)).length;
        const last = progressShown.get(plan.id);
        if (
          batches.length > 0 &&
          (last === undefined || (done !== last.done && at - last.at >= progressEveryMs))
        ) {
          progressShown.set(plan.id, { at, done });
          options.emit({
            kind: 'plan-step',
            at,
            plan: planStep(plan, 'backfill', { done, total: batches.length }),
          });
        }
        continue;
      }
      if (step === shown) continue;
      planSteps.set(plan.id, step);
      if (step === 'pending') continue;
      const failedRun =
        step === 'failed'
          ? (runs.find((run) => run.planId === plan.id && run.status === 'failed')?.id ?? null)
          : null;
      options.emit({ kind: 'plan-step', at, plan: { ...planStep(plan, step, null), failedRun } });
    }

    // what finished before the overlap will not be read again: forget it
    since = pollStart;
    for (const [id, end] of finished) {
      if (end >= since - 2 * OVERLAP_MS) continue;
      finished.delete(id);
      started.delete(id);
    }
    for (const id of planSteps.keys()) if (!plans.some((plan) => plan.id === id)) planSteps.delete(id);
  };

  const tick = () => {
    inFlight = poll()
      .then(() => {
        lastError = undefined;
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        // a failing read is told once, not at every poll
        if (!stopped && message !== lastError)
          options.emit({ kind: 'watch-failed', at: now(), error: message });
        lastError = message;
      })
      .finally(() => {
        options.onPoll?.();
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}

function planStep(plan: PlanRecord, step: PlanStep['step'], progress: PlanStep['progress']): PlanStep {
  const durationMs =
    plan.startedAt !== null && plan.finishedAt !== null
      ? Date.parse(plan.finishedAt) - Date.parse(plan.startedAt)
      : null;
  return {
    id: plan.id,
    environment: plan.environment,
    step,
    progress,
    durationMs,
    error: plan.error,
    failedRun: null,
  };
}

function summary(run: RunRecord, executions: readonly ExecutionLine[]): RunSummary {
  const reported = executions.filter((execution) => execution.rowsAffected !== null);
  const failed = executions.find((execution) => execution.status === 'failed');
  const failure =
    failed !== undefined
      ? { model: failed.model, error: failed.error ?? run.error ?? 'failed' }
      : run.error !== null
        ? { model: null, error: run.error }
        : null;
  return {
    id: run.id,
    environment: run.environment,
    trigger: run.trigger,
    status: run.status,
    models: run.models,
    planId: run.planId,
    durationMs:
      run.startedAt !== null && run.finishedAt !== null
        ? Date.parse(run.finishedAt) - Date.parse(run.startedAt)
        : null,
    rows:
      reported.length === 0
        ? null
        : reported.reduce((sum, execution) => sum + (execution.rowsAffected ?? 0), 0),
    failure,
    skipReason: run.skipReason,
  };
}
