/**
 * The scheduler attaches a gateway's sealed connection to the work it prepares (a plan's tables,
 * views and backfill segments), and an apply executor without gateways of its own applies the whole
 * plan with it. Without a stored connection the work carries none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BatchCompletion,
  ExecutorActivities,
  SchedulerActivities,
  SegmentRef,
  SegmentReport,
} from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { ManagedConnections } from '../../../activities/executor/managed-connections.ts';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import { keyringOf } from '../../../crypto/keyring.ts';
import { type Sealed, seal } from '../../../crypto/sealed.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { upsertConnection } from '../../../state/connections.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { activityEnvironment } from '../executor/executor-gateways.ts';
import { readRelation } from '../plan/support.ts';
import { createSchedulerProject, NOW, type SchedulerProject } from '../scheduler/project.ts';
import { MAX_SEGMENT_BYTES, overTheWire } from '../scheduler/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';

const key = keyringOf(Buffer.alloc(32, 7), 'sched-key');

describe.each(DRIVERS)('managed connections in the scheduler activities (state on %s)', (driver) => {
  const state = useStateDb(driver, 'conn_scheduler');
  let project: SchedulerProject;
  let warehouseDir: string;
  let scheduler: SchedulerActivities;
  let managed: ManagedConnections;
  let executor: ExecutorActivities;

  beforeEach(async () => {
    await state.db.execute('truncate sluice.connections');
    project = createSchedulerProject();
    warehouseDir = mkdtempSync(join(tmpdir(), 'sluice-managed-duckdb-'));
    scheduler = createSchedulerActivities({ db: state.db });
    managed = new ManagedConnections({ keyring: key, identity: 'apply@managed', baseDir: warehouseDir });
    executor = createExecutorActivities({
      pool: new EnginePool({}, { baseDir: warehouseDir }),
      identity: 'apply@managed',
      role: 'apply',
      encryption: key,
      managedConnections: managed,
    });
  });

  afterEach(async () => {
    await managed.closeAll();
    project.dispose();
    rmSync(warehouseDir, { recursive: true, force: true });
  });

  async function storeLocal(): Promise<Sealed> {
    const sealed = seal(key, JSON.stringify({ type: 'duckdb', database: 'managed.duckdb' }), 'local');
    await upsertConnection(state.db, {
      gateway: 'local',
      type: 'duckdb',
      host: 'managed.duckdb',
      sealed,
      actor: 'ana',
    });
    return sealed;
  }

  it('hands the sealed connection to every step, and the executor applies the plan with it', async () => {
    const sealed = await storeLocal();
    const { planId } = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
    });
    const work = overTheWire(await scheduler.beginPlan({ planId, environment: 'prod' }));
    expect(work.tables.length).toBeGreaterThan(0);
    for (const group of [...work.tables, ...work.views]) expect(group.connection).toEqual(sealed);

    const { env } = activityEnvironment();
    for (const { gateway, models, connection } of work.tables) {
      const requests = await scheduler.tableRequests({ planId, environment: 'prod', gateway, models });
      await env.run(executor.createPhysicalTables, {
        gateway,
        requests,
        ...(connection ? { connection } : {}),
      });
    }
    const runId = `sluice-plan-${planId}`;
    const items: SegmentRef['items'] = work.backfill.flatMap((model) =>
      model.batches.map((interval) => ({ model: model.model, snapshotId: model.snapshotId, interval })),
    );
    for (let next = 0; next < items.length; ) {
      const ref: SegmentRef = {
        runId,
        environment: 'prod',
        scheduledAt: NOW,
        planId,
        gateway: 'local',
        items: items.slice(next),
        maxBytes: MAX_SEGMENT_BYTES,
      };
      const prepared = overTheWire(await scheduler.prepareSegment(ref));
      expect(prepared.connection).toEqual(sealed);
      const report = (await env.run(executor.executeSegment, {
        segmentId: `${runId}:${next}`,
        gateway: prepared.gateway,
        ...(prepared.connection ? { connection: prepared.connection } : {}),
        threads: 1,
        batches: prepared.batches.map((batch) => ({ ...batch, dependsOn: [] })),
      })) as SegmentReport;
      const completions = prepared.batches.map((batch, index): BatchCompletion => {
        const result = report.results.find((candidate) => candidate.executionId === batch.executionId);
        expect(result?.status, `${batch.model} ran`).toBe('succeeded');
        return {
          ...items[next + index]!,
          runId,
          environment: 'prod',
          executionId: batch.executionId,
          status: 'succeeded',
          ...(result?.status === 'succeeded' ? { report: result.report } : {}),
          attempt: 1,
        };
      });
      await scheduler.completeSegment(overTheWire(completions));
      next += prepared.batches.length;
    }
    for (const group of work.views) {
      await env.run(executor.promoteViews, { ...group, environment: 'prod' });
    }
    await scheduler.finishPlan({ planId, environment: 'prod', status: 'applied' });

    const totals = await readRelation(managed.engine('local', sealed), 'mart', 'totals');
    expect(totals.rows).toEqual([['5', '150']]);
    expect(managed.size).toBe(1);
  });

  it('attaches nothing when the gateway has no stored connection', async () => {
    const { planId } = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
    });
    const work = overTheWire(await scheduler.beginPlan({ planId, environment: 'prod' }));
    for (const group of [...work.tables, ...work.views, ...work.removed]) {
      expect(group).not.toHaveProperty('connection');
    }
    const first = work.backfill[0]!;
    const prepared = await scheduler.prepareSegment({
      runId: `sluice-plan-${planId}`,
      environment: 'prod',
      scheduledAt: NOW,
      planId,
      gateway: first.gateway,
      items: [{ model: first.model, snapshotId: first.snapshotId, interval: first.batches[0]! }],
      maxBytes: MAX_SEGMENT_BYTES,
    });
    expect(prepared).not.toHaveProperty('connection');
  });
});
