/**
 * A scheduler worker in a process of its own, for benchmarks that kill one with SIGKILL. It is the
 * production scheduler worker (startSchedulerWorker: its sticky queue timeout, its activities'
 * liveness heartbeats) running the workflows from a bundle the parent wrote, on the state database,
 * and says `ready` over IPC once polling.
 *
 * When the parent sends `{ arm: workflowId }`, the first attempt of the next activity of that
 * workflow this worker takes never answers: the worker stands for one that died right after taking
 * it, and tells the parent (`{ took: activityType }`) so that it kills it for real.
 *
 *   node --import tsx bench/support/scheduler-process.ts   (spawned with an IPC channel)
 *   env: TEMPORAL_ADDRESS, STATE_DATABASE_URL, WORKER_IDENTITY, WORKFLOW_BUNDLE (a JSON file)
 */
import { readFileSync } from 'node:fs';
import type { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import {
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  type Next,
  Runtime,
} from '@temporalio/worker';
import { dataConverterOf } from '../../crypto/payload-codec.ts';
import { createStateDb } from '../../db/client.ts';
import { statePayloadStore } from '../../state/stored-payloads.ts';
import { startSchedulerWorker } from '../../workers/scheduler-worker.ts';

const need = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const address = need('TEMPORAL_ADDRESS');
const identity = need('WORKER_IDENTITY');

let armed: string | null = null;
process.on('message', (message: { arm?: string }) => {
  if (message.arm) armed = message.arm;
});

/** Takes the armed workflow's next first attempt and never answers it. */
class DieAfterTaking implements ActivityInboundCallsInterceptor {
  constructor(private ctx: Context) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const { info } = this.ctx;
    if (armed !== null && info.workflowExecution?.workflowId === armed && info.attempt === 1) {
      armed = null;
      process.send?.({ took: info.activityType });
      return new Promise<never>(() => {});
    }
    return next(input);
  }
}

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
});
const state = createStateDb({ url: need('STATE_DATABASE_URL') });
// as in production: large payloads kept in the state database
const dataConverter = dataConverterOf(undefined, statePayloadStore(state.db));
const client = new Client({ connection: await Connection.connect({ address }), dataConverter });
const running = await startSchedulerWorker({
  connection: await NativeConnection.connect({ address }),
  db: state.db,
  client,
  identity,
  workflowBundle: JSON.parse(readFileSync(need('WORKFLOW_BUNDLE'), 'utf8')),
  dataConverter,
  startNotifier: false,
  activityInterceptors: [(ctx) => ({ inbound: new DieAfterTaking(ctx) })],
});
process.on('disconnect', () => void running.stop());
process.send?.({ ready: identity });
await running.done;
await state.close();
process.exit(0);
