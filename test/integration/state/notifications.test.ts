/**
 * Notification webhooks, deliveries and attempts in the state database, and the history a run's
 * notifications read: the previous run's status.
 */
import { describe, expect, it } from 'vitest';
import { testEvent } from '../../../core/notifications/bodies.ts';
import {
  addDeliveries,
  getDelivery,
  listDeliveries,
  recordAttempt,
} from '../../../state/notifications/deliveries.ts';
import { previousRunStatus } from '../../../state/notifications/run-history.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  WebhookInputError,
  webhooksFor,
} from '../../../state/notifications/webhooks.ts';
import { createRun, updateRunStatus } from '../../../state/runs.ts';
import { DRIVERS, useStateDb } from './harness.ts';

const AT = Date.parse('2026-03-01T10:00:00Z');
const hook = {
  environment: 'pr_*',
  url: 'https://hooks.example.com/a',
  events: ['run.failed', 'run.stuck'],
  format: 'json',
  secret: 'whsec_a',
  createdBy: 'tests',
};

describe.each(DRIVERS)('notifications on %s', (driver) => {
  const state = useStateDb(driver, 'notifications');

  it('stores webhooks, refuses bad ones whole and finds those an event is for', async () => {
    const created = await createWebhook(state.db, hook);
    expect(created).toMatchObject({
      environment: 'pr_*',
      events: ['run.failed', 'run.stuck'],
      secret: 'whsec_a',
    });
    await expect(createWebhook(state.db, { ...hook, url: 'file:///etc/passwd', events: [] })).rejects.toThrow(
      new WebhookInputError([
        'url: "file:///etc/passwd" uses file; only http and https are allowed',
        'events: name at least one of run.failed, run.recovered, run.stuck, plan.applied, plan.failed, model.over_scheduled',
      ]),
    );
    const all = await listWebhooks(state.db);
    expect(all.map((w) => w.id)).toEqual([created.id]);
    expect(webhooksFor(all, 'pr_42', 'run.failed')).toHaveLength(1);
    expect(webhooksFor(all, 'prod', 'run.failed')).toHaveLength(0);
    expect(webhooksFor(all, 'pr_42', 'plan.applied')).toHaveLength(0);
  });

  it('gives a webhook each event key once, keeps every attempt once and goes with its webhook', async () => {
    const { id } = await createWebhook(state.db, hook);
    const event = testEvent('pr_1', AT);
    const delivery = {
      webhookId: id,
      eventType: 'run.stuck',
      eventKey: 'stuck:wf-1',
      environment: 'pr_1',
      body: event.body,
    };
    const [first] = await addDeliveries(state.db, [delivery]);
    expect(first).toMatch(/^dlv_/);
    expect(await addDeliveries(state.db, [delivery])).toEqual([]);
    const attempt = { deliveryId: first!, at: new Date(AT), durationMs: 12 };
    await recordAttempt(state.db, {
      ...attempt,
      attempt: 1,
      statusCode: 500,
      error: 'answered 500',
      status: 'pending',
    });
    // a retried activity recording the same attempt again changes nothing
    await recordAttempt(state.db, {
      ...attempt,
      attempt: 1,
      statusCode: 500,
      error: 'answered 500',
      status: 'pending',
    });
    await recordAttempt(state.db, {
      ...attempt,
      attempt: 2,
      statusCode: 204,
      error: null,
      status: 'delivered',
    });
    const [listed] = await listDeliveries(state.db, id, 10);
    expect(listed).toMatchObject({
      id: first,
      status: 'delivered',
      eventKey: 'stuck:wf-1',
      body: event.body,
    });
    expect(listed!.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'answered 500'],
      [2, 204, null],
    ]);
    expect(await deleteWebhook(state.db, id)).toBe(true);
    expect(await getDelivery(state.db, first!)).toBeNull();
    expect(await deleteWebhook(state.db, id)).toBe(false);
  });

  it("reads the previous run's status, leaving plan backfills out", async () => {
    const run = async (
      id: string,
      trigger: 'schedule' | 'plan',
      status: 'failed' | 'succeeded',
      at: number,
    ) => {
      await createRun(state.db, { id, environment: 'prod', trigger, scheduledAt: at, models: ['a.b'] });
      await updateRunStatus(state.db, id, 'running', { at });
      await updateRunStatus(state.db, id, status, { at: at + 1_000 });
    };
    await run('r1', 'schedule', 'failed', AT);
    await run('p1', 'plan', 'succeeded', AT + 60_000);
    await run('r2', 'schedule', 'succeeded', AT + 120_000);
    expect(await previousRunStatus(state.db, 'prod', 'r2')).toBe('failed');
    expect(await previousRunStatus(state.db, 'prod', 'r1')).toBeNull();
    expect(await previousRunStatus(state.db, 'dev', 'r2')).toBeNull();
  });
});
