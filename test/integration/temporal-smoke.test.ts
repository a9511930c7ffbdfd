import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, startTimeSkippingServer } from '../support/temporal.ts';
import { shortSleepThenStamp, sleepUntilNextTick } from '../support/workflows/smoke.ts';

const workflowsPath = fileURLToPath(new URL('../support/workflows/smoke.ts', import.meta.url));

function createWorker(env: TestWorkflowEnvironment, taskQueue: string) {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    bundlerOptions: { ignoreModules: ['fs', 'fs/promises'] },
    activities: { stamp: async (label: string) => `stamped ${label}` },
  });
}

async function runSmoke(env: TestWorkflowEnvironment, taskQueue: string, cron: string) {
  const worker = await createWorker(env, taskQueue);
  return worker.runUntil(
    env.client.workflow.execute(sleepUntilNextTick, {
      taskQueue,
      workflowId: `smoke-${taskQueue}-${Date.now()}`,
      args: [cron, 'Europe/Berlin'],
    }),
  );
}

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('skips a daily timer and runs the activity at the cron tick', async () => {
    const result = await runSmoke(env, 'smoke-time-skipping', '0 10 * * *');
    expect(result.stamped).toBe(`stamped tick ${new Date(result.tick).toISOString()}`);
    expect(result.woke).toBeGreaterThanOrEqual(result.tick);
    // 10:00 in Berlin is 08:00 or 09:00 UTC depending on the season.
    expect([8, 9]).toContain(new Date(result.tick).getUTCHours());
  });
});

describe('Temporal CLI dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow with a timer and an activity through a real worker', async () => {
    const worker = await createWorker(env, 'smoke-dev-server');
    const stamped = await worker.runUntil(
      env.client.workflow.execute(shortSleepThenStamp, {
        taskQueue: 'smoke-dev-server',
        workflowId: `smoke-dev-server-${Date.now()}`,
        args: ['hello'],
      }),
    );
    expect(stamped).toBe('stamped hello');
  });
});
