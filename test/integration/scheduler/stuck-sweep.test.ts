/**
 * The stuck-work sweep on a real state database, with the environment workflows' answers given by
 * the test: work past its watchdog limit gets one `run.stuck` delivery per webhook that wants it,
 * however many sweeps see it; work within its limit, environments no webhook wants and workflows
 * that cannot be asked get none.
 */
import { describe, expect, it } from 'vitest';
import { createNotificationActivities } from '../../../activities/notifications/index.ts';
import type { EnvironmentState } from '../../../core/environment/view.ts';
import type { WorkInFlight } from '../../../core/watchdog.ts';
import { promoteEnvironment } from '../../../state/environments.ts';
import { listDeliveries } from '../../../state/notifications/deliveries.ts';
import { createWebhook } from '../../../state/notifications/webhooks.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const HOUR = 3_600_000;

function stateWith(environment: string, work: WorkInFlight[]): EnvironmentState {
  return {
    environment,
    workInFlight: work,
    runsInFlight: work
      .filter((w) => w.kind === 'run')
      .map((w) => ({ runId: w.id, models: ['m.slow'], done: [], startedAt: w.startedAt })),
  } as unknown as EnvironmentState;
}

describe.each(DRIVERS)('the stuck-work sweep on %s', (driver) => {
  const state = useStateDb(driver, 'stuck_sweep');

  it('reports each stuck workflow once per webhook that wants it', async () => {
    for (const env of ['prod', 'dev', 'pr_1']) await promoteEnvironment(state.db, env, {}, null);
    const wants = await createWebhook(state.db, {
      environment: 'p*',
      url: 'https://hooks.example.com/stuck',
      events: ['run.stuck'],
      format: 'json',
      secret: 'whsec_a',
      createdBy: 'tests',
    });
    const other = await createWebhook(state.db, {
      environment: '*',
      url: 'https://hooks.example.com/failed',
      events: ['run.failed'],
      format: 'json',
      secret: 'whsec_b',
      createdBy: 'tests',
    });
    const asked: string[] = [];
    const answers: Record<string, EnvironmentState | Error | null> = {
      prod: stateWith('prod', [
        { kind: 'run', id: 'run-stuck', workflowId: 'run-stuck', startedAt: NOW - 2 * HOUR, limitMs: HOUR },
        { kind: 'run', id: 'run-fine', workflowId: 'run-fine', startedAt: NOW - HOUR / 2, limitMs: HOUR },
        { kind: 'plan', id: 'p9', workflowId: 'sluice-plan-p9', startedAt: NOW - 3 * HOUR, limitMs: HOUR },
      ]),
      pr_1: new Error('query timed out'),
      dev: stateWith('dev', [
        { kind: 'run', id: 'dev-stuck', workflowId: 'dev-stuck', startedAt: NOW - 9 * HOUR, limitMs: HOUR },
      ]),
    };
    const activities = createNotificationActivities({
      db: state.db,
      now: () => NOW,
      environmentState: async (env) => {
        asked.push(env);
        const answer = answers[env] ?? null;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });

    const first = await activities.sweepStuckWork();
    expect(first).toHaveLength(2);
    // dev matches no webhook wanting run.stuck: it is not even asked
    expect(asked.sort()).toEqual(['pr_1', 'prod']);
    const deliveries = await listDeliveries(state.db, wants.id, 10);
    expect(deliveries.map((d) => d.eventKey).sort()).toEqual(['stuck:run-stuck', 'stuck:sluice-plan-p9']);
    const run = deliveries.find((d) => d.eventKey === 'stuck:run-stuck')!;
    expect(run.body).toMatchObject({
      type: 'run.stuck',
      environment: 'prod',
      runId: 'run-stuck',
      runningForMs: 2 * HOUR,
      limitMs: HOUR,
      models: [{ name: 'm.slow', status: 'running' }],
    });
    expect(await listDeliveries(state.db, other.id, 10)).toEqual([]);

    // the next sweeps see the same stuck work and add nothing
    expect(await activities.sweepStuckWork()).toEqual([]);
    expect(await listDeliveries(state.db, wants.id, 10)).toHaveLength(2);
  });
});
