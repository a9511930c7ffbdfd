/**
 * One environment as the API shows it: the state DB's record and models, combined with what its
 * workflow says now (pauses, next wake-up, runs and plans in flight), and each model's next run,
 * latest execution and missing intervals.
 */

import {
  blockedByPauses,
  nextCronRun,
  onCron,
  type Pauses,
  type ScheduledModel,
} from '../../core/schedule.ts';
import { listEnvironments } from '../../state/environments.ts';
import { activePauses } from '../../state/pauses.ts';
import type { AppDeps } from '../context.ts';
import type { EnvironmentDetail, EnvironmentModelView } from '../schemas/environments.ts';
import { type EnvironmentModel, environmentModels, requireEnvironment } from './environment-models.ts';
import { lastExecutions } from './last-executions.ts';
import { missingIntervalCounts } from './missing-intervals.ts';
import { overScheduledOf } from './over-scheduled.ts';
import { type PauseView, pausesOf, readLiveState, workflowView } from './workflow-state.ts';

export async function environmentSummaries(deps: AppDeps) {
  const [environments, pauses] = await Promise.all([listEnvironments(deps.db), activePauses(deps.db)]);
  return environments.map((env) => {
    const mine = pauses.filter((p) => p.environment === env.name);
    return {
      ...env,
      paused: mine.some((p) => p.model === null),
      pausedModels: mine.flatMap((p) => (p.model === null ? [] : [p.model])),
    };
  });
}

export async function environmentDetail(deps: AppDeps, environment: string): Promise<EnvironmentDetail> {
  const record = await requireEnvironment(deps.db, environment);
  const now = deps.now();
  const [models, live, last] = await Promise.all([
    environmentModels(deps.db, environment),
    readLiveState(deps, environment),
    lastExecutions(deps.db, environment),
  ]);
  const [missing, over] = await Promise.all([
    missingIntervalCounts(deps.db, models, now),
    overScheduledOf(deps.db, environment, models.filter(isScheduled), now),
  ]);
  const pauses = await pausesOf(deps, environment, live);
  const blocked = live.state
    ? new Map(Object.entries(live.state.blocked))
    : blockedByPauses(models.map(toScheduled), toPauses(pauses));
  const inFlight = new Set(live.state?.modelsInFlight ?? []);
  return {
    ...record,
    paused: pauses.environment !== null,
    pausedModels: Object.keys(pauses.models).sort(),
    pause: pauses.environment,
    workflow: workflowView(live, now),
    models: models.map(
      (model): EnvironmentModelView => ({
        name: model.name,
        snapshotId: model.snapshotId,
        kind: model.definition.kind.name,
        cron: model.definition.cron,
        cronTz: model.definition.cronTz,
        intervalUnit: model.definition.intervalUnit,
        enabled: model.definition.enabled,
        scheduled: isScheduled(model),
        nextRun: nextRun(model, now),
        paused: pauses.models[model.name] ?? null,
        blockedReason: blocked.get(model.name) ?? null,
        running: inFlight.has(model.name),
        lastExecution: last.get(model.name) ?? null,
        overScheduled: over.get(model.name) ?? null,
        missingIntervals: missing.get(model.name) ?? null,
      }),
    ),
  };
}

export function isScheduled(model: EnvironmentModel): boolean {
  return onCron(cronOf(model));
}

/** The model's next cron tick after `now`, or null when it has no work on a cron. */
export function nextRun(model: EnvironmentModel, now: number): string | null {
  const next = nextCronRun(cronOf(model), now);
  return next === null ? null : new Date(next).toISOString();
}

function cronOf({ definition: d }: EnvironmentModel) {
  return {
    kind: d.kind.name,
    ...(d.kind.name === 'VIEW' ? { materialized: d.kind.materialized } : {}),
    enabled: d.enabled,
    cron: d.cron,
    cronTz: d.cronTz,
  };
}

export function toScheduled(model: EnvironmentModel): ScheduledModel {
  const kind = model.definition.kind;
  return {
    name: model.name,
    snapshotId: model.snapshotId,
    kind: kind.name,
    ...(kind.name === 'VIEW' ? { materialized: kind.materialized } : {}),
    cron: model.definition.cron,
    cronTz: model.definition.cronTz,
    dependsOn: model.definition.dependsOn,
    gateway: model.definition.gateway ?? '',
  };
}

export function toPauses(view: PauseView): Pauses {
  const info = (p: { reason: string | null; actor: string; at: string }) => ({
    reason: p.reason ?? '',
    actor: p.actor,
    at: Date.parse(p.at),
  });
  return {
    environment: view.environment ? info(view.environment) : null,
    models: Object.fromEntries(Object.entries(view.models).map(([m, p]) => [m, info(p)])),
  };
}
