/**
 * A large environment end to end: N models (10,000 by default) planned and applied into prod, then
 * every model run at once (a restatement of the interval the plan built). Prints the time of each
 * step and, over every workflow history the namespace then holds (read raw, as Temporal stores
 * them), the longest history, the largest event (an upper bound of any payload in it) and the
 * largest whole history, against Temporal's 10,240-event warning and 256 KB payload warning; the
 * payloads kept in the state database instead; and this process's memory.
 *
 *   npx tsx bench/large-environment.ts [models=10000] [threads=4]
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { triggerRun } from '../api/environment-commands.ts';
import { loadProject } from '../core/project/load.ts';
import { measureHistory } from '../test/support/history-size.ts';
import { generateModels } from './support/generated-dag.ts';
import { rows, startBenchStack, waitForWorkflow, writeProject } from './support/stack.ts';

const MODELS = Number(process.argv[2] ?? 10_000);
const THREADS = Number(process.argv[3] ?? 4);
const EVENT_WARNING = 10_240;
const PAYLOAD_WARNING = 256 * 1024;

interface HistoryFigures {
  workflowId: string;
  type: string;
  events: number;
  bytes: number;
  largestEvent: number;
  /** bytes by event type and, for activities, activity type. */
  byKind: Map<string, number>;
}

/** Every history in the namespace, measured raw (no codec: what Temporal holds). */
async function measureHistories(client: Client): Promise<HistoryFigures[]> {
  const figures: HistoryFigures[] = [];
  for await (const workflow of client.workflow.list()) {
    const byKind = new Map<string, number>();
    const activityOf = new Map<string, string>();
    const size = await measureHistory(client, workflow.workflowId, workflow.runId, (event, bytes) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) activityOf.set(String(event.eventId), scheduled.activityType?.name ?? '?');
      const scheduledId =
        event.activityTaskCompletedEventAttributes?.scheduledEventId ??
        event.activityTaskStartedEventAttributes?.scheduledEventId;
      const activity = scheduled
        ? activityOf.get(String(event.eventId))
        : scheduledId == null
          ? undefined
          : activityOf.get(String(scheduledId));
      const kind = `${proto.temporal.api.enums.v1.EventType[event.eventType ?? 0]}${activity ? ` ${activity}` : ''}`;
      byKind.set(kind, (byKind.get(kind) ?? 0) + bytes);
    });
    figures.push({ workflowId: workflow.workflowId, type: workflow.type, ...size, byKind });
  }
  return figures;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const largestBy = (all: HistoryFigures[], key: 'events' | 'bytes' | 'largestEvent') =>
  all.reduce((a, b) => (b[key] > a[key] ? b : a));

const stack = await startBenchStack();
try {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const root = writeProject(join(stack.dir, 'large'), generateModels(MODELS), yesterday);
  const loadStarted = Date.now();
  const project = loadProject(root, { env: {} });
  const loadMs = Date.now() - loadStarted;

  const planStarted = Date.now();
  await stack.apply(project, 'prod');
  const applyMs = Date.now() - planStarted;

  const runStarted = Date.now();
  const runId = await triggerRun(stack.client, 'prod', {
    models: project.models.map((model) => model.name),
    restate: { start: Date.parse(yesterday), end: Date.parse(yesterday) + 86_400_000 },
    requestedBy: 'bench',
  });
  await waitForWorkflow(stack.client, runId);
  await stack.client.workflow.getHandle(runId).result();
  const runMs = Date.now() - runStarted;
  const [counted] = await rows<{ succeeded: number }>(
    stack.db,
    `select count(*)::int as succeeded from sluice.model_executions where run_id = '${runId}' and status = 'succeeded'`,
  );

  const histories = await measureHistories(stack.client);
  for (const h of [...histories].sort((a, b) => b.largestEvent - a.largestEvent).slice(0, 5)) {
    console.log(
      `  ${h.type} ${h.workflowId}: ${h.events} events, ${kb(h.bytes)}, largest event ${kb(h.largestEvent)}`,
    );
  }
  const [stored] = await rows<{ payloads: number; bytes: number | null; largest: number | null }>(
    stack.db,
    'select count(*)::int as payloads, sum(size)::bigint as bytes, max(size) as largest from sluice.stored_payloads',
  );
  const longest = largestBy(histories, 'events');
  const heaviest = largestBy(histories, 'bytes');
  const largestEvent = largestBy(histories, 'largestEvent');
  const memory = process.memoryUsage();

  console.log(`${MODELS} models, ${THREADS} threads, DuckDB in memory, one process`);
  console.log(`  project loaded: ${seconds(loadMs)}`);
  console.log(`  plan computed, stored and applied (every model built): ${seconds(applyMs)}`);
  console.log(
    `  every model run at once: ${seconds(runMs)}, ${counted?.succeeded ?? 0} executions succeeded`,
  );
  console.log(`  histories: ${histories.length}`);
  console.log(
    `  longest history: ${longest.events} events (${longest.type} ${longest.workflowId}); ` +
      `Temporal warns at ${EVENT_WARNING}: ${longest.events <= EVENT_WARNING ? 'under' : 'OVER'}`,
  );
  console.log(
    `  largest event: ${kb(largestEvent.largestEvent)} (${largestEvent.type}); ` +
      `payload warning at ${kb(PAYLOAD_WARNING)}: ${largestEvent.largestEvent <= PAYLOAD_WARNING ? 'under' : 'OVER'}`,
  );
  console.log(`  largest history: ${kb(heaviest.bytes)} (${heaviest.type} ${heaviest.workflowId})`);
  for (const h of [
    heaviest,
    largestBy(
      histories.filter((x) => x !== heaviest),
      'bytes',
    ),
  ]) {
    const kinds = [...h.byKind].sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`    ${h.type}: ${kinds.map(([kind, bytes]) => `${kind} ${kb(bytes)}`).join(', ')}`);
  }
  console.log(
    `  payloads kept in the state database: ${stored?.payloads ?? 0}, ${kb(Number(stored?.bytes ?? 0))} in all, ` +
      `the largest ${kb(Number(stored?.largest ?? 0))}`,
  );
  console.log(
    `  this process (scheduler worker, executors, PGlite): ${(memory.rss / 1048576).toFixed(0)} MB resident, ` +
      `${(memory.heapUsed / 1048576).toFixed(0)} MB heap`,
  );
} finally {
  await stack.stop();
}
