/**
 * Notifications on the real stack (dev server, scheduler worker, a run executor process, a
 * PostgreSQL warehouse), delivered to a local receiver that answers 500 the first time it sees a
 * delivery and 200 after. A webhook added through the API hears of the plan applied, of a run that
 * fails once the model's source table is dropped, of the run that succeeds once it is back, and of
 * a plan whose backfill fails; every request carries a valid signature, each delivery is retried
 * once, and the deliveries route lists both attempts. Bad webhooks are refused, naming the field,
 * and store nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../../api/app.ts';
import { submitPlan } from '../../../api/environment-commands.ts';
import type { NotificationBody } from '../../../core/notifications/events.ts';
import { listWebhooks } from '../../../state/notifications/webhooks.ts';
import { getPlan } from '../../../state/plans.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { waitFor } from '../../support/waiting.ts';
import {
  type ReceivedRequest,
  startWebhookReceiver,
  verifySignature,
  type WebhookReceiver,
} from '../../support/webhook-receiver.ts';
import { applyPlan, floorMinute, MINUTE, minuteModel, useOrchestrationStack } from './stack.ts';

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  body: NotificationBody;
  attempts: Array<{ attempt: number; statusCode: number | null; error: string | null }>;
}

describe('notifications on the real stack', () => {
  const start = floorMinute(Date.now()) - 2 * MINUTE;
  const stack = useOrchestrationStack(() => ({
    tag: 'notify',
    start,
    models: {
      'staged.sql': minuteModel(
        'e2e.staged',
        'SELECT CAST(@start_ts AS TIMESTAMP) AS minute, (SELECT COUNT(*) FROM raw.src)::int AS src_rows',
      ),
    },
    runExecutor: 'run-1@test',
  }));
  let receiver: WebhookReceiver;
  let app: SluiceApp;
  let token: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = testApp({ db: stack().db, client: stack().client, temporalTimeoutMs: 10_000 });
    token = await tokenFor(stack().db, 'operator', ['*']);
    await stack().wh`create schema raw`;
    await stack().wh`create table raw.src as select generate_series(1, 2) as id`;
  });
  afterAll(async () => {
    await receiver?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error?: unknown; items?: unknown[] } & Record<string, unknown>,
    };
  };

  /** The requests the receiver got for the first delivery of `type`, once it answered one with 200. */
  const delivered = (type: string, where: (body: NotificationBody) => boolean = () => true) =>
    waitFor(
      `a ${type} notification to be delivered`,
      async () => {
        const of = (r: ReceivedRequest) => JSON.parse(r.body) as NotificationBody;
        const ok = receiver.requests.find(
          (r) => r.headers['sluice-event'] === type && r.answered === 200 && where(of(r)),
        );
        if (!ok) return undefined;
        return receiver.requests.filter(
          (r) => r.headers['sluice-delivery'] === ok.headers['sluice-delivery'],
        );
      },
      3 * MINUTE,
    );

  it(
    'delivers signed, retried notifications of plans and runs and records every attempt',
    async () => {
      // bad webhooks are refused, naming the field, and store nothing
      for (const [body, field] of [
        [{ environment: 'prod', url: 'ftp://example.com/hook' }, 'url'],
        [{ environment: 'prod', url: 'not a url' }, 'url'],
        [{ environment: 'prod', url: receiver.url, events: ['run.exploded'] }, 'events'],
        [{ environment: 'Prod!', url: receiver.url }, 'environment'],
        [{ environment: 'prod', url: receiver.url, format: 'teams' }, 'format'],
      ] as const) {
        const refused = await call('POST', '/api/notifications', body);
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(refused.body.error), JSON.stringify(body)).toContain(field);
      }
      expect(await listWebhooks(stack().db)).toEqual([]);

      const created = await call('POST', '/api/notifications', { environment: 'prod', url: receiver.url });
      expect(created.status).toBe(201);
      const { id, secret } = created.body as unknown as { id: string; secret: string };
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      const listed = await call('GET', '/api/notifications');
      expect(listed.body.items).toEqual([expect.objectContaining({ id, url: receiver.url, format: 'json' })]);
      expect(JSON.stringify(listed.body)).not.toContain(secret);

      // plan applied
      const { planId } = await applyPlan(stack());
      const applied = await delivered('plan.applied');
      expect(JSON.parse(applied[0]!.body)).toMatchObject({
        type: 'plan.applied',
        planId,
        environment: 'prod',
      });

      // a run fails once its model's source is gone
      await stack().wh`drop table raw.src`;
      const failed = await delivered('run.failed');
      expect(failed.map((r) => r.answered)).toEqual([500, 200]);
      for (const request of failed) {
        expect(verifySignature(request, secret, Date.now())).toBe(true);
        expect(verifySignature(request, 'whsec_someone_else', Date.now())).toBe(false);
        expect(request.headers['content-type']).toBe('application/json');
      }
      // the signature is made per attempt: a replayed old one would fail the timestamp check
      expect(verifySignature(failed[0]!, secret, Date.now() + 10 * MINUTE)).toBe(false);
      const body = JSON.parse(failed[0]!.body) as NotificationBody;
      expect(body).toMatchObject({ type: 'run.failed', environment: 'prod', status: 'failed', planId: null });
      expect(body.runId).toMatch(/.+/);
      expect(body.models).toEqual([
        expect.objectContaining({
          name: 'e2e.staged',
          status: 'failed',
          error: expect.stringMatching(/raw\.src/),
        }),
      ]);
      expect(body.error).toMatch(/e2e\.staged: .*raw\.src/s);
      expect(body.links.temporal).toBeUndefined();

      // every attempt is recorded and listed
      const deliveryId = failed[0]!.headers['sluice-delivery'];
      const history = await waitFor(
        'both attempts to be recorded',
        async () => {
          const r = await call('GET', `/api/notifications/${id}/deliveries`);
          const d = (r.body.items as Delivery[]).find((x) => x.id === deliveryId);
          return d?.status === 'delivered' && d.attempts.length === 2 ? d : undefined;
        },
        30_000,
      );
      expect(history.eventType).toBe('run.failed');
      expect(history.attempts).toEqual([
        expect.objectContaining({
          attempt: 1,
          statusCode: 500,
          error: expect.stringMatching(/answered 500/),
        }),
        expect.objectContaining({ attempt: 2, statusCode: 200, error: null }),
      ]);
      expect(history.body).toEqual(body);

      // the source is back: the next run that succeeds is a recovery
      await stack().wh`create table raw.src as select generate_series(1, 3) as id`;
      const recovered = await delivered('run.recovered');
      expect(JSON.parse(recovered[0]!.body)).toMatchObject({ type: 'run.recovered', status: 'succeeded' });

      // a plan whose backfill fails
      stack().writeModel('broken.sql', minuteModel('e2e.broken', 'SELECT minute FROM raw.not_there'));
      const broken = await submitPlan({
        db: stack().db,
        client: stack().client,
        project: stack().project(),
        environment: 'prod',
        submittedBy: 'ci',
      });
      await waitFor(
        'the broken plan to fail',
        async () => ((await getPlan(stack().db, broken.planId))?.status === 'failed' ? true : undefined),
        2 * MINUTE,
      );
      const planFailed = await delivered('plan.failed', (b) => b.planId === broken.planId);
      expect(JSON.parse(planFailed[0]!.body)).toMatchObject({
        type: 'plan.failed',
        status: 'failed',
        error: expect.stringMatching(/e2e\.broken/),
      });

      // a test event, then the webhook is removed with its history
      const test = await call('POST', `/api/notifications/${id}/test`);
      expect(test.status).toBe(202);
      await delivered('test');
      expect((await call('DELETE', `/api/notifications/${id}`)).status).toBe(200);
      expect((await call('GET', `/api/notifications/${id}/deliveries`)).status).toBe(404);
    },
    10 * MINUTE,
  );
});
