/** Every model's schedule in one environment or all: when it runs next, whether it may, how it last went. */
import { createRoute } from '@hono/zod-openapi';
import { blockedByPauses } from '../../core/schedule.ts';
import { listEnvironments } from '../../state/environments.ts';
import { requirePermission } from '../auth/authorize.ts';
import type { AppDeps } from '../context.ts';
import { router } from '../router.ts';
import { errors, json } from '../schemas/common.ts';
import { ScheduleListSchema, ScheduleQuery } from '../schemas/schedules.ts';
import { isScheduled, nextRun, toPauses, toScheduled } from '../views/environment-detail.ts';
import { environmentModels, requireEnvironment } from '../views/environment-models.ts';
import { lastExecutions } from '../views/last-executions.ts';
import { pausesOf, readLiveState } from '../views/workflow-state.ts';

const list = createRoute({
  method: 'get',
  path: '/schedules',
  tags: ['schedules'],
  summary: "Every model's cron, time zone, interval unit, next run, paused state and last status",
  middleware: [requirePermission('read')],
  request: { query: ScheduleQuery },
  responses: {
    200: json(ScheduleListSchema, 'schedules by environment and model'),
    ...errors(400, 401, 403, 404),
  },
});

async function schedulesOf(deps: AppDeps, environment: string) {
  const [models, live, last] = await Promise.all([
    environmentModels(deps.db, environment),
    readLiveState(deps, environment),
    lastExecutions(deps.db, environment),
  ]);
  const pauses = await pausesOf(deps, environment, live);
  const blocked = live.state
    ? new Map(Object.entries(live.state.blocked))
    : blockedByPauses(models.map(toScheduled), toPauses(pauses));
  const now = deps.now();
  return models.map((model) => {
    const latest = last.get(model.name);
    return {
      environment,
      model: model.name,
      kind: model.definition.kind.name,
      cron: model.definition.cron,
      cronTz: model.definition.cronTz,
      intervalUnit: model.definition.intervalUnit,
      nextRun: nextRun(model, now),
      enabled: model.definition.enabled,
      scheduled: isScheduled(model),
      paused: pauses.environment !== null || pauses.models[model.name] !== undefined,
      blockedReason: blocked.get(model.name) ?? null,
      lastStatus: latest?.status ?? null,
      lastRunAt: latest ? (latest.finishedAt ?? latest.queuedAt) : null,
    };
  });
}

export function scheduleRoutes() {
  return router().openapi(list, async (c) => {
    const deps = c.get('deps');
    const { environment } = c.req.valid('query');
    let names: string[];
    if (environment !== undefined) {
      await requireEnvironment(deps.db, environment);
      names = [environment];
    } else {
      names = (await listEnvironments(deps.db)).map((e) => e.name);
    }
    const items = (await Promise.all(names.map((name) => schedulesOf(deps, name)))).flat();
    return c.json({ items }, 200);
  });
}
