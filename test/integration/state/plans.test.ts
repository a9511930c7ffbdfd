import { describe, expect, it } from 'vitest';
import {
  createPlan,
  getPlan,
  getPlanProject,
  getPlanStatus,
  listPlans,
  type PlanRecord,
  rejectPendingPlan,
  replacePlanDiff,
  setRecomputeOnTurn,
  updatePlan,
} from '../../../state/plans.ts';
import { DRIVERS, useStateDb } from './harness.ts';

const DIFF = {
  added: ['db.new'],
  removed: [],
  directlyModified: ['db.orders'],
  backfill: { 'db.orders': [[0, 10]] },
};

describe.each(DRIVERS)('plans on %s', (driver) => {
  const state = useStateDb(driver, 'plans');

  it('records a plan through its application', async () => {
    const plan = await createPlan(state.db, {
      id: 'plan-1',
      environment: 'prod',
      diff: DIFF,
      submittedBy: 'ana',
      submittedAt: '2024-03-01T10:00:00Z',
    });
    expect(plan).toEqual({
      id: 'plan-1',
      environment: 'prod',
      status: 'pending',
      diff: DIFF,
      submittedBy: 'ana',
      submittedAt: '2024-03-01T10:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      error: null,
      progress: null,
      recomputeOnTurn: false,
      cancelledBy: null,
      environmentTtlMs: null,
    });
    expect(
      await createPlan(state.db, { id: 'plan-1', environment: 'prod', diff: {}, submittedBy: 'bo' }),
    ).toEqual(plan);
    await expect(
      createPlan(state.db, { id: 'plan-1', environment: 'dev', diff: {}, submittedBy: 'bo' }),
    ).rejects.toThrow('plan "plan-1" already exists for environment "prod", not "dev"');

    await updatePlan(state.db, 'plan-1', { status: 'queued' });
    const applying = await updatePlan(state.db, 'plan-1', { status: 'applying', at: '2024-03-01T10:01:00Z' });
    expect(applying).toMatchObject({
      status: 'applying',
      startedAt: '2024-03-01T10:01:00.000Z',
      finishedAt: null,
    });
    const progressed = await updatePlan(state.db, 'plan-1', { progress: { done: 3, total: 8 } });
    expect(progressed).toMatchObject({ status: 'applying', progress: { done: 3, total: 8 } });
    expect(
      await updatePlan(state.db, 'plan-1', { status: 'applying', at: '2024-03-01T10:05:00Z' }),
    ).toMatchObject({ startedAt: '2024-03-01T10:01:00.000Z' });
    const applied = await updatePlan(state.db, 'plan-1', {
      status: 'applied',
      progress: { done: 8, total: 8 },
      at: '2024-03-01T10:09:00Z',
    });
    expect(applied).toMatchObject({
      status: 'applied',
      finishedAt: '2024-03-01T10:09:00.000Z',
      progress: { done: 8, total: 8 },
    });
    expect(await updatePlan(state.db, 'plan-1', { status: 'applied' })).toEqual(applied);
    await expect(updatePlan(state.db, 'plan-1', { status: 'applying' })).rejects.toThrow(
      'plan "plan-1" cannot go from applied to applying (applied is final)',
    );
    await expect(updatePlan(state.db, 'plan-1', { progress: { done: 9 } })).rejects.toThrow(
      'plan "plan-1" is applied; it changes no more',
    );
    expect(await getPlan(state.db, 'plan-1')).toEqual(applied);
  });

  it('reads a status alone, and a plan with or without the project it was stored with', async () => {
    const project = { models: [{ name: 'db.orders' }], audits: {} };
    const created = await createPlan(state.db, {
      id: 'with-project',
      environment: 'prod',
      diff: DIFF,
      submittedBy: 'ana',
      project,
    });
    expect(created).not.toHaveProperty('project');
    expect(await getPlanStatus(state.db, 'with-project')).toEqual({ status: 'pending', error: null });
    await updatePlan(state.db, 'with-project', { status: 'failed', error: 'no warehouse' });
    expect(await getPlanStatus(state.db, 'with-project')).toEqual({
      status: 'failed',
      error: 'no warehouse',
    });
    expect(await getPlan(state.db, 'with-project')).toMatchObject({ status: 'failed', diff: DIFF });
    expect(await getPlan(state.db, 'with-project')).not.toHaveProperty('project');
    expect(await getPlanProject(state.db, 'with-project')).toEqual(project);
    expect(await getPlanStatus(state.db, 'no-such-plan')).toBeNull();
  });

  it('records a failure with its error and refuses skipped steps', async () => {
    const { id } = await createPlan(state.db, {
      environment: 'dev',
      diff: {},
      submittedBy: 'ana',
      status: 'queued',
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(updatePlan(state.db, id, { status: 'applied' })).rejects.toThrow(
      `plan "${id}" cannot go from queued to applied (from queued it may go to applying, failed, cancelled, rejected, terminated)`,
    );
    const failed = await updatePlan(state.db, id, { status: 'failed', error: 'backfill of db.a failed' });
    expect(failed).toMatchObject({ status: 'failed', error: 'backfill of db.a failed', startedAt: null });
    expect(failed.finishedAt).not.toBeNull();
  });

  it('rejects only a pending plan, with its reason', async () => {
    await createPlan(state.db, { id: 'stale', environment: 'prod', diff: {}, submittedBy: 'ana' });
    expect(
      await rejectPendingPlan(state.db, 'stale', 'environment "prod" changed', '2024-03-01T10:00:00Z'),
    ).toBe(true);
    expect(await getPlan(state.db, 'stale')).toMatchObject({
      status: 'rejected',
      error: 'environment "prod" changed',
      finishedAt: '2024-03-01T10:00:00.000Z',
    });
    expect(await rejectPendingPlan(state.db, 'stale', 'again')).toBe(false);
    expect((await getPlan(state.db, 'stale'))?.error).toBe('environment "prod" changed');
    await createPlan(state.db, {
      id: 'moving',
      environment: 'prod',
      diff: {},
      submittedBy: 'ana',
      status: 'queued',
    });
    expect(await rejectPendingPlan(state.db, 'moving', 'too late')).toBe(false);
    expect((await getPlan(state.db, 'moving'))?.status).toBe('queued');
    expect(await rejectPendingPlan(state.db, 'nope', 'no plan')).toBe(false);
    await expect(rejectPendingPlan(state.db, 'moving', '')).rejects.toThrow('needs a reason');
  });

  it('replaces the diff and the recompute flag only while a plan has not begun', async () => {
    const plan = await createPlan(state.db, {
      id: 'auto',
      environment: 'prod',
      diff: { n: 1 },
      submittedBy: 'ana',
      recomputeOnTurn: true,
    });
    expect(plan.recomputeOnTurn).toBe(true);
    await updatePlan(state.db, 'auto', { status: 'queued' });
    expect(await replacePlanDiff(state.db, 'auto', { n: 2 })).toMatchObject({
      diff: { n: 2 },
      status: 'queued',
    });
    await updatePlan(state.db, 'auto', { status: 'applying' });
    await expect(replacePlanDiff(state.db, 'auto', { n: 3 })).rejects.toThrow(
      'plan "auto" is applying; only a plan that has not begun gets a new diff',
    );
    expect(await setRecomputeOnTurn(state.db, 'auto', false)).toBe(false);
    expect(await getPlan(state.db, 'auto')).toMatchObject({ diff: { n: 2 }, recomputeOnTurn: true });
    await createPlan(state.db, {
      id: 'first',
      environment: 'prod',
      diff: {},
      submittedBy: 'ana',
      recomputeOnTurn: true,
    });
    expect(await setRecomputeOnTurn(state.db, 'first', false)).toBe(true);
    expect((await getPlan(state.db, 'first'))?.recomputeOnTurn).toBe(false);
    await expect(replacePlanDiff(state.db, 'none', {})).rejects.toThrow('unknown plan "none"');
  });

  it('names the bad field', async () => {
    await expect(
      createPlan(state.db, { environment: 'prod', diff: undefined, submittedBy: 'ana' }),
    ).rejects.toThrow('diff must be a JSON value (got undefined)');
    await expect(
      createPlan(state.db, { environment: 'prod', diff: {}, submittedBy: 'ana', status: 'applied' as never }),
    ).rejects.toThrow('status must be one of pending, queued (got "applied")');
    await expect(updatePlan(state.db, 'plan-404', { status: 'queued' })).rejects.toThrow(
      'unknown plan "plan-404"',
    );
    await createPlan(state.db, { id: 'p', environment: 'prod', diff: {}, submittedBy: 'ana' });
    await expect(updatePlan(state.db, 'p', {})).rejects.toThrow(
      'plan "p" update must change status, progress, error or who cancelled it',
    );
    await expect(updatePlan(state.db, 'p', { status: 'done' as never })).rejects.toThrow(
      'status must be one of pending, queued, applying, applied, failed, cancelled, rejected, terminated (got "done")',
    );
    expect((await getPlan(state.db, 'p'))?.status).toBe('pending');
  });

  it('lists plans newest first by environment and status, page by page', async () => {
    const at = Date.parse('2024-03-01T10:00:00Z');
    for (let index = 0; index < 9; index++) {
      await createPlan(state.db, {
        id: `plan-${index}`,
        environment: index < 6 ? 'prod' : 'dev',
        diff: { index },
        submittedBy: 'ana',
        submittedAt: at + Math.floor(index / 2) * 1_000,
      });
    }
    await updatePlan(state.db, 'plan-2', { status: 'cancelled' });
    const collect = async (filter: Parameters<typeof listPlans>[1]) => {
      const seen: PlanRecord[] = [];
      let cursor: string | null = null;
      do {
        const page = await listPlans(state.db, { ...filter, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return seen.map((plan) => plan.id);
    };
    const all = ['plan-8', 'plan-7', 'plan-6', 'plan-5', 'plan-4', 'plan-3', 'plan-2', 'plan-1', 'plan-0'];
    expect(await collect({ limit: 2 })).toEqual(all);
    expect(await collect({ environment: 'dev', limit: 1 })).toEqual(['plan-8', 'plan-7', 'plan-6']);
    expect(await collect({ status: ['pending'], environment: 'prod' })).toEqual([
      'plan-5',
      'plan-4',
      'plan-3',
      'plan-1',
      'plan-0',
    ]);
    expect(await collect({ status: 'cancelled' })).toEqual(['plan-2']);
  });
});
