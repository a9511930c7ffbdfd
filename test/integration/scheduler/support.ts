/**
 * Drives the scheduler activities the way the workflows do, without Temporal: a plan's work is
 * applied step by step and each segment of batches goes prepare → execute → complete, with the
 * executor side played by the real execution functions on a DuckDB engine. Everything an activity returns goes
 * through JSON first, as it would through a Temporal payload.
 */
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import type {
  BatchCompletion,
  ExecutorReport,
  ModelWork,
  PlanWork,
  PreparedBatch,
  SchedulerActivities,
  SegmentRef,
} from '../../../activities/contracts.ts';
import { createPhysicalTables } from '../../../activities/execution/create-physical-tables.ts';
import { executeBatch } from '../../../activities/execution/execute-batch.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import type { Project } from '../../../core/project/types.ts';
import type { StateDb } from '../../../db/client.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { dropViews, promoteViews } from '../../../engines/views.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { readRelation } from '../plan/support.ts';
import { NOW } from './project.ts';

export const EXECUTOR = 'executor-test@warehouse';

/** The payload limit the tests prepare segments with: Temporal's default of 2 MB, less room. */
export const MAX_SEGMENT_BYTES = 1_500_000;

/** A value as it arrives on the other side of a Temporal payload. */
export function overTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** What the executor activity does with a prepared batch. */
export async function execute(engines: EnginePool, batch: PreparedBatch): Promise<ExecutorReport> {
  const prepared = overTheWire(batch);
  const startedAt = Date.now();
  const result = await executeBatch(engines.get(prepared.gateway), prepared.request as ExecutionRequest);
  return {
    executor: EXECUTOR,
    attempt: 1,
    startedAt,
    finishedAt: Date.now(),
    rowsAffected: result.rowsAffected,
    statements: result.statements,
    notices: result.notices,
    audits: result.audits,
  };
}

export interface RunWorkArgs {
  activities: SchedulerActivities;
  engines: EnginePool;
  runId: string;
  environment: string;
  scheduledAt: number;
  work: ModelWork[];
  planId?: string;
}

export interface WorkOutcome {
  executed: Array<[model: string, interval: readonly [number, number] | null]>;
  alreadyComplete: Array<[model: string, interval: readonly [number, number] | null]>;
}

/**
 * Runs every batch of `work` in order, each model after the models it waits for: consecutive batches
 * on one gateway make a segment, prepared, executed one batch after the other and completed at once.
 */
export async function runWork(args: RunWorkArgs): Promise<WorkOutcome> {
  const outcome: WorkOutcome = { executed: [], alreadyComplete: [] };
  const seen = new Set<string>();
  const items: Array<SegmentRef['items'][number] & { gateway: string }> = [];
  for (const work of overTheWire(args.work)) {
    for (const upstream of work.dependsOn) {
      expect(seen.has(upstream), `${work.model} comes after ${upstream}`).toBe(true);
    }
    seen.add(work.model);
    for (const interval of work.batches) {
      items.push({ model: work.model, snapshotId: work.snapshotId, interval, gateway: work.gateway });
    }
  }
  let next = 0;
  while (next < items.length) {
    const gateway = items[next]!.gateway;
    let end = next;
    while (end < items.length && items[end]!.gateway === gateway) end++;
    const segment = items.slice(next, end);
    const ref: SegmentRef = {
      runId: args.runId,
      environment: args.environment,
      scheduledAt: args.scheduledAt,
      ...(args.planId ? { planId: args.planId } : {}),
      gateway,
      items: segment.map(({ model, snapshotId, interval }) => ({ model, snapshotId, interval })),
      maxBytes: MAX_SEGMENT_BYTES,
    };
    const prepared = overTheWire(await args.activities.prepareSegment(ref));
    const completions: BatchCompletion[] = [];
    for (const [index, batch] of prepared.batches.entries()) {
      const item = segment[index]!;
      expect([batch.model, batch.interval]).toEqual([item.model, item.interval]);
      if (batch.alreadyComplete) {
        outcome.alreadyComplete.push([item.model, item.interval]);
        continue;
      }
      completions.push({
        executionId: batch.executionId,
        runId: args.runId,
        environment: args.environment,
        model: item.model,
        snapshotId: item.snapshotId,
        interval: item.interval,
        status: 'succeeded',
        report: await execute(args.engines, batch),
        attempt: 1,
      });
      outcome.executed.push([item.model, item.interval]);
    }
    await args.activities.completeSegment(overTheWire(completions));
    next += prepared.batches.length;
  }
  return outcome;
}

/**
 * A plan of `project` for `environment`, computed and stored as the API does (submitted by ana at
 * `now`, the scheduler project's NOW unless given), then applied step by step and finished as applied.
 */
export async function applyPlan(
  db: StateDb,
  activities: SchedulerActivities,
  engines: EnginePool,
  project: Project,
  environment: string,
  now: number = NOW,
): Promise<{ planId: string; diff: PlanDiff }> {
  const created = await createPlanRecord({ db, project, environment, submittedBy: 'ana', now });
  await applyPlanWork(
    activities,
    engines,
    await activities.beginPlan({ planId: created.planId, environment }),
  );
  await activities.finishPlan({ planId: created.planId, environment, status: 'applied' });
  return created;
}

/** The apply workflow's steps for a plan's work: tables, backfill, views. */
export async function applyPlanWork(
  activities: SchedulerActivities,
  engines: EnginePool,
  planWork: PlanWork,
): Promise<WorkOutcome> {
  const work = overTheWire(planWork);
  for (const { gateway, models } of work.tables) {
    const requests = overTheWire(
      await activities.tableRequests({ planId: work.planId, environment: work.environment, gateway, models }),
    );
    await createPhysicalTables(engines.get(gateway), requests as ExecutionRequest[]);
  }
  const outcome = await runWork({
    activities,
    engines,
    runId: `sluice-plan-${work.planId}`,
    environment: work.environment,
    scheduledAt: Date.now(),
    work: work.backfill,
    planId: work.planId,
  });
  for (const { gateway, entries } of work.views)
    await promoteViews(engines.get(gateway), work.environment, entries);
  for (const { gateway, models } of work.removed)
    await dropViews(engines.get(gateway), work.environment, models);
  return outcome;
}

/** The ApplicationFailure `promise` rejects with. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ApplicationFailure)) {
    throw new Error(
      `expected an ApplicationFailure, got ${error instanceof Error ? error.stack : String(error)}`,
    );
  }
  return error;
}

/** The rows of an environment's view (or any relation) as text, in canonical order. */
export async function rows(
  engines: EnginePool,
  schema: string,
  name: string,
): Promise<Array<Array<string | null>>> {
  return (await readRelation(engines.get('local'), schema, name)).rows;
}
