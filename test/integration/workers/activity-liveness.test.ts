import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livenessHeartbeats } from '../../../workers/activity-liveness.ts';
import { SCHEDULER_ACTIVITY_OPTIONS } from '../../../workflows/scheduler-activity-options.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';
import { holdOnce } from '../../support/workflows/liveness.ts';

const workflowsPath = fileURLToPath(new URL('../../support/workflows/liveness.ts', import.meta.url));
const HEARTBEAT_TIMEOUT_MS = Number(SCHEDULER_ACTIVITY_OPTIONS.heartbeatTimeout);
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

describe('liveness heartbeats of the scheduler activities (Temporal dev server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /** A worker serving `hold`: its first attempt waits until `released` settles, later ones answer. */
  function holdingWorker(taskQueue: string, released: Promise<void>, heartbeats: boolean) {
    return Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      bundlerOptions: { ignoreModules: ['fs', 'fs/promises'] },
      activities: {
        async hold() {
          const { info, cancelled } = Context.current();
          const { attempt } = info;
          // a stopping worker cancels what it still runs
          if (attempt === 1) await Promise.race([released, cancelled]);
          return attempt;
        },
      },
      ...(heartbeats ? { interceptors: { activity: [livenessHeartbeats] } } : {}),
    });
  }

  /** The workflow's pending activity (its attempt, started time and last heartbeat), once it has one. */
  async function pending(workflowId: string) {
    const { raw } = await env.client.workflow.getHandle(workflowId).describe();
    return raw.pendingActivities?.[0] ?? undefined;
  }

  it('keeps a live attempt that outlasts its heartbeat timeout from being retried', async () => {
    expect(HEARTBEAT_TIMEOUT_MS).toBeGreaterThan(0);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await holdingWorker('liveness-live', released, true);
    const attempt = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(holdOnce, {
        taskQueue: 'liveness-live',
        workflowId: `liveness-live-${Date.now()}`,
      });
      // beats seen more than two heartbeat timeouts after the attempt started, still attempt 1
      await waitFor(
        'heartbeats past two heartbeat timeouts',
        async () => {
          const activity = await pending(handle.workflowId);
          const started = ms(activity?.lastStartedTime);
          const beat = ms(activity?.lastHeartbeatTime);
          return activity && started > 0 && beat - started > 2 * HEARTBEAT_TIMEOUT_MS ? activity : undefined;
        },
        30_000,
      ).then((activity) => expect(activity.attempt).toBe(1));
      release();
      return handle.result();
    });
    expect(attempt).toBe(1);
  });

  it('retries an attempt that went silent once its heartbeat timeout passes, not its start-to-close one', async () => {
    // no liveness heartbeats: the first attempt stands for one whose worker died after taking it
    const worker = await holdingWorker('liveness-silent', new Promise<void>(() => {}), false);
    const workflowId = `liveness-silent-${Date.now()}`;
    const attempt = await worker.runUntil(
      env.client.workflow.execute(holdOnce, { taskQueue: 'liveness-silent', workflowId }),
    );
    expect(attempt).toBe(2);
    const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const started = events?.find(
      (e) => e.activityTaskStartedEventAttributes,
    )?.activityTaskStartedEventAttributes;
    expect(started?.attempt).toBe(2);
    expect(started?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
      // TIMEOUT_TYPE_HEARTBEAT
      4,
    );
  });
});
