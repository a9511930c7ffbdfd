/**
 * The scheduler activities (`SchedulerActivities` in activities/contracts.ts), run by the scheduler
 * worker on the `sluice-scheduler` task queue. They hold the state database and never a warehouse
 * credential: they decide what is due, render batches for the executors and record what happened.
 * Each one may be retried by Temporal and records its effect once.
 */
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../../artifacts/store.ts';
import type { StateDb } from '../../db/client.ts';
import type { SchedulerActivities } from '../contracts.ts';
import { sweepArtifacts } from './artifact-sweep.ts';
import { writePlanArtifacts, writeRunArtifacts } from './artifacts.ts';
import { closedRuns } from './closed-runs.ts';
import { completeSegment } from './complete-segment.ts';
import type { SchedulerContext } from './context.ts';
import { findDueWork } from './due-work.ts';
import { environmentViews, removeEnvironmentState, stopEnvironment } from './environment-deletion.ts';
import { EnvironmentModelsCache } from './environment-models.ts';
import { chooseDrops, expiredEnvironments, recordDrops } from './janitor.ts';
import { recordPauseChange } from './pauses.ts';
import { PlanCache } from './plan-cache.ts';
import { beginPlan, finishPlan, tableRequests } from './plans.ts';
import { prepareSegment } from './prepare-segment.ts';
import { clearIntervals } from './restatement.ts';
import { requestRunSlot } from './run-slots.ts';
import {
  endQueuedRun,
  recordRunFinished,
  recordRunQueued,
  recordRunReady,
  recordRunStarted,
} from './runs.ts';
import { loadSchedule } from './schedule.ts';
import { recordSkips } from './skips.ts';
import { sweepStoredPayloads } from './stored-payload-sweep.ts';

export { storableProject } from '../../state/plan/stored-project.ts';
export { FAILURE_TYPES } from './failures.ts';

export interface SchedulerActivitiesOptions {
  db: StateDb;
  /** lets a segment claim a snapshot interval from a run that ended without finishing it, and closedRuns answer. */
  temporal?: Client;
  /** epoch ms; Date.now by default. */
  now?: () => number;
  /** where runs and plans leave their artifacts; without it none are written. */
  artifacts?: ArtifactStore;
  /** SLUICE_ARTIFACT_RETENTION in ms; null: kept forever. */
  artifactRetentionMs?: number | null;
  /** SLUICE_JANITOR_GRACE in ms; a day by default. */
  janitorGraceMs?: number;
}

export function createSchedulerActivities(options: SchedulerActivitiesOptions): SchedulerActivities {
  const ctx: SchedulerContext = {
    db: options.db,
    now: options.now ?? Date.now,
    plans: new PlanCache(options.db),
    environments: new EnvironmentModelsCache(),
    ...(options.temporal ? { temporal: options.temporal } : {}),
    ...(options.artifacts ? { artifacts: options.artifacts } : {}),
    artifactRetentionMs: options.artifactRetentionMs ?? null,
    ...(options.janitorGraceMs === undefined ? {} : { janitorGraceMs: options.janitorGraceMs }),
  };
  return {
    loadSchedule: (environment) => loadSchedule(ctx, environment),
    findDueWork: (args) => findDueWork(ctx, args),
    clearIntervals: (args) => clearIntervals(ctx, args),
    recordRunStarted: (args) => recordRunStarted(ctx, args),
    recordRunQueued: (args) => recordRunQueued(ctx, args),
    recordRunReady: (args) => recordRunReady(ctx, args),
    endQueuedRun: (args) => endQueuedRun(ctx, args),
    requestRunSlot: (request) => requestRunSlot(ctx, request),
    recordRunFinished: (report) => recordRunFinished(ctx, report),
    prepareSegment: (ref) => prepareSegment(ctx, ref),
    completeSegment: (completions) => completeSegment(ctx, completions),
    recordSkips: (skips) => recordSkips(ctx, skips),
    recordPauseChange: (change) => recordPauseChange(ctx, change),
    closedRuns: (runIds) => closedRuns(ctx.temporal, runIds, ctx.db),
    tableRequests: (args) => tableRequests(ctx, args),
    beginPlan: (args) => beginPlan(ctx, args),
    finishPlan: (args) => finishPlan(ctx, args),
    writeRunArtifacts: (args) => writeRunArtifacts(ctx, args),
    writePlanArtifacts: (args) => writePlanArtifacts(ctx, args),
    sweepArtifacts: () => sweepArtifacts(ctx),
    sweepStoredPayloads: (args) => sweepStoredPayloads(ctx, args),
    stopEnvironment: (args) => stopEnvironment(ctx, args),
    environmentViews: (args) => environmentViews(ctx, args),
    removeEnvironmentState: (args) => removeEnvironmentState(ctx, args),
    expiredEnvironments: (args) => expiredEnvironments(ctx, args),
    chooseDrops: (args) => chooseDrops(ctx, args),
    recordDrops: (args) => recordDrops(ctx, args),
  };
}
