/**
 * `GET /api/executors`: every run and apply executor, from two sources Temporal holds: the executor
 * registry workflow (each executor's last heartbeat and its goodbye, workflows/executor-registry.ts)
 * and the pollers Temporal lists on `sluice-run` and `sluice-apply`. An executor that polls but never
 * reported is listed with what its poller tells. An executor is `gone` once it has not been heard
 * from for the gone-after time (`SLUICE_EXECUTOR_GONE_AFTER`, 60 s), `stopped` for that long after a
 * clean shutdown, `up` otherwise.
 */
import { createRoute } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { DEFAULT_EXECUTOR_GONE_AFTER_MS } from '../../config/defaults.ts';
import {
  EXECUTOR_REGISTRY_WORKFLOW_ID,
  type ExecutorEntry,
  type ExecutorMap,
  executorsQuery,
} from '../../workflows/executor-registry.ts';
import { requirePermission } from '../auth/authorize.ts';
import type { AppDeps } from '../context.ts';
import { router } from '../router.ts';
import { errors, json } from '../schemas/common.ts';
import {
  EXECUTOR_ROLES,
  type Executor,
  ExecutorListQuery,
  ExecutorListSchema,
  type ExecutorStatus,
} from '../schemas/executors.ts';
import { callTemporal } from '../temporal-calls.ts';

/**
 * Temporal records a poller's access when a long poll starts, and an idle long poll lasts up to a
 * minute: a poller this recent is still polling.
 */
export const LONG_POLL_MS = 70_000;
/** DescribeTaskQueue enums (temporal.api.enums.v1): a normal queue, its activity side. */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

type Role = (typeof EXECUTOR_ROLES)[number];

interface Poller {
  identity: string;
  role: Role;
  lastAccess: number;
}

const list = createRoute({
  method: 'get',
  path: '/executors',
  tags: ['executors'],
  summary: 'Run and apply executors: identity, version, gateways, last seen, in-flight work, up/stopped/gone',
  middleware: [requirePermission('read')],
  request: { query: ExecutorListQuery },
  responses: {
    200: json(ExecutorListSchema, 'every executor heard from in the last 24 hours'),
    ...errors(400, 401, 403, 503),
  },
});

/** Routes of `/api/executors`; `goneAfterMs` is SLUICE_EXECUTOR_GONE_AFTER, 60 s when omitted. */
export function executorRoutes(goneAfterMs: number = DEFAULT_EXECUTOR_GONE_AFTER_MS) {
  const goneAfter = goneAfterMs;
  if (!(Number.isFinite(goneAfter) && goneAfter > 0)) {
    throw new Error(`the executor gone-after time must be above zero (got ${goneAfter} ms)`);
  }
  return router().openapi(list, async (c) => {
    const deps = c.get('deps');
    const { role, status } = c.req.valid('query');
    const [registry, pollers] = await Promise.all([
      readRegistry(deps),
      Promise.all(EXECUTOR_ROLES.map((r) => readPollers(deps, r))),
    ]);
    const items = listExecutors(registry, pollers.flat(), deps.now(), goneAfter).filter(
      (e) => (role === undefined || e.role === role) && (status === undefined || e.status === status),
    );
    return c.json({ items, goneAfterSeconds: goneAfter / 1000 }, 200);
  });
}

/** The registry's map; empty while no executor has reported yet (the workflow does not exist). */
async function readRegistry(deps: AppDeps): Promise<ExecutorMap> {
  return callTemporal(deps, 'reading the executor registry', async () => {
    try {
      return await deps.client.workflow.getHandle(EXECUTOR_REGISTRY_WORKFLOW_ID).query(executorsQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return {};
      throw err;
    }
  });
}

async function readPollers(deps: AppDeps, role: Role): Promise<Poller[]> {
  const queue = TASK_QUEUES[role];
  const reply = await callTemporal(deps, `describing task queue ${queue}`, () =>
    deps.client.workflowService.describeTaskQueue({
      namespace: deps.client.options.namespace,
      taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
    }),
  );
  return (reply.pollers ?? [])
    .filter((p) => typeof p.identity === 'string' && p.identity !== '')
    .map((p) => ({
      identity: p.identity as string,
      role,
      lastAccess: p.lastAccessTime
        ? Number(p.lastAccessTime.seconds ?? 0) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6)
        : 0,
    }));
}

/** Registry entries and pollers merged by role and identity, with the status each one has `now`. */
export function listExecutors(
  registry: ExecutorMap,
  pollers: Poller[],
  now: number,
  goneAfterMs: number,
): Executor[] {
  const key = (role: string, identity: string) => `${role}\u0000${identity}`;
  const polls = new Map<string, Poller>();
  for (const poller of pollers) {
    const k = key(poller.role, poller.identity);
    const seen = polls.get(k);
    if (!seen || seen.lastAccess < poller.lastAccess) polls.set(k, poller);
  }
  const polling = (poller: Poller | undefined) =>
    poller !== undefined && now - poller.lastAccess <= LONG_POLL_MS;
  const items: Executor[] = [];
  for (const entry of Object.values(registry)) {
    const k = key(entry.role, entry.identity);
    items.push(fromReport(entry, polling(polls.get(k)), now, goneAfterMs));
    polls.delete(k);
  }
  for (const poller of polls.values()) {
    // an idle long poll is up to a minute old: a poller-only executor gets that much longer
    const up = now - poller.lastAccess <= goneAfterMs + LONG_POLL_MS;
    items.push({
      identity: poller.identity,
      role: poller.role,
      taskQueue: TASK_QUEUES[poller.role],
      version: null,
      gateways: null,
      startedAt: null,
      lastSeen: iso(poller.lastAccess),
      health: null,
      inFlight: null,
      status: up ? 'up' : 'gone',
      stoppedAt: null,
      polling: polling(poller),
    });
  }
  return items.sort((a, b) =>
    a.role === b.role
      ? a.identity < b.identity
        ? -1
        : a.identity > b.identity
          ? 1
          : 0
      : a.role < b.role
        ? -1
        : 1,
  );
}

function fromReport(entry: ExecutorEntry, polling: boolean, now: number, goneAfterMs: number): Executor {
  const stoppedAt = entry.stoppedAt;
  const lastSeen = Math.max(entry.at, stoppedAt ?? 0);
  let status: ExecutorStatus;
  if (stoppedAt !== null) status = now - stoppedAt <= goneAfterMs ? 'stopped' : 'gone';
  else status = now - entry.at <= goneAfterMs ? 'up' : 'gone';
  return {
    identity: entry.identity,
    role: entry.role,
    taskQueue: entry.taskQueue || TASK_QUEUES[entry.role],
    version: entry.version || null,
    gateways: [...entry.gateways].sort(),
    startedAt: iso(entry.startedAt),
    lastSeen: iso(lastSeen),
    health: entry.health,
    inFlight: entry.inFlight,
    status,
    stoppedAt: stoppedAt === null ? null : iso(stoppedAt),
    polling,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
