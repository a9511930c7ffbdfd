/**
 * With SLUICE_PAYLOAD_KEY, failures are encrypted like payloads: a warehouse error can quote data, so
 * its message and stack trace travel as an encoded payload (encodeCommonAttributes), in activity
 * failures raised on executors and in the workflow failures built from them. On the real dev server,
 * a connection test whose warehouse refuses an unknown role fails; a client with the key reads the
 * error, and the raw history holds neither the role name nor the error text.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../../activities/contracts.ts';
import { keyringOf } from '../../../crypto/keyring.ts';
import { createPayloadCodec, dataConverterOf } from '../../../crypto/payload-codec.ts';
import { seal } from '../../../crypto/sealed.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { testConnectionWorkflow } from '../../../workflows/test-connection.ts';
import { startDevServer } from '../../support/temporal.ts';

/** a role name only the failing connection's settings (and so its error) contain. */
const MARKER = `sluice_marker_${randomBytes(4).toString('hex')}`;

describe('failure messages under the payload codec', () => {
  let env: TestWorkflowEnvironment;
  let state: StateConnection;
  const workers: RunningWorker[] = [];
  const payloadKeys = keyringOf(randomBytes(32));
  const connectionKeys = keyringOf(randomBytes(32));
  const dataConverter = dataConverterOf(createPayloadCodec(payloadKeys))!;

  beforeAll(async () => {
    env = await startDevServer();
    state = createStateDb({ url: 'memory://' });
    await migrate(state.db);
    const client = new Client({ connection: env.connection, namespace: 'default', dataConverter });
    workers.push(
      await startSchedulerWorker({
        connection: env.nativeConnection,
        db: state.db,
        client,
        identity: 'scheduler@failure-encryption',
        dataConverter,
      }),
      await startExecutorWorker({
        connection: env.nativeConnection,
        role: 'apply',
        gateways: {},
        baseDir: process.cwd(),
        identity: 'apply@failure-encryption',
        encryption: connectionKeys,
        dataConverter,
      }),
    );
  }, 180_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop().catch(() => {});
    await state?.close();
    await env?.teardown();
  });

  it('encrypts the message of a failure an executor raised, and the key holder reads it', async () => {
    const connection = { type: 'postgres', host: '127.0.0.1', port: 5432, user: MARKER, database: 'test' };
    const workflowId = `sluice-failure-encryption-${randomUUID().slice(0, 8)}`;
    const client = new Client({ connection: env.connection, namespace: 'default', dataConverter });
    const failure = await client.workflow
      .execute(testConnectionWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId,
        args: [
          {
            gateway: 'warehouse',
            connection: seal(connectionKeys, JSON.stringify(connection), 'warehouse'),
            scheduleToStartMs: 30_000,
            startToCloseMs: 30_000,
          },
        ],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = (failure as WorkflowFailedError).cause?.message ?? '';
    expect(message).toContain(MARKER);

    const raw = new Client({ connection: env.connection, namespace: 'default' });
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const failed = history.events?.find((event) => event.workflowExecutionFailedEventAttributes);
    const recorded = failed?.workflowExecutionFailedEventAttributes?.failure;
    expect(recorded?.message).toBe('Encoded failure');
    expect(recorded?.encodedAttributes?.metadata?.encoding).toBeDefined();
    const text = JSON.stringify(history, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
    );
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain('does not exist');
  }, 120_000);
});
