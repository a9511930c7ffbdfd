/**
 * The pull request routes' inputs: a number that is not one, an ill-formed or unknown base, a bad
 * TTL and an invalid project are refused naming the field and store nothing; a plan's backfill
 * starts the project's `backfill_days` before the day it is planned on; the summary reads the
 * latest plan, and a pull request without one is a 404 that says what to do.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { ciBackfillStart } from '../../core/ci/backfill-range.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import { getPlan } from '../../state/plans.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop, shopProject } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

describe('pull request routes', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;
  const plan = (number: string, body: unknown) =>
    contract.call(app, 'POST', `/api/ci/pull-requests/${number}/plan`, { token, body });

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_ci_routes');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    await seedShop(state.db);
    token = await tokenFor(state.db, 'deployer', ['pr_*'], 'ci');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const project = shopProject();
    const cases: Array<[string, unknown, number, string]> = [
      ['0', { project }, 400, 'pull request number must be a whole number from 1 (got "0")'],
      ['seven', { project }, 400, 'pull request number must be a whole number from 1 (got "seven")'],
      ['7', { project, base: 'Not-A-Name' }, 400, 'base'],
      ['7', { project, base: 'staging' }, 400, 'cannot be created from "staging": no such environment'],
      ['7', { project, ttl: 'soon' }, 400, 'ttl: "soon" is not an environment TTL'],
      [
        '7',
        { project: { ...project, config: { ...project.config, ci: { backfillDays: 0 } } } },
        422,
        'project is not valid',
      ],
    ];
    for (const [number, body, status, message] of cases) {
      const before = await tableCounts(state.db);
      const r = await plan(number, body);
      expect(r.status, `${number} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`).toBe(
        status,
      );
      expect(JSON.stringify(r.body.error), number).toContain(message.replaceAll('"', '\\"'));
      expect(await tableCounts(state.db)).toEqual(before);
    }
    const close = await contract.call(app, 'DELETE', '/api/ci/pull-requests/-1', { token });
    expect(close.status).toBe(400);
  });

  it("starts the backfill the project's backfill_days before the day, and summarises the latest plan", async () => {
    const missing = await contract.call(app, 'GET', '/api/ci/pull-requests/7', { token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      'pull request 7 has no plan (environment pr_7); plan it with sluice ci plan --pr 7',
    );

    const project = shopProject();
    const changed = { ...project, config: { ...project.config, ci: { backfillDays: 5 } } };
    // the plan is stored, then queueing it finds Temporal down
    expect((await plan('7', { project: changed })).status).toBe(503);
    const summary = await contract.call(app, 'GET', '/api/ci/pull-requests/7', { token });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      pullRequest: 7,
      environment: 'pr_7',
      status: 'pending',
      outcome: 'in_progress',
      exitCode: null,
      base: 'prod',
      links: { dashboard: 'http://localhost/environments/pr_7', temporal: null },
    });
    expect(summary.body.markdown).toContain('### sluice: pull request #7 → `pr_7` ⏳ in progress');
    const stored = await getPlan(state.db, summary.body.planId);
    expect((stored!.diff as PlanDiff).start).toBe(ciBackfillStart(NOW, 5));
    expect(summary.body.backfill.start).toBe(ciBackfillStart(NOW, 5));

    // without backfill_days, 3 days
    expect((await plan('8', { project })).status).toBe(503);
    const eight = await contract.call(app, 'GET', '/api/ci/pull-requests/8', { token });
    expect(eight.body.backfill.start).toBe(ciBackfillStart(NOW, 3));
  });
});
